/**
 * Past conversations: *New Chat* keeps the one it ends here, and *Chat History…* brings one back (the one
 * open then is kept in its place). Per workspace (`context.workspaceState`, key `hearth.chat.past`), the
 * {@link MAX_PAST_CHATS} most recent, stored without their images and audio (a restored turn shows that its
 * attachment is no longer available) so the storage stays small. No vscode import: unit-tested.
 */
import { parseHistory, serializeHistory, type MementoLike } from "./history";
import type { ChatTurn } from "./types";

export const PAST_CHATS_KEY = "hearth.chat.past";
export const MAX_PAST_CHATS = 50;
/** JSON characters of past chats kept in all (context chips can make a conversation large): oldest dropped first. */
export const MAX_PAST_CHARS = 4_000_000;
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
    const stored = withoutMedia(serializeHistory(turns).turns);
    const chat: PastChat = {
      id: stored[0].id,
      title: chatTitle(stored),
      updatedAt: Math.max(...stored.map((t) => t.createdAt)),
      questions,
      turns: stored,
    };
    const chats = [chat, ...this.chats.filter((c) => c.id !== chat.id)].slice(0, MAX_PAST_CHATS);
    let size = 0;
    const kept = chats.filter((c) => (size += JSON.stringify(c).length) <= MAX_PAST_CHARS || c === chat);
    this.chats = kept;
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

function withoutMedia(turns: ChatTurn[]): ChatTurn[] {
  return turns.map((t) => (t.attachments ? { ...t, attachments: t.attachments.map((a) => ({ ...a, data: "" })) } : t));
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
