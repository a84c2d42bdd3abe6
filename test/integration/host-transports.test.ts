/**
 * The host's other doors: the IPC transport the VS Code client uses, model download with LSP work-done
 * progress from a local hub, and a remote engine endpoint instead of a local one.
 */
import { fork } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createProtocolConnection,
  InitializeRequest,
  IPCMessageReader,
  IPCMessageWriter,
  ResponseError,
  WorkDoneProgress,
  type WorkDoneProgressReport,
} from "vscode-languageserver-protocol/node";
import { HostProcess } from "../../server/client/hostProcess";
import { writeTinyModels } from "../../server/gguf/tinyModels";
import { ChatRequest, DownloadModelRequest, LoadModelRequest, ModelStatusRequest, type ChatResult, type HearthErrorData } from "../../server/protocol";
import { startHfFixture, type HfFixture } from "../helpers/hfFixture";
import { startLlamaServer } from "../helpers/llamaServer";
import { assertBuilt, SERVER_MODULE } from "../helpers/tinyHost";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-transports-"));
let tiny: Awaited<ReturnType<typeof writeTinyModels>>;

beforeAll(async () => {
  assertBuilt();
  tiny = await writeTinyModels(path.join(root, "tiny"));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe("IPC transport", () => {
  it("answers over node IPC, as vscode-languageclient's TransportKind.ipc starts it", async () => {
    const child = fork(SERVER_MODULE, ["--node-ipc"], { stdio: ["ignore", "ignore", "pipe", "ipc"] });
    const connection = createProtocolConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
    connection.listen();
    try {
      const init = await connection.sendRequest(InitializeRequest.type, {
        processId: process.pid,
        rootUri: null,
        capabilities: {},
        initializationOptions: { settings: { model: tiny.text } },
      });
      expect(init.capabilities.inlineCompletionProvider).toBe(true);
      const status = await connection.sendRequest(ModelStatusRequest);
      expect(status).toMatchObject({ state: "idle", model: tiny.text });
    } finally {
      connection.dispose();
      child.kill();
    }
  });
});

describe("download through the host", () => {
  let hub: HfFixture;
  beforeAll(async () => {
    const repo = path.join(root, "repo");
    fs.mkdirSync(repo);
    fs.copyFileSync(tiny.text, path.join(repo, "gemma-4-tiny-it-Q4_K_M.gguf"));
    fs.copyFileSync(tiny.mmproj, path.join(repo, "mmproj-gemma-4-tiny-it-F16.gguf"));
    fs.copyFileSync(tiny.assistant, path.join(repo, "mtp-gemma-4-tiny-it-Q4_K_M.gguf"));
    hub = await startHfFixture({ "test/gemma-4-tiny-it-GGUF": repo });
  });
  afterAll(() => hub.close());

  it("refuses to start before the download, then downloads with $/progress and loads", async () => {
    const modelsDir = path.join(root, "models");
    const host = await HostProcess.start({
      serverModule: SERVER_MODULE,
      settings: { model: "hf:test/gemma-4-tiny-it-GGUF:Q4_K_M", modelsDir, threads: 2, contextSize: 4096 },
      env: { ...process.env, HF_ENDPOINT: hub.endpoint },
    });
    try {
      const refused = await host.connection.sendRequest(LoadModelRequest).catch((e: ResponseError<HearthErrorData>) => e);
      expect((refused as ResponseError<HearthErrorData>).data?.hearth.code).toBe("download-not-allowed");

      const token = host.newWorkDoneToken();
      const reports: WorkDoneProgressReport[] = [];
      const kinds: string[] = [];
      host.connection.onProgress(WorkDoneProgress.type, token, (v) => {
        kinds.push(v.kind);
        if (v.kind === "report") reports.push(v);
      });
      const files = await host.connection.sendRequest(DownloadModelRequest, { workDoneToken: token });
      expect(path.basename(files.model)).toBe("gemma-4-tiny-it-Q4_K_M.gguf");
      expect(files.mmproj && files.drafter).toBeTruthy();
      expect(kinds[0]).toBe("begin");
      expect(kinds.at(-1)).toBe("end");
      expect(reports.some((r) => /MiB\/s, \d+ s left/.test(r.message ?? ""))).toBe(true);

      const status = await host.connection.sendRequest(LoadModelRequest);
      expect(status.state).toBe("ready");
      expect(status.engine).toMatchObject({ vision: true, audio: true, mtp: true });
    } finally {
      await host.dispose();
    }
  });
});

describe("remote endpoint", () => {
  it("uses a running llama-server instead of starting one", async () => {
    const server = await startLlamaServer(["-m", tiny.text, "--mmproj", tiny.mmproj, "-c", "4096", "-t", "2", "--jinja"]);
    const host = await HostProcess.start({ serverModule: SERVER_MODULE, settings: { remoteEndpoint: server.url } });
    try {
      const status = await host.connection.sendRequest(LoadModelRequest);
      expect(status.engine).toMatchObject({ kind: "remote", vision: true, audio: true });
      const r = await host.stream<object, ChatResult>(ChatRequest, { messages: [{ role: "user", content: "hi" }], maxTokens: 4, seed: 1 }, () => {});
      expect(r.stats.generatedTokens).toBeGreaterThan(0);
    } finally {
      await host.dispose();
      await server.stop();
    }
  });
});
