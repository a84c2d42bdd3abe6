/**
 * Keeps the workspace prefix evaluated on the completions slot: restores it from disk after the engine
 * starts (instead of re-prefilling: minutes on a GPU, hours on a CPU at 256K), extends or rolls it to the
 * current workspace with `n_predict: 0` requests, and saves it back when it changed.
 *
 * Without blocking completions: the engine runs one request at a time per slot, and a long prefill (the
 * first one of a workspace, a trim: minutes on a GPU, hours on a CPU) would hold every completion until it
 * ends. So the prefix is evaluated in steps of whole chunks, about a second each, sent between keystrokes
 * (after the slot has been quiet for a moment), and a completion meanwhile uses the chunks evaluated so far
 * (CompletionService): it answers at once with a growing part of the workspace instead of waiting for all.
 *
 * Why restore + extend works with Gemma 4's sliding-window cache: the engine (patched, see
 * scripts/engine-patches/) saves the slot's context checkpoints with it, so a restored prefix can be rolled
 * back to the newest checkpoint before the first changed chunk, as in a live session, and a restored slot
 * can be extended without re-processing.
 */
import fs from "node:fs";
import { MixedPrompt } from "../engine/client";
import type { ModelManager, LoadedModel } from "../models/manager";
import { LAYOUT_VERSION, workspacePrefixEnds, workspacePrefixPrompt, type CompletionPrompt, type ContextChunk } from "./layout";
import type { PrefixTokens } from "./prefixTokens";
import { PrefixStore, type PrefixIdentity } from "./prefixStore";
import { commonPrefixLength, COMPLETION_SLOT, enginePid, evaluateOnCompletionSlot, type SlotContents } from "./slotContents";
import { seedOf } from "../workspace/index";

/**
 * A saved prefix is restored when at least this share of it is still the start of the current one. The
 * engine then rolls it back to its newest saved checkpoint before the first change, so even a small shared
 * part saves its prefill; below this share the restore itself is not worth its I/O.
 */
const MIN_SHARED = 0.05;

/** A warm-up step aims at this long on the slot: about the longest a completion waits behind one. */
const STEP_TARGET_MS = 1000;
/**
 * But no step is smaller than this: a completion between two steps leaves the engine to roll the slot back
 * to the last step's end, and with the context checkpoints spaced by the plan (a 32nd of the prefix budget:
 * 2.3K tokens at 128K context) smaller steps re-evaluated more than they added (measured in the bench at
 * ~1K-token steps: 371K background tokens instead of 122K).
 */
const MIN_STEP_TOKENS = 8192;
const MAX_STEP_TOKENS = 65536;
/** Between steps the warm-up waits until no completion ran for this long (typing goes first). */
const STEP_QUIET_MS = 300;
/** The token every Gemma turn starts with: chunk boundaries in the prefix's ids. */
const TURN_START = "<|turn>";

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
  /** Evaluation requests sent (the steps). */
  requests: number;
  /** Why a saved cache was not used, when there was a reason. */
  notRestored?: string;
}

/** After each warm-up step but the last: tokens of the prefix in the slot now, and when done. */
export type WarmStepListener = (tokens: number, targetTokens: number) => void;

export interface WorkspacePrefixOptions {
  /** Where the prefix is persisted (the engine's --slot-save-path); none = never persisted. */
  store?: PrefixStore;
  /**
   * Minimum time between saves of a changed prefix. A 12B prefix at 256K is gigabytes: saving after every
   * edit would wear the disk for little gain, because a restore rolls forward from an older save cheaply.
   * (Not after a warm-up that evaluated most of the prefix anew: that one is saved at once.)
   */
  saveIntervalMs?: number;
  log?: (message: string) => void;
  /** What the completions slot holds (shared with the completion service); without it every call evaluates. */
  slot?: SlotContents;
  /** Tokenizes the prefix once for the warm-up and the completions that follow (shared with them). */
  tokens?: PrefixTokens;
  /** Step pacing (tests): target milliseconds per step, the smallest step, and the quiet time before each. */
  stepTargetMs?: number;
  minStepTokens?: number;
  stepQuietMs?: number;
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
  /** The id of TURN_START, per engine process. */
  private turnToken?: { pid: number; id: number };

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
  warm(chunks: ContextChunk[], signal?: AbortSignal, onStep?: WarmStepListener): Promise<PrefixWarmResult | undefined> {
    // From now on completions know the slot is being filled (see CompletionService.layoutFor).
    const filled = this.opts.slot?.beginBackgroundFill();
    const next = this.running.then(() => this.warmNow(chunks, signal, onStep)).finally(filled);
    this.running = next.catch(() => undefined);
    return next;
  }

  /**
   * Tokens of the prefix for `chunks` when the completions slot already holds it (what warm() left alone:
   * after a file at the tail was deleted, the slot holds more than the prefix, which is still in it), else
   * undefined. Tokenizes it once; completions then send those ids.
   */
  async heldTokens(chunks: ContextChunk[], signal?: AbortSignal): Promise<number | undefined> {
    if (!chunks.length || !this.opts.tokens) return undefined;
    const loaded = await this.models.ensureLoaded();
    if (loaded.info.api === "openai") return undefined;
    const { prompt } = workspacePrefixLayout(chunks, loaded);
    if (!this.opts.slot?.startsWith(prompt)) return undefined;
    return (await this.opts.tokens.ensure(loaded.client, prompt, signal))?.length;
  }

  /** Resolves when no warm-up is running or queued (a failed one included). */
  async idle(): Promise<void> {
    await this.running;
  }

  private async warmNow(chunks: ContextChunk[], signal?: AbortSignal, onStep?: WarmStepListener): Promise<PrefixWarmResult | undefined> {
    if (!chunks.length) return undefined;
    const loaded = await this.models.ensureLoaded();
    // An OpenAI-compatible endpoint has no slot to keep it in: each completion sends the prefix as text.
    if (loaded.info.api === "openai") return undefined;
    const { prompt, mode } = workspacePrefixLayout(chunks, loaded);
    if (this.opts.slot?.startsWith(prompt)) return undefined;
    const store = loaded.info.kind === "local" ? this.opts.store : undefined;
    const identity = store ? await this.identity(loaded) : undefined;
    const result: PrefixWarmResult = { tokens: 0, processedTokens: 0, restoredTokens: 0, restoreMs: 0, evaluateMs: 0, savedBytes: 0, requests: 0 };

    const pid = enginePid(this.models);
    if (store && identity && this.restoreAttemptedFor !== pid) {
      this.restoreAttemptedFor = pid;
      const t0 = performance.now();
      const why = await this.restore(store, identity, prompt, loaded, result, signal);
      result.restoreMs = performance.now() - t0;
      if (why) result.notRestored = why;
    }

    const ids = await this.opts.tokens?.ensure(loaded.client, prompt, signal);
    const tokenEnds = mode === "gemma-turns" && ids ? await this.chunkTokenEnds(loaded, ids, chunks.length, signal) : undefined;
    if (tokenEnds) {
      await this.evaluateInSteps(loaded, chunks, prompt, ids!, tokenEnds, result, signal, onStep);
    } else {
      const t1 = performance.now();
      const evaluated = await evaluateOnCompletionSlot(loaded.client, ids ?? prompt, prompt, mode, signal);
      this.opts.slot?.record(prompt);
      result.evaluateMs = performance.now() - t1;
      result.tokens = evaluated.stats.promptTokens;
      result.processedTokens = evaluated.stats.processedTokens;
      result.requests = 1;
    }

    const interval = this.opts.saveIntervalMs ?? 5 * 60_000;
    // Most of the prefix evaluated anew (a trim, a folder added): the last save is mostly stale and a restart
    // would evaluate it all again, so this one is saved at once.
    const mostlyNew = result.processedTokens > result.tokens / 2;
    if (store && identity && prompt !== this.savedPrompt && (!this.lastSaveAt || mostlyNew || Date.now() - this.lastSaveAt >= interval)) {
      result.savedBytes = await this.save(store, identity, prompt, result.tokens, chunks, loaded, signal);
    }
    return result;
  }

  /**
   * Evaluates the prefix from the first chunk the slot does not hold, a few whole chunks per request (each
   * ends where a chunk's turn ends, so the slot then holds exactly a shorter prefix: a completion on it is a
   * cache hit, and the next step rolls the completion back to that turn start like a keystroke does), sized
   * from the engine's measured speed to take about STEP_TARGET_MS, each sent once completions are quiet.
   */
  private async evaluateInSteps(
    loaded: LoadedModel,
    chunks: ContextChunk[],
    prompt: string,
    ids: number[],
    tokenEnds: number[],
    result: PrefixWarmResult,
    signal?: AbortSignal,
    onStep?: WarmStepListener,
  ): Promise<void> {
    const charEnds = workspacePrefixEnds(chunks);
    const held = this.opts.slot?.sharedLength(prompt) ?? 0;
    let k = 0;
    while (k < chunks.length && charEnds[k] <= held) k++;
    // (all of it held was checked before; a slot that does hold it still gets its last chunk confirmed)
    if (k === chunks.length) k--;
    const targetMs = this.opts.stepTargetMs ?? STEP_TARGET_MS;
    const minStep = this.opts.minStepTokens ?? MIN_STEP_TOKENS;
    let stepTokens = minStep;
    while (k < chunks.length) {
      await this.opts.slot?.quiet(this.opts.stepQuietMs ?? STEP_QUIET_MS, signal);
      const from = k === 0 ? 0 : tokenEnds[k - 1];
      let next = k + 1;
      while (next < chunks.length && tokenEnds[next - 1] - from < stepTokens) next++;
      const text = prompt.slice(0, charEnds[next - 1]);
      const stepIds = ids.slice(0, tokenEnds[next - 1]);
      const t0 = performance.now();
      // (the slot's record stays at the last step until this one is done: it holds at least that)
      const evaluated = await evaluateOnCompletionSlot(loaded.client, new MixedPrompt(stepIds, ""), text, "gemma-turns", signal);
      const ms = performance.now() - t0;
      this.opts.slot?.record(text);
      this.opts.tokens?.remember(text, stepIds);
      k = next;
      result.requests++;
      result.evaluateMs += ms;
      result.processedTokens += evaluated.stats.processedTokens;
      result.tokens = evaluated.stats.promptTokens;
      if (k < chunks.length) onStep?.(result.tokens, ids.length);
      const msPerToken = ms / Math.max(1, evaluated.stats.processedTokens);
      if (evaluated.stats.processedTokens >= 64) stepTokens = Math.round(Math.min(MAX_STEP_TOKENS, Math.max(minStep, targetMs / msPerToken)));
    }
  }

  /**
   * Where each chunk's turn ends in `ids` (the next turn's start, or the end), or undefined when the turns
   * cannot be matched to the chunks (then the prefix goes in one request).
   */
  private async chunkTokenEnds(loaded: LoadedModel, ids: number[], chunkCount: number, signal?: AbortSignal): Promise<number[] | undefined> {
    const pid = enginePid(this.models);
    if (this.turnToken?.pid !== pid) {
      const [id, ...more] = await loaded.client.tokenize(TURN_START, signal);
      if (id === undefined || more.length) return undefined;
      this.turnToken = { pid, id };
    }
    return turnTokenEnds(ids, this.turnToken.id, chunkCount);
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
      this.opts.slot?.record(read.saved.prompt);
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

/**
 * Where each chunk's turn ends in the token ids of a Gemma-turns workspace prefix (a system turn, then one turn
 * per chunk): at the next TURN_START token, or the end. File content cannot contain TURN_START (layout.ts
 * escapes special tokens), so every one starts a turn. Undefined when the count does not match.
 */
export function turnTokenEnds(ids: readonly number[], turnId: number, chunkCount: number): number[] | undefined {
  const starts: number[] = [];
  for (let i = 0; i < ids.length; i++) if (ids[i] === turnId) starts.push(i);
  if (starts.length !== chunkCount + 1 || starts[0] > 1) return undefined;
  return [...starts.slice(2), ids.length];
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
