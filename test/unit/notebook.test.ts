import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { lineCommentFor } from "../../server/completion/layout";
import { cellStops, notebookCursorText, notebookLanguage, notebookScript, notebookScriptLine, parseIpynb } from "../../server/completion/notebook";
import { classifyNotebook, readWorkspaceFile } from "../../server/workspace/files";
import { WorkspaceIndex } from "../../server/workspace/index";

const ipynb = (cells: unknown[], metadata: Record<string, unknown> = {}) => JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata, cells }, null, 1);
const code = (source: string | string[], outputs: unknown[] = []) => ({ cell_type: "code", metadata: {}, execution_count: null, source, outputs });
const md = (source: string | string[]) => ({ cell_type: "markdown", metadata: {}, source });
const imageOutput = (bytes: number) => ({ output_type: "display_data", metadata: {}, data: { "image/png": "iVBORw0KGgo" + "A".repeat(bytes) } });

describe("notebooks as percent-format scripts", () => {
  it("writes code cells under `# %%` and markdown cells as comments under `# %% [markdown]`", () => {
    const script = notebookScript(
      [
        { kind: "markdown", text: "# Title\n\nSome *prose*." },
        { kind: "code", text: "import os\nprint(os.getcwd())" },
      ],
      "python",
    );
    expect(script).toBe("# %% [markdown]\n# # Title\n#\n# Some *prose*.\n\n# %%\nimport os\nprint(os.getcwd())\n");
  });

  it("uses the language's line comment for markers and prose", () => {
    expect(notebookScript([{ kind: "markdown", text: "Note" }, { kind: "code", text: "x <- 1" }], "r")).toBe("# %% [markdown]\n# Note\n\n# %%\nx <- 1\n");
    expect(notebookScript([{ kind: "code", text: "let x = 1;" }], "typescript")).toBe("// %%\nlet x = 1;\n");
    expect(notebookScript([{ kind: "code", text: "SELECT 1" }], "sql")).toBe("-- %%\nSELECT 1\n");
    expect(cellStops("julia")).toEqual(["\n# %%"]);
    expect(cellStops("csharp")).toEqual(["\n// %%"]);
    expect(lineCommentFor("shellscript")).toBe("#");
  });

  it("splits the notebook at the cursor: cells above and the cell's start; the cell's rest and cells below", () => {
    const cells = [
      { kind: "markdown" as const, text: "Load" },
      { kind: "code" as const, text: "a = 1\r\nb = 2" },
      { kind: "code" as const, text: "c = 3" },
    ];
    // Cursor after "a = 1\r\nb" (offset 8 in the cell's own CRLF text).
    const { prefix, suffix } = notebookCursorText(cells, 1, 8, "python");
    expect(prefix).toBe("# %% [markdown]\n# Load\n\n# %%\na = 1\nb");
    expect(suffix).toBe(" = 2\n\n# %%\nc = 3\n");
    // The last cell has nothing after it; a markdown cell keeps its own text (the model writes prose there).
    expect(notebookCursorText(cells, 2, 5, "python")).toEqual({ prefix: "# %% [markdown]\n# Load\n\n# %%\na = 1\nb = 2\n\n# %%\nc = 3", suffix: "" });
    expect(notebookCursorText(cells, 0, 4, "python").prefix).toBe("# %% [markdown]\nLoad");
  });

  it("takes the code's language from the first code cell", () => {
    expect(notebookLanguage([{ kind: "markdown", languageId: "markdown" }, { kind: "code", languageId: "julia" }])).toBe("julia");
    expect(notebookLanguage([{ kind: "markdown", languageId: "markdown" }], "python")).toBe("python");
  });

  it("reads .ipynb cells (source as lines or one string), skips raw cells, and finds the kernel's language", () => {
    const nb = parseIpynb(ipynb([md(["# A\n", "b"]), { cell_type: "raw", source: "raw" }, code("x = 1", [imageOutput(10)])], { language_info: { name: "Python" } }));
    expect(nb).toEqual({ languageId: "python", cells: [{ kind: "markdown", text: "# A\nb" }, { kind: "code", text: "x = 1" }] });
    expect(parseIpynb(ipynb([code("x <- 1")], { kernelspec: { language: "R" } }))?.languageId).toBe("r");
    expect(parseIpynb("{ not json")).toBeUndefined();
    expect(parseIpynb(JSON.stringify({ name: "package" }))).toBeUndefined();
  });
});

describe("notebooks in the workspace prefix", () => {
  const bytes = (s: string) => new TextEncoder().encode(s);

  it("shows the cells without their outputs", () => {
    const r = classifyNotebook(bytes(ipynb([md("Plot"), code("plot(x)", [imageOutput(5000)])])));
    expect(r).toEqual({ text: "# %% [markdown]\n# Plot\n\n# %%\nplot(x)\n" });
  });

  it("leaves out a notebook with a secret anywhere, outputs included", () => {
    const token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8";
    const printed = { output_type: "stream", name: "stdout", text: [token] };
    expect(classifyNotebook(bytes(ipynb([code("print(os.environ['GH'])", [printed])])))).toEqual({ reason: "secret-content" });
  });

  it("says why a notebook is left out: not a notebook, empty, or a script too large", () => {
    expect(classifyNotebook(bytes("{ broken"))).toEqual({ reason: "unreadable" });
    expect(classifyNotebook(bytes(ipynb([code("")])))).toEqual({ reason: "empty" });
    expect(classifyNotebook(bytes(ipynb([code("x = 1\n".repeat(1000))])), 1000)).toEqual({ reason: "too-large" });
  });

  it("indexes a notebook whose outputs make the file larger than the size limit, and skips a plain file that large", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-nb-"));
    fs.writeFileSync(path.join(root, "analysis.ipynb"), ipynb([code("df.plot()", [imageOutput(300 * 1024)])]));
    fs.writeFileSync(path.join(root, "big.py"), "x = 1\n".repeat(60 * 1024));
    expect(readWorkspaceFile(root, "analysis.ipynb")).toMatchObject({ ok: true, text: "# %%\ndf.plot()\n" });
    const index = new WorkspaceIndex(root, { tokenBudget: 100_000 });
    await index.build();
    expect(index.chunks().map((c) => [c.path, c.text])).toEqual([["analysis.ipynb", "# %%\ndf.plot()\n"]]);
    expect(index.stats().skipped["too-large"]).toBe(1);
    fs.rmSync(root, { recursive: true, force: true });
  });
});

describe("notebookScriptLine", () => {
  it("is the script line each cell's text starts on, so a cell's lines can be named in the notebook's script", () => {
    const cells = [
      { kind: "markdown" as const, text: "# Revenue\nby month" },
      { kind: "code" as const, text: "   " },
      { kind: "code" as const, text: "import json\r\nrows = []" },
      { kind: "code" as const, text: "total = sum(rows)" },
    ];
    const script = notebookScript(cells, "python").split("\n");
    for (const i of [0, 2, 3]) {
      const line = notebookScriptLine(cells, i)!;
      expect(script[line - 1]).toMatch(/^# %%/);
      expect(script[line]).toBe(i === 0 ? "# # Revenue" : cells[i].text.split(/\r?\n/)[0]);
    }
    expect(notebookScriptLine(cells, 1)).toBeUndefined();
    expect(notebookScriptLine(cells, 9)).toBeUndefined();
  });
});
