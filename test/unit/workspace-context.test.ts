import { describe, expect, it } from "vitest";
import { withoutTailOf } from "../../server/workspace/context";

const c = (path: string, n = 0) => ({ path, text: `${path}#${n}` });

describe("workspace prefix for a completion in a file", () => {
  const chunks = [c("old.ts"), c("old.ts", 1), c("mid.ts"), c("edited.ts"), c("edited.ts", 1)];

  it("leaves out the file's chunks when they are the tail (the file edited last)", () => {
    expect(withoutTailOf(chunks, "edited.ts")).toEqual(chunks.slice(0, 3));
  });

  it("keeps an older file's chunks: cutting the middle would re-evaluate everything after it", () => {
    expect(withoutTailOf(chunks, "old.ts")).toBe(chunks);
    expect(withoutTailOf(chunks, "mid.ts")).toBe(chunks);
  });

  it("keeps everything without a file, or for a file not in the prefix", () => {
    expect(withoutTailOf(chunks, undefined)).toBe(chunks);
    expect(withoutTailOf(chunks, "new.ts")).toBe(chunks);
  });
});
