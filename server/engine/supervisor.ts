/**
 * Runs llama-server as a child process: loopback only, guarded by a per-run API key kept in a private
 * 0700 directory (never on the command line, where other users could read it), a clean environment
 * (LLAMA_ARG_* / GGML_* variables would silently change its behaviour), health-checked start, restart
 * with backoff when it dies, and stop with the host.
 */
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import { EventEmitter } from "node:events";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { KvCacheType, ModelFiles } from "../protocol";
import { ensurePrivateDir } from "../privateDir";
import type { EngineEndpoint } from "./client";

export interface EngineLaunch {
  serverPath: string;
  files: ModelFiles;
  contextSize: number;
  kvCacheType: KvCacheType;
  threads: number;
  /** Engine slots: one for completions, one for chat/media, so neither evicts the other's cache. */
  parallel: number;
  mtp: boolean;
  gpuLayers: number;
  /** Context checkpoints per slot and their spacing (RAM-bounded; see sizing.checkpointPlan). */
  checkpoints?: { count: number; minStep: number };
  extraArgs?: string[];
}

export interface EngineNetwork {
  port: number;
  apiKeyFile: string;
  slotDir: string;
}

/** The llama-server command line for a launch (pure: tested on its own). */
export function engineArgs(launch: EngineLaunch, network: EngineNetwork): string[] {
  return [
    "--host", "127.0.0.1",
    "--port", String(network.port),
    "--api-key-file", network.apiKeyFile,
    "--slot-save-path", network.slotDir,
    ...modelArgs(launch),
  ];
}

/**
 * The flags that set up the model, its caches, threads and drafter: everything but where the engine
 * listens. The benchmark starts its reference servers with these, so it measures what the host runs.
 */
export function modelArgs(launch: Omit<EngineLaunch, "serverPath">): string[] {
  const args = [
    "-m", launch.files.model,
    "--jinja",
    "--reasoning", "off",
    // No -tb: a separate batch thread pool (even of the same size) polls against the generation pool;
    // with MTP every verification is a batch, measured at 200+ ms/token instead of 2 on 2 cores.
    "-t", String(launch.threads),
    // Each slot gets the whole context and its own cells. Not --kv-unified: with a unified cache the
    // sliding layers' cells are shared, a request on one slot overwrites the other slot's window, and
    // every completion after a chat (or baseline) request was re-processed in full (measured: 1,608 of
    // 1,608 tokens, against 1 without it).
    "-c", String(launch.contextSize * launch.parallel),
    "-np", String(launch.parallel),
    "-fa", "on",
    "-ctk", launch.kvCacheType,
    "-ctv", launch.kvCacheType,
    "-ngl", String(launch.gpuLayers),
    "--no-webui",
    "--log-colors", "off",
    // No RAM prompt cache (upstream default 8 GiB): whenever a task starts on one slot it copies every idle
    // slot's whole state, checkpoints included, into RAM. The host keeps the workspace prefix in its own slot
    // and on disk; that copy (over 1 GB at 131K tokens on the 12B, on each chat message) is memory the
    // sizing never planned for on a 16 GB laptop, and time on the main loop before the task runs.
    "--cache-ram", "0",
  ];
  if (launch.checkpoints) {
    args.push("--ctx-checkpoints", String(launch.checkpoints.count), "--checkpoint-min-step", String(launch.checkpoints.minStep));
  }
  if (launch.files.mmproj) args.push("--mmproj", launch.files.mmproj);
  if (launch.mtp && launch.files.drafter) {
    // The drafter runs its own thread pool. Two busy-polling pools on few cores starve each other
    // (measured on 2 cores: 1,100 ms/token with -t 2 and the default -td 2), so the drafter's pool does not
    // poll. The target's keeps polling as it does without MTP: with `--poll 0` for both, every decode step
    // paid the threads' wake-ups (bare llama-server on 2 cores, alternating pairs, refuted drafts: 1.17× and
    // 1.13× the decode time without MTP; 1.01× and 1.05× with only the drafter's pool quiet, whose drafting
    // rounds were faster too: first request 1.23× against 1.40×).
    args.push(
      "--model-draft", launch.files.drafter,
      "--spec-type", "draft-mtp",
      "-td", String(Math.max(1, Math.floor(launch.threads / 2))),
      "--poll-draft", "0",
    );
  }
  return [...args, ...(launch.extraArgs ?? [])];
}

/**
 * Only what a process needs to run; nothing that configures llama.cpp behind our back. HEARTH_DRAFT_COST=0 is
 * ours: it makes the engine draft every round it can instead of timing MTP against plain steps
 * (scripts/engine-patches/0011-draft-cost.diff), for tests and measurements that need drafting whatever it costs.
 */
export function cleanEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const keep = ["PATH", "HOME", "USERPROFILE", "TMPDIR", "TEMP", "TMP", "SystemRoot", "LANG", "CUDA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "HEARTH_DRAFT_COST"];
  const out: NodeJS.ProcessEnv = {};
  for (const k of keep) if (env[k] !== undefined) out[k] = env[k];
  return out;
}

export type EngineEvent =
  | { type: "starting"; attempt: number }
  | { type: "ready"; pid: number; endpoint: EngineEndpoint }
  | { type: "exited"; code: number | null; signal: string | null; expected: boolean }
  | { type: "failed"; message: string };

export interface SupervisorOptions {
  launch: EngineLaunch;
  log: (level: "info" | "warn" | "error", line: string) => void;
  /** How long loading may take before the start counts as failed. */
  startTimeoutMs?: number;
  /** Consecutive failed starts before giving up. */
  maxFailures?: number;
  /**
   * The engine's --slot-save-path, for slot files that outlive the run (the persisted workspace prefix).
   * Must be private to the user: the engine follows symlinks inside it. Default: inside the per-run dir.
   */
  slotDir?: string;
}

export class EngineStartError extends Error {}

export class EngineSupervisor extends EventEmitter<{ event: [EngineEvent] }> {
  private child?: ChildProcess;
  private readyPromise?: Promise<EngineEndpoint>;
  private stopped = false;
  private failures = 0;
  private restartCount = 0;
  private readonly privateDir: string;
  private readonly apiKey = crypto.randomBytes(32).toString("hex");
  private readonly recent: string[] = [];
  private restartTimer?: NodeJS.Timeout;

  constructor(private readonly opts: SupervisorOptions) {
    super();
    this.privateDir = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-engine-"));
    // A host that exits without stop() (its client gone, a signal) must not leave the key file behind either.
    process.once("exit", this.removePrivateDir);
    fs.chmodSync(this.privateDir, 0o700);
    fs.writeFileSync(path.join(this.privateDir, "api-key"), this.apiKey + "\n", { mode: 0o600 });
    try {
      ensurePrivateDir(this.slotDir);
    } catch (err) {
      this.removePrivateDir();
      throw new EngineStartError((err as Error).message);
    }
  }

  private readonly removePrivateDir = (): void => {
    process.removeListener("exit", this.removePrivateDir);
    fs.rmSync(this.privateDir, { recursive: true, force: true });
  };

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get restarts(): number {
    return this.restartCount;
  }

  get slotDir(): string {
    return this.opts.slotDir ?? path.join(this.privateDir, "slots");
  }

  /** The endpoint once healthy; waits through a restart in progress. */
  ready(): Promise<EngineEndpoint> {
    if (this.stopped) return Promise.reject(new EngineStartError("The engine has been stopped."));
    if (!this.readyPromise) this.readyPromise = this.spawnUntilHealthy();
    return this.readyPromise;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    this.removePrivateDir();
  }

  private async spawnUntilHealthy(): Promise<EngineEndpoint> {
    const maxFailures = this.opts.maxFailures ?? 3;
    for (;;) {
      try {
        const endpoint = await this.spawnOnce();
        this.failures = 0;
        return endpoint;
      } catch (err) {
        this.failures++;
        if (this.stopped || err instanceof EngineStartError || this.failures >= maxFailures) {
          const message = (err as Error).message;
          this.emit("event", { type: "failed", message });
          this.readyPromise = undefined;
          throw err instanceof EngineStartError ? err : new EngineStartError(message);
        }
        await delay(backoffMs(this.failures));
      }
    }
  }

  private async spawnOnce(): Promise<EngineEndpoint> {
    const port = await freePort();
    const args = engineArgs(this.opts.launch, {
      port,
      apiKeyFile: path.join(this.privateDir, "api-key"),
      slotDir: this.slotDir,
    });
    this.emit("event", { type: "starting", attempt: this.failures + 1 });
    this.opts.log("info", `starting ${this.opts.launch.serverPath} ${args.join(" ")}`);
    this.recent.length = 0;
    const child = spawn(this.opts.launch.serverPath, args, {
      env: cleanEnvironment(),
      stdio: ["ignore", "pipe", "pipe"],
      cwd: path.dirname(this.opts.launch.serverPath),
    });
    this.child = child;
    // If the host exits without stop() (client gone, crash), never leave an orphaned engine behind.
    const killOnExit = () => child.kill("SIGKILL");
    process.once("exit", killOnExit);
    child.once("exit", () => process.removeListener("exit", killOnExit));
    const onLine = (line: string) => {
      this.recent.push(line);
      if (this.recent.length > 40) this.recent.shift();
      this.opts.log(/error|failed/i.test(line) ? "warn" : "info", line);
    };
    pipeLines(child.stdout!, onLine);
    pipeLines(child.stderr!, onLine);

    const exited = new Promise<never>((_, reject) => {
      child.once("error", (err) => reject(new EngineStartError(`Cannot run ${this.opts.launch.serverPath}: ${err.message}`)));
      child.once("exit", (code, signal) =>
        reject(new Error(`llama-server exited during start (code ${code}, signal ${signal}): ${this.lastError()}`)),
      );
    });
    const endpoint = { baseUrl: `http://127.0.0.1:${port}`, apiKey: this.apiKey };
    await Promise.race([exited, waitHealthy(endpoint, this.opts.startTimeoutMs ?? 300_000)]);
    child.once("exit", (code, signal) => this.onExit(child, code, signal));
    this.opts.log("info", `engine ready on ${endpoint.baseUrl} (pid ${child.pid})`);
    this.emit("event", { type: "ready", pid: child.pid!, endpoint });
    return endpoint;
  }

  private onExit(child: ChildProcess, code: number | null, signal: string | null): void {
    const expected = this.stopped || this.child !== child;
    this.emit("event", { type: "exited", code, signal, expected });
    if (expected) return;
    this.opts.log("error", `llama-server died (code ${code}, signal ${signal}); restarting`);
    this.child = undefined;
    this.restartCount++;
    this.readyPromise = undefined;
    // Restart at once in the background; requests arriving meanwhile wait on ready().
    this.restartTimer = setTimeout(() => void this.ready().catch(() => {}), backoffMs(0));
  }

  private lastError(): string {
    const errors = this.recent.filter((l) => /error|failed|exception|unable|not supported|invalid/i.test(l));
    return (errors.length ? errors.slice(-3) : this.recent.slice(-3)).join(" | ") || "no output";
  }
}

function backoffMs(failures: number): number {
  return Math.min(10_000, 250 * 2 ** failures);
}

async function waitHealthy(endpoint: EngineEndpoint, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${endpoint.baseUrl}/health`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await delay(100);
  }
  throw new Error(`llama-server did not become healthy within ${Math.round(timeoutMs / 1000)} s`);
}

function pipeLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffer = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    buffer += chunk;
    let i: number;
    while ((i = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, i).trimEnd();
      buffer = buffer.slice(i + 1);
      if (line) onLine(line);
    }
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
