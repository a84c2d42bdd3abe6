/**
 * Export Chat as Markdown (src/chat/exportChat.ts): a conversation as a document a developer can keep or paste
 * into an issue: the questions with their command, @workspace, context and attachments, the answers as written.
 */
import { describe, expect, it, vi } from "vitest";
import type { ChatTurn } from "../../src/chat/types";

vi.mock("vscode", () => ({}));
const { chatAsMarkdown, closeOpenFence } = await import("../../src/chat/exportChat");

const t = (turn: Partial<ChatTurn> & Pick<ChatTurn, "role">): ChatTurn => ({ id: String(Math.random()), text: "", createdAt: 0, ...turn });

describe("chatAsMarkdown", () => {
  it("writes each question with its command, context and attachments, and each answer as written", () => {
    const md = chatAsMarkdown(
      [
        t({ role: "user", text: "why the loop?", command: "explain", context: [{ kind: "selection", path: "src/sum.ts", languageId: "typescriptreact", range: [3, 5], text: "for (const x of xs)\n  s += x;\n" }] }),
        t({ role: "assistant", text: "It sums.\n\n```ts\nxs.reduce((a, b) => a + b, 0)\n```\n", status: "done" }),
        t({ role: "user", text: "and this?", workspace: true, attachments: [{ kind: "image", name: "ui.png", mimeType: "image/png", data: "" }] }),
        t({ role: "assistant", text: "A dialog", status: "stopped" }),
        t({ role: "user", text: "more" }),
        t({ role: "assistant", text: "", status: "error", error: "The engine stopped." }),
      ],
      new Date("2026-11-27T21:05:00Z"),
    );
    expect(md).toBe(
      [
        "# /explain why the loop?",
        "",
        "*Hearth chat, exported 2026-11-27 21:05 UTC*",
        "",
        "## You",
        "",
        "`/explain` why the loop?",
        "",
        "`src/sum.ts` (lines 3-5):",
        "```tsx",
        "for (const x of xs)",
        "  s += x;",
        "```",
        "",
        "## Hearth",
        "",
        "It sums.",
        "",
        "```ts",
        "xs.reduce((a, b) => a + b, 0)",
        "```",
        "",
        "## You",
        "",
        "`@workspace` and this?",
        "",
        "*Image: ui.png*",
        "",
        "## Hearth",
        "",
        "A dialog",
        "",
        "*Stopped.*",
        "",
        "## You",
        "",
        "more",
        "",
        "## Hearth",
        "",
        "*Failed: The engine stopped.*",
        "",
      ].join("\n"),
    );
  });

  it("closes a code block an answer was cut or stopped in, so the next turns stay headings; marks one still being written", () => {
    const md = chatAsMarkdown([
      t({ role: "user", text: "write it" }),
      t({ role: "assistant", text: "Here:\n\n```ts\nfunction f() {", status: "done", cut: true }),
      t({ role: "user", text: "go on" }),
      t({ role: "assistant", text: "~~~~py\nx = 1\n~~~\n", status: "streaming" }),
    ]);
    expect(md).toContain("```ts\nfunction f() {\n```\n\n*Cut at the length limit.*\n\n## You");
    expect(md).toContain("~~~~py\nx = 1\n~~~\n~~~~\n\n*Still being written when exported.*");
    expect(closeOpenFence("```ts\na\n```")).toBe("```ts\na\n```");
    expect(closeOpenFence("inline ``` not a fence ``` here")).toBe("inline ``` not a fence ``` here");
  });

  it("fences context that holds backticks with a longer fence", () => {
    const md = chatAsMarkdown([t({ role: "user", text: "", context: [{ kind: "file", path: "README.md", languageId: "markdown", text: "```sh\nnpm test\n```\n" }] })]);
    expect(md).toContain("`README.md` (whole file):\n````markdown\n```sh\nnpm test\n```\n````");
    expect(md.startsWith("# Chat\n")).toBe(true);
  });
});
