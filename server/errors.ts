/** Failures the user can act on: each carries a {@link HearthError} (code + sentence) that reaches the client unchanged. */
import { EngineUnreachableError, RequestTooLargeError, megabytes } from "./engine/client";
import { EngineNotBuiltError } from "./engine/install";
import { EngineStartError } from "./engine/supervisor";
import type { HearthError, HearthErrorCode } from "./protocol";

export class HearthFailure extends Error {
  readonly error: HearthError;
  constructor(error: HearthError);
  constructor(code: HearthErrorCode, message: string);
  constructor(a: HearthError | HearthErrorCode, message?: string) {
    const error = typeof a === "string" ? { code: a, message: message ?? a } : a;
    super(error.message);
    this.error = error;
  }

  get code(): HearthErrorCode {
    return this.error.code;
  }
}

export function toHearthError(err: unknown): HearthError {
  if (err instanceof HearthFailure) return err.error;
  if (err instanceof EngineNotBuiltError) return { code: "engine-not-built", message: err.message };
  if (err instanceof EngineStartError) return { code: "engine-start-failed", message: err.message };
  if (err instanceof RequestTooLargeError) {
    const most = err.limit ? `the engine reads at most ${megabytes(err.limit)} MB` : "the engine refused it as too large";
    return {
      code: "media-too-large",
      message:
        `The request is ${megabytes(err.bytes)} MB as sent (images and recordings go as base64, 4/3 of the file's size); ${most}. ` +
        "Split the recording or save it as mp3, or use a smaller image.",
    };
  }
  if (err instanceof EngineUnreachableError) {
    return { code: "engine-crashed", message: "The model engine stopped while answering. It is being restarted — try again in a moment (details in Hearth's logs)." };
  }
  return { code: "internal", message: err instanceof Error ? err.message : String(err) };
}
