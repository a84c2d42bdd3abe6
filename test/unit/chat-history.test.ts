import { afterEach, describe, expect, it, vi } from "vitest";
import {
  ChatHistory,
  HISTORY_KEY,
  loadHistory,
  MAX_STORED_ATTACHMENT_CHARS,
  MAX_STORED_MEDIA_CHARS,
  MAX_STORED_TURNS,
  parseHistory,
  saveHistory,
  serializeHistory,
  type MementoLike,
} from "../../src/chat/history";
import type { Attachment, ChatTurn } from "../../src/chat/types";

/** A Memento like VS Code's: values go through JSON, as in its storage. */
class FakeMemento implements MementoLike {
  readonly data = new Map<string, string>();
  writes = 0;
  get<T>(key: string): T | undefined {
    const v = this.data.get(key);
    return v === undefined ? undefined : (JSON.parse(v) as T);
  }
  async update(key: string, value: unknown): Promise<void> {
    this.writes++;
    await Promise.resolve();
    if (value === undefined) this.data.delete(key);
    else this.data.set(key, JSON.stringify(value));
  }
}

let n = 0;
function turn(role: ChatTurn["role"], text: string, extra: Partial<ChatTurn> = {}): ChatTurn {
  return { id: `t${n++}`, role, text, createdAt: 1_700_000_000_000 + n, ...(role === "assistant" ? { status: "done" as const } : {}), ...extra };
}
function image(chars: number, name = "shot.png"): Attachment {
  return { kind: "image", name, mimeType: "image/png", data: "A".repeat(chars) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("chat history persistence", () => {
  it("round-trips a transcript through the memento", async () => {
    const m = new FakeMemento();
    const turns: ChatTurn[] = [
      turn("user", "Why?", {
        workspace: true,
        attachments: [image(100)],
        context: [{ kind: "selection", path: "src/a.ts", languageId: "typescript", range: [3, 9], text: "code" }],
        focus: "file:///w/api/src/a.ts",
      }),
      turn("assistant", "Because.", {
        stats: { tokensPerSecond: 12.5, totalMs: 800, generatedTokens: 10 },
        instructions: [{ kind: "settings" }, { kind: "file", path: "AGENTS.md", uri: "file:///w/AGENTS.md" }],
      }),
      turn("assistant", "", { status: "error", error: "The engine crashed: try again." }),
    ];
    await saveHistory(m, turns);
    expect(loadHistory(m)).toEqual(turns);
  });

  it("restores a turn that was streaming when the window closed as stopped, keeping its text", async () => {
    const m = new FakeMemento();
    await saveHistory(m, [turn("user", "q"), turn("assistant", "partial ans", { status: "streaming" })]);
    const [, a] = loadHistory(m);
    expect(a.status).toBe("stopped");
    expect(a.text).toBe("partial ans");
  });

  it("keeps only the last turns", () => {
    const turns = Array.from({ length: MAX_STORED_TURNS + 50 }, (_, i) => turn(i % 2 ? "assistant" : "user", `#${i}`));
    const stored = serializeHistory(turns);
    expect(stored.turns).toHaveLength(MAX_STORED_TURNS);
    expect(stored.turns[0].text).toBe("#50");
    expect(stored.turns.at(-1)!.text).toBe(`#${MAX_STORED_TURNS + 49}`);
  });

  it("drops a large attachment's data from storage but keeps the turn and the in-memory data", () => {
    const big = image(MAX_STORED_ATTACHMENT_CHARS + 1, "big.png");
    const small = image(1000, "small.png");
    const turns = [turn("user", "look", { attachments: [big, small] })];
    const stored = serializeHistory(turns);
    expect(stored.turns[0].text).toBe("look");
    expect(stored.turns[0].attachments).toEqual([{ ...big, data: "" }, small]);
    // The live transcript is not touched.
    expect(turns[0].attachments![0].data.length).toBe(MAX_STORED_ATTACHMENT_CHARS + 1);
  });

  it("keeps the newest media within the total budget", () => {
    const each = Math.floor(MAX_STORED_ATTACHMENT_CHARS * 0.9);
    const count = Math.ceil(MAX_STORED_MEDIA_CHARS / each) + 2;
    const turns = Array.from({ length: count }, (_, i) => turn("user", `img ${i}`, { attachments: [image(each, `${i}.png`)] }));
    const stored = serializeHistory(turns);
    const kept = stored.turns.map((t) => t.attachments![0].data.length > 0);
    const keptCount = kept.filter(Boolean).length;
    expect(keptCount).toBe(Math.floor(MAX_STORED_MEDIA_CHARS / each));
    // The kept ones are the most recent.
    expect(kept.slice(-keptCount).every(Boolean)).toBe(true);
    expect(kept.slice(0, count - keptCount).some(Boolean)).toBe(false);
  });

  it("clears the key when the transcript is empty", async () => {
    const m = new FakeMemento();
    await saveHistory(m, [turn("user", "x")]);
    await saveHistory(m, []);
    expect(m.data.has(HISTORY_KEY)).toBe(false);
    expect(loadHistory(m)).toEqual([]);
  });

  it("ignores malformed stored data instead of failing", () => {
    expect(parseHistory(undefined)).toEqual([]);
    expect(parseHistory("garbage")).toEqual([]);
    expect(parseHistory({ version: 1, turns: "no" })).toEqual([]);
    const parsed = parseHistory({
      version: 1,
      turns: [
        null,
        { id: "a", role: "robot", text: "?" },
        { id: "b", role: "user" },
        { id: "c", role: "user", text: "ok", attachments: [{ kind: "pdf", name: "x", mimeType: "a", data: "" }, { kind: "image", name: "i.png", mimeType: "image/png" }] },
        { id: "d", role: "assistant", text: "fine", status: "weird", stats: { tokensPerSecond: "fast" } },
        { id: "e", role: "user", text: "ctx", context: [{ kind: "selection", path: "a.ts", text: "x", range: [1, "2"] }, { kind: "file" }] },
      ],
    });
    expect(parsed).toEqual([
      { id: "c", role: "user", text: "ok", createdAt: 0, attachments: [{ kind: "image", name: "i.png", mimeType: "image/png", data: "" }] },
      { id: "d", role: "assistant", text: "fine", createdAt: 0, status: "done" },
      { id: "e", role: "user", text: "ctx", createdAt: 0, context: [{ kind: "selection", path: "a.ts", languageId: "plaintext", text: "x" }] },
    ]);
  });

  it("accepts a bare array (an older format)", () => {
    expect(parseHistory([{ id: "x", role: "user", text: "hi", createdAt: 5 }])).toEqual([{ id: "x", role: "user", text: "hi", createdAt: 5 }]);
  });
});

describe("ChatHistory", () => {
  it("loads on construction and saves on demand", async () => {
    const m = new FakeMemento();
    await saveHistory(m, [turn("user", "earlier")]);
    const h = new ChatHistory(m);
    expect(h.turns.map((t) => t.text)).toEqual(["earlier"]);
    h.add(turn("assistant", "reply"));
    await h.save();
    expect(loadHistory(m).map((t) => t.text)).toEqual(["earlier", "reply"]);
  });

  it("throttles saves while streaming and writes the latest text", async () => {
    vi.useFakeTimers();
    const m = new FakeMemento();
    const h = new ChatHistory(m, undefined, 1000);
    const a = turn("assistant", "", { status: "streaming" });
    h.add(a);
    for (let i = 0; i < 50; i++) {
      a.text += "x";
      h.saveSoon();
    }
    expect(m.writes).toBe(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(m.writes).toBe(1);
    expect(loadHistory(m)[0].text).toBe("x".repeat(50));
    // A reload now restores the partial answer as stopped.
    expect(loadHistory(m)[0].status).toBe("stopped");
  });

  it("an explicit save cancels the pending throttled one", async () => {
    vi.useFakeTimers();
    const m = new FakeMemento();
    const h = new ChatHistory(m, undefined, 1000);
    h.add(turn("user", "q"));
    h.saveSoon();
    await h.save();
    await vi.advanceTimersByTimeAsync(2000);
    expect(m.writes).toBe(1);
  });

  it("serializes writes so the last state wins", async () => {
    const m = new FakeMemento();
    const h = new ChatHistory(m);
    h.add(turn("user", "one"));
    const first = h.save();
    h.add(turn("user", "two"));
    const second = h.save();
    await Promise.all([first, second]);
    expect(loadHistory(m).map((t) => t.text)).toEqual(["one", "two"]);
  });

  it("reports a failed write and keeps working", async () => {
    const errors: unknown[] = [];
    let fail = true;
    const m: MementoLike = {
      get: () => undefined,
      update: async () => {
        if (fail) throw new Error("disk full");
      },
    };
    const h = new ChatHistory(m, (e) => errors.push(e));
    await h.save();
    fail = false;
    await h.save();
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe("disk full");
  });

  it("truncates from a turn and clears", () => {
    const h = new ChatHistory(new FakeMemento());
    const a = turn("user", "a");
    const b = turn("assistant", "b");
    const c = turn("user", "c");
    h.add(a);
    h.add(b);
    h.add(c);
    expect(h.get(b.id)).toBe(b);
    h.truncateFrom(b.id);
    expect(h.turns).toEqual([a]);
    h.clear();
    expect(h.turns).toEqual([]);
  });
});
