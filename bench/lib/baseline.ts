// Baseline context policy: what llama.vscode (ggml-org/llama.vscode, src/extra-context.ts and
// src/completion.ts) sends, re-implemented so the bench can compare Hearth against it with the same
// engine and prompt renderer.
//
// llama.vscode's behaviour, as modelled here:
//  - prefix window: the 256 lines before the cursor line (+ the cursor line up to the cursor);
//    suffix window: the rest of the cursor line + 64 lines after it;
//  - extra context ("input_extra"): a ring of at most 16 chunks of up to 64 lines. Chunks are
//    picked around the cursor when a file is opened (also around the cursor of the file being
//    left), on save (around the cursor if the saved file is active, else a random half-chunk of
//    the whole file), and after a completion when the cursor moved more than 32 lines since the
//    last pick (one chunk from beyond the prefix window, one from beyond the suffix window);
//  - a picked chunk of >= 64 lines is cut to a random 32-line piece; chunks of < 3 lines are
//    ignored; an exact duplicate is dropped; chunks whose line-set Jaccard similarity with the
//    new one is > 0.9 are evicted (open/save picks only, as upstream);
//  - picks go to a queue (at most 16, oldest dropped) and move into the ring one per
//    ringUpdate() (upstream: a 1 s timer while no completion started recently); the ring is FIFO.
//  - requests go with cache_prompt and one in flight (the runner's business, not this class's).
//
// The ring chunks become CompletionInput.workspaceChunks so Hearth's layoutCompletionPrompt renders
// both policies; only the choice of context differs. Randomness is seeded (deterministic runs).

import type { CompletionInput, ContextChunk } from "../../server/completion/layout";
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
  /** skip the queue: picked chunks enter the ring at once (default false) */
  immediate?: boolean;
  seed?: number;
}

export interface RingChunk extends ContextChunk {
  lines: string[];
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

export class LlamaVscodeContext {
  readonly opts: Required<Omit<LlamaVscodeOptions, "seed">>;
  /** the ring sent as input_extra, oldest first */
  readonly ring: RingChunk[] = [];
  readonly queue: RingChunk[] = [];
  /** chunks evicted for similarity (statistic) */
  evictions = 0;
  private readonly rng: Rng;
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
      immediate: opts.immediate ?? false,
    };
    this.rng = new Rng(opts.seed ?? 1, "llama.vscode");
  }

  /** The editor switched to `path`: chunk around the cursor of the file left and of the new one. */
  onOpen(path: string, text: string, cursorLine: number): void {
    if (this.active && this.active.path !== path) this.pickAroundCursor(this.active.path, this.active.text, this.active.cursorLine);
    this.active = { path, text, cursorLine };
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
   * The document changed / a completion was shown with the cursor on `cursorLine` (upstream:
   * addFimContextChunks after each completion). When the cursor moved more than 32 lines since the
   * last pick, pick the context just beyond the prefix and suffix windows (no similarity eviction).
   */
  onEdit(path: string, text: string, cursorLine: number): void {
    if (this.active?.path !== path) this.active = { path, text, cursorLine };
    else Object.assign(this.active, { text, cursorLine });
    if (Math.abs(cursorLine - this.lastPickLine) <= this.opts.maxLastPickLineDistance) return;
    const lines = splitLines(text);
    const last = lines.length - 1;
    const o = this.opts;
    this.pick(path, lines.slice(Math.max(0, cursorLine - o.ringScope), Math.max(0, cursorLine - o.nPrefix) + 1), false);
    this.pick(path, lines.slice(Math.min(last, cursorLine + o.nSuffix), Math.min(last, cursorLine + o.nSuffix + o.chunkSize) + 1), false);
    this.lastPickLine = cursorLine;
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

  /** The request for a completion at `offset` in `text`: windowed prefix/suffix + the ring. */
  input(path: string, text: string, offset: number, languageId: string): CompletionInput {
    const before = text.slice(0, offset);
    const after = text.slice(offset);
    const prefixLines = before.split("\n"); // last element = the cursor line up to the cursor
    const suffixLines = after.split("\n"); // first element = the rest of the cursor line
    const prefix = prefixLines.slice(Math.max(0, prefixLines.length - 1 - this.opts.nPrefix)).join("\n");
    const suffix = suffixLines.slice(0, 1 + this.opts.nSuffix).join("\n");
    return {
      filePath: path,
      languageId,
      prefix,
      suffix,
      workspaceChunks: this.ring.map((c) => ({ path: c.path, text: c.text })),
    };
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
