// Measure how fast llama-server runs the bench models on this machine (prefill tok/s at a few
// prompt lengths, decode tok/s with and without the MTP drafter). Used to pick BENCH_TEXT_SHAPE:
//
//   npx tsx bench/lib/measureModel.ts [--dir DIR] [--tokens 2000,10000,40000] [--shape '{"nEmbd":512,...}']
//
// The server runs with the host's settings (65,536-token unified KV, 2 slots, flash attention,
// q8_0 KV cache). Prompts are the repository's own source, so they tokenize like real code.

import { readFileSync, readdirSync, statSync } from "node:fs";
import { withForeignCpu } from "./foreignCpu";
import { join, relative } from "node:path";
import { startLlamaServer, type RunningLlamaServer } from "../../test/helpers/llamaServer";
import { gemma4SwaPattern, type Gemma4TextShape } from "../../server/gguf/tinyModels";
import { BENCH_TEXT_SHAPE, benchServerArgs, writeBenchModels, type BenchModels } from "./models";

export interface CompletionTimings {
  prompt_n: number;
  cache_n?: number;
  prompt_ms: number;
  predicted_n: number;
  predicted_ms: number;
  draft_n?: number;
  draft_n_accepted?: number;
  /** tokens decoded without drafting after refuted drafts (engine patch 0003) */
  draft_n_skipped?: number;
  /** tokens decoded without drafting to time MTP, or because drafting cost more (engine patch 0011) */
  draft_n_paused?: number;
}

export async function completion(url: string, body: Record<string, unknown>): Promise<{ content: string; timings: CompletionTimings }> {
  const r = await fetch(`${url}/completion`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!r.ok) throw new Error(`POST /completion: ${r.status} ${await r.text()}`);
  return (await r.json()) as { content: string; timings: CompletionTimings };
}

/** Source text of `dir` (ts/js/md/json, no node_modules/dist), concatenated until `chars`. */
export function codeCorpus(dir: string, chars: number): string {
  const out: string[] = [];
  let n = 0;
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      if (n >= chars) return;
      if (name.startsWith(".") || name === "node_modules" || name === "dist") continue;
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (/\.(ts|mts|js|mjs|md)$/.test(name) && st.size < 200_000) {
        const t = `// file: ${relative(dir, p)}\n${readFileSync(p, "utf8")}\n`;
        out.push(t);
        n += t.length;
      }
    }
  };
  walk(dir);
  let s = out.join("");
  while (s.length < chars) s += s; // small repos: repeat
  return s.slice(0, chars);
}


/**
 * Run `fn`, retrying (up to `tries`) while other processes used more than 10% of one core (this process and
 * its children, the engine, are not "other"; bench/lib/foreignCpu.ts).
 */
async function clean<T>(fn: () => Promise<T>, tries = 4): Promise<T & { foreignCpu: number }> {
  let last: (T & { foreignCpu: number }) | undefined;
  for (let i = 0; i < tries; i++) {
    const { result, foreignCpu = 0 } = await withForeignCpu(fn);
    last = { ...result, foreignCpu };
    if (foreignCpu < 0.1) return last;
    console.warn(`  (other processes used ${(foreignCpu * 100).toFixed(0)}% CPU: measuring again)`);
    await new Promise((res) => setTimeout(res, 5000));
  }
  return last!;
}

export interface SpeedReport {
  /** foreignCpu: CPU share (cores) other processes used meanwhile; > 0.1 means the number is unreliable */
  prefill: { promptTokens: number; ms: number; tokensPerSecond: number; foreignCpu: number }[];
  decode: { tokens: number; tokensPerSecond: number; foreignCpu: number };
  mtpDecode?: { tokens: number; tokensPerSecond: number; drafted: number; accepted: number; foreignCpu: number };
}

async function tokenCount(url: string, text: string): Promise<number> {
  const r = await fetch(`${url}/tokenize`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ content: text }) });
  return ((await r.json()) as { tokens: number[] }).tokens.length;
}

/** Text of about `tokens` tokens cut from `corpus` (via the server's tokenizer; one correction step). */
async function promptOf(url: string, corpus: string, tokens: number): Promise<string> {
  const sample = corpus.slice(0, 20_000);
  let chars = Math.round(tokens * (sample.length / (await tokenCount(url, sample))));
  chars = Math.round(chars * (tokens / (await tokenCount(url, corpus.slice(0, chars)))));
  return corpus.slice(0, chars);
}

export async function measureSpeed(models: BenchModels, opts: { promptTokens?: number[]; decodeTokens?: number; corpusDir?: string; threads?: number } = {}): Promise<SpeedReport> {
  const promptTokens = opts.promptTokens ?? [2000, 10000, 40000];
  const decodeTokens = opts.decodeTokens ?? 128;
  const corpus = codeCorpus(opts.corpusDir ?? process.cwd(), Math.max(...promptTokens) * 6);
  const report: SpeedReport = { prefill: [], decode: { tokens: 0, tokensPerSecond: 0, foreignCpu: 0 } };

  let srv: RunningLlamaServer = await startLlamaServer(benchServerArgs({ text: models.text }, opts.threads));
  try {
    // warm-up (first graph allocation, page-in of the weights)
    await completion(srv.url, { prompt: "warm up", n_predict: 4, cache_prompt: false });
    for (const n of promptTokens) {
      const prompt = await promptOf(srv.url, corpus, n);
      const { timings: t, foreignCpu } = await clean(() => completion(srv.url, { prompt, n_predict: 1, cache_prompt: false, temperature: 0 }));
      report.prefill.push({ promptTokens: t.prompt_n, ms: t.prompt_ms, tokensPerSecond: (1000 * t.prompt_n) / t.prompt_ms, foreignCpu });
    }
    const dec = await clean(() => completion(srv.url, { prompt: corpus.slice(0, 2000), n_predict: decodeTokens, ignore_eos: true, cache_prompt: false, temperature: 0 }));
    report.decode = { tokens: dec.timings.predicted_n, tokensPerSecond: (1000 * dec.timings.predicted_n) / dec.timings.predicted_ms, foreignCpu: dec.foreignCpu };
  } finally {
    await srv.stop();
  }

  srv = await startLlamaServer(benchServerArgs(models, opts.threads));
  try {
    await completion(srv.url, { prompt: "warm up", n_predict: 4, cache_prompt: false });
    const port = srv.port;
    const dec = await clean(() => completion(srv.url, { prompt: corpus.slice(0, 2000), n_predict: decodeTokens, ignore_eos: true, cache_prompt: false, temperature: 0 }));
    const t = dec.timings;
    report.mtpDecode = { tokens: t.predicted_n, tokensPerSecond: (1000 * t.predicted_n) / t.predicted_ms, drafted: t.draft_n ?? 0, accepted: t.draft_n_accepted ?? 0, foreignCpu: dec.foreignCpu };
  } finally {
    await srv.stop();
  }
  return report;
}

// CLI
if (process.argv[1] && /measureModel\.[mc]?[tj]s$/.test(process.argv[1])) {
  const args = process.argv.slice(2);
  const get = (k: string) => {
    const i = args.indexOf(k);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const dir = get("--dir") ?? "/tmp/hearth-bench-measure";
  const tokens = get("--tokens")?.split(",").map(Number);
  let shape: Gemma4TextShape = BENCH_TEXT_SHAPE;
  const override = get("--shape");
  if (override) {
    const o = JSON.parse(override) as Partial<Gemma4TextShape>;
    shape = { ...BENCH_TEXT_SHAPE, ...o };
    if (o.nLayer && !o.swaPattern) shape.swaPattern = gemma4SwaPattern(o.nLayer, 6);
  }
  const t0 = performance.now();
  const models = await writeBenchModels(dir, { shape });
  console.log(`models: text ${(models.textBytes / 1e6).toFixed(1)} MB, assistant ${(models.assistantBytes / 1e6).toFixed(1)} MB (${models.reused ? "reused" : "written"} in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  const r = await measureSpeed(models, { promptTokens: tokens });
  const other = (x: number) => `other CPU ${(x * 100).toFixed(0)}%`;
  for (const p of r.prefill) console.log(`prefill ${p.promptTokens} tokens: ${(p.ms / 1000).toFixed(2)} s = ${p.tokensPerSecond.toFixed(0)} tok/s (${other(p.foreignCpu)})`);
  console.log(`decode: ${r.decode.tokensPerSecond.toFixed(1)} tok/s (${r.decode.tokens} tokens, ${other(r.decode.foreignCpu)})`);
  if (r.mtpDecode) console.log(`decode with MTP: ${r.mtpDecode.tokensPerSecond.toFixed(1)} tok/s (${r.mtpDecode.tokens} tokens, drafted ${r.mtpDecode.drafted}, accepted ${r.mtpDecode.accepted}, ${other(r.mtpDecode.foreignCpu)})`);
}
