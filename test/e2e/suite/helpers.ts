/**
 * Shared by the extension-host tests. They run inside VS Code's extension host (code-server through the
 * smoke-test driver, or desktop VS Code through @vscode/test-electron) and observe the extension through
 * its `HearthApi` (src/api.ts); what only a person can do in the UI (typing into the chat webview) is
 * asked of the runner through a file "bridge" (test/e2e/run.mjs drives the page with playwright-core).
 *
 * Environment (set by the runner through the payload's `extensionEnvironment`):
 *   HEARTH_E2E_BRIDGE   directory for UI requests (req-ID.json → res-ID.json); absent = no UI bridge
 *   HEARTH_E2E_STATE    JSON file that survives a window reload (stage, data saved for after the reload)
 *   HEARTH_E2E_RESULTS  JSON-lines file the reporter appends each test result to
 *   HEARTH_E2E_TIMEOUT_SCALE  multiplies the waits (slow machines)
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import type { HearthApi } from "../../../src/api";
import type { ChatTurn } from "../../../src/chat/types";
import { EXTENSION_ID, Views } from "../../../src/ids";

export const SCALE = Number(process.env.HEARTH_E2E_TIMEOUT_SCALE) || 1;
/** Loading the tiny models takes seconds; the first start on a busy 2-core machine can take a minute. */
export const READY_MS = 180_000 * SCALE;

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `probe` until it returns a truthy value (returned) or throws (propagated); fails after `ms`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | null | Promise<T | undefined | false | null>, ms = 60_000 * SCALE, everyMs = 100): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(ms / 1000)} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

let apiPromise: Promise<HearthApi> | undefined;
/** The activated extension's API, once the model is ready. */
export function hearth(): Promise<HearthApi> {
  apiPromise ??= (async () => {
    const ext = await waitFor(`extension ${EXTENSION_ID} to be installed`, () => vscode.extensions.getExtension<HearthApi>(EXTENSION_ID), 30_000 * SCALE);
    const api = ext.isActive ? ext.exports : await ext.activate();
    assert.ok(api && typeof api.whenReady === "function", `${EXTENSION_ID} activated but exports no HearthApi (got ${typeof api})`);
    const status = await api.whenReady(READY_MS);
    assert.equal(status.state, "ready", `model state after whenReady(): ${JSON.stringify(status)}`);
    return api;
  })();
  return apiPromise;
}

export function workspaceUri(rel: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, "no workspace folder is open (the runner opens a copy of test/e2e/workspace)");
  return vscode.Uri.joinPath(folder.uri, ...rel.split("/"));
}

/** A line of detail for the runner's output (e.g. what a test typed and accepted). */
export function note(text: string): void {
  const file = process.env.HEARTH_E2E_RESULTS;
  if (file) fs.appendFileSync(file, JSON.stringify({ phase: "A", event: "note", text, at: Date.now() }) + "\n");
  else console.log(`      · ${text}`); // eslint-disable-line no-console
}

/** A turn as a short JSON string for failure messages. */
export function turnJson(t: ChatTurn | undefined): string {
  if (!t) return "(none)";
  return JSON.stringify({ ...t, text: t.text.length > 300 ? `${t.text.slice(0, 300)}…` : t.text, attachments: t.attachments?.map((a) => ({ kind: a.kind, name: a.name, mimeType: a.mimeType, chars: a.data.length })) });
}

// ---- state that survives a window reload ----

export interface E2eState {
  stage?: "before-reload" | "after-reload";
  reloadRequested?: boolean;
  failuresBeforeReload?: number;
  passesBeforeReload?: number;
  data?: Record<string, unknown>;
}

function statePath(): string | undefined {
  return process.env.HEARTH_E2E_STATE || undefined;
}

export function readState(): E2eState {
  const p = statePath();
  if (!p || !fs.existsSync(p)) return {};
  return JSON.parse(fs.readFileSync(p, "utf8")) as E2eState;
}

export function writeState(patch: Partial<E2eState>): void {
  const p = statePath();
  if (!p) return;
  const next = { ...readState(), ...patch };
  fs.writeFileSync(`${p}.tmp`, JSON.stringify(next, null, 2));
  fs.renameSync(`${p}.tmp`, p);
}

export function saveForAfterReload(key: string, value: unknown): void {
  const s = readState();
  writeState({ data: { ...(s.data ?? {}), [key]: value }, reloadRequested: true });
}

export function canReload(): boolean {
  return Boolean(statePath());
}

// ---- the UI bridge ----

let bridgeSeq = 0;
export function hasUiBridge(): boolean {
  return Boolean(process.env.HEARTH_E2E_BRIDGE);
}

/** Asks the runner to do something in the UI (see test/e2e/run.mjs `bridgeActions`) and waits for it. */
export async function ui(action: string, args: Record<string, unknown> = {}, ms = 60_000 * SCALE): Promise<unknown> {
  const dir = process.env.HEARTH_E2E_BRIDGE;
  assert.ok(dir, "no UI bridge (HEARTH_E2E_BRIDGE): this test needs the code-server runner");
  const id = `${process.pid}-${Date.now()}-${bridgeSeq++}`;
  const req = path.join(dir, `req-${id}.json`);
  fs.writeFileSync(`${req}.tmp`, JSON.stringify({ id, action, args }));
  fs.renameSync(`${req}.tmp`, req);
  const resPath = path.join(dir, `res-${id}.json`);
  const res = await waitFor(`the runner to do "${action}" in the UI`, () => (fs.existsSync(resPath) ? (JSON.parse(fs.readFileSync(resPath, "utf8")) as { ok: boolean; error?: string; value?: unknown }) : undefined), ms, 50);
  if (!res.ok) throw new Error(`UI action "${action}" failed: ${res.error}`);
  return res.value;
}

// ---- chat ----

/** Types `text` into the chat view's input and sends it, as a person does. */
export async function sendChatMessage(text: string): Promise<void> {
  await vscode.commands.executeCommand(`${Views.chat}.focus`);
  await ui("chatSend", { text });
}

export function describeTurns(turns: ChatTurn[]): string {
  return JSON.stringify(turns.map((t) => ({ role: t.role, status: t.status, chars: t.text.length, error: t.error, attachments: t.attachments?.map((a) => a.kind) })));
}

/**
 * Waits for the assistant turn that answers the user turn found by `isUser` among the turns added after
 * index `from`, until its status satisfies `until` (default: no longer streaming). Fails at once on "error"
 * unless `allowError`.
 */
export async function waitForAnswer(api: HearthApi, from: number, isUser: (t: ChatTurn) => boolean, opts: { ms?: number; allowError?: boolean; until?: (t: ChatTurn) => boolean; onPoll?: (t: ChatTurn | undefined) => void } = {}): Promise<{ user: ChatTurn; assistant: ChatTurn }> {
  const until = opts.until ?? ((t: ChatTurn) => t.status !== "streaming" && t.status !== undefined);
  return waitFor(
    "the assistant's answer in the chat history",
    () => {
      const turns = api.chatHistory().slice(from);
      const ui = turns.findIndex((t) => t.role === "user" && isUser(t));
      if (ui < 0) return undefined;
      const assistant = turns.slice(ui + 1).find((t) => t.role === "assistant");
      opts.onPoll?.(assistant);
      if (!assistant) return undefined;
      if (assistant.status === "error" && !opts.allowError) {
        throw new Error(`the assistant turn ended with an error: ${assistant.error ?? "(no message)"}; turns: ${describeTurns(turns)}`);
      }
      return until(assistant) ? { user: turns[ui], assistant } : undefined;
    },
    opts.ms ?? 180_000 * SCALE,
    50,
  );
}

/**
 * Runs `attempt` (one question, one answer) up to `tries` times while the answer is "done" but has no
 * visible text. When a random-weight tiny model's first token is Gemma 4's `<channel|>` marker,
 * llama-server's streamed chat returns no content at all (measured: the same request without streaming
 * returns the text). That comes from the noise, not from the path under test. Each retry is reported as
 * a note, so it shows in the run's output.
 */
export async function withVisibleAnswer<R extends { assistant: ChatTurn }>(what: string, attempt: (n: number) => Promise<R>, tries = 6): Promise<R> {
  for (let i = 1; ; i++) {
    const r = await attempt(i);
    if (r.assistant.status !== "done" || r.assistant.text.trim() || i >= tries) return r;
    note(`${what}: attempt ${i} generated ${r.assistant.stats?.generatedTokens ?? "?"} tokens but no visible text; asking again`);
  }
}

/** Opens scripts/revenue.ipynb and puts the cursor into its revenue() cell (the cell's own editor, focused). */
export async function editRevenueCell(): Promise<{ nb: vscode.NotebookDocument; index: number; cell: vscode.TextDocument; editor: vscode.TextEditor }> {
  const nb = await vscode.workspace.openNotebookDocument(workspaceUri("scripts/revenue.ipynb"));
  assert.equal(nb.notebookType, "jupyter-notebook");
  const nbEditor = await vscode.window.showNotebookDocument(nb);
  const index = nb.getCells().findIndex((c) => c.document.getText().includes("def revenue("));
  assert.ok(index >= 0, "fixture scripts/revenue.ipynb changed: no revenue() cell");
  nbEditor.selections = [new vscode.NotebookRange(index, index + 1)];
  await vscode.commands.executeCommand("notebook.cell.edit");
  const cell = nb.cellAt(index).document;
  // (entering a cell's edit mode is asynchronous)
  const editor = await waitFor("the cell's editor to have focus", () => (vscode.window.activeTextEditor?.document === cell ? vscode.window.activeTextEditor : undefined), 10_000 * SCALE);
  return { nb, index, cell, editor };
}
