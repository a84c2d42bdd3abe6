/**
 * The editor's model errors (src/models.ts) against a small stand-in for the `vscode` module: each error offers
 * the action that fixes it, and "Download Again" after a damaged download downloads and loads the model.
 */
import { beforeEach, describe, expect, it, vi } from "vitest";

const fake = vi.hoisted(() => {
  const calls: string[] = [];
  /** the buttons the user clicks, one per message shown; then the messages are dismissed */
  const answers: (string | undefined)[] = [];
  const vscode = {
    ProgressLocation: { Notification: 15 },
    QuickPickItemKind: { Separator: -1 },
    window: {
      showErrorMessage: vi.fn(async (message: string, ...actions: string[]) => {
        calls.push(`error: ${message} [${actions.join(", ")}]`);
        return answers.shift();
      }),
      showInformationMessage: vi.fn(async (message: string) => {
        calls.push(`info: ${message}`);
        return undefined;
      }),
      withProgress: vi.fn(async (_o: unknown, task: (p: { report(): void }, token: { isCancellationRequested: boolean }) => Promise<unknown>) =>
        task({ report: () => {} }, { isCancellationRequested: false }),
      ),
      showQuickPick: vi.fn(async () => undefined),
    },
    commands: { executeCommand: vi.fn(async (id: string) => void calls.push(`command: ${id}`)) },
    workspace: { getConfiguration: () => ({ get: () => undefined }) },
  };
  return { vscode, calls, answers };
});
vi.mock("vscode", () => fake.vscode);
vi.mock("vscode-languageclient/node", () => ({}));

const { ModelManagerUi, errorActions } = await import("../../src/models");

function hostError(code: string, message: string) {
  return Object.assign(new Error(message), { data: { hearth: { code, message } } });
}

function fakeHost(download: () => Promise<unknown>) {
  return {
    download: vi.fn(async () => {
      fake.calls.push("host: download");
      return download();
    }),
    loadModel: vi.fn(async () => {
      fake.calls.push("host: load");
      return { state: "ready" };
    }),
  };
}

beforeEach(() => {
  fake.calls.length = 0;
  fake.answers.length = 0;
});

describe("model errors in the editor", () => {
  it("offers the action that fixes each error first", () => {
    expect(errorActions("download-corrupt")[0]).toBe("Download Again");
    expect(errorActions("download-failed")[0]).toBe("Retry Download");
    expect(errorActions("engine-not-built")).toEqual(["Show Logs"]);
    expect(errorActions("wrong-architecture")).toEqual(["Select Model", "Show Logs"]);
  });

  it("downloads again after a damaged download and then loads the model", async () => {
    const host = fakeHost(async () => ({}));
    const ui = new ModelManagerUi({} as never, host as never);
    fake.answers.push("Download Again");
    await ui.showError(hostError("download-corrupt", "gemma.gguf arrived damaged (sha256 differs); it was removed."));
    await vi.waitFor(() => expect(host.loadModel).toHaveBeenCalled());
    expect(fake.calls).toEqual([
      "error: Hearth: gemma.gguf arrived damaged (sha256 differs); it was removed. [Download Again, Select Model, Show Logs]",
      "host: download",
      "host: load",
    ]);
  });

  it("does not load when the new download fails too, and says why", async () => {
    const host = fakeHost(async () => {
      throw hostError("download-failed", "the connection was reset");
    });
    const ui = new ModelManagerUi({} as never, host as never);
    fake.answers.push("Retry Download");
    await ui.showError(hostError("download-failed", "the connection was reset"));
    await vi.waitFor(() => expect(fake.calls.length).toBe(3));
    expect(fake.calls[1]).toBe("host: download");
    expect(fake.calls[2]).toMatch(/^error: Hearth: the connection was reset \[Retry Download/);
    expect(host.loadModel).not.toHaveBeenCalled();
  });
});
