/**
 * The chat webview (bundled to media/chat.js as an IIFE by scripts/build-webview.mjs).
 *
 * The extension owns the transcript and the context chips; this script renders them, streams answers into
 * the DOM, and owns the draft and the pending attachments (kept across hide/show with `setState`).
 * On load it posts `ready` and receives `history`, `context` and `modelState`.
 *
 * Streaming stays cheap with long transcripts: a delta only appends to its turn's text and schedules a
 * render of that one turn (at most every 50 ms); the render patches only the top-level blocks that changed.
 */
import DOMPurify from "dompurify";
import type { Attachment, ChatTurn, ContextChip, FileMatch } from "../../src/chat/types";
import type { FromView, ToView, ViewCommand } from "../../src/chat/viewProtocol";
import { chatCommand, commandsFor, type ChatCommandInfo } from "../../src/chat/commands";
import { fileMentionAt, replaceMention, type FileMention } from "../../src/chat/mentions";
import { base64Bytes, checkAttachment, formatSize, MAX_ATTACHMENTS, SNIFF_BYTES } from "./attach";
import { createRenderer, isOpenableUrl, patchChildren } from "./render";

interface SavedState {
  draft: string;
  attachments: Attachment[];
  stuck: boolean;
  scrollTop: number;
  sent: string[];
  /** The Workspace toggle. */
  workspace: boolean;
  /** The earlier message being edited, and the draft before Edit. */
  editing?: { id: string; draft: string; attachments?: Attachment[] };
}

interface VsCodeApi {
  postMessage(message: FromView): void;
  getState(): Partial<SavedState> | undefined;
  setState(state: SavedState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const renderer = createRenderer((html, config) => DOMPurify.sanitize(html, config) as string);
const post = (m: FromView) => vscode.postMessage(m);

const RENDER_INTERVAL_MS = 50;
/** Pending attachments larger than this are not kept in the view state across hide/show. */
const MAX_SAVED_ATTACHMENT_CHARS = 6 * 1024 * 1024;
const SVG_NS = "http://www.w3.org/2000/svg";

// ---------------------------------------------------------------------------------------------------
// DOM helpers

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A 16×16 stroke icon, hidden from screen readers (its button carries the label). */
function icon(d: string): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.classList.add("icon");
  const p = document.createElementNS(SVG_NS, "path");
  p.setAttribute("d", d);
  svg.append(p);
  return svg;
}

const ICONS = {
  send: "M2 2.5 14 8 2 13.5 3.8 8 2 2.5ZM3.8 8H9",
  stop: "M4 4h8v8H4z",
  attach: "M11 5v5.5a3 3 0 0 1-6 0V4.5a2 2 0 0 1 4 0V10a1 1 0 0 1-2 0V5",
  plus: "M8 3v10M3 8h10",
  close: "M4 4l8 8M12 4l-8 8",
  audio: "M6 11.5V3.5l7-1.5v8M6 11.5a1.8 1.8 0 1 1-3.6 0 1.8 1.8 0 0 1 3.6 0ZM13 10a1.8 1.8 0 1 1-3.6 0 1.8 1.8 0 0 1 3.6 0Z",
  down: "M8 3v10M4 9l4 4 4-4",
};

function button(label: string, className: string, content: string | SVGSVGElement, title = label): HTMLButtonElement {
  const b = el("button", className);
  b.type = "button";
  b.setAttribute("aria-label", label);
  b.title = title;
  if (typeof content === "string") b.textContent = content;
  else b.append(content);
  return b;
}

function dataUrl(a: Attachment): string {
  return `data:${a.mimeType};base64,${a.data}`;
}

function chipLabel(c: ContextChip): string {
  if (c.kind === "selection" && c.range) return c.range[0] === c.range[1] ? `${c.path}:${c.range[0]}` : `${c.path}:${c.range[0]}-${c.range[1]}`;
  return c.path;
}

function baseName(p: string): string {
  return p.split(/[\\/]/).pop() || p;
}

// ---------------------------------------------------------------------------------------------------
// Layout

const root = document.getElementById("root") ?? document.body.appendChild(el("div"));
root.replaceChildren();
root.className = "app";

const banner = el("div", "banner");
banner.hidden = true;
banner.setAttribute("role", "status");
const bannerText = el("span", "banner-text");
const bannerProgress = el("progress", "banner-progress");
bannerProgress.max = 100;
const bannerActions = el("span", "banner-actions");
banner.append(bannerText, bannerProgress, bannerActions);

const transcript = el("div", "transcript");
transcript.setAttribute("role", "log");
transcript.setAttribute("aria-live", "polite");
transcript.setAttribute("aria-label", "Conversation");
transcript.tabIndex = 0;
/** The turns (inside the scrolling log, so its growth can be observed). */
const list = el("div", "turns");
transcript.append(list);

const empty = el("div", "empty");
empty.append(
  el("h2", "empty-title", "Ask Hearth"),
  el("p", "", "Answers come from the Gemma 4 model that Hearth runs on this machine (or the endpoint you configured)."),
  el("p", "", "Add the selection or a file as context, paste or drop a screenshot, then ask. Enter sends, Shift+Enter adds a line, Escape stops."),
  el("p", "", "Type / for commands on the selected code (or the function at the cursor): /explain, /fix, /review, /tests, /doc."),
  el("p", "", "To ask about the whole codebase, turn on Workspace (or start the message with @workspace): the files inline completion already knows go with the question."),
);

const jump = button("Scroll to the latest message", "jump", icon(ICONS.down));
jump.hidden = true;

const main = el("div", "main");
main.append(transcript, empty, jump);

const composer = el("div", "composer");
const notice = el("div", "notice");
notice.hidden = true;
const noticeText = el("span", "notice-text");
const noticeClose = button("Dismiss message", "icon-button notice-close", icon(ICONS.close));
notice.append(noticeText, noticeClose);

const chipsRow = el("div", "chips");
chipsRow.setAttribute("role", "list");
chipsRow.setAttribute("aria-label", "Context for the next message");
const thumbs = el("div", "thumbs");
thumbs.setAttribute("role", "list");
thumbs.setAttribute("aria-label", "Attachments for the next message");

const input = el("textarea", "input");
input.rows = 1;
input.placeholder = "Ask about your code, / for commands, # for files — Enter to send";
input.setAttribute("aria-label", "Message to Hearth");
input.spellcheck = true;

/** The `/` menu: the commands whose name starts with what is typed after `/` (a listbox the input controls). */
const commandMenu = el("div", "command-menu");
commandMenu.id = "hearth-command-menu";
commandMenu.setAttribute("role", "listbox");
commandMenu.setAttribute("aria-label", "Commands");
commandMenu.hidden = true;
// (ARIA 1.2 combobox: the textarea owns the listbox and points at the active option)
input.setAttribute("role", "combobox");
input.setAttribute("aria-controls", commandMenu.id);
input.setAttribute("aria-autocomplete", "list");
input.setAttribute("aria-expanded", "false");

const fileInput = el("input", "file-input");
fileInput.type = "file";
fileInput.multiple = true;
fileInput.accept = "image/png,image/jpeg,image/webp,image/gif,image/bmp,audio/wav,audio/x-wav,audio/mpeg,audio/flac,audio/ogg,audio/opus,.png,.jpg,.jpeg,.webp,.gif,.bmp,.wav,.mp3,.flac,.ogg,.oga,.opus";
fileInput.tabIndex = -1;
fileInput.setAttribute("aria-hidden", "true");

const addSelection = button("Add the editor's selection as context", "tool", "+ Selection");
const addFile = button("Add the current file as context", "tool", "+ File");
const workspaceToggle = button(
  "Answer with the whole workspace as context",
  "tool toggle",
  "Workspace",
  "Workspace: answer with the workspace's files as context (same as starting the message with @workspace)",
);
const attach = button("Attach an image or audio file", "icon-button", icon(ICONS.attach), "Attach image or audio (or paste / drop it)");
const newChat = button("New chat", "icon-button", icon(ICONS.plus), "New chat");
const sendBtn = button("Send message", "primary send", icon(ICONS.send), "Send (Enter)");
const stopBtn = button("Stop answering", "primary stop", icon(ICONS.stop), "Stop (Escape)");
stopBtn.hidden = true;

// Two groups: the context tools wrap onto more lines in a narrow sidebar; New chat and Send stay on the right.
const tools = el("div", "tools");
tools.append(addSelection, addFile, workspaceToggle, attach);
const actions = el("div", "actions");
actions.append(newChat, sendBtn, stopBtn);
const toolbar = el("div", "toolbar");
toolbar.append(tools, actions);

/** Shown while an earlier message is being edited: sending replaces it and the conversation after it. */
const editBar = el("div", "edit-bar");
editBar.setAttribute("role", "status");
editBar.hidden = true;
const cancelEditBtn = button("Cancel editing (Escape)", "link-button", "Cancel");
const EDIT_BAR_TEXT = "Editing your message: sending replaces it and the answers after it.";
const editBarText = el("span", "edit-bar-text");
editBar.append(editBarText, cancelEditBtn);

const box = el("div", "input-box");
box.append(chipsRow, thumbs, commandMenu, input, toolbar);
composer.append(notice, editBar, box, fileInput);
root.append(banner, main, composer);

if (typeof CSS === "undefined" || !CSS.supports("field-sizing", "content")) {
  // Auto-grow without inline styles: adjust the row count.
  const grow = () => {
    input.rows = 1;
    const line = parseFloat(getComputedStyle(input).lineHeight) || 18;
    input.rows = Math.min(12, Math.max(1, Math.round((input.scrollHeight - 8) / line)));
  };
  input.addEventListener("input", grow);
  setTimeout(grow);
}

// ---------------------------------------------------------------------------------------------------
// State

interface TurnView {
  turn: ChatTurn;
  el: HTMLElement;
  body: HTMLElement;
  footer: HTMLElement;
}

const views = new Map<string, TurnView>();
const dirty = new Set<TurnView>();
let renderTimer: ReturnType<typeof setTimeout> | undefined;
let lastRender = 0;
let busy = false;
let chips: ContextChip[] = [];
let stuck = true;

const saved = vscode.getState() ?? {};
let pending: Attachment[] = Array.isArray(saved.attachments) ? saved.attachments : [];
let sentHistory: string[] = Array.isArray(saved.sent) ? saved.sent.slice(-50) : [];
let recall = -1;
let workspaceOn = saved.workspace === true;
/**
 * The earlier message being edited (Edit on a user turn), and the draft and attachments the composer had
 * before, given back by Cancel.
 */
let editing: { id: string; draft: string; attachments: Attachment[] } | undefined =
  saved.editing && typeof saved.editing.id === "string"
    ? { id: saved.editing.id, draft: String(saved.editing.draft ?? ""), attachments: Array.isArray(saved.editing.attachments) ? saved.editing.attachments : [] }
    : undefined;
/** The edit last sent, until the extension takes it (a message it gives back stays that edit, Cancel included). */
let sentEdit: typeof editing;
input.value = typeof saved.draft === "string" ? saved.draft : "";
let restoreScroll: { stuck: boolean; top: number } | undefined = { stuck: saved.stuck !== false, top: saved.scrollTop ?? 0 };

let saveTimer: ReturnType<typeof setTimeout> | undefined;
/** Saves the view state soon (keystrokes and scrolling come in bursts; the state carries the attachments). */
function saveState(): void {
  if (saveTimer) clearTimeout(saveTimer);
  saveTimer = setTimeout(flushState, 250);
}

/** Saves the view state now if a save is pending: the view is being left, and may be gone in a moment. */
function flushState(): void {
  if (saveTimer === undefined) return;
  clearTimeout(saveTimer);
  saveTimer = undefined;
  const size = pending.reduce((n, a) => n + a.data.length, 0);
  const editingSize = () => (editing?.attachments ?? []).reduce((n, a) => n + a.data.length, 0);
  vscode.setState({
    draft: input.value,
    attachments: size <= MAX_SAVED_ATTACHMENT_CHARS ? pending : [],
    stuck,
    scrollTop: transcript.scrollTop,
    sent: sentHistory,
    workspace: workspaceOn,
    ...(editing ? { editing: { id: editing.id, draft: editing.draft, ...(editingSize() + size <= MAX_SAVED_ATTACHMENT_CHARS ? { attachments: editing.attachments } : {}) } } : {}),
  });
}
// Switching the sidebar to another view takes the focus away first (a click in the activity bar, a view's
// shortcut), then hides and disposes this view: keystrokes of the last 250 ms must not be lost with it.
window.addEventListener("blur", flushState);
window.addEventListener("pagehide", flushState);
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "hidden") flushState();
});

// ---------------------------------------------------------------------------------------------------
// Turns

function createTurnView(turn: ChatTurn): TurnView {
  const article = el("article", `turn ${turn.role}`);
  article.dataset.id = turn.id;
  article.setAttribute("aria-label", turn.role === "user" ? "You said" : "Hearth answered");
  const header = el("div", "turn-header", turn.role === "user" ? "You" : "Hearth");
  article.append(header);
  const body = el("div", turn.role === "user" ? "user-text" : "markdown");
  const footer = el("div", "turn-footer");
  const tv: TurnView = { turn, el: article, body, footer };
  if (turn.role === "user") {
    const extras = userExtras(turn);
    if (extras) article.append(extras);
  }
  article.append(body, footer);
  renderTurn(tv);
  return tv;
}

function userExtras(turn: ChatTurn): HTMLElement | undefined {
  if (!turn.context?.length && !turn.attachments?.length && !turn.workspace && !turn.command) return undefined;
  const wrap = el("div", "turn-extras");
  if (turn.command) {
    const chip = el("span", "chip readonly command", `/${turn.command}`);
    chip.title = chatCommand(turn.command)?.description ?? "";
    wrap.append(chip);
  }
  if (turn.workspace) {
    const chip = el("span", "chip readonly workspace", "@workspace");
    chip.title = "Asked with the workspace as context";
    wrap.append(chip);
  }
  for (const c of turn.context ?? []) {
    const chip = el("span", "chip readonly", chipLabel(c));
    chip.title = `${c.kind === "selection" ? "Selection" : "File"}: ${chipLabel(c)}`;
    wrap.append(chip);
  }
  for (const a of turn.attachments ?? []) wrap.append(mediaView(a));
  return wrap;
}

/** An attachment in the transcript: an image (click to enlarge) or an audio chip. */
function mediaView(a: Attachment): HTMLElement {
  if (!a.data) {
    const gone = el("span", "chip readonly omitted", `${a.name} — not kept in the history (too large)`);
    return gone;
  }
  if (a.kind === "image") {
    const b = button(`Image ${a.name}: enlarge`, "media-image", "", a.name);
    const img = el("img");
    img.src = dataUrl(a);
    img.alt = a.name;
    img.decoding = "async";
    img.loading = "lazy";
    b.append(img);
    b.dataset.action = "toggleImage";
    b.setAttribute("aria-pressed", "false");
    return b;
  }
  const chip = el("span", "chip readonly audio");
  chip.append(icon(ICONS.audio), document.createTextNode(` ${a.name} · ${formatSize(base64Bytes(a.data))}`));
  return chip;
}

function renderTurn(tv: TurnView): void {
  const { turn } = tv;
  if (turn.role === "user") {
    tv.body.textContent = turn.text;
    tv.body.hidden = !turn.text;
  } else {
    renderMarkdown(tv);
  }
  renderFooter(tv);
}

function renderMarkdown(tv: TurnView): void {
  const tpl = document.createElement("template");
  tpl.innerHTML = renderer.render(tv.turn.text);
  patchChildren(tv.body, tpl.content);
}

function formatStats(s: NonNullable<ChatTurn["stats"]>): string {
  const parts = [`${s.generatedTokens} tokens`];
  if (s.tokensPerSecond > 0) parts.push(`${s.tokensPerSecond.toFixed(1)} tokens/s`);
  parts.push(`${(s.totalMs / 1000).toFixed(1)} s`);
  const share = contextShare(s);
  if (share !== undefined) parts.push(`${share}% of the context`);
  return parts.join(" · ");
}

/** How much of the model's context the conversation took, in percent; undefined when not known. */
function contextShare(s: NonNullable<ChatTurn["stats"]>): number | undefined {
  return s.contextTokens !== undefined && s.contextSize ? Math.min(100, Math.round((100 * s.contextTokens) / s.contextSize)) : undefined;
}

/** From this share on, the last answer says the conversation is about to outgrow the context. */
const CONTEXT_WARNING_PERCENT = 85;

function renderFooter(tv: TurnView): void {
  const { turn, footer, el: article } = tv;
  const streaming = turn.status === "streaming";
  article.classList.toggle("streaming", streaming);
  article.setAttribute("aria-busy", streaming ? "true" : "false");
  footer.replaceChildren();
  if (turn.role === "user") {
    const edit = button("Edit this message and ask again (the answers after it are replaced)", "link-button edit", "Edit");
    edit.dataset.action = "edit";
    footer.append(edit);
    return;
  }
  if (streaming) return;
  if (turn.status === "error") {
    const err = el("div", "turn-error");
    err.setAttribute("role", "alert");
    err.textContent = turn.error || "The request failed.";
    footer.append(err);
  }
  const meta = el("div", "turn-meta");
  if (turn.status === "stopped") meta.append(el("span", "status", turn.stopReason ? `Stopped: ${turn.stopReason}` : "Stopped"));
  if (turn.stats && turn.status !== "error") {
    const stats = el("span", "stats", formatStats(turn.stats));
    if (turn.stats.contextTokens !== undefined) stats.title = `${turn.stats.contextTokens.toLocaleString("en-US")} of the model's ${turn.stats.contextSize?.toLocaleString("en-US")} context tokens (the prompt, the workspace with it, and the answer)`;
    meta.append(stats);
    // (only the last answer: it is where the next question goes)
    const share = contextShare(turn.stats);
    if (share !== undefined && share >= CONTEXT_WARNING_PERCENT) meta.append(el("span", "status context-warning", "The conversation nearly fills the model's context: a New chat starts afresh."));
  }
  if (turn.instructions?.length && turn.status !== "error") meta.append(instructionsNote(turn.instructions));
  if (turn.cut && (turn.status === "done" || turn.status === "stopped")) {
    if (turn.status === "done") meta.append(el("span", "status", "Cut at the length limit"));
    // (only the last answer can go on: the CSS hides it on earlier ones)
    const more = button("Continue this answer from where it stopped", "link-button continue", "Continue");
    more.dataset.action = "continue";
    meta.append(more);
  }
  if (turn.text) {
    const copy = button("Copy the answer as Markdown", "link-button", "Copy");
    copy.dataset.action = "copyAnswer";
    meta.append(copy);
  }
  // A bad file stays bad: Retry is offered only where asking again can help.
  if (!(turn.status === "error" && turn.noRetry)) {
    const retry = button("Generate this answer again", "link-button retry", turn.status === "done" ? "Regenerate" : "Retry");
    retry.dataset.action = "retry";
    meta.append(retry);
  }
  footer.append(meta);
}

/** "Following AGENTS.md, your instructions": each a link that opens the file (or the setting). */
function instructionsNote(used: NonNullable<ChatTurn["instructions"]>): HTMLElement {
  const note = el("span", "instructions", "Following ");
  note.title = "Standing instructions that went with this question (hearth.instructions.files and hearth.instructions.text)";
  used.forEach((u, i) => {
    if (i) note.append(", ");
    const open = button(u.kind === "settings" ? "Open the setting with your instructions" : `Open ${u.path}`, "link-button open-instructions", u.kind === "settings" ? "your instructions" : u.path);
    open.dataset.action = "openInstructions";
    open.dataset.index = String(i);
    note.append(open);
  });
  return note;
}

function scheduleRender(tv: TurnView): void {
  dirty.add(tv);
  if (renderTimer !== undefined) return;
  const wait = Math.max(0, RENDER_INTERVAL_MS - (performance.now() - lastRender));
  renderTimer = setTimeout(flushRender, wait);
}

function flushRender(): void {
  if (renderTimer !== undefined) clearTimeout(renderTimer);
  renderTimer = undefined;
  lastRender = performance.now();
  for (const tv of dirty) renderMarkdown(tv);
  dirty.clear();
  followBottom();
}

function upsertTurn(turn: ChatTurn): void {
  const existing = views.get(turn.id);
  if (existing) {
    const fresh = createTurnView(turn);
    existing.el.replaceWith(fresh.el);
    views.set(turn.id, fresh);
    dirty.delete(existing);
  } else {
    const tv = createTurnView(turn);
    views.set(turn.id, tv);
    list.append(tv.el);
  }
  if (editing) renderEditing();
  updateEmpty();
  updateBusy();
  followBottom();
}

function renderHistory(turns: ChatTurn[], isBusy: boolean): void {
  views.clear();
  dirty.clear();
  const frag = document.createDocumentFragment();
  for (const t of turns) {
    const tv = createTurnView(t);
    views.set(t.id, tv);
    frag.append(tv.el);
  }
  list.replaceChildren(frag);
  // (the conversation was replaced, New chat or a past chat: the edit is over, what the composer had comes back)
  if (editing && !views.has(editing.id)) cancelEdit();
  else renderEditing();
  updateEmpty();
  updateBusy(isBusy);
  const r = restoreScroll;
  restoreScroll = undefined;
  if (r && !r.stuck) {
    transcript.scrollTop = r.top;
    stuck = false;
    updateJump();
  } else {
    stuck = true;
    scrollToBottom();
  }
}

function updateEmpty(): void {
  // The transcript (the live region) stays in the accessibility tree even when empty, so the first
  // message is announced.
  empty.hidden = views.size > 0;
}

function updateBusy(hint?: boolean): void {
  let streaming = false;
  for (const tv of views.values()) if (tv.turn.status === "streaming") streaming = true;
  const next = hint ?? streaming;
  if (next === busy) return;
  busy = next;
  const hadFocus = document.activeElement === stopBtn || document.activeElement === sendBtn;
  sendBtn.hidden = busy;
  stopBtn.hidden = !busy;
  root.classList.toggle("busy", busy);
  if (hadFocus) (busy ? stopBtn : input).focus();
}

// ---------------------------------------------------------------------------------------------------
// Scrolling: follow the answer while the user is at the bottom; leave them alone when they scrolled up.

function nearBottom(): boolean {
  return transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 48;
}

function scrollToBottom(): void {
  transcript.scrollTop = transcript.scrollHeight;
  updateJump();
}

function followBottom(): void {
  if (stuck) scrollToBottom();
  else updateJump();
}

function updateJump(): void {
  jump.hidden = stuck || views.size === 0;
}

// Only the user scrolling away unsticks; layout changes (turns reaching their real height, images
// decoding, the composer growing) keep the view at the bottom.
let userIntentAt = Number.NEGATIVE_INFINITY;
for (const type of ["wheel", "touchstart", "pointerdown", "keydown"]) {
  transcript.addEventListener(type, () => (userIntentAt = performance.now()), { passive: true });
}
transcript.addEventListener("scroll", () => {
  if (nearBottom()) stuck = true;
  else if (performance.now() - userIntentAt < 1000) stuck = false;
  else if (stuck) scrollToBottom();
  updateJump();
  saveState();
}, { passive: true });

if (typeof ResizeObserver !== "undefined") {
  const observer = new ResizeObserver(() => followBottom());
  observer.observe(transcript);
  observer.observe(list);
}

jump.addEventListener("click", () => {
  stuck = true;
  scrollToBottom();
  input.focus();
});

// ---------------------------------------------------------------------------------------------------
// Composer: context chips, attachments, sending

function renderChips(): void {
  chipsRow.replaceChildren(
    ...chips.map((c, i) => {
      const chip = el("span", "chip");
      chip.setAttribute("role", "listitem");
      chip.title = `${c.kind === "selection" ? "Selection" : "File"}: ${chipLabel(c)}`;
      chip.append(el("span", "chip-label", c.kind === "selection" ? chipLabel(c) : baseName(c.path)));
      const remove = button(`Remove ${chipLabel(c)} from the context`, "chip-remove", icon(ICONS.close), "Remove");
      remove.addEventListener("click", () => {
        post({ type: "removeContext", index: i });
        input.focus();
      });
      chip.append(remove);
      return chip;
    }),
  );
  chipsRow.hidden = chips.length === 0;
}

function renderPending(): void {
  thumbs.replaceChildren(
    ...pending.map((a, i) => {
      const item = el("span", `thumb ${a.kind}`);
      item.setAttribute("role", "listitem");
      item.title = `${a.name} (${formatSize(base64Bytes(a.data))})`;
      if (a.kind === "image") {
        const img = el("img");
        img.src = dataUrl(a);
        img.alt = a.name;
        item.append(img);
      } else {
        item.append(icon(ICONS.audio), el("span", "thumb-name", a.name));
      }
      const remove = button(`Remove the attachment ${a.name}`, "chip-remove thumb-remove", icon(ICONS.close), "Remove");
      remove.addEventListener("click", () => {
        pending.splice(i, 1);
        renderPending();
        saveState();
        input.focus();
      });
      item.append(remove);
      return item;
    }),
  );
  thumbs.hidden = pending.length === 0;
}

let noticeTimer: ReturnType<typeof setTimeout> | undefined;
function showNotice(level: "info" | "error", message: string): void {
  noticeText.textContent = message;
  notice.className = `notice ${level}`;
  notice.setAttribute("role", level === "error" ? "alert" : "status");
  notice.hidden = false;
  if (noticeTimer) clearTimeout(noticeTimer);
  noticeTimer = setTimeout(hideNotice, level === "error" ? 10_000 : 5_000);
}

function hideNotice(): void {
  notice.hidden = true;
  if (noticeTimer) clearTimeout(noticeTimer);
  noticeTimer = undefined;
}
noticeClose.addEventListener("click", () => {
  hideNotice();
  input.focus();
});

function readBase64(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = String(reader.result ?? "");
      resolve(url.slice(url.indexOf(",") + 1));
    };
    reader.onerror = () => reject(reader.error ?? new Error("read failed"));
    reader.readAsDataURL(file);
  });
}

function refuse(message: string): void {
  showNotice("error", message);
  post({ type: "attachError", message });
}

async function addFiles(files: File[]): Promise<void> {
  for (const file of files) {
    if (pending.length >= MAX_ATTACHMENTS) {
      refuse(`At most ${MAX_ATTACHMENTS} attachments per message.`);
      break;
    }
    const name = file.name || "pasted image";
    try {
      const head = new Uint8Array(await file.slice(0, SNIFF_BYTES).arrayBuffer());
      const check = checkAttachment(name, file.size, file.type, head);
      if (!check.ok) {
        refuse(check.message);
        continue;
      }
      const data = await readBase64(file);
      const ext = check.mimeType.split("/")[1].replace("jpeg", "jpg").replace("mpeg", "mp3");
      pending.push({ kind: check.kind, name: file.name || `pasted-${new Date().toISOString().slice(11, 19).replace(/:/g, "")}.${ext}`, mimeType: check.mimeType, data });
    } catch (err) {
      refuse(`Cannot read “${name}”: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  renderPending();
  saveState();
}

function send(): void {
  if (busy) return;
  const text = input.value;
  if (!text.trim() && !pending.length && !chips.length) return;
  if (/^\s*\/clear\s*$/i.test(text)) {
    // A new chat: the attachments and context for the next message stay.
    post({ type: "newChat" });
    input.value = "";
    input.dispatchEvent(new Event("input"));
    return;
  }
  post({ type: "send", text, attachments: pending, context: chips, ...(workspaceOn ? { workspace: true } : {}), ...(editing ? { replaces: editing.id } : {}) });
  sentEdit = editing;
  endEdit();
  if (text.trim()) sentHistory = [...sentHistory.filter((s) => s !== text), text].slice(-50);
  recall = -1;
  input.value = "";
  input.dispatchEvent(new Event("input"));
  pending = [];
  renderPending();
  hideNotice();
  stuck = true;
  saveState();
}

/** Edit on a user turn: the extension answers with `edit` (its text, attachments and chips in the composer). */
function startEdit(id: string): void {
  if (editing?.id === id) {
    input.focus();
    return;
  }
  if (busy) {
    showNotice("info", "Hearth is still answering: stop it (Escape) before editing a message.");
    return;
  }
  post({ type: "editTurn", id });
}

/** Cancel: the composer gets back what it had before Edit (the extension gives back the chips). */
function cancelEdit(): void {
  if (!editing) return;
  input.value = editing.draft;
  pending = editing.attachments;
  renderPending();
  endEdit();
  post({ type: "cancelEdit" });
  input.dispatchEvent(new Event("input"));
  saveState();
}

function endEdit(): void {
  editing = undefined;
  renderEditing();
}

/** The edit bar, the edited turn marked, the turns it replaces dimmed. */
function renderEditing(): void {
  // (the status text is set anew when the bar appears, so a screen reader announces it)
  if (editBar.hidden && editing) editBarText.textContent = EDIT_BAR_TEXT;
  else if (!editing) editBarText.textContent = "";
  editBar.hidden = !editing;
  let after = false;
  for (const tv of views.values()) {
    const here = tv.turn.id === editing?.id;
    tv.el.classList.toggle("editing", here);
    tv.el.classList.toggle("superseded", after);
    if (here) after = true;
  }
}

function stop(): void {
  if (busy) post({ type: "stop" });
}

input.addEventListener("keydown", (e) => {
  if (menuKey(e)) return;
  if (e.key === "Escape" && editing && !busy) {
    e.preventDefault();
    cancelEdit();
    return;
  }
  if (e.key === "Enter" && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey && !e.isComposing) {
    e.preventDefault();
    send();
  } else if ((e.key === "ArrowUp" || e.key === "ArrowDown") && !e.shiftKey && recallable()) {
    // Browse the messages sent before, like a shell (only while the input is empty or shows a recalled one).
    const next = e.key === "ArrowUp" ? (recall < 0 ? sentHistory.length - 1 : recall - 1) : recall + 1;
    if (e.key === "ArrowUp" && next < 0) return;
    if (e.key === "ArrowDown" && recall < 0) return;
    e.preventDefault();
    recall = next < sentHistory.length ? next : -1;
    input.value = recall >= 0 ? sentHistory[recall] : "";
    input.dispatchEvent(new Event("input"));
  }
});

// ---------------------------------------------------------------------------------------------------
// The `/` menu (commands, at the start of a message) and the `#` menu (workspace files, anywhere)

interface MenuItem {
  id: string;
  /** What the item is (a command's name, a file or a symbol in it): the active item stays itself when a new answer reorders the list. */
  key: string;
  name: string;
  description: string;
  title?: string;
  pick(): void;
  /** Enter sends the message instead of picking (the command's whole name is typed already). */
  entered?: boolean;
  /** A function, class or method (the `#` menu), not a file. */
  symbol?: boolean;
}

let menuItems: MenuItem[] = [];
let menuIndex = 0;
/** The draft the menu was closed for with Escape: it stays closed until the draft changes. */
let menuDismissed: string | undefined;
/**
 * The last `findFiles` sent (its number and query), and the newest answer: its matches and the query they are
 * for (shown until the next answer arrives, but not picked: a pick meanwhile waits for the answer).
 */
let fileSeq = 0;
let fileQuery: string | undefined;
let fileMatches: FileMatch[] = [];
let matchesQuery: string | undefined;
let pickWhenAnswered = false;
/** The arrows moved in the `#` menu: Enter picks even a match that does not contain what was typed. */
let fileMenuBrowsed = false;

function updateMenu(): void {
  const draft = input.value;
  if (menuDismissed !== undefined && draft !== menuDismissed) menuDismissed = undefined;
  // (not over a message recalled with the arrows: they keep browsing the sent messages)
  const recalled = recall >= 0 && draft === sentHistory[recall];
  const open = menuDismissed === undefined && !recalled && document.activeElement === input;
  const commands = open ? commandsFor(draft) : [];
  const mention = open && !commands.length && input.selectionStart === input.selectionEnd ? fileMentionAt(draft, input.selectionEnd) : undefined;
  if (!mention) {
    fileQuery = matchesQuery = undefined;
    fileMatches = [];
    pickWhenAnswered = fileMenuBrowsed = false;
  } else if (mention.query !== fileQuery) {
    fileQuery = mention.query;
    pickWhenAnswered = fileMenuBrowsed = false;
    post({ type: "findFiles", query: mention.query, seq: ++fileSeq });
  }
  const typed = mention?.query.toLowerCase() ?? "";
  const items: MenuItem[] = commands.length
    ? commands.map((c) => ({
        id: `hearth-command-${c.name}`,
        key: c.name,
        name: `/${c.name}`,
        description: c.description,
        pick: () => pickCommand(c),
        entered: draft.slice(1).toLowerCase() === c.name && c.name !== "clear",
      }))
    : mention
      ? fileMatches.map((f, i) => ({
          // (ids change with each answer, so a screen reader announces the new active option)
          id: `hearth-file-${fileSeq}-${i}`,
          key: `${f.uri}#${f.symbol ? `${f.symbol.name}:${f.symbol.line}` : ""}`,
          name: f.symbol ? f.symbol.name : baseName(f.path),
          // (the kind in words, not only the colour: a screen reader and a colour-blind eye get it too)
          description: f.symbol ? `${f.symbol.kind ? `${f.symbol.kind} · ` : ""}${f.path}:${f.symbol.line}` : f.path.includes("/") ? f.path.slice(0, f.path.lastIndexOf("/")) : "",
          title: f.symbol ? `${f.symbol.kind ?? "symbol"} ${f.symbol.name} in ${f.path}, line ${f.symbol.line}` : f.path,
          symbol: !!f.symbol,
          pick: () => pickFile(f, mention),
          // (`#fff` or `#region` at the end of a message is sent, not swapped for a file that merely matches fuzzily)
          entered: !fileMenuBrowsed && !(f.symbol?.name ?? f.path).toLowerCase().includes(typed),
        }))
      : [];
  const same = items.length === menuItems.length && items.every((c, i) => c.id === menuItems[i].id && c.key === menuItems[i].key);
  if (!same) {
    // (the symbols' answer after the files' one: the item the arrows chose stays chosen)
    const active = fileMenuBrowsed ? menuItems[menuIndex]?.key : undefined;
    menuIndex = Math.max(0, active === undefined ? 0 : items.findIndex((c) => c.key === active));
  }
  menuItems = items;
  commandMenu.hidden = !items.length;
  commandMenu.setAttribute("aria-label", mention ? (items.some((c) => c.symbol) ? "Files and symbols" : "Files") : "Commands");
  input.setAttribute("aria-expanded", String(items.length > 0));
  commandMenu.replaceChildren(
    ...items.map((c, i) => {
      const item = el("div", mention ? `command-item file-item${c.symbol ? " symbol-item" : ""}` : "command-item");
      item.id = c.id;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", String(i === menuIndex));
      item.classList.toggle("active", i === menuIndex);
      if (c.title) item.title = c.title;
      item.append(el("span", "command-name", c.name), el("span", "command-description", c.description));
      // (mousedown, not click: the input keeps the focus)
      item.addEventListener("mousedown", (e) => {
        e.preventDefault();
        c.pick();
      });
      return item;
    }),
  );
  if (items.length) {
    input.setAttribute("aria-activedescendant", items[menuIndex].id);
    commandMenu.children[menuIndex]?.scrollIntoView?.({ block: "nearest" });
  } else input.removeAttribute("aria-activedescendant");
}

/** Puts `/name ` in the input (`/clear` is run at once: there is nothing to add to it). */
function pickCommand(c: ChatCommandInfo): void {
  if (c.name === "clear") {
    input.value = "";
    input.dispatchEvent(new Event("input"));
    post({ type: "newChat" });
    return;
  }
  input.value = `/${c.name} `;
  input.dispatchEvent(new Event("input"));
  input.setSelectionRange(input.value.length, input.value.length);
}

/**
 * The file goes with the message as a context chip (an image or recording as an attachment), a symbol as its
 * code; the path, or the symbol's name, stays in the text.
 */
function pickFile(f: FileMatch, mention: FileMention): void {
  const { text, caret } = replaceMention(input.value, mention, f.symbol ? f.symbol.name : f.path);
  input.value = text;
  input.setSelectionRange(caret, caret);
  input.dispatchEvent(new Event("input"));
  post(f.symbol ? { type: "addSymbol", uri: f.uri, line: f.symbol.line, name: f.symbol.name } : { type: "addFileByUri", uri: f.uri });
}

/**
 * Keys while a menu is open: arrows move, Tab or Enter picks, Escape closes. Enter on a command's whole
 * name (`/explain`) sends it. True when the key was the menu's.
 */
function menuKey(e: KeyboardEvent): boolean {
  if (commandMenu.hidden || !menuItems.length || e.isComposing) return false;
  if (e.key === "ArrowDown" || e.key === "ArrowUp") {
    e.preventDefault();
    menuIndex = (menuIndex + (e.key === "ArrowDown" ? 1 : menuItems.length - 1)) % menuItems.length;
    if (fileQuery !== undefined) fileMenuBrowsed = true;
    updateMenu();
    return true;
  }
  if (e.key === "Escape") {
    e.preventDefault();
    e.stopPropagation();
    menuDismissed = input.value;
    updateMenu();
    return true;
  }
  const picked = menuItems[menuIndex];
  const pickKey = (e.key === "Tab" && !e.shiftKey) || (e.key === "Enter" && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey && !picked.entered);
  if (!pickKey) return false;
  e.preventDefault();
  // (the matches shown are for what was typed before: the pick waits for the answer to what is typed now)
  if (fileQuery !== undefined && matchesQuery !== fileQuery) pickWhenAnswered = true;
  else picked.pick();
  return true;
}
input.addEventListener("input", updateMenu);
input.addEventListener("blur", updateMenu);
input.addEventListener("focus", updateMenu);
// (the caret moved into or out of a `#` mention: a click, or any key that moves it: arrows, Home, Ctrl+A/E on macOS…)
input.addEventListener("click", updateMenu);
// (only when the caret moved: the input event has updated the menu for what was typed)
let caretAt = -1;
input.addEventListener("input", () => (caretAt = input.selectionEnd));
input.addEventListener("keyup", () => {
  if (input.selectionEnd === caretAt) return;
  caretAt = input.selectionEnd;
  updateMenu();
});
// (a press on the menu, its scrollbar too, leaves the focus in the input)
commandMenu.addEventListener("mousedown", (e) => e.preventDefault());

function recallable(): boolean {
  if (!sentHistory.length) return false;
  if (!input.value) return true;
  return recall >= 0 && input.value === sentHistory[recall] && !input.value.includes("\n");
}
input.addEventListener("input", saveState);

input.addEventListener("paste", (e) => {
  const dt = e.clipboardData;
  if (!dt) return;
  const files = Array.from(dt.files);
  // Copying from an office app puts text and a picture of it on the clipboard: the text wins.
  if (!files.length || dt.getData("text/plain")) return;
  e.preventDefault();
  void addFiles(files);
});

document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && busy) {
    e.preventDefault();
    stop();
  }
});

sendBtn.addEventListener("click", () => {
  send();
  input.focus();
});
stopBtn.addEventListener("click", () => stop());
cancelEditBtn.addEventListener("click", () => {
  cancelEdit();
  input.focus();
});
newChat.addEventListener("click", () => {
  post({ type: "newChat" });
  input.focus();
});
addSelection.addEventListener("click", () => post({ type: "addSelection" }));
addFile.addEventListener("click", () => post({ type: "addFile" }));
function renderWorkspaceToggle(): void {
  workspaceToggle.setAttribute("aria-pressed", String(workspaceOn));
  workspaceToggle.classList.toggle("on", workspaceOn);
}
workspaceToggle.addEventListener("click", () => {
  workspaceOn = !workspaceOn;
  renderWorkspaceToggle();
  saveState();
  input.focus();
});
attach.addEventListener("click", () => fileInput.click());
fileInput.addEventListener("change", () => {
  const files = Array.from(fileInput.files ?? []);
  fileInput.value = "";
  void addFiles(files).then(() => input.focus());
});

// Drag and drop: files from the OS arrive as File objects; from VS Code's Explorer as a URI list.
function droppedUris(dt: DataTransfer): string[] {
  const code = dt.getData("application/vnd.code.uri-list");
  if (code) {
    try {
      const parsed = JSON.parse(code) as unknown;
      if (Array.isArray(parsed)) return parsed.filter((u): u is string => typeof u === "string");
    } catch {
      // fall through to text/uri-list
    }
  }
  return dt
    .getData("text/uri-list")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
}

let dragDepth = 0;
root.addEventListener("dragenter", (e) => {
  if (!e.dataTransfer) return;
  e.preventDefault();
  dragDepth++;
  root.classList.add("dragging");
});
root.addEventListener("dragover", (e) => {
  if (!e.dataTransfer) return;
  e.preventDefault();
  e.dataTransfer.dropEffect = "copy";
});
root.addEventListener("dragleave", () => {
  dragDepth = Math.max(0, dragDepth - 1);
  if (!dragDepth) root.classList.remove("dragging");
});
root.addEventListener("drop", (e) => {
  e.preventDefault();
  dragDepth = 0;
  root.classList.remove("dragging");
  const dt = e.dataTransfer;
  if (!dt) return;
  const files = Array.from(dt.files);
  if (files.length) {
    void addFiles(files);
    return;
  }
  const uris = droppedUris(dt);
  if (uris.length) post({ type: "dropUris", uris });
  else if (dt.getData("text/plain")) {
    // Plain text dropped: insert it into the draft.
    input.setRangeText(dt.getData("text/plain"), input.selectionStart, input.selectionEnd, "end");
    input.dispatchEvent(new Event("input"));
  }
  input.focus();
});

// ---------------------------------------------------------------------------------------------------
// Transcript actions: links, code blocks, answers, images

function openLink(url: string | undefined): void {
  if (url && isOpenableUrl(url)) post({ type: "openLink", url });
}

function flash(b: HTMLElement, text: string): void {
  const original = b.textContent;
  b.textContent = text;
  setTimeout(() => (b.textContent = original), 1200);
}

transcript.addEventListener("click", (e) => {
  const target = e.target as Element | null;
  if (!target) return;
  const link = target.closest<HTMLElement>("a");
  if (link) {
    e.preventDefault();
    openLink(link.dataset.href);
    return;
  }
  const action = target.closest<HTMLElement>("[data-action]");
  if (!action) return;
  const turnEl = action.closest<HTMLElement>(".turn");
  switch (action.dataset.action) {
    case "edit":
      if (turnEl?.dataset.id) startEdit(turnEl.dataset.id);
      return;
    case "continue":
      if (turnEl?.dataset.id) post({ type: "continue", id: turnEl.dataset.id });
      // (the link goes away while the answer streams: Escape in the input stops it)
      input.focus();
      return;
    case "terminal": {
      const block = action.closest<HTMLElement>(".code-block");
      post({ type: "runInTerminal", code: block?.querySelector("pre code")?.textContent ?? "", language: block?.dataset.lang });
      return;
    }
    case "copy":
    case "insert":
    case "apply":
    case "newFile": {
      const block = action.closest<HTMLElement>(".code-block");
      const code = block?.querySelector("pre code")?.textContent ?? "";
      if (action.dataset.action === "copy") {
        post({ type: "copy", code });
        flash(action, "Copied");
      } else if (action.dataset.action === "insert") {
        post({ type: "insert", code });
      } else if (action.dataset.action === "apply") {
        post({ type: "apply", code, turnId: action.closest<HTMLElement>("article.turn")?.dataset.id });
      } else {
        post({ type: "newFile", code, language: block?.dataset.lang, turnId: action.closest<HTMLElement>("article.turn")?.dataset.id });
      }
      return;
    }
    case "openInstructions":
      if (turnEl?.dataset.id) post({ type: "openInstructions", turnId: turnEl.dataset.id, index: Number(action.dataset.index) });
      return;
    case "copyAnswer": {
      const tv = turnEl?.dataset.id ? views.get(turnEl.dataset.id) : undefined;
      if (tv) {
        post({ type: "copy", code: tv.turn.text });
        flash(action, "Copied");
      }
      return;
    }
    case "retry":
      if (!busy) {
        stuck = true;
        post({ type: "retry" });
      }
      return;
    case "toggleImage": {
      const expanded = action.classList.toggle("expanded");
      action.setAttribute("aria-pressed", String(expanded));
      return;
    }
  }
});

transcript.addEventListener("keydown", (e) => {
  const target = e.target as HTMLElement | null;
  if ((e.key === "Enter" || e.key === " ") && target?.matches("a.link")) {
    e.preventDefault();
    openLink(target.dataset.href);
  }
});

// Nothing in this view navigates: block any other link activation (defense in depth).
document.addEventListener("click", (e) => {
  const a = (e.target as Element | null)?.closest?.("a[href]");
  if (a) e.preventDefault();
}, true);

// ---------------------------------------------------------------------------------------------------
// Model state banner

const STATE_TEXT: Record<string, string> = {
  idle: "The model is not loaded yet.",
  checking: "Checking the model files…",
  downloading: "Downloading the model…",
  loading: "Loading the model… answers start when it is ready.",
  error: "The model could not be loaded.",
  starting: "Starting the model host…",
  restarting: "Engine restarting…",
};

function bannerAction(label: string, command: ViewCommand): HTMLButtonElement {
  const b = button(label, "link-button", label);
  b.addEventListener("click", () => post({ type: "command", command }));
  return b;
}

/** The state texts when a remote endpoint answers instead of the local engine. */
const REMOTE_STATE_TEXT: Record<string, string> = {
  idle: "Hearth connects to the remote endpoint on the first message.",
  checking: "Connecting to the remote endpoint…",
  loading: "Connecting to the remote endpoint…",
  error: "The remote endpoint is not working.",
  starting: "Starting the model host…",
  restarting: "Reconnecting…",
};

/** Said whenever a remote endpoint is configured (ready included): what leaves this machine, and where to. */
function remoteNote(url: string): string {
  return `Not local: your messages, their attachments and, with Workspace or @workspace, the workspace's files are sent to ${url}.`;
}

function renderModelState(state: string, detail?: string, remote?: string): void {
  if (state === "ready" && !remote) {
    banner.hidden = true;
    return;
  }
  banner.hidden = false;
  banner.className = `banner ${state === "error" ? "error" : "info"}${remote ? " remote" : ""}`;
  const texts = remote ? REMOTE_STATE_TEXT : STATE_TEXT;
  const stateText = detail || texts[state] || `${state.charAt(0).toUpperCase()}${state.slice(1)}…`;
  bannerText.textContent = !remote ? stateText : state === "ready" ? remoteNote(remote) : `${stateText} ${remoteNote(remote)}`;
  const pct = /(\d+(?:\.\d+)?)\s*%/.exec(detail ?? "");
  bannerProgress.hidden = !pct;
  if (pct) {
    bannerProgress.value = Math.min(100, parseFloat(pct[1]));
    bannerProgress.setAttribute("aria-label", "Download progress");
  }
  bannerActions.replaceChildren(
    ...(state === "error" ? [bannerAction("Show logs", "hearth.showLogs"), bannerAction("Select model", "hearth.selectModel")] : []),
    ...(remote && state !== "error" ? [bannerAction("Change", "hearth.selectModel")] : []),
  );
}

// ---------------------------------------------------------------------------------------------------
// Messages from the extension

window.addEventListener("message", (event: MessageEvent<ToView>) => {
  const m = event.data;
  if (!m || typeof m !== "object") return;
  switch (m.type) {
    case "history":
      renderHistory(m.turns, m.busy);
      return;
    case "turn":
      if (m.turn.role === "user" || m.turn.status === "streaming") stuck = true;
      if (m.turn.role === "user") sentEdit = undefined; // (a message was taken)
      upsertTurn(m.turn);
      return;
    case "delta": {
      const tv = views.get(m.id);
      if (!tv) return;
      tv.turn.text += m.text;
      scheduleRender(tv);
      return;
    }
    case "done": {
      const tv = views.get(m.id);
      if (!tv) return;
      tv.turn.status = m.status;
      tv.turn.error = m.error;
      tv.turn.stats = m.stats;
      tv.turn.stopReason = m.stopReason;
      tv.turn.noRetry = m.noRetry;
      tv.turn.cut = m.cut;
      tv.turn.instructions = m.instructions;
      if (dirty.has(tv)) flushRender();
      renderFooter(tv);
      updateBusy();
      followBottom();
      return;
    }
    case "context":
      chips = m.chips;
      renderChips();
      return;
    case "modelState":
      renderModelState(m.state, m.detail, m.remote);
      return;
    case "notice":
      showNotice(m.level, m.message);
      return;
    case "draft":
      if (!input.value.trim()) {
        input.value = m.text;
        input.dispatchEvent(new Event("input"));
        // (an edit that was not sent stays an edit, with what the composer had before it)
        if (m.replaces && views.has(m.replaces) && !editing) {
          editing = sentEdit?.id === m.replaces ? sentEdit : { id: m.replaces, draft: "", attachments: [] };
          renderEditing();
        }
        saveState();
      }
      return;
    case "edit":
      if (!views.has(m.id)) return;
      editing = editing ? { ...editing, id: m.id } : { id: m.id, draft: input.value, attachments: pending };
      input.value = m.text;
      pending = m.attachments;
      renderPending();
      renderEditing();
      input.dispatchEvent(new Event("input"));
      input.focus();
      input.setSelectionRange(input.value.length, input.value.length);
      views.get(m.id)?.el.scrollIntoView?.({ block: "nearest" });
      saveState();
      return;
    case "fileMatches":
      if (m.seq !== fileSeq) return; // (an answer to a query typed over since)
      fileMatches = m.files;
      matchesQuery = fileQuery;
      updateMenu();
      if (pickWhenAnswered) {
        pickWhenAnswered = false;
        menuItems[0]?.pick();
      }
      return;
    case "attachments": {
      const room = MAX_ATTACHMENTS - pending.length;
      if (m.attachments.length > room) refuse(`At most ${MAX_ATTACHMENTS} attachments per message.`);
      pending.push(...m.attachments.slice(0, Math.max(0, room)));
      renderPending();
      saveState();
      input.focus();
      return;
    }
  }
});

// When the view gains focus (opened, or focused by a command), put the caret in the input.
window.addEventListener("focus", () => {
  if (document.activeElement === document.body || document.activeElement === null) input.focus();
});

renderChips();
renderPending();
renderWorkspaceToggle();
updateEmpty();
input.dispatchEvent(new Event("input"));
input.focus();
post({ type: "ready" });
