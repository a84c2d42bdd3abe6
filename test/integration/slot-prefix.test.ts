// A prefix the completions slot already holds is named (count + digest, engine patch 0010) instead of sent
// as ids on every keystroke: same completion as sending the ids, and a slot that no longer holds it (another
// request, a restore, a restart) is refused by the engine and the client sends the ids again by itself.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { GEMMA4_MESSAGE_DELIMITERS } from "../../server/completion/layout";
import { EngineClient, MixedPrompt, requestJson } from "../../server/engine/client";
import { writeTinyModels } from "../../server/gguf/tinyModels";
import { findLlamaServer, startLlamaServer, type RunningLlamaServer } from "../helpers/llamaServer";

const server = findLlamaServer();

describe.skipIf(!server)("workspace prefix named by the slot that holds it", () => {
  let dir: string;
  let srv: RunningLlamaServer;
  let client: EngineClient;
  let plain: EngineClient;
  const sent: Record<string, unknown>[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "hearth-slot-prefix-"));
    const tiny = await writeTinyModels(join(dir, "tiny"));
    srv = await startLlamaServer(["-m", tiny.text, "-c", "8192", "-np", "2"]);
    const props = await new EngineClient(() => ({ baseUrl: srv.url })).props();
    expect(props.hearth_prompt_slot_prefix).toBe(true);
    client = new EngineClient(() => ({ baseUrl: srv.url }), { packedPromptIds: true, slotPrefix: true });
    plain = new EngineClient(() => ({ baseUrl: srv.url }));
    const realFetch = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
      if (String(input).endsWith("/completion") && typeof init?.body === "string") sent.push(JSON.parse(init.body) as Record<string, unknown>);
      return realFetch(input, init);
    });
  });
  afterEach(() => {
    sent.length = 0;
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await srv?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const text = "<|turn>user\nexport function total(xs: number[]) {\n  return xs.reduce((a, b) => a + b, 0);\n}\n".repeat(12);
  const body = { n_predict: 8, temperature: 0, ignore_eos: true, cache_prompt: true, id_slot: 0, message_delimiters: GEMMA4_MESSAGE_DELIMITERS };
  const form = (b: Record<string, unknown>) => ("hearth_prompt_slot_prefix" in b ? "named" : "hearth_prompt_ids" in b ? "ids" : "json");

  it("names the prefix once the slot holds it: the same completion as sending the ids, one token evaluated", async () => {
    const ids = await client.tokenize(text, undefined, true);
    const prompt = new MixedPrompt(ids, "<|turn>model\nconst x = ");
    const reference = await plain.completion({ ...body, id_slot: 1, cache_prompt: false, prompt: new MixedPrompt(ids, prompt.rest) });

    const first = await client.completion({ ...body, prompt });
    const second = await client.completion({ ...body, prompt });
    expect(sent.map(form)).toEqual(["json", "ids", "named"]);
    expect((sent[2].hearth_prompt_slot_prefix as { n: number }).n).toBe(ids.length);
    for (const r of [first, second]) {
      expect(r.text).toBe(reference.text);
      expect(r.stats.promptTokens).toBe(reference.stats.promptTokens);
    }
    expect(second.stats.processedTokens).toBeLessThan(ids.length / 4); // the prefix came from the cache
  });

  it("sends the ids again when the slot holds something else: the engine refuses the name, the answer is the same", async () => {
    const ids = await client.tokenize(text, undefined, true);
    const prompt = new MixedPrompt(ids, "<|turn>model\nlet y = ");
    const expected = (await plain.completion({ ...body, id_slot: 1, cache_prompt: false, prompt: new MixedPrompt(ids, prompt.rest) })).text;
    await client.completion({ ...body, prompt });
    // behind the client's back (as after an engine restart): slot 0 now holds another prompt
    const other = await fetch(`${srv.url}/completion`, { method: "POST", body: JSON.stringify({ prompt: "something else entirely", n_predict: 1, id_slot: 0 }) });
    expect(other.ok).toBe(true);
    sent.length = 0;
    const again = await client.completion({ ...body, prompt });
    expect(sent.map(form)).toEqual(["named", "ids"]);
    expect(again.text).toBe(expected);
  });

  it("the engine checks what it is told: a wrong digest or count, no slot, or another endpoint is an error", async () => {
    const ids = await client.tokenize(text, undefined, true);
    const prompt = new MixedPrompt(ids, "");
    await client.completion({ ...body, prompt });
    const post = async (path: string, b: Record<string, unknown> | string) => {
      const res = await fetch(`${srv.url}${path}`, { method: "POST", body: typeof b === "string" ? b : JSON.stringify(b) });
      return { status: res.status, text: await res.text() };
    };
    const named = JSON.parse(requestJson({ ...body, prompt }, true, true)) as { hearth_prompt_slot_prefix: { n: number; digest: string } };
    expect((await post("/completion", named)).status).toBe(200);
    const bad = [
      { ...named, hearth_prompt_slot_prefix: { n: ids.length, digest: "0000000000000000" } },
      { ...named, hearth_prompt_slot_prefix: { n: ids.length + 1000, digest: named.hearth_prompt_slot_prefix.digest } },
      { ...named, id_slot: undefined },
      { ...named, hearth_prompt_slot_prefix: { n: "12" } },
    ];
    for (const b of bad) {
      const r = await post("/completion", b);
      expect(r.status, r.text).toBe(400);
      expect(r.text).toMatch(/hearth_prompt_slot_prefix/);
    }
    const oai = await post("/v1/completions", { hearth_prompt_slot_prefix: named.hearth_prompt_slot_prefix, prompt: "x", max_tokens: 1, id_slot: 0 });
    expect(oai.text).toMatch(/only read by \/completion/);
  });
});
