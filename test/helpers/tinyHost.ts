/** Starts the real host (dist/server.js, over stdio LSP) on freshly generated tiny Gemma 4 models. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { HostProcess } from "../../server/client/hostProcess";
import { writeTinyModels } from "../../server/gguf/tinyModels";
import { InlineCompletionRequest, type InlineCompletionItem, type Position } from "vscode-languageserver-protocol";
import { CompletionStatsNotification, DEFAULT_SETTINGS, LoadModelRequest, type CompletionStatsParams, type HearthSettings, type LogParams, type ModelStatus } from "../../server/protocol";

export const SERVER_MODULE = path.resolve(__dirname, "../../dist/server.js");
export const CLI = path.resolve(__dirname, "../../dist/cli.js");

export function assertBuilt(): void {
  if (!fs.existsSync(SERVER_MODULE) || !fs.existsSync(CLI)) {
    throw new Error("dist/ is missing: run `npm run build` (npm test does it first)");
  }
}

export async function tinyModels(): Promise<{ dir: string; text: string; textFim: string; mmproj: string; assistant: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-tiny-"));
  return { dir, ...(await writeTinyModels(dir)) };
}

export interface TinyHost {
  host: HostProcess;
  logs: LogParams[];
  statuses: ModelStatus[];
  /** The first log line matching `re` at or after index `from` of `logs`. */
  waitForLog(re: RegExp, from?: number, timeoutMs?: number): Promise<string>;
}

export async function startTinyHost(
  settings: Partial<HearthSettings>,
  env?: NodeJS.ProcessEnv,
  rootUri?: string,
  storageDir?: string,
): Promise<TinyHost> {
  assertBuilt();
  const logs: LogParams[] = [];
  const statuses: ModelStatus[] = [];
  const host = await HostProcess.start({
    serverModule: SERVER_MODULE,
    rootUri,
    storageDir,
    // Completion reuse off: these tests look at what the engine does for each request (tests of reuse turn it on).
    settings: { threads: 2, contextSize: 32768, ...settings, completion: { ...DEFAULT_SETTINGS.completion, reuse: false, ...settings.completion } },
    env: { ...process.env, ...env },
    onLog: (l) => logs.push(l),
    onStatus: (s) => statuses.push(s),
  });
  const waitForLog = async (re: RegExp, from = 0, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = logs.slice(from).find((l) => re.test(l.message));
      if (hit) return hit.message;
      if (Date.now() > deadline) throw new Error(`no log line matching ${re} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { host, logs, statuses, waitForLog };
}

/**
 * A host on a workspace folder with its model loaded and its workspace prefix evaluated and saved (the start
 * of every workspace chat test); `warm` is the prefix's size in tokens.
 */
export async function startWarmWorkspaceHost(
  settings: Partial<HearthSettings>,
  env: NodeJS.ProcessEnv,
  workspaceDir: string,
  storageDir: string,
): Promise<{ t: TinyHost; warm: number }> {
  const t = await startTinyHost(settings, env, pathToFileURL(workspaceDir).href, storageDir);
  await t.host.connection.sendRequest(LoadModelRequest);
  const line = await t.waitForLog(/workspace prefix warmed up: \d+ tokens/, 0, 90_000);
  const warm = Number(/warmed up: (\d+) tokens/.exec(line)![1]);
  await t.waitForLog(/workspace prefix (saved|not saved)/, 0, 30_000);
  return { t, warm };
}

export interface CompletionAt {
  /** The items' insert texts, joined with "|" ("" when there is none). */
  text: string;
  items: InlineCompletionItem[];
  /** What the host reported for this request (CompletionStatsNotification). */
  stats: CompletionStatsParams;
}

/** Requests an inline completion at `position` of an open document, as VS Code does, with its stats. */
export async function completeAt(host: HostProcess, uri: string, position: Position): Promise<CompletionAt> {
  const stats = new Promise<CompletionStatsParams>((resolve) => {
    const sub = host.connection.onNotification(CompletionStatsNotification, (p) => {
      if (p.uri !== uri) return;
      sub.dispose();
      resolve(p);
    });
  });
  const result = await host.connection.sendRequest(InlineCompletionRequest.type, { textDocument: { uri }, position, context: { triggerKind: 1 } });
  const items = Array.isArray(result) ? result : (result?.items ?? []);
  const text = items.map((i) => (typeof i.insertText === "string" ? i.insertText : i.insertText.value)).join("|");
  return { text, items, stats: await stats };
}
