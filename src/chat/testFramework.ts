/**
 * `/tests`: which test framework the project uses, from its manifests, and where its tests for a file would
 * be found or go. Pure (the extension reads the files: ./commandInput.ts), so it is unit-tested.
 *
 * Without this a model writes Jest for a Vitest project, or unittest where pytest is used, and the tests do
 * not run as they are.
 */
import * as path from "node:path";

/**
 * The manifests from the file's folder up to the workspace folder, by name, nearest first (a monorepo's
 * package keeps its test runner in the root package.json).
 */
export type Manifests = Partial<Record<ManifestName, string[]>>;

export const MANIFEST_NAMES = [
  "package.json",
  "vitest.config.ts",
  "vitest.config.mts",
  "vitest.config.js",
  "vitest.config.mjs",
  "jest.config.js",
  "jest.config.ts",
  "jest.config.cjs",
  "jest.config.mjs",
  "jest.config.json",
  ".mocharc.json",
  ".mocharc.yml",
  ".mocharc.js",
  "karma.conf.js",
  "pyproject.toml",
  "setup.cfg",
  "requirements.txt",
  "requirements-dev.txt",
  "pytest.ini",
  "conftest.py",
  "tests/conftest.py",
  "test/conftest.py",
  "tox.ini",
  "go.mod",
  "Cargo.toml",
  "pom.xml",
  "build.gradle",
  "build.gradle.kts",
] as const;
export type ManifestName = (typeof MANIFEST_NAMES)[number];

export interface TestFramework {
  /** As the instruction names it: "Vitest", "pytest", "Go's testing package"… */
  name: string;
  /** Where that was read, for the instruction ("package.json"), or undefined for a language's default. */
  from?: string;
}

const JS_FAMILY = new Set(["typescript", "typescriptreact", "javascript", "javascriptreact"]);

/** The framework for tests of a file in `languageId`, or undefined when the project does not say. */
export function detectTestFramework(languageId: string, manifests: Manifests): TestFramework | undefined {
  if (JS_FAMILY.has(languageId)) return jsFramework(manifests);
  switch (languageId) {
    case "python":
      return pythonFramework(manifests);
    case "go":
      return { name: "Go's testing package (table-driven tests, `go test`)" };
    case "rust":
      return { name: "Rust's built-in tests (`#[cfg(test)] mod tests` with `#[test]` functions, `cargo test`)" };
    case "java":
    case "kotlin":
      return jvmFramework(manifests);
    case "csharp":
      return { name: "xUnit" };
    case "ruby":
      return { name: "RSpec" };
    default:
      return undefined;
  }
}

/** Test runners by the dependency (or `test` script word) that brings them. */
const JS_RUNNERS: [dep: string, name: string][] = [
  ["vitest", "Vitest"],
  ["jest", "Jest"],
  ["ts-jest", "Jest"],
  ["react-scripts", "Jest"], // Create React App's `react-scripts test`
  ["mocha", "Mocha"],
  ["ava", "AVA"],
  ["jasmine", "Jasmine"],
  ["jasmine-core", "Jasmine"], // Angular's Karma set-up
];

/**
 * A JavaScript project's runner: a config file (vitest.config.*, jest.config.*, .mocharc.*, karma.conf.js),
 * else a dependency or the `test` script of the nearest package.json that names one, else `node --test`.
 * Undefined when none says: the model is then told the project's usual framework rather than a guess.
 */
function jsFramework(m: Manifests): TestFramework | undefined {
  const config = (prefix: string) => (Object.keys(m) as ManifestName[]).find((n) => n.startsWith(prefix) && m[n]?.length);
  const byConfig: [string, string][] = [["vitest.config", "Vitest"], ["jest.config", "Jest"], [".mocharc", "Mocha"], ["karma.conf", "Jasmine (with Karma)"]];
  for (const [prefix, name] of byConfig) {
    const file = config(prefix);
    if (file) return { name, from: file };
  }
  for (const text of m["package.json"] ?? []) {
    let pkg: { dependencies?: unknown; devDependencies?: unknown; scripts?: { test?: unknown } };
    try {
      pkg = JSON.parse(text) as typeof pkg;
    } catch {
      continue;
    }
    const deps = new Set([...Object.keys(asObject(pkg.dependencies)), ...Object.keys(asObject(pkg.devDependencies))]);
    const script = typeof pkg.scripts?.test === "string" ? pkg.scripts.test : "";
    for (const [dep, name] of JS_RUNNERS) if (deps.has(dep)) return { name, from: "package.json" };
    for (const [dep, name] of JS_RUNNERS) if (new RegExp(`(^|[\\s/])${dep}\\b`).test(script)) return { name, from: "package.json" };
    if (/\bnode\b[^|&;]*--test\b/.test(script)) return { name: "Node's built-in test runner (`node:test`)", from: "package.json" };
  }
  return undefined;
}

function pythonFramework(m: Manifests): TestFramework | undefined {
  for (const name of ["pytest.ini", "conftest.py", "tests/conftest.py", "test/conftest.py"] as const) if (m[name]?.length) return { name: "pytest", from: name };
  for (const name of ["pyproject.toml", "setup.cfg", "tox.ini", "requirements-dev.txt", "requirements.txt"] as const) {
    if (m[name]?.some((t) => /\bpytest\b/.test(t))) return { name: "pytest", from: name };
  }
  // (a Python project that names no runner: unittest is the one that needs nothing installed)
  return m["pyproject.toml"] || m["setup.cfg"] || m["requirements.txt"] ? { name: "unittest (the standard library)" } : undefined;
}

function jvmFramework(m: Manifests): TestFramework {
  for (const name of ["pom.xml", "build.gradle", "build.gradle.kts"] as const) {
    const text = m[name]?.join("\n");
    if (text === undefined) continue;
    if (/junit-jupiter|org\.junit\.jupiter/.test(text)) return { name: "JUnit 5", from: name };
    if (/\bjunit:junit\b|<artifactId>junit<\/artifactId>/.test(text)) return { name: "JUnit 4", from: name };
    if (/\bkotest\b/.test(text)) return { name: "Kotest", from: name };
  }
  return { name: "JUnit 5" };
}

function asObject(v: unknown): Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

// ---------------------------------------------------------------------------------------------------
// Test files

/**
 * Globs (relative to a workspace folder) for the tests of `file` (workspace-relative, `/`-separated): first
 * those named after it (`orders.test.ts`, `test_orders.py`, `OrdersTest.java`), then any test file of the
 * language, whose style the new tests can follow. Empty for a language without a naming convention.
 */
export function testFileGlobs(file: string, languageId: string): { same: string; any: string } | undefined {
  const name = file.split("/").pop() ?? file;
  const dot = name.lastIndexOf(".");
  const base = dot > 0 ? name.slice(0, dot) : name;
  if (!base || isTestFile(file)) return undefined;
  if (JS_FAMILY.has(languageId)) {
    const ext = "{ts,tsx,js,jsx,mts,mjs,cts,cjs}";
    return { same: `**/${glob(base)}.{test,spec}.${ext}`, any: `**/*.{test,spec}.${ext}` };
  }
  switch (languageId) {
    case "python":
      return { same: `**/{test_${glob(base)},${glob(base)}_test}.py`, any: "**/{test_*,*_test}.py" };
    case "go":
      return { same: `**/${glob(base)}_test.go`, any: "**/*_test.go" };
    case "java":
    case "kotlin": {
      const ext = languageId === "java" ? "java" : "kt";
      return { same: `**/${glob(base)}{Test,Tests}.${ext}`, any: `**/*{Test,Tests}.${ext}` };
    }
    case "ruby":
      return { same: `**/${glob(base)}_spec.rb`, any: "**/*_spec.rb" };
    default:
      return undefined;
  }
}

/** Whether a path names a test file (so `/tests` on it does not look for its tests). */
export function isTestFile(file: string): boolean {
  const name = file.split("/").pop() ?? file;
  return /\.(test|spec)\.[cm]?[jt]sx?$/.test(name) || /^test_.*\.py$|_test\.(py|go)$/.test(name) || /(Test|Tests)\.(java|kt)$/.test(name) || /_spec\.rb$/.test(name);
}

/**
 * Whether `test` (a test file's workspace path, `text` its content) tests `file` rather than another file of
 * the same name: it sits in the file's folder or in a test folder inside it (`__tests__`, `test`, `tests`,
 * `spec`), or it imports the file (a relative import in JavaScript, the dotted module in Python).
 */
export function testsThisFile(test: string, text: string, file: string): boolean {
  const dir = (p: string) => p.split("/").slice(0, -1).join("/");
  const [testDir, fileDir] = [dir(test), dir(file)];
  if (testDir === fileDir) return true;
  const inside = fileDir ? (testDir.startsWith(`${fileDir}/`) ? testDir.slice(fileDir.length + 1) : undefined) : testDir;
  if (inside !== undefined && /^(__tests__|tests?|spec)$/.test(inside)) return true;
  const module = file.replace(/\.[^./]+$/, "");
  for (const m of text.matchAll(/(?:\bfrom\s+|\brequire\(\s*|\bimport\s*\(\s*|^import\s+)["']([^"']+)["']/gm)) {
    if (!m[1].startsWith(".")) continue;
    const resolved = path.posix.normalize(path.posix.join(testDir, m[1])).replace(/\.[cm]?[jt]sx?$/, "").replace(/\/index$/, "");
    if (resolved === module || resolved === module.replace(/\/index$/, "")) return true;
  }
  if (file.endsWith(".py")) {
    // `from app.models import …`, `import app.models`, `from .models import …`: the module's dotted path, or its name after a dot
    const parts = module.split("/");
    const dotted = parts.map((_, i) => parts.slice(i).join(".")).filter(Boolean);
    for (const m of text.matchAll(/^\s*(?:from\s+(\.*[\w.]*)\s+import|import\s+([\w.]+))/gm)) {
      const name = (m[1] ?? m[2]).replace(/^\.+/, "");
      if (dotted.includes(name)) return true;
    }
  }
  return false;
}

/** The candidate nearest to `file`: the most leading folders in common, then the shortest path. */
export function nearestPath(file: string, candidates: readonly string[]): string | undefined {
  const dirs = file.split("/").slice(0, -1);
  const shared = (p: string) => {
    const other = p.split("/").slice(0, -1);
    let n = 0;
    while (n < dirs.length && n < other.length && dirs[n] === other[n]) n++;
    return n;
  };
  return [...candidates].sort((a, b) => shared(b) - shared(a) || a.length - b.length || a.localeCompare(b))[0];
}

/**
 * Where new tests for `file` go: beside an example test of the project when there is one (its folder and
 * naming), else the language's usual place beside the file.
 */
export function newTestPath(file: string, languageId: string, example?: string): string {
  const parts = file.split("/");
  const name = parts.pop() ?? file;
  const dot = name.lastIndexOf(".");
  const base = dot > 0 ? name.slice(0, dot) : name;
  const ext = dot > 0 ? name.slice(dot) : "";
  const dir = (example ? example.split("/").slice(0, -1) : parts).join("/");
  const exampleName = example?.split("/").pop() ?? "";
  let testName: string;
  if (languageId === "python") testName = /_test\.py$/.test(exampleName) ? `${base}_test.py` : `test_${base}.py`;
  else if (languageId === "go") return [...parts, `${base}_test.go`].join("/"); // a Go test lives in its package's folder
  else if (languageId === "java" || languageId === "kotlin") testName = `${base}${/Tests\.\w+$/.test(exampleName) ? "Tests" : "Test"}${ext}`;
  else if (languageId === "ruby") testName = `${base}_spec.rb`;
  else {
    testName = `${base}.${/\.spec\./.test(exampleName) ? "spec" : "test"}${ext}`;
  }
  return dir ? `${dir}/${testName}` : testName;
}

/** A file name as a literal glob part (glob specials escaped). */
function glob(s: string): string {
  return s.replace(/[*?[\]{}!]/g, (c) => `[${c}]`);
}
