/**
 * Markdown → safe HTML for the chat webview, and the DOM patch that keeps streaming cheap.
 *
 * - markdown-it with `html: false`: raw HTML in an answer is shown as text, never parsed.
 * - Links never navigate the webview: an http(s) link becomes `<a class="link" data-href="…">` with no
 *   `href` (so neither the webview nor VS Code's own link handler follows it); the view posts `openLink`
 *   and the extension opens it with `vscode.env.openExternal`. Other schemes render as inert text.
 * - Images in answers are not fetched (privacy, and the CSP allows only local images): they become links.
 * - Fenced and indented code becomes a block with a language label and Copy / Insert / Apply / New file buttons
 *   (a shell block: Copy / Terminal / Insert / New file).
 * - Table alignment uses classes instead of `style` (the CSP allows no inline styles).
 * - Everything then goes through DOMPurify with an allow-list (tags, attributes, URI checks on `data-href`).
 *
 * This module has no DOM dependency of its own: the sanitizer is passed in (DOMPurify bound to the
 * webview's window, or to jsdom's in tests), and {@link patchChildren} takes structural node types.
 */
import MarkdownIt, { type Token } from "markdown-it";
import { isShellLanguage } from "../../src/chat/terminalCommand";

/** The subset of DOMPurify's config this module uses (structurally compatible with DOMPurify's `Config`). */
export interface SanitizeConfig {
  ALLOWED_TAGS: string[];
  ALLOWED_ATTR: string[];
  ADD_URI_SAFE_ATTR: string[];
  FORBID_ATTR: string[];
  ALLOW_DATA_ATTR: boolean;
  ALLOW_ARIA_ATTR: boolean;
  ALLOW_UNKNOWN_PROTOCOLS: boolean;
  ALLOWED_URI_REGEXP: RegExp;
}

export type Sanitize = (html: string, config: SanitizeConfig) => string;

export const SANITIZE_CONFIG: SanitizeConfig = {
  ALLOWED_TAGS: [
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "s", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "a", "span", "div", "button", "sup", "sub", "kbd",
  ],
  ALLOWED_ATTR: ["class", "data-href", "data-action", "data-lang", "title", "aria-label", "role", "tabindex", "type", "start"],
  // Plain-text attributes: skip DOMPurify's URI check for them. `data-href` keeps the check.
  ADD_URI_SAFE_ATTR: ["data-action", "data-lang", "aria-label", "tabindex", "type", "start"],
  FORBID_ATTR: ["style", "href", "src", "id", "name"],
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  ALLOW_UNKNOWN_PROTOCOLS: false,
  ALLOWED_URI_REGEXP: /^https?:\/\//i,
};

/** The only links the view may ask the extension to open. */
export function isOpenableUrl(url: string): boolean {
  if (!/^https?:\/\//i.test(url)) return false;
  try {
    const u = new URL(url);
    return (u.protocol === "http:" || u.protocol === "https:") && !!u.hostname;
  } catch {
    return false;
  }
}

/** A fence info string's language, reduced to characters safe in a class name and a label. */
export function fenceLanguage(info: string): string {
  const first = info.trim().split(/\s+/)[0] ?? "";
  return first.replace(/^\{?\.?/, "").replace(/[^\w+#.-]/g, "").slice(0, 32);
}

export interface Renderer {
  /** Markdown → sanitized HTML string (safe to assign to `innerHTML`). */
  render(markdown: string): string;
  /** The sanitizer with this module's policy (exposed for tests and for any other HTML the view builds). */
  sanitize(html: string): string;
}

export function createRenderer(sanitize: Sanitize): Renderer {
  const md = new MarkdownIt({ html: false, linkify: true, typographer: false, breaks: false });
  const { escapeHtml, unescapeAll } = md.utils;

  const codeBlock = (content: string, info: string): string => {
    const lang = fenceLanguage(info);
    const label = lang || "text";
    const langAttr = lang ? ` data-lang="${escapeHtml(lang)}"` : "";
    const codeClass = lang ? ` class="language-${escapeHtml(lang)}"` : "";
    return (
      `<div class="code-block"${langAttr}>` +
      `<div class="code-header"><span class="code-lang">${escapeHtml(label)}</span><span class="code-actions">` +
      `<button type="button" class="code-action" data-action="copy" title="Copy" aria-label="Copy code">Copy</button>` +
      // (a shell block goes to the terminal's prompt, not into a source file)
      (isShellLanguage(lang)
        ? `<button type="button" class="code-action" data-action="terminal" title="Type it at the terminal's prompt (it runs when you press Enter)" aria-label="Put the command in the terminal">Terminal</button>`
        : "") +
      `<button type="button" class="code-action" data-action="insert" title="Insert at cursor (replaces the selection)" aria-label="Insert code at cursor">Insert</button>` +
      (isShellLanguage(lang)
        ? ""
        : `<button type="button" class="code-action" data-action="apply" title="Apply to the file in the editor (shows the change as a diff first)" aria-label="Apply code to the file">Apply</button>`) +
      `<button type="button" class="code-action" data-action="newFile" title="Open in a new untitled file" aria-label="Open code in a new file">New file</button>` +
      `</span></div>` +
      `<pre><code${codeClass}>${escapeHtml(content)}</code></pre></div>\n`
    );
  };

  md.renderer.rules.fence = (tokens, idx) => {
    const token = tokens[idx];
    return codeBlock(token.content, token.info ? unescapeAll(token.info) : "");
  };
  md.renderer.rules.code_block = (tokens, idx) => codeBlock(tokens[idx].content, "");

  md.renderer.rules.link_open = (tokens, idx) => {
    const href = String(tokens[idx].attrGet("href") ?? "");
    if (isOpenableUrl(href)) {
      const h = escapeHtml(href);
      return `<a class="link" data-href="${h}" title="${h}" role="link" tabindex="0">`;
    }
    return `<a class="link-inert">`;
  };
  md.renderer.rules.link_close = () => "</a>";

  md.renderer.rules.image = (tokens, idx, options, env, self) => {
    const token = tokens[idx];
    const src = String(token.attrGet("src") ?? "");
    const alt = self.renderInlineAsText(token.children ?? [], options, env) || "image";
    const text = `[image: ${escapeHtml(alt)}]`;
    if (!isOpenableUrl(src)) return `<span class="image-ref">${text}</span>`;
    const h = escapeHtml(src);
    return `<a class="link image-ref" data-href="${h}" title="${h}" role="link" tabindex="0">${text}</a>`;
  };

  // Table cell alignment: markdown-it emits style="text-align:…"; the CSP forbids inline styles.
  md.core.ruler.push("hearth_table_align", (state) => {
    for (const token of state.tokens as Token[]) {
      if (token.type !== "th_open" && token.type !== "td_open") continue;
      const style = String(token.attrGet("style") ?? "");
      if (!style) continue;
      const m = /text-align:\s*(left|center|right)/.exec(style);
      token.attrs = (token.attrs ?? []).filter(([name]) => name !== "style");
      if (m) token.attrJoin("class", `align-${m[1]}`);
    }
  });

  return {
    render: (markdown) => sanitize(md.render(markdown), SANITIZE_CONFIG),
    sanitize: (html) => sanitize(html, SANITIZE_CONFIG),
  };
}

// ---------------------------------------------------------------------------------------------------
// DOM patching

/** The node operations {@link patchChildren} needs (DOM `Node` satisfies it). */
export interface PatchableNode {
  readonly childNodes: ArrayLike<PatchableNode>;
  isEqualNode(other: PatchableNode | null): boolean;
  appendChild(node: PatchableNode): unknown;
  replaceChild(node: PatchableNode, child: PatchableNode): unknown;
  removeChild(child: PatchableNode): unknown;
}

/**
 * Makes `target`'s children equal to `source`'s (moving nodes out of `source`, typically a template's
 * fragment), replacing only the top-level children that changed. While an answer streams only its last
 * block changes, so earlier paragraphs and code blocks keep their DOM nodes: text selections, focus and
 * buttons in them survive each update. Returns how many children were replaced, added or removed.
 */
export function patchChildren(target: PatchableNode, source: PatchableNode): number {
  const next = Array.from(source.childNodes);
  const current = Array.from(target.childNodes);
  let changed = 0;
  for (let i = 0; i < next.length; i++) {
    if (i >= current.length) {
      target.appendChild(next[i]);
      changed++;
    } else if (!current[i].isEqualNode(next[i])) {
      target.replaceChild(next[i], current[i]);
      changed++;
    }
  }
  for (let i = next.length; i < current.length; i++) {
    target.removeChild(current[i]);
    changed++;
  }
  return changed;
}
