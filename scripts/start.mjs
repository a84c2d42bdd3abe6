#!/usr/bin/env node
// `npm start` — the main job: a real VS Code with Hearth loaded on the sample workspace (demo/workspace).
//   - With a desktop VS Code (`code` on PATH, or HEARTH_CODE=/path/to/code): it opens with this checkout as
//     the extension under development.
//   - Otherwise: code-server (real VS Code in the browser) from the project's dev tools, on 127.0.0.1, with the
//     freshly packaged VSIX installed; the URL is printed. Ctrl+C stops it.
// The model is the configured default (Gemma 4 12B: the extension explains the download and asks first).
// HEARTH_MODEL=tiny runs fully offline on generated tiny Gemma 4 models; HEARTH_MODEL=/path/x.gguf uses a file.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setupE2eTools } from "./e2e-setup.mjs";
import { installVsix, startCodeServer } from "../test/e2e/lib/codeServer.mjs";

const root = path.resolve(import.meta.dirname, "..");
const work = path.join(root, ".hearth-tmp", "start");
const workspace = path.join(work, "workspace");
const cacheRoot = process.env.HEARTH_CACHE_DIR || path.join(os.homedir(), ".cache", "hearth");

function hearthSettings() {
  const wanted = process.env.HEARTH_MODEL;
  const settings = { "hearth.modelsDir": path.join(cacheRoot, "models") };
  if (wanted === "tiny") {
    const dir = path.join(work, "tiny");
    execFileSync(process.execPath, [path.join(root, "dist", "cli.js"), "models", "tiny", dir]);
    Object.assign(settings, {
      "hearth.model": path.join(dir, "text.gguf"),
      "hearth.mmproj": path.join(dir, "mmproj.gguf"),
      "hearth.drafter": path.join(dir, "assistant.gguf"),
      "hearth.contextSize": 16384,
    });
    console.log("hearth: HEARTH_MODEL=tiny — generated random-weight Gemma 4 models (the text is noise, every path is real).");
  } else if (wanted) {
    settings["hearth.model"] = path.resolve(wanted);
  }
  return settings;
}

/** A fresh copy of the sample workspace each time (the demo edits are saved to disk). */
function prepareWorkspace(settings) {
  fs.rmSync(workspace, { recursive: true, force: true });
  fs.cpSync(path.join(root, "demo", "workspace"), workspace, { recursive: true });
  fs.mkdirSync(path.join(workspace, ".vscode"), { recursive: true });
  fs.writeFileSync(path.join(workspace, ".vscode", "settings.json"), JSON.stringify(settings, null, 2));
}

function desktopCode() {
  if (process.env.HEARTH_CODE) return process.env.HEARTH_CODE;
  const r = spawnSync("sh", ["-c", "command -v code"], { encoding: "utf8" });
  return r.status === 0 && !process.env.HEARTH_USE_CODE_SERVER ? r.stdout.trim() : undefined;
}

const settings = hearthSettings();
prepareWorkspace(settings);

const code = desktopCode();
if (code) {
  console.log(`hearth: opening ${workspace} in ${code}`);
  spawn(code, ["--extensionDevelopmentPath", root, workspace], { stdio: "inherit", detached: true }).unref();
  process.exit(0);
}

console.log("hearth: no desktop VS Code found — starting code-server (real VS Code in the browser).");
const tools = await setupE2eTools();
// The VSIX is installed on this machine only: package the engine `npm install` built (its CPU variant from the
// patched source) instead of compiling every variant for other people's CPUs (10–15 min).
execFileSync("npm", ["run", "--silent", "package", "--", "--cpu-variants", "native"], { cwd: root, stdio: "inherit" });
const vsix = path.join(root, `hearth-${process.platform}-${process.arch}.vsix`);

// code-server keeps its own profile: in the cache, apart from the user's real VS Code.
const dev = path.join(cacheRoot, "dev-code-server");
const home = path.join(dev, "home");
const userDataDir = path.join(dev, "user-data");
const extensionsDir = path.join(dev, "extensions");
for (const d of [home, userDataDir, extensionsDir, path.join(dev, "tmp")]) fs.mkdirSync(d, { recursive: true });
const env = { ...process.env, HOME: home, TMPDIR: path.join(dev, "tmp"), HEARTH_CACHE_DIR: cacheRoot };
fs.mkdirSync(path.join(userDataDir, "User"), { recursive: true });
fs.writeFileSync(
  path.join(userDataDir, "User", "settings.json"),
  JSON.stringify({ "workbench.startupEditor": "none", "telemetry.telemetryLevel": "off", "extensions.autoUpdate": false, "update.mode": "none", "chat.disableAIFeatures": true }, null, 2),
);
installVsix({ tools, env, userDataDir, extensionsDir, vsix, extensionId: "hearth.hearth" });
const server = await startCodeServer({ tools, env, userDataDir, extensionsDir, workspace, logFile: path.join(dev, "code-server.log"), runDir: dev });
console.log(`\nhearth: VS Code with Hearth is running at ${server.url}/?folder=${encodeURIComponent(workspace)}`);
console.log("hearth: open it in a browser; Ctrl+C stops it.\n");
const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
await new Promise(() => {});
