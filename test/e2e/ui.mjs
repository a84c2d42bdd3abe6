// Phase B of the e2e run: what a person does in VS Code with Hearth installed from its .vsix, driven with
// playwright-core in headless chromium against code-server. Each test records pass/fail and the visible
// result is saved as a screenshot in test-results/e2e/. Tiny random-weight models write noise: the tests
// check structure (ghost text appears and lands in the file, an answer appears, a Markdown summary opens).
import fs from "node:fs";
import path from "node:path";
import { launchBrowser, startCodeServer } from "./lib/codeServer.mjs";
import {
  chatFrame,
  closeQuickInput,
  explorerContextMenu,
  goToLineEnd,
  openChat,
  openFile,
  runCommand,
  selectFormatMoney,
  sleep,
  statusBarItem,
  typeChatMessage,
  waitForAssistantTurns,
  waitForWorkbench,
} from "./lib/workbench.mjs";

const norm = (s) => s.replace(/\u00a0/g, " ");

export async function runUiTests({ tools, env, runDir, profile, extensionsDir, extension, screenshots, record, note, scale, remoteUri }) {
  const S = (ms) => ms * scale;

  /**
   * The finished answer after `before` assistant turns, with visible text. When a tiny model's first
   * token is Gemma 4's `<channel|>` marker, the engine's streamed answer is empty: then do what a person
   * does, click "Regenerate" (at most five times), and say so in the output.
   */
  async function answerWithText(frame, before, what) {
    let last = await waitForAssistantTurns(frame, before + 1, S(180_000));
    for (let attempt = 1; ; attempt++) {
      // (scrolled into view first: a turn out of view is not rendered, content-visibility: auto, and has no innerText)
      await last.scrollIntoViewIfNeeded().catch(() => {});
      const text = norm(await last.locator(".markdown").innerText()).trim();
      if (text || attempt >= 6) return { last, text };
      const id = await last.getAttribute("data-id");
      note(`${what}: answer ${attempt} has no visible text (${norm(await last.locator(".stats").innerText().catch(() => "")).replace(/\s+/g, " ").trim()}); clicking Regenerate`);
      await last.locator("button.retry").click();
      const deadline = Date.now() + S(180_000);
      for (;;) {
        const turns = frame.locator("article.turn.assistant");
        const n = await turns.count();
        const cand = turns.nth(n - 1);
        if (n > 0 && (await cand.getAttribute("data-id")) !== id && (await cand.getAttribute("aria-busy")) !== "true") {
          last = cand;
          break;
        }
        if (Date.now() > deadline) throw new Error(`${what}: Regenerate produced no new answer`);
        await sleep(200);
      }
    }
  }
  // Without a .vsix the folder is loaded as extensionDevelopmentPath, which only the smoke-test driver's
  // payload can do (it also hides notification toasts).
  const smoke = !extension.installed;
  const extDir = smoke ? path.join(runDir, "extensions-b-empty") : extensionsDir;
  fs.mkdirSync(extDir, { recursive: true });
  const cs = await startCodeServer({ tools, env, userDataDir: profile.userDataDir, extensionsDir: extDir, workspace: profile.ws, logFile: path.join(runDir, "logs", "code-server-b.log"), smokeTestDriver: smoke, runDir });
  const browser = await launchBrowser({ tools, userDataDir: profile.chromeDir, env });
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.on("pageerror", (e) => fs.appendFileSync(path.join(runDir, "logs", "page-b.log"), `pageerror: ${e.message}\n`));
  page.on("console", (m) => fs.appendFileSync(path.join(runDir, "logs", "page-b.log"), `${m.type()}: ${m.text()}\n`));
  const shot = (name) => page.screenshot({ path: path.join(screenshots, `${name}.png`) });
  const ctx = {};
  let workbenchOk = false;

  async function test(title, fn, { needs } = {}) {
    const t = Date.now();
    if (needs && !needs()) {
      record({ phase: "B", title, ok: false, skipped: false, ms: 0, error: "not run: an earlier step it depends on failed" });
      return;
    }
    try {
      await fn();
      record({ phase: "B", title, ok: true, ms: Date.now() - t });
    } catch (e) {
      const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, "-").slice(0, 60);
      await page.screenshot({ path: path.join(screenshots, `failure-${slug}.png`) }).catch(() => {});
      record({ phase: "B", title, ok: false, ms: Date.now() - t, error: e?.stack ?? String(e) });
      await closeQuickInput(page).catch(() => {});
    }
  }

  try {
    let url = `${cs.url}/?folder=${encodeURIComponent(profile.ws)}`;
    if (smoke) url += `&payload=${encodeURIComponent(JSON.stringify([["extensionDevelopmentPath", remoteUri(cs.port, extension.devPath)]]))}`;

    await test("the workbench opens the workspace and the status bar shows Hearth", async () => {
      await page.goto(url);
      await waitForWorkbench(page, S(90_000));
      workbenchOk = true;
      const item = statusBarItem(page, "Hearth");
      await item.waitFor({ state: "visible", timeout: S(60_000) });
      const text = norm(await item.innerText());
      if (!/Hearth/.test(text) && !/Hearth/.test((await item.getAttribute("aria-label")) ?? "")) throw new Error(`status bar item text: ${text}`);
    });

    await test(
      "typing in a file shows ghost text from the model and Tab accepts it",
      async () => {
        const file = path.join(profile.ws, "src", "orders.ts");
        const original = fs.readFileSync(file, "utf8");
        const lines = original.split("\n");
        const loop = lines.findIndex((l) => l.includes("for (const line of order.lines)"));
        if (loop < 0 || lines[loop + 1].trim() !== "") throw new Error("fixture src/orders.ts changed: no empty loop body in largestLine()");
        await openFile(page, "src/orders.ts");
        await goToLineEnd(page, loop + 2);
        const ghost = page.locator(".editor-instance .monaco-editor .ghost-text-decoration, .editor-instance .monaco-editor .ghost-text-decoration-preview, .editor-instance .monaco-editor .ghost-text");
        let typed = "";
        let shown = false;
        for (const chunk of ["if (", "line.quantity", " > ", "(best?.quantity ?? 0)"]) {
          await page.keyboard.type(chunk, { delay: 30 });
          typed += chunk;
          try {
            await ghost.first().waitFor({ state: "visible", timeout: S(12_000) });
            shown = true;
            break;
          } catch {
            // nothing usable here: ask explicitly (Alt+\ = Trigger Inline Suggestion) once, then type on
            await page.keyboard.press("Alt+Backslash");
            try {
              await ghost.first().waitFor({ state: "visible", timeout: S(8_000) });
              shown = true;
              break;
            } catch {
              // type more
            }
          }
        }
        if (!shown) throw new Error(`no ghost text appeared after typing ${JSON.stringify(typed)} (model ready? see the status bar)`);
        await sleep(300); // let the decoration settle (streamed suggestions can grow)
        const ghostText = norm((await ghost.allInnerTexts()).join("\n"));
        note(`typed ${JSON.stringify(typed)}; ghost text of ${ghostText.length} chars`);
        await shot("ghost-text");
        await page.keyboard.press("Tab");
        await ghost.first().waitFor({ state: "hidden", timeout: S(5_000) }).catch(() => {});
        await page.keyboard.press("Control+S");
        const firstGhostLine = ghostText.split("\n").map((l) => l.trim()).find((l) => l.length > 0);
        if (!firstGhostLine) throw new Error("the ghost text was empty");
        // Wait for the save with the accepted text (an earlier save of the typed text alone may be on disk).
        let saved = original;
        const deadline = Date.now() + S(10_000);
        while (!norm(saved).includes(firstGhostLine.slice(0, 20)) && Date.now() < deadline) {
          await sleep(200);
          saved = fs.readFileSync(file, "utf8");
        }
        const typedLine = saved.split("\n")[loop + 1] ?? "";
        if (!typedLine.includes("if (")) throw new Error(`the typed text is not on line ${loop + 2} of the saved file: ${JSON.stringify(typedLine)}`);
        if (!norm(saved).includes(firstGhostLine.slice(0, 20))) {
          throw new Error(`the ghost text ${JSON.stringify(firstGhostLine)} is not in the file after Tab; line ${loop + 2} is now ${JSON.stringify(typedLine)}`);
        }
        if (!saved.endsWith(lines.slice(loop + 2).join("\n"))) throw new Error("accepting the suggestion changed the lines after the cursor");
      },
      { needs: () => workbenchOk },
    );

    await test(
      "the status bar item shows the model state and opens the Hearth menu",
      async () => {
        const item = statusBarItem(page, "Hearth");
        await closeQuickInput(page);
        await item.click();
        const rows = page.locator(".quick-input-widget .quick-input-list .monaco-list-row");
        await rows.first().waitFor({ state: "visible", timeout: S(15_000) });
        if ((await rows.count()) < 2) throw new Error(`the status menu has ${await rows.count()} entries`);
        await shot("status-menu");
        await closeQuickInput(page);
      },
      { needs: () => workbenchOk },
    );

    await test(
      "Edit Selection… from the keyboard: select a function, Ctrl+Alt+E, say what to change, and Apply Change in the diff writes those lines only",
      async () => {
        const file = path.join(profile.ws, "src", "format.ts");
        const original = fs.readFileSync(file, "utf8");
        const lines = original.split("\n");
        let at = -1;
        let end = -1;
        const apply = page.locator('.editor-actions [aria-label^="Apply Change"]').first();
        // (a warning or an error: the command's progress notification is a toast too)
        const toast = page.locator(".notifications-toasts .notification-toast:has(.codicon-warning, .codicon-error)").first();
        let shown = false;
        // The random model may write nothing, or the lines unchanged: then the command says so; ask again.
        for (let attempt = 1; attempt <= 3 && !shown; attempt++) {
          await runCommand(page, "Notifications: Clear All Notifications").catch(() => {});
          ({ at, end } = await selectFormatMoney(page, profile.ws));
          await page.keyboard.press("Control+Alt+E");
          const box = page.locator(".quick-input-widget .quick-input-box input");
          await box.waitFor({ state: "visible", timeout: S(10_000) });
          const title = norm(await page.locator(".quick-input-widget .quick-input-title").innerText().catch(() => ""));
          if (!title.includes(`Edit format.ts, lines ${at + 1}`)) throw new Error(`the input box's title is ${JSON.stringify(title)}`);
          await box.fill("format negative amounts in parentheses");
          await page.keyboard.press("Enter");
          const which = await Promise.race([
            apply.waitFor({ state: "visible", timeout: S(180_000) }).then(() => "diff"),
            toast.waitFor({ state: "visible", timeout: S(180_000) }).then(() => "toast"),
          ]);
          if (which === "diff") shown = true;
          else note(`edit attempt ${attempt}: ${norm(await toast.innerText())}`);
        }
        if (!shown) throw new Error("no diff after three tries");
        await sleep(500);
        await shot("edit-diff");
        await apply.click();
        await apply.waitFor({ state: "hidden", timeout: S(10_000) });
        await page.keyboard.press("Control+S");
        let saved = original;
        const deadline = Date.now() + S(10_000);
        while (saved === original && Date.now() < deadline) {
          await sleep(200);
          saved = fs.readFileSync(file, "utf8");
        }
        if (saved === original) throw new Error("the file was not changed after Apply Change and Save");
        const after = saved.split("\n");
        if (after.slice(0, at).join("\n") !== lines.slice(0, at).join("\n")) throw new Error("the lines above the selection changed");
        if (!saved.endsWith(lines.slice(end + 1).join("\n"))) throw new Error("the lines below the selection changed");
        note(`edit: formatMoney() (${end - at + 1} lines) became ${after.length - lines.length + end - at + 1} lines`);
        await runCommand(page, "Notifications: Clear All Notifications").catch(() => {});
        fs.writeFileSync(file, original);
      },
      { needs: () => workbenchOk },
    );

    await test(
      "the chat view streams a reply to a typed message",
      async () => {
        const frame = await openChat(page);
        const before = await frame.locator("article.turn.assistant").count();
        const prompt = "Write a TypeScript function that returns the largest order line.";
        await typeChatMessage(frame, prompt);
        await frame.locator("article.turn.user", { hasText: prompt }).first().waitFor({ state: "visible", timeout: S(15_000) });
        const { last, text } = await answerWithText(frame, before, "chat");
        if (!text) throw new Error("the reply is empty (six times)");
        ctx.chat = { prompt, reply: text.slice(0, 40) };
        await shot("chat-reply");
        // The workspace's AGENTS.md went with the question, the answer says so, and its link opens the file.
        const following = norm(await last.locator(".turn-meta .instructions").innerText().catch(() => ""));
        if (following !== "Following AGENTS.md") throw new Error(`the answer's footer says ${JSON.stringify(following)} about standing instructions, not "Following AGENTS.md"`);
        await last.locator(".instructions button", { hasText: "AGENTS.md" }).click();
        const tab = page.locator(".tabs-container .tab.active", { hasText: "AGENTS.md" });
        await tab.waitFor({ state: "visible", timeout: S(15_000) });
        // (closed again, so the next tests find the editors as they left them)
        await tab.locator(".tab-actions .codicon-close, .tab-actions .action-label").first().click();
        await page.locator(".tabs-container .tab", { hasText: "AGENTS.md" }).waitFor({ state: "hidden", timeout: S(10_000) });
      },
      { needs: () => workbenchOk },
    );

    await test(
      "the editor's Hearth menu explains the selected code in the chat, and typing / in the chat offers the commands",
      async () => {
        const { at, end } = await selectFormatMoney(page, profile.ws);
        // The context menu from the keyboard (a right-click outside the selection would move the cursor).
        await page.keyboard.press("Shift+F10");
        const item = (label) => page.locator(".monaco-menu .action-item .action-label", { hasText: new RegExp(`^${label}$`) }).first();
        await item("Hearth").waitFor({ state: "visible", timeout: S(10_000) });
        await sleep(300);
        await item("Hearth").hover();
        await item("Explain").waitFor({ state: "visible", timeout: S(10_000) });
        await shot("editor-hearth-menu");
        await item("Explain").click();
        const frame = await chatFrame(page);
        // (with the folder's name in front in a workspace of several folders)
        const chip = `src/format.ts:${at + 1}-${end + 1}`;
        const isChip = (c) => c === chip || c.endsWith(`/${chip}`);
        const explained = frame.locator("article.turn.user", { has: frame.locator(".chip.command", { hasText: "/explain" }) }).last();
        await explained.waitFor({ state: "visible", timeout: S(30_000) });
        // (textContent: a turn not yet scrolled into view is not rendered, content-visibility: auto, and its innerText is empty)
        const chips = (await explained.locator(".chip").allTextContents()).map(norm);
        if (!chips.some(isChip)) throw new Error(`the Explain turn's chips are ${JSON.stringify(chips)}, not the selection ${chip}`);
        await waitForAssistantTurns(frame, await frame.locator("article.turn.assistant").count(), S(180_000));

        // The / menu: typed, narrowed, picked with Tab, sent with Enter; the editor's selection is still the code.
        const before = await frame.locator("article.turn.assistant").count();
        const input = frame.locator("textarea.input");
        await input.click();
        await input.fill("");
        await input.pressSequentially("/te");
        const offered = frame.locator(".command-menu .command-item .command-name");
        await offered.first().waitFor({ state: "visible", timeout: S(5_000) });
        const names = await offered.allInnerTexts();
        if (JSON.stringify(names) !== JSON.stringify(["/tests"])) throw new Error(`the / menu offers ${JSON.stringify(names)} for "/te"`);
        await shot("chat-slash-menu");
        await input.press("Tab");
        if ((await input.inputValue()) !== "/tests ") throw new Error(`Tab put ${JSON.stringify(await input.inputValue())} in the input`);
        await input.press("Enter");
        const tests = frame.locator("article.turn.user", { has: frame.locator(".chip.command", { hasText: "/tests" }) }).last();
        await tests.waitFor({ state: "visible", timeout: S(30_000) });
        const testChips = (await tests.locator(".chip").allTextContents()).map(norm);
        if (!testChips.some(isChip)) throw new Error(`the /tests turn's chips are ${JSON.stringify(testChips)}`);
        await waitForAssistantTurns(frame, before + 1, S(180_000));
        note(`commands: /explain and /tests on ${chip}`);
      },
      { needs: () => workbenchOk },
    );

    await test(
      "typing # in the chat offers the workspace's files: one picked goes with the message as a chip, its path in the text",
      async () => {
        const frame = await openChat(page);
        const before = await frame.locator("article.turn.assistant").count();
        const input = frame.locator("textarea.input");
        await input.click();
        await input.fill("");
        await input.pressSequentially("what does #");
        const offered = frame.locator(".command-menu .file-item");
        // (# alone: the open files first, then the rest of the workspace)
        await offered.nth(2).waitFor({ state: "visible", timeout: S(10_000) });
        await shot("chat-file-menu");
        await input.pressSequentially("orders");
        await frame.locator(".command-menu .file-item.active", { hasText: /^orders\.ts/ }).waitFor({ state: "visible", timeout: S(10_000) });
        const first = norm(await offered.first().innerText()).replace(/\s+/g, " ").trim();
        if (!/^orders\.ts\b/.test(first)) throw new Error(`the # menu offers ${JSON.stringify(first)} first for "#orders", not orders.ts`);
        await input.press("Tab");
        const value = await input.inputValue();
        if (!/^what does (\S+\/)?src\/orders\.ts $/.test(value)) throw new Error(`picking put ${JSON.stringify(value)} in the input`);
        const chip = frame.locator(".chips .chip .chip-label", { hasText: /^orders\.ts$/ });
        await chip.waitFor({ state: "visible", timeout: S(10_000) });
        await input.pressSequentially("export?");
        await input.press("Enter");
        const asked = frame.locator("article.turn.user", { hasText: "export?" }).last();
        await asked.waitFor({ state: "visible", timeout: S(15_000) });
        const chips = (await asked.locator(".chip").allTextContents()).map(norm);
        if (!chips.some((c) => /(^|\/)src\/orders\.ts$/.test(c))) throw new Error(`the question's chips are ${JSON.stringify(chips)}, not src/orders.ts`);
        await waitForAssistantTurns(frame, before + 1, S(180_000));

        // Functions and classes too, from the language's workspace symbols (TypeScript's server here).
        const symbol = frame.locator(".command-menu .symbol-item", { hasText: /^formatMoney/ });
        for (let attempt = 1; ; attempt++) {
          await input.fill("");
          await input.pressSequentially("see #formatMo");
          if (await symbol.first().waitFor({ state: "visible", timeout: S(5_000) }).then(() => true, () => false)) break;
          if (attempt === 4) throw new Error("the # menu never offered the function formatMoney (workspace symbols)");
        }
        await shot("chat-symbol-menu");
        await symbol.first().click();
        const symbolChip = frame.locator(".chips .chip", { hasText: /format\.ts:\d+-\d+/ });
        await symbolChip.first().waitFor({ state: "visible", timeout: S(10_000) });
        const picked = norm((await symbolChip.first().getAttribute("title")) ?? "");
        await frame.locator(".chips .chip .chip-remove").first().click();
        await input.fill("");
        note(`# menu: ${JSON.stringify(value.trim())} with the chip ${JSON.stringify(chips)}; the symbol formatMoney as ${JSON.stringify(picked)}`);
      },
      { needs: () => workbenchOk },
    );

    await test(
      "Edit on the last question puts it back in the input with its file chip; sent again, it replaces that question and its answer",
      async () => {
        const frame = await openChat(page);
        const turns = await frame.locator("article.turn").count();
        const question = frame.locator("article.turn.user").last();
        const asked = norm((await question.locator(".user-text").textContent()) ?? "").trim();
        // From the keyboard (Edit shows on hover or focus): a hover can land on the answer below when the turns'
        // estimated sizes (content-visibility) settle as they scroll into view.
        const edit = question.locator("button.edit");
        await edit.focus();
        await edit.press("Enter");
        const input = frame.locator("textarea.input");
        await frame.locator(".edit-bar").waitFor({ state: "visible", timeout: S(10_000) });
        if ((await input.inputValue()).trim() !== asked) throw new Error(`Edit put ${JSON.stringify(await input.inputValue())} in the input, not ${JSON.stringify(asked)}`);
        await frame.locator(".chips .chip .chip-label", { hasText: /^orders\.ts$/ }).waitFor({ state: "visible", timeout: S(10_000) });
        await shot("chat-edit");
        await input.fill(`${asked} Briefly.`);
        await input.press("Enter");
        await frame.locator("article.turn.user", { hasText: "Briefly." }).last().waitFor({ state: "visible", timeout: S(15_000) });
        await waitForAssistantTurns(frame, await frame.locator("article.turn.assistant").count(), S(180_000));
        const now = await frame.locator("article.turn").count();
        if (now !== turns) throw new Error(`the chat has ${now} turns after the edit, not ${turns}: the question was added instead of replaced`);
        const texts = (await frame.locator("article.turn.user .user-text").allTextContents()).map((t) => norm(t).trim());
        if (texts.includes(asked)) throw new Error(`the edited question ${JSON.stringify(asked)} is still in the chat`);
        note(`edit: ${JSON.stringify(asked)} → ${JSON.stringify(texts.at(-1))}, ${now} turns`);
      },
      { needs: () => workbenchOk },
    );

    await test(
      "New chat keeps the conversation, and Chat History in the view's title bar reopens it",
      async () => {
        const frame = await openChat(page);
        // (textContent: the first turn may be scrolled out of view, where innerText is empty)
        const first = norm((await frame.locator("article.turn.user .user-text").first().textContent()) ?? "").trim();
        const turns = await frame.locator("article.turn").count();
        if (!turns) throw new Error("no conversation to keep");
        await frame.locator('button[aria-label="New chat"]').click();
        await frame.locator("article.turn").first().waitFor({ state: "detached", timeout: S(10_000) });
        const history = page.locator('.action-item a[aria-label^="Chat History"], .action-item [aria-label^="Chat History"]').first();
        await history.waitFor({ state: "visible", timeout: S(10_000) });
        await history.click();
        const row = page.locator(".quick-input-widget .quick-input-list .monaco-list-row").first();
        await row.waitFor({ state: "visible", timeout: S(10_000) });
        const label = norm(await row.innerText());
        await shot("chat-history");
        if (!first || !label.includes(first.slice(0, 30))) throw new Error(`the newest past chat is ${JSON.stringify(label)}, not the conversation that began ${JSON.stringify(first.slice(0, 30))}`);
        await page.keyboard.press("Enter");
        await frame.locator("article.turn").nth(turns - 1).waitFor({ state: "visible", timeout: S(10_000) });
        const back = await frame.locator("article.turn").count();
        if (back !== turns) throw new Error(`the reopened chat has ${back} turns, not ${turns}`);
        note(`chat history: reopened ${JSON.stringify(label.split("\n")[0].slice(0, 50))} (${turns} turns)`);
      },
      { needs: () => workbenchOk },
    );

    await test(
      "the chat's input toolbar fits the sidebar: Send is visible and nothing scrolls sideways, down to 220 px",
      async () => {
        const frame = await openChat(page);
        const measure = () =>
          frame.evaluate(() => {
            const d = document.documentElement;
            const box = (s) => document.querySelector(s).getBoundingClientRect();
            const toolbar = document.querySelector(".toolbar");
            return {
              width: document.getElementById("root").getBoundingClientRect().width,
              scrollWidth: d.scrollWidth,
              clientWidth: d.clientWidth,
              toolbarOverflow: toolbar.scrollWidth - toolbar.clientWidth,
              toolbarRight: box(".toolbar").right,
              sendRight: box("button.send").right,
              composerRight: box(".input-box").right,
            };
          });
        const check = (m, what) => {
          if (m.scrollWidth > m.clientWidth) throw new Error(`${what}: the view scrolls sideways (${m.scrollWidth} px of content in ${m.clientWidth} px)`);
          if (m.toolbarOverflow > 0) throw new Error(`${what}: the input toolbar overflows by ${m.toolbarOverflow} px`);
          if (m.sendRight > m.composerRight + 0.5) throw new Error(`${what}: the Send button is cut off (its right edge at ${m.sendRight} px, the input box ends at ${m.composerRight} px)`);
        };
        const normal = await measure();
        check(normal, `at the default sidebar width (${Math.round(normal.width)} px)`);
        await frame.locator(".composer").screenshot({ path: path.join(screenshots, "chat-composer.png") });
        // A narrower sidebar: the view's root at 220 px (CSSOM styles are allowed by the view's CSP).
        await frame.evaluate(() => (document.getElementById("root").style.width = "220px"));
        try {
          const narrow = await measure();
          if (Math.round(narrow.width) !== 220) throw new Error(`the view did not narrow to 220 px (${narrow.width})`);
          // the page itself keeps the sidebar's width: what must fit is the 220 px root
          check({ ...narrow, scrollWidth: Math.max(narrow.toolbarRight, narrow.composerRight), clientWidth: 220 }, "at 220 px");
          await frame.locator(".composer").screenshot({ path: path.join(screenshots, "chat-composer-220px.png") });
        } finally {
          await frame.evaluate(() => document.getElementById("root").style.removeProperty("width"));
        }
        note(`chat toolbar fits: ${Math.round(normal.width)} px wide view, Send ends at ${Math.round(normal.sendRight)} px`);
      },
      { needs: () => workbenchOk },
    );

    await test(
      "Explain Screenshot from the Explorer answers in the chat",
      async () => {
        const frame0 = await chatFrame(page).catch(() => undefined);
        const before = frame0 ? await frame0.locator("article.turn.assistant").count() : 0;
        const imagesBefore = frame0 ? await frame0.locator("article.turn.user img").count() : 0;
        await explorerContextMenu(page, "assets/screenshot.png", "Explain Screenshot");
        const frame = await chatFrame(page, S(30_000));
        await frame.locator("article.turn.user img").nth(imagesBefore).waitFor({ state: "attached", timeout: S(30_000) });
        const { last, text } = await answerWithText(frame, before, "explain");
        if (!text) throw new Error("the explanation is empty (six times)");
        await last.scrollIntoViewIfNeeded().catch(() => {});
        await shot("explain-answer");
      },
      { needs: () => workbenchOk },
    );

    await test(
      "Summarize Meeting Recording from the Explorer opens a Markdown summary",
      async () => {
        await explorerContextMenu(page, "assets/standup.wav", "Summarize Meeting Recording");
        // An untitled document is named after its first line: the tab shows "# Meeting summary …".
        await page.locator(".tabs-container .tab.active", { hasText: "Meeting summary" }).waitFor({ state: "visible", timeout: S(240_000) });
        const lines = page.locator(".editor-group-container.active .monaco-editor .view-lines").first();
        // wait for the text to stop changing (the summary may stream in)
        let last = "";
        for (let stable = 0; stable < 4; ) {
          await sleep(300);
          const now = norm(await lines.innerText());
          stable = now === last ? stable + 1 : 0;
          last = now;
        }
        if (!/^#\s+Meeting summary/.test(last.trimStart())) throw new Error(`the active editor does not start with "# Meeting summary": ${JSON.stringify(last.slice(0, 120))}`);
        if (last.trim().split("\n").length < 2) throw new Error("the summary has a heading and nothing else");
        const mode = norm(await page.locator(".statusbar-item[id*='status.editor.mode']").first().innerText().catch(() => ""));
        if (mode && !/markdown/i.test(mode)) throw new Error(`the summary's language mode is ${mode}, not Markdown`);
        await shot("meeting-summary");
      },
      { needs: () => workbenchOk },
    );

    await test(
      "the chat keeps the conversation after Developer: Reload Window",
      async () => {
        await runCommand(page, "Developer: Reload Window");
        await page.waitForLoadState("domcontentloaded");
        await sleep(1000);
        await waitForWorkbench(page, S(90_000));
        const frame = await openChat(page);
        await frame.locator("article.turn.user", { hasText: ctx.chat.prompt }).first().waitFor({ state: "visible", timeout: S(30_000) });
        // (textContent, not innerText: turns scrolled out of view are not rendered (content-visibility: auto),
        // and innerText is empty for them; spaces differ between the two, so they are left out of the comparison)
        const squash = (t) => norm(t).replace(/\s+/g, "");
        const replies = squash((await frame.locator("article.turn.assistant .markdown").allTextContents()).join(""));
        if (!replies.includes(squash(ctx.chat.reply).slice(0, 16))) throw new Error(`the reply that started ${JSON.stringify(ctx.chat.reply)} is gone after the reload`);
        await shot("chat-after-reload");
      },
      { needs: () => workbenchOk && ctx.chat },
    );

    await test(
      "with a remote endpoint set, the status bar item, its menu and the chat say that prompts go there",
      async () => {
        const url = "http://127.0.0.1:9";
        const file = path.join(profile.userDataDir, "User", "settings.json");
        const original = fs.readFileSync(file, "utf8");
        // what a person does: Select Model → Remote endpoint…, the URL, no API key
        await runCommand(page, "Hearth: Select Model");
        await page.locator(".quick-input-widget .quick-input-list .monaco-list-row", { hasText: "Remote endpoint" }).first().click();
        const box = page.locator(".quick-input-widget .quick-input-box input");
        await page.locator(".quick-input-widget .quick-input-title", { hasText: "Remote endpoint" }).waitFor({ state: "visible", timeout: S(10_000) });
        await box.fill(url);
        await page.keyboard.press("Enter");
        await page.locator(".quick-input-widget .quick-input-title", { hasText: "API key" }).waitFor({ state: "visible", timeout: S(10_000) });
        await page.keyboard.press("Enter");
        try {
          // the Hearth item (createStatusBarItem("hearth.status")), not the transient "model set to …" message
          const remoteItem = page.locator(`.statusbar-item[id*="hearth.status"]:is([aria-label*="${url}"], :has([aria-label*="${url}"]))`).first();
          await remoteItem.waitFor({ state: "visible", timeout: S(30_000) });
          const text = norm(await remoteItem.innerText());
          if (!/Hearth \(remote\)/.test(text)) throw new Error(`the status bar item reads ${JSON.stringify(text)}`);
          await closeQuickInput(page);
          await remoteItem.click();
          const title = page.locator(".quick-input-widget .quick-input-title");
          await title.waitFor({ state: "visible", timeout: S(15_000) });
          const t = norm(await title.innerText());
          if (!t.includes(`remote endpoint ${url}`)) throw new Error(`the status menu's title is ${JSON.stringify(t)}`);
          const selectRow = norm(await page.locator(".quick-input-widget .quick-input-list .monaco-list-row", { hasText: "Select model" }).first().innerText());
          if (!selectRow.includes(url)) throw new Error(`the Select model entry shows ${JSON.stringify(selectRow)}, not the endpoint`);
          await shot("remote-status-menu");
          await closeQuickInput(page);
          const frame = await openChat(page);
          const banner = frame.locator(".banner.remote .banner-text");
          await banner.waitFor({ state: "visible", timeout: S(30_000) });
          const b = norm(await banner.innerText());
          if (!b.includes(`sent to ${url}`)) throw new Error(`the chat banner reads ${JSON.stringify(b)}`);
          if (/not loaded yet/.test(b)) throw new Error(`the chat banner shows the local model's state: ${JSON.stringify(b)}`);
          await shot("remote-chat-banner");
        } finally {
          fs.writeFileSync(file, original); // the last test of the phase: the local model again for a later look
        }
      },
      { needs: () => workbenchOk },
    );
  } finally {
    await browser.close().catch(() => {});
    await cs.stop();
  }
}
