/**
 * Review Changes (src/reviewChanges.ts): the diff chip the chat reviews, and the instruction for a diff
 * (src/chat/commandPrompt.ts). The git and chat plumbing runs in the end-to-end suite.
 */
import { describe, expect, it, vi } from "vitest";

vi.mock("vscode", () => ({}));
const { diffChip } = await import("../../src/reviewChanges");
const { commandPrompt } = await import("../../src/chat/commandPrompt");

const fileDiff = (file: string, added: string) => `diff --git a/${file} b/${file}
--- a/${file}
+++ b/${file}
@@ -1 +1,2 @@
 export const a = 1;
+${added}
`;

describe("Review Changes", () => {
  it("sends the diff as a chip named by the repository, without a secrets file's changes or a pasted key", () => {
    const key = "ghp_" + "A1b2".repeat(9);
    const chip = diffChip(fileDiff("src/a.ts", "export const b = 2;") + fileDiff(".env", "TOKEN=x") + fileDiff("src/c.ts", `const k = "${key}";`), true, "shop")!;
    expect(chip).toMatchObject({ kind: "file", path: "shop: staged changes (3 files)", languageId: "diff" });
    expect(chip.text).toContain("+export const b = 2;");
    expect(chip.text).toContain("+++ b/.env\n(changes to a secrets file: not shown)");
    expect(chip.text).toContain("+++ b/src/c.ts\n(1 changed line with what looks like a key or token: not shown)");
    expect(chip.text).not.toContain(key);
    expect(chip.text).not.toContain("TOKEN=x");
  });

  it("names the files past the budget, and says uncommitted when nothing is staged", () => {
    const big = Array.from({ length: 12 }, (_, i) => fileDiff(`src/f${i}.ts`, `export const v = "${"x".repeat(3000)}";`)).join("");
    const chip = diffChip(big, false, "shop")!;
    expect(chip.path).toBe("shop: uncommitted changes (12 files)");
    expect(chip.text.length).toBeLessThan(26_000);
    expect(chip.text).toMatch(/\n\n\(also changed, not shown: src\/f\d+\.ts/);
    // (only unmerged paths, as in a conflicted merge: no file's changes, no chip)
    expect(diffChip("* Unmerged path src/a.ts\n", true, "shop")).toBeUndefined();
  });

  it("asks for a review of the changes, not of code", () => {
    const prompt = commandPrompt("review", "focus on the rounding", { languageId: "diff", path: "shop: staged changes (3 files)" });
    expect(prompt).toMatch(/^Review the changes in the diff above \(shop: staged changes \(3 files\)\) as a careful senior colleague would before they are committed/);
    expect(prompt).toContain("the file and the changed line");
    expect(prompt).toContain("The developer adds: focus on the rounding");
  });
});
