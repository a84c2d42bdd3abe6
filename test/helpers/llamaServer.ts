// Start/stop a llama-server for integration tests.
//
// The binary is $HEARTH_LLAMA_SERVER or whatever `node scripts/build-engine.mjs --print-path`
// prints. The server listens on 127.0.0.1 on a free port, runs with a clean environment (no
// LLAMA_* / GGML_* variables) and is killed on stop() (and when the test process exits).

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

let cachedBinary: string | null | undefined;

/** Path of the llama-server binary, or null when it is not built. */
export function findLlamaServer(): string | null {
  if (cachedBinary !== undefined) return cachedBinary;
  const fromEnv = process.env.HEARTH_LLAMA_SERVER;
  if (fromEnv) {
    cachedBinary = existsSync(fromEnv) ? fromEnv : null;
    return cachedBinary;
  }
  const script = join(REPO_ROOT, "scripts", "build-engine.mjs");
  if (!existsSync(script)) return (cachedBinary = null);
  const r = spawnSync(process.execPath, [script, "--print-path"], { cwd: REPO_ROOT, encoding: "utf8", timeout: 30_000 });
  const out = r.status === 0 ? r.stdout.trim().split("\n").pop()?.trim() : undefined;
  cachedBinary = out && existsSync(out) ? out : null;
  return cachedBinary;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function getFreePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

/** process.env without LLAMA_* / GGML_* variables (they change llama-server defaults). */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(LLAMA|GGML)_/i.test(k)) continue;
    env[k] = v;
  }
  return env;
}

export interface RunningLlamaServer {
  url: string;
  port: number;
  /** everything the server wrote to stdout/stderr so far */
  logs(): string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const p of running) {
      try {
        p.kill("SIGKILL");
      } catch {
        /* ignore */
      }
    }
  });
}

function hasFlag(args: string[], ...names: string[]): boolean {
  return args.some((a) => names.includes(a) || names.some((n) => a.startsWith(`${n}=`)));
}

export interface StartOptions {
  /** how long to wait for /health to report ok (default 120 s) */
  timeoutMs?: number;
  binary?: string;
}

/**
 * Start llama-server with `args` (e.g. ["-m", model]). `--host`/`--port` are added; `-t 2`, `-c 4096`
 * and `--jinja` are added unless the args already set them. Resolves once /health is ok.
 */
export async function startLlamaServer(args: string[], opts: StartOptions = {}): Promise<RunningLlamaServer> {
  const bin = opts.binary ?? findLlamaServer();
  if (!bin) throw new Error("llama-server is not built (set HEARTH_LLAMA_SERVER or run `node scripts/build-engine.mjs`)");
  const extra: string[] = [];
  if (!hasFlag(args, "-t", "--threads")) extra.push("-t", "2");
  if (!hasFlag(args, "-c", "--ctx-size")) extra.push("-c", "4096");
  if (!hasFlag(args, "--jinja", "--no-jinja")) extra.push("--jinja");

  let lastErr: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await getFreePort();
    try {
      return await startOnce(bin, [...args, ...extra, "--host", "127.0.0.1", "--port", String(port)], port, opts.timeoutMs ?? 120_000);
    } catch (err) {
      lastErr = err;
      // retry only when the port was taken between probing and binding
      if (!/bind|address already in use/i.test(String(err))) throw err;
    }
  }
  throw lastErr;
}

async function startOnce(bin: string, args: string[], port: number, timeoutMs: number): Promise<RunningLlamaServer> {
  installExitHook();
  const child = spawn(bin, args, { env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let log = "";
  const append = (d: Buffer) => {
    log += d.toString("utf8");
    if (log.length > 4_000_000) log = log.slice(-2_000_000);
  };
  child.stdout!.on("data", append);
  child.stderr!.on("data", append);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exitPromise = new Promise<void>((res) => {
    child.on("exit", (code, signal) => {
      exited = { code, signal };
      running.delete(child);
      res();
    });
    child.on("error", (e) => {
      log += `\nspawn error: ${e.message}`;
      exited = { code: -1, signal: null };
      running.delete(child);
      res();
    });
  });

  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (exited) return;
    child.kill("SIGTERM");
    const t = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exitPromise;
    clearTimeout(t);
  };

  const deadline = Date.now() + timeoutMs;
  while (true) {
    if (exited) {
      throw new Error(`llama-server exited (${JSON.stringify(exited)}) before becoming healthy:\n${log.slice(-4000)}`);
    }
    try {
      const r = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      if (r.ok) {
        const body = (await r.json().catch(() => ({}))) as { status?: string };
        if (!body.status || body.status === "ok") break;
      }
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`llama-server did not become healthy within ${timeoutMs} ms:\n${log.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, port, logs: () => log, stop };
}
