// The last event of a /completion answer carries what the host reads and not the prompt's text: at 84K
// tokens that text was ~300 KB detokenized on the engine's main loop (engine patch 0009 skips it when the
// response_fields leave it out), serialized and parsed again on every keystroke.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMPLETION_RESPONSE_FIELDS, EngineClient } from "../../server/engine/client";
import { writeTinyModels } from "../../server/gguf/tinyModels";
import { findLlamaServer, startLlamaServer, type RunningLlamaServer } from "../helpers/llamaServer";

const server = findLlamaServer();

describe.skipIf(!server)("/completion answers without the prompt's text", () => {
  let dir: string;
  let srv: RunningLlamaServer;
  let client: EngineClient;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "hearth-completion-response-"));
    const tiny = await writeTinyModels(join(dir, "tiny"));
    srv = await startLlamaServer(["-m", tiny.text, "-c", "2048", "-np", "1"]);
    client = new EngineClient(() => ({ baseUrl: srv.url }));
  });
  afterAll(async () => {
    await srv?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const prompt = "export function total(xs: number[]) {\n  return ";
  const body = { prompt, n_predict: 4, temperature: 0, ignore_eos: true, cache_prompt: false };

  it("the host's fields: no prompt, and the stats it reads are all there", async () => {
    const res = (await client.postJson("/completion", { ...body, response_fields: COMPLETION_RESPONSE_FIELDS })) as Record<string, unknown>;
    expect(res).not.toHaveProperty("prompt");
    expect(Object.keys(res).sort()).toEqual([...COMPLETION_RESPONSE_FIELDS].sort());

    const streamed = await client.completion(body); // sends COMPLETION_RESPONSE_FIELDS
    expect(streamed.text).toBe(res.content);
    expect(streamed.stats.generatedTokens).toBe(4);
    expect(streamed.stats.promptTokens).toBeGreaterThan(5);
    expect(streamed.stats.stoppedBy).toBe("limit");
    expect(streamed.stats.generationMs).toBeGreaterThan(0);
  });

  it("still shows the prompt to a caller that asks for it, or sends no response_fields (upstream behaviour)", async () => {
    const asked = (await client.postJson("/completion", { ...body, response_fields: ["content", "prompt"] })) as Record<string, unknown>;
    expect(asked.prompt).toContain(prompt);
    const plain = (await client.postJson("/completion", body)) as Record<string, unknown>;
    expect(plain.prompt).toContain(prompt);
    expect(plain.content).toBe(asked.content);
  });
});
