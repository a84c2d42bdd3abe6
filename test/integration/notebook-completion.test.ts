// Inline completion in a Jupyter notebook cell: the editor syncs the notebook through LSP notebook sync, and
// the completion sees the whole notebook as one percent-format script (the markdown and code cells above,
// the cells below) and stops before it would start another cell. The .ipynb on disk is in the workspace
// prefix the same way: its cells, without its outputs. Checked on what the host sends the engine.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DidChangeNotebookDocumentNotification,
  DidOpenNotebookDocumentNotification,
  NotebookCellKind,
} from "vscode-languageserver-protocol";
import { ActiveEditorNotification, LoadModelRequest } from "../../server/protocol";
import { completeAt, startTinyHost, tinyModels, type TinyHost } from "../helpers/tinyHost";

interface Sent {
  endpoint: string;
  prompt?: string;
  n_predict?: number;
  stop?: string[];
}

const PNG_OUTPUT = "iVBORw0KGgo" + "A".repeat(200_000);

describe("inline completion in a notebook cell", () => {
  let root: string;
  let t: TinyHost;
  let promptLog: string;
  const sent = (): Sent[] => fs.readFileSync(promptLog, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Sent);
  const nbPath = () => path.join(root, "ws", "analysis.ipynb");
  const nbUri = () => pathToFileURL(nbPath()).href;
  const cellUri = (i: number) => `vscode-notebook-cell:${pathToFileURL(nbPath()).pathname}#cell${i}`;

  beforeAll(async () => {
    const tiny = await tinyModels();
    root = tiny.dir;
    fs.mkdirSync(path.join(root, "ws"));
    fs.writeFileSync(path.join(root, "ws", "orders.py"), "def load(path):\n    return open(path).read()\n");
    // On disk: a markdown cell, a code cell with an image output (≈ 200 KB of base64, left out of the prefix).
    fs.writeFileSync(nbPath(), JSON.stringify({
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: "python3", language: "python", display_name: "Python 3" } },
      cells: [
        { cell_type: "markdown", metadata: {}, source: ["# Revenue by day\n", "From the orders export."] },
        { cell_type: "code", metadata: {}, execution_count: 1, source: ["import json\n", "rows = json.load(open('orders.json'))"], outputs: [{ output_type: "display_data", data: { "image/png": PNG_OUTPUT }, metadata: {} }] },
      ],
    }, null, 1));
    promptLog = path.join(root, "prompts.jsonl");
    t = await startTinyHost({ model: tiny.text, mmproj: "", drafter: "" }, { HEARTH_PROMPT_LOG: promptLog }, pathToFileURL(path.join(root, "ws")).href, path.join(root, "storage"));
    await t.host.connection.sendRequest(LoadModelRequest);
    await t.waitForLog(/workspace prefix warmed up: \d+ tokens/, 0, 90_000);
  }, 180_000);

  afterAll(async () => {
    await t?.host.dispose();
  });

  it("has the notebook on disk in the workspace prefix as its cells, without outputs", () => {
    const warm = sent().find((s) => s.endpoint === "/completion" && s.n_predict === 0 && s.prompt?.includes("analysis.ipynb"));
    expect(warm, "the workspace prefix holds analysis.ipynb").toBeTruthy();
    expect(warm!.prompt).toContain("# %% [markdown]\n# # Revenue by day\n# From the orders export.\n\n# %%\nimport json\nrows = json.load(open('orders.json'))");
    expect(warm!.prompt).not.toContain("iVBORw0KGgo");
    expect(warm!.prompt).not.toContain('"cell_type"');
  });

  it("completes in a cell with the cells above and below as context, and stops before the next cell", async () => {
    const cells = [
      { kind: NotebookCellKind.Markup, languageId: "markdown", text: "# Revenue by day\nFrom the orders export." },
      { kind: NotebookCellKind.Code, languageId: "python", text: "import json\r\nrows = json.load(open('orders.json'))" },
      { kind: NotebookCellKind.Code, languageId: "python", text: "def revenue(rows):\n    total = 0\n    \n    return total" },
      { kind: NotebookCellKind.Code, languageId: "python", text: "print(revenue(rows))" },
    ];
    await t.host.connection.sendNotification(DidOpenNotebookDocumentNotification.type, {
      notebookDocument: { uri: nbUri(), notebookType: "jupyter-notebook", version: 1, cells: cells.map((c, i) => ({ kind: c.kind, document: cellUri(i) })) },
      cellTextDocuments: cells.map((c, i) => ({ uri: cellUri(i), languageId: c.languageId, version: 1, text: c.text })),
    });
    const before = sent().length;
    const r = await completeAt(t.host, cellUri(2), { line: 2, character: 4 });
    expect(r.stats.stats.generatedTokens).toBeGreaterThan(0);
    const req = sent().slice(before).find((s) => s.endpoint === "/completion" && s.n_predict !== 0);
    expect(req, "a completion request reached the engine").toBeTruthy();
    const prompt = req!.prompt!;
    // The cells above, in order, as a script (markdown as comments, the CRLF cell as LF), then this cell up to
    // the cursor (the layout drops the cursor line's trailing blanks); the rest of the cell and the cell below
    // after the cursor.
    expect(prompt).toContain("# %% [markdown]\n# # Revenue by day\n# From the orders export.\n\n# %%\nimport json\nrows = json.load(open('orders.json'))\n\n# %%\ndef revenue(rows):\n    total = 0\n");
    expect(prompt).toContain("\n    return total\n\n# %%\nprint(revenue(rows))");
    expect(req!.stop).toContain("\n# %%");
  });

  it("follows edits to a cell", async () => {
    await t.host.connection.sendNotification(DidChangeNotebookDocumentNotification.type, {
      notebookDocument: { uri: nbUri(), version: 2 },
      change: { cells: { textContent: [{ document: { uri: cellUri(3), version: 2 }, changes: [{ text: "plot(revenue(rows))" }] }] } },
    });
    const before = sent().length;
    await completeAt(t.host, cellUri(2), { line: 1, character: 13 });
    const req = sent().slice(before).find((s) => s.endpoint === "/completion" && s.n_predict !== 0);
    expect(req!.prompt).toContain("# %%\nplot(revenue(rows))");
    expect(req!.prompt).not.toContain("print(revenue(rows))");
  });

  it("prepares the notebook context where the cursor lands in another cell, before anyone types", async () => {
    const logsBefore = t.logs.length;
    const before = sent().length;
    await t.host.connection.sendNotification(ActiveEditorNotification, { uri: cellUri(1), position: { line: 1, character: 0 } });
    await t.waitForLog(/cursor context primed/, logsBefore, 30_000);
    const prime = sent().slice(before).find((s) => s.endpoint === "/completion");
    expect(prime?.prompt).toContain("# # Revenue by day\n# From the orders export.\n\n# %%\nimport json\n");
    expect(prime?.prompt).toContain("# %%\nplot(revenue(rows))");
  });
});
