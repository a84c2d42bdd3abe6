/**
 * Completion reuse through the real host and engine: typing the start of the suggestion being shown is
 * answered with the rest of it without an engine request, and going back (backspace) gets the earlier
 * completion again; typing something else asks the engine.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DidChangeTextDocumentNotification, DidOpenTextDocumentNotification } from "vscode-languageserver-protocol";
import { DEFAULT_SETTINGS } from "../../server/protocol";
import { completeAt, startTinyHost, tinyModels, type TinyHost } from "../helpers/tinyHost";

let t: TinyHost | undefined;
let dir: string | undefined;
afterAll(async () => {
  await t?.host.dispose();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function positionOf(text: string, offset: number) {
  const before = text.slice(0, offset).split("\n");
  return { line: before.length - 1, character: before.at(-1)!.length };
}

describe("completion reuse", () => {
  it("types through the suggestion without the engine, gets it back after a backspace, asks again otherwise", async () => {
    const models = await tinyModels();
    dir = models.dir;
    const log = path.join(models.dir, "prompts.jsonl");
    t = await startTinyHost(
      { model: models.text, mmproj: "", drafter: "", completion: { ...DEFAULT_SETTINGS.completion, maxTokens: 12, reuse: true } },
      { HEARTH_PROMPT_LOG: log },
    );
    const engineRequests = () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n").filter((l) => l.includes('"/completion"')).length : 0);
    const uri = "file:///work/demo/total.ts";
    const original = "export function total(xs: number[]): number {\n  return xs.reduce((a, b) => a + b, 0);\n}\n\nexport function mean(xs: number[]): number {\n  return \n}\n";
    const cursor = original.indexOf("return \n}\n", original.indexOf("mean")) + "return ".length;
    let version = 1;
    await t.host.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: "typescript", version, text: original } });
    const setText = (text: string) =>
      t!.host.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version: ++version }, contentChanges: [{ text }] });

    const first = await completeAt(t.host, uri, positionOf(original, cursor));
    expect(first.stats.stats.reused).toBeUndefined();
    expect(first.text.length).toBeGreaterThan(1); // the tiny model's greedy answer here (deterministic)
    const requests = engineRequests();

    // The user types the suggestion's first character: the rest is the answer, at once, without the engine.
    const typed = original.slice(0, cursor) + first.text[0] + original.slice(cursor);
    await setText(typed);
    const through = await completeAt(t.host, uri, positionOf(typed, cursor + 1));
    expect(through.stats.stats.reused).toBe("type-through");
    expect(through.text).toBe(first.text.slice(1));
    expect(engineRequests()).toBe(requests);

    // Backspace: the earlier context, the earlier completion.
    await setText(original);
    const back = await completeAt(t.host, uri, positionOf(original, cursor));
    expect(back.stats.stats.reused).toBe("recent");
    expect(back.text).toBe(first.text);
    expect(engineRequests()).toBe(requests);

    // Something the suggestion does not start with: the engine is asked.
    const other = first.text[0] === "§" ? "¶" : "§";
    const diverged = original.slice(0, cursor) + other + original.slice(cursor);
    await setText(diverged);
    const asked = await completeAt(t.host, uri, positionOf(diverged, cursor + 1));
    expect(asked.stats.stats.reused).toBeUndefined();
    expect(engineRequests()).toBe(requests + 1);
  });
});
