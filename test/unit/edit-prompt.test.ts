import { describe, expect, it } from "vitest";
import { buildEditPrompt, extractEdit, INSERT_HERE, SELECTION_END, SELECTION_START, type EditInput } from "../../server/edit/editPrompt";

const py = `import json


def load(path):
    with open(path) as f:
        return json.load(f)


class Orders:
    def revenue(self, order):
        total = 0
        for line in order["lines"]:
            total += line["quantity"]
        return total

    def count(self):
        return len(self.items)
`;

/** The revenue() method: lines 9–13 (zero-based; end exclusive 14). */
const revenue: EditInput = { filePath: "shop/orders.py", languageId: "python", text: py, startLine: 9, endLine: 14, instruction: "multiply by the price" };

const fixed = [
  "def revenue(self, order):",
  "    total = 0",
  '    for line in order["lines"]:',
  '        total += line["quantity"] * line["price"]',
  "    return total",
];

describe("edit prompt", () => {
  it("shows the file around the selection with the selection between markers, then the instruction", () => {
    const p = buildEditPrompt(revenue);
    expect(p.messages[0].role).toBe("system");
    const user = p.messages[1].content as string;
    expect(user).toContain("File: shop/orders.py\n\n```python\nimport json\n");
    expect(user).toContain(`class Orders:\n${SELECTION_START}\n    def revenue(self, order):\n`);
    expect(user).toContain(`        return total\n${SELECTION_END}\n\n    def count(self):\n        return len(self.items)\n\`\`\`\n\nChange the marked lines: multiply by the price`);
    expect(p.selected).toHaveLength(5);
    expect(p.indent).toBe("    ");
  });

  it("marks the place for new code when the range is empty, and says how much of a long file is not shown", () => {
    const long = Array.from({ length: 200 }, (_, i) => `x${i} = ${i}`).join("\n");
    const p = buildEditPrompt({ filePath: "gen.py", languageId: "python", text: long, startLine: 150, endLine: 150, instruction: "add y = 1" });
    const user = p.messages[1].content as string;
    expect(user).toContain(`x149 = 149\n${INSERT_HERE}\nx150 = 150`);
    expect(user).not.toContain(SELECTION_START);
    expect(user).toContain("Write the new code for the marked place: add y = 1");
    expect(user).toMatch(/File: gen\.py \(90 lines above are not shown\) \(20 lines below are not shown\)/);
    expect(user).not.toContain("x89 = 89\n");
    expect(user).toContain("x90 = 90\n");
  });

  it("fences the code with more backticks than the file has in a row (a Markdown file's own fences)", () => {
    const md = "# Title\n\n```js\nlet a = 1\n```\n";
    const user = buildEditPrompt({ filePath: "README.md", languageId: "markdown", text: md, startLine: 0, endLine: 1, instruction: "shorter" }).messages[1].content as string;
    expect(user).toContain("````markdown\n");
    expect(user).toMatch(/\n````\n\nChange/);
  });
});

describe("edit answer", () => {
  const p = buildEditPrompt(revenue);
  const indented = fixed.map((l) => "    " + l).join("\n");

  it("takes the first code block and indents it to the selection", () => {
    const answer = `Here is the change:\n\n\`\`\`python\n${fixed.join("\n")}\n\`\`\`\n\nThis multiplies by the price.\n\n\`\`\`python\nprint(1)\n\`\`\``;
    expect(extractEdit(answer, p)).toBe(indented);
  });

  it("takes the whole answer when it has no fence, and the rest of a block the token limit cut", () => {
    expect(extractEdit(fixed.join("\n") + "\n", p)).toBe(indented);
    expect(extractEdit("```python\n" + fixed.slice(0, 3).join("\n"), p)).toBe(fixed.slice(0, 3).map((l) => "    " + l).join("\n"));
  });

  it("drops marker lines and the context lines the model repeated above and below", () => {
    const echoed = ["class Orders:", SELECTION_START, ...fixed.map((l) => "    " + l), SELECTION_END, "", "    def count(self):", "        return len(self.items)"];
    expect(extractEdit("```python\n" + echoed.join("\n") + "\n```", p)).toBe(indented);
  });

  it("keeps lines that are the selection's own even when they match the context", () => {
    // Selecting two identical lines after an identical one: the answer repeats them, and they are the selection.
    const text = "a()\na()\na()\nb()\n";
    const q = buildEditPrompt({ filePath: "x.py", languageId: "python", text, startLine: 1, endLine: 3, instruction: "same" });
    expect(extractEdit("```\na()\na()\n```", q)).toBe("a()\na()");
  });

  it("keeps indentation inside the code and an empty answer (delete the lines) empty", () => {
    const deeper = ["        if x:", "            y()", "        z()"].join("\n");
    expect(extractEdit("```python\n" + deeper + "\n```", p)).toBe(["    if x:", "        y()", "    z()"].join("\n"));
    expect(extractEdit("```python\n```", p)).toBe("");
  });

  it("indents new code like the block it goes into", () => {
    const body = buildEditPrompt({ filePath: "o.py", languageId: "python", text: "def f():\n\nx = 1\n", startLine: 1, endLine: 1, instruction: "return 2" });
    expect(extractEdit("return 2", body)).toBe("    return 2");
    const ts = buildEditPrompt({ filePath: "o.ts", languageId: "typescript", text: "class A {\n  a() {}\n\n  b() {}\n}\n", startLine: 2, endLine: 2, instruction: "add c" });
    expect(extractEdit("```ts\nc() {\n  return 1;\n}\n```", ts)).toBe("  c() {\n    return 1;\n  }");
    // An empty line the editor indented: that indentation; an opener with nothing below: one step of the file's.
    const loop = "function f() {\n  for (const x of xs) {\n    \n  }\n}\n";
    expect(extractEdit("use(x);", buildEditPrompt({ filePath: "l.ts", languageId: "typescript", text: loop, startLine: 2, endLine: 2, instruction: "use x" }))).toBe("    use(x);");
    const opener = "function f() {\n  if (a) {\n";
    expect(extractEdit("b();", buildEditPrompt({ filePath: "o.ts", languageId: "typescript", text: opener, startLine: 2, endLine: 2, instruction: "call b" }))).toBe("    b();");
  });
});
