// code-server (real VS Code, served to a browser) and headless chromium driven by playwright-core, as the
// e2e runner uses them. See /work/shared/notes/vscode-e2e.md for why each flag is here.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts code-server in its own session (detached = setsid(): the process group id is its pid) so that
 * stop() can end it and every helper, extension host, model host and engine it started.
 */
export async function startCodeServer({ tools, env, userDataDir, extensionsDir, workspace, logFile, smokeTestDriver = false, runDir }) {
  const port = await freePort();
  const config = path.join(runDir, `code-server-${port}.yaml`);
  fs.writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const args = [
    tools.codeServerEntry,
    "--config", config,
    "--user-data-dir", userDataDir,
    "--extensions-dir", extensionsDir,
    "--auth", "none",
    "--disable-telemetry",
    "--disable-update-check",
    "--disable-workspace-trust",
    "--disable-getting-started-override",
    "--reconnection-grace-time", "5",
  ];
  if (smokeTestDriver) args.push("--vscode-option", "enable-smoke-test-driver");
  args.push(workspace);
  const out = fs.openSync(logFile, "a");
  const child = spawn(tools.node, args, { env, detached: true, stdio: ["ignore", out, out] });
  fs.closeSync(out);
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  let dead;
  exited.then((e) => (dead = e));
  const url = `http://127.0.0.1:${port}`;
  const t0 = Date.now();
  for (;;) {
    if (dead) throw new Error(`code-server exited (${dead.code ?? dead.signal}) before it listened; log: ${logFile}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() - t0 > 60_000) {
      stopSession(child.pid);
      throw new Error(`code-server did not answer ${url}/healthz within 60 s; log: ${logFile}`);
    }
    await sleep(150);
  }
  return {
    url,
    port,
    pid: child.pid,
    startedMs: Date.now() - t0,
    async stop() {
      await stopSession(child.pid, exited);
    },
  };
}

/** Processes whose session id is `sid` (everything started under a setsid leader, whatever its group). */
function sessionMembers(sid) {
  const pids = [];
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      // pid (comm) state ppid pgrp session ...; comm may contain spaces and parentheses
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(rest[3]) === sid) pids.push(Number(d));
    } catch {
      // gone
    }
  }
  return pids;
}

/** SIGTERM to the process group, then SIGKILL to whatever of the session is left after a grace period. */
export async function stopSession(sid, exited) {
  const kill = (pid, sig) => {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  };
  kill(-sid, "SIGTERM");
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && sessionMembers(sid).length > 0) await sleep(100);
  const left = sessionMembers(sid);
  if (left.length) {
    kill(-sid, "SIGKILL");
    for (const pid of left) kill(pid, "SIGKILL");
  }
  if (exited) await Promise.race([exited, sleep(2000)]);
}

export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export async function launchBrowser({ tools, userDataDir, env }) {
  const { chromium } = await import("playwright-core");
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: tools.chromium,
    headless: true,
    args: CHROMIUM_FLAGS,
    env,
    viewport: { width: 1440, height: 900 },
    deviceScaleFactor: 1,
  });
}

/** Installs a .vsix into an extensions dir with code-server's CLI; returns the installed extension's folder. */
export function installVsix({ tools, env, userDataDir, extensionsDir, vsix, extensionId }) {
  const r = spawnSync(tools.node, [tools.codeServerEntry, "--user-data-dir", userDataDir, "--extensions-dir", extensionsDir, "--install-extension", vsix, "--force"], { env, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`code-server --install-extension ${vsix} failed: ${(r.stderr || r.stdout).trim().split("\n").pop()}`);
  const dir = fs.readdirSync(extensionsDir).find((d) => d.toLowerCase().startsWith(`${extensionId.toLowerCase()}-`));
  if (!dir) throw new Error(`installed ${vsix} but no ${extensionId}-* folder appeared in ${extensionsDir}: ${(r.stdout || "").trim()}`);
  return path.join(extensionsDir, dir);
}
