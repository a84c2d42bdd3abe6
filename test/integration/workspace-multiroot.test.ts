/**
 * Multi-root workspaces with a real host over LSP: every folder's files are in the workspace prefix, under the
 * folder's name, and the prefix and the file watchers follow folders added and removed while running.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import {
  createProtocolConnection,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  DidChangeWorkspaceFoldersNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  RegistrationRequest,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  UnregistrationRequest,
  type ProtocolConnection,
  type Registration,
  type WorkspaceFolder,
} from "vscode-languageserver-protocol/node";
import { HostProcess, initializeHost } from "../../server/client/hostProcess";
import { writeTinyModels } from "../../server/gguf/tinyModels";
import { DEFAULT_SETTINGS, LoadModelRequest, type LogParams } from "../../server/protocol";
import { assertBuilt, completeAt, SERVER_MODULE } from "../helpers/tinyHost";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-multiroot-"));
const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanup) await c();
  fs.rmSync(root, { recursive: true, force: true });
});

/** A folder (named unlike its directory: the prefix shows the workspace's name) with one old source file. */
function folder(dir: string, name: string, file: string, text: string): WorkspaceFolder {
  const abs = path.join(root, dir, file);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.writeFileSync(abs, text);
  const old = new Date("2026-01-01T00:00:00Z");
  fs.utimesSync(abs, old, old);
  return { uri: pathToFileURL(path.join(root, dir)).href, name };
}

/** A host on these folders (tiny models, completions not reused), its logs, and the prompt of its last completion. */
async function startHost(name: string, models: { text: string }, folders: WorkspaceFolder[]) {
  const promptLog = path.join(root, `prompts-${name}.jsonl`);
  const logs: LogParams[] = [];
  const settings = { model: models.text, mmproj: "", drafter: "", threads: 2, contextSize: 32768, completion: { ...DEFAULT_SETTINGS.completion, reuse: false } };
  const host = await HostProcess.start({
    serverModule: (assertBuilt(), SERVER_MODULE),
    workspaceFolders: folders,
    storageDir: path.join(root, `storage-${name}`),
    settings,
    env: { ...process.env, HEARTH_PROMPT_LOG: promptLog },
    onLog: (l) => logs.push(l),
  });
  cleanup.push(() => host.dispose());
  const waitForLog = async (re: RegExp, from: number) => {
    await expect.poll(() => logs.slice(from).some((l) => re.test(l.message)), { timeout: 60_000, interval: 50 }).toBe(true);
  };
  /** The prompt of the last completion (not a warm-up or a prime: those generate nothing). */
  const lastPrompt = () =>
    fs.readFileSync(promptLog, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { endpoint: string; n_predict?: number; prompt?: string })
      .filter((e) => e.endpoint === "/completion" && e.n_predict !== 0).at(-1)!.prompt!;
  return { host, logs, settings, waitForLog, lastPrompt };
}

describe("a multi-root workspace", () => {
  it("gives a completion in the second folder's file the other folder's files, and follows folders added and removed", async () => {
    const tiny = await writeTinyModels(path.join(root, "models"));
    const frontend = folder("web-client", "frontend", "src/price.ts", "export function formatPrice(cents: number): string {\n  return `$${(cents / 100).toFixed(2)}`;\n}\n");
    const backend = folder("api-server", "backend", "src/orders.ts", "export interface Order {\n  id: string;\n  totalCents: number;\n}\n");
    const current = path.join(root, "api-server", "src", "handler.ts");
    fs.writeFileSync(current, "import type { Order } from './orders';\nexport const total = (o: Order) => \n");

    const { host, logs, waitForLog, lastPrompt } = await startHost("folders", tiny, [frontend, backend]);

    await host.connection.sendRequest(LoadModelRequest);
    await waitForLog(/workspace prefix warmed up: \d+ tokens/, 0);
    expect(logs.some((l) => /workspace prefix: 3 of 3 files/.test(l.message))).toBe(true);

    const uri = pathToFileURL(current).href;
    await host.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: "typescript", version: 1, text: fs.readFileSync(current, "utf8") },
    });
    await completeAt(host, uri, { line: 1, character: 35 });
    const prompt = lastPrompt();
    // The first folder's file, behind its workspace name; the file being edited by its path in the workspace.
    expect(prompt).toContain("Workspace file: frontend/src/price.ts");
    expect(prompt).toContain("return `$${(cents / 100).toFixed(2)}`;");
    expect(prompt).toContain("Workspace file: backend/src/orders.ts");
    expect(prompt).toContain("File being edited: backend/src/handler.ts");
    expect(prompt).not.toContain(root);

    // A folder added while running: its files join the prefix (at the end); a removed one's leave.
    const tools = folder("dev-tools", "tools", "scripts/seed.ts", "export const seedOrders = (n: number) => n * 2;\n");
    let before = logs.length;
    await host.connection.sendNotification(DidChangeWorkspaceFoldersNotification.type, { event: { added: [tools], removed: [frontend] } });
    await waitForLog(/workspace prefix warmed up: \d+ tokens/, before);
    await completeAt(host, uri, { line: 1, character: 35 });
    const after = lastPrompt();
    expect(after).toContain("Workspace file: tools/scripts/seed.ts");
    expect(after).not.toContain("formatPrice");
    expect(after.indexOf("Workspace file: backend/src/orders.ts")).toBeLessThan(after.indexOf("Workspace file: tools/scripts/seed.ts"));

    // Down to one folder: paths relative to it, as in a single-folder window.
    before = logs.length;
    await host.connection.sendNotification(DidChangeWorkspaceFoldersNotification.type, { event: { added: [], removed: [tools] } });
    await waitForLog(/workspace prefix warmed up: \d+ tokens/, before);
    await completeAt(host, uri, { line: 1, character: 35 });
    const single = lastPrompt();
    expect(single).toContain("Workspace file: src/orders.ts");
    expect(single).toContain("File being edited: src/handler.ts");
    expect(single).not.toContain("seedOrders");
  }, 240_000);

  it("applies each folder's own ignore patterns from workspace/didChangeConfiguration, the window's to folders without any", async () => {
    const tiny = await writeTinyModels(path.join(root, "models-ignore"));
    // The same path in both folders: a pattern of one folder must not leave out the other's.
    const frontend = folder("ignore-web", "frontend", "notes/todo.ts", "export const frontendTodo = 'render the cart';\n");
    const backend = folder("ignore-api", "backend", "notes/todo.ts", "export const backendTodo = 'index the orders';\n");
    folder("ignore-web", "frontend", "src/cart.ts", "export const cartTotal = (xs: number[]) => xs.reduce((a, b) => a + b, 0);\n");
    folder("ignore-api", "backend", "src/db.ts", "export const connect = (url: string) => url.length;\n");
    const current = path.join(root, "ignore-api", "src", "handler.ts");
    fs.writeFileSync(current, "import { connect } from './db';\nexport const open = () => \n");

    const { host, logs, settings, waitForLog, lastPrompt } = await startHost("ignore", tiny, [frontend, backend]);
    const uri = pathToFileURL(current).href;
    await host.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: "typescript", version: 1, text: fs.readFileSync(current, "utf8") },
    });
    await host.connection.sendRequest(LoadModelRequest);
    await waitForLog(/workspace prefix warmed up: \d+ tokens/, 0);

    /** Sends every setting, as the extension does, with these ignore patterns; the prompt of a completion after. */
    const promptWith = async (workspace: { ignore: string[]; folderIgnore?: Record<string, string[]> }) => {
      const before = logs.length;
      await host.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: { hearth: { ...settings, workspace: { ...workspace, maxTokens: 0 } } } });
      await waitForLog(/workspace prefix: ignore patterns changed/, before);
      await waitForLog(/workspace prefix warmed up: \d+ tokens/, before);
      await completeAt(host, uri, { line: 1, character: 26 });
      return lastPrompt();
    };

    // frontend's own (empty) list keeps its notes; backend has no entry, so the window's `notes/` leaves out its own.
    const first = await promptWith({ ignore: ["notes/"], folderIgnore: { [frontend.uri]: [] } });
    expect(first).toContain("Workspace file: frontend/notes/todo.ts");
    expect(first).toContain("frontendTodo");
    expect(first).not.toContain("backend/notes/todo.ts");
    expect(first).not.toContain("backendTodo");
    expect(first).toContain("Workspace file: backend/src/db.ts");

    // The folders' patterns change: frontend's notes leave, backend's come back (at the end of the workspace part).
    const second = await promptWith({ ignore: [], folderIgnore: { [frontend.uri]: ["notes/"], [backend.uri]: [] } });
    expect(second).not.toContain("frontendTodo");
    expect(second).toContain("Workspace file: backend/notes/todo.ts");
    expect(second).toContain("backendTodo");
    expect(second).toContain("Workspace file: frontend/src/cart.ts");
    expect(second.indexOf("Workspace file: backend/src/db.ts")).toBeLessThan(second.indexOf("Workspace file: backend/notes/todo.ts"));
  }, 240_000);

  it("asks a client like VS Code to watch every folder, again when folders change", async () => {
    assertBuilt();
    const child = spawn(process.execPath, [SERVER_MODULE, "--stdio"], { stdio: ["pipe", "pipe", "ignore"] });
    const connection: ProtocolConnection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    cleanup.push(async () => {
      await connection.sendRequest(ShutdownRequest.type).catch(() => undefined);
      await connection.sendNotification(ExitNotification.type).catch(() => undefined);
      connection.dispose();
    });
    const registered: Registration[] = [];
    const unregistered: string[] = [];
    connection.onRequest(RegistrationRequest.type, (p) => void registered.push(...p.registrations));
    connection.onRequest(UnregistrationRequest.type, (p) => void unregistered.push(...p.unregisterations.map((u) => u.id)));
    connection.listen();
    const a = { uri: pathToFileURL(path.join(root, "watch-a")).href, name: "a" };
    const b = { uri: pathToFileURL(path.join(root, "watch-b")).href, name: "b" };
    const capabilities = { workspace: { workspaceFolders: true, didChangeWatchedFiles: { dynamicRegistration: true, relativePatternSupport: true } } };
    await initializeHost(connection, { workspaceFolders: [a, b], capabilities });
    const watchers = () => registered.filter((r) => r.method === DidChangeWatchedFilesNotification.method).map((r) => r.registerOptions);
    await expect.poll(watchers).toEqual([{ watchers: [a, b].map((f) => ({ globPattern: { baseUri: f.uri, pattern: "**/*" } })) }]);

    await connection.sendNotification(DidChangeWorkspaceFoldersNotification.type, { event: { added: [], removed: [a] } });
    await expect.poll(() => watchers().length).toBe(2);
    expect(watchers()[1]).toEqual({ watchers: [{ globPattern: { baseUri: b.uri, pattern: "**/*" } }] });
    await expect.poll(() => unregistered).toEqual([registered[0].id]);
  });
});
