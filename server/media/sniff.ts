/**
 * Recognizes the media formats llama.cpp decodes itself from a file's first bytes (a name can lie, a pasted
 * file often has no type). No DOM or Node dependencies: shared by the host (server/media/files.ts), the
 * extension and the chat webview (media/src/attach.ts).
 */

export type MediaKind = "image" | "audio";

/** Bytes [start, end) of `b` as latin-1 text. */
export function ascii(b: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end && i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

/** The format of a file from its first 16 bytes, when it is one the engine decodes. */
export function sniffMedia(b: Uint8Array): { kind: MediaKind; mimeType: string } | undefined {
  if (b.length >= 8 && b[0] === 0x89 && ascii(b, 1, 4) === "PNG" && b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a) {
    return { kind: "image", mimeType: "image/png" };
  }
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return { kind: "image", mimeType: "image/jpeg" };
  if (ascii(b, 0, 6) === "GIF87a" || ascii(b, 0, 6) === "GIF89a") return { kind: "image", mimeType: "image/gif" };
  if (ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 12) === "WEBP") return { kind: "image", mimeType: "image/webp" };
  if (ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 12) === "WAVE") return { kind: "audio", mimeType: "audio/wav" };
  if (ascii(b, 0, 2) === "BM" && b.length >= 14) return { kind: "image", mimeType: "image/bmp" };
  if (ascii(b, 0, 4) === "fLaC") return { kind: "audio", mimeType: "audio/flac" };
  if (ascii(b, 0, 3) === "ID3" || isMp3Frame(b)) return { kind: "audio", mimeType: "audio/mpeg" };
  return undefined;
}

/** An MPEG audio Layer III frame header (sync, valid version, bitrate and sample rate): not e.g. a UTF-16 BOM. */
function isMp3Frame(b: Uint8Array): boolean {
  if (b.length < 3 || b[0] !== 0xff || (b[1] & 0xe0) !== 0xe0) return false;
  const version = (b[1] >> 3) & 3;
  const layer = (b[1] >> 1) & 3;
  const bitrate = b[2] >> 4;
  const sampleRate = (b[2] >> 2) & 3;
  return version !== 1 && layer === 1 && bitrate !== 0 && bitrate !== 15 && sampleRate !== 3;
}

