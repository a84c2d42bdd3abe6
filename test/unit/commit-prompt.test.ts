import { describe, expect, it } from "vitest";
import { buildCommitPrompt, commitDiffBudget, extractCommitMessage, MAX_DIFF_CHARS, splitDiff } from "../../server/commit/commitPrompt";

const code = `diff --git a/src/format.ts b/src/format.ts
index 1111111..2222222 100644
--- a/src/format.ts
+++ b/src/format.ts
@@ -1,3 +1,3 @@
 export function formatMoney(cents: number): string {
-  return String(cents);
+  return (cents / 100).toFixed(2);
 }
`;
const secret = `diff --git a/.env b/.env
index 3333333..4444444 100644
--- a/.env
+++ b/.env
@@ -1 +1 @@
-API_KEY=sk_live_old
+API_KEY=sk_live_new_do_not_leak
`;
const deleted = `diff --git a/old.txt b/old.txt
deleted file mode 100644
index 5555555..0000000
--- a/old.txt
+++ /dev/null
@@ -1 +0,0 @@
-bye
`;
const lock = `diff --git a/package-lock.json b/package-lock.json
index 6666666..7777777 100644
--- a/package-lock.json
+++ b/package-lock.json
@@ -1,2000 +1,2000 @@
${Array.from({ length: 600 }, (_, i) => `-    "integrity": "sha512-old${i}"\n+    "integrity": "sha512-new${i}"`).join("\n")}
`;

describe("commit prompt", () => {
  it("splits a diff by file, naming each by its new path (the old one for a deletion)", () => {
    expect(splitDiff(code + secret + deleted).map((f) => f.path)).toEqual(["src/format.ts", ".env", "old.txt"]);
  });

  it("shows the changes, never a secrets file's (only that it changed), and sums up a long file", () => {
    const p = buildCommitPrompt(code + secret + lock, ["feat(cart): add coupons", "fix: round totals\n\nbody"]);
    const user = p.messages[1].content as string;
    expect(user).toContain("+  return (cents / 100).toFixed(2);");
    expect(user).not.toContain("sk_live");
    expect(user).toContain("diff --git a/.env b/.env\n--- a/.env\n+++ b/.env\n(changes to a secrets file: not shown)");
    expect(user).toContain("+++ b/package-lock.json\n(1200 changed lines: not shown)");
    expect(user).not.toContain("sha512-new1");
    expect(user).toContain("Recent commit subjects in this repository:\n- feat(cart): add coupons\n- fix: round totals\n");
    expect(p.omitted).toEqual([
      { path: ".env", reason: "secret" },
      { path: "package-lock.json", reason: "long" },
    ]);
  });

  it("never shows the changes of a file with what looks like a key or token in them, whatever its name", () => {
    const key = "sk-proj-" + "Ab1".repeat(12);
    const pasted = `diff --git a/src/config.ts b/src/config.ts
--- a/src/config.ts
+++ b/src/config.ts
@@ -1 +1,2 @@
 export const model = "gpt";
+export const apiKey = "${key}";
`;
    const p = buildCommitPrompt(code + pasted);
    const user = p.messages[1].content as string;
    expect(user).not.toContain(key);
    expect(user).toContain("+++ b/src/config.ts\n(1 changed line with what looks like a key or token: not shown)");
    expect(user).toContain("+  return (cents / 100).toFixed(2);");
    expect(p.omitted).toEqual([{ path: "src/config.ts", reason: "key" }]);
  });

  it("keeps the prompt under the budget and names the files left out", () => {
    const many = Array.from({ length: 40 }, (_, i) => code.replaceAll("src/format.ts", `src/f${i}.ts`).replace("toFixed(2)", `toFixed(2) + "${"x".repeat(500)}"`)).join("");
    const p = buildCommitPrompt(many);
    const user = p.messages[1].content as string;
    expect(user.length).toBeLessThan(MAX_DIFF_CHARS + 1000);
    const left = p.omitted.filter((o) => o.reason === "budget").map((o) => o.path);
    expect(left.length).toBeGreaterThan(0);
    expect(user).toContain(`Also changed (not shown): ${left.join(", ")}`);
  });
});

describe("commit prompt budget", () => {
  const many = Array.from({ length: 7 }, (_, i) => code.replaceAll("src/format.ts", `src/f${i}.ts`).replace("toFixed(2)", `toFixed(2) + "${"x".repeat(3000)}"`)).join("");

  it("follows the model's context: the answer's tokens and the prompt's other text leave the rest to the diff, at ~2.5 characters a token", () => {
    expect(commitDiffBudget(262_144, 256)).toBe(MAX_DIFF_CHARS);
    const small = commitDiffBudget(8192, 256);
    expect(small).toBeLessThan((8192 - 256) * 2.5);
    expect(small).toBeGreaterThan((8192 - 256) * 2.5 - 3000);
    // more answer, recent subjects: less diff
    expect(commitDiffBudget(8192, 1024)).toBe(small - 768 * 2.5);
    expect(commitDiffBudget(8192, 256, ["feat: a subject of the repository's history"])).toBeLessThan(small);
    expect(commitDiffBudget(1024, 1024)).toBe(0);
    // standing instructions take the context's room, not the diff's cap: on a large context a diff that fit still does
    expect(commitDiffBudget(32_768, 256, [], 10_000)).toBe(MAX_DIFF_CHARS);
    expect(commitDiffBudget(8192, 256, [], 4000)).toBe(small - 4000);
  });

  it("a small budget shows the files that fit and names the others, the whole prompt within ~2.5 characters a token of the context", () => {
    const budget = commitDiffBudget(4096, 256);
    const p = buildCommitPrompt(many, [], budget);
    const left = p.omitted.filter((o) => o.reason === "budget").map((o) => o.path);
    expect(left.length).toBeGreaterThan(0);
    expect(left.length).toBeLessThan(7);
    const chars = p.messages.reduce((n, m) => n + (m.content as string).length, 0);
    expect(chars).toBeLessThan((4096 - 256) * 2.5);
    expect(p.messages[1].content).toContain(`Also changed (not shown): ${left.join(", ")}`);
    // the default (no context given) is the 24K-character ceiling: all 7 files (~21K characters) go
    expect(buildCommitPrompt(many).omitted).toEqual([]);
  });

  it("names the files left out only up to a length, so a huge commit's list cannot outgrow the context", () => {
    const huge = Array.from({ length: 300 }, (_, i) => code.replaceAll("src/format.ts", `src/some/deeper/folder/file-${i}.ts`)).join("");
    const p = buildCommitPrompt(huge, [], 2000);
    const user = p.messages[1].content as string;
    const list = /Also changed \(not shown\): (.*)/.exec(user)![1];
    expect(list.length).toBeLessThanOrEqual(1000);
    expect(list).toMatch(/, and \d+ more$/);
  });
});

describe("commit message from the answer", () => {
  it("takes the message out of a fence, a preamble or quotes, and trims its lines", () => {
    expect(extractCommitMessage("```\nFix rounding of totals   \n\nCents were shown as whole units.\n```")).toBe("Fix rounding of totals\n\nCents were shown as whole units.");
    expect(extractCommitMessage("Commit message:\nAdd coupons to the cart")).toBe("Add coupons to the cart");
    expect(extractCommitMessage('"Add coupons to the cart"')).toBe("Add coupons to the cart");
    expect(extractCommitMessage("Add a\n\n\n\nbody")).toBe("Add a\n\nbody");
  });
});
