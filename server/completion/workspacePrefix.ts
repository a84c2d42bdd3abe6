/**
 * Keeps the workspace prefix evaluated on the completions slot: restores it from disk after the engine
 * starts (instead of re-prefilling: minutes on a GPU, hours on a CPU at 256K), extends or rolls it to the
 * current workspace with one `n_predict: 0` request, and saves it back when it changed.
 *
 * Why restore + extend works with Gemma 4's sliding-window cache: the engine (patched, see
 * scripts/engine-patches/) saves the slot's context checkpoints with it, so a restored prefix can be rolled
 * back to the newest checkpoint before the first changed chunk, as in a live session, and a restored slot
 * can be extended without re-processing.
 */
import fs from "node:fs";
import type { ModelManager, LoadedModel } from "../models/manager";
import { LAYOUT_VERSION, workspacePrefixPrompt, type CompletionPrompt, type ContextChunk } from "./layout";
import type { PrefixTokens } from "./prefixTokens";
import { PrefixStore, type PrefixIdentity } from "./prefixStore";
import { COMPLETION_SLOT, enginePid, evaluateOnCompletionSlot, type SlotContents } from "./slotContents";
import { seedOf } from "../workspace/index";

/**
 * A saved prefix is restored when at least this share of it is still the start of the current one. The
 * engine then rolls it back to its newest saved checkpoint before the first change, so even a small shared
 * part saves its prefill; below this share the restore itself is not worth its I/O.
 */
const MIN_SHARED = 0.05;

export interface PrefixWarmResult {
  /** Tokens of the workspace prefix now in the slot. */
  tokens: number;
  /** Tokens evaluated by this warm-up (0 when the slot already held the prefix). */
  processedTokens: number;
  /** Tokens loaded from the saved cache (0 when nothing was restored). */
  restoredTokens: number;
  /** Checking + loading the saved cache. */
  restoreMs: number;
  /** The `n_predict: 0` request that brought the slot to the current prefix. */
  evaluateMs: number;
  /** Bytes written when the prefix was saved by this call (0 when not saved). */
  savedBytes: number;
  /** Why a saved cache was not used, when there was a reason. */
  notRestored?: string;
}

export interface WorkspacePrefixOptions {
  /** Where the prefix is persisted (the engine's --slot-save-path); none = never persisted. */
  store?: PrefixStore;
  /**
   * Minimum time between saves of a changed prefix. A 12B prefix at 256K is gigabytes: saving after every
   * edit would wear the disk for little gain, because a restore rolls forward from an older save cheaply.
   */
  saveIntervalMs?: number;
  log?: (message: string) => void;
  /** What the completions slot holds (shared with the completion service); without it every call evaluates. */
  slot?: SlotContents;
  /** Tokenizes the prefix once for the warm-up and the completions that follow (shared with them). */
  tokens?: PrefixTokens;
}

/** The cache-stable part of a completion prompt for these chunks (what the prefix slot holds). */
function workspacePrefixLayout(chunks: ContextChunk[], loaded: Pick<LoadedModel, "fim">): { prompt: string; mode: CompletionPrompt["mode"] } {
  return { prompt: workspacePrefixPrompt(chunks, loaded.fim), mode: loaded.fim ? "native-fim" : "gemma-turns" };
}

export class WorkspacePrefix {
  /** Engine process a restore was attempted for: each new engine (start, crash restart) gets one attempt. */
  private restoreAttemptedFor?: number;
  /** What the saved cache holds, to skip saving an unchanged prefix. */
  private savedPrompt?: string;
  private lastSaveAt = 0;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly models: ModelManager,
    private readonly opts: WorkspacePrefixOptions = {},
  ) {}

  /**
   * Brings the completions slot to the prefix for `chunks`. Calls run one at a time (a file change during a
   * warm-up queues behind it). Returns undefined when there is nothing to do: no workspace context, or the
   * slot already starts with this prefix (a request would cut the last completion's tail off the cache and
   * the next keystroke would evaluate it again).
   */
  warm(chunks: ContextChunk[], signal?: AbortSignal): Promise<PrefixWarmResult | undefined> {
    const next = this.running.then(() => this.warmNow(chunks, signal));
    this.running = next.catch(() => undefined);
    return next;
  }

  /** Resolves when no warm-up is running or queued (a failed one included). */
  async idle(): Promise<void> {
    await this.running;
  }

  private async warmNow(chunks: ContextChunk[], signal?: AbortSignal): Promise<PrefixWarmResult | undefined> {
    if (!chunks.length) return undefined;
    const loaded = await this.models.ensureLoaded();
    const { prompt, mode } = workspacePrefixLayout(chunks, loaded);
    if (this.opts.slot?.startsWith(prompt)) return undefined;
    const store = loaded.info.kind === "local" ? this.opts.store : undefined;
    const identity = store ? await this.identity(loaded) : undefined;
    const result: PrefixWarmResult = { tokens: 0, processedTokens: 0, restoredTokens: 0, restoreMs: 0, evaluateMs: 0, savedBytes: 0 };

    const pid = enginePid(this.models);
    if (store && identity && this.restoreAttemptedFor !== pid) {
      this.restoreAttemptedFor = pid;
      const t0 = performance.now();
      const why = await this.restore(store, identity, prompt, loaded, result, signal);
      result.restoreMs = performance.now() - t0;
      if (why) result.notRestored = why;
    }

    const t1 = performance.now();
    const ids = await this.opts.tokens?.ensure(loaded.client, prompt, signal);
    const evaluated = await evaluateOnCompletionSlot(loaded.client, ids ?? prompt, prompt, mode, signal);
    this.opts.slot?.record(prompt);
    result.evaluateMs = performance.now() - t1;
    result.tokens = evaluated.stats.promptTokens;
    result.processedTokens = evaluated.stats.processedTokens;

    const interval = this.opts.saveIntervalMs ?? 5 * 60_000;
    if (store && identity && prompt !== this.savedPrompt && (!this.lastSaveAt || Date.now() - this.lastSaveAt >= interval)) {
      result.savedBytes = await this.save(store, identity, prompt, result.tokens, chunks, loaded, signal);
    }
    return result;
  }

  /** Loads the saved cache into the slot when it fits this prompt; returns why not otherwise. */
  private async restore(
    store: PrefixStore,
    identity: PrefixIdentity,
    prompt: string,
    loaded: LoadedModel,
    result: PrefixWarmResult,
    signal?: AbortSignal,
  ): Promise<string | undefined> {
    const read = await store.read(identity);
    if (!read.ok) {
      if (read.reason !== "no saved prefix") {
        this.log(`workspace prefix cache not used (${read.reason}); rebuilding it`);
        await store.discard();
      }
      return read.reason;
    }
    const shared = commonPrefixLength(read.saved.prompt, prompt);
    if (shared < MIN_SHARED * read.saved.prompt.length) {
      const why = `only ${Math.round((100 * shared) / Math.max(1, read.saved.prompt.length))}% of the saved prefix is still current`;
      this.log(`workspace prefix cache not used (${why}); rebuilding it`);
      return why;
    }
    try {
      const restored = await loaded.client.restoreSlot(COMPLETION_SLOT, PrefixStore.SLOT_FILE, signal);
      if (restored.tokens !== read.saved.tokens) throw new Error(`restored ${restored.tokens} tokens, expected ${read.saved.tokens}`);
      result.restoredTokens = restored.tokens;
      this.savedPrompt = read.saved.prompt;
      this.log(`workspace prefix restored: ${restored.tokens} tokens (${(read.saved.bytes / 1048576).toFixed(1)} MiB) in ${Math.round(restored.ms)} ms`);
      return undefined;
    } catch (err) {
      if (signal?.aborted) throw err;
      const why = `the engine could not load it: ${(err as Error).message}`;
      this.log(`workspace prefix cache not used (${why}); rebuilding it`);
      await store.discard();
      return why;
    }
  }

  private async save(
    store: PrefixStore,
    identity: PrefixIdentity,
    prompt: string,
    tokens: number,
    chunks: ContextChunk[],
    loaded: LoadedModel,
    signal?: AbortSignal,
  ): Promise<number> {
    try {
      await store.invalidate();
      const saved = await loaded.client.saveSlot(COMPLETION_SLOT, PrefixStore.SLOT_FILE, signal);
      // A completion that ran between the warm-up and the save leaves more tokens in the slot: try later.
      if (saved.tokens !== tokens) return 0;
      await store.record(identity, prompt, saved.tokens, seedOf(chunks));
      this.savedPrompt = prompt;
      this.lastSaveAt = Date.now();
      this.log(`workspace prefix saved: ${saved.tokens} tokens (${(saved.bytes / 1048576).toFixed(1)} MiB) in ${Math.round(saved.ms)} ms`);
      return saved.bytes;
    } catch (err) {
      if (signal?.aborted) throw err;
      this.log(`workspace prefix not saved: ${(err as Error).message}`);
      return 0;
    }
  }

  private identity(loaded: LoadedModel): Promise<PrefixIdentity> {
    return prefixIdentity(loaded);
  }

  private log(message: string): void {
    this.opts.log?.(message);
  }
}

export function commonPrefixLength(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/** What a saved prefix must have been made with to be loadable now (also checked by workspace chat's restore). */
export async function prefixIdentity(loaded: Pick<LoadedModel, "files" | "kvCacheType" | "engineKey">): Promise<PrefixIdentity> {
  const st = await fs.promises.stat(loaded.files.model);
  return {
    layoutVersion: LAYOUT_VERSION,
    model: loaded.files.model,
    modelBytes: st.size,
    modelMtimeMs: Math.round(st.mtimeMs),
    kvCacheType: loaded.kvCacheType ?? "",
    engine: loaded.engineKey ?? "",
  };
}
