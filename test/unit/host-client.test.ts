/**
 * HostClient (src/hostClient.ts) with a stand-in language client: a request the host never answered because it
 * was stopped (Restart Model Host) or its connection went away rejects with HostStoppedError, not with
 * vscode-jsonrpc's "Pending response rejected since connection got disposed"; a real failure stays itself.
 */
import { describe, expect, it, vi } from "vitest";

const settings = vi.hoisted(() => new Map<string, unknown>());
vi.mock("vscode", () => ({
  EventEmitter: class { event = () => ({ dispose() {} }); fire() {} dispose() {} },
  workspace: { getConfiguration: () => ({ get: (k: string) => settings.get(k) }) },
}));
vi.mock("vscode-languageclient/node", () => ({ LanguageClient: class {}, TransportKind: { ipc: 1 }, WorkDoneProgress: { type: {} } }));

const { HostClient, isHostStopped, isConnectionGone } = await import("../../src/hostClient");

const disposed = () => Object.assign(new Error("Pending response rejected since connection got disposed"), { code: -32097 });

function withClient() {
  const host = new HostClient({} as never, {} as never, {} as never, async () => "");
  let reject!: (e: unknown) => void;
  const client = {
    isRunning: () => true,
    stop: vi.fn(async () => reject(disposed())),
    onProgress: () => ({ dispose() {} }),
    sendRequest: vi.fn(() => new Promise((_, r) => (reject = r))),
  };
  (host as unknown as { client: unknown }).client = client;
  return { host, client, reject: (e: unknown) => reject(e) };
}

const token = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose() {} }) } as never;

describe("HostClient and a restarted host", () => {
  it("a chat in flight when the host is stopped ends with HostStoppedError", async () => {
    const { host } = withClient();
    const chat = host.chat([{ role: "user", content: "hi" }], () => {}, token);
    await host.stop();
    const err = await chat.catch((e: unknown) => e);
    expect(isHostStopped(err)).toBe(true);
    expect((err as Error).message).toBe("the model host was restarted");
  });

  it("a lost connection (the host crashed) is a stop too; a host error stays an error", async () => {
    const a = withClient();
    const load = a.host.loadModel();
    a.reject(disposed());
    expect(isHostStopped(await load.catch((e: unknown) => e))).toBe(true);
    const b = withClient();
    const chat = b.host.chat([{ role: "user", content: "hi" }], () => {}, token);
    const failure = Object.assign(new Error("Request failed"), { code: -32603, data: { hearth: { code: "engine-crashed", message: "The engine stopped." } } });
    b.reject(failure);
    expect(await chat.catch((e: unknown) => e)).toBe(failure);
    expect(isConnectionGone(disposed())).toBe(true);
    expect(isConnectionGone(failure)).toBe(false);
  });

  it("asks for a chat answer of hearth.chat.maxTokens tokens at most (1024 unset)", async () => {
    const a = withClient();
    void a.host.chat([{ role: "user", content: "hi" }], () => {}, token).catch(() => {});
    settings.set("chat.maxTokens", 4096);
    void a.host.chat([{ role: "user", content: "hi" }], () => {}, token, { workspace: true }).catch(() => {});
    await new Promise((r) => setTimeout(r, 0));
    const params = a.client.sendRequest.mock.calls.map((c) => (c as unknown[])[1] as { maxTokens?: number; workspace?: boolean });
    expect(params.map((p) => [p.maxTokens, p.workspace])).toEqual([[1024, undefined], [4096, true]]);
    // (settings.json is not held to the schema's bounds)
    for (const [set, sent] of [[0, 64], [-1, 64], [1e9, 16384], ["x", 1024]] as const) {
      settings.set("chat.maxTokens", set);
      void a.host.chat([{ role: "user", content: "hi" }], () => {}, token).catch(() => {});
      await new Promise((r) => setTimeout(r, 0));
      expect(((a.client.sendRequest.mock.calls.at(-1) as unknown[])[1] as { maxTokens: number }).maxTokens).toBe(sent);
    }
  });
});
