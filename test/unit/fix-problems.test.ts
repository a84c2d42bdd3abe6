/**
 * Fix with Hearth's problems: the light bulb is given only those under the cursor; the fix takes in the file's
 * other problems within their lines (not one that spans a whole function from the line), in file order.
 */
import { describe, expect, it, vi } from "vitest";

vi.mock("vscode", () => ({ DiagnosticSeverity: { Error: 0, Warning: 1, Information: 2, Hint: 3 }, CodeActionKind: { QuickFix: {} } }));
const { withSameLineProblems } = await import("../../src/edit/fixCodeAction");

type D = { range: { start: { line: number; character: number }; end: { line: number; character: number } }; message: string; severity: number; source?: string };
const d = (line: number, from: number, to: number, message: string, severity = 0, endLine = line): D => ({
  range: { start: { line, character: from }, end: { line: endLine, character: to } },
  message,
  severity,
});

describe("the problems a fix takes in", () => {
  it("those on the picked problem's lines, hints and far or wide ones left out, without repeats", () => {
    const picked = d(4, 2, 9, "Cannot find name 'totl'.");
    const all = [
      picked,
      d(4, 12, 13, "Missing semicolon.", 1),
      d(4, 0, 30, "Prefer const.", 3), // a hint
      d(9, 0, 5, "Unused import.", 1), // another line
      d(4, 0, 1, "Function has 80 lines (max 50).", 1, 60), // from the line to the function's end
    ];
    expect(withSameLineProblems([picked] as never, all as never).map((p) => p.message)).toEqual(["Cannot find name 'totl'.", "Missing semicolon."]);
  });

  it("at most 5, keeping those under the cursor, then errors before warnings, in file order", () => {
    const picked = d(2, 20, 24, "under the cursor", 1);
    const others = [1, 2, 3, 4, 5, 6].map((i) => d(2, i, i + 1, `${i % 2 ? "warning" : "error"} ${i}`, i % 2));
    const chosen = withSameLineProblems([picked] as never, others as never).map((p) => p.message);
    expect(chosen).toEqual(["warning 1", "error 2", "error 4", "error 6", "under the cursor"]);
  });
});
