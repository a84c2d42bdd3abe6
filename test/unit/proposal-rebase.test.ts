import { describe, expect, it } from "vitest";
import { rebaseSpans, type TextChange } from "../../src/chat/rebase";

const at = (line: number, character: number) => ({ line, character });
const change = (sl: number, sc: number, el: number, ec: number, text: string): TextChange => ({ range: { start: at(sl, sc), end: at(el, ec) }, text });
const span = { startLine: 10, endLine: 13 };

describe("a proposal's lines while the file changes", () => {
  it("move with changes above them and stay with changes below", () => {
    expect(rebaseSpans([span], [change(2, 4, 2, 4, "a\nb\n")])).toEqual([{ startLine: 12, endLine: 15 }]);
    expect(rebaseSpans([span], [change(3, 0, 5, 0, "")])).toEqual([{ startLine: 8, endLine: 11 }]);
    // a whole line inserted right above the first line (at its start, ending with a line break)
    expect(rebaseSpans([span], [change(10, 0, 10, 0, "// note\n")])).toEqual([{ startLine: 11, endLine: 14 }]);
    expect(rebaseSpans([span], [change(13, 0, 13, 0, "x")])).toEqual([span]);
    expect(rebaseSpans([span], [change(20, 2, 25, 0, "")])).toEqual([span]);
  });

  it("go stale when a change touches their text", () => {
    expect(rebaseSpans([span], [change(11, 3, 11, 3, "y")])).toBeUndefined();
    expect(rebaseSpans([span], [change(10, 0, 10, 0, "x")])).toBeUndefined(); // joins the first line
    expect(rebaseSpans([span], [change(9, 2, 10, 1, "")])).toBeUndefined(); // runs into it
    expect(rebaseSpans([span], [change(12, 5, 14, 0, "")])).toBeUndefined();
  });

  it("apply several changes in order, as VS Code reports them (a multi-cursor edit, bottom up)", () => {
    const changes = [change(30, 0, 30, 0, "z\n"), change(1, 0, 1, 0, "a\n"), change(0, 0, 0, 0, "b\n")];
    expect(rebaseSpans([span, { startLine: 20, endLine: 20 }], changes)).toEqual([
      { startLine: 12, endLine: 15 },
      { startLine: 22, endLine: 22 },
    ]);
  });
});
