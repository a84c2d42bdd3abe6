import { describe, expect, it } from "vitest";
import { LlamaVscodeContext, chunkSimilarity } from "../../bench/lib/baseline";
import { layoutCompletionPrompt } from "../../server/completion/layout";

/** A file of n distinct numbered lines ("<tag> line i"). */
const file = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `${tag} line ${i}`).join("\n") + "\n";
const offsetOfLine = (text: string, line: number) => text.split("\n").slice(0, line).join("\n").length + (line > 0 ? 1 : 0);

describe("llama.vscode baseline: windows", () => {
  it("keeps 256 lines before the cursor line and 64 after it", () => {
    const ctx = new LlamaVscodeContext();
    const text = file("a", 1000);
    const offset = offsetOfLine(text, 500) + 3; // inside line 500
    const inp = ctx.input("src/a.ts", text, offset, "typescript");
    expect(inp.filePath).toBe("src/a.ts");
    expect(inp.languageId).toBe("typescript");
    const pre = inp.prefix.split("\n");
    expect(pre).toHaveLength(257);
    expect(pre[0]).toBe("a line 244");
    expect(pre.at(-1)).toBe("a l"); // the cursor line up to the cursor
    const suf = inp.suffix.split("\n");
    expect(suf).toHaveLength(65);
    expect(suf[0]).toBe("ine 500");
    expect(suf.at(-1)).toBe("a line 564");
    expect(text.slice(0, offset).endsWith(inp.prefix)).toBe(true);
    expect(text.slice(offset).startsWith(inp.suffix)).toBe(true);
  });

  it("keeps everything near the start and end of a file", () => {
    const ctx = new LlamaVscodeContext();
    const text = file("a", 20);
    const offset = offsetOfLine(text, 10);
    const inp = ctx.input("a.ts", text, offset, "typescript");
    expect(inp.prefix + inp.suffix).toBe(text);
    expect(inp.workspaceChunks).toEqual([]);
  });
});

describe("llama.vscode baseline: ring", () => {
  it("queues picks and moves them into a FIFO ring of 16", () => {
    const ctx = new LlamaVscodeContext({ seed: 7 });
    for (let i = 0; i < 20; i++) {
      ctx.onOpen(`f${i}.ts`, file(`f${i}`, 10), 5); // also picks around the cursor of the file left (duplicate: skipped)
      const ringBefore = ctx.ring.length;
      expect(ctx.queue.map((c) => c.path)).toEqual([`f${i}.ts`]); // queued, not in the ring yet
      ctx.flushQueue();
      expect(ctx.ring.length).toBe(Math.min(16, ringBefore + 1));
    }
    expect(ctx.ring).toHaveLength(16);
    expect(ctx.ring.map((c) => c.path)).toEqual(Array.from({ length: 16 }, (_, i) => `f${i + 4}.ts`));
    const inp = ctx.input("f19.ts", file("f19", 10), 0, "typescript");
    expect(inp.workspaceChunks!.map((c) => c.path)).toEqual(ctx.ring.map((c) => c.path));
    // like VS Code lineAt(): the empty line after the final newline is part of the chunk
    expect(inp.workspaceChunks![0].text).toBe(file("f4", 10) + "\n");
  });

  it("keeps at most 16 queued chunks, dropping the oldest", () => {
    const ctx = new LlamaVscodeContext();
    for (let i = 0; i < 20; i++) ctx.onSave(`s${i}.ts`, file(`s${i}`, 10));
    expect(ctx.queue).toHaveLength(16);
    expect(ctx.queue[0].path).toBe("s4.ts");
    expect(ctx.ringUpdate()).toBe(true);
    expect(ctx.ring.map((c) => c.path)).toEqual(["s4.ts"]);
  });

  it("cuts long picks to 32-line pieces and ignores tiny ones", () => {
    const ctx = new LlamaVscodeContext({ immediate: true });
    ctx.onSave("big.ts", file("big", 500));
    ctx.onSave("tiny.ts", "one\ntwo");
    expect(ctx.ring).toHaveLength(1);
    expect(ctx.ring[0].lines).toHaveLength(32);
    expect(file("big", 500)).toContain(ctx.ring[0].text);
  });

  it("drops exact duplicates and evicts chunks more than 90% similar", () => {
    const ctx = new LlamaVscodeContext({ immediate: true });
    const v1 = file("x", 40);
    ctx.onOpen("x.ts", v1, 20);
    expect(ctx.ring).toHaveLength(1);
    ctx.onSave("x.ts", v1); // same chunk again: dropped
    expect(ctx.ring).toHaveLength(1);
    expect(ctx.evictions).toBe(0);

    // one line changed out of 40: Jaccard 39/41 > 0.9 -> replaces the old chunk
    const v2 = v1.replace("x line 7\n", "x line 7 edited\n");
    ctx.onSave("x.ts", v2);
    expect(ctx.ring).toHaveLength(1);
    expect(ctx.evictions).toBe(1);
    expect(ctx.ring[0].text).toContain("x line 7 edited");

    // a different file is kept beside it
    ctx.onOpen("y.ts", file("y", 40), 0);
    expect(ctx.ring.map((c) => c.path)).toEqual(["x.ts", "y.ts"]);
  });

  it("similarity is the Jaccard index of line sets", () => {
    expect(chunkSimilarity(["a", "b", "c"], ["a", "b", "c"])).toBe(1);
    expect(chunkSimilarity(["a", "b"], ["b", "c"])).toBeCloseTo(1 / 3, 10);
    expect(chunkSimilarity([], [])).toBe(1);
    expect(chunkSimilarity(["a"], [])).toBe(0);
  });

  it("picks beyond the windows after the cursor moved more than 32 lines", () => {
    const ctx = new LlamaVscodeContext({ immediate: true, seed: 1 });
    const text = file("e", 2000);
    ctx.onEdit("e.ts", text, 1000);
    expect(ctx.ring).toHaveLength(2);
    const [before, after] = ctx.ring;
    const lineNo = (s: string) => Number(/e line (\d+)/.exec(s)![1]);
    expect(lineNo(before.lines[0])).toBeGreaterThanOrEqual(1000 - 1024);
    expect(lineNo(before.lines.at(-1)!)).toBeLessThanOrEqual(1000 - 256);
    expect(lineNo(after.lines[0])).toBeGreaterThanOrEqual(1000 + 64);
    ctx.onEdit("e.ts", text, 1010); // moved 10 lines: no new pick
    expect(ctx.ring).toHaveLength(2);
    ctx.onEdit("e.ts", text, 1100);
    expect(ctx.ring).toHaveLength(4);
  });

  it("is deterministic for a seed and renders through the shared prompt layout", () => {
    const run = (seed: number) => {
      const ctx = new LlamaVscodeContext({ seed, immediate: true });
      ctx.onSave("big.ts", file("big", 500));
      return ctx.ring[0].text;
    };
    expect(run(5)).toBe(run(5));
    const ctx = new LlamaVscodeContext({ immediate: true });
    ctx.onOpen("lib.ts", file("lib", 30), 3);
    const text = "export const a = 1;\nexport const b = ";
    const prompt = layoutCompletionPrompt(ctx.input("main.ts", text, text.length, "typescript"));
    expect(JSON.stringify(prompt)).toContain("lib line 3");
  });
});
