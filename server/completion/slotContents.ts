/**
 * What the engine's completions slot holds: the last prompt sent to it, and to which engine process. Both
 * completions and the background prefix warm-up write to the slot; with this they know when a workspace
 * prefix is already evaluated there, so a warm-up does not cut a completion's tail off the cache only for
 * the next keystroke to evaluate it again.
 */
import type { EngineClient, StreamResult } from "../engine/client";
import type { ModelManager } from "../models/manager";
import { GEMMA4_MESSAGE_DELIMITERS, type CompletionPrompt } from "./layout";

/** Completions get their own engine slot so chat and media never evict their cached prefix. */
export const COMPLETION_SLOT = 0;

/** The engine process a cache belongs to (-1: none); a restart may have loaded another model. */
export function enginePid(models: Pick<ModelManager, "getStatus">): number {
  return models.getStatus().engine?.pid ?? -1;
}

/**
 * Evaluates `prompt` on the completions slot without generating (`n_predict: 0`), with the message
 * delimiters that give Gemma turns their checkpoints: the prefix warm-up and a cursor prime. `promptText` is
 * the prompt as text (for the prompt log when `prompt` goes as token ids).
 */
export function evaluateOnCompletionSlot(
  client: Pick<EngineClient, "completion">,
  prompt: unknown,
  promptText: string,
  mode: CompletionPrompt["mode"],
  signal?: AbortSignal,
): Promise<StreamResult> {
  return client.completion(
    {
      prompt,
      n_predict: 0,
      cache_prompt: true,
      id_slot: COMPLETION_SLOT,
      ...(mode === "gemma-turns" ? { message_delimiters: GEMMA4_MESSAGE_DELIMITERS } : {}),
    },
    { signal, promptText },
  );
}

export class SlotContents {
  private last?: { pid: number; prompt: string };

  constructor(private readonly models: Pick<ModelManager, "getStatus">) {}

  /** `prompt` was evaluated on the slot (a later request replaces it). */
  record(prompt: string): void {
    this.last = { pid: this.pid(), prompt };
  }

  /** Whether the slot's cache starts with `prefix` (an engine restart empties it). */
  startsWith(prefix: string): boolean {
    return this.last?.pid === this.pid() && this.last.prompt.startsWith(prefix);
  }

  private pid(): number {
    return enginePid(this.models);
  }
}
