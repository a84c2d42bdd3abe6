/**
 * The status bar item (src/status.ts) against a stand-in `vscode`: with a remote endpoint configured, the item,
 * its tooltip and the status menu say plainly that prompts (workspace files included) go to that URL and show
 * the remote state, not the local model's; a completion error from one model is forgotten on a switch to another.
 */
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { ModelStatus } from "../../server/protocol";

const fake = vi.hoisted(() => {
  const settings = new Map<string, unknown>();
  class MarkdownString {
    value = "";
    constructor(v?: string, readonly supportThemeIcons?: boolean) {
      this.value = v ?? "";
    }
    appendMarkdown(t: string) {
      this.value += t;
      return this;
    }
    appendText(t: string) {
      this.value += t;
      return this;
    }
  }
  class ThemeColor {
    constructor(readonly id: string) {}
  }
  const item = {
    text: "",
    tooltip: undefined as MarkdownString | undefined,
    backgroundColor: undefined as ThemeColor | undefined,
    accessibilityInformation: undefined as { label: string } | undefined,
    name: "",
    command: "",
    show: () => {},
    dispose: () => {},
  };
  const vscode = {
    MarkdownString,
    ThemeColor,
    StatusBarAlignment: { Left: 1, Right: 2 },
    window: { createStatusBarItem: () => item },
    workspace: { getConfiguration: () => ({ get: (k: string) => settings.get(k) }) },
  };
  return { vscode, item, settings };
});
vi.mock("vscode", () => fake.vscode);

const { StatusBar, statusMenuTitle, currentModelDescription } = await import("../../src/status");

const LOCAL = "/models/text.gguf";
const URL = "http://gpu-box.internal:8080";
const tip = () => fake.item.tooltip!.value;
const idle: ModelStatus = { state: "idle", model: LOCAL };
const remoteReady: ModelStatus = {
  state: "ready",
  model: LOCAL,
  engine: { kind: "remote", restarts: 0, mtp: false, vision: true, audio: false, nativeFim: false },
};
const localReady: ModelStatus = {
  state: "ready",
  model: LOCAL,
  engine: { kind: "local", restarts: 0, mtp: true, vision: true, audio: true, nativeFim: false, threads: 2 },
};

beforeEach(() => fake.settings.clear());

describe("status bar with a remote endpoint", () => {
  it("says where prompts go instead of 'local Gemma 4', and not the local model's state", () => {
    fake.settings.set("remoteEndpoint", URL);
    const bar = new StatusBar();
    bar.setStatus(idle);
    expect(fake.item.text).toBe("$(remote) Hearth (remote)");
    expect(tip()).not.toMatch(/local Gemma 4/);
    expect(tip()).not.toContain(LOCAL);
    expect(tip()).not.toMatch(/model loads on first use/);
    expect(tip()).toContain(`remote endpoint \`${URL}\``);
    expect(tip()).toMatch(new RegExp(`prompts go to ${URL.replace(/[.]/g, "\\.")} — inline completions with your workspace's files`));
    expect(tip()).toMatch(/connects to the endpoint on first use/);
    expect(fake.item.accessibilityInformation!.label).toBe(`Hearth (remote): prompts are sent to ${URL}`);
    bar.setStatus(remoteReady);
    expect(fake.item.text).toBe("$(remote) Hearth (remote)");
    expect(tip()).toMatch(/Connected: a llama-server; it reads images and does not read audio/);
    bar.setStatus({ ...remoteReady, engine: { kind: "remote", api: "openai", remoteModel: "gemma-4-12b-it", restarts: 0, mtp: false, vision: true, audio: true, nativeFim: false } });
    expect(tip()).toMatch(/Connected: an OpenAI-compatible server, model gemma-4-12b-it; completions send their whole prompt each time .*the server decides/);
    bar.setStatus({ state: "error", model: LOCAL, error: { code: "engine-start-failed", message: `The remote endpoint ${URL} does not answer /health.` } });
    expect(fake.item.text).toBe("$(error) Hearth (remote)");
    expect(tip()).toMatch(/\*\*Not working:\*\* The remote endpoint/);
  });

  it("the local model says so, with its file", () => {
    const bar = new StatusBar();
    bar.setStatus(idle);
    expect(fake.item.text).toBe("$(flame) Hearth");
    expect(tip()).toMatch(/local Gemma 4 \(nothing leaves this machine\)/);
    expect(tip()).toContain(`Model: \`${LOCAL}\``);
    expect(tip()).toMatch(/The model loads on first use/);
  });

  it("the status menu's title and Select model entry show the endpoint, not the local state and path", () => {
    expect(statusMenuTitle(idle, URL)).toBe(`Hearth — remote endpoint ${URL} (prompts are sent there) — idle`);
    expect(currentModelDescription(idle, URL)).toBe(`remote: ${URL}`);
    expect(statusMenuTitle(idle, "")).toBe("Hearth — local model — idle");
    expect(currentModelDescription(idle, "")).toBe(LOCAL);
    expect(statusMenuTitle(undefined, "")).toBe("Hearth — local model — starting");
  });

  it("forgets the last completion's error and figures when the model changes (remote → local)", () => {
    fake.settings.set("remoteEndpoint", URL);
    const bar = new StatusBar();
    bar.setStatus(remoteReady);
    bar.setCompletionError("not found");
    expect(tip()).toMatch(/Last completion failed:\*\* not found/);
    expect(fake.item.text).toBe("$(warning) Hearth (remote)");
    fake.settings.set("remoteEndpoint", "");
    bar.render(); // the configuration change
    expect(tip()).not.toMatch(/Last completion failed/);
    bar.setStatus(localReady);
    expect(fake.item.text).toBe("$(flame) Hearth");
    // the same model again keeps an error it had
    bar.setCompletionError("the engine crashed");
    bar.setStatus(localReady);
    expect(tip()).toMatch(/Last completion failed:\*\* the engine crashed/);
    bar.setStatus({ ...idle, model: "/models/other.gguf" });
    expect(tip()).not.toMatch(/Last completion failed/);
  });
});

describe("a completion the host answered with nothing because it failed (hearth/completionFailed)", () => {
  const stats = { uri: "file:///a.ts", layoutMs: 1, stats: { promptTokens: 1, cachedTokens: 0, processedTokens: 1, generatedTokens: 1, promptMs: 1, generationMs: 1, tokensPerSecond: 1, totalMs: 40, stoppedBy: "eos" as const } };

  it("shows its sentence until a completion runs, not only until its own request ends (a success without items)", () => {
    const bar = new StatusBar();
    bar.setStatus(localReady);
    bar.setCompletionFailed("The completion's prompt is 16,830 tokens, more than the model's 8,192-token context.");
    bar.setCompletionError(undefined); // the gate: the request itself succeeded
    expect(fake.item.text).toBe("$(warning) Hearth");
    expect(tip()).toMatch(/Last completion failed:\*\* The completion's prompt is 16,830 tokens/);
    bar.setCompletionStats(stats);
    expect(fake.item.text).toBe("$(flame) Hearth 40 ms");
    expect(tip()).not.toMatch(/Last completion failed/);
  });
});
