import { describe, expect, it } from "vitest";
import {
  GEMMA4_MESSAGE_DELIMITERS,
  HOLE_MARKER,
  LAYOUT_VERSION,
  escapeSpecialTokens,
  fenceFor,
  layoutCompletionPrompt,
  prefillFor,
  windowAroundCursor,
  workspacePrefixPrompt,
  type CompletionInput,
  type FimTokens,
} from "../../server/completion/layout";

const QWEN_FIM: FimTokens = {
  prefix: "<|fim_prefix|>",
  suffix: "<|fim_suffix|>",
  middle: "<|fim_middle|>",
  fileSeparator: "<|file_sep|>",
};

function baseInput(overrides: Partial<CompletionInput> = {}): CompletionInput {
  return {
    filePath: "src/cart.ts",
    languageId: "typescript",
    prefix: 'import { Item } from "./item";\n\nexport function total(items: Item[]): number {\n  const sum = ',
    suffix: ";\n  return sum;\n}\n",
    workspaceChunks: [
      { path: "src/item.ts", text: "export interface Item {\n  price: number;\n  qty: number;\n}\n" },
      { path: "src/money.ts", text: "export const round = (x: number) => Math.round(x * 100) / 100;\n" },
    ],
    recentChunks: [{ path: "src/tax.ts", text: "export const TAX_RATE = 0.2;\n" }],
    ...overrides,
  };
}

const stable = (p: { prompt: string; volatileStart: number }) => p.prompt.slice(0, p.volatileStart);

describe("layoutCompletionPrompt: gemma-turns", () => {
  it("uses gemma-turns without FIM tokens and never emits <bos> (the tokenizer adds it)", () => {
    const p = layoutCompletionPrompt(baseInput());
    expect(p.mode).toBe("gemma-turns");
    expect(p.prompt.startsWith("<|turn>system\n")).toBe(true);
    expect(p.prompt).not.toContain("<bos>");
  });

  it("keeps the stable part byte-identical when only the cursor, suffix, file or recent chunks change", () => {
    const a = layoutCompletionPrompt(baseInput());
    const variants = [
      baseInput({ prefix: baseInput().prefix + "items.reduce(" }),
      baseInput({ suffix: "\n}\n" }),
      baseInput({ recentChunks: [{ path: "src/other.ts", text: "let y = 2;" }] }),
      baseInput({ recentChunks: [] }),
      baseInput({ filePath: "src/elsewhere.py", languageId: "python", prefix: "def f():\n    ", suffix: "" }),
    ];
    for (const v of variants) {
      const b = layoutCompletionPrompt(v);
      expect(b.volatileStart).toBe(a.volatileStart);
      expect(stable(b)).toBe(stable(a));
    }
  });

  it("starts every section (each workspace chunk, recent snippets, current file) at a <|turn>user boundary", () => {
    const p = layoutCompletionPrompt(baseInput());
    expect(p.prompt.startsWith("<|turn>user\n", p.volatileStart)).toBe(true);
    const userTurns = [...p.prompt.matchAll(/<\|turn>user\n/g)].map((m) => m.index!);
    // 2 workspace chunks + 1 recent turn + 1 current-file turn
    expect(userTurns).toHaveLength(4);
    expect(p.prompt.slice(userTurns[0])).toMatch(/^<\|turn>user\nWorkspace file: src\/item\.ts\n/);
    expect(p.prompt.slice(userTurns[1])).toMatch(/^<\|turn>user\nWorkspace file: src\/money\.ts\n/);
    expect(userTurns[2]).toBe(p.volatileStart);
    expect(p.prompt.slice(userTurns[3])).toMatch(/^<\|turn>user\nFile being edited: src\/cart\.ts\n/);
    // each turn is closed before the next one opens
    for (const at of userTurns.slice(1)) expect(p.prompt.slice(at - "<turn|>\n".length, at)).toBe("<turn|>\n");
    // the delimiters the engine must send match what the layout emits
    expect(GEMMA4_MESSAGE_DELIMITERS.find((d) => d.role === "user")!.delimiter).toBe("<|turn>user");
  });

  it("keeps workspace chunks first, in the given order, with their paths", () => {
    const p = layoutCompletionPrompt(baseInput());
    const s = stable(p);
    expect(s).toContain("src/item.ts");
    expect(s).toContain("src/money.ts");
    expect(s.indexOf("export interface Item")).toBeLessThan(s.indexOf("export const round"));
    expect(p.prompt.indexOf("src/tax.ts")).toBeGreaterThan(p.volatileStart);
    expect(p.prompt.indexOf("TAX_RATE")).toBeGreaterThan(p.volatileStart);
  });

  it("puts no volatile text before the workspace chunks", () => {
    const input = baseInput({
      filePath: "src/VOLATILE_PATH.ts",
      prefix: "const VOLATILE_PREFIX = ",
      suffix: "VOLATILE_SUFFIX;\n",
      recentChunks: [{ path: "src/VOLATILE_RECENT.ts", text: "VOLATILE_RECENT_TEXT" }],
    });
    const p = layoutCompletionPrompt(input);
    const s = stable(p);
    for (const marker of ["VOLATILE_PATH", "VOLATILE_PREFIX", "VOLATILE_SUFFIX", "VOLATILE_RECENT", "File being edited"]) {
      expect(s).not.toContain(marker);
    }
    // stable part = system turn + workspace chunk turns, and nothing else
    expect(s.endsWith("<turn|>\n")).toBe(true);
  });

  it("workspacePrefixPrompt renders exactly the stable part (one source of truth for completions and chat)", () => {
    for (const input of [baseInput(), baseInput({ workspaceChunks: [] }), baseInput({ workspaceChunks: undefined })]) {
      expect(workspacePrefixPrompt(input.workspaceChunks ?? [])).toBe(stable(layoutCompletionPrompt(input)));
    }
    // more chunks only append turns, so a prefix of chunks renders a prefix of the prompt
    const chunks = baseInput().workspaceChunks!;
    expect(workspacePrefixPrompt(chunks).startsWith(workspacePrefixPrompt(chunks.slice(0, 1)))).toBe(true);
    // bump when the stable text changes: saved engine caches are keyed by it
    expect(LAYOUT_VERSION).toBe(2);
  });

  it("keeps the system turn task-neutral and puts the completion rules in the current-file turn", () => {
    const p = layoutCompletionPrompt(baseInput());
    const s = stable(p);
    const system = s.slice(0, s.indexOf("<turn|>\n"));
    expect(system).toMatch(/^<\|turn>system\nThe user shares reference files from their workspace/);
    for (const completionOnly of ["completion", "cursor", HOLE_MARKER, "code block"]) expect(s).not.toContain(completionOnly);
    const lastUser = p.prompt.slice(p.prompt.lastIndexOf("<|turn>user\n"), p.prompt.lastIndexOf("<|turn>model\n"));
    expect(lastUser).toContain("You are a code completion engine. Reply with exactly one fenced code block and nothing else");
    expect(lastUser).toContain(`reproduces src/cart.ts up to ${HOLE_MARKER}`);
    expect(lastUser).toContain("never repeat that code.<turn|>\n");
  });

  it("opens the model turn with an empty thought channel and ends with the prefill up to the cursor", () => {
    const input = baseInput();
    const p = layoutCompletionPrompt(input);
    const modelTurn = "<|turn>model\n<|channel>thought\n<channel|>```typescript\n";
    expect(p.prompt).toContain(modelTurn);
    expect(p.prompt.indexOf(modelTurn)).toBe(p.prompt.lastIndexOf("<|turn>"));
    // the file up to the cursor, trailing space withheld, ending with the current line's text
    expect(p.prompt.endsWith(modelTurn + input.prefix.trimEnd())).toBe(true);
    expect(p.prompt.endsWith("\n  const sum =")).toBe(true);
    expect(p.prompt).not.toContain("<|think|>");
  });

  it("shows the code after the cursor, starting at the hole marker, before the model turn", () => {
    const p = layoutCompletionPrompt(baseInput());
    const shown = "```typescript\n" + HOLE_MARKER + ";\n  return sum;\n}\n```\n";
    expect(p.prompt).toContain(shown);
    expect(p.prompt.indexOf(shown)).toBeLessThan(p.prompt.lastIndexOf("<|turn>model"));
    // the prefix is shown once, in the prefill
    expect(p.prompt.split("export function total").length - 1).toBe(1);
    const eof = layoutCompletionPrompt(baseInput({ suffix: "\n\n" }));
    expect(eof.prompt).toContain(`Nothing follows the cursor (${HOLE_MARKER})`);
  });

  it("only appends to the prompt while the user types at the cursor (cache and checkpoint friendly)", () => {
    const base = baseInput();
    const before = layoutCompletionPrompt(base).prompt;
    for (const typed of ["i", "items", "items.reduce((a, b) =>", "items\n", "items;\n  "]) {
      const after = layoutCompletionPrompt({ ...base, prefix: base.prefix + typed }).prompt;
      expect(after.startsWith(before), JSON.stringify(typed)).toBe(true);
    }
  });

  it("lineStart: the cursor's line starts there, after a newline; nothing before it changes while typing on the line", () => {
    for (const fim of [undefined, QWEN_FIM]) {
      const base = baseInput({ prefix: baseInput().prefix + "items.\n  \n\n  return " });
      const a = layoutCompletionPrompt(base, { fim });
      expect(a.prompt[a.lineStart - 1]).toBe("\n");
      expect(a.prompt[a.lineStart]).not.toBe("\n");
      expect(a.lineStart).toBeGreaterThan(a.volatileStart);
      // the text from there is the cursor's line (trailing spaces withheld in gemma-turns), then (FIM) the suffix
      expect(a.prompt.slice(a.lineStart)).toMatch(fim ? /^  return <\|fim_suffix\|>/ : /^  return$/);
      for (const typed of ["x", " + 1", "(a, b) =>"]) {
        const b = layoutCompletionPrompt({ ...base, prefix: base.prefix + typed }, { fim });
        expect(b.lineStart).toBe(a.lineStart);
        expect(b.prompt.slice(0, b.lineStart)).toBe(a.prompt.slice(0, a.lineStart));
      }
      // a new line: the cut moves to its start, past the old line and its newline
      const c = layoutCompletionPrompt({ ...base, prefix: base.prefix + "x;\n  y" }, { fim });
      expect(c.prompt.slice(0, c.lineStart)).toBe(a.prompt.slice(0, a.lineStart) + "  return x;\n");
    }
    // at the start of an empty line: the cut is the prompt's end (gemma-turns); the cursor on the window's
    // first line: the cut is where the window starts (after the opening fence's line)
    const empty = layoutCompletionPrompt(baseInput({ prefix: "a\n\n" }));
    expect(empty.lineStart).toBe(empty.prompt.length);
    const first = layoutCompletionPrompt(baseInput({ prefix: "const a = " }));
    expect(first.prompt.slice(first.lineStart)).toBe("const a =");
    expect(first.prompt[first.lineStart - 1]).toBe("\n");
  });

  it("snaps the prefix window start so new lines do not move it", () => {
    const lines = (n: number) => Array.from({ length: n }, (_, i) => `line${i};`).join("\n") + "\n";
    // 300 complete lines + the cursor line = 301 lines; step = 256 / 8 = 32 → first kept line = 64
    const a = layoutCompletionPrompt(baseInput({ prefix: lines(300) + "x = " })).prompt;
    expect(a).not.toContain("line63;");
    expect(a).toContain("\nline64;");
    // 10 more lines: still within the same step, the window still starts at line 64
    const b = layoutCompletionPrompt(baseInput({ prefix: lines(310) + "x = " })).prompt;
    expect(b).toContain("```typescript\nline64;");
    expect(b.startsWith(a.slice(0, a.lastIndexOf("x =")))).toBe(true);
    // crossing the step moves it by 32 lines
    const c = layoutCompletionPrompt(baseInput({ prefix: lines(330) + "x = " })).prompt;
    expect(c).toContain("```typescript\nline96;");
  });

  it("stops at end of turn, the closing fence and the hole marker", () => {
    const p = layoutCompletionPrompt(baseInput());
    expect(p.stop).toEqual(expect.arrayContaining(["<turn|>", "<|turn>", "\n```", HOLE_MARKER]));
  });

  it("omits the workspace and recent turns when there are none", () => {
    const p = layoutCompletionPrompt(baseInput({ workspaceChunks: undefined, recentChunks: undefined }));
    expect(stable(p)).toMatch(/^<\|turn>system\n[^]*<turn\|>\n$/);
    expect(p.prompt.startsWith("<|turn>user\nFile being edited:", p.volatileStart)).toBe(true);
    expect([...p.prompt.matchAll(/<\|turn>user/g)]).toHaveLength(1);
  });

  it("trims the prefix and suffix to line windows", () => {
    const prefixLines = Array.from({ length: 288 }, (_, i) => `const p${i} = ${i};`);
    const suffixLines = Array.from({ length: 100 }, (_, i) => `const s${i} = ${i};`);
    const input = baseInput({ prefix: prefixLines.join("\n") + "\nconst cur = ", suffix: "\n" + suffixLines.join("\n") });
    const p = layoutCompletionPrompt(input);
    // default: at most 256 prefix lines including the cursor line; 289 lines → first kept line is
    // ceil(33 / 32) * 32 = 64. 64 suffix lines including the rest of the cursor line.
    expect(p.prompt).not.toContain("const p63 = 63;");
    expect(p.prompt).toContain("const p64 = 64;");
    expect(p.prompt).toContain("const s62 = 62;");
    expect(p.prompt).not.toContain("const s63 = 63;");

    const small = layoutCompletionPrompt(input, { maxPrefixLines: 3, maxSuffixLines: 2 });
    const cur = small.prompt.slice(small.volatileStart);
    expect(cur).toContain(HOLE_MARKER + "\nconst s0 = 0;\n```");
    expect(cur.endsWith("```typescript\nconst p286 = 286;\nconst p287 = 287;\nconst cur =")).toBe(true);
    expect(cur).not.toContain("p285");
    expect(cur).not.toContain("s1 ");
  });

  it("windowAroundCursor keeps whole lines and applies character caps", () => {
    expect(windowAroundCursor({ prefix: "a\nb\nc\nd", suffix: "e\nf\ng" }, { maxPrefixLines: 2, maxSuffixLines: 2 })).toEqual({
      prefix: "c\nd",
      suffix: "e\nf",
    });
    const w = windowAroundCursor({ prefix: "x".repeat(50) + "\n" + "y".repeat(10), suffix: "" }, { maxPrefixChars: 20 });
    expect(w.prefix).toBe("y".repeat(10));
    expect(windowAroundCursor({ prefix: "a\r\nb", suffix: "c\r\nd" })).toEqual({ prefix: "a\nb", suffix: "c\nd" });
  });

  it("escapes special-token strings and the hole marker found in file content", () => {
    const p = layoutCompletionPrompt(
      baseInput({
        prefix: 'const END = "<turn|>"; // {{CURSOR}} is our marker\nconst x = ',
        workspaceChunks: [{ path: "a.ts", text: 'const T = "<|turn>user";\n<|image|>' }],
      }),
    );
    const s = stable(p);
    expect(s).not.toContain('"<|turn>user"');
    expect(s).toContain('"<\u200B|turn>user"');
    expect(s).toContain("<\u200B|image|>");
    expect(p.prompt).toContain('"<\u200Bturn|>"');
    expect(p.prompt.split(HOLE_MARKER).length - 1).toBe(
      layoutCompletionPrompt(baseInput()).prompt.split(HOLE_MARKER).length - 1,
    );
    expect(escapeSpecialTokens("<eos><mask>", ["<eos>", "<mask>"])).toBe("<\u200Beos><\u200Bmask>");
  });

  it("chooses a fence longer than any backtick run in the document (at least 4 for markdown)", () => {
    expect(fenceFor("plain")).toBe("```");
    expect(fenceFor("a ``` b")).toBe("````");
    expect(fenceFor("no fences", "markdown")).toBe("````");
    const p = layoutCompletionPrompt(
      baseInput({ languageId: "markdown", filePath: "README.md", prefix: "# Title\n\n```bash\nnpm i\n```\n\n", suffix: "" }),
    );
    expect(p.stop).toContain("\n````");
    expect(p.prompt.endsWith("<channel|>````markdown\n# Title\n\n```bash\nnpm i\n```\n\n")).toBe(true);
  });

  it("prefill is the prefix window with trailing spaces/tabs withheld", () => {
    expect(prefillFor("a\nb\n  if (x) ")).toBe("a\nb\n  if (x)");
    expect(prefillFor("def f():\n    ")).toBe("def f():\n");
    expect(prefillFor("")).toBe("");
  });
});

describe("layoutCompletionPrompt: native-fim", () => {
  it("orders workspace chunks, recent chunks, then prefix/suffix/middle (PSM)", () => {
    const input = baseInput();
    const p = layoutCompletionPrompt(input, { fim: QWEN_FIM });
    expect(p.mode).toBe("native-fim");
    const at = (s: string) => {
      const i = p.prompt.indexOf(s);
      expect(i, s).toBeGreaterThanOrEqual(0);
      return i;
    };
    const order = [
      at("<|file_sep|>src/item.ts\nexport interface Item"),
      at("<|file_sep|>src/money.ts\n"),
      at("<|file_sep|>src/tax.ts\n"),
      at("<|file_sep|>src/cart.ts\n<|fim_prefix|>"),
      at("<|fim_prefix|>import { Item }"),
      at("  const sum = <|fim_suffix|>"),
      at("<|fim_suffix|>;\n  return sum;"),
    ];
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(p.prompt.endsWith("}\n<|fim_middle|>")).toBe(true);
    expect(p.volatileStart).toBe(at("<|file_sep|>src/tax.ts"));
    expect(p.stop).toEqual(expect.arrayContaining(["<|file_sep|>", "<|fim_prefix|>", "<|endoftext|>"]));
  });

  it("keeps the stable part byte-identical across keystrokes", () => {
    const a = layoutCompletionPrompt(baseInput(), { fim: QWEN_FIM });
    expect(workspacePrefixPrompt(baseInput().workspaceChunks!, QWEN_FIM)).toBe(stable(a));
    const b = layoutCompletionPrompt(baseInput({ prefix: "x", suffix: "y", recentChunks: [] }), { fim: QWEN_FIM });
    expect(stable(b)).toBe(stable(a));
    expect(stable(a)).not.toContain("src/cart.ts");
  });

  it("uses comment path headers when the model has no file separator, and escapes FIM tokens in content", () => {
    const p = layoutCompletionPrompt(
      baseInput({
        workspaceChunks: [{ path: "tools/gen.py", text: "print('<fim_middle>')\n" }],
        recentChunks: [],
        prefix: "const s = '<|endoftext|>';\n",
      }),
      { fim: { prefix: "<fim_prefix>", suffix: "<fim_suffix>", middle: "<fim_middle>" } },
    );
    expect(p.prompt.startsWith("# Path: tools/gen.py\nprint('<\u200Bfim_middle>')\n")).toBe(true);
    expect(p.prompt).toContain("<fim_prefix>// Path: src/cart.ts\nconst s = '<\u200B|endoftext|>';\n<fim_suffix>");
    expect(p.prompt.match(/<fim_middle>/g)).toHaveLength(1);
  });
});
