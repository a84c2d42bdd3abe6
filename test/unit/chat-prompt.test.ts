import { describe, expect, it } from "vitest";
import type { ChatContentPart, ChatMessage } from "../../server/protocol";
import {
  audioCostChars,
  buildPrompt,
  fenceFor,
  fenceTag,
  IMAGE_COST_CHARS,
  languageIdForFence,
  messageCost,
  parseWorkspaceMention,
  renderChip,
  secretFileReason,
  SYSTEM_PROMPT,
} from "../../src/chat/prompt";
import type { ChatTurn, ContextChip } from "../../src/chat/types";

let n = 0;
function user(text: string, extra: Partial<ChatTurn> = {}): ChatTurn {
  return { id: `u${n++}`, role: "user", text, createdAt: n, ...extra };
}
function assistant(text: string, status: ChatTurn["status"] = "done", extra: Partial<ChatTurn> = {}): ChatTurn {
  return { id: `a${n++}`, role: "assistant", text, status, createdAt: n, ...extra };
}
function textOf(m: ChatMessage): string {
  return typeof m.content === "string" ? m.content : m.content.filter((p) => p.type === "text").map((p) => (p as { text: string }).text).join("");
}

/** A minimal WAV header (44 bytes) with the given byte rate, followed by `dataBytes` of silence. */
function wavBase64(byteRate: number, dataBytes: number): string {
  const b = Buffer.alloc(44 + dataBytes);
  b.write("RIFF", 0, "latin1");
  b.writeUInt32LE(36 + dataBytes, 4);
  b.write("WAVEfmt ", 8, "latin1");
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(byteRate / 2, 24);
  b.writeUInt32LE(byteRate, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write("data", 36, "latin1");
  b.writeUInt32LE(dataBytes, 40);
  return b.toString("base64");
}

describe("buildPrompt", () => {
  it("starts with a short system message and ends with the question", () => {
    const messages = buildPrompt([user("What does this do?")]);
    expect(messages).toEqual([
      { role: "system", content: SYSTEM_PROMPT },
      { role: "user", content: "What does this do?" },
    ]);
    expect(SYSTEM_PROMPT.length).toBeLessThan(600);
  });

  it("sends earlier turns as alternating user/assistant messages", () => {
    const messages = buildPrompt([user("hi"), assistant("Hello!"), user("and?"), assistant("More."), user("last")]);
    expect(messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "user", "assistant", "user"]);
    expect(messages.map(textOf).slice(1)).toEqual(["hi", "Hello!", "and?", "More.", "last"]);
  });

  it("ignores anything after the last user turn (the streaming answer itself)", () => {
    const messages = buildPrompt([user("q"), assistant("", "streaming")]);
    expect(messages.map(textOf)).toEqual([SYSTEM_PROMPT, "q"]);
  });

  it("leaves out questions whose answer failed or was stopped before any text, keeping roles alternating", () => {
    const turns = [
      user("first"),
      assistant("", "error", { error: "The engine crashed." }),
      user("second"),
      assistant("", "stopped"),
      user("third"),
      assistant("Partial answer", "stopped"),
      user("fourth"),
    ];
    const messages = buildPrompt(turns);
    expect(messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "user"]);
    expect(messages.map(textOf).slice(1)).toEqual(["third", "Partial answer", "fourth"]);
  });

  it("skips a user turn that has no answer before the next question", () => {
    const messages = buildPrompt([user("orphan"), user("again"), assistant("ok"), user("next")]);
    expect(messages.map(textOf).slice(1)).toEqual(["again", "ok", "next"]);
  });

  it("throws when there is no question", () => {
    expect(() => buildPrompt([])).toThrow(/no user turn/);
    expect(() => buildPrompt([assistant("x")])).toThrow(/no user turn/);
  });

  it("renders context chips as fenced code with path and line range, before the question", () => {
    const chip: ContextChip = { kind: "selection", path: "src/app.ts", languageId: "typescript", range: [10, 12], text: "const a = 1;\nconst b = 2;\nconst c = 3;" };
    const file: ContextChip = { kind: "file", path: "src/view.tsx", languageId: "typescriptreact", text: "export const V = () => <div/>;\n" };
    const [, m] = buildPrompt([user("Why?", { context: [chip, file] })]);
    expect(m.content).toBe(
      [
        "`src/app.ts` (lines 10-12):\n```typescript\nconst a = 1;\nconst b = 2;\nconst c = 3;\n```",
        "`src/view.tsx` (whole file):\n```tsx\nexport const V = () => <div/>;\n```",
        "Why?",
      ].join("\n\n"),
    );
  });

  it("sends images and audio as media parts before the text", () => {
    const wav = wavBase64(32_000, 64);
    const turn = user("What is in these?", {
      attachments: [
        { kind: "image", name: "shot.png", mimeType: "image/png", data: "iVBORw0KGgo=" },
        { kind: "audio", name: "clip.wav", mimeType: "audio/wav", data: wav },
      ],
    });
    const [, m] = buildPrompt([turn]);
    expect(m.role).toBe("user");
    expect(m.content).toEqual<ChatContentPart[]>([
      { type: "image", data: "iVBORw0KGgo=", mimeType: "image/png" },
      { type: "audio", data: wav, mimeType: "audio/wav" },
      { type: "text", text: "What is in these?" },
    ]);
  });

  it("keeps images of earlier turns (follow-up questions about a screenshot)", () => {
    const turns = [
      user("Explain this screenshot.", { attachments: [{ kind: "image", name: "s.png", mimeType: "image/png", data: "AAAA" }] }),
      assistant("It shows an error dialog."),
      user("How do I fix it?"),
    ];
    const messages = buildPrompt(turns);
    expect(Array.isArray(messages[1].content)).toBe(true);
    expect((messages[1].content as ChatContentPart[])[0]).toEqual({ type: "image", data: "AAAA", mimeType: "image/png" });
    expect(messages[3]).toEqual({ role: "user", content: "How do I fix it?" });
  });

  it("replaces attachments whose data was not kept with a note", () => {
    const [, m] = buildPrompt([user("and this?", { attachments: [{ kind: "image", name: "big.png", mimeType: "image/png", data: "" }] })]);
    expect(m.content).toBe("[The image “big.png” was attached here but is no longer available.]\n\nand this?");
  });

  it("supplies a question when only attachments or context were sent", () => {
    const img = { kind: "image" as const, name: "a.png", mimeType: "image/png", data: "AAAA" };
    const [, m] = buildPrompt([user("", { attachments: [img] })]);
    expect((m.content as ChatContentPart[]).at(-1)).toEqual({ type: "text", text: "Explain the attached image." });
    const [, c] = buildPrompt([user("  ", { context: [{ kind: "file", path: "a.py", languageId: "python", text: "x = 1" }] })]);
    expect(textOf(c)).toMatch(/Explain this code\.$/);
  });

  it("drops the oldest exchanges beyond the budget and always keeps the latest question", () => {
    const turns: ChatTurn[] = [];
    for (let i = 0; i < 10; i++) turns.push(user(`question ${i} ${"x".repeat(1000)}`), assistant(`answer ${i} ${"y".repeat(1000)}`));
    turns.push(user("latest"));
    const messages = buildPrompt(turns, { budgetChars: 5_000, systemPrompt: "S" });
    const texts = messages.map(textOf);
    expect(texts[0]).toBe("S");
    expect(texts.at(-1)).toBe("latest");
    // Two exchanges of ~2 KB fit in 5 KB: the two most recent, in order.
    expect(texts.slice(1, -1).map((t) => t.split(" ").slice(0, 2).join(" "))).toEqual(["question 8", "answer 8", "question 9", "answer 9"]);
    const total = messages.reduce((sum, m) => sum + messageCost(m), 0);
    expect(total).toBeLessThanOrEqual(5_000);
  });

  it("keeps the latest question even when it alone exceeds the budget", () => {
    const big = "z".repeat(20_000);
    const messages = buildPrompt([user("old"), assistant("old answer"), user(big)], { budgetChars: 1_000 });
    expect(messages.map((m) => m.role)).toEqual(["system", "user"]);
    expect(textOf(messages[1])).toBe(big);
  });

  it("counts media in the budget", () => {
    const img = { kind: "image" as const, name: "a.png", mimeType: "image/png", data: "AAAA" };
    const turns = [user("q1", { attachments: [img, img, img] }), assistant("a1"), user("q2")];
    expect(buildPrompt(turns, { budgetChars: 2 * IMAGE_COST_CHARS, systemPrompt: "" }).map(textOf)).toEqual(["q2"]);
    expect(buildPrompt(turns, { budgetChars: 4 * IMAGE_COST_CHARS, systemPrompt: "" }).map(textOf)).toEqual(["q1", "a1", "q2"]);
  });

  it("omits the system message when given an empty one", () => {
    expect(buildPrompt([user("q")], { systemPrompt: "" })).toEqual([{ role: "user", content: "q" }]);
  });
});

describe("renderChip", () => {
  it("uses a fence longer than any backtick run in the code", () => {
    expect(fenceFor("no ticks")).toBe("```");
    expect(fenceFor("a ``` b")).toBe("````");
    expect(fenceFor("````` five")).toBe("``````");
    const chip: ContextChip = { kind: "file", path: "README.md", languageId: "markdown", text: "# T\n```js\nx\n```\n" };
    const out = renderChip(chip);
    expect(out.startsWith("`README.md` (whole file):\n````markdown\n# T\n```js\nx\n```\n````")).toBe(true);
  });

  it("labels a one-line selection with its line", () => {
    const chip: ContextChip = { kind: "selection", path: "a.go", languageId: "go", range: [7, 7], text: "return nil" };
    expect(renderChip(chip)).toBe("`a.go` (line 7):\n```go\nreturn nil\n```");
  });

  it("caps a huge chip at a line boundary and says how much was left out", () => {
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i}`);
    const chip: ContextChip = { kind: "file", path: "big.txt", languageId: "plaintext", text: lines.join("\n") };
    const out = renderChip(chip, 60);
    expect(out).toContain("line 0\n");
    expect(out).not.toContain("line 99");
    const kept = out.split("\n").filter((l) => /^line \d+$/.test(l)).length;
    expect(out.endsWith(`\n(${100 - kept} more lines not included)`)).toBe(true);
    expect(out).toContain("```text\n");
  });

  it("normalizes CRLF", () => {
    const chip: ContextChip = { kind: "file", path: "w.bat", languageId: "bat", text: "echo a\r\necho b\r\n" };
    expect(renderChip(chip)).toBe("`w.bat` (whole file):\n```bat\necho a\necho b\n```");
  });
});

describe("media cost", () => {
  it("estimates audio from the WAV header's byte rate at 25 tokens per second", () => {
    // 60 s of 16 kHz mono 16-bit audio → 1500 tokens ≈ 6000 characters.
    const wav = wavBase64(32_000, 32_000 * 60);
    expect(audioCostChars(wav, "audio/wav")).toBeGreaterThan(5_900);
    expect(audioCostChars(wav, "audio/wav")).toBeLessThan(6_100);
    // The same duration at 44.1 kHz stereo costs the same.
    expect(audioCostChars(wavBase64(176_400, 176_400 * 60), "audio/wav")).toBeCloseTo(6_000, -2);
  });

  it("never counts audio below an image", () => {
    expect(audioCostChars("AAAA", "audio/mpeg")).toBe(IMAGE_COST_CHARS);
  });
});

describe("secretFileReason", () => {
  it.each([".env", "app/.env.production", "certs/server.pem", "deploy.key", "/home/me/.ssh/id_rsa", "id_ed25519", ".npmrc"])("refuses %s", (p) => {
    const reason = secretFileReason(p);
    expect(reason).toMatch(/looks like a secrets file/);
    expect(reason).toContain(p.split("/").pop()!);
  });

  it.each(["src/env.ts", "keys.ts", "README.md", "src/chat/prompt.ts"])("allows %s", (p) => expect(secretFileReason(p)).toBeUndefined());
});

describe("languages", () => {
  const known = ["typescript", "typescriptreact", "javascript", "python", "shellscript", "cpp", "plaintext", "rust", "go", "yaml", "csharp"];

  it("maps fence tags and aliases to VS Code language ids", () => {
    expect(languageIdForFence("ts", known)).toBe("typescript");
    expect(languageIdForFence("TSX", known)).toBe("typescriptreact");
    expect(languageIdForFence("bash", known)).toBe("shellscript");
    expect(languageIdForFence("c++", known)).toBe("cpp");
    expect(languageIdForFence("python", known)).toBe("python");
    expect(languageIdForFence("yml", known)).toBe("yaml");
    expect(languageIdForFence("c#", known)).toBe("csharp");
  });

  it("falls back to plaintext for unknown or missing tags", () => {
    expect(languageIdForFence("brainfuck", known)).toBe("plaintext");
    expect(languageIdForFence(undefined, known)).toBe("plaintext");
    expect(languageIdForFence("kt", known)).toBe("plaintext"); // alias of a language this VS Code does not know
  });

  it("maps VS Code ids to fence tags", () => {
    expect(fenceTag("typescriptreact")).toBe("tsx");
    expect(fenceTag("shellscript")).toBe("sh");
    expect(fenceTag("python")).toBe("python");
  });
});

describe("workspace questions", () => {
  it("takes a leading @workspace mention as asking with the workspace, and strips it", () => {
    expect(parseWorkspaceMention("@workspace where is the cart total computed?")).toEqual({ text: "where is the cart total computed?", workspace: true });
    expect(parseWorkspaceMention("  @Workspace: how do tests start a host?")).toEqual({ text: "how do tests start a host?", workspace: true });
    expect(parseWorkspaceMention("@workspace")).toEqual({ text: "", workspace: true });
    expect(parseWorkspaceMention("what does @workspace do?")).toEqual({ text: "what does @workspace do?", workspace: false });
    expect(parseWorkspaceMention("@workspaces are")).toEqual({ text: "@workspaces are", workspace: false });
  });
});
