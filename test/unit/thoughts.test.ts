import { describe, expect, it } from "vitest";
import { stripThoughts, ThoughtFilter } from "../../server/chat/thoughts";

function streamed(pieces: string[]): string {
  const f = new ThoughtFilter();
  return pieces.map((p) => f.push(p)).join("") + f.flush();
}

describe("ThoughtFilter", () => {
  it("drops the empty thought channel the template prefills, and keeps the answer", () => {
    expect(stripThoughts("<|channel>thought\n<channel|>Hello!")).toBe("Hello!");
  });

  it("drops a thought block split across chunks at any point", () => {
    const text = "<|channel>thought\nlet me think<channel|>The answer is 42.";
    for (let cut = 1; cut < text.length; cut++) {
      expect(streamed([text.slice(0, cut), text.slice(cut)])).toBe("The answer is 42.");
    }
    expect(streamed([...text])).toBe("The answer is 42.");
  });

  it("drops a stray closing tag instead of hiding everything", () => {
    expect(streamed(["<chan", "nel|>", "visible text"])).toBe("visible text");
  });

  it("passes ordinary text through, including angle brackets and pipes", () => {
    expect(streamed(["a < b || c <", "| d"])).toBe("a < b || c <| d");
    expect(streamed(["x <|chan"])).toBe("x <|chan");
  });

  it("streams text without waiting for the end when no tag can start", () => {
    const f = new ThoughtFilter();
    expect(f.push("Hello ")).toBe("Hello ");
    expect(f.push("world <")).toBe("world ");
    expect(f.push("3")).toBe("<3");
  });

  it("drops an unterminated thought at the end", () => {
    expect(streamed(["ok <|channel>thinking forever"])).toBe("ok ");
  });
});
