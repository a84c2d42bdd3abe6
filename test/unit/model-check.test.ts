import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { writeTinyModels } from "../../server/gguf/tinyModels";
import { GgmlType, GgufWriter, gv } from "../../server/gguf/writer";
import { checkCompanions, checkGguf, hasFimTokens, ModelCheckError } from "../../server/models/check";
import type { HearthErrorCode } from "../../server/protocol";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-check-"));
let tiny: Awaited<ReturnType<typeof writeTinyModels>>;

beforeAll(async () => {
  tiny = await writeTinyModels(path.join(dir, "tiny"));
});

async function expectCode(p: Promise<unknown>, code: HearthErrorCode, message: RegExp): Promise<void> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ModelCheckError);
  expect((err as ModelCheckError).code).toBe(code);
  expect((err as Error).message).toMatch(message);
}

describe("GGUF checks", () => {
  it("accepts the generated Gemma 4 files in their roles", async () => {
    const model = await checkGguf(tiny.text, "model");
    const mmproj = await checkGguf(tiny.mmproj, "mmproj");
    const drafter = await checkGguf(tiny.assistant, "drafter");
    expect([model.architecture, mmproj.architecture, drafter.architecture]).toEqual(["gemma4", "clip", "gemma4-assistant"]);
    expect(() => checkCompanions(model, mmproj, drafter)).not.toThrow();
    expect(hasFimTokens(model)).toBe(false);
    expect(hasFimTokens(await checkGguf(tiny.textFim, "model"))).toBe(true);
  });

  it("rejects a file that is not a GGUF", async () => {
    const f = path.join(dir, "notes.gguf");
    fs.writeFileSync(f, "# just some markdown\n");
    await expectCode(checkGguf(f, "model"), "not-gguf", /is not a GGUF file/);
  });

  it("rejects a missing file", async () => {
    await expectCode(checkGguf(path.join(dir, "missing.gguf"), "model"), "file-not-found", /does not exist/);
  });

  it("rejects a download cut short, saying how much is there", async () => {
    const f = path.join(dir, "cut.gguf");
    const bytes = fs.readFileSync(tiny.text);
    fs.writeFileSync(f, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    await expectCode(checkGguf(f, "model"), "truncated-gguf", /is truncated: it has \d+ of the \d+ bytes.*download it again/);
  });

  it("rejects a file cut inside its header", async () => {
    const f = path.join(dir, "header.gguf");
    fs.writeFileSync(f, fs.readFileSync(tiny.text).subarray(0, 200));
    await expectCode(checkGguf(f, "model"), "truncated-gguf", /damaged GGUF|truncated/);
  });

  it("rejects files in the wrong role and says which role they belong to", async () => {
    await expectCode(checkGguf(tiny.mmproj, "model"), "wrong-architecture", /multimodal projector.*--mmproj/);
    await expectCode(checkGguf(tiny.assistant, "model"), "wrong-architecture", /MTP drafter.*--drafter/);
    await expectCode(checkGguf(tiny.text, "mmproj"), "wrong-architecture", /"gemma4" model, not a multimodal projector/);
    await expectCode(checkGguf(tiny.text, "drafter"), "wrong-architecture", /not a MTP drafter/);
  });

  it("rejects an mmproj made for another model", async () => {
    const f = path.join(dir, "other-mmproj.gguf");
    const w = new GgufWriter();
    w.set("general.architecture", gv.str("clip"));
    w.set("clip.has_vision_encoder", gv.bool(true));
    w.set("clip.vision.projection_dim", gv.u32(4096));
    w.addTensor({ name: "mm.weight", shape: [32], type: GgmlType.F32, data: new Float32Array(32) });
    await w.write(f);
    const model = await checkGguf(tiny.text, "model");
    const mmproj = await checkGguf(f, "mmproj");
    expect(() => checkCompanions(model, mmproj)).toThrow(/4096-dimensional embeddings but the model expects/);
  });
});
