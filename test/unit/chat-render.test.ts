// @vitest-environment jsdom
/**
 * The chat view's Markdown rendering with the real DOMPurify running on jsdom's DOM (the same sanitizer
 * and policy as in the webview, where DOMPurify binds to the webview's window).
 */
import DOMPurify from "dompurify";
import { describe, expect, it } from "vitest";
import { createRenderer, fenceLanguage, isOpenableUrl, patchChildren, SANITIZE_CONFIG, type PatchableNode } from "../../media/src/render";

/** jsdom's globals, typed loosely (the root tsconfig has no DOM library). */
interface Elem extends PatchableNode {
  innerHTML: string;
  textContent: string | null;
  content: Elem;
  firstChild: Elem | null;
  querySelector(sel: string): Elem | null;
  querySelectorAll(sel: string): ArrayLike<Elem>;
  getAttribute(name: string): string | null;
  hasAttribute(name: string): boolean;
  children: ArrayLike<Elem>;
}
const win = (globalThis as unknown as { window: unknown }).window;
const doc = (globalThis as unknown as { document: { createElement(tag: string): Elem } }).document;

const purify = DOMPurify(win as never);
const renderer = createRenderer((html, config) => purify.sanitize(html, config) as unknown as string);

function dom(markdown: string): Elem {
  const div = doc.createElement("div");
  div.innerHTML = renderer.render(markdown);
  return div;
}

describe("markdown rendering", () => {
  it("runs DOMPurify for real (jsdom provides the DOM)", () => {
    expect(purify.isSupported).toBe(true);
  });

  it("renders common Markdown", () => {
    const d = dom("# Title\n\nSome **bold** and `code`.\n\n- one\n- two\n\n> quoted");
    expect(d.querySelector("h1")?.textContent).toBe("Title");
    expect(d.querySelector("strong")?.textContent).toBe("bold");
    expect(d.querySelector("p code")?.textContent).toBe("code");
    expect(d.querySelectorAll("li")).toHaveLength(2);
    expect(d.querySelector("blockquote")?.textContent?.trim()).toBe("quoted");
  });

  it("shows raw HTML from the model as text (html: false)", () => {
    const d = dom('<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">\n\nok <b onclick="x()">b</b>');
    expect(d.querySelector("script")).toBeNull();
    expect(d.querySelector("img")).toBeNull();
    expect(d.querySelector("b")).toBeNull();
    expect(d.textContent).toContain("<script>alert(1)</script>");
    expect(d.textContent).toContain('<img src=x onerror="alert(2)">');
  });

  it("turns http(s) links into data-href links that cannot navigate", () => {
    const d = dom("See [the docs](https://example.com/a?b=1&c=2) and <https://x.dev>.");
    const links = Array.from(d.querySelectorAll("a"));
    expect(links).toHaveLength(2);
    for (const a of links) {
      expect(a.hasAttribute("href")).toBe(false);
      expect(a.getAttribute("class")).toBe("link");
      expect(a.getAttribute("tabindex")).toBe("0");
      expect(a.getAttribute("role")).toBe("link");
    }
    expect(links[0].getAttribute("data-href")).toBe("https://example.com/a?b=1&c=2");
    expect(links[0].textContent).toBe("the docs");
    expect(links[1].getAttribute("data-href")).toBe("https://x.dev");
  });

  it("linkifies bare URLs", () => {
    const a = dom("Go to https://github.com/ggml-org/llama.cpp now").querySelector("a");
    expect(a?.getAttribute("data-href")).toBe("https://github.com/ggml-org/llama.cpp");
  });

  it("never makes other schemes openable", () => {
    const d = dom(
      "[js](javascript:alert(1)) [file](file:///etc/passwd) [cmd](command:workbench.action.quit) [vs](vscode://foo) [rel](./x.md) [mail](mailto:a@b.c) [data](data:text/html,hi)",
    );
    for (const a of Array.from(d.querySelectorAll("a"))) {
      expect(a.hasAttribute("data-href")).toBe(false);
      expect(a.hasAttribute("href")).toBe(false);
    }
    expect(d.innerHTML).not.toContain("data-href");
  });

  it("does not load images from answers: they become links", () => {
    const d = dom("![diagram](https://example.com/d.png) ![local](./x.png)");
    expect(d.querySelector("img")).toBeNull();
    const a = d.querySelector("a.image-ref");
    expect(a?.getAttribute("data-href")).toBe("https://example.com/d.png");
    expect(a?.textContent).toBe("[image: diagram]");
    expect(d.textContent).toContain("[image: local]");
  });

  it("renders fenced code with a language label and Copy / Insert / New file buttons", () => {
    const d = dom("Here:\n\n```ts\nconst x: Array<number> = [1];\nif (a < b && c > d) {}\n```\n");
    const block = d.querySelector(".code-block");
    expect(block?.getAttribute("data-lang")).toBe("ts");
    expect(block?.querySelector(".code-lang")?.textContent).toBe("ts");
    expect(block?.querySelector("pre code")?.getAttribute("class")).toBe("language-ts");
    expect(block?.querySelector("pre code")?.textContent).toBe("const x: Array<number> = [1];\nif (a < b && c > d) {}\n");
    const buttons = Array.from(block!.querySelectorAll("button"));
    expect(buttons.map((b) => b.getAttribute("data-action"))).toEqual(["copy", "insert", "apply", "newFile"]);
    for (const b of buttons) {
      expect(b.getAttribute("type")).toBe("button");
      expect(b.getAttribute("aria-label")).toMatch(/code/);
    }
  });

  it("gives a shell block a Terminal button instead of Apply", () => {
    const block = dom("```bash\nnpm test\n```\n").querySelector(".code-block");
    expect(Array.from(block!.querySelectorAll("button")).map((b) => b.getAttribute("data-action"))).toEqual(["copy", "terminal", "insert", "newFile"]);
    expect(block!.querySelector('[data-action="terminal"]')?.getAttribute("aria-label")).toBe("Put the command in the terminal");
  });

  it("labels code without a language as text, and handles indented code", () => {
    const d = dom("```\nplain\n```\n\n    indented\n");
    const blocks = Array.from(d.querySelectorAll(".code-block"));
    expect(blocks).toHaveLength(2);
    expect(blocks.map((b) => b.querySelector(".code-lang")?.textContent)).toEqual(["text", "text"]);
    expect(blocks[0].hasAttribute("data-lang")).toBe(false);
    expect(blocks[1].querySelector("code")?.textContent).toBe("indented\n");
  });

  it("keeps a hostile fence info string harmless", () => {
    const d = dom('```"><img src=x onerror=alert(1)> python\nx\n```');
    expect(d.querySelector("img")).toBeNull();
    const lang = d.querySelector(".code-block")?.getAttribute("data-lang") ?? "";
    expect(lang).toMatch(/^[\w+#.-]*$/);
  });

  it("renders an unterminated fence while streaming as code", () => {
    const d = dom("Partial:\n\n```python\ndef f():\n    return");
    expect(d.querySelector("pre code")?.textContent).toBe("def f():\n    return");
  });

  it("uses classes, never inline styles, for table alignment", () => {
    const html = renderer.render("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |");
    expect(html).not.toContain("style=");
    const d = dom("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |");
    expect(Array.from(d.querySelectorAll("td")).map((td) => td.getAttribute("class"))).toEqual(["align-left", "align-center", "align-right"]);
  });

  it("produces no style, id, event handler or href attributes at all", () => {
    const d = dom(
      "# h\n\n[a](https://a.b) ![i](https://a.b/i.png)\n\n```js\nx\n```\n\n| x |\n|--:|\n| 1 |\n\n<div style=\"color:red\" onclick=\"x\">raw</div>",
    );
    const names = Array.from(d.querySelectorAll("*")).flatMap((e) => Array.from((e as unknown as { attributes: ArrayLike<{ name: string }> }).attributes, (a) => a.name));
    expect(names.length).toBeGreaterThan(10);
    expect(names.filter((n) => /^(style|id|name|href|src|on\w+)$/i.test(n))).toEqual([]);
  });
});

describe("the sanitizer policy on its own", () => {
  const clean = (html: string) => renderer.sanitize(html);

  it("strips scripts, event handlers, styles and forms", () => {
    const out = clean('<p style="color:red" onclick="x()">t</p><script>x()</script><form><input></form><iframe src="https://a"></iframe><style>*{}</style>');
    expect(out).toBe("<p>t</p>");
  });

  it("keeps data-href only for http(s)", () => {
    expect(clean('<a class="link" data-href="https://ok.dev">ok</a>')).toBe('<a class="link" data-href="https://ok.dev">ok</a>');
    expect(clean('<a data-href="javascript:alert(1)">x</a>')).toBe("<a>x</a>");
    expect(clean('<a data-href="command:workbench.action.quit">x</a>')).toBe("<a>x</a>");
    expect(clean('<a href="https://ok.dev">x</a>')).toBe("<a>x</a>");
  });

  it("drops images and SVG", () => {
    expect(clean('<img src="https://tracker/x.png"><svg><script>x</script></svg>ok')).toBe("ok");
  });

  it("exposes a DOMPurify-compatible config with no inline-style escape hatch", () => {
    expect(SANITIZE_CONFIG.FORBID_ATTR).toContain("style");
    expect(SANITIZE_CONFIG.ALLOWED_TAGS).not.toContain("img");
    expect(SANITIZE_CONFIG.ALLOW_UNKNOWN_PROTOCOLS).toBe(false);
  });
});

describe("helpers", () => {
  it("isOpenableUrl accepts only absolute http(s) URLs", () => {
    expect(isOpenableUrl("https://example.com")).toBe(true);
    expect(isOpenableUrl("HTTP://EXAMPLE.COM/x")).toBe(true);
    expect(isOpenableUrl("javascript:alert(1)")).toBe(false);
    expect(isOpenableUrl("https://")).toBe(false);
    expect(isOpenableUrl("vscode://x")).toBe(false);
    expect(isOpenableUrl("//example.com")).toBe(false);
  });

  it("fenceLanguage keeps the first word, safe characters only", () => {
    expect(fenceLanguage("ts title=a.ts")).toBe("ts");
    expect(fenceLanguage("{.python}")).toBe("python");
    expect(fenceLanguage("c++")).toBe("c++");
    expect(fenceLanguage('"><x')).toBe("x");
    expect(fenceLanguage("")).toBe("");
  });
});

describe("patchChildren", () => {
  function fragment(html: string): Elem {
    const t = doc.createElement("template");
    t.innerHTML = html;
    return t.content;
  }

  it("replaces only the blocks that changed, keeping the others' nodes", () => {
    const target = doc.createElement("div");
    target.innerHTML = renderer.render("First paragraph.\n\n```js\nlet a = 1;\n```\n\nStreaming tex");
    const firstP = target.querySelector("p");
    const block = target.querySelector(".code-block");
    const changed = patchChildren(target, fragment(renderer.render("First paragraph.\n\n```js\nlet a = 1;\n```\n\nStreaming text goes on.")));
    expect(changed).toBe(1);
    expect(target.querySelector("p")).toBe(firstP);
    expect(target.querySelector(".code-block")).toBe(block);
    expect(target.textContent).toContain("Streaming text goes on.");
  });

  it("appends new blocks and removes vanished ones", () => {
    const target = doc.createElement("div");
    patchChildren(target, fragment("<p>a</p><p>b</p>"));
    expect(target.innerHTML).toBe("<p>a</p><p>b</p>");
    patchChildren(target, fragment("<p>a</p>"));
    expect(target.innerHTML).toBe("<p>a</p>");
    patchChildren(target, fragment("<p>a</p><ul><li>x</li></ul><p>c</p>"));
    expect(target.innerHTML).toBe("<p>a</p><ul><li>x</li></ul><p>c</p>");
    expect(patchChildren(target, fragment("<p>a</p><ul><li>x</li></ul><p>c</p>"))).toBe(0);
  });
});
