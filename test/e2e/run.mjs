#!/usr/bin/env node
// `npm run test:e2e` — Hearth's end-to-end tests in a real VS Code (code-server 4.139 = VS Code 1.139,
// served to headless Debian chromium driven by playwright-core), on tiny generated Gemma 4 models.
//
//   Phase A  mocha inside VS Code's extension host (test/e2e/suite/*.test.ts → out/e2e/suite/*.cjs),
//            loaded through the smoke-test driver's payload; the tests observe the extension through its
//            HearthApi and ask this runner, through a file bridge, to type into the chat webview.
//   Phase B  UI tests on the installed .vsix (test/e2e/ui.mjs): ghost text + Tab, the chat, Explain
//            Screenshot and Summarize Meeting Recording from the Explorer, the status bar and its menu,
//            with screenshots in test-results/e2e/*.png.
//
// Usage: node test/e2e/run.mjs [--phase a|b] [--keep] [--dev]
//   --phase a|b  run one phase only            --keep  keep the per-run directory (kept anyway on failure)
//   --dev        use the extension folder (extensionDevelopmentPath) even when `npm run package` exists
// Env: HEARTH_E2E_TIMEOUT_SCALE (slow machines), HEARTH_CACHE_DIR (tools + engine cache).
// The last line is `e2e: N passed, N failed`; the exit code is non-zero on any failure.
import { buildSuite as buildE2eSuite } from "./lib/suite.mjs";
import { userSettings } from "./lib/settings.mjs";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { setupE2eTools } from "../../scripts/e2e-setup.mjs";
import { installVsix, launchBrowser, startCodeServer } from "./lib/codeServer.mjs";
import { makeMediaFixtures } from "./lib/fixtures.mjs";
import { chatFrame, typeChatMessage, EXTENSION_ID } from "./lib/workbench.mjs";
import { runUiTests } from "./ui.mjs";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SCREENSHOTS = path.join(REPO, "test-results", "e2e");
const SCALE = Number(process.env.HEARTH_E2E_TIMEOUT_SCALE) || 1;
const PHASE_A_TIMEOUT_MS = 8 * 60_000 * SCALE;

const args = process.argv.slice(2);
const only = args.includes("--phase") ? args[args.indexOf("--phase") + 1]?.toUpperCase() : undefined;
const keep = args.includes("--keep");
const forceDev = args.includes("--dev");

const t0 = Date.now();
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
const say = (m) => process.stdout.write(`e2e: ${m}\n`);
const timings = [];
async function timed(name, fn) {
  const t = Date.now();
  try {
    return await fn();
  } finally {
    timings.push([name, Date.now() - t]);
  }
}

/** Every result: { phase, title, ok, skipped?, ms, error? }. */
const results = [];
function record(r) {
  results.push(r);
  const mark = r.skipped ? "-" : r.ok ? "✓" : "✗";
  say(`  ${mark} [${r.phase}] ${r.title}${r.ms !== undefined ? ` (${secs(r.ms)})` : ""}`);
  if (!r.ok && !r.skipped && r.error) process.stdout.write(indent(String(r.error).split("\n").slice(0, 12).join("\n"), 8) + "\n");
}
const indent = (s, n) => s.replace(/^/gm, " ".repeat(n));

function sh(cmd, argv, { cwd = REPO, env = process.env, logFile, what }) {
  const fd = logFile ? fs.openSync(logFile, "w") : "inherit";
  const r = spawnSync(cmd, argv, { cwd, env, stdio: ["ignore", fd, fd] });
  if (logFile) fs.closeSync(fd);
  if (r.status !== 0) {
    const tail = logFile ? fs.readFileSync(logFile, "utf8").trim().split("\n").slice(-15).join("\n") : "";
    throw new Error(`${what} failed (exit ${r.status ?? r.signal})${logFile ? `; log ${logFile}:\n${tail}` : ""}`);
  }
}

// ---- build: the suite, the media helpers, the extension (.vsix or folder) ----

async function buildSuite() {
  const esbuild = await import("esbuild");
  const outdir = await buildE2eSuite(REPO);
  await esbuild.build({
    entryPoints: [path.join(REPO, "test", "helpers", "media.ts")],
    outfile: path.join(REPO, "out", "e2e", "media.cjs"),
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    logLevel: "warning",
  });
  return { indexPath: path.join(outdir, "index.cjs"), mediaHelpers: createRequire(import.meta.url)(path.join(REPO, "out", "e2e", "media.cjs")) };
}

function buildExtension(runDir) {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8"));
  const canPackage = Boolean(pkg.scripts?.package) && fs.existsSync(path.join(REPO, "scripts", "package-vsix.mjs"));
  if (canPackage && !forceDev) {
    const startedAt = Date.now();
    // (installed here only: the engine as `npm install` built it, not every CPU variant from source)
    sh("npm", ["run", "package", "--", "--cpu-variants", "native"], { logFile: path.join(runDir, "logs", "package.log"), what: "npm run package" });
    const preferred = path.join(REPO, "hearth-linux-x64.vsix");
    const vsix = fs.existsSync(preferred) && fs.statSync(preferred).mtimeMs >= startedAt - 1000
      ? preferred
      : fs.readdirSync(REPO).filter((f) => f.endsWith(".vsix")).map((f) => path.join(REPO, f)).filter((f) => fs.statSync(f).mtimeMs >= startedAt - 1000)[0];
    if (!vsix) throw new Error("npm run package succeeded but wrote no .vsix at the repository root (expected hearth-linux-x64.vsix)");
    return { mode: "vsix", vsix };
  }
  const main = path.join(REPO, pkg.main ?? "dist/extension.cjs");
  if (!fs.existsSync(main)) {
    throw new Error(`the extension is not built: ${path.relative(REPO, main)} is missing${canPackage ? "" : " and there is no `npm run package` (scripts/package-vsix.mjs)"} — run \`npm run build\``);
  }
  return { mode: "folder", folder: REPO, why: canPackage ? "--dev" : "scripts/package-vsix.mjs does not exist yet" };
}

// ---- per-run directories, settings, workspace copies ----

function copyDir(src, dst) {
  fs.cpSync(src, dst, { recursive: true });
}


function makeProfile(runDir, name, models, fixturesDir) {
  const ws = path.join(runDir, `workspace-${name}`, "orders-service");
  copyDir(path.join(REPO, "test", "e2e", "workspace"), ws);
  for (const f of fs.readdirSync(fixturesDir)) fs.copyFileSync(path.join(fixturesDir, f), path.join(ws, "assets", f));
  const userDataDir = path.join(runDir, `user-data-${name}`);
  fs.mkdirSync(path.join(userDataDir, "User"), { recursive: true });
  fs.writeFileSync(path.join(userDataDir, "User", "settings.json"), JSON.stringify(userSettings(models), null, 2));
  return { ws, userDataDir, chromeDir: path.join(runDir, `chromium-${name}`) };
}

function runEnv(runDir, realCache) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    // Nothing from a surrounding VS Code / npm run may leak into the one under test.
    if (/^(VSCODE_|ELECTRON_|npm_|INIT_CWD$|CODE_SERVER_|PASSWORD$|HASHED_PASSWORD$|XDG_)/.test(k)) continue;
    env[k] = v;
  }
  env.HOME = path.join(runDir, "home");
  env.TMPDIR = path.join(runDir, "tmp");
  // The engine (llama-server) is built once per machine into the real cache, not into the per-run HOME.
  env.HEARTH_CACHE_DIR = realCache;
  fs.mkdirSync(env.HOME, { recursive: true });
  fs.mkdirSync(env.TMPDIR, { recursive: true });
  return env;
}

const remoteUri = (port, abs) => `vscode-remote://127.0.0.1:${port}${abs}`;

// ---- Phase A: the extension-host suite ----

/** What the suite may ask of the UI (test/e2e/suite/helpers.ts `ui()`). */
const bridgeActions = {
  async chatSend(page, { text }) {
    const frame = await chatFrame(page);
    await typeChatMessage(frame, text);
  },
  async screenshot(page, { name }) {
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
  },
};

async function phaseA({ tools, env, runDir, profile, extension, indexPath }) {
  const extDir = path.join(runDir, "extensions-a");
  fs.mkdirSync(extDir, { recursive: true });
  const bridge = path.join(runDir, "bridge");
  fs.mkdirSync(bridge, { recursive: true });
  const resultsFile = path.join(runDir, "results-a.jsonl");
  const stateFile = path.join(runDir, "state-a.json");
  const cs = await timed("A: code-server start", () =>
    startCodeServer({ tools, env, userDataDir: profile.userDataDir, extensionsDir: extDir, workspace: profile.ws, logFile: path.join(runDir, "logs", "code-server-a.log"), smokeTestDriver: true, runDir }),
  );
  const browser = await launchBrowser({ tools, userDataDir: profile.chromeDir, env });
  const seen = new Set();
  let exit;
  try {
    const page = browser.pages()[0] ?? (await browser.newPage());
    page.on("pageerror", (e) => fs.appendFileSync(path.join(runDir, "logs", "page-a.log"), `pageerror: ${e.message}\n`));
    page.on("console", (m) => fs.appendFileSync(path.join(runDir, "logs", "page-a.log"), `${m.type()}: ${m.text()}\n`));
    let exitCalls = 0;
    await page.exposeFunction("codeAutomationExit", (code) => {
      exitCalls++;
      exit = { code, at: Date.now() };
    });
    const payload = [
      ["extensionDevelopmentPath", remoteUri(cs.port, extension.devPath)],
      ["extensionTestsPath", remoteUri(cs.port, indexPath)],
      // (HEARTH_PROMPT_LOG: the model host logs every prompt it sends, for the tests that check what goes in one)
      ["extensionEnvironment", JSON.stringify({ HEARTH_E2E_BRIDGE: bridge, HEARTH_E2E_STATE: stateFile, HEARTH_E2E_RESULTS: resultsFile, HEARTH_E2E_TIMEOUT_SCALE: String(SCALE), HEARTH_PROMPT_LOG: path.join(runDir, "logs", "prompts-a.jsonl") })],
    ];
    const url = `${cs.url}/?folder=${encodeURIComponent(profile.ws)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    say(`phase A: extension-host tests (${extension.mode === "vsix" ? "the installed .vsix" : "the extension folder"} as extensionDevelopmentPath)`);
    await page.goto(url);

    const deadline = Date.now() + PHASE_A_TIMEOUT_MS;
    let linesDone = 0;
    let finalEnd = false;
    const busy = new Set();
    for (;;) {
      // results written by the suite's reporter
      if (fs.existsSync(resultsFile)) {
        const complete = fs.readFileSync(resultsFile, "utf8").split("\n").slice(0, -1); // the last piece is unfinished or ""
        const fresh = complete.slice(linesDone);
        linesDone = complete.length;
        for (const line of fresh.filter(Boolean)) {
          const ev = JSON.parse(line);
          if (ev.event === "begin") seen.add(ev.title);
          if (ev.event === "pass" || ev.event === "fail" || ev.event === "skip") {
            seen.delete(ev.title);
            record({ phase: "A", title: ev.title, ok: ev.event !== "fail", skipped: ev.event === "skip", ms: ev.ms, error: ev.error });
          }
          if (ev.event === "note") say(`      · ${ev.text}`);
          if (ev.event === "end" && ev.final) finalEnd = true;
          if (ev.event === "end" && !ev.final) say("phase A: reloading the window (the suite's @after-reload stage follows)");
        }
      }
      // UI requests from the suite
      for (const f of fs.readdirSync(bridge)) {
        const m = /^req-(.+)\.json$/.exec(f);
        if (!m || busy.has(m[1])) continue;
        busy.add(m[1]);
        const req = JSON.parse(fs.readFileSync(path.join(bridge, f), "utf8"));
        const action = bridgeActions[req.action];
        // (written whole, then renamed: the test polls for the file and must never read half of it)
        const respond = (res) => {
          const file = path.join(bridge, `res-${req.id}.json`);
          fs.writeFileSync(`${file}.tmp`, JSON.stringify(res));
          fs.renameSync(`${file}.tmp`, file);
        };
        (action ? action(page, req.args ?? {}) : Promise.reject(new Error(`unknown UI action ${req.action}`))).then(
          (value) => respond({ ok: true, value }),
          (e) => respond({ ok: false, error: String(e?.message ?? e) }),
        );
      }
      if (finalEnd && exit) break;
      // An exit without the final "end" is a reload (the suite asked for one) or a crash: give it time.
      if (exit && !finalEnd && Date.now() - exit.at > 60_000 * SCALE) break;
      if (Date.now() > deadline) {
        await page.screenshot({ path: path.join(SCREENSHOTS, "failure-phase-a-timeout.png") }).catch(() => {});
        record({ phase: "A", title: "extension-host suite finished in time", ok: false, error: `no result after ${secs(PHASE_A_TIMEOUT_MS)}; still running: ${[...seen].join(", ") || "(nothing started)"}; logs in ${runDir}/logs and ${profile.userDataDir}/logs` });
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const title of seen) record({ phase: "A", title, ok: false, error: "started but never finished (the extension host exited or the window reloaded)" });
    if (exit && !finalEnd) record({ phase: "A", title: "extension-host suite ran to the end", ok: false, error: `the extension host exited with code ${exit.code} before the suite finished (calls: ${exitCalls}); logs in ${profile.userDataDir}/logs` });
    if (!exit && !finalEnd && !results.some((r) => r.phase === "A")) {
      record({ phase: "A", title: "extension-host suite started", ok: false, error: `no test ran; logs in ${profile.userDataDir}/logs` });
    }
    if (exit && finalEnd && exit.code !== 0 && !results.some((r) => r.phase === "A" && !r.ok)) {
      record({ phase: "A", title: "extension host exit code", ok: false, error: `exit code ${exit.code} with no failing test` });
    }
  } finally {
    await browser.close().catch(() => {});
    await cs.stop();
  }
}

// ---- main ----

async function main() {
  fs.rmSync(SCREENSHOTS, { recursive: true, force: true });
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const realCache = process.env.HEARTH_CACHE_DIR || path.join(os.homedir(), ".cache", "hearth");

  let tools;
  try {
    tools = await timed("setup (e2e-setup.mjs)", () => setupE2eTools());
  } catch (e) {
    say(`cannot set up the e2e tools: ${e?.message ?? e}`);
    process.stdout.write("e2e: 0 passed, 1 failed\n");
    process.exitCode = 1;
    return;
  }
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-e2e-"));
  fs.mkdirSync(path.join(runDir, "logs"), { recursive: true });
  say(`run directory ${runDir}`);
  let ok = false;
  try {
    const { indexPath, mediaHelpers } = await timed("build: e2e suite", buildSuite);
    const ext = await timed("build: extension", () => buildExtension(runDir));
    say(ext.mode === "vsix" ? `extension: ${path.relative(REPO, ext.vsix)}` : `extension: the folder ${ext.folder} (${ext.why})`);

    const env = runEnv(runDir, realCache);
    const models = path.join(runDir, "models");
    await timed("tiny models", () => sh(process.execPath, [path.join(REPO, "dist", "cli.js"), "models", "tiny", models], { logFile: path.join(runDir, "logs", "models.log"), what: "hearth models tiny" }));
    const fixtures = path.join(runDir, "fixtures");
    const made = await timed("media fixtures", () => makeMediaFixtures({ dir: fixtures, tools, mediaHelpers, env, log: say }));
    say(`fixtures: screenshot.png from ${made.screenshot}; standup.wav from ${made.standup}`);

    // Phase B's extensions dir gets the .vsix (as a user installs it); Phase A loads the same installed
    // files as its extensionDevelopmentPath, from an otherwise empty extensions dir.
    const extensionsB = path.join(runDir, "extensions-b");
    fs.mkdirSync(extensionsB, { recursive: true });
    let extension;
    if (ext.mode === "vsix") {
      const installed = await timed("install .vsix", () => installVsix({ tools, env, userDataDir: path.join(runDir, "user-data-install"), extensionsDir: extensionsB, vsix: ext.vsix, extensionId: EXTENSION_ID }));
      extension = { mode: "vsix", devPath: installed, installed: true };
    } else {
      extension = { mode: "folder", devPath: ext.folder, installed: false };
    }

    // One phase failing to run (code-server, chromium) must not stop the other.
    if (!only || only === "A") {
      try {
        const profile = makeProfile(runDir, "a", models, fixtures);
        await timed("phase A", () => phaseA({ tools, env, runDir, profile, extension, indexPath }));
      } catch (e) {
        record({ phase: "A", title: "phase A ran", ok: false, error: e?.stack ?? String(e) });
      }
    }
    if (!only || only === "B") {
      try {
        const profile = makeProfile(runDir, "b", models, fixtures);
        say(`phase B: UI tests (${extension.installed ? "the installed .vsix" : "the extension folder through the smoke-test driver"}), screenshots in ${path.relative(REPO, SCREENSHOTS)}/`);
        await timed("phase B", () =>
          runUiTests({ tools, env, runDir, profile, extensionsDir: extensionsB, extension, screenshots: SCREENSHOTS, record, note: (t) => say(`      · ${t}`), scale: SCALE, remoteUri }),
        );
      } catch (e) {
        record({ phase: "B", title: "phase B ran", ok: false, error: e?.stack ?? String(e) });
      }
    }
    ok = results.length > 0 && results.every((r) => r.ok);
  } catch (e) {
    record({ phase: "-", title: "e2e run", ok: false, error: e?.stack ?? String(e) });
  } finally {
    timings.push(["total", Date.now() - t0]);
    say(`timings: ${timings.map(([n, ms]) => `${n} ${secs(ms)}`).join(", ")}`);
    const shots = fs.existsSync(SCREENSHOTS) ? fs.readdirSync(SCREENSHOTS).filter((f) => f.endsWith(".png")) : [];
    if (shots.length) say(`screenshots: ${shots.map((f) => path.join(path.relative(REPO, SCREENSHOTS), f)).join(", ")}`);
    if (ok && !keep) fs.rmSync(runDir, { recursive: true, force: true });
    else say(`kept ${runDir} (logs in logs/, VS Code's in user-data-*/logs/)`);
  }
  const passed = results.filter((r) => r.ok && !r.skipped).length;
  const failed = results.filter((r) => !r.ok).length;
  const skipped = results.filter((r) => r.skipped).length;
  process.stdout.write(`e2e: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}\n`);
  process.exitCode = ok ? 0 : 1;
}

await main();
