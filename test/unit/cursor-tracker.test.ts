import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CursorTracker, type CursorAt } from "../../src/cursorTracker";

const at = (uri: string, version: number, line: number, character = 0): CursorAt => ({ uri, version, line, character });

describe("CursorTracker", () => {
  let sent: { uri: string; line: number; character: number }[];
  let tracker: CursorTracker;
  beforeEach(() => {
    vi.useFakeTimers();
    sent = [];
    tracker = new CursorTracker((uri, p) => sent.push({ uri, ...p }), 400);
  });
  afterEach(() => {
    tracker.dispose();
    vi.useRealTimers();
  });

  it("sends a switch of editor at once, with its cursor", () => {
    tracker.editorChanged(at("file:///a.ts", 1, 10, 4));
    expect(sent).toEqual([{ uri: "file:///a.ts", line: 10, character: 4 }]);
    tracker.editorChanged(undefined); // no editor, or one completions skip
    expect(sent).toHaveLength(1);
  });

  it("sends a jump after a quiet time, only the last of a run of moves", () => {
    tracker.editorChanged(at("file:///a.ts", 1, 10));
    tracker.selectionChanged(at("file:///a.ts", 1, 11));
    tracker.selectionChanged(at("file:///a.ts", 1, 12));
    vi.advanceTimersByTime(399);
    tracker.selectionChanged(at("file:///a.ts", 1, 80, 2));
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(400);
    expect(sent.at(-1)).toEqual({ uri: "file:///a.ts", line: 80, character: 2 });
    expect(sent).toHaveLength(2);
  });

  it("does not send moves that come from typing, nor moves within the line it sent", () => {
    tracker.editorChanged(at("file:///a.ts", 1, 10));
    tracker.selectionChanged(at("file:///a.ts", 2, 10, 1)); // typed a character
    tracker.selectionChanged(at("file:///a.ts", 3, 11, 0)); // typed Enter
    vi.advanceTimersByTime(1000);
    expect(sent).toHaveLength(1);
    tracker.selectionChanged(at("file:///a.ts", 3, 11, 7)); // End key on the line typing left
    vi.advanceTimersByTime(1000);
    expect(sent).toHaveLength(1);
    tracker.selectionChanged(at("file:///a.ts", 3, 40)); // a click elsewhere
    vi.advanceTimersByTime(1000);
    expect(sent.at(-1)).toMatchObject({ line: 40 });
  });

  it("drops a pending jump when the editor changes", () => {
    tracker.editorChanged(at("file:///a.ts", 1, 10));
    tracker.selectionChanged(at("file:///a.ts", 1, 50));
    tracker.editorChanged(at("file:///b.ts", 1, 3));
    vi.advanceTimersByTime(1000);
    expect(sent.map((s) => s.uri)).toEqual(["file:///a.ts", "file:///b.ts"]);
  });
});
