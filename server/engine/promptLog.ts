/**
 * Audit trail: with `HEARTH_PROMPT_LOG=FILE`, every prompt the host sends to the engine is appended to FILE
 * as one JSON line. Media bytes are replaced by a short description (type, size, sha256) so the log stays
 * readable and still proves what was sent. A prompt sent partly as token ids (the workspace prefix, see
 * server/completion/prefixTokens.ts) is logged as its text, with `prompt_ids` = how many ids were sent.
 */
import crypto from "node:crypto";
import fs from "node:fs";

export function logPrompt(endpoint: string, body: Record<string, unknown>): void {
  const file = process.env.HEARTH_PROMPT_LOG;
  if (!file) return;
  const entry = { time: new Date().toISOString(), endpoint, ...redactMedia(body) };
  fs.appendFileSync(file, JSON.stringify(entry) + "\n");
}

function redactMedia(value: unknown): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify(value, (key, v) => {
      if (typeof v !== "string") return v;
      const dataUri = /^data:([^;]+);base64,(.*)$/s.exec(v);
      if (dataUri) return describe(dataUri[1], dataUri[2]);
      if (key === "data" && v.length > 256) return describe("base64", v);
      return v;
    }),
  ) as Record<string, unknown>;
}

function describe(type: string, base64: string): string {
  const bytes = Buffer.from(base64, "base64");
  return `<${type} ${bytes.length} bytes sha256:${crypto.createHash("sha256").update(bytes).digest("hex").slice(0, 16)}>`;
}
