/**
 * The chat's slash commands, the pure parts: which text is a command, what the `/` menu offers, the
 * instruction each command asks, the test framework and test files `/tests` finds, and the code around
 * the cursor a command takes without a selection.
 */
import { describe, expect, it } from "vitest";
import { CHAT_COMMANDS, commandsFor, parseChatCommand } from "../../src/chat/commands";
import { commandPrompt, docInstruction, docStyle, MAX_QUOTED_PROBLEMS } from "../../src/chat/commandPrompt";
import { commentStart, symbolAt, symbolNamed, type SymbolNode } from "../../src/chat/symbols";
import { detectTestFramework, isTestFile, nearestPath, newTestPath, testFileGlobs, testsThisFile } from "../../src/chat/testFramework";

describe("parseChatCommand", () => {
  it("reads a known command at the start, with the rest as the developer's words", () => {
    expect(parseChatCommand("/explain")).toMatchObject({ command: { name: "explain" }, rest: "" });
    expect(parseChatCommand("  /FIX   the off-by-one  ")).toMatchObject({ command: { name: "fix" }, rest: "the off-by-one" });
    expect(parseChatCommand("/tests\nwith mocks")).toMatchObject({ command: { name: "tests" }, rest: "with mocks" });
  });

  it("leaves any other text alone: unknown names, paths, a command later in the text", () => {
    expect(parseChatCommand("/usr/bin/env is missing")).toBeUndefined();
    expect(parseChatCommand("/explained")).toBeUndefined();
    expect(parseChatCommand("/unknown thing")).toBeUndefined();
    expect(parseChatCommand("please /explain")).toBeUndefined();
    expect(parseChatCommand("")).toBeUndefined();
  });
});

describe("commandsFor (the / menu)", () => {
  it("offers every command for a bare slash and narrows as the name is typed", () => {
    expect(commandsFor("/").map((c) => c.name)).toEqual(CHAT_COMMANDS.map((c) => c.name));
    expect(commandsFor("/e").map((c) => c.name)).toEqual(["explain"]);
    expect(commandsFor("/r").map((c) => c.name)).toEqual(["review"]);
    expect(commandsFor("/T").map((c) => c.name)).toEqual(["tests"]);
    expect(commandsFor("/explain").map((c) => c.name)).toEqual(["explain"]);
  });

  it("closes once a space, a non-command or other text is typed", () => {
    expect(commandsFor("/explain ")).toEqual([]);
    expect(commandsFor("/x")).toEqual([]);
    expect(commandsFor("hello /")).toEqual([]);
    expect(commandsFor("")).toEqual([]);
  });
});

describe("commandPrompt", () => {
  const facts = { languageId: "typescript", path: "src/orders.ts" };

  it("/explain asks for purpose, steps and pitfalls of the attached code, with the developer's words", () => {
    const p = commandPrompt("explain", "why the loop?", facts);
    expect(p).toMatch(/^Explain the code above \(`src\/orders\.ts`\)/);
    expect(p).toMatch(/edge cases/);
    expect(p.endsWith("The developer adds: why the loop?")).toBe(true);
    expect(commandPrompt("explain", "  ", facts)).not.toMatch(/developer adds/);
  });

  it("/fix quotes the problems the editor reports, line by line, and asks for whole functions", () => {
    const p = commandPrompt("fix", "", {
      ...facts,
      problems: [
        { line: 12, severity: "error", message: "Type 'string' is not\n  assignable to type 'number'.", source: "ts", code: "2322" },
        { line: 14, severity: "warning", message: "'x' is never read." },
      ],
    });
    expect(p).toContain("Fix the problems the editor reports in the code above (`src/orders.ts`):");
    expect(p).toContain("- line 12, error (ts 2322): Type 'string' is not assignable to type 'number'.");
    expect(p).toContain("- line 14, warning: 'x' is never read.");
    expect(p).toMatch(/written out in full/);
  });

  it("/fix without reported problems asks to look for bugs, and caps a long list", () => {
    expect(commandPrompt("fix", "", { ...facts, problems: [] })).toMatch(/reports no problems in it/);
    // (not known, the file not open or the code another notebook cell's: no claim that there are none)
    expect(commandPrompt("fix", "", facts)).toMatch(/^Find the bugs in the code above .* and fix them: logic errors/m);
    expect(commandPrompt("fix", "", facts)).not.toMatch(/reports no problems/);
    const many = Array.from({ length: 14 }, (_, i) => ({ line: i + 1, severity: "error" as const, message: `bad ${i}` }));
    const p = commandPrompt("fix", "", { ...facts, problems: many });
    expect(p.match(/^- line /gm)).toHaveLength(MAX_QUOTED_PROBLEMS);
    expect(p).toContain(`(and ${14 - MAX_QUOTED_PROBLEMS} more)`);
  });

  it("/review asks for bugs, security and clarity, most important first, with the problems already reported", () => {
    const p = commandPrompt("review", "focus on errors", { ...facts, problems: [{ line: 3, severity: "warning", message: "unused x", source: "eslint" }] });
    expect(p).toMatch(/^Review the code above \(`src\/orders\.ts`\)/);
    expect(p).toContain("security problems");
    expect(p).toContain("- line 3, warning (eslint): unused x");
    expect(p.endsWith("The developer adds: focus on errors")).toBe(true);
    expect(commandPrompt("review", "", facts)).not.toContain("already reports");
  });

  it("/tests names the framework and where it was read, and the file to write or the tests to add to", () => {
    const fresh = commandPrompt("tests", "", { ...facts, framework: { name: "Vitest", from: "package.json" }, exampleTests: "test/unit/format.test.ts", testPath: "test/unit/orders.test.ts" });
    expect(fresh).toContain("with Vitest (the project's framework, from its package.json)");
    expect(fresh).toContain("Follow the style of the project's tests in `test/unit/format.test.ts`");
    expect(fresh).toContain("Write the whole test file `test/unit/orders.test.ts` in one code block");
    const more = commandPrompt("tests", "", { ...facts, framework: { name: "Vitest", from: "package.json" }, existingTests: "src/orders.test.ts" });
    expect(more).toContain("`src/orders.test.ts` (above) already tests this code: write only the new test cases");
    expect(more).not.toContain("Write the whole test file");
    expect(commandPrompt("tests", "", facts)).toContain("with the project's usual test framework");
  });

  it("/doc and Add Documentation use the language's documentation style", () => {
    expect(commandPrompt("doc", "", facts)).toContain("TSDoc");
    expect(commandPrompt("doc", "", { ...facts, languageId: "python" })).toContain("docstrings (PEP 257");
    expect(docInstruction("rust")).toContain("rustdoc");
    expect(docInstruction("go")).toContain("Keep the code itself exactly as it is.");
    expect(docStyle("cobol")).toBe("the language's usual documentation-comment style");
  });
});

describe("detectTestFramework", () => {
  const pkg = (...o: object[]) => ({ "package.json": o.map((x) => JSON.stringify(x)) });

  it("reads a JavaScript project's framework from a config file, its dependencies, then its test script", () => {
    expect(detectTestFramework("typescript", pkg({ devDependencies: { vitest: "^3", jest: "^29" } }))).toEqual({ name: "Vitest", from: "package.json" });
    expect(detectTestFramework("javascript", pkg({ devDependencies: { "ts-jest": "^29" } }))).toEqual({ name: "Jest", from: "package.json" });
    expect(detectTestFramework("javascriptreact", pkg({ dependencies: { "react-scripts": "5" } }))).toEqual({ name: "Jest", from: "package.json" });
    expect(detectTestFramework("typescriptreact", pkg({ scripts: { test: "mocha -r ts-node/register" } }))).toEqual({ name: "Mocha", from: "package.json" });
    expect(detectTestFramework("javascript", pkg({ scripts: { test: "node --test test/" } }))?.name).toMatch(/node:test/);
    expect(detectTestFramework("typescript", { ...pkg({ name: "x" }), "jest.config.ts": ["export default {}"] })).toEqual({ name: "Jest", from: "jest.config.ts" });
    // A monorepo's package with the runner in the root package.json (further up).
    expect(detectTestFramework("typescript", pkg({ name: "@acme/api" }, { devDependencies: { vitest: "^3" } }))).toEqual({ name: "Vitest", from: "package.json" });
    // Nothing says: no guess.
    expect(detectTestFramework("typescript", pkg({ name: "x", scripts: { test: "echo no tests" } }))).toBeUndefined();
    expect(detectTestFramework("typescript", { "package.json": ["{ not json"] })).toBeUndefined();
    expect(detectTestFramework("typescript", {})).toBeUndefined();
  });

  it("tells pytest from unittest in Python", () => {
    expect(detectTestFramework("python", { "pyproject.toml": ["[tool.pytest.ini_options]\naddopts = '-q'"] })).toEqual({ name: "pytest", from: "pyproject.toml" });
    expect(detectTestFramework("python", { "requirements-dev.txt": ["pytest==8.2\nruff"] })).toEqual({ name: "pytest", from: "requirements-dev.txt" });
    expect(detectTestFramework("python", { "tests/conftest.py": [""] })).toEqual({ name: "pytest", from: "tests/conftest.py" });
    expect(detectTestFramework("python", { "requirements.txt": ["flask"] })?.name).toMatch(/^unittest/);
    expect(detectTestFramework("python", {})).toBeUndefined();
  });

  it("knows JUnit 4 from 5, and the built-in runners of Go and Rust", () => {
    expect(detectTestFramework("java", { "pom.xml": ["<artifactId>junit-jupiter</artifactId>"] })).toEqual({ name: "JUnit 5", from: "pom.xml" });
    expect(detectTestFramework("java", { "build.gradle": ["testImplementation 'junit:junit:4.13.2'"] })).toEqual({ name: "JUnit 4", from: "build.gradle" });
    expect(detectTestFramework("go", {})?.name).toMatch(/testing package/);
    expect(detectTestFramework("rust", {})?.name).toMatch(/cfg\(test\)/);
    expect(detectTestFramework("markdown", {})).toBeUndefined();
  });
});

describe("test files", () => {
  it("globs for a file's own tests and for any test of its language", () => {
    expect(testFileGlobs("src/orders.ts", "typescript")).toEqual({ same: "**/orders.{test,spec}.{ts,tsx,js,jsx,mts,mjs,cts,cjs}", any: "**/*.{test,spec}.{ts,tsx,js,jsx,mts,mjs,cts,cjs}" });
    expect(testFileGlobs("app/models.py", "python")?.same).toBe("**/{test_models,models_test}.py");
    expect(testFileGlobs("pkg/Order.java", "java")?.same).toBe("**/Order{Test,Tests}.java");
    expect(testFileGlobs("src/a[1].ts", "typescript")?.same).toMatch(/^\*\*\/a\[\[\]1\[\]\]\./);
    expect(testFileGlobs("src/orders.test.ts", "typescript")).toBeUndefined();
    expect(testFileGlobs("README.md", "markdown")).toBeUndefined();
  });

  it("recognises test files by their names", () => {
    for (const f of ["a.test.ts", "b.spec.jsx", "test_c.py", "d_test.go", "ETest.java", "f_spec.rb"]) expect(isTestFile(`x/${f}`), f).toBe(true);
    for (const f of ["a.ts", "testing.py", "contest.go", "Tester.java"]) expect(isTestFile(`x/${f}`), f).toBe(false);
  });

  it("takes a same-named test as the file's own only when it sits with the file or imports it", () => {
    expect(testsThisFile("src/a/utils.test.ts", "", "src/a/utils.ts")).toBe(true);
    expect(testsThisFile("src/a/__tests__/utils.test.ts", "", "src/a/utils.ts")).toBe(true);
    expect(testsThisFile("src/b/utils.test.ts", 'import { x } from "./utils";', "src/a/utils.ts")).toBe(false);
    expect(testsThisFile("test/unit/utils.test.ts", 'import { x } from "../../src/a/utils.js";', "src/a/utils.ts")).toBe(true);
    expect(testsThisFile("test/unit/utils.test.ts", 'import { x } from "../../src/b/utils";', "src/a/utils.ts")).toBe(false);
    expect(testsThisFile("test/index.test.ts", 'const m = require("../lib")', "lib/index.js")).toBe(true);
    expect(testsThisFile("tests/test_models.py", "from app.models import Order\n", "app/models.py")).toBe(true);
    expect(testsThisFile("tests/test_models.py", "from shop.models import Order\n", "app/models.py")).toBe(false);
    expect(testsThisFile("tests/test_models.py", "import models\n", "models.py")).toBe(true);
  });

  it("picks the test nearest to the file", () => {
    expect(nearestPath("src/billing/orders.ts", ["test/orders.test.ts", "src/billing/orders.test.ts", "src/orders.test.ts"])).toBe("src/billing/orders.test.ts");
    expect(nearestPath("src/orders.ts", ["test/unit/b.test.ts", "test/a.test.ts"])).toBe("test/a.test.ts");
    expect(nearestPath("src/orders.ts", [])).toBeUndefined();
  });

  it("puts new tests beside the project's tests, named as they are, else beside the file", () => {
    expect(newTestPath("src/orders.ts", "typescript", "test/unit/format.test.ts")).toBe("test/unit/orders.test.ts");
    expect(newTestPath("src/orders.ts", "typescript", "src/format.spec.ts")).toBe("src/orders.spec.ts");
    expect(newTestPath("src/orders.ts", "typescript")).toBe("src/orders.test.ts");
    expect(newTestPath("app/models.py", "python", "tests/test_views.py")).toBe("tests/test_models.py");
    expect(newTestPath("app/models.py", "python", "app/views_test.py")).toBe("app/models_test.py");
    expect(newTestPath("pkg/orders.go", "go", "other/x_test.go")).toBe("pkg/orders_test.go");
    expect(newTestPath("src/main/java/Order.java", "java", "src/test/java/ItemTests.java")).toBe("src/test/java/OrderTests.java");
  });
});

describe("symbolAt", () => {
  const sym = (name: string, kind: number, start: number, end: number, children: SymbolNode[] = []): SymbolNode => ({ name, kind, range: { start: { line: start }, end: { line: end } }, children });
  const tree = [
    sym("LIMIT", 13, 0, 0),
    sym("Orders", 4, 2, 20, [sym("total", 5, 4, 8), sym("count", 6, 10, 10)]),
    sym("handler", 13, 22, 26),
    sym("main", 11, 28, 30),
  ];

  it("is the innermost function, method or class around the line", () => {
    expect(symbolAt(tree, 5)?.name).toBe("total");
    expect(symbolAt(tree, 10)?.name).toBe("Orders"); // a property is not a block: its class is
    expect(symbolAt(tree, 29)?.name).toBe("main");
  });

  it("takes a constant over several lines (an arrow function) but not a one-line one", () => {
    expect(symbolAt(tree, 24)?.name).toBe("handler");
    expect(symbolAt(tree, 0)).toBeUndefined();
    expect(symbolAt(tree, 21)).toBeUndefined();
  });
});

describe("commentStart", () => {
  const at = (src: string) => (n: number) => src.split("\n")[n];

  it("takes a doc comment block or comment lines right above the declaration", () => {
    const ts = "import x;\n\n/**\n * Sums.\n * @param xs numbers\n */\nexport function total() {}\n";
    expect(commentStart(at(ts), 6)).toBe(2);
    const rust = "use x;\n/// Sums.\n/// More.\nfn total() {}\n";
    expect(commentStart(at(rust), 3)).toBe(1);
    const py = "import os\n# Sums the order.\ndef total():\n    pass\n";
    expect(commentStart(at(py), 2)).toBe(1);
  });

  it("stops at code or a blank line, and leaves a shebang or a Rust attribute alone", () => {
    const ts = "const a = 1;\nexport function total() {}\n";
    expect(commentStart(at(ts), 1)).toBe(1);
    const gap = "// about the file\n\nfunction f() {}\n";
    expect(commentStart(at(gap), 2)).toBe(2);
    expect(commentStart(at("#!/usr/bin/env python\ndef f(): pass\n"), 1)).toBe(1);
    expect(commentStart(at("#[test]\nfn f() {}\n"), 1)).toBe(1);
    expect(commentStart(at("fn f() {}\n"), 0)).toBe(0);
  });
});

describe("symbolNamed", () => {
  const node = (name: string, kind: number, start: number, end: number, children: SymbolNode[] = []): SymbolNode => ({ name, kind, range: { start: { line: start }, end: { line: end } }, children });
  const tree = [
    node("Cache", 4, 0, 20, [node("get", 5, 2, 5), node("set", 5, 7, 12)]),
    node("get", 11, 30, 34),
    node("LIMIT", 13, 40, 40),
  ];
  it("finds a workspace symbol's code by its name nearest its line, whatever the language server calls it", () => {
    expect(symbolNamed(tree, "Cache.get", 2)?.range.start.line).toBe(2);
    expect(symbolNamed(tree, "get()", 31)?.range.start.line).toBe(30);
    expect(symbolNamed(tree, "Cache", 0)?.range.end.line).toBe(20);
    expect(symbolNamed(tree, "LIMIT", 40)).toBeUndefined(); // (a one-line constant is not code to pick)
    expect(symbolNamed(tree, "missing", 0)).toBeUndefined();
  });
});
