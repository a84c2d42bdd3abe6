/**
 * Audit trail: with `HEARTH_PROMPT_LOG=FILE`, every prompt the host sends to the engine is appended to FILE
 * as one JSON line. Media bytes are replaced by a short description (type, size, sha256) so the log stays
 * readable and still proves what was sent: data: URIs (image_url), input_audio `data`, and every entry of a
 * `/completion` prompt's `multimodal_data` (raw base64, described with the format sniffed from its bytes).
 * A prompt sent partly as token ids (the workspace prefix, see server/completion/prefixTokens.ts) is logged
 * as its text, with `prompt_ids` = how many ids were sent.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import { sniffMedia } from "../media/sniff";

export function logPrompt(endpoint: string, body: Record<string, unknown>): void {
  const file = process.env.HEARTH_PROMPT_LOG;
  if (!file) return;
  // One pass over the body: a workspace-sized prompt is hundreds of KB of text.
  fs.appendFileSync(file, JSON.stringify({ time: new Date().toISOString(), endpoint, ...body }, redactMedia) + "\n");
}

/** JSON.stringify replacer: media bytes become their description. */
function redactMedia(key: string, v: unknown): unknown {
  if (key === "multimodal_data" && Array.isArray(v)) {
    return v.map((d: unknown) => (typeof d === "string" ? describe(sniffMedia(Buffer.from(d.slice(0, 64), "base64"))?.mimeType ?? "base64", d) : d));
  }
  if (typeof v !== "string") return v;
  const dataUri = v.startsWith("data:") ? /^data:([^;]+);base64,(.*)$/s.exec(v) : null;
  if (dataUri) return describe(dataUri[1], dataUri[2]);
  if (key === "data" && v.length > 256) return describe("base64", v);
  return v;
}

function describe(type: string, base64: string): string {
  const bytes = Buffer.from(base64, "base64");
  return `<${type} ${bytes.length} bytes sha256:${crypto.createHash("sha256").update(bytes).digest("hex").slice(0, 16)}>`;
}
