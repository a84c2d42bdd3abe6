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
      ctx.onOpen(`f${i}.ts`, file(`f${i}`, 10), 5); // picks twice around the cursor (a short file: the duplicate is skipped)
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

describe("llama.vscode baseline: upstream request split and suggestion cache", () => {
  const text = file("c", 400);
  const lineStart = offsetOfLine(text, 300);

  it("splits like upstream: 256 lines before, the cursor line's prefix as prompt, its rest + 64 lines after", () => {
    const ctx = new LlamaVscodeContext();
    const req = ctx.request("c.ts", text, lineStart + 4, "typescript");
    expect(req.cursorLine).toBe(300);
    expect(req.prompt).toBe("c li");
    expect(req.lineSuffix).toBe("ne 300");
    expect(req.requested).toBe(true);
    expect(req.inputPrefix.split("\n")).toHaveLength(257); // 256 lines, each ending in "\n"
    expect(req.inputPrefix.startsWith("c line 44\n")).toBe(true);
    expect(req.inputSuffix.startsWith("ne 300\nc line 301\n")).toBe(true);
    expect(req.inputSuffix.endsWith("c line 364\n")).toBe(true);
    expect(req.input.prefix).toBe(req.inputPrefix + req.prompt);
  });

  it("does not request when more than 8 characters follow the cursor, and sends no indentation as prompt", () => {
    const ctx = new LlamaVscodeContext();
    expect(ctx.request("c.ts", text, lineStart, "typescript").requested).toBe(false); // "c line 300" after it
    const indented = "function f() {\n    \n}\n";
    const req = ctx.request("f.ts", indented, indented.indexOf("    ") + 4, "typescript");
    expect(req.requested).toBe(true);
    expect(req.prompt).toBe("");
  });

  it("serves a keystroke from the cache when the typed characters continue a cached suggestion", () => {
    const ctx = new LlamaVscodeContext();
    const doc = "const a = 1;\nconst b = ";
    const req = ctx.request("a.ts", doc, doc.length, "typescript");
    expect(ctx.cached(req)).toBeUndefined();
    expect(ctx.completed(req, "foo(bar);\n\n")).toBe("foo(bar);"); // trailing empty lines dropped
    expect(ctx.cached(ctx.request("a.ts", doc, doc.length, "typescript"))).toBe("foo(bar);"); // same key
    const typed = doc + "fo";
    expect(ctx.cached(ctx.request("a.ts", typed, typed.length, "typescript"))).toBe("o(bar);");
    const other = doc + "x";
    expect(ctx.cached(ctx.request("a.ts", other, other.length, "typescript"))).toBeUndefined();
  });

  it("caches no blank suggestion and picks context only for a shown one", () => {
    const ctx = new LlamaVscodeContext({ immediate: true });
    const big = file("g", 2000);
    const at = offsetOfLine(big, 1000) + 3;
    const req = ctx.request("g.ts", big, at, "typescript");
    expect(ctx.completed(req, "  \n\n")).toBe("");
    expect(ctx.cacheSize).toBe(0);
    expect(ctx.ring).toHaveLength(0); // upstream returns before addFimContextChunks
    ctx.completed(req, "x");
    expect(ctx.cacheSize).toBe(1);
    expect(ctx.ring).toHaveLength(2); // beyond the prefix window and beyond the suffix window
  });

  it("keeps at most max_cache_keys suggestions, least recently used out first", () => {
    const ctx = new LlamaVscodeContext({ maxCacheKeys: 2 });
    const reqs = ["a", "b", "c"].map((k) => ctx.request("k.ts", `${k} = `, 4, "typescript"));
    ctx.completed(reqs[0], "1");
    ctx.completed(reqs[1], "2");
    expect(ctx.cached(reqs[0])).toBe("1"); // refreshes "a"
    ctx.completed(reqs[2], "3"); // evicts "b"
    expect(ctx.cached(reqs[1])).toBeUndefined();
    expect(ctx.cached(reqs[0])).toBe("1");
    expect(ctx.cached(reqs[2])).toBe("3");
  });

  it("renders its whole windows through the shared layout", () => {
    const ctx = new LlamaVscodeContext();
    const big = file("w", 1000);
    const inp = ctx.input("w.ts", big, offsetOfLine(big, 500) + 1, "typescript");
    const { prompt } = layoutCompletionPrompt(inp, ctx.layoutOptions());
    expect(prompt).toContain("w line 244\n"); // first line of the 256-line prefix window
    expect(prompt).not.toContain("w line 243\n");
    expect(prompt).toContain("w line 564"); // last line of the 64-line suffix window
    expect(prompt).not.toContain("w line 565");
  });
});

describe("llama.vscode baseline: ring timer and background requests", () => {
  it("picks two pieces around the new editor's cursor on a switch", () => {
    const ctx = new LlamaVscodeContext({ seed: 3 });
    ctx.onOpen("left.ts", file("left", 200), 100);
    ctx.flushQueue();
    const before = ctx.ring.length;
    ctx.onOpen("new.ts", file("new", 200), 150);
    expect(ctx.queue.length).toBeGreaterThanOrEqual(1);
    expect(ctx.queue.every((c) => c.path === "new.ts")).toBe(true); // nothing from the file left
    const lineNo = (s: string) => Number(/new line (\d+)/.exec(s)![1]);
    for (const c of ctx.queue) {
      expect(c.lines).toHaveLength(32);
      expect(lineNo(c.lines[0])).toBeGreaterThanOrEqual(150 - 32);
      expect(lineNo(c.lines.at(-1)!)).toBeLessThanOrEqual(150 + 32);
    }
    expect(ctx.ring).toHaveLength(before);
  });

  it("moves one queued chunk per 1 s tick, only 3 s after the last completion started", () => {
    const ctx = new LlamaVscodeContext();
    for (let i = 0; i < 4; i++) ctx.onSave(`s${i}.ts`, file(`s${i}`, 10));
    ctx.request("s0.ts", "x", 1, "typescript"); // a completion starts at t = 0
    // typing: a keystroke every 150 ms for 6 s keeps the ring still
    for (let t = 0; t < 40; t++) {
      expect(ctx.advance(150)).toEqual([]);
      ctx.request("s0.ts", "x", 1, "typescript");
    }
    expect(ctx.ring).toHaveLength(0);
    // a pause of 4.5 s: ticks at +1, +2, +3 (too soon), +4 s: one update
    const start = ctx.now;
    let updates = ctx.advance(4500);
    expect(updates).toHaveLength(Math.floor((start + 4500) / 1000) - Math.ceil((start + 3000) / 1000) + 1);
    // a long pause drains the queue, one background request per update, each with the ring after it
    updates = [...updates, ...ctx.advance(60_000)];
    expect(updates.map((r) => r.map((c) => c.path))).toEqual([["s0.ts"], ["s0.ts", "s1.ts"], ["s0.ts", "s1.ts", "s2.ts"], ["s0.ts", "s1.ts", "s2.ts", "s3.ts"]]);
    expect(ctx.queue).toHaveLength(0);
    expect(ctx.advance(60_000)).toEqual([]); // nothing queued: no request
  });

  it("sends the ring with an empty prefix, suffix and prompt in the background request", () => {
    const ctx = new LlamaVscodeContext({ immediate: true });
    ctx.onSave("lib.ts", file("lib", 10));
    const inp = ctx.backgroundInput("main.ts", "typescript");
    expect(inp).toMatchObject({ filePath: "main.ts", prefix: "", suffix: "" });
    expect(inp.workspaceChunks!.map((c) => c.path)).toEqual(["lib.ts"]);
    // its prompt is the head of a real completion's prompt up to the end of the ring
    const full = layoutCompletionPrompt(ctx.input("main.ts", "let x = ", 8, "typescript"), ctx.layoutOptions());
    const bg = layoutCompletionPrompt(inp, ctx.layoutOptions());
    expect(full.prompt.slice(0, full.volatileStart)).toBe(bg.prompt.slice(0, bg.volatileStart));
  });

  it("is deterministic: same seed and events, same ring and updates", () => {
    const run = () => {
      const ctx = new LlamaVscodeContext({ seed: 9 });
      const big = file("d", 3000);
      ctx.onOpen("d.ts", big, 1500);
      ctx.onSave("d.ts", big);
      ctx.completed(ctx.request("d.ts", big, offsetOfLine(big, 2000), "typescript"), "y");
      return ctx.advance(20_000);
    };
    expect(run()).toEqual(run());
  });
});
