/**
 * The persisted workspace prefix with a real engine and host: saved after the first warm-up, restored by the
 * next host instead of re-prefilled, giving the same completion as a fresh prefill; a corrupt cache file is
 * detected and rebuilt; a file changed while the editor was closed only costs the changed tail.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DidChangeConfigurationNotification, DidOpenTextDocumentNotification } from "vscode-languageserver-protocol";
import { writeTinyModels, type TinyModelPaths } from "../../server/gguf/tinyModels";
import { LoadModelRequest, type CompletionStatsParams } from "../../server/protocol";
import { completeAt, startTinyHost, type TinyHost } from "../helpers/tinyHost";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-persist-"));
const ws = path.join(root, "ws");
const storage = path.join(root, "storage");
const cacheDir = path.join(storage, "prefix-cache");
let tiny: TinyModelPaths;
const hosts: TinyHost[] = [];

beforeAll(async () => {
  tiny = await writeTinyModels(path.join(root, "models"));
  fs.mkdirSync(path.join(ws, "src"), { recursive: true });
  for (let i = 0; i < 12; i++) writeModule(i, "v1", new Date(Date.UTC(2026, 0, 1 + i)));
  fs.writeFileSync(path.join(ws, "src", "main.ts"), MAIN);
});
afterAll(async () => {
  for (const h of hosts) await h.host.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

const MAIN = "import { value0_0 } from './module0';\nexport const answer = \n";

function writeModule(i: number, tag: string, mtime: Date, dir = ws): void {
  const file = path.join(dir, "src", `module${i}.ts`);
  const body = Array.from({ length: 30 }, (_, j) => `export const value${i}_${j} = ${i * 100 + j}; // ${tag} line ${j} of module ${i}`).join("\n");
  fs.writeFileSync(file, body + "\n");
  fs.utimesSync(file, mtime, mtime);
}

interface Run {
  warm: { tokens: number; processed: number; restored: number };
  completion: string;
  stats: CompletionStatsParams["stats"];
  logs: string[];
}

/**
 * One editor session: start a host, load the model, wait for the prefix, complete once in src/main.ts, stop.
 * `contextSize` sets the prefix budget (60 % of it, less 4096 tokens; see server/workspace/context.ts).
 */
async function session(dir = ws, storageDir = storage, contextSize?: number): Promise<Run> {
  const current = path.join(dir, "src", "main.ts");
  const t = await startTinyHost({ model: tiny.text, mmproj: "", drafter: "", ...(contextSize ? { contextSize } : {}) }, undefined, pathToFileURL(dir).href, storageDir);
  hosts.push(t);
  await t.host.connection.sendRequest(LoadModelRequest);
  const line = await t.waitForLog(/workspace prefix warmed up/, 0, 90_000);
  const m = /warmed up: (\d+) tokens, (\d+) evaluated/.exec(line)!;
  const restoredTokens = Number(/, (\d+) restored from disk/.exec(line)?.[1] ?? 0);
  // the save (when there is one) finishes right after the warm-up line
  await t.waitForLog(/workspace prefix (saved|not saved)|restored from disk/, 0, 30_000).catch(() => undefined);
  const uri = pathToFileURL(current).href;
  await t.host.connection.sendNotification(DidOpenTextDocumentNotification.type, {
    textDocument: { uri, languageId: "typescript", version: 1, text: fs.readFileSync(current, "utf8") },
  });
  const { text: completion, stats: done } = await completeAt(t.host, uri, { line: 1, character: 21 });
  const s = done.stats;
  await t.host.dispose();
  hosts.pop();
  return {
    warm: { tokens: Number(m[1]), processed: Number(m[2]), restored: restoredTokens },
    completion,
    stats: s,
    logs: t.logs.map((l) => l.message),
  };
}

describe("persisted workspace prefix", () => {
  let fresh: Run;

  it("is saved after the first warm-up", async () => {
    fresh = await session();
    expect(fresh.warm.tokens).toBeGreaterThan(3000);
    expect(fresh.warm.processed).toBeGreaterThan(fresh.warm.tokens * 0.9);
    expect(fresh.warm.restored).toBe(0);
    expect(fresh.logs.some((l) => /workspace prefix saved: \d+ tokens/.test(l))).toBe(true);
    const manifest = JSON.parse(fs.readFileSync(path.join(cacheDir, "completion-prefix.json"), "utf8"));
    expect(manifest.tokens).toBe(fresh.warm.tokens);
    expect(fs.existsSync(path.join(cacheDir, "completion-prefix.bin.ckpt"))).toBe(true);
    expect(fs.statSync(cacheDir).mode & 0o777).toBe(0o700);
  }, 180_000);

  it("is restored by the next session instead of re-prefilled, and completes exactly like a fresh prefill", async () => {
    const restored = await session();
    expect(restored.warm.restored).toBe(fresh.warm.tokens);
    expect(restored.warm.tokens).toBe(fresh.warm.tokens);
    expect(restored.warm.processed).toBeLessThan(16);
    expect(restored.logs.some((l) => /forcing full prompt re-processing/.test(l))).toBe(false);
    // same prompt, same greedy completion, and the completion too reused the restored cache
    expect(restored.completion).toBe(fresh.completion);
    expect(restored.stats.processedTokens).toBeLessThanOrEqual(fresh.stats.processedTokens + 16);
    expect(restored.stats.cachedTokens).toBeGreaterThan(fresh.warm.tokens * 0.8);
  }, 180_000);

  it("evaluates only a file that changed while the editor was closed, and keeps that layout for the next session", async () => {
    // module 3 sits early in the prefix (oldest first): the saved order keeps its old text in place and
    // its new text goes to the end, so the restored cache is extended, not re-evaluated from module 3 on
    writeModule(3, "v2", new Date());
    const run = await session();
    expect(run.warm.restored).toBe(fresh.warm.tokens);
    expect(run.warm.tokens).toBeGreaterThan(fresh.warm.tokens);
    expect(run.warm.processed).toBeGreaterThan(0);
    expect(run.warm.processed).toBeLessThan(run.warm.tokens * 0.2);
    expect(run.logs.some((l) => /in the saved order \(\d+ superseded chunks\)/.test(l))).toBe(true);
    expect(run.logs.some((l) => /forcing full prompt re-processing/.test(l))).toBe(false);
    // The next session lays the workspace out the same way: the whole prefix comes from disk.
    const next = await session();
    expect(next.warm.restored).toBe(run.warm.tokens);
    expect(next.warm.tokens).toBe(run.warm.tokens);
    expect(next.warm.processed).toBeLessThan(16);
    expect(next.completion).toBe(run.completion);
  }, 180_000);

  it("saves at once after a warm-up that evaluated most of the prefix anew, not after a small change", async () => {
    // Its own workspace and storage: the tests around this one expect the saved prefix of `ws`.
    const dir = path.join(root, "ws-resave");
    fs.cpSync(ws, dir, { recursive: true });
    for (let i = 0; i < 12; i++) writeModule(i, "v1", new Date(Date.UTC(2026, 0, 1 + i)), dir);
    const settings = { model: tiny.text, mmproj: "", drafter: "", workspace: { ignore: [] as string[], maxTokens: 0 } };
    const t = await startTinyHost(settings, undefined, pathToFileURL(dir).href, path.join(root, "storage-resave"));
    hosts.push(t);
    await t.host.connection.sendRequest(LoadModelRequest);
    await t.waitForLog(/workspace prefix saved/, 0, 90_000);
    const saves = () => t.logs.filter((l) => /workspace prefix saved/.test(l.message)).length;
    const change = async (ignore: string[]) => {
      const before = t.logs.length;
      await t.host.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: { hearth: { ...settings, threads: 2, contextSize: 32768, workspace: { ignore, maxTokens: 0 } } } });
      const line = await t.waitForLog(/workspace prefix warmed up: \d+ tokens/, before, 60_000);
      await t.waitForLog(/workspace prefix (saved|not saved)/, before, 5_000).catch(() => undefined);
      return Number(/, (\d+) evaluated/.exec(line)![1]) / Number(/warmed up: (\d+) tokens/.exec(line)![1]);
    };
    // The newest module leaves: only the tail changes, and the save waits for the interval (5 minutes).
    expect(await change(["src/module11.ts"])).toBeLessThan(0.5);
    expect(saves()).toBe(1);
    // The oldest module leaves: everything after it, nearly all the prefix, is evaluated again and saved now.
    expect(await change(["src/module11.ts", "src/module0.ts"])).toBeGreaterThan(0.5);
    expect(saves()).toBe(2);
    await t.host.dispose();
    hosts.pop();
  }, 180_000);

  it("is restored into a new engine at once, after a crash and after an engine setting changed, before any keystroke", async () => {
    const dir = path.join(root, "ws-restart");
    fs.cpSync(ws, dir, { recursive: true });
    for (let i = 0; i < 12; i++) writeModule(i, "v1", new Date(Date.UTC(2026, 0, 1 + i)), dir);
    const settings = { model: tiny.text, mmproj: "", drafter: "" };
    const t = await startTinyHost(settings, undefined, pathToFileURL(dir).href, path.join(root, "storage-restart"));
    hosts.push(t);
    await t.host.connection.sendRequest(LoadModelRequest);
    const first = await t.waitForLog(/workspace prefix warmed up: \d+ tokens/, 0, 90_000);
    await t.waitForLog(/workspace prefix saved/, 0, 30_000);
    const tokens = Number(/warmed up: (\d+) tokens/.exec(first)![1]);
    const restoredAfter = async (from: number) => {
      const line = await t.waitForLog(/workspace prefix warmed up: \d+ tokens/, from, 90_000);
      return { tokens: Number(/warmed up: (\d+) tokens/.exec(line)![1]), restored: Number(/, (\d+) restored from disk/.exec(line)?.[1] ?? 0) };
    };

    // The engine dies: the supervisor starts another, and the prefix comes back from disk on its own.
    let from = t.logs.length;
    process.kill(t.statuses.filter((st) => st.state === "ready").at(-1)!.engine!.pid!, "SIGKILL");
    await t.waitForLog(/engine restarted \(pid \d+\): bringing the workspace prefix back/, from, 60_000);
    expect(await restoredAfter(from)).toEqual({ tokens, restored: tokens });

    // An engine setting changes: the new engine starts at once (not at the next keystroke), prefix restored.
    from = t.logs.length;
    await t.host.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: { hearth: { ...settings, threads: 1, contextSize: 32768 } } });
    expect(await restoredAfter(from)).toEqual({ tokens, restored: tokens });
    await t.host.dispose();
    hosts.pop();
  }, 240_000);

  it("detects a corrupt cache file, rebuilds it, and still completes the same", async () => {
    writeModule(3, "v1", new Date(Date.UTC(2026, 0, 4))); // back to the first session's workspace
    const bin = path.join(cacheDir, "completion-prefix.bin");
    const fd = fs.openSync(bin, "r+");
    fs.writeSync(fd, Buffer.from("garbage!"), 0, 8, Math.floor(fs.statSync(bin).size / 2));
    fs.closeSync(fd);
    const run = await session();
    expect(run.logs.some((l) => /workspace prefix cache not used \(completion-prefix\.bin is corrupt/.test(l))).toBe(true);
    expect(run.warm.restored).toBe(0);
    expect(run.warm.processed).toBeGreaterThan(run.warm.tokens * 0.9);
    expect(run.logs.some((l) => /workspace prefix saved/.test(l))).toBe(true);
    expect(run.completion).toBe(fresh.completion);
  }, 180_000);

  it("does not use a cache saved for another model", async () => {
    fs.copyFileSync(tiny.text, path.join(root, "models", "other.gguf"));
    const t = await startTinyHost({ model: path.join(root, "models", "other.gguf"), mmproj: "", drafter: "" }, undefined, pathToFileURL(ws).href, storage);
    hosts.push(t);
    await t.host.connection.sendRequest(LoadModelRequest);
    await t.waitForLog(/workspace prefix warmed up/, 0, 90_000);
    expect(t.logs.some((l) => /cache not used \(saved for another model/.test(l.message))).toBe(true);
  }, 180_000);
});

describe("persisted workspace prefix of a workspace larger than the budget", () => {
  it("restores the same files after a restart (not a new choice by age), and a file edited while closed costs only its text", async () => {
    const big = path.join(root, "big-ws");
    const bigStorage = path.join(root, "big-storage");
    fs.mkdirSync(path.join(big, "src"), { recursive: true });
    for (let i = 0; i < 24; i++) writeModule(i, "v1", new Date(Date.UTC(2026, 0, 1 + i)), big);
    fs.writeFileSync(path.join(big, "src", "main.ts"), MAIN);
    const contextSize = 10240; // budget 2,048 tokens: about a third of the modules
    const first = await session(big, bigStorage, contextSize);
    expect(first.logs.some((l) => /workspace prefix: \d+ of 25 files/.test(l) && !/25 of 25 files/.test(l))).toBe(true);
    expect(first.logs.some((l) => /workspace prefix saved: \d+ tokens/.test(l))).toBe(true);

    const second = await session(big, bigStorage, contextSize);
    expect(second.warm.restored).toBe(first.warm.tokens);
    expect(second.warm.tokens).toBe(first.warm.tokens);
    expect(second.warm.processed).toBeLessThan(16);
    expect(second.completion).toBe(first.completion);

    // module 1 is among the oldest, out of the prefix; edited while closed, it comes in at the end
    writeModule(1, "v2", new Date(), big);
    const third = await session(big, bigStorage, contextSize);
    expect(third.warm.restored).toBe(first.warm.tokens);
    expect(third.warm.tokens).toBeGreaterThan(first.warm.tokens);
    expect(third.warm.processed).toBeLessThan(third.warm.tokens - first.warm.tokens + 64);
  }, 300_000);
});
