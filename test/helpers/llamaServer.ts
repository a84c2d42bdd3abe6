// Start/stop a llama-server for integration tests.
//
// The binary is the one the host would use (locateEngine: $HEARTH_LLAMA_SERVER or the cached build). The server listens on 127.0.0.1 on a free port, runs with a clean environment (no
// LLAMA_* / GGML_* variables) and is killed on stop() (and when the test process exits).

import { spawn, type ChildProcess } from "node:child_process";
import { EngineNotBuiltError, locateEngine } from "../../server/engine/install";
import { cleanEnvironment, freePort } from "../../server/engine/supervisor";

/** Path of the llama-server binary the host would use, or null when it is not built. */
export function findLlamaServer(): string | null {
  try {
    return locateEngine().serverPath;
  } catch (err) {
    if (err instanceof EngineNotBuiltError) return null;
    throw err;
  }
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
    const port = await freePort();
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
  const child = spawn(bin, args, { env: cleanEnvironment(), stdio: ["ignore", "pipe", "pipe"] });
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
