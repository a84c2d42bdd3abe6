/**
 * MTP through the product path (host + LSP inline completion): with the gemma4-assistant drafter on, greedy
 * completions are identical to those without it, and the drafter's counters reach the client. Random
 * weights mean drafts are refuted, which is exactly what verification must survive, and what the engine's
 * draft backoff (scripts/engine-patches/0003-draft-backoff.diff) must notice: after 3 refuted rounds in a row a
 * slot stops drafting for 4, 8, ... 64 tokens between single-token probes, across requests. A pair designed to
 * agree exercises accepted drafts, and the engine's draft pricing (0011-draft-cost.diff): drafting pauses where
 * a round costs more than the plain steps it saves, as on these tiny models (its logic: engine-draft-cost.test.ts).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DidOpenTextDocumentNotification } from "vscode-languageserver-protocol";
import { writeAgreeingMtpPair, writeTinyModels, type AgreeingMtpPairPaths, type TinyModelPaths } from "../../server/gguf/tinyModels";
import type { CompletionStatsParams, HearthSettings } from "../../server/protocol";
import { completeAt, startTinyHost } from "../helpers/tinyHost";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-mtp-"));
let tiny: TinyModelPaths;
let agreeing: AgreeingMtpPairPaths;
beforeAll(async () => {
  tiny = await writeTinyModels(path.join(root, "models"));
  // a pair built so that the drafter is right about 70 % of the time (server/gguf/agreeingMtp.ts)
  agreeing = await writeAgreeingMtpPair(path.join(root, "agreeing"), { acceptance: 0.7 });
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const documents = [
  "function add(a: number, b: number) {\n  return ",
  "export class Stack<T> {\n  private items: T[] = [];\n  push(item: T) {\n    ",
  "import fs from 'node:fs';\n\nexport function readConfig(path: string) {\n  const text = ",
];

async function completeAll(
  settings: Partial<HearthSettings>,
  env?: NodeJS.ProcessEnv,
): Promise<{ texts: string[]; stats: CompletionStatsParams["stats"][] }> {
  const t = await startTinyHost({ model: tiny.text, mmproj: "", ...settings, completion: { maxTokens: 48, multiline: true, temperature: 0 } }, env);
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

const sum = (stats: CompletionStatsParams["stats"][], f: (s: CompletionStatsParams["stats"]) => number | undefined) =>
  stats.reduce((n, s) => n + (f(s) ?? 0), 0);

describe("MTP drafter in completions", () => {
  it("gives the same greedy completions as decoding without it, reports its counters, and backs off from refuted drafts", async () => {
    const withMtp = await completeAll({ drafter: tiny.assistant, mtp: true });
    const without = await completeAll({ drafter: "", mtp: false });
    expect(withMtp.texts).toEqual(without.texts);
    const generated = sum(withMtp.stats, (s) => s.generatedTokens);
    expect(generated).toBeGreaterThan(0);
    // a fresh slot drafts: the first completion carries the drafter's counters
    expect(withMtp.stats[0].draftTokens ?? 0).toBeGreaterThan(0);
    expect(without.stats.every((s) => s.draftTokens === undefined || s.draftTokens === 0)).toBe(true);
    // every draft of the random drafter is refuted; without the backoff each generated token would come with
    // --spec-draft-n-max (3) drafted ones (measured before the patch: 405 drafted for 144 tokens), with it the
    // slot drafts for a few rounds and then only probes (measured: 12 + 1 + 1 for 3 × 48 tokens)
    expect(sum(withMtp.stats, (s) => s.draftAccepted)).toBe(0);
    expect(sum(withMtp.stats, (s) => s.draftTokens)).toBeLessThan(generated / 4);
  }, 180_000);

  it("gives the same greedy completions when the drafter's drafts are accepted, and counts them", async () => {
    const model = agreeing.text;
    // drafting every round, whatever it costs here (see the next test)
    const withMtp = await completeAll({ model, drafter: agreeing.assistant, mtp: true }, { HEARTH_DRAFT_COST: "0" });
    const without = await completeAll({ model, drafter: "", mtp: false });
    expect(withMtp.texts).toEqual(without.texts);
    expect(withMtp.texts.every((t) => t.length > 0)).toBe(true);
    const drafted = sum(withMtp.stats, (s) => s.draftTokens);
    const accepted = sum(withMtp.stats, (s) => s.draftAccepted);
    // verification both accepted drafts and refuted some (a wrong draft and every draft after it in a round)
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThan(drafted);
    // fewer target decode steps than tokens: each accepted draft saved one
    expect(accepted).toBeGreaterThan(sum(withMtp.stats, (s) => s.generatedTokens) / 4);
  }, 180_000);

  it("pauses drafting where a round costs more time per token than plain decoding, with the same greedy completions", async () => {
    // On these tiny models the 262K-entry output layer is nearly all of a step, for the target and the drafter
    // alike: a round of 3 drafts + a 4-row verification costs several plain steps and yields ~2.5 tokens. The
    // engine times both and stops drafting (32 tokens, then 64, ...), timing drafting again in between.
    const model = agreeing.text;
    const withMtp = await completeAll({ model, drafter: agreeing.assistant, mtp: true });
    const without = await completeAll({ model, drafter: "", mtp: false });
    expect(withMtp.texts).toEqual(without.texts);
    const generated = sum(withMtp.stats, (s) => s.generatedTokens);
    const paused = sum(withMtp.stats, (s) => s.draftPaused);
    // it drafted first (drafts accepted), timed 4 plain steps, then paused for most of the rest
    expect(sum(withMtp.stats, (s) => s.draftAccepted)).toBeGreaterThan(0);
    expect(paused).toBeGreaterThan(generated / 3);
    expect(without.stats.every((s) => s.draftPaused === undefined)).toBe(true);
  }, 180_000);
});
