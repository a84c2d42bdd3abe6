import { describe, expect, it } from "vitest";
import { planApply, type ApplyPlan, type ApplyTarget } from "../../src/chat/applyPlan";

/** The document after the plan (what Apply writes), or the refusal's reason. */
function applied(doc: string, code: string, target: Omit<ApplyTarget, "text"> = {}): string {
  const plan: ApplyPlan = planApply(code, { text: doc, ...target });
  if (plan.kind === "refuse") return `REFUSED: ${plan.reason}`;
  const lines = doc.split("\n");
  // From the last edit back, so the earlier ones' line numbers still hold.
  for (const e of [...plan.edits].reverse()) lines.splice(e.startLine, e.endLine - e.startLine, ...e.text.split("\n"));
  return lines.join("\n");
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
      "REFUSED: It is not clear where this code goes: its first line (\u201cdef unrelated():\u201d) is not in the file. Select the code it replaces and press Apply again, or use Insert.",
    );
    expect(applied(py, "\n\n")).toBe("REFUSED: The code block is empty.");
  });
});

// Code blocks as models write them, in several languages: each must change only what it redefines. A
// placement that deletes code the block leaves out, or adds a second copy of code the file has, is a bug.
describe("Apply: model-style code blocks in several languages", () => {
  /** The block's change, as `doc` with `from` → `to` (each exactly once in `doc`). */
  const edit = (doc: string, ...pairs: [string, string][]) => {
    let out = doc;
    for (const [from, to] of pairs) {
      expect(doc.split(from)).toHaveLength(2);
      out = out.replace(from, to);
    }
    return out;
  };

  const pyMod = `import json
from dataclasses import dataclass


@dataclass
class Order:
    id: int
    lines: list

    def total(self):
        return sum(l.quantity for l in self.lines)

    def largest(self):
        return self.lines[0]


def load(path):
    with open(path) as f:
        return json.load(f)


def report(orders):
    for o in orders:
        print(o.total())
`;

  it("Python: the imports a block repeats stay once, a new import joins the file's imports, the function is replaced", () => {
    expect(applied(pyMod, `import json\n\n\ndef load(path):\n    with open(path, encoding="utf-8") as f:\n        return json.load(f)\n`)).toBe(
      edit(pyMod, ["with open(path) as f:", `with open(path, encoding="utf-8") as f:`]),
    );
    expect(applied(pyMod, `import json\nfrom pathlib import Path\n\n\ndef load(path):\n    return json.loads(Path(path).read_text())\n`)).toBe(
      edit(pyMod, ["import json\n", "import json\nfrom pathlib import Path\n"], ["    with open(path) as f:\n        return json.load(f)\n", "    return json.loads(Path(path).read_text())\n"]),
    );
    // A block that only adds an import line.
    expect(applied(pyMod, "from pathlib import Path")).toBe(edit(pyMod, ["from dataclasses import dataclass\n", "from dataclasses import dataclass\nfrom pathlib import Path\n"]));
    expect(applied(pyMod, "import json")).toBe("REFUSED: The file already has this code: there is nothing to change.");
  });

  it("Python: a class shown with only the method that changed keeps its other members; a new method goes at its end", () => {
    const changed = `class Order:\n    def largest(self):\n        return max(self.lines, key=lambda l: l.quantity)\n`;
    expect(applied(pyMod, changed)).toBe(edit(pyMod, ["        return self.lines[0]", "        return max(self.lines, key=lambda l: l.quantity)"]));
    const added = applied(pyMod, `class Order:\n    def count(self):\n        return len(self.lines)\n`);
    expect(added).toBe(edit(pyMod, ["        return self.lines[0]\n", "        return self.lines[0]\n\n    def count(self):\n        return len(self.lines)\n"]));
    // The whole class with a new field: replaced as a whole (nothing left out).
    const whole = `@dataclass\nclass Order:\n    id: int\n    lines: list\n    customer: str = ""\n\n    def total(self):\n        return sum(l.quantity for l in self.lines)\n\n    def largest(self):\n        return self.lines[0]\n`;
    expect(applied(pyMod, whole)).toBe(edit(pyMod, ["    lines: list\n", '    lines: list\n    customer: str = ""\n']));
  });

  it("Python and TypeScript: a signature over several lines, and if/else, are replaced to their end", () => {
    const py = "def f(\n    a,\n    b,\n):\n    s = a + b\n    return s\n\n\ndef g(x):\n    return x\n";
    expect(applied(py, "def f(\n    a,\n    b,\n):\n    return a * b")).toBe("def f(\n    a,\n    b,\n):\n    return a * b\n\n\ndef g(x):\n    return x\n");
    const ts = "export function f(\n  a: number,\n): number {\n  const s = a + 1;\n  return s;\n}\n\nexport function g(x: number): number {\n  if (x > 0) {\n    return 1;\n  } else {\n    return -1;\n  }\n}\n";
    expect(applied(ts, "export function f(\n  a: number,\n): number {\n  return a * 2;\n}")).toBe(edit(ts, ["  const s = a + 1;\n  return s;\n", "  return a * 2;\n"]));
    expect(applied(ts, "  if (x > 0) {\n    return 2;\n  } else {\n    return -2;\n  }")).toBe(edit(ts, ["return 1;", "return 2;"], ["return -1;", "return -2;"]));
  });

  it("Python: two functions in another order than the file's are each replaced once", () => {
    const out = applied(pyMod, `def report(orders):\n    pass\n\n\ndef load(path):\n    return {}\n`);
    expect(out).toBe(edit(pyMod, ["    with open(path) as f:\n        return json.load(f)\n", "    return {}\n"], ["    for o in orders:\n        print(o.total())\n", "    pass\n"]));
    expect(applied(pyMod, `def load(path):\n    return 1\n\n\ndef load(path):\n    return 2\n`)).toMatch(/^REFUSED: The code block changes the same place in the file twice/);
    // A helper the block defines first goes above the function that uses it.
    expect(applied(pyMod, `def _quantity(line):\n    return line.quantity\n\n\ndef report(orders):\n    print(sum(_quantity(l) for o in orders for l in o.lines))\n`)).toBe(
      edit(pyMod, ["def report(orders):\n    for o in orders:\n        print(o.total())\n", "def _quantity(line):\n    return line.quantity\n\n\ndef report(orders):\n    print(sum(_quantity(l) for o in orders for l in o.lines))\n"]),
    );
  });

  const go = `package orders

import (
	"fmt"
	"strings"
)

func Describe(o Order) string {
	return fmt.Sprintf("%d", o.ID)
}

// Total returns the order total.
func Total(lines []Line) float64 {
	sum := 0.0
	for _, l := range lines {
		sum += float64(l.Quantity)
	}
	return sum
}
`;

  it("Go: `package` and the largest function are that function, not the whole file (imports and other functions stay)", () => {
    const out = applied(go, "package orders\n\nfunc Total(lines []Line) float64 {\n\tsum := 0.0\n\tfor _, l := range lines {\n\t\tsum += float64(l.Quantity) * l.UnitPrice\n\t}\n\treturn sum\n}");
    expect(out).toBe(edit(go, ["sum += float64(l.Quantity)\n", "sum += float64(l.Quantity) * l.UnitPrice\n"]));
    expect(applied(go, 'import (\n\t"fmt"\n\t"sort"\n\t"strings"\n)')).toBe(edit(go, ['\t"fmt"\n', '\t"fmt"\n\t"sort"\n']));
    expect(applied(go, 'import "sort"')).toBe(edit(go, ['\t"strings"\n)\n', '\t"strings"\n)\nimport "sort"\n']));
  });

  it("Rust, Java, C#: an impl / class shown with one method changes that method only", () => {
    const rs = "use std::fmt;\n\nimpl Order {\n    pub fn new(id: u64) -> Self {\n        Self { id, lines: Vec::new() }\n    }\n\n    pub fn total(&self) -> f64 {\n        self.lines.iter().map(|l| l.qty as f64).sum()\n    }\n}\n";
    expect(applied(rs, "impl Order {\n    pub fn total(&self) -> f64 {\n        self.lines.iter().map(|l| l.qty as f64 * l.price).sum()\n    }\n}")).toBe(edit(rs, ["l.qty as f64)", "l.qty as f64 * l.price)"]));
    const java = "package com.acme;\n\nimport java.util.List;\n\npublic class OrderService {\n    private final OrderRepository repo;\n\n    public OrderService(OrderRepository repo) {\n        this.repo = repo;\n    }\n\n    public double total(long id) {\n        return repo.find(id).sum();\n    }\n\n    @Override\n    public String toString() {\n        return \"OrderService\";\n    }\n}\n";
    expect(applied(java, "public class OrderService {\n    public double total(long id) {\n        return repo.find(id).sum() * 1.2;\n    }\n}")).toBe(edit(java, ["sum();", "sum() * 1.2;"]));
    // The class's header changed and members are missing: refused, naming what would go.
    expect(applied(java, "public class OrderService implements Service {\n    public double total(long id) {\n        return 0;\n    }\n}")).toBe(
      "REFUSED: The code block's \u201cpublic class OrderService implements Service {\u201d leaves out \u201cprivate final OrderRepository repo;\u201d and 2 more, so applying it would delete them. Ask for the complete code, or select the code it replaces and press Apply again.",
    );
    const cs = "namespace Acme\n{\n    public class Orders\n    {\n        private readonly IRepo _repo;\n\n        public decimal Total(int id)\n        {\n            return _repo.Find(id).Sum();\n        }\n    }\n}\n";
    expect(applied(cs, "[Obsolete]\npublic decimal Total(int id)\n{\n    return 0m;\n}")).toBe(edit(cs, ["        public decimal Total(int id)\n        {\n            return _repo.Find(id).Sum();\n", "        [Obsolete]\n        public decimal Total(int id)\n        {\n            return 0m;\n"]));
  });

  it("JSX: a component, and an import from the same module, are replaced (not added twice)", () => {
    const jsx = 'import React from "react";\n\nexport function OrderRow({ order }) {\n  return (\n    <tr>\n      <td>{order.id}</td>\n    </tr>\n  );\n}\n';
    const code = 'import React, { useState } from "react";\n\nexport function OrderRow({ order }) {\n  const [open, setOpen] = useState(false);\n  return (\n    <tr onClick={() => setOpen(!open)}>\n      <td>{order.id}</td>\n    </tr>\n  );\n}';
    expect(applied(jsx, code)).toBe(code + "\n");
    expect(applied(jsx, "    <tr>\n      <td>{order.id}</td>\n      <td>{order.total}</td>\n    </tr>")).toBe(edit(jsx, ["      <td>{order.id}</td>\n", "      <td>{order.id}</td>\n      <td>{order.total}</td>\n"]));
  });

  it("JSON and YAML fragments change the keys they show, and keep the commas right", () => {
    const json = '{\n  "name": "orders",\n  "scripts": {\n    "build": "tsc",\n    "test": "vitest",\n    "lint": "eslint ."\n  },\n  "dependencies": {\n    "express": "^4.19.0"\n  }\n}\n';
    expect(applied(json, '"scripts": {\n  "test": "vitest run"\n}')).toBe(edit(json, ['"test": "vitest",', '"test": "vitest run",']));
    expect(applied(json, '{\n  "scripts": {\n    "test": "vitest run"\n  }\n}')).toBe(edit(json, ['"test": "vitest",', '"test": "vitest run",']));
    expect(applied(json, '"lint": "eslint . --fix",')).toBe(edit(json, ['"lint": "eslint ."', '"lint": "eslint . --fix"']));
    expect(applied(json, '"dependencies": {\n  "express": "^4.19.0",\n  "zod": "^3.23.0"\n}')).toBe(edit(json, ['    "express": "^4.19.0"\n', '    "express": "^4.19.0",\n    "zod": "^3.23.0"\n']));
    const yaml = "jobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm test\n  lint:\n    runs-on: ubuntu-latest\n";
    expect(applied(yaml, "jobs:\n  test:\n    runs-on: ubuntu-24.04")).toBe("jobs:\n  test:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: npm test\n  lint:\n    runs-on: ubuntu-latest\n");
  });

  it("SQL: a query gains a WHERE line; a table shown with one new column keeps its columns", () => {
    const sql = "CREATE TABLE orders (\n  id SERIAL PRIMARY KEY,\n  customer TEXT NOT NULL\n);\n\nSELECT o.id, SUM(l.qty) AS total\nFROM orders o\nJOIN lines l ON l.order_id = o.id\nGROUP BY o.id;\n";
    expect(applied(sql, "SELECT o.id, SUM(l.qty * l.price) AS total\nFROM orders o\nJOIN lines l ON l.order_id = o.id\nWHERE o.id > 10\nGROUP BY o.id;")).toBe(
      edit(sql, ["SUM(l.qty) AS", "SUM(l.qty * l.price) AS"], ["GROUP BY", "WHERE o.id > 10\nGROUP BY"]),
    );
    expect(applied(sql, "CREATE TABLE orders (\n  status TEXT NOT NULL DEFAULT 'new'\n);")).toBe(edit(sql, ["  customer TEXT NOT NULL\n", "  customer TEXT NOT NULL,\n  status TEXT NOT NULL DEFAULT 'new'\n"]));
  });

  it("C: new #include lines join the includes; a whole file that renames a function replaces the file", () => {
    const c = '#include <stdio.h>\n#include "orders.h"\n\nstatic int total(const struct order *o) {\n    return o->n;\n}\n\nint main(void) {\n    return 0;\n}\n';
    expect(applied(c, '#include <stdio.h>\n#include <stdlib.h>\n#include "orders.h"\n\nstatic int total(const struct order *o) {\n    return o->n * 2;\n}')).toBe(
      edit(c, ["#include <stdio.h>\n", "#include <stdio.h>\n#include <stdlib.h>\n"], ["return o->n;", "return o->n * 2;"]),
    );
    const renamed = pyMod.replace("def load(path):", "def load_orders(path):");
    expect(applied(pyMod, renamed)).toBe(renamed);
  });

  it("comments the block repeats above a construct (a license header, blank lines between) are not added twice", () => {
    const ts = "// Copyright 2026 Acme\n// SPDX-License-Identifier: MIT\n\nimport { x } from \"./x\";\n\nexport function a() {\n  return x;\n}\n";
    expect(applied(ts, "// Copyright 2026 Acme\n// SPDX-License-Identifier: MIT\n\nimport { x } from \"./x\";\n\nexport function a() {\n  return x + 1;\n}")).toBe(ts.replace("return x;", "return x + 1;"));
  });

  it("a function of the same name as a variable, or a call of a function, is not its definition", () => {
    const ts = "export function total(order: Order): number {\n  return 1;\n}\n";
    expect(applied(ts, "const total = computeTotal(order);")).toMatch(/^REFUSED: It is not clear where/);
    const py = "def main(argv):\n    print(argv)\n\n\nmain(sys.argv)\n";
    expect(applied(py, "main(sys.argv[1:])")).toBe("def main(argv):\n    print(argv)\n\n\nmain(sys.argv[1:])\n");
  });
});
