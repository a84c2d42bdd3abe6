/** The prompt log (HEARTH_PROMPT_LOG) records what was sent without media bytes: type, size and sha256 only. */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { logPrompt } from "../../server/engine/promptLog";
import { makePng, makeWav } from "../helpers/media";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-promptlog-"));
const file = path.join(dir, "prompts.jsonl");
const before = process.env.HEARTH_PROMPT_LOG;
beforeAll(() => {
  process.env.HEARTH_PROMPT_LOG = file;
});
afterAll(() => {
  if (before === undefined) delete process.env.HEARTH_PROMPT_LOG;
  else process.env.HEARTH_PROMPT_LOG = before;
  fs.rmSync(dir, { recursive: true, force: true });
});

const sha = (b: Buffer) => crypto.createHash("sha256").update(b).digest("hex").slice(0, 16);
const lastEntry = () => JSON.parse(fs.readFileSync(file, "utf8").trim().split("\n").at(-1)!) as Record<string, any>;

describe("prompt log", () => {
  const png = makePng(40, 30);
  const wav = makeWav(0.5);

  it("redacts a /completion prompt's multimodal_data, keeping the prompt text", () => {
    const odd = Buffer.from("neither an image nor audio");
    logPrompt("/completion", {
      prompt: { prompt_string: "<|turn>user\n<__media_x__><__media_x__><__media_x__>Where is this?<turn|>\n", multimodal_data: [png.toString("base64"), wav.toString("base64"), odd.toString("base64")] },
      id_slot: 1,
    });
    const text = fs.readFileSync(file, "utf8");
    for (const b of [png, wav, odd]) expect(text).not.toContain(b.toString("base64"));
    expect(text).not.toContain(png.toString("base64").slice(0, 40));
    const e = lastEntry();
    expect(e).toMatchObject({ endpoint: "/completion", id_slot: 1 });
    expect(e.prompt.prompt_string).toBe("<|turn>user\n<__media_x__><__media_x__><__media_x__>Where is this?<turn|>\n");
    expect(e.prompt.multimodal_data).toEqual([
      `<image/png ${png.length} bytes sha256:${sha(png)}>`,
      `<audio/wav ${wav.length} bytes sha256:${sha(wav)}>`,
      `<base64 ${odd.length} bytes sha256:${sha(odd)}>`,
    ]);
  });

  it("still redacts image_url data: URIs and input_audio data of chat requests", () => {
    logPrompt("/v1/chat/completions", {
      messages: [
        {
          role: "user",
          content: [
            { type: "image_url", image_url: { url: `data:image/png;base64,${png.toString("base64")}` } },
            { type: "input_audio", input_audio: { data: wav.toString("base64"), format: "wav" } },
            { type: "text", text: "?" },
          ],
        },
      ],
    });
    const e = lastEntry();
    expect(e.messages[0].content[0].image_url.url).toBe(`<image/png ${png.length} bytes sha256:${sha(png)}>`);
    expect(e.messages[0].content[1].input_audio.data).toBe(`<base64 ${wav.length} bytes sha256:${sha(wav)}>`);
    expect(e.messages[0].content[2].text).toBe("?");
  });
});
