/**
 * A client for the host over a real LSP connection (the host runs as a child process on stdio), used by the
 * headless CLI and the integration tests: the same path the editor takes, minus VS Code.
 */
import { spawn, type ChildProcess } from "node:child_process";
import {
  CancellationTokenSource,
  createProtocolConnection,
  InitializeRequest,
  InitializedNotification,
  ExitNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type ClientCapabilities,
  type ProtocolConnection,
  type WorkspaceFolder,
} from "vscode-languageserver-protocol/node";
import { LogNotification, ModelStatusNotification, streamProgress, type HearthSettings, type LogParams, type ModelStatus, type PromptProgress } from "../protocol";

export interface HostOptions {
  /** Path of the built host (dist/server.js). */
  serverModule: string;
  settings?: Partial<HearthSettings>;
  rootUri?: string;
  /** The folders of a multi-root workspace (as VS Code sends them; the first one is the root). */
  workspaceFolders?: WorkspaceFolder[];
  /** Per-workspace state (the persisted workspace prefix); default: under Hearth's cache dir. */
  storageDir?: string;
  env?: NodeJS.ProcessEnv;
  onLog?: (log: LogParams) => void;
  onStatus?: (status: ModelStatus) => void;
}

export class HostProcess {
  private nextToken = 1;

  private constructor(
    readonly connection: ProtocolConnection,
    readonly child: ChildProcess,
  ) {}

  static async start(opts: HostOptions): Promise<HostProcess> {
    const child = spawn(process.execPath, [opts.serverModule, "--stdio"], {
      stdio: ["pipe", "pipe", "pipe"],
      env: opts.env ?? process.env,
    });
    child.stderr!.on("data", (d: Buffer) => opts.onLog?.({ source: "host", level: "warn", message: d.toString().trimEnd() }));
    const connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    if (opts.onLog) connection.onNotification(LogNotification, opts.onLog);
    if (opts.onStatus) connection.onNotification(ModelStatusNotification, opts.onStatus);
    connection.listen();
    const host = new HostProcess(connection, child);
    await initializeHost(connection, opts);
    return host;
  }

  /**
   * Sends a request whose text streams back through `$/progress` on a fresh partial-result token (and, for a
   * recording or an image, the engine's way through the prompt before it, to `onPrompt`).
   */
  async stream<P extends object, R>(
    type: { method: string },
    params: P,
    onText: (text: string) => void,
    cancel?: CancellationTokenSource,
    onPrompt?: (progress: PromptProgress) => void,
  ): Promise<R> {
    const token = `stream-${this.nextToken++}`;
    const sub = this.connection.onProgress(streamProgress, token, (v) => (v.prompt ? onPrompt?.(v.prompt) : onText(v.text)));
    try {
      // Always pass a token: jsonrpc treats a trailing `undefined` as a second positional parameter.
      const cancelToken = (cancel ?? new CancellationTokenSource()).token;
      return (await this.connection.sendRequest(type.method, { ...params, partialResultToken: token }, cancelToken)) as R;
    } finally {
      sub.dispose();
    }
  }

  newWorkDoneToken(): string {
    return `work-${this.nextToken++}`;
  }

  async dispose(): Promise<void> {
    try {
      await Promise.race([this.connection.sendRequest(ShutdownRequest.type), new Promise((r) => setTimeout(r, 10_000))]);
      await this.connection.sendNotification(ExitNotification.type);
    } catch {
      // the host may already be gone
    }
    const exited = new Promise<void>((r) => (this.child.exitCode !== null ? r() : this.child.once("exit", () => r())));
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
    this.connection.dispose();
  }
}

/** The LSP handshake with a Hearth host: `initialize` with Hearth's options, then `initialized`. */
export async function initializeHost(
  connection: ProtocolConnection,
  opts: Pick<HostOptions, "settings" | "rootUri" | "workspaceFolders" | "storageDir"> & {
    /** What the client says it can do (default: work-done progress only, as the CLI). */
    capabilities?: ClientCapabilities;
  },
): Promise<void> {
  const folders = opts.workspaceFolders;
  await connection.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri: opts.rootUri ?? folders?.[0]?.uri ?? null,
    ...(folders ? { workspaceFolders: folders } : {}),
    // (a client that sends workspace folders says it supports them, and so may send their changes)
    capabilities: opts.capabilities ?? { window: { workDoneProgress: true }, ...(folders ? { workspace: { workspaceFolders: true } } : {}) },
    initializationOptions: { settings: opts.settings ?? {}, storageDir: opts.storageDir },
  });
  await connection.sendNotification(InitializedNotification.type, {});
}
