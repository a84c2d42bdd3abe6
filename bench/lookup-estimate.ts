// Teacher-forced estimate of llama.cpp's n-gram "prompt lookup" drafting (--spec-type ngram-simple /
// ngram-map-k / ngram-map-k4v) on the bench's pinned edit trace: would drafts copied from the prompt make
// Hearth's completions cheaper? Real weights cannot run here, so the model's greedy output is taken to be what
// the developer typed (then the file's following text): an upper bound on what lookup can be right about.
//
//   npm run bench:lookup -- [--keystrokes 400] [--every 1] [--n-predict 16] [--out bench/results/lookup-estimate.md]
//
// Model of decoding. Token 0 comes from the prompt pass (no draft rides on it). Every later pass is a round:
// the lookup sees history = prompt + generated tokens but the last, and `sampled` = the last generated token;
// the draft is cut to n_remaining - 1 (llama-server's get_n_draft_max); the target verifies 1 + draft rows and
// yields accepted + 1 tokens. Without drafting, N tokens = N passes. The lookups are ports of
// common/ngram-map.cpp at the pinned llama.cpp (their quirks kept and marked "sic"). The tokenizer is the real
// 262,144-token Gemma 4 vocabulary (bench/lib/models.ts ensureGemma4VocabGguf, loaded vocab-only).
// README "Performance" quotes the result.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { getLlama } from "node-llama-cpp";
import { applyTraceEvent, deriveEditTrace, readTextSnapshot, replayTrace } from "./lib/editTrace";
import { ensureGemma4VocabGguf } from "./lib/models";

const REPO = fileURLToPath(new URL("..", import.meta.url));
// the bench's pinned reference trace (bench/run.ts)
const BASE = "a6d59f9";
const TARGET = "d8bdd63";

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf("--" + name);
  return i >= 0 ? process.argv[i + 1] : dflt;
}
const KEYSTROKES = Number(arg("keystrokes", "400"));
const EVERY = Number(arg("every", "1")); // a point after every K-th character of a line (and at every line start)
const N_PREDICT = Number(arg("n-predict", "16"));
const OUT = arg("out", path.join(REPO, "bench", "results", "lookup-estimate.md"));
const SIZES_N = [2, 3, 4, 6, 12];
const SIZES_M = [3, 8, 16];

export type Tok = number;

// ---------------------------------------------------------------------------------------------------------
// ngram-simple: port of common_ngram_simple_draft (common/ngram-map.cpp), with the search over the static
// workspace part answered from an index (same result: the match nearest the end wins, and every workspace
// n-gram lies before every dynamic one).
// ---------------------------------------------------------------------------------------------------------

export class StaticIndex {
  /** per n: n-gram key -> largest start j (1 <= j <= L - n) */
  private maps = new Map<number, Map<string, number>>();
  constructor(readonly toks: Tok[]) {}
  last(n: number, pattern: Tok[]): number {
    let m = this.maps.get(n);
    if (!m) {
      m = new Map();
      const t = this.toks;
      for (let j = 1; j + n <= t.length; j++) m.set(t.slice(j, j + n).join(","), j);
      this.maps.set(n, m);
    }
    return m.get(pattern.join(",")) ?? 0;
  }
}

/** tokens = static (indexed, length L) ++ dyn; returns the draft (possibly empty). */
export function ngramSimpleDraft(stat: StaticIndex | null, dyn: Tok[], sampled: Tok, n: number, m: number): Tok[] {
  const L = stat ? stat.toks.length : 0;
  const cur = L + dyn.length;
  const at = (i: number) => (i < L ? stat!.toks[i] : dyn[i - L]);
  if (cur <= n + m + 1) return [];
  const pattern: Tok[] = [];
  for (let j = cur - n + 1; j < cur; j++) pattern.push(at(j));
  pattern.push(sampled);
  let match = 0;
  // linear part: starts whose n-gram reaches into the dynamic tokens
  const lo = Math.max(1, L - n + 1);
  for (let j = cur - n - 1; j >= lo; j--) {
    if (at(j) !== pattern[0]) continue;
    let k = 1;
    while (k < n && at(j + k) === pattern[k]) k++;
    if (k === n) {
      match = j;
      break;
    }
  }
  if (match === 0 && stat && L - n >= 1) match = stat.last(n, pattern);
  if (match === 0) return [];
  const copyMax = Math.min(m, cur - (match + n));
  if (copyMax < n) return []; // sic: the source drops drafts shorter than the key (so size_m < size_n never drafts)
  const out: Tok[] = [];
  for (let j = 0; j < copyMax; j++) out.push(at(match + n + j));
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// ngram-map-k / k4v: port of common_ngram_map_begin / _draft / _accept (common/ngram-map.cpp). State per slot,
// kept across requests like the server's (one common_ngram_map per seq, begin() at each request).
// ---------------------------------------------------------------------------------------------------------

const MAX_VALUES = 4;
const HASH_SIZE = 262144;
const MAX_VALUE_COUNT = 16380;

interface MapValue { value_idx: number; value_num: number; n_accepted: number }
interface MapKey { key_idx: number; stat_idx: number; key_num: number; values: MapValue[] }

function lcgHash(tokens: ArrayLike<Tok>, start: number, len: number): number {
  let h = 0;
  for (let i = 0; i < len; i++) h = (Math.imul(h, 0x9e3779b1) + tokens[start + i]) >>> 0;
  return h;
}

export class NgramMap {
  keys: MapKey[] = [];
  size_last_begin = 0;
  last_draft_created = false;
  last_draft_key_idx = 0;
  last_draft_value_idx = 0;
  idx_last_check = 0;
  key_map = new Uint32Array(HASH_SIZE);
  key_map_last_idx = 0;
  constructor(readonly size_key: number, readonly size_value: number, readonly key_only: boolean, readonly min_hits: number) {}

  begin(size_begin: number): void {
    let idx_begin_cleanup = this.size_last_begin;
    if (idx_begin_cleanup > size_begin) {
      idx_begin_cleanup = size_begin > this.size_key + this.size_value ? size_begin - this.size_key - this.size_value : 0;
    }
    if (size_begin < this.idx_last_check) {
      const km = this.key_map;
      for (let i = 0; i < km.length; i++) if (km[i] !== 0 && km[i] >= idx_begin_cleanup) km[i] = 0;
      this.key_map_last_idx = idx_begin_cleanup > 0 ? idx_begin_cleanup - 1 : 0;
    }
    if (size_begin < this.idx_last_check && this.keys.length > 0) {
      for (let i = this.keys.length - 1; i >= 0; i--) {
        const key = this.keys[i];
        if (key.key_idx >= idx_begin_cleanup) {
          this.keys.splice(i, 1);
          continue;
        }
        if (this.key_only) continue;
        for (let j = MAX_VALUES - 1; j >= 0; j--) {
          const v = key.values[j];
          if (v.value_idx !== 0 && v.value_idx >= idx_begin_cleanup) {
            for (let k = j; k < MAX_VALUES - 1; k++) key.values[k] = key.values[k + 1];
            key.values[MAX_VALUES - 1] = { ...key.values[MAX_VALUES - 1], value_idx: 0, value_num: 0 };
          }
        }
        if (key.values[0].value_idx === 0) this.keys.splice(i, 1);
      }
    }
    this.idx_last_check = size_begin;
    this.size_last_begin = size_begin;
  }

  draft(inp: Tok[], sampled: Tok): Tok[] {
    const draft: Tok[] = [];
    this.last_draft_created = false;
    this.last_draft_key_idx = 0;
    this.last_draft_value_idx = 0;
    const cur_len = inp.length;
    const n = this.size_key;
    const m = this.size_value;
    if (cur_len < 2 * n + m) return draft;
    this.idx_last_check = cur_len;
    const key_tokens: Tok[] = [];
    for (let j = cur_len - n + 1; j < cur_len; j++) key_tokens.push(inp[j]);
    key_tokens.push(sampled);
    const keyAt = (j: number) => {
      for (let k = 0; k < n; k++) if (inp[j + k] !== key_tokens[k]) return false;
      return true;
    };
    let match_pos = 0;
    {
      const idx_hash = lcgHash(key_tokens, 0, n) % HASH_SIZE;
      const idx_key = this.key_map[idx_hash];
      if (idx_key !== 0 && idx_key < cur_len - n - m - 1 && keyAt(idx_key)) match_pos = idx_key;
    }
    if (match_pos === 0 && this.size_last_begin > n + m + 1) {
      for (let j = this.size_last_begin - n - m - 1; j > this.key_map_last_idx; j--) {
        if (keyAt(j)) {
          match_pos = j;
          break;
        }
      }
    }
    if (match_pos === 0) {
      for (let j = cur_len - n - m - 1; j > this.size_last_begin && j > this.key_map_last_idx; j--) {
        if (keyAt(j)) {
          match_pos = j;
          break;
        }
      }
    }
    // add hashes of new n-grams
    if (this.size_last_begin > n + m + 1) {
      for (let j = this.size_last_begin - n - m - 1; j > this.key_map_last_idx; j--) {
        const h = lcgHash(inp, j, n) % HASH_SIZE;
        if (this.key_map[h] === 0) this.key_map[h] = j;
      }
    }
    for (let j = cur_len - n - m - 1; j > this.size_last_begin && j > this.key_map_last_idx; j--) {
      const h = lcgHash(inp, j, n) % HASH_SIZE;
      if (this.key_map[h] === 0) this.key_map[h] = j;
    }
    this.key_map_last_idx = Math.max(cur_len - n - m - 1, this.key_map_last_idx);

    if (match_pos === 0) return draft;

    let key_offset = this.keys.length;
    for (let i = 0; i < this.keys.length; i++) {
      if (keyAt(this.keys[i].key_idx)) {
        key_offset = i;
        break;
      }
    }
    if (key_offset === this.keys.length) {
      const values: MapValue[] = [];
      for (let i = 0; i < MAX_VALUES; i++) values.push({ value_idx: 0, value_num: 0, n_accepted: m });
      this.keys.push({ key_idx: match_pos, stat_idx: 0, key_num: 0, values });
    }
    const curr_key = this.keys[key_offset];
    curr_key.key_num = Math.min(curr_key.key_num + 1, MAX_VALUE_COUNT);

    if (this.key_only) {
      const nd = Math.min(m, curr_key.values[0].n_accepted);
      for (let i = 0; i < nd; i++) draft.push(inp[match_pos + n + i]);
      this.last_draft_created = true;
      this.last_draft_key_idx = key_offset;
      this.last_draft_value_idx = 0;
      return draft;
    }

    if (curr_key.key_num < this.min_hits) return draft;

    for (let i = curr_key.stat_idx; i <= match_pos; i++) {
      if (!keyAt(i)) continue;
      const vb = i + n;
      let idx_value = -1;
      for (let v = 0; v < MAX_VALUES; v++) {
        const vv = curr_key.values[v];
        if (vv.value_idx === 0) {
          vv.value_idx = vb;
          vv.value_num = 0;
          vv.n_accepted = m;
          idx_value = v;
          break;
        }
        let same = true;
        for (let j = 0; j < m; j++) if (inp[vb + j] !== inp[vv.value_idx + j]) { same = false; break; }
        if (same) { idx_value = v; break; }
      }
      if (idx_value >= 0) curr_key.values[idx_value].value_num = Math.min(curr_key.values[idx_value].value_num + 1, MAX_VALUE_COUNT);
    }
    curr_key.stat_idx = match_pos;
    let max_occur = 0;
    let slot_max = 0;
    for (let v = 0; v < MAX_VALUES; v++) if (curr_key.values[v].value_num > max_occur) { max_occur = curr_key.values[v].value_num; slot_max = v; }
    let sum_occur = 0;
    for (let v = 0; v < MAX_VALUES; v++) if (v !== slot_max) sum_occur += curr_key.values[v].value_num;
    if (sum_occur > 0 && max_occur < 2 * sum_occur) return draft;
    const nd = Math.min(m, curr_key.values[slot_max].n_accepted);
    // sic: the source copies the tokens after match_pos, not after values[slot_max].value_idx
    for (let i = 0; i < nd; i++) draft.push(inp[match_pos + n + i]);
    this.last_draft_created = true;
    this.last_draft_key_idx = key_offset;
    this.last_draft_value_idx = slot_max;
    return draft;
  }

  accept(n_accepted: number): void {
    if (!this.last_draft_created) return;
    this.keys[this.last_draft_key_idx].values[this.last_draft_value_idx].n_accepted = n_accepted;
  }
}

// ---------------------------------------------------------------------------------------------------------
// decoding simulation
// ---------------------------------------------------------------------------------------------------------

export interface Stats {
  points: number;
  tokens: number;
  passes: number;
  rounds: number; // passes after the prompt pass
  drafted: number; // rounds with a non-empty draft
  draftTokens: number;
  accepted: number;
}
export const newStats = (): Stats => ({ points: 0, tokens: 0, passes: 0, rounds: 0, drafted: 0, draftTokens: 0, accepted: 0 });

/** draftFn(history-without-sampled as dyn tokens appended to the prompt, sampled, maxDraft) */
export function simulate(truth: Tok[], nPredict: number, st: Stats, draftFn: (gen: Tok[], sampled: Tok, cap: number) => Tok[], acceptFn?: (n: number) => void): void {
  const gen: Tok[] = [truth[0]];
  st.points++;
  st.passes++;
  while (gen.length < nPredict) {
    const cap = nPredict - gen.length - 1; // n_remaining - 1
    let draft: Tok[] = [];
    if (cap > 0) {
      draft = draftFn(gen.slice(0, -1), gen[gen.length - 1], cap);
      if (draft.length > cap) draft = draft.slice(0, cap);
    }
    let acc = 0;
    while (acc < draft.length && draft[acc] === truth[gen.length + acc]) acc++;
    if (draft.length > 0) {
      st.drafted++;
      st.draftTokens += draft.length;
      st.accepted += acc;
      acceptFn?.(acc);
    }
    for (let i = 0; i <= acc && gen.length < nPredict; i++) gen.push(truth[gen.length]);
    st.passes++;
    st.rounds++;
  }
  st.tokens += gen.length;
}

// ---------------------------------------------------------------------------------------------------------

function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** the last `maxLines` lines of `text` (at most maxChars from the end), or the first ones */
function lines(text: string, fromEnd: boolean, maxLines: number, maxChars: number): string {
  const ls = text.split("\n");
  if (fromEnd) {
    const t = ls.slice(-maxLines).join("\n");
    return t.length > maxChars ? t.slice(t.length - maxChars) : t;
  }
  return ls.slice(0, maxLines).join("\n").slice(0, maxChars);
}

/** base ++ gen as one array, extended in place as gen grows (gen only grows within one simulate()) */
class Extender {
  buf: Tok[];
  constructor(readonly base: Tok[]) { this.buf = base.slice(); }
  with(gen: Tok[]): Tok[] {
    const b = this.buf;
    while (b.length < this.base.length + gen.length) b.push(gen[b.length - this.base.length]);
    return b;
  }
  reset(): void { this.buf.length = this.base.length; }
}

async function main() {
  const t0 = Date.now();
  const modelPath = await ensureGemma4VocabGguf();
  const llama = await getLlama({ gpu: false, build: "never" });
  const model = await llama.loadModel({ modelPath, vocabOnly: true });
  const tok = (s: string): Tok[] => Array.from(model.tokenize(s, false) as unknown as number[]);
  console.error(`tokenizer: ${modelPath}`);

  const trace = await deriveEditTrace(REPO, { baseRef: BASE, targetRef: TARGET, maxKeystrokes: KEYSTROKES });
  console.error(`trace ${trace.baseCommit.slice(0, 7)}..${trace.targetCommit.slice(0, 7)}: ${trace.keystrokes} keystrokes, ${trace.hunks.length} hunks in ${trace.editedFiles.join(", ")}`);

  // workspace: tracked text files at base, <= 200 KB, no lock files, sorted by path
  const snap = await readTextSnapshot(REPO, trace.baseCommit, 200 * 1024);
  const LOCK = /(^|\/)[^/]*lock[^/]*$|\.lock$/i;
  const wsPaths = [...snap.keys()].filter((p) => !LOCK.test(p)).sort();
  const W: Tok[] = [];
  for (const p of wsPaths) for (const t of tok(`<file ${p}>\n${snap.get(p)}\n</file>\n`)) W.push(t);
  const wsChars = wsPaths.reduce((s, p) => s + snap.get(p)!.length, 0);
  console.error(`workspace: ${wsPaths.length} files, ${wsChars} chars, ${W.length} tokens`);
  const wIndex = new StaticIndex(W);
  // W75: about what Hearth's prefix holds at 131,072 context (0.6 * ctx - 4096 = 74,547 tokens): the edited files'
  // base versions, then other files in a seeded order while they fit
  const BUDGET = Math.floor(131072 * 0.6) - 4096;
  const fileToks = new Map<string, Tok[]>();
  for (const p of wsPaths) fileToks.set(p, tok(`<file ${p}>\n${snap.get(p)}\n</file>\n`));
  const order = [...trace.editedFiles.filter((p) => fileToks.has(p)), ...wsPaths.filter((p) => !trace.editedFiles.includes(p)).map((p) => [p, fnv(p)] as const).sort((a, b) => a[1] - b[1]).map(([p]) => p)];
  const chosen: string[] = [];
  let used = 0;
  for (const p of order) if (used + fileToks.get(p)!.length <= BUDGET) { chosen.push(p); used += fileToks.get(p)!.length; }
  const W75: Tok[] = [];
  for (const p of chosen.sort()) for (const t of fileToks.get(p)!) W75.push(t);
  const w75Index = new StaticIndex(W75);
  console.error(`W75: ${chosen.length} files, ${W75.length} tokens`);

  // final documents (after the whole trace) for the ground truth; compare to the target commit
  const finalDocs = replayTrace(trace);
  for (const p of trace.editedFiles) {
    const tgt = execFileSync("git", ["-C", REPO, "show", `${trace.targetCommit}:${p}`], { encoding: "utf8", maxBuffer: 64 << 20 });
    console.error(`${p}: replayed final ${tgt === finalDocs.get(p) ? "==" : "!="} target version`);
  }

  // completion points
  interface Point { path: string; prefix: string; suffix: string; cont: string; typedLeft: string }
  const points: Point[] = [];
  const docs = new Map(trace.files);
  let sinceLast = 0;
  const typeEvents = trace.events.map((e, i) => [e, i] as const).filter(([e]) => e.type === "type");
  for (const [k, [ev]] of typeEvents.entries()) {
    if (ev.type !== "type") continue;
    applyTraceEvent(docs, ev);
    sinceLast++;
    const isLineStart = ev.text === "\n";
    if (!(isLineStart || sinceLast >= EVERY)) continue;
    sinceLast = 0;
    const cursor = ev.offset === 0 && ev.text === "\n" ? 0 : ev.offset + ev.text.length; // top-of-file open: cursor goes back up
    const doc = docs.get(ev.path)!;
    const fin = finalDocs.get(ev.path)!;
    if (fin.slice(0, cursor) !== doc.slice(0, cursor)) throw new Error(`prefix mismatch at ${ev.path}:${cursor}`);
    // what is still to be typed in this hunk: the following type events on the same path, contiguous
    let typedLeft = "";
    for (let j = k + 1; j < typeEvents.length; j++) {
      const e2 = typeEvents[j][0];
      if (e2.type !== "type" || e2.path !== ev.path) break;
      // contiguous typing continues at the cursor; a jump (next hunk) ends the hunk
      const expect = cursor + typedLeft.length;
      if (e2.offset !== expect) break;
      typedLeft += e2.text;
    }
    points.push({ path: ev.path, prefix: doc.slice(0, cursor), suffix: doc.slice(cursor, cursor + 8000), cont: fin.slice(cursor, cursor + 8000), typedLeft });
  }
  console.error(`${points.length} completion points (every ${EVERY} chars + line starts)`);

  // histories
  type Kind = "A" | "B" | "C" | "A75" | "C75";
  const KINDS: Kind[] = ["A", "A75", "B", "C", "C75"];
  const impls: string[] = [];
  const stats = new Map<string, Stats>();
  const statsTyped = new Map<string, Stats>();
  const S = (m: Map<string, Stats>, key: string) => m.get(key) ?? m.set(key, newStats()).get(key)!;
  const maps = new Map<string, NgramMap>();
  let nTruthShort = 0;
  let nTyped = 0;
  const histLen: Record<Kind, number[]> = { A: [], B: [], C: [], A75: [], C75: [] };

  for (const [pi, pt] of points.entries()) {
    const truth = tok(pt.cont.slice(0, 1500)).slice(0, 64);
    if (truth.length < N_PREDICT) { nTruthShort++; continue; }
    // tokens of the truth that lie in what is still to be typed (tokenized alone: its own count)
    const typedTokens = pt.typedLeft.length > 0 ? tok(pt.typedLeft).length : 0;
    const filePart = tok(`<file ${pt.path}>\n${pt.prefix}`);
    const prefixOnly = tok(pt.prefix);
    const after = lines(pt.suffix, false, 64, 8000); // the CURRENT text after the cursor (old code), not the future
    const hearthLike = tok(`<current ${pt.path}>\n<after-cursor>\n${after}\n</after-cursor>\n${lines(pt.prefix, true, 256, 32000)}`);
    const hist: Record<Kind, { stat: StaticIndex | null; dyn: Tok[] }> = {
      A: { stat: wIndex, dyn: filePart },
      B: { stat: null, dyn: prefixOnly },
      C: { stat: wIndex, dyn: hearthLike },
      A75: { stat: w75Index, dyn: filePart },
      C75: { stat: w75Index, dyn: hearthLike },
    };
    for (const kind of KINDS) {
      const h = hist[kind];
      histLen[kind].push((h.stat?.toks.length ?? 0) + h.dyn.length);
      const runs: [Map<string, Stats>, number][] = [[stats, N_PREDICT]];
      if (typedTokens > 0) runs.push([statsTyped, Math.min(N_PREDICT, typedTokens)]);
      if (kind === "A" && typedTokens > 0) nTyped++;
      const dynX = new Extender(h.dyn);
      for (const [sm, np] of runs) {
        for (const n of SIZES_N)
          for (const m of SIZES_M) {
            const key = `${kind}|ngram-simple|${n}|${m}`;
            simulate(truth, np, S(sm, key), (gen, sampled) => ngramSimpleDraft(h.stat, dynX.with(gen), sampled, n, m));
            dynX.reset();
          }
        // map-k state is per slot and outlives requests: one state per (history, variant, truth definition)
        const tv = sm === stats ? "full" : "typed";
        const fullX = new Extender(h.stat ? h.stat.toks.concat(h.dyn) : h.dyn);
        const variants: [string, number, number, boolean, number][] = [];
        for (const n of SIZES_N) for (const m of SIZES_M) variants.push([`${kind}|ngram-map-k|${n}|${m}`, n, m, true, 1]);
        for (const [n, m] of [[4, 8], [4, 16], [6, 16], [12, 16]]) variants.push([`${kind}|ngram-map-k4v(min_hits=1)|${n}|${m}`, n, m, false, 1]);
        for (const [n, m] of [[4, 16], [6, 16]]) variants.push([`${kind}|ngram-map-k4v(min_hits=2)|${n}|${m}`, n, m, false, 2]);
        for (const [key, n, m, keyOnly, minHits] of variants) {
          let map = maps.get(tv + key);
          if (!map) maps.set(tv + key, (map = new NgramMap(n, m, keyOnly, minHits)));
          map.begin(fullX.base.length);
          simulate(truth, np, S(sm, key), (gen, sampled) => map!.draft(fullX.with(gen), sampled), (a) => map!.accept(a));
          fullX.reset();
        }
      }
    }
    if (pi % 50 === 0) console.error(`  point ${pi}/${points.length} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }

  const med = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] ?? 0; };
  const out: string[] = [];
  out.push(`# Teacher-forced n-gram lookup drafting, trace ${trace.baseCommit.slice(0, 7)}..${trace.targetCommit.slice(0, 7)}`);
  out.push("");
  out.push(`- trace: ${trace.keystrokes} keystrokes, ${trace.hunks.length} hunks in ${trace.editedFiles.length} files (${trace.editedFiles.join(", ")})`);
  out.push(`- points: ${points.length} (after every ${EVERY === 1 ? "keystroke" : EVERY + "th character of a line and at each line start"}); ${nTruthShort} skipped (< ${N_PREDICT} tokens to the end of file); ${nTyped} with something still to type in the hunk`);
  out.push(`- workspace W: ${wsPaths.length} tracked text files at base (<= 200 KB, lock files out, sorted by path), ${wsChars} chars, ${W.length} tokens`);
  out.push(`- W75: ${W75.length} tokens (budget ${BUDGET}: Hearth's prefix share at 131,072 context): the ${trace.editedFiles.length} edited files at base + other files in a seeded (FNV of the path) order while they fit, concatenated by path`);
  out.push(`- history tokens (median): ${KINDS.map((k) => `${k} ${med(histLen[k])}`).join(", ")}`);
  out.push(`- A = W + current file up to the cursor; A75 = the same with W75; B = current file up to the cursor only; C = W + the 64 lines after the cursor (current text, old code) + the 256 lines before it (Hearth-like layout); C75 = the same with W75`);
  out.push("");
  // target time per N_PREDICT tokens in plain-step units if each extra verified row costs r of a step
  const cost = (s: Stats, r: number) => (((s.passes + r * s.draftTokens) / s.tokens) * N_PREDICT).toFixed(2);
  const table = (sm: Map<string, Stats>, title: string) => {
    out.push(`## ${title}`);
    out.push("");
    out.push(`| hist | impl | size_n | M | points | passes per ${N_PREDICT} tok (no draft: ${N_PREDICT}) | rounds drafted % | mean accepted / drafted round | acceptance % | extra rows verified (total) | extra rows per accepted | cost per ${N_PREDICT} tok, row = 0.3 step | row = 1 step |`);
    out.push("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (const [key, s] of sm) {
      const [kind, impl, n, m] = key.split("|");
      const perTok = (s.passes / s.tokens) * N_PREDICT;
      out.push(`| ${kind} | ${impl} | ${n} | ${m} | ${s.points} | ${perTok.toFixed(2)} | ${((100 * s.drafted) / Math.max(1, s.rounds)).toFixed(1)} | ${(s.accepted / Math.max(1, s.drafted)).toFixed(2)} | ${((100 * s.accepted) / Math.max(1, s.draftTokens)).toFixed(1)} | ${s.draftTokens} | ${s.accepted ? (s.draftTokens / s.accepted).toFixed(2) : "-"} | ${cost(s, 0.3)} | ${cost(s, 1)} |`);
    }
    out.push("");
  };
  table(stats, `Truth = the next ${N_PREDICT} tokens of the final file text from the cursor (typed text, then what follows)`);
  table(statsTyped, `Truth = only what is still to be typed in the hunk (n_predict = min(${N_PREDICT}, its tokens); passes scaled to ${N_PREDICT} tokens)`);
  out.push(`(${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  const text = out.join("\n");
  console.log(text);
  fs.writeFileSync(OUT, text + "\n");
  console.error(`wrote ${OUT}`);
  await model.dispose();
}

// (bench/lookup-edit-estimate.ts imports the lookups and the simulation: run only as a script)
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
