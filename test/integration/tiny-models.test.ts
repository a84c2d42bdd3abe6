// The tiny random-weight Gemma 4 models really load and run: in node-llama-cpp (always) and in
// llama-server (when the engine is built; see scripts/build-engine.mjs).

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLlama, LlamaCompletion, LlamaLogLevel, type Llama, type LlamaModel } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeTinyModels, type TinyModelPaths } from "../../server/gguf/tinyModels";
import { findLlamaServer, startLlamaServer, type RunningLlamaServer } from "../helpers/llamaServer";
import { makePng, makeWav } from "../helpers/media";

// Text that must survive tokenize -> detokenize unchanged (tabs, CRLF, runs of spaces/newlines,
// multi-byte UTF-8 that only exists as byte-fallback tokens, special-looking text).
const ROUND_TRIP_SAMPLES = [
  "def fibonacci(n):\n\tif n < 2:\n\t\treturn n\n\treturn fibonacci(n - 1) + fibonacci(n - 2)\n",
  "const greet = (name) => {\r\n    console.log(`héllo, ${name} 👋`);\r\n};\n\n\n\n\n\n\n\n\n\n",
  "  leading spaces,\ttrailing tabs\t\t\n   \n日本語のテキスト — «quotes» ∑ x² ≠ 0\u0000\u0007",
  "if (a != b && c >= d) { x += 1; } // comment ▁ with a literal U+2581",
];

let dir: string;
let models: TinyModelPaths;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hearth-tiny-"));
  models = await writeTinyModels(dir, { seed: 1 });
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("tiny models in node-llama-cpp", () => {
  let llama: Llama;
  let model: LlamaModel;

  beforeAll(async () => {
    llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error });
    model = await llama.loadModel({ modelPath: models.text });
  });
  afterAll(async () => {
    await model?.dispose();
    await llama?.dispose();
  });

  it("tokenizes and detokenizes code losslessly", () => {
    for (const s of ROUND_TRIP_SAMPLES.filter((x) => !x.includes("\u2581"))) {
      const tokens = model.tokenize(s, false);
      expect(tokens.length).toBeGreaterThan(0);
      expect(model.detokenize(tokens)).toBe(s);
    }
    expect(model.tokenize("<|turn>user\nhi<turn|>", true)).toEqual([
      ...model.tokenize("<|turn>", true),
      ...model.tokenize("user\nhi", false),
      ...model.tokenize("<turn|>", true),
    ]);
    expect(model.tokens.bos).toBe(2);
    expect(model.tokens.eos).toBe(1);
  });

  it("generates text", async () => {
    const ctx = await model.createContext({ contextSize: 1024, threads: 2 });
    try {
      const completion = new LlamaCompletion({ contextSequence: ctx.getSequence() });
      const out = await completion.generateCompletion("def hello(", { maxTokens: 8, temperature: 0 });
      expect(typeof out).toBe("string");
    } finally {
      await ctx.dispose();
    }
  });

  it("finds the FIM tokens only in text-fim.gguf", async () => {
    expect(model.tokens.infill.prefix).toBeNull();
    const fim = await llama.loadModel({ modelPath: models.textFim });
    try {
      expect(fim.tokens.infill.prefix).not.toBeNull();
      expect(fim.tokens.infill.suffix).not.toBeNull();
      expect(fim.tokens.infill.middle).not.toBeNull();
    } finally {
      await fim.dispose();
    }
  });
});

const serverBinary = findLlamaServer();

async function post(url: string, body: unknown): Promise<{ status: number; json: any }> {
  const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const text = await r.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = { raw: text };
  }
  return { status: r.status, json };
}

describe.skipIf(!serverBinary)("tiny models in llama-server", () => {
  describe("text.gguf + mmproj.gguf", () => {
    let srv: RunningLlamaServer;
    beforeAll(async () => {
      srv = await startLlamaServer(["-m", models.text, "--mmproj", models.mmproj, "-np", "1", "-c", "4096", "-t", "2", "--jinja"]);
    });
    afterAll(async () => {
      await srv?.stop();
    });

    it("generates with /completion and /v1/chat/completions", async () => {
      const c = await post(`${srv.url}/completion`, { prompt: "def add(a, b):", n_predict: 8, temperature: 0, seed: 1 });
      expect(c.status).toBe(200);
      expect(c.json.tokens_predicted).toBeGreaterThan(0);
      const chat = await post(`${srv.url}/v1/chat/completions`, {
        messages: [{ role: "user", content: "Say hi" }],
        max_tokens: 4,
        temperature: 0,
      });
      expect(chat.status).toBe(200);
      expect(chat.json.usage.completion_tokens).toBeGreaterThan(0);
      expect(chat.json.usage.prompt_tokens).toBeGreaterThan(5);
    });

    it("round-trips text through /tokenize and /detokenize", async () => {
      for (const s of ROUND_TRIP_SAMPLES) {
        const t = await post(`${srv.url}/tokenize`, { content: s, add_special: false });
        expect(t.status).toBe(200);
        const d = await post(`${srv.url}/detokenize`, { tokens: t.json.tokens });
        // a literal U+2581 is the gemma4 space marker: it comes back as a space (same as the real vocab)
        expect(d.json.content).toBe(s.replace(/\u2581/g, " "));
      }
    });

    it("answers /infill with 'prefix token is missing' (no FIM tokens, like real Gemma 4)", async () => {
      const r = await post(`${srv.url}/infill`, { input_prefix: "def add(a, b):\n    ", input_suffix: "\n", n_predict: 4 });
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(JSON.stringify(r.json)).toContain("prefix token is missing");
    });

    // Media tokens = prompt_tokens(with media) - prompt_tokens(without). mtmd wraps the embeddings
    // in <|image> ... <image|> / <|audio> ... <audio|>, so the difference is media tokens + 2.
    async function mediaTokens(part: unknown, beginEnd: string): Promise<number> {
      const text = { type: "text", text: "What is this?" };
      const without = await post(`${srv.url}/v1/chat/completions`, { messages: [{ role: "user", content: [text] }], max_tokens: 1, temperature: 0 });
      const withMedia = await post(`${srv.url}/v1/chat/completions`, { messages: [{ role: "user", content: [text, part] }], max_tokens: 1, temperature: 0 });
      expect(without.status).toBe(200);
      expect(withMedia.status, JSON.stringify(withMedia.json)).toBe(200);
      const wrap = await post(`${srv.url}/tokenize`, { content: beginEnd, add_special: false, parse_special: true });
      expect(wrap.json.tokens).toHaveLength(2);
      return withMedia.json.usage.prompt_tokens - without.json.usage.prompt_tokens - wrap.json.tokens.length;
    }

    it("turns a 1024x768 image into 336 tokens (21x16 patches of 48 px)", async () => {
      const url = `data:image/png;base64,${makePng(1024, 768).toString("base64")}`;
      expect(await mediaTokens({ type: "image_url", image_url: { url } }, "<|image><image|>")).toBe(336);
    });

    it("turns 60 s of 16 kHz audio into 1500 tokens (25 per second)", async () => {
      const data = makeWav(60, 16000).toString("base64");
      expect(await mediaTokens({ type: "input_audio", input_audio: { data, format: "wav" } }, "<|audio><audio|>")).toBe(1500);
    });

    describe("with the gemma4-assistant MTP drafter", () => {
      let mtp: RunningLlamaServer;
      beforeAll(async () => {
        mtp = await startLlamaServer([
          "-m", models.text,
          "--model-draft", models.assistant,
          "--spec-type", "draft-mtp",
          // one draft thread: with -t 2 the target's and the drafter's thread pools fight over the
          // 2 cores and every token takes ~1 s instead of ~30 ms
          "-td", "1",
          "-np", "1", "-c", "4096", "-t", "2", "--jinja",
        ]);
      });
      afterAll(async () => {
        await mtp?.stop();
      });

      it("produces the same greedy output with and without the drafter", async () => {
        const req = { prompt: "def fibonacci(n):", n_predict: 12, temperature: 0, seed: 1, cache_prompt: false };
        const plain = await post(`${srv.url}/completion`, req);
        const drafted = await post(`${mtp.url}/completion`, req);
        expect(plain.status).toBe(200);
        expect(drafted.status).toBe(200);
        expect(drafted.json.tokens_predicted).toBe(plain.json.tokens_predicted);
        expect(drafted.json.content).toBe(plain.json.content);
        // the drafter really ran (random weights: its drafts are rejected)
        expect(drafted.json.timings.draft_n).toBeGreaterThan(0);
      });
    });
  });

  describe("text-fim.gguf", () => {
    let srv: RunningLlamaServer;
    beforeAll(async () => {
      srv = await startLlamaServer(["-m", models.textFim, "-np", "1", "-c", "4096", "-t", "2", "--jinja"]);
    });
    afterAll(async () => {
      await srv?.stop();
    });

    it("serves /infill", async () => {
      const r = await post(`${srv.url}/infill`, {
        input_prefix: "def add(a, b):\n    ",
        input_suffix: "\n\nprint(add(1, 2))\n",
        n_predict: 8,
        temperature: 0,
      });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      expect(r.json.tokens_predicted).toBeGreaterThan(0);
      expect(r.json.tokens_evaluated).toBeGreaterThan(10);
    });
  });
});
