// The workspace prefix sent as token ids is exactly the prompt the engine would have tokenized from text:
// same ids, same completion. Checked with the real Gemma 4 vocabulary (the benchmark's model) for the Gemma
// turns layout and with the tiny FIM model for the native FIM layout.

import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeBenchModels } from "../../bench/lib/models";
import { splitBoundaries } from "../../server/completion/layout";
import { layoutCompletionPrompt, type CompletionInput, type FimTokens } from "../../server/completion/layout";
import { PrefixTokens } from "../../server/completion/prefixTokens";
import { EngineClient, MixedPrompt, requestJson } from "../../server/engine/client";
import { writeTinyModels } from "../../server/gguf/tinyModels";
import { findLlamaServer, startLlamaServer, type RunningLlamaServer } from "../helpers/llamaServer";

const server = findLlamaServer();
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hearth-prefix-tokens-"));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Workspace text that is hard on a tokenizer at chunk edges: trailing spaces, CRLF, emoji, special-looking text. */
const INPUT: CompletionInput = {
  filePath: "src/app.ts",
  languageId: "typescript",
  prefix: "import { total } from './cart';\n\nexport function checkout(items: Item[]) {\n  const sum = ",
  suffix: ";\n  return sum;\n}\n",
  workspaceChunks: [
    { path: "src/cart.ts", text: "export function total(xs: number[]) {\r\n  return xs.reduce((a, b) => a + b, 0);   \r\n}\r\n   " },
    { path: "README.md", text: "# Café 👋\n\nText with <|turn> and <turn|> and {{CURSOR}} literally, then spaces:    " },
    { path: "src/util.py", text: "def f(x):\n\treturn x  # ▁ U+2581\n\n\n\n" },
  ],
  recentChunks: [{ path: "src/other.ts", text: "export const other = 1;\n" }],
};

async function checkSplit(url: string, input: CompletionInput, fim?: FimTokens): Promise<void> {
  const client = new EngineClient(() => ({ baseUrl: url }));
  const layout = layoutCompletionPrompt(input, { fim });
  const tokens = new PrefixTokens({ getStatus: () => ({ engine: { pid: 1 } }) as never });
  const boundaries = splitBoundaries(layout.mode, fim);

  // The first request goes as text (nothing waits for tokenizing), which starts tokenizing the prefix.
  expect(tokens.promptFor(client, layout.prompt, layout.volatileStart, boundaries)).toBe(layout.prompt);
  const ids = await tokens.ensure(client, layout.prompt.slice(0, layout.volatileStart));
  const mixed = tokens.promptFor(client, layout.prompt, layout.volatileStart, boundaries);
  expect(mixed).toBeInstanceOf(MixedPrompt);
  expect(JSON.parse(requestJson({ prompt: mixed })).prompt).toEqual([...ids, layout.prompt.slice(layout.volatileStart)]);

  // Same ids as tokenizing the whole prompt...
  const whole = await client.tokenize(layout.prompt, undefined, true);
  const rest = await client.tokenize(layout.prompt.slice(layout.volatileStart), undefined, false);
  expect([...ids, ...rest]).toEqual(whole);

  // ...and the engine answers every form identically (greedy, no cache): text, [ids…, text], and the ids
  // packed (engine patch 0006, what the host sends to its own engine).
  const body = { n_predict: 8, temperature: 0, cache_prompt: false, id_slot: 0 };
  const a = await client.completion({ ...body, prompt: layout.prompt });
  const b = await client.completion({ ...body, prompt: mixed });
  expect(b.stats.promptTokens).toBe(whole.length);
  expect(b.text).toBe(a.text);
  expect(b.stats.promptTokens).toBe(a.stats.promptTokens);
  const packed = new EngineClient(() => ({ baseUrl: url }), { packedPromptIds: true });
  const c = await packed.completion({ ...body, prompt: mixed });
  expect(c.text).toBe(a.text);
  expect(c.stats.promptTokens).toBe(whole.length);

  // The part before the cursor's line as ids too (prepared after a request): same ids, same completion.
  const lineIds = await tokens.prepareLine(client, layout.prompt, layout.volatileStart, layout.lineStart);
  const lined = tokens.promptFor(client, layout.prompt, layout.volatileStart, boundaries, layout.lineStart) as MixedPrompt;
  expect(lined.restIds).toBe(lineIds);
  expect(lined.rest).toBe(layout.prompt.slice(layout.lineStart));
  expect([...ids, ...lined.restIds, ...(await client.tokenize(lined.rest))]).toEqual(whole);
  const d = await packed.completion({ ...body, prompt: lined });
  expect(d.text).toBe(a.text);
  expect(d.stats.promptTokens).toBe(whole.length);
}

/**
 * Real code with the cursor at the start, middle and end of many lines: Gemma 4's tokenizer splits text into
 * newline / non-newline runs first, so the ids of the prompt up to the cursor's line, followed by the tokens of
 * the rest, are the tokens of the whole prompt. Also across lines: the ids of the new line appended to the last.
 */
async function checkLineCuts(url: string, fim?: FimTokens): Promise<void> {
  const client = new EngineClient(() => ({ baseUrl: url }));
  const tokens = new PrefixTokens({ getStatus: () => ({ engine: { pid: 1 } }) as never });
  const sources = await Promise.all(["server/completion/layout.ts", "scripts/engine-patches/0010-prompt-slot-prefix.diff", "README.md"].map((f) => readFile(f, "utf8")));
  let checked = 0;
  for (const doc of sources) {
    const lines = doc.split("\n");
    for (let row = 3; row < Math.min(lines.length, 400); row += 37) {
      for (const col of [0, Math.floor(lines[row].length / 2), lines[row].length]) {
        const at = lines.slice(0, row).join("\n").length + 1 + col;
        const layout = layoutCompletionPrompt({ ...INPUT, prefix: doc.slice(0, at), suffix: doc.slice(at) }, { fim });
        const head = layout.prompt.slice(0, layout.volatileStart);
        const mid = await tokens.prepareLine(client, layout.prompt, layout.volatileStart, layout.lineStart);
        const [whole, headIds, restIds] = await Promise.all([
          client.tokenize(layout.prompt, undefined, true),
          client.tokenize(head, undefined, true),
          client.tokenize(layout.prompt.slice(layout.lineStart)),
        ]);
        expect([...headIds, ...mid!, ...restIds], `row ${row} col ${col}`).toEqual(whole);
        checked++;
      }
    }
  }
  expect(checked).toBeGreaterThan(40);
}

describe.skipIf(!server)("workspace prefix as token ids", () => {
  let srv: RunningLlamaServer | undefined;
  afterAll(async () => {
    await srv?.stop();
  });

  it("Gemma turns layout, real Gemma 4 vocabulary: same ids and same completion as the text prompt", async () => {
    const models = await writeBenchModels(); // the cached benchmark models when present
    srv = await startLlamaServer(["-m", models.text, "-c", "8192", "-np", "1", "-fa", "on"]);
    await checkSplit(srv.url, INPUT);
    await checkSplit(srv.url, { ...INPUT, recentChunks: [] });
    // the cursor at the start of an empty line: no text after the ids at all
    await checkSplit(srv.url, { ...INPUT, prefix: INPUT.prefix + "0;\n" });
    await checkLineCuts(srv.url);
    await srv.stop();
    srv = undefined;
  });

  it("Hearth's engine says it takes packed ids, and refuses malformed ones instead of dropping them", async () => {
    const tiny = await writeTinyModels(join(dir, "tiny"));
    srv = await startLlamaServer(["-m", tiny.text, "-c", "2048", "-np", "1"]);
    const client = new EngineClient(() => ({ baseUrl: srv!.url }));
    expect((await client.props()).hearth_prompt_ids).toBe(true);
    for (const bad of ["AAAA", "AAAAA===", "AA$AAA==", 42]) {
      await expect(client.completion({ hearth_prompt_ids: bad, prompt: "x", n_predict: 1 })).rejects.toThrow(/hearth_prompt_ids|type/);
    }
    // only /completion reads them (elsewhere they would be ignored: an answer to a different prompt)
    await expect(client.postJson("/v1/completions", { hearth_prompt_ids: "AgAAAA==", prompt: "x", max_tokens: 1 })).rejects.toThrow(/only read by \/completion/);
    await srv.stop();
    srv = undefined;
  });

  it("native FIM layout: same ids and same completion as the text prompt", async () => {
    const tiny = await writeTinyModels(join(dir, "tiny"));
    srv = await startLlamaServer(["-m", tiny.textFim, "-c", "8192", "-np", "1"]);
    const fim: FimTokens = { prefix: "<|fim_prefix|>", suffix: "<|fim_suffix|>", middle: "<|fim_middle|>" };
    await checkSplit(srv.url, { ...INPUT, recentChunks: [] });
    await checkSplit(srv.url, { ...INPUT, recentChunks: [] }, fim);
    await checkLineCuts(srv.url, fim);
    await srv.stop();
    srv = undefined;
  });

});
