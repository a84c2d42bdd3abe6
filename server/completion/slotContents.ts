/**
 * What the engine's completions slot holds: the last prompt sent to it, and to which engine process. Both
 * completions and the background prefix warm-up write to the slot; with this they know when a workspace
 * prefix is already evaluated there, so a warm-up does not cut a completion's tail off the cache only for
 * the next keystroke to evaluate it again.
 */
import { setTimeout as sleep } from "node:timers/promises";
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

export function commonPrefixLength(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

export class SlotContents {
  private last?: { pid: number; prompt: string };
  /** completions in flight on the slot, and when the last one ended (background work waits for quiet) */
  private foreground = 0;
  private foregroundEndedAt = 0;
  private fills = 0;

  constructor(private readonly models: Pick<ModelManager, "getStatus">) {}

  /** `prompt` was evaluated on the slot (a later request replaces it). */
  record(prompt: string): void {
    this.last = { pid: this.pid(), prompt };
  }

  /** Whether the slot's cache starts with `prefix` (an engine restart empties it). */
  startsWith(prefix: string): boolean {
    return this.last?.pid === this.pid() && this.last.prompt.startsWith(prefix);
  }

  /** How many leading characters of `prompt` the slot's cache holds (0 when unknown). */
  sharedLength(prompt: string): number {
    return this.last?.pid === this.pid() ? commonPrefixLength(this.last.prompt, prompt) : 0;
  }

  /**
   * A background job (the prefix warm-up) starts bringing the slot to a prompt, from now until the returned
   * function is called: completions meanwhile need not evaluate that prompt themselves.
   */
  beginBackgroundFill(): () => void {
    this.fills++;
    let ended = false;
    return () => {
      if (!ended) this.fills--;
      ended = true;
    };
  }

  /** Whether a background job is bringing the slot to a prompt now (or is queued to). */
  get filling(): boolean {
    return this.fills > 0;
  }

  /** A completion starts using the slot; call the returned function when it ends. */
  beginForeground(): () => void {
    this.foreground++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.foreground--;
      this.foregroundEndedAt = Date.now();
    };
  }

  /**
   * Resolves once no completion is in flight and none ended in the last `quietMs`: background work (a
   * warm-up step) then goes between keystrokes instead of in front of the next completion.
   */
  async quiet(quietMs: number, signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const wait = this.foreground > 0 ? quietMs : this.foregroundEndedAt + quietMs - Date.now();
      if (wait <= 0) return;
      await sleep(Math.min(wait, 50), undefined, { signal });
    }
  }

  private pid(): number {
    return enginePid(this.models);
  }
}
