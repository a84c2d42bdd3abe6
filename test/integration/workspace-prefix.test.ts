/**
 * The workspace prefix with a real engine: once the model is loaded the host evaluates the workspace part of
 * the completion prompt in the background, and the first completion reuses it from the engine's cache.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import {
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  DidOpenTextDocumentNotification,
  DidSaveTextDocumentNotification,
} from "vscode-languageserver-protocol";
import type { HostProcess } from "../../server/client/hostProcess";
import { writeTinyModels } from "../../server/gguf/tinyModels";
import { ActiveEditorNotification, LoadModelRequest, WorkspacePrefixNotification, type WorkspacePrefixParams } from "../../server/protocol";
import { completeAt, startTinyHost } from "../helpers/tinyHost";
import { writeModules } from "../helpers/workspace";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-prefix-"));
let host: HostProcess | undefined;
let other: HostProcess | undefined;
afterAll(async () => {
  await host?.dispose();
  await other?.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

describe("workspace prefix", () => {
  it("is warmed up after loading, and the first completion reuses it from the engine cache", async () => {
    const tiny = await writeTinyModels(path.join(root, "models"));
    const ws = path.join(root, "ws");
    writeModules(ws, 8);
    const current = path.join(ws, "src", "main.ts");
    fs.writeFileSync(current, "import { value0_0 } from './module0';\nexport const answer = \n");

    const promptLog = path.join(root, "prompts.jsonl");
    const t = await startTinyHost({ model: tiny.text, mmproj: "", drafter: "" }, { HEARTH_PROMPT_LOG: promptLog }, pathToFileURL(ws).href, path.join(root, "storage"));
    host = t.host;
    const prefixStatus: WorkspacePrefixParams[] = [];
    host.connection.onNotification(WorkspacePrefixNotification, (p) => {
      prefixStatus.push(p);
    });
    await host.connection.sendRequest(LoadModelRequest);
    const line = await t.waitForLog(/workspace prefix warmed up: \d+ tokens/, 0, 60_000);
    const warm = Number(/warmed up: (\d+) tokens/.exec(line)![1]);
    expect(warm).toBeGreaterThan(1000);
    // The status bar is told: warming up, then ready with the size of the workspace context.
    await expect.poll(() => prefixStatus.at(-1)?.state).toBe("ready");
    expect(prefixStatus[0].state).toBe("warming");
    expect(prefixStatus.at(-1)).toMatchObject({ tokens: warm, chunks: 9 }) // 8 modules + main.ts (no file open yet);

    const uri = pathToFileURL(current).href;
    await host.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: "typescript", version: 1, text: fs.readFileSync(current, "utf8") },
    });
    const completeAgain = async () => (await completeAt(host!, uri, { line: 1, character: 21 })).stats.stats;
    const s = await completeAgain();
    // The workspace part came from the cache; only the file around the cursor was processed.
    expect(s.cachedTokens).toBeGreaterThanOrEqual(warm * 0.9);
    expect(s.processedTokens).toBeLessThan(warm / 2);

    // Saving the file being edited changes nothing its completions see (its own chunks are never in its
    // prefix): the background refresh must leave the slot alone, so the same completion is a full cache hit.
    await host.connection.sendNotification(DidSaveTextDocumentNotification.type, { textDocument: { uri } });
    await new Promise((r) => setTimeout(r, 3000));
    expect((await completeAgain()).processedTokens).toBeLessThan(8);
    // The engine did not tokenize the workspace prefix again for it: the prefix went as token ids.
    const sent = fs.readFileSync(promptLog, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { endpoint: string; n_predict?: number; prompt_ids?: number });
    const last = sent.filter((e) => e.endpoint === "/completion" && e.n_predict !== 0).at(-1)!;
    expect(last.prompt_ids).toBeGreaterThan(warm * 0.9);
    // Nor the rest up to the cursor's line (the file turn, the instructions: > 100 tokens), tokenized after
    // the first completion there: only the text of the cursor's line went as text.
    expect(last.prompt_ids).toBeGreaterThan(warm + 100);

    // A change elsewhere is evaluated in the background, off the keystroke path.
    const logsBefore = t.logs.length;
    const changed = path.join(ws, "src", "module2.ts");
    fs.appendFileSync(changed, "export const added = 1;\n");
    await host.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes: [{ uri: pathToFileURL(changed).href, type: 2 }] });
    const refreshed = await t.waitForLog(/workspace prefix warmed up: \d+ tokens, \d+ evaluated/, logsBefore, 60_000);
    expect(Number(/, (\d+) evaluated/.exec(refreshed)![1])).toBeGreaterThan(0);
    expect((await completeAgain()).processedTokens).toBeLessThan(warm / 2);

    // Switching to the oldest file (the start of the prefix) keeps the prefix: its chunks stay in it, so the
    // engine evaluates that file's window, not everything after its place in the prefix.
    const oldest = pathToFileURL(path.join(ws, "src", "module0.ts")).href;
    await host.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri: oldest, languageId: "typescript", version: 1, text: fs.readFileSync(path.join(ws, "src", "module0.ts"), "utf8") },
    });
    // Edit and save main.ts: it becomes the prefix's tail, which its own completions leave out...
    fs.writeFileSync(current, fs.readFileSync(current, "utf8") + "export const edited = answer;\n");
    const beforeSave = t.logs.length;
    await host.connection.sendNotification(DidSaveTextDocumentNotification.type, { textDocument: { uri } });
    await t.waitForLog(/workspace prefix warmed up: \d+ tokens/, beforeSave, 60_000);
    // ...and the prefix of any other file includes. The editor tells the host about the switch and its
    // cursor: that prefix, then the whole prompt at the cursor, are evaluated before the first keystroke in
    // the new file, so that keystroke evaluates only what it typed.
    const beforeSwitch = t.logs.length;
    await host.connection.sendNotification(ActiveEditorNotification, { uri: oldest, position: { line: 29, character: 10 } });
    const prepared = await t.waitForLog(/workspace prefix warmed up: \d+ tokens/, beforeSwitch, 60_000);
    const preparedTokens = Number(/warmed up: (\d+) tokens/.exec(prepared)![1]);
    // (the line after that warm-up: the save before primed the cursor of its own last completion)
    const afterWarm = t.logs.findIndex((l, i) => i >= beforeSwitch && l.message === prepared);
    const primed = await t.waitForLog(/cursor context primed: \d+ tokens evaluated/, afterWarm, 60_000);
    expect(Number(/primed: (\d+) tokens/.exec(primed)![1])).toBeGreaterThan(50); // the file's window
    const switched = (await completeAt(host, oldest, { line: 29, character: 10 })).stats.stats;
    expect(switched.cachedTokens).toBeGreaterThanOrEqual(preparedTokens);
    expect(switched.processedTokens).toBeLessThan(8);

    // A jump in the same file (a click) is primed too, without touching the workspace prefix.
    const beforeJump = t.logs.length;
    await host.connection.sendNotification(ActiveEditorNotification, { uri: oldest, position: { line: 3, character: 5 } });
    await t.waitForLog(/cursor context primed: \d+ tokens evaluated/, beforeJump, 60_000);
    expect(t.logs.slice(beforeJump).some((l) => /workspace prefix warmed up/.test(l.message))).toBe(false);
    expect((await completeAt(host, oldest, { line: 3, character: 5 })).stats.stats.processedTokens).toBeLessThan(8);

    // The first save of an old file (near the start of the prefix) evaluates its new text only: its previous
    // copy stays in place and the new one goes to the tail, instead of everything after it being re-evaluated.
    const m1 = path.join(ws, "src", "module1.ts");
    fs.appendFileSync(m1, "export const late = 2;\n");
    const beforeOld = t.logs.length;
    await host.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes: [{ uri: pathToFileURL(m1).href, type: 2 }] });
    const oldSaved = await t.waitForLog(/workspace prefix warmed up: \d+ tokens, \d+ evaluated/, beforeOld, 60_000);
    expect(t.logs.slice(beforeOld).some((l) => /chunks of earlier file versions kept in place/.test(l.message))).toBe(true);
    const grown = Number(/warmed up: (\d+) tokens/.exec(oldSaved)![1]);
    expect(grown).toBeGreaterThan(preparedTokens);
    expect(Number(/, (\d+) evaluated/.exec(oldSaved)![1])).toBeLessThan(warm / 3);
    const afterOld = (await completeAt(host, oldest, { line: 29, character: 10 })).stats.stats;
    expect(afterOld.cachedTokens).toBeGreaterThanOrEqual(grown - 16); // the engine rolls back to the turn start
  });

  it("follows the workspace settings: ignore patterns and maxTokens, changed while running", async () => {
    const tiny = await writeTinyModels(path.join(root, "models-settings"));
    const ws = path.join(root, "ws-settings");
    fs.mkdirSync(path.join(ws, "src"), { recursive: true });
    fs.mkdirSync(path.join(ws, "fixtures"), { recursive: true });
    const old = new Date("2026-01-01T00:00:00Z");
    for (const rel of ["src/a.ts", "src/b.ts", "fixtures/big.json"]) {
      const body = Array.from({ length: 40 }, (_, j) => `export const ${path.basename(rel, path.extname(rel))}${j} = ${j}; // line ${j} of ${rel}`).join("\n");
      fs.writeFileSync(path.join(ws, rel), body + "\n");
      fs.utimesSync(path.join(ws, rel), old, old);
    }
    const settings = { model: tiny.text, mmproj: "", drafter: "", workspace: { ignore: ["fixtures/"], maxTokens: 0 } };
    const t = await startTinyHost(settings, undefined, pathToFileURL(ws).href, path.join(root, "storage-settings"));
    other = t.host;
    await t.host.connection.sendRequest(LoadModelRequest);
    const first = await t.waitForLog(/workspace prefix warmed up: \d+ tokens/, 0, 60_000);
    expect(t.logs.some((l) => /workspace prefix: 2 of 2 files/.test(l.message))).toBe(true);
    const tokens = (line: string) => Number(/warmed up: (\d+) tokens/.exec(line)![1]);

    // The patterns change (the extension sends every setting): the fixture joins at the end, evaluated alone.
    const change = async (workspace: { ignore: string[]; maxTokens: number }) => {
      const before = t.logs.length;
      await t.host.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: { hearth: { ...settings, threads: 2, contextSize: 32768, workspace } } });
      return t.waitForLog(/workspace prefix warmed up: \d+ tokens/, before, 60_000);
    };
    const unignored = await change({ ignore: [], maxTokens: 0 });
    expect(t.logs.some((l) => /ignore patterns changed: 3 of 3 files/.test(l.message))).toBe(true);
    expect(tokens(unignored)).toBeGreaterThan(tokens(first) * 1.3);
    expect(Number(/, (\d+) evaluated/.exec(unignored)![1])).toBeLessThan(tokens(unignored) - tokens(first) + 64);

    // A cap of about one file's estimated tokens (40 lines of ~45 characters, ~3.5 characters a token) keeps
    // only the newest file.
    const capped = await change({ ignore: [], maxTokens: 700 });
    expect(tokens(capped)).toBeLessThan(tokens(first) * 0.7);
  }, 180_000);

  it("does not hold completions while it is evaluated: they answer at once with the part the engine holds", async () => {
    const tiny = await writeTinyModels(path.join(root, "models-steps"));
    const ws = path.join(root, "ws-steps");
    writeModules(ws, 16);
    const current = path.join(ws, "src", "main.ts");
    fs.writeFileSync(current, "import { value0_0 } from './module0';\nexport const answer = \n");
    // (steps of 2,048 tokens: the default 8,192 would take this whole small workspace in one)
    const t = await startTinyHost({ model: tiny.text, mmproj: "", drafter: "", contextSize: 65536 }, { HEARTH_PREFIX_MIN_STEP_TOKENS: "2048" }, pathToFileURL(ws).href, path.join(root, "storage-steps"));
    other = t.host;
    const uri = pathToFileURL(current).href;
    await t.host.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: "typescript", version: 1, text: fs.readFileSync(current, "utf8") },
    });
    await t.host.connection.sendRequest(LoadModelRequest); // the warm-up starts now, in the background
    const first = (await completeAt(t.host, uri, { line: 1, character: 21 })).stats.stats;
    const warmedBefore = t.logs.some((l) => /workspace prefix warmed up/.test(l.message));
    const line = await t.waitForLog(/workspace prefix warmed up: \d+ tokens/, 0, 120_000);
    const warm = Number(/warmed up: (\d+) tokens/.exec(line)![1]);
    expect(warm).toBeGreaterThan(5000);
    // The completion did not wait for the prefix (~5.5K tokens, the first step 2K): it came back before it was
    // done, without it.
    expect(warmedBefore).toBe(false);
    expect(first.promptTokens).toBeLessThan(warm / 2);
    // The warm-up went in steps (completions may take the slot between them) and then completions have all of it.
    expect(Number(/\((\d+) requests, between completions\)/.exec(line)?.[1])).toBeGreaterThan(1);
    const after = (await completeAt(t.host, uri, { line: 1, character: 21 })).stats.stats;
    expect(after.cachedTokens).toBeGreaterThanOrEqual(warm * 0.9);
  }, 300_000);
});
