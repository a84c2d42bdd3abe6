/**
 * Gets the workspace prefix into the chat slot without re-reading the workspace. Completions keep the prefix
 * evaluated on slot 0 and persist it (PrefixStore); llama-server can load a slot file saved from slot 0 into
 * slot 1, so the first workspace chat (and the first after other chat or media requests replaced the chat
 * slot's cache) loads that file and the engine only evaluates what follows it. When the saved prefix is
 * older than the current one, the engine rolls the restored cache back to its newest saved checkpoint before
 * the first change, exactly as on slot 0.
 *
 * Correctness never depends on this: the engine matches the prompt against its cache token by token. This
 * only decides whether loading the file is worth it.
 */
import type { LoadedModel } from "../models/manager";
import { PrefixStore } from "../completion/prefixStore";
import type { SlotContents } from "../completion/slotContents";
import { commonPrefixLength } from "../completion/slotContents";
import { prefixIdentity } from "../completion/workspacePrefix";

/** Engine slot for chat and media, apart from completions (slot 0), so neither evicts the other's cache. */
export const CHAT_SLOT = 1;

/** As for slot 0: a saved prefix that shares less than this with the prompt is not worth its I/O. */
const MIN_SHARED = 0.05;

export interface ChatSlotRestore {
  /** Tokens loaded into the chat slot (0 when nothing was loaded). */
  restoredTokens: number;
  ms: number;
  /** Why nothing was loaded. */
  skipped?: string;
}

export class ChatSlotPrefix {
  constructor(
    /** What the chat slot holds; every request on slot 1 records into it. */
    readonly slot: SlotContents,
    private readonly store: PrefixStore | undefined,
    private readonly log: (message: string) => void = () => {},
  ) {}

  /**
   * Before a workspace chat whose prompt starts with the workspace prefix `prompt.slice(0, prefixEnd)`: loads
   * the saved prefix into the chat slot when the slot does not hold that prefix and the saved one gives more
   * of the prompt than the slot has. Never throws for a cache problem (the chat then just prefills).
   */
  async prepare(loaded: LoadedModel, prompt: string, prefixEnd: number, signal?: AbortSignal): Promise<ChatSlotRestore> {
    const t0 = performance.now();
    const skip = (why: string): ChatSlotRestore => ({ restoredTokens: 0, ms: performance.now() - t0, skipped: why });
    if (this.slot.startsWith(prompt.slice(0, prefixEnd))) return skip("the chat slot holds the workspace prefix");
    if (!this.store || loaded.info.kind !== "local") return skip("no saved workspace prefix");
    const read = await this.store.read(await prefixIdentity(loaded));
    if (!read.ok) return skip(read.reason);
    const shared = commonPrefixLength(read.saved.prompt, prompt);
    if (shared < MIN_SHARED * read.saved.prompt.length) return skip("the saved workspace prefix is out of date");
    if (this.slot.startsWith(prompt.slice(0, shared))) return skip("the chat slot holds as much of the prompt as the saved prefix");
    try {
      const restored = await loaded.client.restoreSlot(CHAT_SLOT, PrefixStore.SLOT_FILE, signal);
      // A save that overwrote the file after the manifest was read: the slot holds some other prefix.
      this.slot.record(restored.tokens === read.saved.tokens ? read.saved.prompt : "");
      this.log(`workspace chat: ${restored.tokens} tokens of the saved workspace prefix loaded into the chat slot in ${Math.round(restored.ms)} ms`);
      return { restoredTokens: restored.tokens, ms: performance.now() - t0 };
    } catch (err) {
      if (signal?.aborted) throw err;
      this.slot.record("");
      this.log(`workspace chat: the saved workspace prefix was not loaded (${(err as Error).message}); evaluating it`);
      return skip((err as Error).message);
    }
  }
}
