/**
 * Past conversations: *New Chat* keeps the one it ends here, and *Chat History…* brings one back (the one
 * open then is kept in its place). Per workspace (`context.workspaceState`, key `hearth.chat.past`), the
 * {@link MAX_PAST_CHATS} most recent, stored without their images and audio (a restored turn shows that its
 * attachment is no longer available) so the storage stays small. No vscode import: unit-tested.
 */
import { parseHistory, serializeHistory, type MementoLike } from "./history";
import type { ChatTurn, ContextChip } from "./types";

export const PAST_CHATS_KEY = "hearth.chat.past";
export const MAX_PAST_CHATS = 50;
/** JSON characters of past chats kept in all (context chips can make a conversation large): oldest dropped first. */
export const MAX_PAST_CHARS = 4_000_000;
/** A context chip's text kept in a past chat (the code it showed then; the file itself is in the workspace). */
export const MAX_PAST_CHIP_CHARS = 8_000;
const TITLE_CHARS = 80;

export interface PastChat {
  id: string;
  title: string;
  /** When its last turn was written (ms since the epoch). */
  updatedAt: number;
  /** Questions asked in it. */
  questions: number;
  turns: ChatTurn[];
}

/** A conversation's title: its first question (with its command), else what the question was about. */
export function chatTitle(turns: readonly ChatTurn[]): string {
  const first = turns.find((t) => t.role === "user");
  if (!first) return "Empty chat";
  const text = [first.command ? `/${first.command}` : "", first.text.replace(/\s+/g, " ").trim()].filter(Boolean).join(" ");
  const about = first.context?.map((c) => c.path.split("/").pop()).join(", ") || first.attachments?.map((a) => a.name).join(", ");
  const title = [text, about && !text.includes(about) ? `(${about})` : ""].filter(Boolean).join(" ") || "Untitled chat";
  return title.length > TITLE_CHARS ? `${title.slice(0, TITLE_CHARS - 1).trimEnd()}…` : title;
}

export class PastChats {
  private chats: PastChat[];

  constructor(private readonly memento: MementoLike) {
    this.chats = parse(memento.get<unknown>(PAST_CHATS_KEY));
  }

  /** Newest first (copies). */
  list(): PastChat[] {
    return structuredClone(this.chats);
  }

  /** Keeps a conversation (one with at least one question); the oldest beyond the limit are dropped. */
  async keep(turns: readonly ChatTurn[]): Promise<void> {
    const questions = turns.filter((t) => t.role === "user").length;
    if (!questions) return;
    const stored = forKeeping(serializeHistory(turns).turns);
    const chat: PastChat = {
      id: stored[0].id,
      title: chatTitle(stored),
      updatedAt: Math.max(...stored.map((t) => t.createdAt)),
      questions,
      turns: stored,
    };
    // The newest always; older ones while they fit in what is left.
    let size = JSON.stringify(chat).length;
    const older = this.chats.filter((c) => c.id !== chat.id && (size += JSON.stringify(c).length) <= MAX_PAST_CHARS);
    this.chats = [chat, ...older].slice(0, MAX_PAST_CHATS);
    await this.memento.update(PAST_CHATS_KEY, this.chats);
  }

  /** Takes a conversation out of the list (to open it); undefined when it is not there. */
  async take(id: string): Promise<ChatTurn[] | undefined> {
    const chat = this.chats.find((c) => c.id === id);
    if (!chat) return undefined;
    await this.remove(id);
    return chat.turns;
  }

  async remove(id: string): Promise<void> {
    this.chats = this.chats.filter((c) => c.id !== id);
    await this.memento.update(PAST_CHATS_KEY, this.chats.length ? this.chats : undefined);
  }
}

/**
 * A conversation as kept: no media (a reopened turn says its attachment is no longer available), context
 * chips cut to their first lines, and an answer New Chat stopped as "stopped" (not "streaming", which would
 * leave the view waiting for it).
 */
function forKeeping(turns: ChatTurn[]): ChatTurn[] {
  return turns.map((t) => ({
    ...t,
    ...(t.attachments ? { attachments: t.attachments.map((a) => ({ ...a, data: "" })) } : {}),
    ...(t.context ? { context: t.context.map((c) => (c.text.length > MAX_PAST_CHIP_CHARS ? { ...c, text: cut(c.text) } : c)) } : {}),
    ...(t.status === "streaming" ? { status: "stopped" as const } : {}),
  }));
}

const CUT_NOTE = / more characters not kept in the chat history\)$/;

function cut(text: string): string {
  const at = text.lastIndexOf("\n", MAX_PAST_CHIP_CHARS);
  const kept = text.slice(0, at > 0 ? at : MAX_PAST_CHIP_CHARS);
  return `${kept}\n… (${text.length - kept.length} more characters not kept in the chat history)`;
}

/** Whether a chip's text was cut when its chat was kept (only its first characters are left). */
export function wasCut(chip: ContextChip): boolean {
  return CUT_NOTE.test(chip.text);
}

/** Stored past chats, skipping anything malformed (older versions, hand edits). */
function parse(stored: unknown): PastChat[] {
  if (!Array.isArray(stored)) return [];
  const out: PastChat[] = [];
  for (const v of stored as Partial<PastChat>[]) {
    if (typeof v !== "object" || v === null || typeof v.id !== "string") continue;
    const turns = parseHistory(v.turns);
    if (!turns.some((t) => t.role === "user")) continue;
    out.push({
      id: v.id,
      title: typeof v.title === "string" && v.title ? v.title : chatTitle(turns),
      updatedAt: typeof v.updatedAt === "number" ? v.updatedAt : 0,
      questions: turns.filter((t) => t.role === "user").length,
      turns,
    });
  }
  return out.slice(0, MAX_PAST_CHATS);
}
