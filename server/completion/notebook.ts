/**
 * Jupyter notebooks as the model sees them: one script in the percent format (jupytext's, also VS Code's
 * Python Interactive window and Spyder's), where a `# %%` line starts a code cell and `# %% [markdown]` a
 * markdown cell whose lines are comments. Models have read a great deal of code in that form, far more than
 * raw .ipynb JSON, and it carries what a completion needs: the cells above and below the cursor, in order,
 * without outputs (images, tables, tracebacks).
 *
 * Used twice: for a completion in a notebook cell (the notebook the editor has open, cells from LSP
 * notebook sync) and for a .ipynb file in the workspace prefix (the file on disk).
 */
import { lineCommentFor } from "./layout";

export interface NotebookCellText {
  kind: "code" | "markdown";
  text: string;
}

/** The marker line that starts a cell (without its newline). */
export function cellMarker(kind: NotebookCellText["kind"], languageId: string): string {
  const c = lineCommentFor(languageId);
  return kind === "markdown" ? `${c} %% [markdown]` : `${c} %%`;
}

/** Stops a completion before it starts another cell (the model would happily write the next one). */
export function cellStops(languageId: string): string[] {
  return ["\n" + lineCommentFor(languageId) + " %%"];
}

/** One cell as it appears in the script: its marker line, then its text (markdown lines as comments). */
function cellBlock(cell: NotebookCellText, languageId: string): string {
  const text = cell.text.replace(/\r\n?/g, "\n");
  const c = lineCommentFor(languageId);
  const body = cell.kind === "code" ? text : text.split("\n").map((l) => (l ? `${c} ${l}` : c)).join("\n");
  return cellMarker(cell.kind, languageId) + "\n" + body;
}

const CELL_GAP = "\n\n";

/** The whole notebook as a script (for the workspace prefix), blank cells left out. */
export function notebookScript(cells: readonly NotebookCellText[], languageId: string): string {
  const kept = cells.filter((c) => c.text.trim() !== "");
  return kept.map((c) => cellBlock(c, languageId)).join(CELL_GAP) + (kept.length ? "\n" : "");
}

/**
 * Where cell `index`'s own text starts in {@link notebookScript} (a zero-based line, after its marker), so a
 * range in the cell can be named by the script's line numbers; undefined for a blank cell (left out).
 */
export function notebookScriptLine(cells: readonly NotebookCellText[], index: number): number | undefined {
  if (!cells[index] || cells[index].text.trim() === "") return undefined;
  let line = 0;
  for (const c of cells.slice(0, index)) {
    if (c.text.trim() === "") continue;
    // (its marker, its lines, and the blank line between blocks)
    line += 1 + c.text.replace(/\r\n?/g, "\n").split("\n").length + 1;
  }
  return line + 1;
}

/**
 * The text before and after the cursor for a completion at `offset` (the cell document's characters) in cell
 * `index`: the cells above in script form and the cell's own text up to the cursor; the rest of the cell and
 * the cells below. The cell's own text is taken as it is (a markdown cell's too, under its marker), so what
 * the model writes is what goes into that cell.
 */
export function notebookCursorText(
  cells: readonly NotebookCellText[],
  index: number,
  offset: number,
  languageId: string,
): { prefix: string; suffix: string } {
  const before = cells.slice(0, index).map((c) => cellBlock(c, languageId) + CELL_GAP).join("");
  const after = cells.slice(index + 1).map((c) => CELL_GAP + cellBlock(c, languageId)).join("");
  const cell = cells[index];
  const own = cell.text.replace(/\r\n?/g, "\n");
  const at = cell.text.slice(0, offset).replace(/\r\n?/g, "\n").length;
  return {
    prefix: before + cellMarker(cell.kind, languageId) + "\n" + own.slice(0, at),
    suffix: own.slice(at) + after + (after ? "\n" : ""),
  };
}

/** The language of a notebook's code: its first code cell's (a markdown cell's language id is "markdown"). */
export function notebookLanguage(cells: ReadonlyArray<{ kind: NotebookCellText["kind"]; languageId: string }>, fallback = "python"): string {
  return cells.find((c) => c.kind === "code")?.languageId ?? fallback;
}

/** What a .ipynb file holds for the prefix: its cells' sources and its kernel's language. */
export interface ParsedNotebook {
  languageId: string;
  cells: NotebookCellText[];
}

/**
 * Reads an nbformat 4 notebook (.ipynb JSON): code and markdown cells (raw cells and outputs are left out).
 * Undefined when the text is not a notebook.
 */
export function parseIpynb(json: string): ParsedNotebook | undefined {
  let nb: unknown;
  try {
    nb = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!isObject(nb) || !Array.isArray(nb.cells)) return undefined;
  const cells: NotebookCellText[] = [];
  for (const c of nb.cells) {
    if (!isObject(c) || (c.cell_type !== "code" && c.cell_type !== "markdown")) continue;
    const source = Array.isArray(c.source) ? c.source.filter((s) => typeof s === "string").join("") : typeof c.source === "string" ? c.source : "";
    cells.push({ kind: c.cell_type, text: source });
  }
  const meta = isObject(nb.metadata) ? nb.metadata : {};
  const lang = (isObject(meta.language_info) && typeof meta.language_info.name === "string" && meta.language_info.name) ||
    (isObject(meta.kernelspec) && typeof meta.kernelspec.language === "string" && meta.kernelspec.language) ||
    "python";
  return { languageId: lang.toLowerCase(), cells };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
