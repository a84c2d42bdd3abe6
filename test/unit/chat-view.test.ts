/**
 * ChatViewProvider's message flow, against a small in-memory stand-in for the `vscode` module (the real
 * one exists only inside VS Code): the HTML and CSP, ready → state, send → streamed turns, stop, errors,
 * persistence across a reload, Explain Screenshot, context chips, code actions and links.
 */
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { ChatMessage, ChatResult, GenerationStats } from "../../server/protocol";
import type { ChatBackend } from "../../src/chat/backend";
import type { ToView } from "../../src/chat/viewProtocol";

const fake = vi.hoisted(() => {
  type Listener<T> = (e: T) => void;
  class Emitter<T> {
    private listeners: Listener<T>[] = [];
    event = (l: Listener<T>) => {
      this.listeners.push(l);
      return { dispose: () => (this.listeners = this.listeners.filter((x) => x !== l)) };
    };
    fire(e: T) {
      for (const l of [...this.listeners]) l(e);
    }
  }
  class Uri {
    constructor(readonly scheme: string, readonly path: string, private readonly raw?: string) {}
    get fsPath() {
      return this.path;
    }
    static file(p: string) {
      return new Uri("file", p);
    }
    static parse(s: string) {
      const m = /^([a-z][\w+.-]*):(?:\/\/[^/]*)?(.*)$/i.exec(s);
      if (!m) throw new Error(`bad uri ${s}`);
      return new Uri(m[1].toLowerCase(), m[2], s);
    }
    static joinPath(base: Uri, ...parts: string[]) {
      const out: string[] = [];
      for (const seg of [base.path, ...parts].join("/").split("/")) {
        if (seg === "..") out.pop();
        else if (seg && seg !== ".") out.push(seg);
      }
      return new Uri(base.scheme, `/${out.join("/")}`);
    }
    toString() {
      return this.raw ?? `${this.scheme}://${this.path}`;
    }
    with(change: { scheme?: string }) {
      return new Uri(change.scheme ?? this.scheme, this.path);
    }
  }
  class CancellationTokenSource {
    private emitter = new Emitter<void>();
    token = { isCancellationRequested: false, onCancellationRequested: this.emitter.event };
    cancel() {
      if (this.token.isCancellationRequested) return;
      this.token.isCancellationRequested = true;
      this.emitter.fire();
    }
    dispose() {}
  }
  const calls = {
    clipboard: [] as string[],
    opened: [] as string[],
    commands: [] as string[],
    warnings: [] as string[],
    newDocs: [] as { language?: string; content?: string }[],
    shown: [] as unknown[],
    terminals: [] as { name: string; shown: number; sent: [string, boolean | undefined][] }[],
  };
  const editorChange = new Emitter<unknown>();
  /** The file watcher the `#` menu's list creates: its create and delete events. */
  const watcher = { created: new Emitter<unknown>(), deleted: new Emitter<unknown>(), ignores: new Emitter<unknown>(), count: 0 };
  /** The files `workspace.fs` and `findFiles` see (absolute path → text), and the diagnostics by path. */
  const files = new Map<string, string>();
  const diagnostics = new Map<string, unknown[]>();
  class Range {
    readonly start: { line: number; character: number };
    readonly end: { line: number; character: number };
    constructor(sl: number, sc: number, el: number, ec: number) {
      this.start = { line: sl, character: sc };
      this.end = { line: el, character: ec };
    }
  }
  class RelativePattern {
    constructor(readonly base: { uri: Uri }, readonly pattern: string) {}
  }
  const vscode = {
    Uri,
    CancellationTokenSource,
    RelativePattern,
    Range,
    DiagnosticSeverity: { Error: 0, Warning: 1, Information: 2, Hint: 3 },
    FileType: { File: 1, Directory: 2 },
    window: {
      activeTextEditor: undefined as unknown,
      visibleTextEditors: [] as unknown[],
      onDidChangeActiveTextEditor: editorChange.event,
      showTextDocument: async (doc: unknown) => {
        calls.shown.push(doc);
        // An editor on a document opened at a path (an unsaved file there): its edits are recorded.
        if ((doc as { edits?: unknown[] }).edits) {
          return { document: doc, edit: async (f: (b: { replace(r: unknown, t: string): void }) => void) => (f({ replace: (_r, t) => (doc as { edits: string[] }).edits.push(t) }), true) };
        }
        return vscode.window.activeTextEditor;
      },
      showWarningMessage: async (m: string) => void calls.warnings.push(m),
      /** Terminals: what was typed at their prompt (and whether it was run). */
      activeTerminal: undefined as unknown,
      createTerminal: (o: { name: string }) => {
        const t = { name: o.name, shown: 0, sent: [] as [string, boolean | undefined][], show() { this.shown++; }, sendText(text: string, run?: boolean) { this.sent.push([text, run]); } };
        calls.terminals.push(t);
        return t;
      },
      showInformationMessage: async (m: string) => void calls.warnings.push(m),
    },
    NotebookCellKind: { Markup: 1, Code: 2 },
    workspace: {
      onDidChangeWorkspaceFolders: new Emitter<unknown>().event,
      onDidChangeConfiguration: new Emitter<unknown>().event,
      createFileSystemWatcher: (glob: string) => {
        if (glob !== "**/*") return { onDidCreate: watcher.ignores.event, onDidChange: watcher.ignores.event, onDidDelete: watcher.ignores.event, dispose() {} };
        watcher.count++;
        return { onDidCreate: watcher.created.event, onDidChange: new Emitter<unknown>().event, onDidDelete: watcher.deleted.event, dispose() {} };
      },
      notebookDocuments: [] as unknown[],
      /** A notebook file opened by path: its cells from the .ipynb's JSON (code cells in python). */
      openNotebookDocument: async (u: Uri) => {
        const nb = JSON.parse(files.get(u.path) ?? "{}") as { cells?: { cell_type: string; source: string[] }[] };
        const cells = (nb.cells ?? []).map((c) => ({
          kind: c.cell_type === "markdown" ? 1 : 2,
          document: { languageId: c.cell_type === "markdown" ? "markdown" : "python", getText: () => c.source.join("") },
        }));
        return { uri: u, isUntitled: false, getCells: () => cells };
      },
      asRelativePath: (u: Uri) => u.path.replace(/^\/work\//, ""),
      textDocuments: [] as unknown[],
      getConfiguration: () => ({ get: () => undefined }),
      workspaceFolders: [{ uri: Uri.file("/work"), name: "work", index: 0 }],
      getWorkspaceFolder: (u: Uri) => (u.path.startsWith("/work/") ? vscode.workspace.workspaceFolders[0] : undefined),
      /** `**\/name` or `**\/{a,b}.ext`-style globs, enough for the tests: matched on the file name. */
      findFiles: async (p: RelativePattern) => {
        const names = p.pattern.replace(/^\*\*\//, "");
        const alternatives = (g: string): string[] => {
          const m = /\{([^{}]*)\}/.exec(g);
          return m ? m[1].split(",").flatMap((a) => alternatives(g.slice(0, m.index) + a + g.slice(m.index + m[0].length))) : [g];
        };
        const res = alternatives(names).map((g) => new RegExp(`^${g.replace(/[.+^$()|]/g, "\\$&").replace(/\*/g, ".*")}$`));
        return [...files.keys()].filter((f) => f.startsWith(`${p.base.uri.path}/`) && res.some((r) => r.test(f.split("/").pop()!))).map((f) => Uri.file(f));
      },
      openTextDocument: async (opts: { language?: string; content?: string } | Uri) => {
        if (opts instanceof Uri && files.has(opts.path)) {
          const text = files.get(opts.path)!;
          const lines = text.split("\n");
          const getText = (r?: { start: { line: number }; end: { line: number; character: number } }) =>
            r ? [...lines.slice(r.start.line, r.end.line), lines[r.end.line].slice(0, r.end.character)].join("\n") : text;
          return { uri: opts, isUntitled: false, languageId: opts.path.endsWith(".py") ? "python" : "typescript", getText, lineAt: (n: number) => ({ text: lines[n] }), lineCount: lines.length, edits: [] as string[] };
        }
        if (opts instanceof Uri) {
          calls.newDocs.push({ content: opts.toString() });
          return { uri: opts, lineCount: 1, edits: [] as string[] };
        }
        calls.newDocs.push(opts);
        return { uri: new Uri("untitled", "Untitled-1"), ...opts };
      },
      fs: {
        stat: async (u: Uri) => {
          if (!files.has(u.path)) throw new Error(`ENOENT ${u.path}`);
          return { type: 1, size: files.get(u.path)!.length };
        },
        readFile: async (u: Uri) => {
          if (!files.has(u.path)) throw new Error(`ENOENT ${u.path}`);
          return new TextEncoder().encode(files.get(u.path));
        },
      },
    },
    env: {
      clipboard: { writeText: async (t: string) => void calls.clipboard.push(t) },
      openExternal: async (u: Uri) => {
        calls.opened.push(u.toString());
        return true;
      },
    },
    commands: {
      /** What a command answers (the document symbol provider's tree, say); undefined for the others. */
      results: new Map<string, unknown>(),
      executeCommand: async (c: string) => {
        calls.commands.push(c);
        return vscode.commands.results.get(c);
      },
    },
    languages: {
      getLanguages: async () => ["typescript", "python", "plaintext", "shellscript"],
      getDiagnostics: (u: Uri) => diagnostics.get(u.path) ?? [],
    },
  };
  return { vscode, calls, Emitter, files, diagnostics, watcher };
});

vi.mock("vscode", () => fake.vscode);

const { ChatViewProvider } = await import("../../src/chat/chatViewProvider");
const { HostStoppedError } = await import("../../src/hostStopped");
const { HISTORY_KEY } = await import("../../src/chat/history");

// ---------------------------------------------------------------------------------------------------

class Memento {
  data = new Map<string, string>();
  get<T>(k: string): T | undefined {
    const v = this.data.get(k);
    return v === undefined ? undefined : JSON.parse(v);
  }
  async update(k: string, v: unknown) {
    if (v === undefined) this.data.delete(k);
    else this.data.set(k, JSON.stringify(v));
  }
}

const stats = (over: Partial<GenerationStats> = {}): GenerationStats => ({
  promptTokens: 10, cachedTokens: 0, processedTokens: 10, generatedTokens: 5, promptMs: 5, generationMs: 200,
  tokensPerSecond: 25, totalMs: 250, stoppedBy: "eos", ...over,
});

/** A backend whose requests the test drives by hand. */
class ScriptedBackend implements ChatBackend {
  requests: { messages?: ChatMessage[]; workspace?: boolean; focus?: string; image?: { data: string; mimeType: string }; question?: string; onText: (t: string) => void; token: { isCancellationRequested: boolean }; resolve: (r: ChatResult) => void; reject: (e: unknown) => void }[] = [];
  chat(messages: ChatMessage[], onText: (t: string) => void, token: never, options?: { workspace?: boolean; focus?: string }): Promise<ChatResult> {
    return new Promise((resolve, reject) => this.requests.push({ messages, workspace: options?.workspace, focus: options?.focus, onText, token, resolve, reject }));
  }
  explainImage(image: { data: string; mimeType: string }, question: string | undefined, onText: (t: string) => void, token: never): Promise<ChatResult> {
    return new Promise((resolve, reject) => this.requests.push({ image, question, onText, token, resolve, reject }));
  }
  get last() {
    return this.requests[this.requests.length - 1];
  }
}

function makeView() {
  const received = new fake.Emitter<unknown>();
  const disposed = new fake.Emitter<void>();
  const posted: ToView[] = [];
  const view = {
    visible: true,
    show: vi.fn(),
    onDidDispose: disposed.event,
    webview: {
      options: {} as { enableScripts?: boolean; localResourceRoots?: { path: string }[] },
      html: "",
      cspSource: "https://webview.test",
      asWebviewUri: (u: { path: string }) => `https://webview.test${u.path}`,
      postMessage: async (m: ToView) => {
        posted.push(JSON.parse(JSON.stringify(m)));
        return true;
      },
      onDidReceiveMessage: received.event,
    },
  };
  return { view, posted, say: (m: unknown) => received.fire(m), dispose: () => disposed.fire() };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

function setup(memento = new Memento(), changes?: ConstructorParameters<typeof ChatViewProvider>[3]) {
  const context = { workspaceState: memento, extensionUri: fake.vscode.Uri.file("/ext"), subscriptions: [] as { dispose(): void }[] };
  const backend = new ScriptedBackend();
  const logs: string[] = [];
  const provider = new ChatViewProvider(context as never, backend, (m) => logs.push(m), changes);
  const v = makeView();
  provider.resolveWebviewView(v.view as never);
  return { provider, backend, memento, logs, context, ...v };
}

beforeEach(() => {
  for (const list of Object.values(fake.calls)) list.length = 0;
  fake.files.clear();
  fake.diagnostics.clear();
  fake.vscode.commands.results.clear();
  fake.vscode.window.activeTextEditor = undefined;
  fake.vscode.window.visibleTextEditors = [];
});

describe("ChatViewProvider", () => {
  it("serves the view with a strict CSP, a fresh nonce and only media/ as a resource root", () => {
    const a = setup();
    const html = a.view.webview.html;
    const csp = /content="([^"]+)"/.exec(html)![1];
    const nonce = /'nonce-([^']+)'/.exec(csp)![1];
    expect(csp).toBe(
      `default-src 'none'; img-src https://webview.test data: blob:; style-src https://webview.test; script-src 'nonce-${nonce}'; font-src https://webview.test`,
    );
    expect(html).toContain(`<script nonce="${nonce}" src="https://webview.test/ext/media/chat.js"></script>`);
    expect(html).toContain('<link rel="stylesheet" href="https://webview.test/ext/media/chat.css">');
    expect(html).not.toMatch(/style=|<style/);
    expect(a.view.webview.options.enableScripts).toBe(true);
    expect(a.view.webview.options.localResourceRoots!.map((u) => u.path)).toEqual(["/ext/media"]);
    const b = setup();
    expect(/'nonce-([^']+)'/.exec(b.view.webview.html)![1]).not.toBe(nonce);
    expect(nonce.length).toBeGreaterThanOrEqual(16);
  });

  it("sends the whole state on ready", async () => {
    const a = setup();
    a.provider.setModelState("downloading", "Downloading model.gguf: 42%");
    a.posted.length = 0;
    a.say({ type: "ready" });
    await flush();
    expect(a.posted).toEqual([
      { type: "history", turns: [], busy: false },
      { type: "context", chips: [] },
      { type: "modelState", state: "downloading", detail: "Downloading model.gguf: 42%" },
    ]);
  });

  it("streams an answer: user turn, assistant turn, deltas, done with stats; and persists it", async () => {
    const a = setup();
    a.say({ type: "send", text: "  What is 2+2?  ", attachments: [], context: [] });
    await flush();
    expect(a.backend.last.messages!.at(-1)).toEqual({ role: "user", content: "What is 2+2?" });
    expect(a.backend.last.messages![0].role).toBe("system");
    a.backend.last.onText("It is ");
    a.backend.last.onText("**4**.");
    a.backend.last.resolve({ text: "It is **4**.", stats: stats(), mediaTokens: 0 });
    await flush();
    await flush();
    const types = a.posted.map((m) => m.type);
    expect(types).toEqual(["turn", "context", "turn", "delta", "delta", "done"]);
    const [userMsg, , assistantMsg] = a.posted as Extract<ToView, { type: "turn" }>[];
    expect(userMsg.turn).toMatchObject({ role: "user", text: "What is 2+2?" });
    expect(assistantMsg.turn).toMatchObject({ role: "assistant", status: "streaming", text: "" });
    expect(a.posted.at(-1)).toEqual({ type: "done", id: assistantMsg.turn.id, status: "done", stats: { tokensPerSecond: 25, totalMs: 250, generatedTokens: 5 } });
    expect(a.provider.history().map((t) => [t.role, t.text, t.status])).toEqual([
      ["user", "What is 2+2?", undefined],
      ["assistant", "It is **4**.", "done"],
    ]);
    expect(a.memento.get<{ turns: unknown[] }>(HISTORY_KEY)!.turns).toHaveLength(2);
  });

  it("Stop ends the turn at once and cancels the request", async () => {
    const a = setup();
    a.say({ type: "send", text: "long story", attachments: [], context: [] });
    await flush();
    a.backend.last.onText("Once upon");
    a.say({ type: "stop" });
    await flush();
    await flush();
    expect(a.backend.last.token.isCancellationRequested).toBe(true);
    expect(a.posted.at(-1)).toMatchObject({ type: "done", status: "stopped" });
    // Text arriving after Stop is ignored, and the late result does not change the turn.
    a.backend.last.onText(" a time");
    a.backend.last.resolve({ text: "Once upon a time", stats: stats(), mediaTokens: 0 });
    await flush();
    expect(a.provider.history()[1]).toMatchObject({ text: "Once upon", status: "stopped" });
    // A new message can be sent right away.
    a.say({ type: "send", text: "next", attachments: [], context: [] });
    await flush();
    expect(a.backend.requests).toHaveLength(2);
  });

  it("shows the host's sentence when the request fails, and keeps it in the history", async () => {
    const a = setup();
    a.say({ type: "send", text: "hi", attachments: [], context: [] });
    await flush();
    const err = Object.assign(new Error("Request hearth/chat failed"), {
      code: -32603,
      data: { hearth: { code: "engine-crashed", message: "The engine stopped unexpectedly. It is restarted automatically: try again." } },
    });
    a.backend.last.reject(err);
    await flush();
    await flush();
    expect(a.posted.at(-1)).toMatchObject({ type: "done", status: "error", error: "The engine stopped unexpectedly. It is restarted automatically: try again." });
    expect(a.provider.history()[1].error).toBe("The engine stopped unexpectedly. It is restarted automatically: try again.");
    expect(a.logs.some((l) => l.includes("engine stopped unexpectedly"))).toBe(true);
  });

  it("treats a cancelled-request error as stopped, not as an error", async () => {
    const a = setup();
    a.say({ type: "send", text: "hi", attachments: [], context: [] });
    await flush();
    a.backend.last.reject(Object.assign(new Error("cancelled"), { code: -32800 }));
    await flush();
    await flush();
    expect(a.posted.at(-1)).toMatchObject({ type: "done", status: "stopped" });
  });

  it("ends the turn as stopped, not as an error, when Restart Model Host drops the request", async () => {
    const a = setup();
    a.say({ type: "send", text: "hi", attachments: [], context: [] });
    await flush();
    a.backend.last.onText("Partial");
    // what HostClient turns vscode-jsonrpc's "Pending response rejected since connection got disposed" into
    a.backend.last.reject(new HostStoppedError(Object.assign(new Error("Pending response rejected since connection got disposed"), { code: -32097 })));
    await flush();
    await flush();
    const done = a.posted.at(-1) as Extract<ToView, { type: "done" }>;
    expect(done).toMatchObject({ type: "done", status: "stopped", stopReason: "the model host was restarted" });
    expect(done.error).toBeUndefined();
    expect(a.provider.history()[1]).toMatchObject({ text: "Partial", status: "stopped", stopReason: "the model host was restarted" });
    expect(fake.calls.warnings).toEqual([]);
    // it survives a reload as such
    const b = setup(a.memento);
    expect(b.provider.history()[1]).toMatchObject({ status: "stopped", stopReason: "the model host was restarted" });
  });

  it("names the file in a bad image's error and marks it as not worth retrying", async () => {
    const a = setup();
    const done = a.provider.explainImage({ name: "shot.png", mimeType: "image/png", data: "AAAA" });
    await flush();
    await flush();
    a.backend.last.reject(
      Object.assign(new Error("Request failed"), {
        data: { hearth: { code: "unsupported-media", message: "the image is not a PNG, JPEG, WebP, GIF or BMP image (its content does not match any of them)." } },
      }),
    );
    await done;
    expect(a.posted.at(-1)).toMatchObject({
      type: "done",
      status: "error",
      error: "“shot.png” is not a PNG, JPEG, WebP, GIF or BMP image (its content does not match any of them).",
      noRetry: true,
    });
    // an engine that could not decode it
    const again = a.provider.explainImage({ name: "cut.jpg", mimeType: "image/jpeg", data: "AAAA" });
    await flush();
    await flush();
    a.backend.last.reject(
      Object.assign(new Error("Request failed"), {
        data: { hearth: { code: "unreadable-media", message: "The engine could not decode the attached image or audio (the file is damaged or truncated). Attach it again, or save it in another format." } },
      }),
    );
    await again;
    expect(a.posted.at(-1)).toMatchObject({ status: "error", error: expect.stringMatching(/^The engine could not decode “cut\.jpg” \(the file is damaged/), noRetry: true });
    // an engine failure keeps Retry
    const third = a.provider.explainImage({ name: "ok.png", mimeType: "image/png", data: "AAAA" });
    await flush();
    await flush();
    a.backend.last.reject(Object.assign(new Error("x"), { data: { hearth: { code: "engine-crashed", message: "The engine stopped unexpectedly." } } }));
    await third;
    expect(a.posted.at(-1)).toMatchObject({ status: "error", error: "The engine stopped unexpectedly." });
    expect((a.posted.at(-1) as { noRetry?: boolean }).noRetry).toBeUndefined();
  });

  it("refuses a second message while answering", async () => {
    const a = setup();
    a.say({ type: "send", text: "one", attachments: [], context: [] });
    await flush();
    a.say({ type: "send", text: "two", attachments: [], context: [] });
    await flush();
    expect(a.backend.requests).toHaveLength(1);
    // Said so, and the message goes back into the input (the view cleared it when it sent).
    expect(a.posted.slice(-2)).toMatchObject([{ type: "notice", level: "info" }, { type: "draft", text: "two" }]);
  });

  it("restores the transcript after a reload, a streaming turn as stopped", async () => {
    const a = setup();
    a.say({ type: "send", text: "persist me", attachments: [], context: [] });
    await flush();
    a.backend.last.onText("partial");
    await a.provider["store"].save(); // what the throttled save does while streaming
    // The window reloads: a new provider on the same workspace state.
    const b = setup(a.memento);
    b.say({ type: "ready" });
    await flush();
    const history = b.posted.find((m) => m.type === "history") as Extract<ToView, { type: "history" }>;
    expect(history.turns.map((t) => [t.role, t.text, t.status])).toEqual([
      ["user", "persist me", undefined],
      ["assistant", "partial", "stopped"],
    ]);
    expect(history.busy).toBe(false);
  });

  it("New chat clears the transcript and its storage", async () => {
    const a = setup();
    a.say({ type: "send", text: "x", attachments: [], context: [] });
    await flush();
    a.backend.last.resolve({ text: "y", stats: stats(), mediaTokens: 0 });
    await flush();
    a.provider.newChat();
    await flush();
    expect(a.provider.history()).toEqual([]);
    expect(a.posted.at(-1)).toEqual({ type: "history", turns: [], busy: false });
    expect(a.memento.get(HISTORY_KEY)).toBeUndefined();
  });

  it("keeps the conversation New Chat ends, and reopens it with the one open then kept in its place", async () => {
    const a = setup();
    const ask = async (q: string, ans: string) => {
      a.say({ type: "send", text: q, attachments: [], context: [] });
      await flush();
      a.backend.last.resolve({ text: ans, stats: stats(), mediaTokens: 0 });
      await flush();
    };
    await ask("first?", "one");
    a.provider.newChat();
    await flush();
    await ask("second?", "two");
    const past = a.provider.pastChats();
    expect(past.map((c) => c.title)).toEqual(["first?"]);
    a.posted.length = 0;
    expect(await a.provider.openPastChat(past[0].id)).toBe(true);
    expect(a.provider.history().map((t) => t.text)).toEqual(["first?", "one"]);
    expect(a.posted.at(-1)).toMatchObject({ type: "history", turns: [{ text: "first?" }, { text: "one" }], busy: false });
    expect(a.provider.pastChats().map((c) => c.title)).toEqual(["second?"]);
    // The reopened chat goes on: a follow-up sees it, and a reload restores it.
    await ask("and?", "three");
    expect(a.backend.last.messages!.map((m) => m.content)).toEqual([expect.any(String), "first?", "one", "and?"]);
    expect(setup(a.memento).provider.history().map((t) => t.text)).toEqual(["first?", "one", "and?", "three"]);
    expect(setup(a.memento).provider.pastChats().map((c) => c.title)).toEqual(["second?"]);
    expect(await a.provider.openPastChat("no-such-chat")).toBe(false);
    await a.provider.deletePastChat(a.provider.pastChats()[0].id);
    expect(a.provider.pastChats()).toEqual([]);
  });

  it("New Chat during an answer keeps it as stopped: reopened, the chat takes the next message", async () => {
    const a = setup();
    a.say({ type: "send", text: "long?", attachments: [], context: [] });
    await flush();
    a.backend.last.onText("Once");
    a.provider.newChat();
    await flush();
    await flush();
    const past = a.provider.pastChats()[0];
    expect(past.turns.map((t) => t.status)).toEqual([undefined, "stopped"]);
    expect(await a.provider.openPastChat(past.id)).toBe(true);
    a.say({ type: "send", text: "again?", attachments: [], context: [] });
    await flush();
    expect(a.backend.requests).toHaveLength(2);
    expect(a.provider.history().map((t) => t.text)).toEqual(["long?", "Once", "again?", ""]);
  });

  it("a message sent while a past chat opens is given back, and a command prepared across New Chat is not added to the new one", async () => {
    const a = setup();
    a.say({ type: "send", text: "first?", attachments: [], context: [] });
    await flush();
    a.backend.last.resolve({ text: "one", stats: stats(), mediaTokens: 0 });
    await flush();
    a.provider.newChat();
    await flush();
    const opening = a.provider.openPastChat(a.provider.pastChats()[0].id);
    a.say({ type: "send", text: "meanwhile", attachments: [], context: [] });
    await flush();
    expect(a.posted.filter((m) => m.type === "draft").at(-1)).toEqual({ type: "draft", text: "meanwhile" });
    await opening;
    expect(a.provider.history().map((t) => t.text)).toEqual(["first?", "one"]);

    // /tests gathers the project's tests (file reads), New Chat meanwhile: the question goes back, not into the new chat.
    fake.files.set("/work/package.json", JSON.stringify({ devDependencies: { vitest: "^3" } }));
    fake.vscode.window.activeTextEditor = {
      document: { uri: fake.vscode.Uri.file("/work/src/sum.ts"), isUntitled: false, isClosed: false, languageId: "typescript", getText: () => "x", lineAt: () => ({ text: "x" }) },
      selection: { isEmpty: false, start: { line: 0, character: 0 }, end: { line: 0, character: 1 }, active: { line: 0, character: 1 } },
    };
    a.say({ type: "send", text: "/tests", attachments: [], context: [] });
    a.provider.newChat();
    for (let i = 0; i < 5; i++) await flush();
    expect(a.provider.history()).toEqual([]);
    expect(a.posted.filter((m) => m.type === "draft").at(-1)).toEqual({ type: "draft", text: "/tests" });
  });

  it("Explain Screenshot shows the image as a user turn and streams the explanation", async () => {
    const a = setup();
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]).toString("base64");
    const done = a.provider.explainImage({ name: "error.png", mimeType: "image/png", data: png });
    await flush();
    await flush();
    expect(a.view.show).toHaveBeenCalled();
    expect(a.backend.last.image).toEqual({ data: png, mimeType: "image/png" });
    expect(a.backend.last.question).toBeUndefined();
    a.backend.last.onText("A dialog says the build failed.");
    a.backend.last.resolve({ text: "A dialog says the build failed.", stats: stats(), mediaTokens: 336 });
    await done;
    const [user, assistant] = a.provider.history();
    expect(user).toMatchObject({ role: "user", text: "Explain this screenshot.", attachments: [{ kind: "image", name: "error.png", mimeType: "image/png", data: png }] });
    expect(assistant).toMatchObject({ role: "assistant", text: "A dialog says the build failed.", status: "done" });
    // A follow-up goes through chat with the image still in the prompt.
    a.say({ type: "send", text: "How do I fix it?", attachments: [], context: [] });
    await flush();
    const msgs = a.backend.last.messages!;
    expect(msgs[1].content).toEqual([{ type: "image", data: png, mimeType: "image/png" }, { type: "text", text: "Explain this screenshot." }]);
  });

  it("asks with the workspace from the toggle or an @workspace prefix, keeps it for Retry, and with media too", async () => {
    const a = setup();
    a.say({ type: "send", text: "How is the host started?", attachments: [], context: [] });
    await flush();
    expect(a.backend.last.workspace).toBe(false);
    a.backend.last.resolve({ text: "By hand.", stats: stats(), mediaTokens: 0 });
    await flush();

    a.say({ type: "send", text: "Where is it tested?", attachments: [], context: [], workspace: true });
    await flush();
    expect(a.backend.last.workspace).toBe(true);
    expect(a.backend.last.messages![0].content).toMatch(/workspace files are shared before this conversation/);
    a.backend.last.resolve({ text: "In test/.", stats: stats(), mediaTokens: 0 });
    await flush();

    a.say({ type: "send", text: "@workspace and the CLI?", attachments: [], context: [] });
    await flush();
    expect(a.backend.last.workspace).toBe(true);
    expect(a.backend.last.messages!.at(-1)).toEqual({ role: "user", content: "and the CLI?" });
    expect(a.provider.history().at(-2)).toMatchObject({ role: "user", text: "and the CLI?", workspace: true });
    a.backend.last.reject(Object.assign(new Error("x"), { data: { hearth: { code: "internal", message: "Boom." } } }));
    await flush();
    await flush();
    a.say({ type: "retry" });
    await flush();
    expect(a.backend.last.workspace).toBe(true);
    a.backend.last.resolve({ text: "cli.ts.", stats: stats(), mediaTokens: 0 });
    await flush();

    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]).toString("base64");
    a.say({ type: "send", text: "And this?", attachments: [{ kind: "image", name: "s.png", mimeType: "image/png", data: png }], context: [], workspace: true });
    await flush();
    // Images and audio go with the workspace (the host puts them after it): no fallback, no notice.
    expect(a.backend.last.workspace).toBe(true);
    expect(a.backend.last.messages!.at(-1)).toEqual({ role: "user", content: [{ type: "image", data: png, mimeType: "image/png" }, { type: "text", text: "And this?" }] });
    expect(a.posted.some((m) => m.type === "notice")).toBe(false);

    const b = setup();
    b.say({ type: "send", text: "@workspace", attachments: [], context: [] });
    await flush();
    expect(b.backend.requests).toHaveLength(0);
    expect(b.posted.at(-1)).toMatchObject({ type: "notice", message: "Ask a question after @workspace." });
  });

  it("Retry drops the last answer and asks again", async () => {
    const a = setup();
    a.say({ type: "send", text: "q", attachments: [], context: [] });
    await flush();
    a.backend.last.reject(Object.assign(new Error("x"), { data: { hearth: { code: "internal", message: "Boom." } } }));
    await flush();
    await flush();
    a.say({ type: "retry" });
    await flush();
    expect(a.backend.requests).toHaveLength(2);
    expect(a.backend.last.messages!.at(-1)).toEqual({ role: "user", content: "q" });
    expect(a.provider.history().map((t) => t.status)).toEqual([undefined, "streaming"]);
  });

  it("Edit on an earlier message: the composer gets it with its chips; sent, it replaces that turn and the answers after it", async () => {
    const a = setup();
    const chip = { kind: "file" as const, path: "src/a.ts", languageId: "typescript", text: "export const a = 1;\n" };
    const answer = async (text: string) => {
      a.backend.last.onText(text);
      a.backend.last.resolve({ text, stats: stats() } as ChatResult);
      await flush();
      await flush();
    };
    a.say({ type: "send", text: "what is a?", attachments: [], context: [chip], workspace: true });
    await flush();
    await answer("A constant.");
    a.say({ type: "send", text: "and b?", attachments: [], context: [] });
    await flush();
    await answer("There is no b.");
    const [first, , second] = a.provider.history();

    // The composer has a chip of its own; Edit puts the first message's in its place, Cancel gives it back.
    const mine = { kind: "selection" as const, path: "src/b.ts", languageId: "typescript", range: [1, 1] as [number, number], text: "let b;" };
    a.provider.addContext(mine);
    a.posted.length = 0;
    a.say({ type: "editTurn", id: first.id });
    await flush();
    expect(a.posted).toEqual([
      { type: "context", chips: [chip] },
      { type: "edit", id: first.id, text: "@workspace what is a?", attachments: [] },
    ]);
    a.say({ type: "cancelEdit" });
    await flush();
    expect(a.posted.at(-1)).toEqual({ type: "context", chips: [mine] });

    // Sent as an edit: the first exchange and all after it give way to the new question.
    a.say({ type: "editTurn", id: first.id });
    await flush();
    a.posted.length = 0;
    a.say({ type: "send", text: "@workspace what is a, exactly?", attachments: [], context: [chip], replaces: first.id });
    await flush();
    expect(a.posted[0]).toEqual({ type: "history", turns: [], busy: false });
    const turns = a.provider.history();
    expect(turns.map((t) => [t.role, t.text])).toEqual([["user", "what is a, exactly?"], ["assistant", ""]]);
    expect(turns[0]).toMatchObject({ workspace: true, context: [chip] });
    expect(a.backend.last.messages!.filter((m) => m.role === "user")).toHaveLength(1);
    expect(a.backend.last.workspace).toBe(true);

    // While an answer streams, editing waits; a message sent then comes back still naming the turn it edits.
    a.say({ type: "editTurn", id: turns[0].id });
    await flush();
    expect(a.posted.at(-1)).toMatchObject({ type: "notice", message: expect.stringMatching(/stop it \(Escape\) before editing/) });
    a.say({ type: "send", text: "other", attachments: [], context: [], replaces: turns[0].id });
    await flush();
    expect(a.posted.filter((m) => m.type === "draft").at(-1)).toEqual({ type: "draft", text: "other", replaces: turns[0].id });
    // (a turn that is gone, say after New chat, is not replaced: the message is simply added)
    await answer("Exactly 1.");
    a.say({ type: "send", text: "unrelated", attachments: [], context: [], replaces: second.id });
    await flush();
    expect(a.provider.history().map((t) => t.text).slice(0, 3)).toEqual(["what is a, exactly?", "Exactly 1.", "unrelated"]);
  });

  it("Continue that is stopped or fails leaves the answer as it was, still to be continued; a full context is not continued", async () => {
    const a = setup();
    a.say({ type: "send", text: "write it", attachments: [], context: [] });
    await flush();
    a.backend.last.onText("part one ");
    a.backend.last.resolve({ text: "part one ", stats: stats({ stoppedBy: "limit", generatedTokens: 1024, tokensPerSecond: 20, totalMs: 51200 }) } as ChatResult);
    await flush();
    await flush();
    const id = a.provider.history()[1].id;
    // Stopped part-way: the text so far is kept, and it can go on.
    a.say({ type: "continue", id });
    await flush();
    a.backend.last.onText("part two ");
    a.say({ type: "stop" });
    await flush();
    await flush();
    expect(a.provider.history()[1]).toMatchObject({ status: "stopped", cut: true, text: "part one part two " });
    // A failure: the answer stays, the error goes beside it.
    a.say({ type: "continue", id });
    await flush();
    a.backend.last.reject(Object.assign(new Error("x"), { data: { hearth: { code: "context-too-long", message: "This conversation is too long." } } }));
    await flush();
    await flush();
    expect(a.provider.history()[1]).toMatchObject({ status: "stopped", cut: true, text: "part one part two " });
    expect(a.provider.history()[1].error).toBeUndefined();
    expect(a.posted.filter((m) => m.type === "notice").at(-1)).toEqual({ type: "notice", level: "error", message: "Could not continue the answer: This conversation is too long." });
    // Finished: tokens and time summed, tokens/s over both parts.
    a.say({ type: "continue", id });
    await flush();
    a.backend.last.resolve({ text: "end.", stats: stats({ generatedTokens: 1024, tokensPerSecond: 10, totalMs: 102400 }) } as ChatResult);
    await flush();
    await flush();
    const done = a.provider.history()[1];
    expect(done).toMatchObject({ status: "done", text: "part one part two end.", stats: { generatedTokens: 2048, totalMs: 153600 } });
    expect(done.stats!.tokensPerSecond).toBeCloseTo(2048 / (1024 / 20 + 1024 / 10), 5);
    expect(done.cut).toBeUndefined();

    // An answer stopped with Stop can be continued too; one that filled the context cannot.
    a.say({ type: "send", text: "again", attachments: [], context: [] });
    await flush();
    a.backend.last.onText("some");
    a.say({ type: "stop" });
    await flush();
    await flush();
    expect(a.provider.history().at(-1)).toMatchObject({ status: "stopped", cut: true });
    a.say({ type: "send", text: "long", attachments: [], context: [] });
    await flush();
    a.backend.last.resolve({ text: "all of it", stats: stats({ stoppedBy: "context" }) } as ChatResult);
    await flush();
    await flush();
    expect(a.provider.history().at(-1)).toMatchObject({ status: "stopped", stopReason: "the conversation filled the model's context: start a new chat" });
    expect(a.provider.history().at(-1)!.cut).toBeUndefined();
  });

  it("an edit given back (Hearth busy) still gives back the composer's chips on Cancel; a past chat's cut chip is named", async () => {
    const memento = new Memento();
    const long = { kind: "file" as const, path: "src/big.ts", languageId: "typescript", text: "x\n… (9000 more characters not kept in the chat history)" };
    await memento.update(HISTORY_KEY, { version: 1, turns: [{ id: "u1", role: "user", text: "why?", context: [long], createdAt: 1 }, { id: "a1", role: "assistant", text: "because", status: "done", createdAt: 2 }] });
    const a = setup(memento);
    const mine = { kind: "selection" as const, path: "src/b.ts", languageId: "typescript", range: [1, 1] as [number, number], text: "let b;" };
    a.provider.addContext(mine);
    a.say({ type: "editTurn", id: "u1" });
    await flush();
    expect(a.posted.filter((m) => m.type === "notice").at(-1)).toEqual({ type: "notice", level: "info", message: "Only the start of big.ts was kept in the history: remove it and add it again for all of it." });
    // Busy: the edit comes back as a draft; Cancel still gives back the chips from before the edit.
    a.say({ type: "send", text: "first", attachments: [], context: [] });
    await flush();
    a.say({ type: "send", text: "why, really?", attachments: [], context: [long], replaces: "u1" });
    await flush();
    expect(a.posted.filter((m) => m.type === "draft").at(-1)).toEqual({ type: "draft", text: "why, really?", replaces: "u1" });
    a.say({ type: "cancelEdit" });
    await flush();
    expect(a.posted.at(-1)).toEqual({ type: "context", chips: [mine] });
  });

  it("Edit gives a command back with its name, and says which attachments the history did not keep", async () => {
    const memento = new Memento();
    const image = { kind: "image" as const, name: "ui.png", mimeType: "image/png", data: "" };
    const audio = { kind: "audio" as const, name: "note.wav", mimeType: "audio/wav", data: "UklGRg==" };
    await memento.update(HISTORY_KEY, { version: 1, turns: [{ id: "u1", role: "user", text: "briefly", command: "explain", attachments: [image, audio], createdAt: 1 }] });
    const a = setup(memento);
    a.say({ type: "editTurn", id: "u1" });
    await flush();
    expect(a.posted.filter((m) => m.type === "notice").at(-1)).toEqual({ type: "notice", level: "info", message: "ui.png was not kept in the history: attach it again." });
    expect(a.posted.at(-1)).toEqual({ type: "edit", id: "u1", text: "/explain briefly", attachments: [audio] });
  });

  it("Continue on an answer cut at its length limit: the conversation goes ending with it, and the rest streams onto it", async () => {
    const a = setup();
    a.say({ type: "send", text: "@workspace write a parser", attachments: [], context: [] });
    await flush();
    a.backend.last.onText("Here it is:\n```ts\nfunction parse(");
    a.backend.last.resolve({ text: "Here it is:\n```ts\nfunction parse(", stats: stats({ stoppedBy: "limit", generatedTokens: 1024, totalMs: 4000 }) } as ChatResult);
    await flush();
    await flush();
    const answer = a.provider.history()[1];
    expect(answer).toMatchObject({ status: "done", cut: true });
    expect(a.posted.at(-1)).toMatchObject({ type: "done", id: answer.id, cut: true });

    a.say({ type: "continue", id: answer.id });
    await flush();
    expect(a.backend.requests).toHaveLength(2);
    expect(a.backend.last.workspace).toBe(true);
    expect(a.backend.last.messages!.slice(-2)).toEqual([
      { role: "user", content: "write a parser" },
      { role: "assistant", content: "Here it is:\n```ts\nfunction parse(" },
    ]);
    expect(a.posted.at(-1)).toMatchObject({ type: "turn", turn: { id: answer.id, status: "streaming" } });
    a.backend.last.onText("s: string) {}\n```");
    a.backend.last.resolve({ text: "s: string) {}\n```", stats: stats({ generatedTokens: 10, totalMs: 100 }) } as ChatResult);
    await flush();
    await flush();
    const done = a.provider.history();
    expect(done).toHaveLength(2);
    expect(done[1]).toMatchObject({ id: answer.id, status: "done", text: "Here it is:\n```ts\nfunction parse(s: string) {}\n```", stats: { generatedTokens: 1034, totalMs: 4100 } });
    expect(done[1].cut).toBeUndefined();
    // Only a cut last answer goes on.
    a.say({ type: "continue", id: answer.id });
    await flush();
    expect(a.backend.requests).toHaveLength(2);
  });

  it("records how much of the model's context an answer's conversation took, and keeps it across a reload", async () => {
    const memento = new Memento();
    const a = setup(memento);
    a.say({ type: "send", text: "q", attachments: [], context: [] });
    await flush();
    a.backend.last.resolve({ text: "a", stats: stats({ promptTokens: 28000, generatedTokens: 500, contextSize: 32768 }) } as ChatResult);
    await flush();
    await flush();
    expect(a.provider.history()[1].stats).toMatchObject({ contextTokens: 28500, contextSize: 32768 });
    const b = setup(memento);
    expect(b.provider.history()[1].stats).toMatchObject({ contextTokens: 28500, contextSize: 32768 });
    // (a remote model's context is not known, the host does not say it: nothing is claimed)
    a.say({ type: "send", text: "q2", attachments: [], context: [] });
    await flush();
    a.backend.last.resolve({ text: "b", stats: stats() } as ChatResult);
    await flush();
    await flush();
    expect(a.provider.history()[3].stats!.contextTokens).toBeUndefined();
  });

  it("validates attachments again on the extension side", async () => {
    const a = setup();
    a.say({ type: "send", text: "see", attachments: [{ kind: "image", name: "fake.png", mimeType: "image/png", data: Buffer.from("hello world").toString("base64") }], context: [] });
    await flush();
    expect(a.backend.requests).toHaveLength(0);
    expect(a.posted.at(-1)).toMatchObject({ type: "notice", level: "error" });
  });

  it("adds the editor's selection and file as chips, and refuses secrets files", async () => {
    const a = setup();
    const doc = (path: string) => ({
      uri: fake.vscode.Uri.file(path),
      isUntitled: false,
      isClosed: false,
      languageId: "python",
      getText: (r?: unknown) => (r ? "x = 1\n" : "x = 1\ny = 2\n"),
    });
    fake.vscode.window.activeTextEditor = {
      document: doc("/work/app/main.py"),
      selection: { isEmpty: false, start: { line: 4, character: 0 }, end: { line: 5, character: 0 } },
    };
    a.say({ type: "addSelection" });
    await flush();
    expect(a.posted.at(-1)).toEqual({ type: "context", chips: [{ kind: "selection", path: "app/main.py", languageId: "python", range: [5, 5], text: "x = 1\n" }] });
    a.say({ type: "addFile" });
    await flush();
    expect((a.posted.at(-1) as Extract<ToView, { type: "context" }>).chips[1]).toEqual({ kind: "file", path: "app/main.py", languageId: "python", text: "x = 1\ny = 2\n" });
    a.say({ type: "removeContext", index: 0 });
    await flush();
    expect((a.posted.at(-1) as Extract<ToView, { type: "context" }>).chips.map((c) => c.kind)).toEqual(["file"]);

    fake.vscode.window.activeTextEditor = { document: doc("/work/app/.env.local"), selection: { isEmpty: true } };
    a.say({ type: "addFile" });
    await flush();
    expect(a.posted.at(-1)).toMatchObject({ type: "notice", level: "error", message: expect.stringMatching(/\.env\.local looks like a secrets file/) });

    // Sending takes the chips into the user turn and clears them.
    fake.vscode.window.activeTextEditor = undefined;
    a.say({ type: "send", text: "review", attachments: [], context: [{ kind: "file", path: "app/main.py", languageId: "python", text: "x = 1\n" }] });
    await flush();
    expect(a.provider.history()[0].context).toHaveLength(1);
    expect(a.backend.last.messages!.at(-1)!.content).toBe("`app/main.py` (whole file):\n```python\nx = 1\n```\n\nreview");
  });

  it("the # menu: lists the workspace's files without secrets, ignored or binary ones, ranks them, adds the picked one", async () => {
    const a = setup();
    for (const [p, text] of Object.entries({
      "/work/src/cache.ts": "export const cache = new Map();\n",
      "/work/src/app.ts": "import { cache } from './cache';\n",
      "/work/.env": "TOKEN=1\n",
      "/work/node_modules/lru/cache.js": "module.exports = {};\n",
      "/work/assets/cache-diagram.png": "\x89PNG\r\n\x1a\n....",
      "/work/bin/cache.exe": "MZ",
    })) fake.files.set(p, text);
    const matches = async (query: string) => {
      a.say({ type: "findFiles", query, seq: 7 });
      await vi.waitFor(() => expect(a.posted.at(-1)?.type).toBe("fileMatches"));
      const m = a.posted.at(-1) as Extract<ToView, { type: "fileMatches" }>;
      expect(m.seq).toBe(7);
      a.posted.length = 0;
      return m.files.map((f) => f.path);
    };
    expect(await matches("cache")).toEqual(["src/cache.ts", "assets/cache-diagram.png"]);
    expect((await matches("")).sort()).toEqual(["assets/cache-diagram.png", "src/app.ts", "src/cache.ts"]);
    expect(fake.watcher.count).toBe(1);

    // A file created since is offered once the watcher says so.
    fake.files.set("/work/src/cacheStats.ts", "export {};\n");
    expect(await matches("cachestats")).toEqual([]);
    fake.watcher.created.fire(fake.vscode.Uri.file("/work/src/cacheStats.ts"));
    await flush();
    expect(await matches("cachestats")).toEqual(["src/cacheStats.ts"]);
    // One deleted is gone; a .gitignore changed makes it list again.
    fake.files.delete("/work/src/cacheStats.ts");
    fake.watcher.deleted.fire(fake.vscode.Uri.file("/work/src/cacheStats.ts"));
    await flush();
    expect(await matches("cachestats")).toEqual([]);
    fake.files.set("/work/src/late.ts", "export {};\n");
    expect(await matches("late")).toEqual([]);
    fake.watcher.ignores.fire(fake.vscode.Uri.file("/work/.gitignore"));
    expect(await matches("late")).toEqual(["src/late.ts"]);
    // Only what the menu offers can be added (the view cannot name any file on disk), and no file with a key in it.
    a.say({ type: "addFileByUri", uri: "file:///work/node_modules/lru/cache.js" });
    await flush();
    await flush();
    expect(a.posted.filter((m) => m.type === "context" || m.type === "notice")).toEqual([]);
    fake.files.set("/work/src/config.ts", "export const token = 'ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8';\n");
    fake.watcher.created.fire(fake.vscode.Uri.file("/work/src/config.ts"));
    await flush();
    expect(await matches("config")).toEqual(["src/config.ts"]);
    a.say({ type: "addFileByUri", uri: "file:///work/src/config.ts" });
    await vi.waitFor(() => expect(a.posted.at(-1)).toEqual({ type: "notice", level: "error", message: "config.ts contains what looks like a key or token, so Hearth does not add it to the chat." }));

    // A notebook goes as its cells, without its outputs.
    const outputs = Array.from({ length: 2000 }, (_, i) => `row ${i}\n`);
    fake.files.set("/work/nb/revenue.ipynb", JSON.stringify({ cells: [{ cell_type: "code", source: ["total = 1"], outputs: [{ text: outputs }] }] }));
    fake.watcher.created.fire(fake.vscode.Uri.file("/work/nb/revenue.ipynb"));
    await flush();
    a.say({ type: "addFileByUri", uri: "file:///work/nb/revenue.ipynb" });
    await vi.waitFor(() => expect(a.posted.at(-1)).toEqual({ type: "context", chips: [{ kind: "file", path: "nb/revenue.ipynb", languageId: "python", text: "# %%\ntotal = 1\n" }] }));
    a.say({ type: "removeContext", index: 0 });

    // Picked: a text file becomes a chip, as if dropped from the Explorer.
    a.say({ type: "addFileByUri", uri: "file:///work/src/cache.ts" });
    await vi.waitFor(() => expect(a.posted.at(-1)).toEqual({ type: "context", chips: [{ kind: "file", path: "src/cache.ts", languageId: "typescript", text: "export const cache = new Map();\n" }] }));
  });

  it("the # menu offers the functions and classes the languages know, and a symbol picked adds its code with its doc comment", async () => {
    const a = setup();
    fake.files.set("/work/src/money.ts", "import x from 'y';\n\n/** Cents as a price. */\nexport function formatMoney(cents: number) {\n  return `${cents / 100}`;\n}\n");
    fake.files.set("/work/.env", "X=1\n");
    const loc = (path: string, line: number) => ({ uri: fake.vscode.Uri.file(path), range: { start: { line, character: 0 }, end: { line, character: 5 } } });
    fake.vscode.commands.results.set("vscode.executeWorkspaceSymbolProvider", [
      { name: "formatMoney", kind: 11, location: loc("/work/src/money.ts", 3) },
      { name: "formatMoneyKey", kind: 12, location: loc("/work/src/money.ts", 0) }, // a variable: not offered
      { name: "formatMoneyEnv", kind: 11, location: loc("/work/.env", 0) }, // a file the menu does not offer
    ]);
    fake.vscode.commands.results.set("vscode.executeDocumentSymbolProvider", [
      { name: "formatMoney", kind: 11, range: { start: { line: 3 }, end: { line: 5 } }, children: [] },
    ]);
    // The files at once, then, once typing pauses, the symbols too (the same query's answer again).
    a.say({ type: "findFiles", query: "fmtmoney", seq: 1 });
    await vi.waitFor(() => expect(a.posted.filter((m) => m.type === "fileMatches")).toHaveLength(2));
    expect(a.posted.filter((m) => m.type === "fileMatches")).toEqual([
      { type: "fileMatches", seq: 1, files: [] },
      { type: "fileMatches", seq: 1, files: [{ uri: "file:///work/src/money.ts", path: "src/money.ts", symbol: { name: "formatMoney", line: 4, kind: "function" } }] },
    ]);
    // A query typed over before the pause is not looked up.
    a.posted.length = 0;
    a.say({ type: "findFiles", query: "form", seq: 2 });
    a.say({ type: "findFiles", query: "forma", seq: 3 });
    await vi.waitFor(() => expect(a.posted.filter((m) => m.type === "fileMatches" && m.files.some((f) => f.symbol))).toHaveLength(1));
    await new Promise((r) => setTimeout(r, 300));
    expect(a.posted.filter((m) => m.type === "fileMatches").map((m) => (m as { seq: number }).seq)).toEqual([3, 3]);
    // A symbol whose name starts with the query goes before files that only match loosely.
    a.posted.length = 0;
    fake.files.set("/work/src/for/matters.ts", "export {};\n");
    fake.watcher.created.fire(fake.vscode.Uri.file("/work/src/for/matters.ts"));
    a.say({ type: "findFiles", query: "format", seq: 4 });
    await vi.waitFor(() => expect(a.posted.filter((m) => m.type === "fileMatches")).toHaveLength(2));
    expect((a.posted.at(-1) as Extract<ToView, { type: "fileMatches" }>).files.map((f) => f.symbol?.name ?? f.path)).toEqual(["formatMoney", "src/for/matters.ts"]);
    // (one letter, or a path: files only)
    a.say({ type: "findFiles", query: "src/", seq: 5 });
    await vi.waitFor(() => expect(a.posted.at(-1)).toMatchObject({ type: "fileMatches", seq: 5 }));
    expect((a.posted.at(-1) as Extract<ToView, { type: "fileMatches" }>).files.every((f) => !f.symbol)).toBe(true);

    a.say({ type: "addSymbol", uri: "file:///work/src/money.ts", line: 4, name: "formatMoney()" });
    await vi.waitFor(() =>
      expect(a.posted.at(-1)).toEqual({
        type: "context",
        chips: [{ kind: "selection", path: "src/money.ts", languageId: "typescript", range: [3, 6], text: "/** Cents as a price. */\nexport function formatMoney(cents: number) {\n  return `${cents / 100}`;\n}" }],
      }),
    );
  });

  it("+ File with no editor open says to open one or type #", async () => {
    const a = setup();
    a.say({ type: "addFile" });
    await flush();
    expect(a.posted.at(-1)).toEqual({ type: "notice", level: "info", message: "Open a file in the editor first, or type # in the message to pick one." });
  });

  it("inserts code at the cursor, replacing the selections", async () => {
    const a = setup();
    const replaced: [unknown, string][] = [];
    const editor = {
      document: { uri: fake.vscode.Uri.file("/work/a.ts"), isClosed: false },
      selections: ["sel1", "sel2"],
      selection: "sel1",
      edit: async (cb: (b: { replace: (s: unknown, t: string) => void }) => void) => {
        cb({ replace: (s, t) => replaced.push([s, t]) });
        return true;
      },
    };
    fake.vscode.window.activeTextEditor = editor;
    fake.vscode.window.visibleTextEditors = [editor];
    a.say({ type: "insert", code: "let x = 1;\n" });
    await flush();
    await flush();
    expect(replaced).toEqual([["sel1", "let x = 1;"], ["sel2", "let x = 1;"]]);
  });

  it("+ File in a notebook cell adds the whole notebook, cells above and below, as a script", async () => {
    const a = setup();
    const cellDoc = (languageId: string, text: string) => ({ uri: fake.vscode.Uri.file("/work/nb/revenue.ipynb"), isUntitled: false, isClosed: false, languageId, getText: () => text });
    const cells = [cellDoc("markdown", "# Revenue"), cellDoc("python", "import json"), cellDoc("python", "total = 0")];
    fake.vscode.workspace.notebookDocuments = [
      { uri: fake.vscode.Uri.file("/work/nb/revenue.ipynb"), isUntitled: false, getCells: () => cells.map((document, i) => ({ kind: i === 0 ? 1 : 2, document })) },
    ];
    fake.vscode.window.activeTextEditor = { document: cells[2], selection: { isEmpty: true } };
    a.say({ type: "addFile" });
    await flush();
    fake.vscode.workspace.notebookDocuments = [];
    expect(a.posted.at(-1)).toEqual({
      type: "context",
      chips: [{ kind: "file", path: "nb/revenue.ipynb", languageId: "python", text: "# %% [markdown]\n# # Revenue\n\n# %%\nimport json\n\n# %%\ntotal = 0\n" }],
    });
  });

  it("applies a code block to the editor's file as a proposed change, and says why when it cannot", async () => {
    const proposed: [unknown, string][] = [];
    const a = setup(new Memento(), {
      propose: async (editor, code) => {
        proposed.push([editor, code]);
        return code.includes("...") ? "The code block leaves parts of the code out." : undefined;
      },
    });
    a.say({ type: "apply", code: "def f():\n    return 1\n" });
    await flush();
    expect(proposed).toEqual([]);
    expect(a.posted.filter((m) => m.type === "notice").at(-1)).toEqual({ type: "notice", level: "info", message: "Open the file the code belongs in, then press Apply." });

    const editor = { document: { uri: fake.vscode.Uri.file("/work/a.py"), isClosed: false }, selection: "sel" };
    fake.vscode.window.activeTextEditor = editor;
    a.say({ type: "apply", code: "def f():\n    return 1\n" });
    a.say({ type: "apply", code: "def f():\n    ...\n" });
    await flush();
    await flush();
    expect(proposed).toEqual([[editor, "def f():\n    return 1\n"], [editor, "def f():\n    ...\n"]]);
    expect(a.posted.filter((m) => m.type === "notice").at(-1)).toEqual({ type: "notice", level: "error", message: "The code block leaves parts of the code out." });
  });

  it("Terminal on a shell block types the command at the prompt of the active terminal, or a new one, without running it", async () => {
    const a = setup();
    a.say({ type: "runInTerminal", code: "npm ci\nnpm test\n", language: "bash" });
    await flush();
    expect(fake.calls.terminals.map((t) => [t.name, t.shown, t.sent])).toEqual([["Hearth", 1, [["npm ci && npm test", false]]]]);
    const mine = { shown: 0, sent: [] as unknown[], show() { this.shown++; }, sendText(text: string, run?: boolean) { this.sent.push([text, run]); } };
    fake.vscode.window.activeTerminal = mine;
    a.say({ type: "runInTerminal", code: "$ git status\nOn branch main\n", language: "console" });
    await flush();
    fake.vscode.window.activeTerminal = undefined;
    expect(mine.sent).toEqual([["git status", false]]);
    expect(fake.calls.terminals).toHaveLength(1);
    a.say({ type: "runInTerminal", code: "# nothing to run\n", language: "sh" });
    await flush();
    expect(a.posted.at(-1)).toEqual({ type: "notice", level: "info", message: "Nothing in this block is a command to run." });
  });

  it("keeps the standing instructions an answer followed, and opens only those (the file, or the setting)", async () => {
    const a = setup();
    a.say({ type: "send", text: "q", attachments: [], context: [] });
    await flush();
    const used = [{ kind: "settings" as const }, { kind: "file" as const, path: "api/AGENTS.md", uri: "file:///work/api/AGENTS.md" }];
    a.backend.last.resolve({ text: "a", stats: stats(), mediaTokens: 0, instructions: used });
    await flush();
    await flush();
    const done = a.posted.at(-1) as Extract<ToView, { type: "done" }>;
    expect(done).toMatchObject({ type: "done", status: "done", instructions: used });
    a.say({ type: "openInstructions", turnId: done.id, index: 1 });
    a.say({ type: "openInstructions", turnId: done.id, index: 0 });
    a.say({ type: "openInstructions", turnId: done.id, index: 2 });
    a.say({ type: "openInstructions", turnId: "nope", index: 1 });
    await flush();
    expect(fake.calls.shown.map((u) => String(u))).toEqual(["file:///work/api/AGENTS.md"]);
    expect(fake.calls.commands).toEqual(["workbench.action.openSettings"]);
  });

  it("sends the file in the editor at a conversation's first question with each of its requests (the same standing instructions)", async () => {
    const a = setup();
    const editorOn = (p: string) => ({ document: { uri: fake.vscode.Uri.file(p), isUntitled: false, languageId: "typescript", getText: () => "", lineCount: 1 }, selection: { isEmpty: true } });
    fake.vscode.window.activeTextEditor = editorOn("/work/api/a.ts");
    a.say({ type: "send", text: "first", attachments: [], context: [] });
    await flush();
    expect(a.backend.last.focus).toBe("file:///work/api/a.ts");
    a.backend.last.resolve({ text: "a", stats: stats(), mediaTokens: 0 });
    await flush();
    await flush();
    fake.vscode.window.activeTextEditor = editorOn("/work/web/b.ts");
    a.say({ type: "send", text: "second", attachments: [], context: [] });
    await flush();
    expect(a.backend.last.focus).toBe("file:///work/api/a.ts");
  });

  it("Review Changes asks /review of the diff in a new chat (the open one kept), the repository as its focus", async () => {
    const a = setup();
    a.say({ type: "send", text: "earlier", attachments: [], context: [] });
    await flush();
    a.backend.last.resolve({ text: "a", stats: stats(), mediaTokens: 0 });
    await flush();
    await flush();
    const chip = { kind: "file" as const, path: "shop: staged changes (1 file)", languageId: "diff", text: "diff --git a/x b/x\n+y" };
    const asked = a.provider.reviewDiff(chip, fake.vscode.Uri.file("/work/shop") as never);
    await flush();
    await flush();
    expect(a.backend.last.focus).toBe("file:///work/shop/*");
    const turns = a.provider["store"].turns;
    expect(turns[0]).toMatchObject({ role: "user", command: "review", context: [chip] });
    expect(a.backend.last.messages!.at(-1)!.content).toContain("Review the changes in the diff above (shop: staged changes (1 file))");
    // busy answering: refused, with a notice
    expect(await a.provider.reviewDiff(chip, fake.vscode.Uri.file("/work/shop") as never)).toBe(false);
    expect(a.posted.at(-1)).toMatchObject({ type: "notice", level: "info" });
    a.backend.last.resolve({ text: "looks fine", stats: stats(), mediaTokens: 0 });
    expect(await asked).toBe(true);
  });

  it("copies, opens new files with a known language, and opens only http(s) links", async () => {
    const a = setup();
    a.say({ type: "copy", code: "abc" });
    a.say({ type: "newFile", code: "print(1)\n", language: "py" });
    a.say({ type: "newFile", code: "???", language: "klingon" });
    a.say({ type: "openLink", url: "https://example.com/x" });
    a.say({ type: "openLink", url: "command:workbench.action.quit" });
    a.say({ type: "openLink", url: "file:///etc/passwd" });
    a.say({ type: "command", command: "workbench.action.quit" });
    a.say({ type: "command", command: "hearth.showLogs" });
    await flush();
    await flush();
    expect(fake.calls.clipboard).toEqual(["abc"]);
    expect(fake.calls.newDocs).toEqual([{ language: "python", content: "print(1)\n" }, { language: "plaintext", content: "???" }]);
    expect(fake.calls.opened).toEqual(["https://example.com/x"]);
    expect(fake.calls.commands).toEqual(["hearth.showLogs"]);
  });

  describe("slash commands", () => {
    const SOURCE = "export function total(xs: number[]) {\n  let t = 0;\n  for (const x of xs) t += x;\n  return t;\n}\n";
    const editorOn = (file: string, sel: { start: number; end: number } | undefined, text = SOURCE) => {
      const document = {
        uri: fake.vscode.Uri.file(file),
        isUntitled: false,
        isClosed: false,
        languageId: file.endsWith(".py") ? "python" : "typescript",
        getText: (r?: { start: { line: number }; end: { line: number; character: number } }) => {
          if (!r) return text;
          const lines = text.split("\n").slice(r.start.line, r.end.line + 1);
          lines[lines.length - 1] = lines[lines.length - 1].slice(0, r.end.character);
          return lines.join("\n");
        },
        lineAt: (n: number) => ({ text: text.split("\n")[n] }),
      };
      const selection = sel
        ? { isEmpty: false, start: { line: sel.start, character: 0 }, end: { line: sel.end, character: 1 }, active: { line: sel.end, character: 1 } }
        : { isEmpty: true, start: { line: 1, character: 0 }, end: { line: 1, character: 0 }, active: { line: 1, character: 0 } };
      const editor = { document, selection };
      fake.vscode.window.activeTextEditor = editor;
      fake.vscode.workspace.textDocuments = [document];
      return editor;
    };
    const lastUserText = (a: ReturnType<typeof setup>) => a.backend.last.messages!.at(-1)!.content as string;

    it("in a notebook cell, names the code by the notebook and its lines in the notebook's script, the problems' lines too", async () => {
      const a = setup();
      const cellText = ["# Revenue", "import json", "total = 0\nprint(total"];
      const cells = cellText.map((text, i) => ({
        kind: i === 0 ? 1 : 2,
        document: {
          uri: new fake.vscode.Uri("vscode-notebook-cell", "/work/nb/revenue.ipynb"),
          isUntitled: false,
          isClosed: false,
          languageId: i === 0 ? "markdown" : "python",
          lineCount: text.split("\n").length,
          getText: () => text,
          lineAt: (n: number) => ({ text: text.split("\n")[n] }),
        },
      }));
      fake.vscode.workspace.notebookDocuments = [{ uri: fake.vscode.Uri.file("/work/nb/revenue.ipynb"), isUntitled: false, getCells: () => cells }];
      const cell = cells[2].document;
      fake.vscode.window.activeTextEditor = { document: cell, selection: { isEmpty: true, start: { line: 0, character: 0 }, end: { line: 0, character: 0 }, active: { line: 0, character: 0 } } };
      fake.vscode.workspace.textDocuments = [cell];
      fake.diagnostics.set("/work/nb/revenue.ipynb", [{ severity: 0, message: "'(' was not closed", range: { start: { line: 1, character: 5 } } }]);
      a.say({ type: "send", text: "/fix", attachments: [], context: [] });
      await flush();
      await flush();
      fake.vscode.workspace.notebookDocuments = [];
      // The script: # %% [markdown] / # # Revenue / (blank) / # %% / import json / (blank) / # %% / total = 0 / print(total
      expect(a.provider.history()[0].context).toEqual([{ kind: "selection", path: "nb/revenue.ipynb", languageId: "python", range: [8, 9], text: "total = 0\nprint(total" }]);
      expect(lastUserText(a)).toContain("- line 9, error: '(' was not closed");
      expect(lastUserText(a)).toContain("`nb/revenue.ipynb` (lines 8-9):");
    });

    it("/explain takes the selection as its code, asks the command's instruction with the developer's words, and Retry asks the same", async () => {
      const a = setup();
      editorOn("/work/src/sum.ts", { start: 0, end: 4 });
      a.say({ type: "send", text: "/explain why a loop?", attachments: [], context: [] });
      await flush();
      await flush();
      const user = a.provider.history()[0];
      expect(user).toMatchObject({ role: "user", command: "explain", text: "why a loop?", context: [{ kind: "selection", path: "src/sum.ts", range: [1, 5] }] });
      const text = lastUserText(a);
      expect(text.startsWith("`src/sum.ts` (lines 1-5):\n```typescript\nexport function total")).toBe(true);
      expect(text).toContain("Explain the code above (`src/sum.ts`)");
      expect(text.endsWith("The developer adds: why a loop?")).toBe(true);
      a.backend.last.resolve({ text: "It sums.", stats: stats(), mediaTokens: 0 });
      await flush();
      a.say({ type: "retry" });
      await flush();
      expect(lastUserText(a)).toBe(text);
      // The transcript (and so a reload) keeps the command and what was asked.
      expect(a.memento.get<{ turns: { command?: string; prompt?: string }[] }>(HISTORY_KEY)!.turns[0]).toMatchObject({ command: "explain", prompt: expect.stringContaining("Explain the code above") });
    });

    it("/fix quotes the errors and warnings reported within the code, not those elsewhere", async () => {
      const a = setup();
      editorOn("/work/src/sum.ts", { start: 0, end: 4 });
      const diag = (line: number, severity: number, message: string, code?: string) => ({ range: { start: { line, character: 0 }, end: { line, character: 5 } }, severity, message, source: "ts", code });
      fake.diagnostics.set("/work/src/sum.ts", [diag(3, 1, "Unreachable code."), diag(1, 0, "Cannot find name 'x'.", "2304"), diag(2, 2, "a hint"), diag(9, 0, "elsewhere")]);
      a.say({ type: "send", text: "/fix", attachments: [], context: [] });
      await flush();
      await flush();
      const text = lastUserText(a);
      expect(text).toContain("Fix the problems the editor reports in the code above (`src/sum.ts`):\n- line 2, error (ts 2304): Cannot find name 'x'.\n- line 4, warning (ts): Unreachable code.");
      expect(text).not.toMatch(/elsewhere|a hint/);
    });

    it("without a selection, the function around the cursor (from the language's symbols), else the whole file", async () => {
      const text = `import { x } from "./x";\n\n${SOURCE}`;
      const a = setup();
      const editor = editorOn("/work/src/sum.ts", undefined, text);
      editor.selection.active.line = 3; // in total()
      const symbol = (name: string, kind: number, start: number, end: number) => ({ name, kind, range: { start: { line: start }, end: { line: end } }, children: [] });
      fake.vscode.commands.results.set("vscode.executeDocumentSymbolProvider", [symbol("x", 13, 0, 0), symbol("total", 11, 2, 6)]);
      a.say({ type: "send", text: "/explain", attachments: [], context: [] });
      await flush();
      await flush();
      expect(a.provider.history()[0].context).toEqual([{ kind: "selection", path: "src/sum.ts", languageId: "typescript", range: [3, 7], text: SOURCE.trimEnd() }]);
      a.backend.last.resolve({ text: "ok", stats: stats(), mediaTokens: 0 });
      await flush();

      // Outside any function (or with no symbols for the language): the file.
      editor.selection.active.line = 0;
      a.say({ type: "send", text: "/explain", attachments: [], context: [] });
      await flush();
      await flush();
      expect(a.provider.history()[2].context).toEqual([{ kind: "file", path: "src/sum.ts", languageId: "typescript", text }]);
    });

    it("uses the message's context chips instead of the editor, and says what to do when there is no code", async () => {
      const a = setup();
      const png = { kind: "image", name: "ui.png", mimeType: "image/png", data: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]).toString("base64") };
      a.say({ type: "send", text: "/doc in detail", attachments: [png], context: [] });
      await flush();
      expect(a.backend.requests).toHaveLength(0);
      expect(a.posted.filter((m) => m.type === "notice" || m.type === "draft" || m.type === "attachments")).toEqual([
        { type: "notice", level: "info", message: "Open a file and select the code for /doc, or add it with + Selection." },
        { type: "draft", text: "/doc in detail" },
        { type: "attachments", attachments: [png] },
      ]);
      // From the editor's menu there is no draft to give back.
      a.posted.length = 0;
      await a.provider.runCommand("explain");
      expect(a.posted.filter((m) => m.type === "draft")).toEqual([]);
      a.say({ type: "send", text: "/doc", attachments: [], context: [{ kind: "file", path: "lib/util.py", languageId: "python", text: "def f(): pass\n" }] });
      await flush();
      await flush();
      expect(lastUserText(a)).toMatch(/^`lib\/util\.py` \(whole file\):[\s\S]*Add documentation comments to the code above \(`lib\/util\.py`\) in docstrings/);
    });

    it("refuses a secrets file as the code", async () => {
      const a = setup();
      editorOn("/work/.env", undefined, "TOKEN=abc\n");
      a.say({ type: "send", text: "/explain", attachments: [], context: [] });
      await flush();
      expect(a.backend.requests).toHaveLength(0);
      expect(a.posted.find((m) => m.type === "notice")).toMatchObject({ message: expect.stringMatching(/\.env looks like a secrets file/) });
    });

    it("/tests names the project's framework and adds a test file of the project for its style, with where the new file goes", async () => {
      const a = setup();
      fake.files.set("/work/package.json", JSON.stringify({ devDependencies: { vitest: "^3.2.0" } }));
      fake.files.set("/work/test/unit/format.test.ts", 'import { describe, it } from "vitest";\n');
      fake.files.set("/work/node_modules/x/sum.test.ts", "not ours: a dependency's"); // same name, left out as the workspace context leaves it
      editorOn("/work/src/sum.ts", { start: 0, end: 4 });
      a.say({ type: "send", text: "/tests", attachments: [], context: [] });
      await flush();
      await flush();
      const user = a.provider.history()[0];
      expect(user.context!.map((c) => c.path)).toEqual(["src/sum.ts", "test/unit/format.test.ts"]);
      const text = lastUserText(a);
      expect(text).toContain("Write unit tests for the code above (`src/sum.ts`) with Vitest (the project's framework, from its package.json).");
      expect(text).toContain("Follow the style of the project's tests in `test/unit/format.test.ts`");
      expect(text).toContain("Write the whole test file `test/unit/sum.test.ts`");
    });

    it("/tests takes a same-named test of another file as an example only, not as this file's tests", async () => {
      const a = setup();
      fake.files.set("/work/lib/sum.test.ts", 'import { sum } from "./sum";\n');
      editorOn("/work/src/sum.ts", { start: 0, end: 4 });
      a.say({ type: "send", text: "/tests", attachments: [], context: [] });
      await flush();
      await flush();
      expect(a.provider.history()[0].context!.map((c) => c.path)).toEqual(["src/sum.ts", "lib/sum.test.ts"]);
      expect(lastUserText(a)).toContain("Follow the style of the project's tests in `lib/sum.test.ts`");
      expect(lastUserText(a)).toContain("Write the whole test file `src/sum.test.ts`"); // not over lib/sum.test.ts: beside the file
    });

    it("/tests: New file on the answer's code block opens the test file to write, unsaved, at its path", async () => {
      const a = setup();
      fake.files.set("/work/package.json", JSON.stringify({ devDependencies: { vitest: "^3.2.0" } }));
      editorOn("/work/src/sum.ts", { start: 0, end: 4 });
      a.say({ type: "send", text: "/tests", attachments: [], context: [] });
      await flush();
      await flush();
      expect(a.provider.history()[0].codeFile).toBe("file:///work/src/sum.test.ts");
      a.backend.last.resolve({ text: "```ts\nit('sums', () => {});\n```", stats: stats(), mediaTokens: 0 });
      await flush();
      const answerId = a.provider.history()[1].id;
      a.say({ type: "newFile", code: "it('sums', () => {});\n", language: "ts", turnId: answerId });
      await flush();
      await flush();
      const doc = fake.calls.shown.at(-1) as { uri: { scheme: string; path: string }; edits: string[] };
      expect([doc.uri.scheme, doc.uri.path]).toEqual(["untitled", "/work/src/sum.test.ts"]);
      expect(doc.edits).toEqual(["it('sums', () => {});\n"]);
      // Once the file exists, New file is a plain unsaved editor again (never a second copy of it).
      fake.files.set("/work/src/sum.test.ts", "written");
      a.say({ type: "newFile", code: "x", language: "ts", turnId: answerId });
      await flush();
      await flush();
      expect(fake.calls.newDocs.at(-1)).toEqual({ language: "typescript", content: "x" });
    });

    it("/tests on code that has tests asks for cases to add to them, and Apply on the answer changes that test file", async () => {
      const proposed: [string, string][] = [];
      const a = setup(new Memento(), {
        propose: async (editor, code) => {
          proposed.push([(editor.document.uri as unknown as { path: string }).path, code]);
          return undefined;
        },
      });
      fake.files.set("/work/src/sum.test.ts", "it('sums', () => {});\n");
      fake.files.set("/work/test/other.test.ts", "");
      editorOn("/work/src/sum.ts", { start: 0, end: 4 });
      a.say({ type: "send", text: "/tests edge cases", attachments: [], context: [] });
      await flush();
      await flush();
      expect(a.provider.history()[0].context!.map((c) => c.path)).toEqual(["src/sum.ts", "src/sum.test.ts"]);
      expect(lastUserText(a)).toContain("`src/sum.test.ts` (above) already tests this code: write only the new test cases");
      a.backend.last.resolve({ text: "```ts\nit('is 0 for none', () => {});\n```", stats: stats(), mediaTokens: 0 });
      await flush();
      a.say({ type: "apply", code: "it('is 0 for none', () => {});\n", turnId: a.provider.history()[1].id });
      await flush();
      await flush();
      expect(proposed).toEqual([["/work/src/sum.test.ts", "it('is 0 for none', () => {});\n"]]); // not into src/sum.ts, the editor's file
      // A block of another answer goes to the editor's file as before.
      a.say({ type: "apply", code: "x", turnId: "no-such-turn" });
      await flush();
      await flush();
      expect(proposed.at(-1)).toEqual(["/work/src/sum.ts", "x"]);
    });

    it("/clear starts a new chat; Explain from the editor leaves the pending chips for the next message", async () => {
      const a = setup();
      a.say({ type: "send", text: "hi", attachments: [], context: [] });
      await flush();
      a.backend.last.resolve({ text: "hello", stats: stats(), mediaTokens: 0 });
      await flush();
      a.say({ type: "send", text: "/clear", attachments: [], context: [] });
      await flush();
      expect(a.provider.history()).toEqual([]);
      expect(a.backend.requests).toHaveLength(1);

      editorOn("/work/src/sum.ts", { start: 0, end: 1 });
      a.provider.addContext({ kind: "file", path: "lib/util.py", languageId: "python", text: "x = 1\n" });
      const run = a.provider.runCommand("explain");
      await flush();
      await flush();
      expect(a.provider.history()[0]).toMatchObject({ command: "explain", context: [{ path: "src/sum.ts", range: [1, 2] }] });
      a.backend.last.resolve({ text: "It adds.", stats: stats(), mediaTokens: 0 });
      await run;
      a.say({ type: "ready" });
      await flush();
      expect(a.posted.filter((m) => m.type === "context").at(-1)).toEqual({ type: "context", chips: [{ kind: "file", path: "lib/util.py", languageId: "python", text: "x = 1\n" }] });
    });
  });

  it("ignores malformed messages", async () => {
    const a = setup();
    for (const m of [null, 42, "ready", { type: 7 }, { type: "removeContext", index: "0" }, { type: "nonsense" }]) a.say(m);
    await flush();
    expect(a.backend.requests).toHaveLength(0);
  });
});
