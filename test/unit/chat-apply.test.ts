import { describe, expect, it } from "vitest";
import { planApply, type ApplyPlan, type ApplyTarget } from "../../src/chat/applyPlan";

/** The document after the plan (what Apply writes), or the refusal's reason. */
function applied(doc: string, code: string, target: Omit<ApplyTarget, "text"> = {}): string {
  const plan: ApplyPlan = planApply(code, { text: doc, ...target });
  if (plan.kind === "refuse") return `REFUSED: ${plan.reason}`;
  const lines = doc.split("\n");
  return [...lines.slice(0, plan.startLine), plan.text, ...lines.slice(plan.endLine)].join("\n");
}

const py = `import json


def load(path):
    with open(path) as f:
        return json.load(f)


def revenue(order):
    total = 0
    for line in order["lines"]:
        total += line["quantity"]
    return total


def report(orders):
    for o in orders:
        print(revenue(o))
`;

const ts = `export interface Line {
  quantity: number;
  unitPrice: number;
}

export function total(lines: Line[]): number {
  let sum = 0;
  for (const l of lines) sum += l.quantity;
  return sum;
}

export class Orders {
  constructor(private readonly lines: Line[]) {}

  largest(): Line | undefined {
    return this.lines[0];
  }

  count(): number {
    return this.lines.length;
  }
}
`;

describe("Apply: where a chat code block goes", () => {
  it("replaces the Python function the block redefines, and nothing else", () => {
    const code = `def revenue(order):\n    total = 0\n    for line in order["lines"]:\n        total += line["quantity"] * line["unitPrice"]\n    return total\n`;
    expect(applied(py, code)).toBe(py.replace(`        total += line["quantity"]\n`, `        total += line["quantity"] * line["unitPrice"]\n`));
  });

  it("finds a function whose signature changed by its head, braces and all", () => {
    const code = `export function total(lines: Line[], tax = 0): number {\n  let sum = 0;\n  for (const l of lines) sum += l.quantity * l.unitPrice;\n  return sum * (1 + tax);\n}`;
    const out = applied(ts, code);
    expect(out).toContain("export function total(lines: Line[], tax = 0): number {\n  let sum = 0;\n  for (const l of lines) sum += l.quantity * l.unitPrice;\n  return sum * (1 + tax);\n}\n\nexport class Orders {");
    expect(out).not.toContain("export function total(lines: Line[]): number");
    expect(out.split("\n").length).toBe(ts.split("\n").length);
  });

  it("moves a method written at column 0 to its place in the class", () => {
    const code = `largest(): Line | undefined {\n  return [...this.lines].sort((a, b) => b.quantity - a.quantity)[0];\n}`;
    expect(applied(ts, code)).toBe(ts.replace("    return this.lines[0];\n", "    return [...this.lines].sort((a, b) => b.quantity - a.quantity)[0];\n"));
  });

  it("replaces each of several functions the block has, and adds a new one after them", () => {
    const code = `def revenue(order):\n    return sum(l["quantity"] for l in order["lines"])\n\n\ndef report(orders):\n    print(sum(revenue(o) for o in orders))\n`;
    const out = applied(py, code);
    expect(out.match(/def revenue/g)).toHaveLength(1);
    expect(out.match(/def report/g)).toHaveLength(1);
    expect(out).toContain("def load(path):\n    with open(path) as f:\n        return json.load(f)\n\n\ndef revenue(order):\n    return sum(");
    expect(out.endsWith("    print(sum(revenue(o) for o in orders))\n")).toBe(true);
    const added = applied(py, `def revenue(order):\n    return 0\n\n\ndef refund(order):\n    return -revenue(order)\n`);
    expect(added).toContain("def revenue(order):\n    return 0\n\n\ndef refund(order):\n    return -revenue(order)\n\n\ndef report(orders):");
  });

  it("replaces consecutive assignments one by one, without duplicating them", () => {
    const doc = "HOST = 'localhost'\nPORT = 8080\nDEBUG = False\n";
    expect(applied(doc, "HOST = '0.0.0.0'\nPORT = 9000\n")).toBe("HOST = '0.0.0.0'\nPORT = 9000\nDEBUG = False\n");
  });

  it("keeps a decorator once when the block brings it along", () => {
    const doc = `@app.get("/orders")\ndef orders():\n    return []\n\n\n@app.get("/health")\ndef health():\n    return "ok"\n`;
    const out = applied(doc, `@app.get("/orders")\ndef orders():\n    return db.all()\n`);
    expect(out).toBe(doc.replace("    return []", "    return db.all()"));
  });

  it("takes the place nearest the cursor when the first line is in the file twice, unless the next line tells", () => {
    const doc = "if a:\n    x = 1\n\nif a:\n    x = 2\n";
    expect(applied(doc, "if a:\n    x = 3\n", { cursorLine: 4 })).toBe("if a:\n    x = 1\n\nif a:\n    x = 3\n");
    expect(applied(doc, "if a:\n    x = 3\n", { cursorLine: 0 })).toBe("if a:\n    x = 3\n\nif a:\n    x = 2\n");
  });

  it("replaces the whole file when the block is the file", () => {
    const code = py.replace("print(revenue(o))", "print(f'{revenue(o):.2f}')");
    expect(applied(py, code)).toBe(code);
    expect(applied("", "print('hi')\n")).toBe("print('hi')\n");
  });

  it("replaces the selection when there is one", () => {
    const doc = "a\nb\nc\nd\n";
    expect(applied(doc, "B\nC", { selection: { startLine: 1, endLine: 3 } })).toBe("a\nB\nC\nd\n");
  });

  it("refuses a block that leaves code out, or whose place it cannot find, saying what to do", () => {
    expect(applied(ts, "export class Orders {\n  // ... existing code ...\n  sum(): number { return 0; }\n}")).toMatch(/^REFUSED: The code block leaves parts of the code out/);
    expect(applied(py, "def revenue(order):\n    ...\n    return total")).toMatch(/^REFUSED: The code block leaves parts/);
    expect(applied(py, "def unrelated():\n    pass\n")).toBe(
      "REFUSED: Hearth cannot tell where this code goes: its first line (\u201cdef unrelated():\u201d) is not in the file. Select the code it replaces and press Apply again, or use Insert.",
    );
    expect(applied(py, "\n\n")).toBe("REFUSED: The code block is empty.");
  });
});
