/**
 * MTP through the product path (host + LSP inline completion): with the gemma4-assistant drafter on, greedy
 * completions are identical to those without it, and the drafter's counters reach the client. Random
 * weights mean drafts are refuted, which is exactly what verification must survive.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DidOpenTextDocumentNotification } from "vscode-languageserver-protocol";
import { writeTinyModels, type TinyModelPaths } from "../../server/gguf/tinyModels";
import type { CompletionStatsParams, HearthSettings } from "../../server/protocol";
import { completeAt, startTinyHost } from "../helpers/tinyHost";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-mtp-"));
let tiny: TinyModelPaths;
beforeAll(async () => {
  tiny = await writeTinyModels(path.join(root, "models"));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const documents = [
  "function add(a: number, b: number) {\n  return ",
  "export class Stack<T> {\n  private items: T[] = [];\n  push(item: T) {\n    ",
  "import fs from 'node:fs';\n\nexport function readConfig(path: string) {\n  const text = ",
];

async function completeAll(settings: Partial<HearthSettings>): Promise<{ texts: string[]; stats: CompletionStatsParams["stats"][] }> {
  const t = await startTinyHost({ model: tiny.text, mmproj: "", ...settings, completion: { maxTokens: 48, multiline: true, temperature: 0 } });
  try {
    const texts: string[] = [];
    const stats: CompletionStatsParams["stats"][] = [];
    for (const [i, text] of documents.entries()) {
      const uri = pathToFileURL(path.join(root, `doc${i}.ts`)).href;
      await t.host.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: "typescript", version: 1, text } });
      const lines = text.split("\n");
      const done = await completeAt(t.host, uri, { line: lines.length - 1, character: lines.at(-1)!.length });
      texts.push(done.text);
      stats.push(done.stats.stats);
    }
    return { texts, stats };
  } finally {
    await t.host.dispose();
  }
}

describe("MTP drafter in completions", () => {
  it("gives the same greedy completions as decoding without it, and reports its counters", async () => {
    const withMtp = await completeAll({ drafter: tiny.assistant, mtp: true });
    const without = await completeAll({ drafter: "", mtp: false });
    expect(withMtp.texts).toEqual(without.texts);
    expect(withMtp.stats.reduce((n, s) => n + s.generatedTokens, 0)).toBeGreaterThan(0);
    expect(withMtp.stats.reduce((n, s) => n + (s.draftTokens ?? 0), 0)).toBeGreaterThan(0);
    expect(without.stats.every((s) => s.draftTokens === undefined || s.draftTokens === 0)).toBe(true);
  }, 180_000);
});
