/**
 * The chat webview script (media/src/chat.ts, bundled by esbuild exactly as for media/chat.js) running in
 * a jsdom window with a fake `acquireVsCodeApi`: what it posts for each user action, and how it renders the
 * extension's messages (history, streaming deltas, errors, context, model state). Tests run in order on
 * one loaded view, like a user session.
 */
import * as esbuild from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";
import type { ChatTurn } from "../../src/chat/types";
import type { FromView, ToView } from "../../src/chat/viewProtocol";

/** jsdom's DOM, typed loosely (the root tsconfig has no DOM library, and jsdom ships no types). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
let g: Any;
const posted: FromView[] = [];
let state: unknown;

const $ = (sel: string): Any => g.document.querySelector(sel);
const $$ = (sel: string): Any[] => Array.from(g.document.querySelectorAll(sel));
const send = (m: ToView) => g.window.dispatchEvent(new g.MessageEvent("message", { data: m }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const lastPosted = () => posted[posted.length - 1];
function key(target: Any, k: string, extra: Record<string, unknown> = {}) {
  const e = new g.KeyboardEvent("keydown", { key: k, bubbles: true, cancelable: true, ...extra });
  target.dispatchEvent(e);
  return e;
}
function click(target: Any) {
  target.dispatchEvent(new g.MouseEvent("click", { bubbles: true, cancelable: true }));
}

const turn = (t: Partial<ChatTurn> & Pick<ChatTurn, "id" | "role">): ChatTurn => ({ text: "", createdAt: 0, ...t });
const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 1, 2, 3]);

beforeAll(async () => {
  // esbuild runs in this (node) environment; the view runs in its own jsdom window.
  const jsdomModule = "jsdom";
  const { JSDOM } = (await import(jsdomModule)) as Any;
  const out = await esbuild.build({
    entryPoints: ["media/src/chat.ts"],
    bundle: true,
    format: "iife",
    platform: "browser",
    target: ["chrome120"],
    write: false,
    tsconfig: "media/tsconfig.json",
    logLevel: "silent",
  });
  const dom = new JSDOM('<!DOCTYPE html><html><body><div id="root"></div></body></html>', { runScripts: "outside-only", pretendToBeVisual: true });
  g = dom.window;
  g.acquireVsCodeApi = () => ({
    postMessage: (m: FromView) => posted.push(JSON.parse(JSON.stringify(m)) as FromView),
    getState: () => state,
    setState: (s: unknown) => (state = JSON.parse(JSON.stringify(s))),
  });
  g.eval(out.outputFiles[0].text);
});

describe("chat webview", () => {
  it("builds an accessible view and asks for its state", () => {
    expect(posted[0]).toEqual({ type: "ready" });
    const log = $(".transcript");
    expect(log.getAttribute("role")).toBe("log");
    expect(log.getAttribute("aria-live")).toBe("polite");
    expect($(".empty").hidden).toBe(false);
    for (const b of $$("button")) {
      expect(b.getAttribute("aria-label"), b.outerHTML).toBeTruthy();
      expect(b.tabIndex).toBeGreaterThanOrEqual(0);
    }
    expect($("textarea").getAttribute("aria-label")).toBeTruthy();
    // No inline styles anywhere (the CSP forbids them).
    expect($$("[style]")).toHaveLength(0);
  });

  it("renders the history", () => {
    send({
      type: "history",
      busy: false,
      turns: [
        turn({ id: "u1", role: "user", text: "How do I sum?", context: [{ kind: "selection", path: "src/a.ts", languageId: "typescript", range: [2, 4], text: "x" }] }),
        turn({
          id: "a1",
          role: "assistant",
          status: "done",
          text: "Use this:\n\n```ts\nconst s = xs.reduce((a, b) => a + b, 0);\n```\n\nSee [MDN](https://developer.mozilla.org/).",
          stats: { tokensPerSecond: 21.5, totalMs: 3200, generatedTokens: 64 },
        }),
      ],
    });
    expect($$("article.turn")).toHaveLength(2);
    expect($(".empty").hidden).toBe(true);
    expect($("article.user .user-text").textContent).toBe("How do I sum?");
    expect($("article.user .chip").textContent).toBe("src/a.ts:2-4");
    expect($("article.assistant .code-lang").textContent).toBe("ts");
    expect($("article.assistant .turn-meta .stats").textContent).toBe("64 tokens · 21.5 tokens/s · 3.2 s");
    expect($("button.send").hidden).toBe(false);
    expect($("button.stop").hidden).toBe(true);
  });

  it("posts code block actions with the block's code and language", () => {
    const code = "const s = xs.reduce((a, b) => a + b, 0);\n";
    click($('.code-block [data-action="copy"]'));
    expect(lastPosted()).toEqual({ type: "copy", code });
    expect($('.code-block [data-action="copy"]').textContent).toBe("Copied");
    click($('.code-block [data-action="insert"]'));
    expect(lastPosted()).toEqual({ type: "insert", code });
    click($('.code-block [data-action="apply"]'));
    expect(lastPosted()).toEqual({ type: "apply", code, turnId: "a1" });
    click($('.code-block [data-action="newFile"]'));
    expect(lastPosted()).toEqual({ type: "newFile", code, language: "ts", turnId: "a1" });
  });

  it("puts a shell block's command in the terminal with its language", () => {
    send({ type: "turn", turn: turn({ id: "sh1", role: "assistant", status: "done", text: "Run:\n\n```bash\nnpm test\n```\n" }) });
    click($('article[data-id="sh1"] .code-block [data-action="terminal"]'));
    expect(lastPosted()).toEqual({ type: "runInTerminal", code: "npm test\n", language: "bash" });
    expect($('article[data-id="sh1"] .code-block [data-action="apply"]')).toBeNull();
  });

  it("opens links through the extension (click and keyboard), never by navigation", () => {
    const a = $("article.assistant a.link");
    const e = new g.MouseEvent("click", { bubbles: true, cancelable: true });
    a.dispatchEvent(e);
    expect(e.defaultPrevented).toBe(true);
    expect(lastPosted()).toEqual({ type: "openLink", url: "https://developer.mozilla.org/" });
    posted.length = 0;
    key(a, "Enter");
    expect(lastPosted()).toEqual({ type: "openLink", url: "https://developer.mozilla.org/" });
  });

  it("sends on Enter, not on Shift+Enter, with the chips shown", () => {
    send({ type: "context", chips: [{ kind: "file", path: "src/util.py", languageId: "python", text: "def f(): pass\n" }] });
    expect($(".chips .chip-label").textContent).toBe("util.py");
    const input = $("textarea");
    input.value = "Explain util.py";
    expect(key(input, "Enter", { shiftKey: true }).defaultPrevented).toBe(false);
    expect(lastPosted().type).not.toBe("send");
    expect(key(input, "Enter").defaultPrevented).toBe(true);
    expect(lastPosted()).toEqual({
      type: "send",
      text: "Explain util.py",
      attachments: [],
      context: [{ kind: "file", path: "src/util.py", languageId: "python", text: "def f(): pass\n" }],
    });
    expect(input.value).toBe("");
  });

  it("removes a chip through the extension", () => {
    click($(".chips .chip-remove"));
    expect(lastPosted()).toEqual({ type: "removeContext", index: 0 });
    send({ type: "context", chips: [] });
    expect($(".chips").hidden).toBe(true);
  });

  it("streams an answer into its turn without touching the others", async () => {
    const firstAnswerBlock = $("article.assistant .code-block");
    send({ type: "turn", turn: turn({ id: "u2", role: "user", text: "Explain util.py" }) });
    send({ type: "turn", turn: turn({ id: "a2", role: "assistant", status: "streaming" }) });
    expect($("button.stop").hidden).toBe(false);
    expect($("button.send").hidden).toBe(true);
    const streaming = $('article[data-id="a2"]');
    expect(streaming.getAttribute("aria-busy")).toBe("true");
    for (const piece of ["The ", "function ", "**f**", " does\n\n", "```py\nprint(1)\n"]) send({ type: "delta", id: "a2", text: piece });
    await sleep(80);
    const body = streaming.querySelector(".markdown");
    expect(body.querySelector("strong").textContent).toBe("f");
    expect(body.querySelector("pre code").textContent).toBe("print(1)\n");
    const paragraph = body.querySelector("p");
    send({ type: "delta", id: "a2", text: "print(2)\n```\n" });
    await sleep(80);
    // The finished paragraph keeps its node; only the growing code block changed.
    expect(body.querySelector("p")).toBe(paragraph);
    expect(body.querySelector("pre code").textContent).toBe("print(1)\nprint(2)\n");
    // Earlier turns were not re-rendered.
    expect($("article.assistant .code-block")).toBe(firstAnswerBlock);
  });

  it("stops with Escape while streaming", () => {
    key(g.document.body, "Escape");
    expect(lastPosted()).toEqual({ type: "stop" });
  });

  it("shows how the answer ended", () => {
    send({ type: "done", id: "a2", status: "stopped", stats: { tokensPerSecond: 10, totalMs: 1500, generatedTokens: 15 } });
    const a2 = $('article[data-id="a2"]');
    expect(a2.getAttribute("aria-busy")).toBe("false");
    expect(a2.querySelector(".status").textContent).toBe("Stopped");
    expect($("button.send").hidden).toBe(false);
    click(a2.querySelector('[data-action="retry"]'));
    expect(lastPosted()).toEqual({ type: "retry" });
  });

  it("shows a backend error's sentence in the answer", () => {
    send({ type: "turn", turn: turn({ id: "a3", role: "assistant", status: "streaming" }) });
    send({ type: "done", id: "a3", status: "error", error: "The loaded model has no vision projector: set the mmproj." });
    const err = $('article[data-id="a3"] .turn-error');
    expect(err.textContent).toBe("The loaded model has no vision projector: set the mmproj.");
    expect(err.getAttribute("role")).toBe("alert");
  });

  it("shows why an answer stopped, and no Retry where asking again cannot help", () => {
    send({ type: "turn", turn: turn({ id: "a4", role: "assistant", status: "streaming" }) });
    send({ type: "done", id: "a4", status: "stopped", stopReason: "the model host was restarted" });
    expect($('article[data-id="a4"] .turn-meta .status').textContent).toBe("Stopped: the model host was restarted");
    expect($('article[data-id="a4"] .turn-error')).toBeNull();
    expect($('article[data-id="a4"] button.retry')).not.toBeNull();
    send({ type: "turn", turn: turn({ id: "a5", role: "assistant", status: "streaming" }) });
    send({ type: "done", id: "a5", status: "error", error: "“shot.png” is not a PNG, JPEG, WebP, GIF or BMP image.", noRetry: true });
    expect($('article[data-id="a5"] .turn-error').textContent).toMatch(/^“shot\.png” is not/);
    expect($('article[data-id="a5"] button.retry')).toBeNull();
    expect($('article[data-id="a3"] button.retry')).not.toBeNull(); // an engine error keeps it
  });

  it("shows the model state as a banner with progress and actions", () => {
    send({ type: "modelState", state: "downloading", detail: "Downloading gemma-4.gguf: 42%" });
    expect($(".banner").hidden).toBe(false);
    expect($(".banner-text").textContent).toBe("Downloading gemma-4.gguf: 42%");
    expect($(".banner-progress").hidden).toBe(false);
    expect($(".banner-progress").value).toBe(42);
    send({ type: "modelState", state: "error", detail: "model.gguf is truncated: it has 1 of the 2 bytes." });
    expect($(".banner").classList.contains("error")).toBe(true);
    const [logs] = $$(".banner-actions button");
    click(logs);
    expect(lastPosted()).toEqual({ type: "command", command: "hearth.showLogs" });
    send({ type: "modelState", state: "ready" });
    expect($(".banner").hidden).toBe(true);
  });

  it("says where messages go while a remote endpoint is configured, ready included", () => {
    send({ type: "modelState", state: "idle", remote: "http://gpu-box.internal:8080" });
    expect($(".banner").hidden).toBe(false);
    expect($(".banner").classList.contains("remote")).toBe(true);
    const idle = $(".banner-text").textContent;
    expect(idle).not.toMatch(/not loaded/);
    expect(idle).toMatch(/connects to the remote endpoint/);
    expect(idle).toMatch(/sent to http:\/\/gpu-box\.internal:8080/);
    expect(idle).toMatch(/workspace's files/);
    send({ type: "modelState", state: "ready", remote: "http://gpu-box.internal:8080" });
    expect($(".banner").hidden).toBe(false);
    expect($(".banner-text").textContent).toMatch(/^Not local: .*sent to http:\/\/gpu-box\.internal:8080\.$/);
    click($(".banner-actions button"));
    expect(lastPosted()).toEqual({ type: "command", command: "hearth.selectModel" });
    send({ type: "modelState", state: "error", detail: "The remote endpoint http://gpu-box.internal:8080 does not answer /health.", remote: "http://gpu-box.internal:8080" });
    expect($(".banner").classList.contains("error")).toBe(true);
    expect($(".banner-text").textContent).toMatch(/does not answer \/health\. Not local:/);
    // back to the local model: the banner goes once it is ready
    send({ type: "modelState", state: "idle" });
    expect($(".banner-text").textContent).toBe("The model is not loaded yet.");
    send({ type: "modelState", state: "ready" });
    expect($(".banner").hidden).toBe(true);
  });

  it("shows notices from the extension", () => {
    send({ type: "notice", level: "error", message: ".env looks like a secrets file" });
    expect($(".notice").hidden).toBe(false);
    expect($(".notice").getAttribute("role")).toBe("alert");
    expect($(".notice-text").textContent).toBe(".env looks like a secrets file");
    click($(".notice-close"));
    expect($(".notice").hidden).toBe(true);
  });

  it("attaches a pasted image and sends it as base64", async () => {
    const input = $("textarea");
    const file = new g.File([PNG], "image.png", { type: "image/png" });
    const e = new g.Event("paste", { bubbles: true, cancelable: true });
    e.clipboardData = { files: [file], getData: () => "" };
    input.dispatchEvent(e);
    expect(e.defaultPrevented).toBe(true);
    await sleep(50);
    const thumb = $(".thumbs .thumb img");
    expect(thumb.getAttribute("src")).toBe(`data:image/png;base64,${Buffer.from(PNG).toString("base64")}`);
    input.value = "What is this?";
    key(input, "Enter");
    expect(lastPosted()).toEqual({
      type: "send",
      text: "What is this?",
      attachments: [{ kind: "image", name: "image.png", mimeType: "image/png", data: Buffer.from(PNG).toString("base64") }],
      context: [],
    });
    expect($(".thumbs").hidden).toBe(true);
  });

  it("refuses a file that is not an image or audio, inline", async () => {
    const file = new g.File(["hello"], "notes.txt", { type: "text/plain" });
    const e = new g.Event("paste", { bubbles: true, cancelable: true });
    e.clipboardData = { files: [file], getData: () => "" };
    $("textarea").dispatchEvent(e);
    await sleep(50);
    expect($(".notice-text").textContent).toMatch(/“notes.txt” is not an image or audio file/);
    expect(lastPosted()).toMatchObject({ type: "attachError" });
    expect($$(".thumbs .thumb")).toHaveLength(0);
  });

  it("lets a text paste through even when the clipboard also holds a picture", () => {
    const e = new g.Event("paste", { bubbles: true, cancelable: true });
    e.clipboardData = { files: [new g.File([PNG], "x.png", { type: "image/png" })], getData: (t: string) => (t === "text/plain" ? "some text" : "") };
    $("textarea").dispatchEvent(e);
    expect(e.defaultPrevented).toBe(false);
  });

  it("adds attachments the extension read from an Explorer drop", () => {
    send({ type: "attachments", attachments: [{ kind: "audio", name: "memo.wav", mimeType: "audio/wav", data: "UklGRg==" }] });
    expect($(".thumbs .thumb.audio .thumb-name").textContent).toBe("memo.wav");
  });

  it("forwards Explorer drops as URIs", () => {
    const e = new g.Event("drop", { bubbles: true, cancelable: true });
    e.dataTransfer = {
      files: [],
      getData: (t: string) => (t === "text/uri-list" ? "file:///w/src/a.ts\r\nfile:///w/shot.png\r\n" : ""),
    };
    $("textarea").dispatchEvent(e);
    expect(e.defaultPrevented).toBe(true);
    expect(lastPosted()).toEqual({ type: "dropUris", uris: ["file:///w/src/a.ts", "file:///w/shot.png"] });
  });

  it("keeps the draft in the view state across hide/show", async () => {
    $("textarea").value = "half-written question";
    $("textarea").dispatchEvent(new g.Event("input"));
    await sleep(300);
    expect(state).toMatchObject({ draft: "half-written question" });
  });

  it("saves the draft at once when the view loses focus or is hidden, not only 250 ms after the last keystroke", async () => {
    const input = $("textarea");
    input.value = "typed just before switching views";
    input.dispatchEvent(new g.Event("input"));
    expect(state).not.toMatchObject({ draft: "typed just before switching views" }); // still debounced
    g.dispatchEvent(new g.Event("blur"));
    expect(state).toMatchObject({ draft: "typed just before switching views" });
    input.value = "and a last keystroke";
    input.dispatchEvent(new g.Event("input"));
    g.dispatchEvent(new g.Event("pagehide"));
    expect(state).toMatchObject({ draft: "and a last keystroke" });
    input.value = "half-written question";
    input.dispatchEvent(new g.Event("input"));
    await sleep(300);
    expect(state).toMatchObject({ draft: "half-written question" });
  });

  it("recalls sent messages with the arrow keys", () => {
    const input = $("textarea");
    input.value = "";
    key(input, "ArrowUp");
    expect(input.value).toBe("What is this?");
    key(input, "ArrowUp");
    expect(input.value).toBe("Explain util.py");
    key(input, "ArrowUp");
    expect(input.value).toBe("Explain util.py");
    key(input, "ArrowDown");
    expect(input.value).toBe("What is this?");
    key(input, "ArrowDown");
    expect(input.value).toBe("");
    // An edited draft is never replaced.
    input.value = "my own text";
    expect(key(input, "ArrowUp").defaultPrevented).toBe(false);
    expect(input.value).toBe("my own text");
  });

  it("sends with the workspace while the Workspace toggle is on, and keeps the toggle across hide/show", async () => {
    const toggle = $('button[aria-label="Answer with the whole workspace as context"]');
    expect(toggle.getAttribute("aria-pressed")).toBe("false");
    click(toggle);
    expect(toggle.getAttribute("aria-pressed")).toBe("true");
    const input = $("textarea");
    input.value = "Where is the host started?";
    key(input, "Enter");
    expect(lastPosted()).toMatchObject({ type: "send", text: "Where is the host started?", workspace: true });
    await sleep(300);
    expect(state).toMatchObject({ workspace: true });
    click(toggle);
    expect(toggle.getAttribute("aria-pressed")).toBe("false");
    input.value = "plain";
    key(input, "Enter");
    expect(lastPosted()).toMatchObject({ type: "send", text: "plain" });
    expect("workspace" in lastPosted()).toBe(false);
  });

  it("marks turns asked with the workspace", () => {
    send({ type: "turn", turn: turn({ id: "ws1", role: "user", text: "where?", workspace: true }) });
    expect($('article[data-id="ws1"] .chip.workspace').textContent).toBe("@workspace");
  });

  it("offers the slash commands in a menu as / is typed: arrows move, Tab or Enter picks, Escape closes", () => {
    const input = $("textarea");
    const menu = $(".command-menu");
    const type = (text: string) => {
      input.value = text;
      input.dispatchEvent(new g.Event("input"));
    };
    expect(menu.hidden).toBe(true);
    type("/");
    expect(menu.hidden).toBe(false);
    expect(menu.getAttribute("role")).toBe("listbox");
    expect($$(".command-item .command-name").map((e: Any) => e.textContent)).toEqual(["/explain", "/fix", "/review", "/tests", "/doc", "/clear"]);
    expect(input.getAttribute("aria-expanded")).toBe("true");
    expect(input.getAttribute("aria-activedescendant")).toBe("hearth-command-explain");
    key(input, "ArrowDown");
    key(input, "ArrowDown");
    key(input, "ArrowDown");
    expect($(".command-item.active .command-name").textContent).toBe("/tests");
    expect(input.getAttribute("aria-activedescendant")).toBe("hearth-command-tests");
    key(input, "ArrowUp");
    key(input, "ArrowUp");
    posted.length = 0;
    expect(key(input, "Tab").defaultPrevented).toBe(true);
    expect(input.value).toBe("/fix ");
    expect(menu.hidden).toBe(true);
    expect(posted).toEqual([]);

    // Enter on a partly typed name picks it; on a whole name it sends.
    type("/ex");
    expect($$(".command-item")).toHaveLength(1);
    key(input, "Enter");
    expect(input.value).toBe("/explain ");
    expect(posted).toEqual([]);
    type("/tests");
    key(input, "Enter");
    expect(lastPosted()).toMatchObject({ type: "send", text: "/tests" });

    // Escape closes the menu, even while an answer streams (the next Escape stops it); it stays closed until the draft changes.
    send({ type: "turn", turn: turn({ id: "streaming1", role: "assistant", status: "streaming" }) });
    type("/d");
    expect(menu.hidden).toBe(false);
    posted.length = 0;
    key(input, "Escape");
    expect(menu.hidden).toBe(true);
    expect(posted).toEqual([]);
    key(input, "Escape");
    expect(posted).toEqual([{ type: "stop" }]);
    send({ type: "done", id: "streaming1", status: "stopped" });
    type("/do");
    expect(menu.hidden).toBe(false);
    type("not a command /");
    expect(menu.hidden).toBe(true);
    // It closes when the input loses the focus, and opens again with it.
    type("/");
    input.blur();
    expect(menu.hidden).toBe(true);
    input.focus();
    expect(menu.hidden).toBe(false);
    type("");
    expect(input.getAttribute("role")).toBe("combobox");
    expect(input.getAttribute("aria-expanded")).toBe("false");
  });

  it("offers workspace files as # is typed: asks the extension, shows its newest answer, picks into a chip and the text", () => {
    const input = $("textarea");
    const menu = $(".command-menu");
    const type = (text: string, caret = text.length) => {
      input.value = text;
      input.setSelectionRange(caret, caret);
      input.dispatchEvent(new g.Event("input"));
    };
    const asked = () => posted.filter((m): m is Extract<FromView, { type: "findFiles" }> => m.type === "findFiles");
    posted.length = 0;
    type("how does #");
    expect(asked()).toEqual([{ type: "findFiles", query: "", seq: expect.any(Number) }]);
    expect(menu.hidden).toBe(true); // (nothing to show until the extension answers)
    send({ type: "fileMatches", seq: asked()[0].seq, files: [{ uri: "file:///w/src/open.ts", path: "src/open.ts" }] });
    expect(menu.hidden).toBe(false);
    expect(menu.getAttribute("aria-label")).toBe("Files");
    type("how does #cac");
    const seq = asked()[asked().length - 1].seq;
    expect(asked().map((m) => m.query)).toEqual(["", "cac"]);
    // An answer to a query typed over since is dropped; the newest one is shown.
    send({ type: "fileMatches", seq: seq - 1, files: [{ uri: "file:///w/stale.ts", path: "stale.ts" }] });
    expect($$(".file-item .command-name").map((e: Any) => e.textContent)).toEqual(["open.ts"]);
    send({
      type: "fileMatches",
      seq,
      files: [
        { uri: "file:///w/src/cache.ts", path: "src/cache.ts" },
        { uri: "file:///w/server/lru/cacheMap.ts", path: "server/lru/cacheMap.ts" },
      ],
    });
    expect($$(".file-item .command-name").map((e: Any) => e.textContent)).toEqual(["cache.ts", "cacheMap.ts"]);
    expect($$(".file-item .command-description").map((e: Any) => e.textContent)).toEqual(["src", "server/lru"]);
    expect(input.getAttribute("aria-activedescendant")).toBe(`hearth-file-${seq}-0`);
    key(input, "ArrowDown");
    posted.length = 0;
    // Enter picks (it does not send): the mention becomes the path, the file a chip (the extension adds it).
    expect(key(input, "Enter").defaultPrevented).toBe(true);
    expect(input.value).toBe("how does server/lru/cacheMap.ts ");
    expect(input.selectionStart).toBe(input.value.length);
    expect(posted).toEqual([{ type: "addFileByUri", uri: "file:///w/server/lru/cacheMap.ts" }]);
    expect(menu.hidden).toBe(true);

    // In the middle of a sentence, with the caret moved back into a mention; Tab picks too.
    type("compare # with this", "compare #".length);
    send({ type: "fileMatches", seq: asked()[asked().length - 1].seq, files: [{ uri: "file:///w/a.ts", path: "a.ts" }] });
    posted.length = 0;
    key(input, "Tab");
    expect(input.value).toBe("compare a.ts with this");
    expect(posted).toEqual([{ type: "addFileByUri", uri: "file:///w/a.ts" }]);

    // A pick before the answer to what is typed now waits for it (the matches shown are for the query before).
    type("see #");
    send({ type: "fileMatches", seq: asked()[asked().length - 1].seq, files: [{ uri: "file:///w/open.ts", path: "open.ts" }] });
    type("see #rea");
    const reaSeq = asked()[asked().length - 1].seq;
    posted.length = 0;
    expect(key(input, "Tab").defaultPrevented).toBe(true);
    expect(input.value).toBe("see #rea");
    send({ type: "fileMatches", seq: reaSeq, files: [{ uri: "file:///w/README.md", path: "README.md" }] });
    expect(input.value).toBe("see README.md ");
    expect(posted.at(-1)).toEqual({ type: "addFileByUri", uri: "file:///w/README.md" });

    // A function or class: shown by its name and where it is; picked, its name goes in the text and its code as a chip.
    type("why does #formatM");
    send({
      type: "fileMatches",
      seq: asked()[asked().length - 1].seq,
      files: [
        { uri: "file:///w/src/format.ts", path: "src/format.ts" },
        { uri: "file:///w/src/format.ts", path: "src/format.ts", symbol: { name: "formatMoney", line: 3, kind: "function" } },
      ],
    });
    expect($$(".file-item").map((e: Any) => [e.querySelector(".command-name").textContent, e.querySelector(".command-description").textContent, e.classList.contains("symbol-item")])).toEqual([
      ["format.ts", "src", false],
      ["formatMoney", "function · src/format.ts:3", true],
    ]);
    expect($$(".file-item")[1].title).toBe("function formatMoney in src/format.ts, line 3");
    key(input, "ArrowDown");
    // The symbols' answer comes after the files': the item the arrows chose stays chosen where it moved to.
    send({
      type: "fileMatches",
      seq: asked()[asked().length - 1].seq,
      files: [
        { uri: "file:///w/src/format.ts", path: "src/format.ts", symbol: { name: "formatMoney", line: 3 } },
        { uri: "file:///w/src/format.ts", path: "src/format.ts" },
        { uri: "file:///w/src/other.ts", path: "src/other.ts", symbol: { name: "formatMinutes", line: 9 } },
      ],
    });
    expect($(".file-item.active .command-name").textContent).toBe("formatMoney");
    expect(menu.getAttribute("aria-label")).toBe("Files and symbols");
    posted.length = 0;
    key(input, "Enter");
    expect(input.value).toBe("why does formatMoney ");
    expect(posted).toEqual([{ type: "addSymbol", uri: "file:///w/src/format.ts", line: 3, name: "formatMoney" }]);

    // Enter sends a `#word` that only matches fuzzily (a colour, a region), unless the arrows chose a file.
    type("set it to #fff");
    send({ type: "fileMatches", seq: asked()[asked().length - 1].seq, files: [{ uri: "file:///w/src/diff_buffer.ts", path: "src/diff_buffer.ts" }] });
    expect(menu.hidden).toBe(false);
    key(input, "Enter");
    expect(lastPosted()).toMatchObject({ type: "send", text: "set it to #fff" });

    // Not a mention: an issue number, a word's middle, `#` inside a word; Escape closes until the draft changes.
    posted.length = 0;
    type("fix #12");
    type("see #abc", "see #a".length);
    type("C#");
    expect(asked()).toEqual([]);
    expect(menu.hidden).toBe(true);
    type("#");
    send({ type: "fileMatches", seq: asked()[asked().length - 1].seq, files: [{ uri: "file:///w/a.ts", path: "a.ts" }] });
    expect(menu.hidden).toBe(false);
    key(input, "Escape");
    expect(menu.hidden).toBe(true);
    posted.length = 0;
    key(input, "Enter");
    expect(lastPosted()).toMatchObject({ type: "send", text: "#" });
    type("");
  });

  it("browses past a recalled command with the arrows instead of opening the menu on it", () => {
    const input = $("textarea");
    input.value = "/explain";
    key(input, "Enter");
    input.value = "hello";
    key(input, "Enter");
    input.value = "";
    key(input, "ArrowUp");
    expect(input.value).toBe("hello");
    key(input, "ArrowUp");
    expect(input.value).toBe("/explain");
    expect($(".command-menu").hidden).toBe(true);
    key(input, "ArrowUp");
    expect(input.value).not.toBe("/explain"); // further back
    key(input, "ArrowDown");
    key(input, "ArrowDown");
    key(input, "ArrowDown");
    expect(input.value).toBe("");
  });

  it("/clear starts a new chat and keeps the attachments and draft context for the next message", () => {
    const input = $("textarea");
    input.value = "/clear";
    input.dispatchEvent(new g.Event("input"));
    posted.length = 0;
    key(input, "Enter");
    expect(posted).toEqual([{ type: "newChat" }]);
    expect(input.value).toBe("");
    input.value = "/clear";
    input.dispatchEvent(new g.Event("input"));
    key(input, "Escape");
    send({ type: "attachments", attachments: [{ kind: "image", name: "ui.png", mimeType: "image/png", data: Buffer.from(PNG).toString("base64") }] });
    expect($$(".thumbs > *")).toHaveLength(1);
    posted.length = 0;
    key(input, "Enter"); // the menu was closed: sent as typed, still a new chat
    expect(posted).toEqual([{ type: "newChat" }]);
    expect($$(".thumbs > *")).toHaveLength(1); // the attachment waits for the next message
    click($('.thumbs button[aria-label^="Remove"]'));
    expect($$(".thumbs > *")).toHaveLength(0);
  });

  it("shows a turn's command as a chip, and puts back a message the extension did not send", () => {
    send({ type: "turn", turn: turn({ id: "cmd1", role: "user", text: "briefly", command: "explain" }) });
    expect($('article[data-id="cmd1"] .chip.command').textContent).toBe("/explain");
    expect($('article[data-id="cmd1"] .chip.command').title).toBe("Explain how the selected code works");
    const input = $("textarea");
    input.value = "";
    send({ type: "draft", text: "/explain briefly" });
    expect(input.value).toBe("/explain briefly");
    send({ type: "draft", text: "something else" });
    expect(input.value).toBe("/explain briefly"); // never over what the user typed since
    input.value = "";
  });

  it("edits an earlier message: Edit asks for it, the composer takes it, sending replaces it; Cancel and Escape give the draft back", () => {
    const input = $("textarea");
    const bar = $(".edit-bar");
    send({
      type: "history",
      busy: false,
      turns: [
        turn({ id: "e1", role: "user", text: "first question" }),
        turn({ id: "e2", role: "assistant", text: "first answer", status: "done" }),
        turn({ id: "e3", role: "user", text: "second" }),
        turn({ id: "e4", role: "assistant", text: "second answer", status: "done" }),
      ],
    });
    expect(bar.hidden).toBe(true);
    input.value = "half-written";
    posted.length = 0;
    click($('article[data-id="e1"] button.edit'));
    expect(posted).toEqual([{ type: "editTurn", id: "e1" }]);
    const image = { kind: "image" as const, name: "ui.png", mimeType: "image/png", data: Buffer.from(PNG).toString("base64") };
    send({ type: "edit", id: "e1", text: "/explain first question", attachments: [image] });
    expect(input.value).toBe("/explain first question");
    expect($$(".thumbs .thumb")).toHaveLength(1);
    expect(bar.hidden).toBe(false);
    expect($('article[data-id="e1"]').classList.contains("editing")).toBe(true);
    expect(["e2", "e3", "e4"].map((id) => $(`article[data-id="${id}"]`).classList.contains("superseded"))).toEqual([true, true, true]);

    // Cancel: the draft and attachments from before come back, the extension gives back the chips.
    posted.length = 0;
    click(bar.querySelector("button"));
    expect(input.value).toBe("half-written");
    expect($$(".thumbs .thumb")).toHaveLength(0);
    expect(posted).toEqual([{ type: "cancelEdit" }]);
    expect(bar.hidden).toBe(true);
    expect($$("article.superseded, article.editing")).toHaveLength(0);

    // Escape cancels too.
    send({ type: "edit", id: "e3", text: "second", attachments: [] });
    expect($('article[data-id="e4"]').classList.contains("superseded")).toBe(true);
    expect($('article[data-id="e2"]').classList.contains("superseded")).toBe(false);
    posted.length = 0;
    key(input, "Escape");
    expect(posted).toEqual([{ type: "cancelEdit" }]);
    expect(input.value).toBe("half-written");

    // Sent: the message says which turn it replaces; a message the extension did not send stays an edit.
    send({ type: "edit", id: "e3", text: "second", attachments: [] });
    input.value = "second, better";
    posted.length = 0;
    key(input, "Enter");
    expect(lastPosted()).toMatchObject({ type: "send", text: "second, better", replaces: "e3" });
    expect(bar.hidden).toBe(true);
    send({ type: "draft", text: "second, better", replaces: "e3" });
    expect(bar.hidden).toBe(false);
    key(input, "Enter");
    expect(lastPosted()).toMatchObject({ type: "send", text: "second, better", replaces: "e3" });
    // Given back again, then cancelled: what the composer had before Edit comes back.
    send({ type: "draft", text: "second, better", replaces: "e3" });
    posted.length = 0;
    key(input, "Escape");
    expect(input.value).toBe("half-written");
    expect(posted).toEqual([{ type: "cancelEdit" }]);
    // The conversation replaced mid-edit (New chat, a past chat): the edit ends as if cancelled.
    click($('article[data-id="e3"] button.edit'));
    send({ type: "edit", id: "e3", text: "second", attachments: [] });
    posted.length = 0;
    send({ type: "history", busy: false, turns: [turn({ id: "e1", role: "user", text: "first question" })] });
    expect(bar.hidden).toBe(true);
    expect(input.value).toBe("half-written");
    expect(posted).toEqual([{ type: "cancelEdit" }]);
    input.value = "";
  });

  it("offers Continue on the last answer cut at its length limit", () => {
    send({ type: "turn", turn: turn({ id: "c1", role: "user", text: "write it" }) });
    send({ type: "turn", turn: turn({ id: "c2", role: "assistant", status: "streaming" }) });
    send({ type: "delta", id: "c2", text: "function f(" });
    send({ type: "done", id: "c2", status: "done", cut: true });
    expect($('article[data-id="c2"] .turn-meta').textContent).toContain("Cut at the length limit");
    posted.length = 0;
    click($('article[data-id="c2"] button.continue'));
    expect(posted).toEqual([{ type: "continue", id: "c2" }]);
    send({ type: "done", id: "c2", status: "done" });
    expect($('article[data-id="c2"] button.continue')).toBeNull();
    // A stopped answer can go on too (no "cut" label: it says Stopped).
    send({ type: "done", id: "c2", status: "stopped", cut: true });
    expect($('article[data-id="c2"] button.continue')).not.toBeNull();
    expect($('article[data-id="c2"] .turn-meta').textContent).not.toContain("Cut at");
  });

  it("shows the share of the context a conversation took, and says so on the last answer when it nearly fills it", () => {
    send({ type: "turn", turn: turn({ id: "k1", role: "user", text: "q" }) });
    send({ type: "turn", turn: turn({ id: "k2", role: "assistant", status: "streaming" }) });
    send({ type: "done", id: "k2", status: "done", stats: { tokensPerSecond: 10, totalMs: 1000, generatedTokens: 10, contextTokens: 30000, contextSize: 32768 } });
    expect($('article[data-id="k2"] .stats').textContent).toBe("10 tokens · 10.0 tokens/s · 1.0 s · 92% of the context");
    expect($('article[data-id="k2"] .stats').title).toBe("30,000 of the model's 32,768 context tokens (the prompt, the workspace with it, and the answer)");
    expect($('article[data-id="k2"] .context-warning').textContent).toBe("The conversation nearly fills the model's context: a New chat starts afresh.");
    send({ type: "done", id: "k2", status: "done", stats: { tokensPerSecond: 10, totalMs: 1000, generatedTokens: 10, contextTokens: 3000, contextSize: 32768 } });
    expect($('article[data-id="k2"] .context-warning')).toBeNull();
  });

  it("names the standing instructions an answer followed, each a link that opens it", () => {
    send({ type: "turn", turn: turn({ id: "i1", role: "user", text: "q" }) });
    send({ type: "turn", turn: turn({ id: "i2", role: "assistant", status: "streaming" }) });
    send({
      type: "done",
      id: "i2",
      status: "done",
      stats: { tokensPerSecond: 10, totalMs: 1000, generatedTokens: 10 },
      instructions: [{ kind: "settings" }, { kind: "file", path: "AGENTS.md", uri: "file:///w/AGENTS.md" }, { kind: "file", path: "api/AGENTS.md", uri: "file:///w/api/AGENTS.md" }],
    });
    const note = $('article[data-id="i2"] .instructions');
    expect(note.textContent).toBe("Following your instructions, AGENTS.md, api/AGENTS.md");
    posted.length = 0;
    for (const b of note.querySelectorAll("button")) click(b);
    expect(posted).toEqual([0, 1, 2].map((index) => ({ type: "openInstructions", turnId: "i2", index })));
    // none: no note
    send({ type: "done", id: "i2", status: "done", stats: { tokensPerSecond: 10, totalMs: 1000, generatedTokens: 10 } });
    expect($('article[data-id="i2"] .instructions')).toBeNull();
  });

  it("starts a new chat", () => {
    click($('button[aria-label="New chat"]'));
    expect(lastPosted()).toEqual({ type: "newChat" });
    send({ type: "history", turns: [], busy: false });
    expect($$("article.turn")).toHaveLength(0);
    expect($(".empty").hidden).toBe(false);
  });

  it("renders a long history and streams into it without re-rendering it", async () => {
    const turns: ChatTurn[] = [];
    for (let i = 0; i < 200; i++) {
      turns.push(turn({ id: `q${i}`, role: i % 2 ? "assistant" : "user", status: i % 2 ? "done" : undefined, text: i % 2 ? `Answer ${i} with \`code\` and a list:\n\n- a\n- b` : `Question ${i}` }));
    }
    const t0 = Date.now();
    send({ type: "history", turns, busy: false });
    const renderMs = Date.now() - t0;
    expect($$("article.turn")).toHaveLength(200);
    expect(renderMs).toBeLessThan(5000);
    const before = $$("article.turn").slice(0, 200);
    send({ type: "turn", turn: turn({ id: "live", role: "assistant", status: "streaming" }) });
    for (let i = 0; i < 100; i++) send({ type: "delta", id: "live", text: `word${i} ` });
    await sleep(80);
    expect($('article[data-id="live"] .markdown').textContent).toContain("word99");
    const after = $$("article.turn").slice(0, 200);
    expect(after.every((el: unknown, i: number) => el === before[i])).toBe(true);
  });
});
