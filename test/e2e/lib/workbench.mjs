// Driving VS Code's workbench (code-server in chromium) like a person: the command palette, quick open,
// the Explorer's context menu, the status bar, and the Hearth chat webview (media/src/chat.ts).
// Webviews are two nested iframes: the host frame (URL carries `extensionId=…`) and the `active-frame`
// holding the extension's HTML.
import fs from "node:fs";
import path from "node:path";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const EXTENSION_ID = "hearth.hearth";
const ctrl = "Control";

export async function waitForWorkbench(page, timeoutMs = 90_000) {
  await page.locator(".monaco-workbench").waitFor({ state: "visible", timeout: timeoutMs });
  // The explorer lists the workspace once the remote connection and file service are up.
  await page.locator(".explorer-folders-view .monaco-list-row").first().waitFor({ state: "visible", timeout: timeoutMs });
}

/** Runs a command from the palette (F1), picking the entry whose label matches `label` exactly. */
export async function runCommand(page, label, { timeoutMs = 15_000 } = {}) {
  await closeQuickInput(page);
  await page.keyboard.press("F1");
  const box = page.locator(".quick-input-widget .quick-input-box input");
  await box.waitFor({ state: "visible", timeout: timeoutMs });
  await box.fill(`>${label}`);
  const row = page.locator(".quick-input-widget .quick-input-list .monaco-list-row", { hasText: label }).first();
  await row.waitFor({ state: "visible", timeout: timeoutMs });
  await row.click();
}

export async function closeQuickInput(page) {
  const widget = page.locator(".quick-input-widget");
  if (await widget.isVisible().catch(() => false)) {
    await page.keyboard.press("Escape");
    await widget.waitFor({ state: "hidden", timeout: 5000 }).catch(() => {});
  }
}

/** Ctrl+P, type the path, Enter: opens a workspace file in an editor and waits for it to be active. */
export async function openFile(page, relPath) {
  await closeQuickInput(page);
  await page.keyboard.press(`${ctrl}+P`);
  const box = page.locator(".quick-input-widget .quick-input-box input");
  await box.waitFor({ state: "visible", timeout: 15_000 });
  await box.fill(relPath);
  const name = relPath.split("/").pop();
  await page.locator(".quick-input-widget .quick-input-list .monaco-list-row", { hasText: name }).first().waitFor({ state: "visible", timeout: 15_000 });
  await page.keyboard.press("Enter");
  await page.locator(".tabs-container .tab.active", { hasText: name }).waitFor({ state: "visible", timeout: 15_000 });
  const editor = page.locator(".editor-instance .monaco-editor").first();
  await editor.waitFor({ state: "visible", timeout: 15_000 });
  return editor;
}

/** Ctrl+G to a 1-based line, then End. */
export async function goToLineEnd(page, line) {
  await page.keyboard.press(`${ctrl}+G`);
  const box = page.locator(".quick-input-widget .quick-input-box input");
  await box.waitFor({ state: "visible", timeout: 10_000 });
  await box.fill(`:${line}`);
  await page.keyboard.press("Enter");
  await box.waitFor({ state: "hidden", timeout: 10_000 }).catch(() => {});
  await page.keyboard.press("End");
}

/**
 * `formatMoney()` in the fixture's `src/format.ts` (0-based first and last line), opened and selected with
 * the keyboard as a person does (whole lines: from its first line's start to the line after its end).
 */
export async function selectFormatMoney(page, ws) {
  const lines = fs.readFileSync(path.join(ws, "src", "format.ts"), "utf8").split("\n");
  const at = lines.findIndex((l) => l.startsWith("export function formatMoney("));
  const end = lines.indexOf("}", at);
  if (at < 0 || end < 0) throw new Error("fixture src/format.ts changed: no formatMoney()");
  await openFile(page, "src/format.ts");
  await goToLineEnd(page, at + 1);
  await page.keyboard.press("Home");
  await page.keyboard.press("Home");
  for (let i = at; i <= end; i++) await page.keyboard.press("Shift+ArrowDown");
  return { at, end };
}

/** Status bar entries whose text or accessible label mentions `text`. */
export function statusBarItem(page, text = "Hearth") {
  return page.locator(`.statusbar-item:has-text("${text}"), .statusbar-item:has([aria-label*="${text}"])`).first();
}

/** Waits until the Hearth status bar item no longer spins (model loaded or failed); returns its label. */
export async function waitForHearthIdle(page, timeoutMs = 180_000) {
  const item = statusBarItem(page);
  await item.waitFor({ state: "visible", timeout: timeoutMs });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const spinning = await item.locator(".codicon-loading, .codicon-modifier-spin").count();
    if (!spinning) return (await item.innerText()).trim();
    if (Date.now() > deadline) throw new Error(`the Hearth status bar item still shows loading after ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}

/** Right-clicks a workspace file in the Explorer (expanding its folders) and picks `menuItem`. */
export async function explorerContextMenu(page, relPath, menuItem) {
  await page.keyboard.press(`${ctrl}+Shift+E`);
  const parts = relPath.split("/");
  for (let i = 0; i < parts.length; i++) {
    const row = page.locator(`.explorer-folders-view .monaco-list-row[aria-level="${i + 1}"]`, { has: page.locator(".label-name", { hasText: new RegExp(`^${escapeRe(parts[i])}$`) }) }).first();
    await row.waitFor({ state: "visible", timeout: 15_000 });
    if (i < parts.length - 1) {
      if ((await row.getAttribute("aria-expanded")) !== "true") await row.click();
    } else {
      await row.click({ button: "right" }); // selects the row without opening the file
    }
  }
  const item = page.locator(".monaco-menu .action-item .action-label", { hasText: new RegExp(`^${escapeRe(menuItem)}$`) }).first();
  await item.waitFor({ state: "visible", timeout: 10_000 });
  // The menu ignores a click that comes too soon after it opened (the right button's own mouse-up).
  await sleep(300);
  await item.click();
  const menu = page.locator(".monaco-menu").first();
  if (!(await menu.waitFor({ state: "hidden", timeout: 2000 }).then(() => true, () => false))) {
    await item.hover();
    await page.keyboard.press("Enter");
    if (!(await menu.waitFor({ state: "hidden", timeout: 2000 }).then(() => true, () => false))) {
      await page.keyboard.press("Escape");
      throw new Error(`clicking "${menuItem}" in the Explorer's context menu did nothing`);
    }
  }
}

function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The inner frame of the extension's webview (the chat view), once its script has rendered. */
export async function chatFrame(page, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const f of page.frames()) {
      if (!f.url().includes(`extensionId=${EXTENSION_ID}`)) continue;
      for (const inner of f.childFrames()) {
        if (inner.name() !== "active-frame" && !inner.url().includes("fake.html")) continue;
        if (await inner.locator("textarea.input").count().catch(() => 0)) return inner;
      }
    }
    if (Date.now() > deadline) throw new Error(`the Hearth chat webview did not appear within ${timeoutMs / 1000} s (frames: ${page.frames().map((f) => f.url().slice(0, 80)).join(" | ")})`);
    await sleep(200);
  }
}

/** Opens the Hearth view from the activity bar (or the command palette) and returns the chat frame. */
export async function openChat(page) {
  const icon = page.locator('.activitybar .action-item a[aria-label^="Hearth"], .activitybar .action-item[aria-label^="Hearth"]').first();
  if (await icon.isVisible().catch(() => false)) {
    const checked = await page.locator('.activitybar .action-item.checked a[aria-label^="Hearth"]').count();
    if (!checked) await icon.click();
  } else {
    await runCommand(page, "Hearth: Focus on Chat View");
  }
  return chatFrame(page);
}

/** Types a message into the chat input and presses Enter, as a person does. */
export async function typeChatMessage(frame, text) {
  const input = frame.locator("textarea.input");
  await input.waitFor({ state: "visible", timeout: 15_000 });
  await input.click();
  await input.fill(text);
  await input.press("Enter");
}

/** Waits for the number of finished assistant turns in the transcript to reach `count`; returns the last. */
export async function waitForAssistantTurns(frame, count, timeoutMs = 180_000) {
  const turns = frame.locator("article.turn.assistant");
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = await turns.count();
    if (n >= count) {
      const last = turns.nth(n - 1);
      const busy = await last.getAttribute("aria-busy");
      if (busy !== "true") {
        const error = await last.locator(".turn-error").count();
        if (error) throw new Error(`the answer ended with an error: ${await last.locator(".turn-error").innerText()}`);
        return last;
      }
    }
    if (Date.now() > deadline) throw new Error(`fewer than ${count} finished answers in the chat after ${timeoutMs / 1000} s (have ${n})`);
    await sleep(200);
  }
}

export { sleep };
