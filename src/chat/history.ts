/**
 * The chat transcript, persisted per workspace (`context.workspaceState`, key `hearth.chat.history`) so a
 * window reload restores it. No vscode import: storage is any Memento-like `{ get, update }`, so this is
 * unit-tested with a plain object.
 *
 * Bounded: the last {@link MAX_STORED_TURNS} turns; an attachment over {@link MAX_STORED_ATTACHMENT_CHARS}
 * of base64 — or beyond {@link MAX_STORED_MEDIA_CHARS} in all, newest kept first — is stored without its
 * data (`data: ""`), so the turn survives and shows that the file is no longer available.
 * A turn still streaming when the window closed is restored as "stopped".
 */
import type { InstructionsUsed } from "../../server/protocol";
import { chatCommand } from "./commands";
import type { Attachment, ChatTurn, ContextChip } from "./types";

export const HISTORY_KEY = "hearth.chat.history";
export const HISTORY_VERSION = 1;
export const MAX_STORED_TURNS = 200;
/** Base64 characters (~1.5 MB of bytes). */
export const MAX_STORED_ATTACHMENT_CHARS = 2 * 1024 * 1024;
/** Base64 characters of media kept in storage in all. */
export const MAX_STORED_MEDIA_CHARS = 8 * 1024 * 1024;

/** What the history needs from `vscode.Memento`. */
export interface MementoLike {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): PromiseLike<void>;
}

interface StoredHistory {
  version: number;
  turns: ChatTurn[];
}

/** True when an attachment's data was not kept in storage. */
export function isOmitted(a: Attachment): boolean {
  return a.data.length === 0;
}

/** The stored form of a transcript: bounded, large media dropped, nothing shared with `turns`. */
export function serializeHistory(turns: readonly ChatTurn[]): StoredHistory {
  const kept = turns.slice(-MAX_STORED_TURNS);
  let mediaBudget = MAX_STORED_MEDIA_CHARS;
  const out: ChatTurn[] = new Array(kept.length);
  // Newest first, so the media budget keeps the most recent attachments.
  for (let i = kept.length - 1; i >= 0; i--) {
    const t = kept[i];
    const attachments = t.attachments?.map((a) => {
      if (a.data.length > MAX_STORED_ATTACHMENT_CHARS || a.data.length > mediaBudget) return { ...a, data: "" };
      mediaBudget -= a.data.length;
      return { ...a };
    });
    out[i] = {
      ...t,
      ...(attachments ? { attachments } : {}),
      ...(t.context ? { context: t.context.map((c) => ({ ...c, ...(c.range ? { range: [c.range[0], c.range[1]] as [number, number] } : {}) })) } : {}),
      ...(t.stats ? { stats: { ...t.stats } } : {}),
    };
  }
  return { version: HISTORY_VERSION, turns: out };
}

/** Restores a stored transcript, skipping anything malformed; "streaming" turns become "stopped". */
export function parseHistory(stored: unknown): ChatTurn[] {
  const raw = Array.isArray(stored) ? stored : isObject(stored) && Array.isArray(stored.turns) ? stored.turns : [];
  const turns: ChatTurn[] = [];
  for (const item of raw) {
    const turn = parseTurn(item);
    if (turn) turns.push(turn);
  }
  return turns.slice(-MAX_STORED_TURNS);
}

export function loadHistory(memento: MementoLike): ChatTurn[] {
  return parseHistory(memento.get<unknown>(HISTORY_KEY));
}

export function saveHistory(memento: MementoLike, turns: readonly ChatTurn[]): PromiseLike<void> {
  return memento.update(HISTORY_KEY, turns.length ? serializeHistory(turns) : undefined);
}

/**
 * The live transcript with its persistence: changes are saved at once ({@link save}) at turn boundaries,
 * and at most every `throttleMs` while an answer streams ({@link saveSoon}). Writes are serialized, each
 * writing the latest state.
 */
export class ChatHistory {
  readonly turns: ChatTurn[];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly memento: MementoLike,
    private readonly onError: (err: unknown) => void = () => {},
    private readonly throttleMs = 3000,
  ) {
    this.turns = loadHistory(memento);
  }

  add(turn: ChatTurn): void {
    this.turns.push(turn);
    // Keep the live transcript bounded too (prompts and the view's history message stay small).
    if (this.turns.length > MAX_STORED_TURNS * 2) this.turns.splice(0, this.turns.length - MAX_STORED_TURNS);
  }

  get(id: string): ChatTurn | undefined {
    for (let i = this.turns.length - 1; i >= 0; i--) if (this.turns[i].id === id) return this.turns[i];
    return undefined;
  }

  /** Removes a turn and everything after it. */
  truncateFrom(id: string): void {
    const i = this.turns.findIndex((t) => t.id === id);
    if (i >= 0) this.turns.splice(i);
  }

  clear(): void {
    this.turns.length = 0;
  }

  /** Puts another conversation in place of this one (a past chat reopened). */
  replace(turns: readonly ChatTurn[]): void {
    this.turns.splice(0, this.turns.length, ...turns);
  }

  /** Saves now (cancelling a pending throttled save); resolves when written. */
  save(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.chain = this.chain
      .then(() => saveHistory(this.memento, this.turns))
      .then(undefined, (err) => this.onError(err));
    return this.chain;
  }

  /** Saves within `throttleMs` unless a save is already pending. */
  saveSoon(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.save();
    }, this.throttleMs);
  }

  dispose(): Promise<void> {
    return this.save();
  }
}

// ---------------------------------------------------------------------------------------------------
// Validation of stored data (it may come from an older version or be hand-edited)

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

function parseInstructionsUsed(v: unknown): InstructionsUsed | undefined {
  if (!isObject(v)) return undefined;
  if (v.kind === "settings") return { kind: "settings" };
  const path = str(v.path);
  const uri = str(v.uri);
  return v.kind === "file" && path && uri?.startsWith("file:") ? { kind: "file", path, uri } : undefined;
}

function parseTurn(v: unknown): ChatTurn | undefined {
  if (!isObject(v)) return undefined;
  const id = str(v.id);
  const role = v.role === "user" || v.role === "assistant" ? v.role : undefined;
  const text = str(v.text);
  if (!id || !role || text === undefined) return undefined;
  const turn: ChatTurn = { id, role, text, createdAt: num(v.createdAt) ?? 0 };
  if (Array.isArray(v.attachments)) {
    const attachments = v.attachments.map(parseAttachment).filter((a): a is Attachment => !!a);
    if (attachments.length) turn.attachments = attachments;
  }
  if (Array.isArray(v.context)) {
    const context = v.context.map(parseChip).filter((c): c is ContextChip => !!c);
    if (context.length) turn.context = context;
  }
  if (role === "user" && v.workspace === true) turn.workspace = true;
  if (role === "user") {
    const command = chatCommand(str(v.command) ?? "");
    if (command) turn.command = command.name;
    const prompt = str(v.prompt);
    if (prompt) turn.prompt = prompt;
    const codeFile = str(v.codeFile);
    if (codeFile) turn.codeFile = codeFile;
    const focus = str(v.focus);
    if (focus) turn.focus = focus;
  }
  if (role === "assistant") {
    const status = v.status;
    turn.status = status === "done" || status === "error" || status === "stopped" ? status : status === "streaming" ? "stopped" : "done";
    const error = str(v.error);
    if (error) turn.error = error;
    const stopReason = str(v.stopReason);
    if (stopReason && turn.status === "stopped") turn.stopReason = stopReason;
    if (v.noRetry === true && turn.status === "error") turn.noRetry = true;
    if (v.cut === true && (turn.status === "done" || turn.status === "stopped")) turn.cut = true;
    if (Array.isArray(v.instructions)) {
      const used = v.instructions.map(parseInstructionsUsed).filter((u): u is InstructionsUsed => !!u);
      if (used.length) turn.instructions = used;
    }
    if (isObject(v.stats)) {
      const tokensPerSecond = num(v.stats.tokensPerSecond);
      const totalMs = num(v.stats.totalMs);
      const generatedTokens = num(v.stats.generatedTokens);
      if (tokensPerSecond !== undefined && totalMs !== undefined && generatedTokens !== undefined) {
        turn.stats = { tokensPerSecond, totalMs, generatedTokens };
        const contextTokens = num(v.stats.contextTokens);
        const contextSize = num(v.stats.contextSize);
        if (contextTokens !== undefined && contextSize) Object.assign(turn.stats, { contextTokens, contextSize });
      }
    }
  }
  return turn;
}

function parseAttachment(v: unknown): Attachment | undefined {
  if (!isObject(v)) return undefined;
  const kind = v.kind === "image" || v.kind === "audio" ? v.kind : undefined;
  const name = str(v.name);
  const mimeType = str(v.mimeType);
  const data = str(v.data) ?? "";
  if (!kind || name === undefined || !mimeType) return undefined;
  return { kind, name, mimeType, data };
}

function parseChip(v: unknown): ContextChip | undefined {
  if (!isObject(v)) return undefined;
  const kind = v.kind === "selection" || v.kind === "file" ? v.kind : undefined;
  const path = str(v.path);
  const languageId = str(v.languageId) ?? "plaintext";
  const text = str(v.text);
  if (!kind || !path || text === undefined) return undefined;
  const chip: ContextChip = { kind, path, languageId, text };
  if (Array.isArray(v.range) && v.range.length === 2) {
    const a = num(v.range[0]);
    const b = num(v.range[1]);
    if (a !== undefined && b !== undefined) chip.range = [a, b];
  }
  return chip;
}
