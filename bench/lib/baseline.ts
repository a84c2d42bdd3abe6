// Baseline context policy: what llama.vscode (ggml-org/llama.vscode) sends, re-implemented so the bench
// can compare Hearth against it with the same engine and prompt renderer. Defaults are upstream's
// (src/configuration.ts: n_prefix 256, n_suffix 64, ring_n_chunks 16, ring_chunk_size 64, ring_scope 1024,
// ring_update_ms 1000, max_line_suffix 8, max_cache_keys 250, RING_UPDATE_MIN_TIME_LAST_COMPL 3000,
// MAX_QUEUED_CHUNKS 16, MAX_LAST_PICK_LINE_DISTANCE 32).
//
// Modelled, with the upstream source it follows:
//  - windows (src/completion.ts getCompletionItems): input_prefix = the 256 lines before the cursor line,
//    prompt = the cursor line up to the cursor ("" when only indentation), input_suffix = the rest of the
//    cursor line + 64 lines. An automatic completion whose line suffix is longer than 8 characters is not
//    requested at all (max_line_suffix).
//  - result cache (src/completion.ts getCachedCompletion, src/lru-cache.ts): an LRU of 250 suggestions keyed
//    by hash(input_prefix|input_suffix|prompt), ignoring the ring. A keystroke is served without a request
//    when the key is cached, or when a shorter prompt's cached suggestion starts with the characters typed
//    since (the rest of it is shown). Suggestions are cached after trailing empty lines are dropped; blank
//    ones are not cached and pick no context (upstream returns before both).
//  - ring (src/extra-context.ts): chunks of at most 64 lines, cut to a random 32-line piece when longer
//    (seeded here), < 3 lines ignored; on open/save an exact duplicate is dropped and chunks with line-set
//    Jaccard similarity > 0.9 are evicted from ring and queue; picks wait in a queue (at most 16, oldest
//    dropped) and the ring is FIFO (at most 16).
//  - picks: on switching editors (src/architect.ts setOnChangeActiveFile) two picks around the cursor:
//    upstream meant the second for the editor being left, but VS Code updates window.activeTextEditor
//    before firing onDidChangeActiveTextEditor, so both are around the NEW editor's cursor (two random
//    pieces of the same 64 lines); on save (extra-context.ts handleDocumentSave, after a 1 s debounce)
//    around the cursor when the saved file is active, else a random piece of the whole file; after each
//    shown suggestion (addFimContextChunks) when the cursor moved > 32 lines since the last such pick,
//    one chunk from ring_scope..n_prefix lines above the cursor and one just beyond the suffix window
//    (no eviction).
//  - ring timer (extra-context.ts periodicRingBufferUpdate, architect.ts setPeriodicRingBufferUpdate):
//    every 1000 ms, if a chunk is queued and no completion started in the last 3000 ms, one chunk moves
//    into the ring and updateExtraContext (src/llama-server.ts) sends a background request with
//    input_prefix = input_suffix = prompt = "", input_extra = the ring, n_predict 0, cache_prompt, so the
//    server has the new ring cached before the next keystroke. Time is virtual here (advance()): the runner
//    decides how long the user types and pauses, and sends one background request per update returned.
//
// Not modelled (and why):
//  - cacheFutureSuggestion / cacheFutureAcceptLineSuggestion (src/completion.ts): after a shown suggestion
//    upstream speculatively requests the completion that would follow accepting it. Its prompt extends the
//    current one, so the slot's cache for the next keystroke is unchanged; its entry is only used if the
//    user types the suggestion, which never happens with the bench's random-weight model; its only other
//    effect is engine time competing with the next keystroke, which this sequential replay does not model
//    for either side.
//  - t_max_prompt_ms (500) is sent upstream but llama-server does not implement it (server-task.h:
//    "TODO: implement"); t_max_predict_ms and n_predict 128 are replaced by the bench's 16 greedy tokens
//    on both sides, so decode cost is equal and the comparison is about context handling.
//  - --cache-reuse 256 (upstream's recommended llama-server presets, llama.cpp common/arg.cpp
//    --fim-qwen-*-default) lets the server shift KV chunks when the FIFO ring drops its oldest chunk;
//    llama-server disables it for Gemma 4's sliding-window cache ("cache_reuse is not supported by this
//    context"), so here a ring shift re-processes the ring (on its usual non-SWA FIM models it would not).
//  - /infill vs /completion: Gemma 4 has no FIM tokens, so both policies are rendered by Hearth's
//    layoutCompletionPrompt (ring chunks first, then suffix, then the prefix ending at the cursor: the same
//    append-only order as /infill's [extra][prefix][suffix][middle + prompt]).
//
// The ring chunks become CompletionInput.workspaceChunks so Hearth's layoutCompletionPrompt renders both
// policies; only the choice of context differs. Randomness is seeded (deterministic runs).

import { createHash } from "node:crypto";
import type { CompletionInput, ContextChunk, LayoutOptions } from "../../server/completion/layout";
import { Rng } from "../../server/gguf/random";

export interface LlamaVscodeOptions {
  /** ring_n_chunks (default 16) */
  nChunks?: number;
  /** ring_chunk_size in lines (default 64) */
  chunkSize?: number;
  /** n_prefix lines (default 256) */
  nPrefix?: number;
  /** n_suffix lines (default 64) */
  nSuffix?: number;
  /** ring_scope: lines before the cursor considered for the after-completion pick (default 1024) */
  ringScope?: number;
  /** MAX_QUEUED_CHUNKS (default 16) */
  maxQueued?: number;
  /** MAX_LAST_PICK_LINE_DISTANCE (default 32) */
  maxLastPickLineDistance?: number;
  /** Jaccard similarity above which a chunk evicts an older one (default 0.9) */
  similarity?: number;
  /** max_line_suffix: no automatic completion when more characters follow the cursor (default 8) */
  maxLineSuffix?: number;
  /** max_cache_keys: size of the suggestion LRU (default 250) */
  maxCacheKeys?: number;
  /** ring_update_ms: period of the ring timer (default 1000) */
  ringUpdateMs?: number;
  /** RING_UPDATE_MIN_TIME_LAST_COMPL: the timer moves nothing this soon after a completion started (default 3000) */
  ringUpdateMinTimeLastCompl?: number;
  /** skip the queue: picked chunks enter the ring at once (default false; for tests) */
  immediate?: boolean;
  seed?: number;
}

export interface RingChunk extends ContextChunk {
  lines: string[];
}

/** One keystroke's completion request, split as upstream splits it (the cache key's parts). */
export interface BaselineRequest {
  path: string;
  text: string;
  cursorLine: number;
  /** the 256 lines before the cursor line, each ending in "\n" */
  inputPrefix: string;
  /** the rest of the cursor line + "\n" + 64 lines + "\n" */
  inputSuffix: string;
  /** the cursor line up to the cursor ("" when it is only indentation) */
  prompt: string;
  lineSuffix: string;
  /** false when upstream would not request (line suffix longer than max_line_suffix) */
  requested: boolean;
  /** what the shared layout renders: windowed prefix/suffix + the ring */
  input: CompletionInput;
}

function splitLines(text: string): string[] {
  return text.split(/\r?\n/);
}

/** Jaccard similarity of the sets of lines (upstream's jaccardSimilarity). */
export function chunkSimilarity(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 && b.length === 0) return 1;
  const sa = new Set(a);
  const sb = new Set(b);
  let inter = 0;
  for (const x of sa) if (sb.has(x)) inter++;
  return inter / (sa.size + sb.size - inter);
}

/** upstream's LRUCache (src/lru-cache.ts): Map insertion order is the recency order. */
class Lru {
  private readonly map = new Map<string, string>();
  constructor(private readonly capacity: number) {}

  get(key: string): string | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }

  put(key: string, value: string): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value!);
  }

  get size(): number {
    return this.map.size;
  }
}

const hash = (s: string) => createHash("sha256").update(s).digest("hex");

export class LlamaVscodeContext {
  readonly opts: Required<Omit<LlamaVscodeOptions, "seed">>;
  /** the ring sent as input_extra, oldest first */
  readonly ring: RingChunk[] = [];
  readonly queue: RingChunk[] = [];
  /** chunks evicted for similarity (statistic) */
  evictions = 0;
  /** virtual clock (ms) driving the ring timer */
  now = 0;
  private lastComplStart = 0;
  private readonly rng: Rng;
  private readonly cache: Lru;
  private active: { path: string; text: string; cursorLine: number } | null = null;
  private lastPickLine = -9999;

  constructor(opts: LlamaVscodeOptions = {}) {
    this.opts = {
      nChunks: opts.nChunks ?? 16,
      chunkSize: opts.chunkSize ?? 64,
      nPrefix: opts.nPrefix ?? 256,
      nSuffix: opts.nSuffix ?? 64,
      ringScope: opts.ringScope ?? 1024,
      maxQueued: opts.maxQueued ?? 16,
      maxLastPickLineDistance: opts.maxLastPickLineDistance ?? 32,
      similarity: opts.similarity ?? 0.9,
      maxLineSuffix: opts.maxLineSuffix ?? 8,
      maxCacheKeys: opts.maxCacheKeys ?? 250,
      ringUpdateMs: opts.ringUpdateMs ?? 1000,
      ringUpdateMinTimeLastCompl: opts.ringUpdateMinTimeLastCompl ?? 3000,
      immediate: opts.immediate ?? false,
    };
    this.rng = new Rng(opts.seed ?? 1, "llama.vscode");
    this.cache = new Lru(this.opts.maxCacheKeys);
  }

  // ---- editor events ----------------------------------------------------------------------------

  /**
   * The editor switched to `path` with the cursor on `cursorLine`. Upstream picks around the cursor of
   * window.activeTextEditor and of the new editor, which VS Code has already made the same one.
   */
  onOpen(path: string, text: string, cursorLine: number): void {
    this.active = { path, text, cursorLine };
    this.pickAroundCursor(path, text, cursorLine);
    this.pickAroundCursor(path, text, cursorLine);
  }

  /** `path` was saved: chunk around the cursor if it is the active file, else from anywhere in it. */
  onSave(path: string, text: string): void {
    if (this.active?.path === path) {
      this.active.text = text;
      this.pickAroundCursor(path, text, this.active.cursorLine);
    } else {
      this.pick(path, splitLines(text), true);
    }
  }

  /**
   * A suggestion was shown with the cursor on `cursorLine` (upstream: addFimContextChunks). When the
   * cursor moved more than 32 lines since the last pick, pick the context just beyond the prefix and
   * suffix windows (no similarity eviction).
   */
  onEdit(path: string, text: string, cursorLine: number): void {
    this.track(path, text, cursorLine);
    if (Math.abs(cursorLine - this.lastPickLine) <= this.opts.maxLastPickLineDistance) return;
    const lines = splitLines(text);
    const last = lines.length - 1;
    const o = this.opts;
    this.pick(path, lines.slice(Math.max(0, cursorLine - o.ringScope), Math.max(0, cursorLine - o.nPrefix) + 1), false);
    this.pick(path, lines.slice(Math.min(last, cursorLine + o.nSuffix), Math.min(last, cursorLine + o.nSuffix + o.chunkSize) + 1), false);
    this.lastPickLine = cursorLine;
  }

  // ---- time and the ring timer ------------------------------------------------------------------

  /**
   * `ms` of virtual time pass. The ring timer fires at every multiple of ringUpdateMs; a tick with a
   * queued chunk and no completion started in the last ringUpdateMinTimeLastCompl ms moves one chunk
   * into the ring. Returns the ring after each such update: upstream sends one background request each.
   */
  advance(ms: number): ContextChunk[][] {
    const end = this.now + ms;
    const period = this.opts.ringUpdateMs;
    const updates: ContextChunk[][] = [];
    for (let t = (Math.floor(this.now / period) + 1) * period; t <= end; t += period) {
      if (this.queue.length === 0) break; // nothing can be queued while time passes
      if (t - this.lastComplStart < this.opts.ringUpdateMinTimeLastCompl) continue;
      this.ringUpdate();
      updates.push(this.extraContext());
    }
    this.now = end;
    return updates;
  }

  /** Move the oldest queued chunk into the ring (FIFO, at most nChunks). Returns whether the ring changed. */
  ringUpdate(): boolean {
    const c = this.queue.shift();
    if (!c) return false;
    this.pushRing(c);
    return true;
  }

  /** Drain the whole queue into the ring. */
  flushQueue(): void {
    while (this.ringUpdate());
  }

  /** The ring as input_extra. */
  extraContext(): ContextChunk[] {
    return this.ring.map((c) => ({ path: c.path, text: c.text }));
  }

  /** upstream's updateExtraContext request: empty prefix/suffix/prompt, the ring as context. */
  backgroundInput(path: string, languageId: string): CompletionInput {
    return { filePath: path, languageId, prefix: "", suffix: "", workspaceChunks: this.extraContext() };
  }

  // ---- completions ------------------------------------------------------------------------------

  /**
   * A completion is triggered at `offset` (upstream sets lastComplStartTime first, even when it then
   * does not request). Returns the request as upstream would form it.
   */
  request(path: string, text: string, offset: number, languageId: string): BaselineRequest {
    this.lastComplStart = this.now;
    const req = this.split(path, text, offset, languageId);
    this.track(path, text, req.cursorLine);
    return req;
  }

  /** The completion input for `offset` (no side effects). */
  input(path: string, text: string, offset: number, languageId: string): CompletionInput {
    return this.split(path, text, offset, languageId).input;
  }

  private split(path: string, text: string, offset: number, languageId: string): BaselineRequest {
    const before = text.slice(0, offset).split(/\r?\n/); // last element = the cursor line up to the cursor
    const after = text.slice(offset).split(/\r?\n/); // first element = the rest of the cursor line
    const cursorLine = before.length - 1;
    const linePrefix = before[cursorLine];
    const lineSuffix = after[0];
    const prefixLines = before.slice(Math.max(0, cursorLine - this.opts.nPrefix), cursorLine);
    const suffixLines = after.slice(1, 1 + this.opts.nSuffix);
    return {
      path,
      text,
      cursorLine,
      inputPrefix: prefixLines.join("\n") + "\n",
      inputSuffix: lineSuffix + "\n" + suffixLines.join("\n") + "\n",
      prompt: /^[ \t]*$/.test(linePrefix) ? "" : linePrefix,
      lineSuffix,
      requested: lineSuffix.length <= this.opts.maxLineSuffix,
      input: {
        filePath: path,
        languageId,
        prefix: [...prefixLines, linePrefix].join("\n"),
        suffix: [lineSuffix, ...suffixLines].join("\n"),
        workspaceChunks: this.extraContext(),
      },
    };
  }

  /** The suggestion upstream would show from its cache for `req`, without a request (getCachedCompletion). */
  cached(req: BaselineRequest): string | undefined {
    const exact = this.cache.get(this.key(req, req.prompt));
    if (exact !== undefined) return exact;
    for (let i = req.prompt.length; i >= 0; i--) {
      const typed = req.prompt.slice(i);
      const hit = this.cache.get(this.key(req, req.prompt.slice(0, i)));
      if (hit !== undefined && hit.slice(0, typed.length) === typed) return hit.slice(typed.length);
    }
    return undefined;
  }

  /**
   * The engine answered `content` for `req` (or the cache did, `fromCache`): cache the suggestion and,
   * when there is one to show, pick context around the cursor. Returns the suggestion ("" = none shown).
   */
  completed(req: BaselineRequest, content: string, fromCache = false): string {
    const lines = content.split(/\r?\n/);
    while (lines.length > 0 && lines[lines.length - 1].trim() === "") lines.pop(); // removeTrailingNewLines
    if (lines.length === 0 || content.trim() === "") return "";
    const suggestion = updateSuggestion(lines, req.lineSuffix);
    if (!fromCache) this.cache.put(this.key(req, req.prompt), suggestion);
    this.onEdit(req.path, req.text, req.cursorLine);
    return suggestion;
  }

  /** Layout options that keep the baseline's own windows whole (the shared layout would re-window them). */
  layoutOptions(): Pick<LayoutOptions, "maxPrefixLines" | "maxSuffixLines"> {
    return { maxPrefixLines: this.opts.nPrefix + 1, maxSuffixLines: this.opts.nSuffix + 1 };
  }

  get cacheSize(): number {
    return this.cache.size;
  }

  // ---- internals --------------------------------------------------------------------------------

  private key(req: BaselineRequest, prompt: string): string {
    return hash(req.inputPrefix + "|" + req.inputSuffix + "|" + prompt);
  }

  private track(path: string, text: string, cursorLine: number): void {
    if (this.active?.path !== path) this.active = { path, text, cursorLine };
    else Object.assign(this.active, { text, cursorLine });
  }

  private pickAroundCursor(path: string, text: string, cursorLine: number): void {
    const lines = splitLines(text);
    const half = this.opts.chunkSize / 2;
    this.pick(path, lines.slice(Math.max(0, cursorLine - half), Math.min(cursorLine + half, lines.length - 1) + 1), true);
  }

  /** upstream pickChunk (noMod is not modelled: the bench saves after every hunk) */
  private pick(path: string, lines: string[], evict: boolean): void {
    const o = this.opts;
    if (o.nChunks <= 0 || lines.length < 3) return;
    let chunk = lines;
    if (lines.length + 1 >= o.chunkSize) {
      const start = this.rng.nextInt(Math.max(0, lines.length - o.chunkSize / 2 + 1));
      chunk = lines.slice(start, Math.min(start + o.chunkSize / 2, lines.length));
    }
    const text = chunk.join("\n") + "\n";
    if (evict && (this.ring.some((c) => c.text === text) || this.queue.some((c) => c.text === text))) return;
    if (evict) {
      for (const list of [this.ring, this.queue]) {
        for (let i = list.length - 1; i >= 0; i--) {
          if (chunkSimilarity(list[i].lines, chunk) > o.similarity) {
            list.splice(i, 1);
            this.evictions++;
          }
        }
      }
    }
    const c: RingChunk = { path, text, lines: chunk };
    if (o.immediate) {
      this.pushRing(c);
      return;
    }
    if (this.queue.length >= o.maxQueued) this.queue.shift();
    this.queue.push(c);
  }

  private pushRing(c: RingChunk): void {
    this.ring.push(c);
    while (this.ring.length > this.opts.nChunks) this.ring.shift();
  }
}

/** upstream updateSuggestion: with code after the cursor only the first line is kept. */
function updateSuggestion(lines: string[], lineSuffix: string): string {
  if (lineSuffix.trim() !== "") {
    if (lines[0].endsWith(lineSuffix)) return lines[0].slice(0, -lineSuffix.length);
    if (lines.length > 1) return lines[0];
  }
  return lines.join("\n");
}
