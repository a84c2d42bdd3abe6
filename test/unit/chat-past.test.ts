/**
 * Past chats (src/chat/pastChats.ts): what New Chat keeps, their titles, the bounds, reopening and
 * forgetting one, and stored data that is damaged or from elsewhere.
 */
import { describe, expect, it } from "vitest";
import { chatTitle, MAX_PAST_CHARS, MAX_PAST_CHATS, MAX_PAST_CHIP_CHARS, PAST_CHATS_KEY, PastChats } from "../../src/chat/pastChats";
import type { ChatTurn } from "../../src/chat/types";

class Memento {
  data = new Map<string, string>();
  writes = 0;
  get<T>(k: string): T | undefined {
    const v = this.data.get(k);
    return v === undefined ? undefined : JSON.parse(v);
  }
  async update(k: string, v: unknown) {
    this.writes++;
    if (v === undefined) this.data.delete(k);
    else this.data.set(k, JSON.stringify(v));
  }
}

let n = 0;
const user = (text: string, extra: Partial<ChatTurn> = {}): ChatTurn => ({ id: `u${++n}`, role: "user", text, createdAt: 1000 + n, ...extra });
const answer = (text: string): ChatTurn => ({ id: `a${++n}`, role: "assistant", text, status: "done", createdAt: 1000 + n });

describe("chatTitle", () => {
  it("is the first question, with its command and what it was about", () => {
    expect(chatTitle([user("How do I sum?"), answer("reduce")])).toBe("How do I sum?");
    expect(chatTitle([user("why a loop?", { command: "explain", context: [{ kind: "selection", path: "src/sum.ts", languageId: "typescript", range: [1, 5], text: "x" }] })])).toBe("/explain why a loop? (sum.ts)");
    expect(chatTitle([user("", { attachments: [{ kind: "image", name: "dialog.png", mimeType: "image/png", data: "" }] })])).toBe("(dialog.png)");
    expect(chatTitle([user("word ".repeat(40))])).toMatch(/^(word ){15}word…$/);
    expect(chatTitle([])).toBe("Empty chat");
  });
});

describe("PastChats", () => {
  it("keeps conversations newest first, without their media, and survives a reload", async () => {
    const m = new Memento();
    const past = new PastChats(m);
    await past.keep([]); // nothing asked: nothing kept
    await past.keep([answer("a stray answer")]);
    expect(past.list()).toEqual([]);
    const first = [user("first?", { attachments: [{ kind: "image", name: "a.png", mimeType: "image/png", data: "iVBORw0KGgo=" }] }), answer("one")];
    const second = [user("second?"), answer("two"), user("and?"), answer("three")];
    await past.keep(first);
    await past.keep(second);
    const list = past.list();
    expect(list.map((c) => [c.title, c.questions])).toEqual([["second?", 2], ["first? (a.png)", 1]]);
    expect(list[1].turns[0].attachments).toEqual([{ kind: "image", name: "a.png", mimeType: "image/png", data: "" }]);
    expect(list[0].updatedAt).toBe(second[3].createdAt);
    expect(new PastChats(m).list()).toEqual(list);
  });

  it("keeps a conversation once: kept again (reopened, then New Chat), it moves to the top", async () => {
    const past = new PastChats(new Memento());
    const a = [user("a?"), answer("A")];
    const b = [user("b?"), answer("B")];
    await past.keep(a);
    await past.keep(b);
    await past.keep([...a, user("more?"), answer("more")]);
    expect(past.list().map((c) => [c.title, c.questions])).toEqual([["a?", 2], ["b?", 1]]);
  });

  it("takes one out to reopen it, and forgets one", async () => {
    const m = new Memento();
    const past = new PastChats(m);
    const a = [user("a?"), answer("A")];
    await past.keep(a);
    await past.keep([user("b?"), answer("B")]);
    const id = past.list()[1].id;
    expect((await past.take(id))?.map((t) => t.text)).toEqual(["a?", "A"]);
    expect(await past.take(id)).toBeUndefined();
    await past.remove(past.list()[0].id);
    expect(past.list()).toEqual([]);
    expect(m.data.has(PAST_CHATS_KEY)).toBe(false);
  });

  it("is bounded in number and in size, dropping the oldest", async () => {
    const past = new PastChats(new Memento());
    for (let i = 0; i < MAX_PAST_CHATS + 5; i++) await past.keep([user(`q${i}`), answer("a")]);
    expect(past.list()).toHaveLength(MAX_PAST_CHATS);
    expect(past.list()[0].title).toBe(`q${MAX_PAST_CHATS + 4}`);
    // Context chips are kept cut to their first lines, and the oldest chats go when the whole is too large.
    const big = new PastChats(new Memento());
    const chip = (i: number) => ({ kind: "file" as const, path: `f${i}.ts`, languageId: "typescript", text: "const x = 1;\n".repeat(10_000) });
    const longChat = (i: number) => Array.from({ length: 30 }, (_, q) => [user(`big ${i}.${q}`, { context: [chip(q), chip(q + 100)] }), answer("ok")]).flat();
    await big.keep([user("small and old"), answer("ok")]);
    await big.keep(longChat(0));
    expect(big.list().map((c) => c.title)).toEqual(["big 0.0 (f0.ts, f100.ts)", "small and old"]); // one large chat does not push the rest out
    const kept = big.list()[0].turns[0].context![0].text;
    expect(kept.length).toBeLessThan(MAX_PAST_CHIP_CHARS + 100);
    expect(kept).toMatch(/… \(\d+ more characters not kept in the chat history\)$/);
    for (let i = 1; i < 12; i++) await big.keep(longChat(i));
    const all = big.list();
    expect(JSON.stringify(all).length).toBeLessThanOrEqual(MAX_PAST_CHARS);
    expect(all[0].title).toBe("big 11.0 (f0.ts, f100.ts)");
    expect(all.length).toBeLessThan(13);
    expect(all.map((c) => c.title)).not.toContain("small and old");
  });

  it("skips damaged stored entries", () => {
    const m = new Memento();
    m.data.set(PAST_CHATS_KEY, JSON.stringify([null, { id: 3 }, { id: "x", turns: "nope" }, { id: "ok", turns: [{ id: "u", role: "user", text: "hi", createdAt: 5 }] }]));
    expect(new PastChats(m).list()).toEqual([{ id: "ok", title: "hi", updatedAt: 0, questions: 1, turns: [{ id: "u", role: "user", text: "hi", createdAt: 5 }] }]);
  });
});
