import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { writeTinyModels } from "../../server/gguf/tinyModels";
import { GgmlType, GgufWriter, gv } from "../../server/gguf/writer";
import { checkCompanions, checkGguf, hasFimTokens, ModelCheckError } from "../../server/models/check";
import { checkGgufStructure } from "../../server/models/ggufStructure";
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

describe("damaged GGUF headers (node-llama-cpp's reader loops for ever on some: the host hung at 100 % CPU)", () => {
  const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };
  const u64 = (n: bigint | number) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(n)); return b; };
  const str = (s: string) => Buffer.concat([u64(Buffer.byteLength(s)), Buffer.from(s)]);
  const header = (tensors: bigint | number, kvs: bigint | number) => Buffer.concat([Buffer.from("GGUF"), u32(3), u64(tensors), u64(kvs)]);
  const cases: [string, Buffer, RegExp][] = [
    ["garbage after the version", Buffer.from("GGUF\x03\x00\x00\x00garbage", "latin1"), /ends inside the tensor count/],
    ["a count of 2^63 tensors", Buffer.concat([header(2n ** 63n, 0), Buffer.alloc(64)]), /tensor count is 9223372036854775808, more than/],
    ["a million tensors in 64 bytes", Buffer.concat([header(1 << 20, 0), Buffer.alloc(64)]), /tensor count is 1048576/],
    ["a key 2^40 bytes long", Buffer.concat([header(0, 1), u64(2n ** 40n), Buffer.alloc(16)]), /key of metadata entry 0 is 1099511627776/],
    ["an array of 2^40 strings", Buffer.concat([header(0, 1), str("tokens"), u32(9), u32(8), u64(2n ** 40n), str("x")]), /length of tokens is 1099511627776/],
    ["an array of 2^40 bytes", Buffer.concat([header(0, 1), str("k"), u32(9), u32(0), u64(2n ** 40n), Buffer.alloc(16)]), /length of k is 1099511627776/],
    ["a tensor with 2^31 dimensions", Buffer.concat([header(1, 0), str("t"), u32(2 ** 31), Buffer.alloc(64)]), /tensor t has 2147483648 dimensions/],
    ["an unknown value type", Buffer.concat([header(0, 1), str("k"), u32(77), Buffer.alloc(16)]), /metadata k has an unknown value type 77/],
    ["a string value running past the end", Buffer.concat([header(0, 1), str("name"), u32(8), u64(100), Buffer.from("short")]), /value of name is 100, more than the 5 bytes/],
    ["version 1", Buffer.concat([Buffer.from("GGUF"), u32(1), Buffer.alloc(32)]), /version 1 is no longer read/],
  ];
  for (const [name, bytes, reason] of cases) {
    it(`rejects ${name} at once, saying what does not fit`, async () => {
      const f = path.join(dir, `damaged-${name.replace(/\W+/g, "-")}.gguf`);
      fs.writeFileSync(f, bytes);
      await expectCode(checkGguf(f, "model"), "truncated-gguf", reason);
      await expectCode(checkGguf(f, "model"), "truncated-gguf", /is a damaged GGUF file \(.*\)\. Delete it and download it again\./);
    });
  }

  it("walks real headers to their end, also when the header is longer than the bytes first read", async () => {
    const model = await checkGguf(tiny.text, "model");
    const whole = await checkGgufStructure(tiny.text);
    expect(whole.tensorCount).toBe((model.info.fullTensorInfo ?? model.info.tensorInfo ?? []).length);
    expect(whole.headerBytes).toBeLessThanOrEqual(Number(model.info.infoEndOffset));
    expect(await checkGgufStructure(tiny.text, 1024)).toEqual(whole);
  });
});
