/**
 * Reading the host's failures (`data.hearth`: a code and a sentence). No VS Code or LSP dependency, so the
 * chat view and its unit tests use them as the commands do (hostClient re-exports them).
 */
import type { HearthErrorData } from "../server/protocol";

/** The sentence to show for a failed request: the host's own, else the error's message. */
export function errorMessage(err: unknown): string {
  const data = (err as { data?: HearthErrorData })?.data;
  return data?.hearth?.message ?? (err as Error)?.message ?? String(err);
}

export function errorCode(err: unknown): string | undefined {
  return (err as { data?: HearthErrorData })?.data?.hearth?.code;
}
