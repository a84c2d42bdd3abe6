import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  POSTPROCESS_RULES,
  cursorContext,
  detectIndentStyle,
  postprocessCompletion,
  stripChatLeakage,
  unescapeSpecialTokens,
} from "../../server/completion/postprocess";

interface Fixture {
  name: string;
  languageId: string;
  prefix: string;
  suffix: string;
  raw: string;
  expected: string;
  multiline?: boolean;
}

const fixtureDir = join(dirname(fileURLToPath(import.meta.url)), "../fixtures/completion");
const fixtureFiles = readdirSync(fixtureDir)
  .filter((f) => f.endsWith(".json"))
  .sort();

describe("postprocessCompletion golden fixtures", () => {
  it("has at least 15 fixtures", () => {
    expect(fixtureFiles.length).toBeGreaterThanOrEqual(15);
  });

  for (const file of fixtureFiles) {
    const fx = JSON.parse(readFileSync(join(fixtureDir, file), "utf8")) as Fixture;
    it(`${file}: ${fx.name}`, () => {
      const out = postprocessCompletion(fx.raw, {
        prefix: fx.prefix,
        suffix: fx.suffix,
        languageId: fx.languageId,
        multiline: fx.multiline,
      });
      expect(out).toBe(fx.expected);
    });
  }
});

describe("postprocess details", () => {
  it("composes the named rules in the documented order", () => {
    expect(POSTPROCESS_RULES.map((r) => r.name)).toEqual([
      "stripChatLeakage",
      "stripCodeFences",
      "unescapeSpecialTokens",
      "dropRepeatedPrefix",
      "fixIndentation",
      "keepFirstLineIfSingleLine",
      "stopAtSuffixStart",
      "cutAtClosersHeldBySuffix",
      "dropRepeatedSuffixLines",
      "trimTrailingBlankLines",
      "emptyIfBlank",
    ]);
  });

  it("handles CRLF documents and returns LF text", () => {
    const out = postprocessCompletion("const a = 1;\r\n  return a;\r\n}", {
      prefix: "function f() {\r\n  ",
      suffix: "\r\n}\r\n",
      languageId: "typescript",
    });
    expect(out).toBe("const a = 1;\n  return a;");
  });

  it("drops an unterminated thought channel entirely", () => {
    expect(stripChatLeakage("<|channel>thought\nlet me think")).toBe("");
  });

  it("only removes the layout's escape character after < or {", () => {
    expect(unescapeSpecialTokens("a\u200Bb <\u200B|turn> {\u200B{CURSOR}}")).toBe("a\u200Bb <|turn> {{CURSOR}}");
  });

  it("detects tabs vs spaces and the indentation unit", () => {
    expect(detectIndentStyle("a {\n\tb\n\t\tc\n", "")).toMatchObject({ known: true, useTabs: true });
    expect(detectIndentStyle("a {\n  b\n    c\n  d\n", "")).toEqual({ known: true, useTabs: false, unit: 2 });
    expect(detectIndentStyle("a\nb\n", "").known).toBe(false);
  });

  it("does not treat brackets inside comments and strings of the prefix as open", () => {
    const out = postprocessCompletion("x + 1)", {
      prefix: "// note (see below\nconst s = \"(\";\nfoo(",
      suffix: ")\n",
      languageId: "typescript",
    });
    expect(out).toBe("x + 1");
  });

  it("exposes the cursor line split", () => {
    const ctx = cursorContext({ prefix: "a\n  b = ", suffix: "c;\nd", languageId: "typescript" });
    expect(ctx.linePrefix).toBe("  b = ");
    expect(ctx.lineSuffix).toBe("c;");
    expect(ctx.multiline).toBe(true);
  });
});
