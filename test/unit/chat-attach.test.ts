import { describe, expect, it } from "vitest";
import { base64Bytes, base64Head, checkAttachment, MAX_ATTACHMENT_BYTES, sniffMedia } from "../../media/src/attach";

const bytes = (...parts: (number[] | string)[]) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === "string" ? Array.from(p, (c) => c.charCodeAt(0)) : p)));

const PNG = bytes([0x89], "PNG", [0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const JPEG = bytes([0xff, 0xd8, 0xff, 0xe0]);
const GIF = bytes("GIF89a");
const WEBP = bytes("RIFF", [0, 0, 0, 0], "WEBPVP8 ");
const BMP = bytes("BM", new Array(14).fill(0));
const WAV = bytes("RIFF", [0, 0, 0, 0], "WAVEfmt ");
const FLAC = bytes("fLaC", [0, 0, 0, 34]);
const MP3_ID3 = bytes("ID3", [4, 0, 0]);
const MP3_FRAME = bytes([0xff, 0xfb, 0x90, 0x64]); // MPEG-1 Layer III, 128 kbit/s, 44.1 kHz

describe("sniffMedia", () => {
  it.each([
    ["PNG", PNG, "image/png"],
    ["JPEG", JPEG, "image/jpeg"],
    ["GIF", GIF, "image/gif"],
    ["WebP", WEBP, "image/webp"],
    ["BMP", BMP, "image/bmp"],
    ["WAV", WAV, "audio/wav"],
    ["FLAC", FLAC, "audio/flac"],
    ["MP3 with ID3", MP3_ID3, "audio/mpeg"],
    ["MP3 frame", MP3_FRAME, "audio/mpeg"],
  ])("recognizes %s from its bytes", (_, head, mime) => {
    expect(sniffMedia(head)?.mimeType).toBe(mime);
  });

  it("does not mistake a UTF-16 text file for MP3", () => {
    expect(sniffMedia(bytes([0xff, 0xfe], "h\0i\0"))).toBeUndefined();
  });
});

describe("checkAttachment", () => {
  it("accepts images and audio by content, whatever the name or declared type", () => {
    expect(checkAttachment("screenshot", 1000, "", PNG)).toEqual({ ok: true, kind: "image", mimeType: "image/png" });
    expect(checkAttachment("voice.bin", 1000, "application/octet-stream", WAV)).toEqual({ ok: true, kind: "audio", mimeType: "audio/wav" });
  });

  it("rejects files over 20 MB with their size", () => {
    const r = checkAttachment("huge.png", MAX_ATTACHMENT_BYTES + 1, "image/png", PNG);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toBe("“huge.png” is 20.0 MB; attachments up to 20.0 MB are accepted.");
    expect(checkAttachment("edge.png", MAX_ATTACHMENT_BYTES, "image/png", PNG).ok).toBe(true);
  });

  it("explains non-media files", () => {
    const r = checkAttachment("notes.txt", 10, "text/plain", bytes("hello"));
    expect(!r.ok && r.message).toMatch(/“notes.txt” is not an image or audio file; chat accepts PNG, JPEG, WebP, GIF or BMP images and WAV, MP3, FLAC or Ogg audio. To add code, use \+ File\./);
    expect(!checkAttachment("doc.pdf", 10, "application/pdf", bytes("%PDF-1.7")).ok).toBe(true);
  });

  it("takes Ogg audio (a voice note: the host decodes it), and points other audio to WAV/MP3/FLAC/Ogg or Summarize Meeting", () => {
    expect(checkAttachment("memo.ogg", 5000, "", bytes("OggS", [0, 2]))).toEqual({ ok: true, kind: "audio", mimeType: "audio/ogg" });
    const m4a = checkAttachment("call.m4a", 5000, "audio/mp4", bytes([0, 0, 0, 32], "ftypM4A "));
    expect(!m4a.ok && m4a.message).toMatch(/M4A audio; chat accepts WAV, MP3, FLAC or Ogg audio\. .*Summarize Meeting Recording/);
  });

  it("names unsupported image formats", () => {
    const svg = checkAttachment("logo.svg", 300, "image/svg+xml", bytes("<svg xmlns"));
    expect(!svg.ok && svg.message).toMatch(/an SVG image; chat accepts PNG/);
    const heic = checkAttachment("IMG_1.heic", 3000, "image/heic", bytes([0, 0, 0, 24], "ftypheic"));
    expect(heic.ok).toBe(false);
  });

  it("rejects empty files", () => {
    const r = checkAttachment("", 0, "", new Uint8Array());
    expect(!r.ok && r.message).toBe("“The pasted file” is empty.");
  });
});

describe("base64 helpers", () => {
  it("decode the first bytes and the size without Buffer", () => {
    const raw = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const b64 = raw.toString("base64");
    expect(Array.from(base64Head(b64))).toEqual(Array.from(raw.subarray(0, 16)));
    expect(base64Bytes(b64)).toBe(raw.length);
    for (const len of [0, 1, 2, 3, 4, 5]) expect(base64Bytes(Buffer.alloc(len).toString("base64"))).toBe(len);
    expect(Array.from(base64Head(Buffer.from([1, 2]).toString("base64")))).toEqual([1, 2]);
  });
});
