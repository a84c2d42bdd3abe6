import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { imageFromBytes, readAudioFile, readImageFile, sniffAudio, sniffImage } from "../../server/media/files";
import { makePng, makeWav } from "../helpers/media";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-media-"));

describe("media files", () => {
  it("recognizes formats by content, not by extension", () => {
    expect(sniffImage(makePng(4, 4))?.mimeType).toBe("image/png");
    expect(sniffAudio(makeWav(0.1))?.format).toBe("wav");
    expect(sniffImage(makeWav(0.1))).toBeUndefined();
  });

  it("reads a PNG and a WAV", async () => {
    fs.writeFileSync(path.join(tmp, "shot.png"), makePng(8, 8));
    fs.writeFileSync(path.join(tmp, "talk.wav"), makeWav(0.5));
    expect((await readImageFile(path.join(tmp, "shot.png"))).format).toBe("png");
    expect((await readAudioFile(path.join(tmp, "talk.wav"))).format).toBe("wav");
  });

  it("rejects a missing, empty or mislabelled file with a clear error", async () => {
    await expect(readImageFile(path.join(tmp, "nope.png"))).rejects.toThrow(/no such file/);
    fs.writeFileSync(path.join(tmp, "empty.png"), "");
    await expect(readImageFile(path.join(tmp, "empty.png"))).rejects.toThrow(/is empty/);
    fs.writeFileSync(path.join(tmp, "fake.png"), "this is text, not an image");
    await expect(readImageFile(path.join(tmp, "fake.png"))).rejects.toThrow(/not a PNG, JPEG, WebP, GIF or BMP image/);
    fs.writeFileSync(path.join(tmp, "fake.wav"), "this is text, not audio at all");
    await expect(readAudioFile(path.join(tmp, "fake.wav"))).rejects.toThrow(/not an audio file/);
  });

  it("refuses inline data that is not an image", () => {
    expect(() => imageFromBytes(Buffer.from("hello"))).toThrow(/not a PNG/);
  });
});
