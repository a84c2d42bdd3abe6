// The benchmark's random-weight Gemma 4 models (real vocabulary) are written deterministically,
// reused when unchanged, and load in llama-server with the host's flags, the drafter included.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BENCH_ASSISTANT_SHAPE,
  BENCH_DEFAULT_SEED,
  BENCH_TEXT_SHAPE,
  benchServerArgs,
  ensureGemma4VocabGguf,
  writeBenchModels,
  type BenchModels,
} from "../../bench/lib/models";
import { AgreeingMtpWeights } from "../../server/gguf/agreeingMtp";
import { readGemmaVocabFromGguf } from "../../server/gguf/bigModel";
import { findLlamaServer, startLlamaServer } from "../helpers/llamaServer";

const sha256 = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");
const server = findLlamaServer();

let dir: string;
let models: BenchModels;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hearth-bench-models-"));
  models = await writeBenchModels(dir);
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("bench models: files", () => {
  it("extracts the real Gemma 4 vocabulary from node-llama-cpp's llama.cpp bundle", async () => {
    const vocab = await ensureGemma4VocabGguf();
    expect((await stat(vocab)).size).toBeGreaterThan(10_000_000);
  });

  it("writes the text model and the drafter, then reuses them for the same parameters", async () => {
    expect(models.reused).toBe(false);
    expect(models.textBytes).toBe((await stat(models.text)).size);
    expect(models.assistantBytes).toBe((await stat(models.assistant)).size);
    expect(models.textWeightBytes).toBeLessThan(models.textBytes);
    const mtime = (await stat(models.text)).mtimeMs;
    const again = await writeBenchModels(dir);
    expect(again.reused).toBe(true);
    expect((await stat(models.text)).mtimeMs).toBe(mtime);
    expect(again.textBytes).toBe(models.textBytes);
  });

  it("is deterministic: a rewrite gives byte-identical files, another seed does not", async () => {
    const a = { text: sha256(models.text), assistant: sha256(models.assistant) };
    const other = await writeBenchModels(join(dir, "seed2"), { seed: 2 });
    expect(other.reused).toBe(false);
    expect(sha256(other.text)).not.toBe(a.text);
    await rm(join(dir, "bench-models.json"));
    const rewritten = await writeBenchModels(dir);
    expect(rewritten.reused).toBe(false);
    expect(sha256(rewritten.text)).toBe(a.text);
    expect(sha256(rewritten.assistant)).toBe(a.assistant);
    await rm(join(dir, "seed2"), { recursive: true, force: true });
  });
});

describe.skipIf(!server)("bench models in llama-server", () => {
  if (!server) console.warn("bench-models: llama-server is not built (node scripts/build-engine.mjs): skipping the engine tests");

  it("loads the text model with the host's flags and tokenizes code like Gemma 4", async () => {
    const srv = await startLlamaServer(benchServerArgs(models));
    try {
      const code = "export function fibonacci(n: number): number {\n  return n < 2 ? n : fibonacci(n - 1) + fibonacci(n - 2);\n}\n";
      const tok = await fetch(`${srv.url}/tokenize`, { method: "POST", body: JSON.stringify({ content: code }) });
      const { tokens } = (await tok.json()) as { tokens: number[] };
      // the real 262K vocabulary: ~3-4 characters per token (a byte-level vocab would be ~1)
      expect(tokens.length).toBeGreaterThan(5);
      expect(tokens.length).toBeLessThan(code.length / 2.5);
      const props = (await (await fetch(`${srv.url}/props`)).json()) as { default_generation_settings?: { n_ctx?: number } };
      // per slot: each of the two slots holds 32,768 tokens in its own cache, as the host runs it
      expect(props.default_generation_settings?.n_ctx).toBe(32768);

      const r = await fetch(`${srv.url}/completion`, {
        method: "POST",
        body: JSON.stringify({ prompt: code, n_predict: 8, ignore_eos: true, temperature: 0, cache_prompt: true }),
      });
      const body = (await r.json()) as { timings: { prompt_n: number; predicted_n: number; draft_n?: number } };
      expect(body.timings.predicted_n).toBe(8);
      expect(body.timings.prompt_n).toBeGreaterThan(tokens.length - 1);
    } finally {
      await srv.stop();
    }
  });

  it("runs the gemma4-assistant drafter with --spec-type draft-mtp", async () => {
    const mtp = await startLlamaServer(benchServerArgs({ text: models.text, assistant: models.assistant }));
    try {
      const r = await fetch(`${mtp.url}/completion`, {
        method: "POST",
        body: JSON.stringify({ prompt: "const answer = ", n_predict: 16, ignore_eos: true, temperature: 0 }),
      });
      expect(r.status).toBe(200);
      const body = (await r.json()) as { timings: { predicted_n: number; draft_n?: number; draft_n_accepted?: number } };
      expect(body.timings.predicted_n).toBe(16);
      // the drafter really drafted (random weights: few or no drafts are accepted)
      expect(body.timings.draft_n ?? 0).toBeGreaterThan(0);
      expect(mtp.logs()).toMatch(/gemma4-assistant|draft/i);
    } finally {
      await mtp.stop();
    }
  });

  it("keeps a pair designed to agree working in Q4_0: the target decodes the designed successors and drafts are accepted", async () => {
    const pair = await writeBenchModels(join(dir, "agreeing"), { agreeing: 0.8 });
    // the design, made again from the same inputs: what greedy decoding must produce
    const vocab = await readGemmaVocabFromGguf(await ensureGemma4VocabGguf());
    const design = new AgreeingMtpWeights({ seed: BENCH_DEFAULT_SEED, vocab, targetEmbd: BENCH_TEXT_SHAPE.nEmbd, drafterEmbd: BENCH_ASSISTANT_SHAPE.nEmbd, acceptance: 0.8 });
    const srv = await startLlamaServer(benchServerArgs(pair));
    try {
      const prompt = "const answer = ";
      const { tokens } = (await (await fetch(`${srv.url}/tokenize`, { method: "POST", body: JSON.stringify({ content: prompt }) })).json()) as { tokens: number[] };
      const r = await fetch(`${srv.url}/completion`, {
        method: "POST",
        body: JSON.stringify({ prompt, n_predict: 24, ignore_eos: true, temperature: 0, return_tokens: true }),
      });
      const body = (await r.json()) as { tokens: number[]; timings: { draft_n?: number; draft_n_accepted?: number } };
      const expected: number[] = [];
      for (let t = tokens.at(-1)!; expected.length < 24; ) expected.push((t = design.successor(t)));
      expect(body.tokens).toEqual(expected);
      expect(body.timings.draft_n ?? 0).toBeGreaterThan(0);
      expect(body.timings.draft_n_accepted ?? 0).toBeGreaterThan((body.timings.draft_n ?? 0) / 2);
    } finally {
      await srv.stop();
    }
  }, 120_000);
});
