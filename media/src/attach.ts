/**
 * Which files the chat accepts as attachments, decided from their first bytes (a pasted or dropped file
 * often has no MIME type, and a name can lie) and their size. Shared by the webview (paste, drop, the
 * attach button) and the extension (files dropped from the Explorer). No DOM or Node dependencies.
 *
 * Chat sends media to the engine as-is, so only formats llama.cpp decodes itself are accepted (PNG, JPEG,
 * WebP, GIF, BMP images and WAV, MP3, FLAC audio), and Ogg audio, which the host decodes (Opus, Vorbis).
 */

import { ascii, sniffMedia, type MediaKind } from "../../server/media/sniff";

export const MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024;
export const MAX_ATTACHMENTS = 10;
/** Bytes needed from the start of a file to recognize it. */
export const SNIFF_BYTES = 16;

export type { MediaKind } from "../../server/media/sniff";
export { sniffMedia };

export type AttachmentCheck =
  | { ok: true; kind: MediaKind; mimeType: string }
  | { ok: false; message: string };

const ACCEPTED = "PNG, JPEG, WebP, GIF or BMP images and WAV, MP3, FLAC or Ogg audio";

/** Names formats we recognize but cannot send, for a precise message. */
function recognizeOther(b: Uint8Array, name: string, declaredType: string): string | undefined {
  if (ascii(b, 4, 8) === "ftyp") return /^audio\//.test(declaredType) || /\.(m4a|aac)$/i.test(name) ? "M4A audio" : "an MP4/QuickTime file";
  if (b.length >= 4 && b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) return "a WebM/Matroska file";
  if (ascii(b, 0, 4) === "%PDF") return "a PDF";
  if (/\.svg$/i.test(name) || declaredType === "image/svg+xml") return "an SVG image";
  if (/^image\//.test(declaredType) || /\.(tiff?|heic|heif|avif|ico|psd)$/i.test(name)) return "an image format the model cannot read";
  if (/^audio\//.test(declaredType) || /\.(aac|aiff?|wma|opus|oga|ogg|m4a)$/i.test(name)) return "an audio format the model cannot read";
  return undefined;
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/**
 * Decides whether a file can be attached: `head` is its first bytes (at least {@link SNIFF_BYTES} when the
 * file is that long), `declaredType` the MIME type the browser gave (may be empty).
 */
export function checkAttachment(name: string, size: number, declaredType: string, head: Uint8Array): AttachmentCheck {
  const label = `“${name || "The pasted file"}”`;
  if (size === 0) return { ok: false, message: `${label} is empty.` };
  // Ogg (a voice note): the host decodes Opus and Vorbis to WAV before the engine sees it.
  const media = sniffMedia(head) ?? (ascii(head, 0, 4) === "OggS" ? { kind: "audio" as const, mimeType: "audio/ogg" } : undefined);
  if (!media) {
    const other = recognizeOther(head, name, declaredType);
    if (other && /audio|Ogg|M4A|WebM|MP4/.test(other)) {
      return {
        ok: false,
        message: `${label} is ${other}; chat accepts WAV, MP3, FLAC or Ogg audio. Convert it, or use “Hearth: Summarize Meeting Recording”, which converts other formats with ffmpeg.`,
      };
    }
    if (other) return { ok: false, message: `${label} is ${other}; chat accepts ${ACCEPTED}.` };
    return { ok: false, message: `${label} is not an image or audio file; chat accepts ${ACCEPTED}. To add code, use + File.` };
  }
  if (size > MAX_ATTACHMENT_BYTES) {
    return { ok: false, message: `${label} is ${formatSize(size)}; attachments up to ${formatSize(MAX_ATTACHMENT_BYTES)} are accepted.` };
  }
  return { ok: true, ...media };
}

/** Decoded size of base64 data (without a data: prefix). */
export function base64Bytes(data: string): number {
  const padding = data.endsWith("==") ? 2 : data.endsWith("=") ? 1 : 0;
  return Math.max(0, Math.floor((data.length * 3) / 4) - padding);
}

/** The first bytes of base64 data (enough for {@link sniffMedia}), without Node's Buffer or the DOM. */
export function base64Head(data: string, bytes = SNIFF_BYTES): Uint8Array {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const chars = data.slice(0, Math.ceil(bytes / 3) * 4);
  const out: number[] = [];
  for (let i = 0; i + 1 < chars.length; i += 4) {
    const n = [0, 1, 2, 3].map((k) => alphabet.indexOf(chars[i + k] ?? "="));
    if (n[0] < 0 || n[1] < 0) break;
    out.push((n[0] << 2) | (n[1] >> 4));
    if (n[2] >= 0) out.push(((n[1] & 15) << 4) | (n[2] >> 2));
    if (n[3] >= 0) out.push(((n[2] & 3) << 6) | n[3]);
    if (n[2] < 0 || n[3] < 0) break;
  }
  return Uint8Array.from(out.slice(0, bytes));
}
