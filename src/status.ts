/**
 * The status bar item: model state at a glance (downloading n% / loading / ready / error), the last
 * completion's latency and speed, and why completions are not showing when they are not. Never silent.
 * With a remote endpoint it says so plainly (item, tooltip, menu): prompts, workspace files included, go there.
 */
import * as vscode from "vscode";
import type { CompletionStatsParams, EngineInfo, ModelStatus, WorkspacePrefixParams } from "../server/protocol";
import { Commands } from "./ids";
import { completionUiConfig, remoteEndpoint } from "./config";
import { describeLastCompletion } from "./completionStatus";
import { describeWorkspacePrefix, warmingPercent } from "./prefixStatus";

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("hearth.status", vscode.StatusBarAlignment.Right, 100);
  private status?: ModelStatus;
  private stats?: CompletionStatsParams;
  /** The last completion request's failure (the editor's side: the request itself failed). */
  private completionError?: string;
  /** The last completion's failure as the host reported it (hearth/completionFailed), until one runs. */
  private completionFailed?: string;
  private skip?: string;
  private prefix?: WorkspacePrefixParams;
  /** Which model the stats and the last error belong to (the remote URL or the local model setting). */
  private modelKey?: string;

  constructor() {
    this.item.name = "Hearth";
    this.item.command = Commands.statusMenu;
    this.render();
    this.item.show();
  }

  setStatus(status: ModelStatus): void {
    this.status = status;
    this.render();
  }

  setCompletionStats(stats: CompletionStatsParams): void {
    this.stats = stats;
    this.completionError = undefined;
    this.completionFailed = undefined;
    this.render();
  }

  setCompletionError(message: string | undefined): void {
    this.completionError = message;
    this.render();
  }

  /**
   * The host answered a completion with nothing because it failed. Kept until a completion runs (its stats
   * clear it): the request that failed ends as a success without items, which must not clear it.
   */
  setCompletionFailed(message: string): void {
    this.completionFailed = message;
    this.render();
  }

  setWorkspacePrefix(prefix: WorkspacePrefixParams): void {
    this.prefix = prefix;
    this.render();
  }

  /** Why the last completion was not requested (disabled, language off, secret file). */
  setSkip(reason: string | undefined): void {
    this.skip = reason;
    this.render();
  }

  render(): void {
    const s = this.status;
    const remote = remoteEndpoint();
    this.forgetOtherModel(remote ? `remote:${remote}` : `local:${s?.model ?? ""}`);
    const cfg = completionUiConfig();
    const name = remote ? "Hearth (remote)" : "Hearth";
    let icon = "flame";
    let suffix = "";
    let background: vscode.ThemeColor | undefined;
    const tooltip = new vscode.MarkdownString(undefined, true);
    if (remote) {
      icon = "remote";
      tooltip.appendMarkdown(`**Hearth** — remote endpoint \`${code(remote)}\`\n\n`);
      tooltip.appendMarkdown(`**Not local:** ${REMOTE_NOTICE(code(remote))}\n\n`);
    } else {
      tooltip.appendMarkdown("**Hearth** — local Gemma 4 (nothing leaves this machine)\n\n");
    }
    if (!s) {
      icon = "loading~spin";
      tooltip.appendMarkdown("Starting the model host…\n\n");
    } else {
      if (!remote) tooltip.appendMarkdown(`Model: \`${code(s.model)}\`\n\n`);
      switch (s.state) {
        case "downloading": {
          const d = s.download;
          const pct = d && d.totalBytes ? Math.floor((100 * d.downloadedBytes) / d.totalBytes) : 0;
          icon = "cloud-download";
          suffix = ` ${pct}%`;
          if (d) tooltip.appendMarkdown(`Downloading ${d.file} (${d.fileIndex + 1}/${d.fileCount}), ${mb(d.speed)} MB/s, ${Math.round(d.etaSeconds)} s left\n\n`);
          break;
        }
        case "checking":
        case "loading":
          icon = "loading~spin";
          tooltip.appendMarkdown(s.error ? `${s.error.message}\n\n` : remote ? "Connecting to the endpoint…\n\n" : "Loading the model…\n\n");
          break;
        case "error":
          icon = "error";
          background = new vscode.ThemeColor("statusBarItem.errorBackground");
          tooltip.appendMarkdown(`**Not working:** ${s.error?.message ?? "unknown error"}\n\n`);
          break;
        case "idle":
          tooltip.appendMarkdown(remote ? "Hearth connects to the endpoint on first use.\n\n" : "The model loads on first use.\n\n");
          break;
        case "ready": {
          const st = this.stats?.stats;
          if (st) suffix = ` ${Math.round(st.totalMs)} ms`;
          // A long first read of the workspace shows its progress (completions work meanwhile).
          const reading = this.prefix && warmingPercent(this.prefix);
          if (reading !== undefined) {
            icon = "sync~spin";
            suffix = ` workspace ${reading}%`;
          }
          const e = s.engine;
          if (e && e.kind === "remote") {
            tooltip.appendText(describeRemoteEngine(e) + "\n\n");
          } else if (e) {
            tooltip.appendMarkdown(
              `Engine: ${e.kind}${e.version ? ` (${e.version})` : ""}, ${e.threads ?? "?"} threads, ` +
                `MTP ${e.mtp ? "on" : "off"}, vision ${e.vision ? "yes" : "no"}, audio ${e.audio ? "yes" : "no"}` +
                `${e.restarts ? `, restarted ${e.restarts}×` : ""}\n\n`,
            );
          }
          if (s.memory && !remote) tooltip.appendMarkdown(`Context: ${s.memory.contextSize.toLocaleString()} tokens\n\n`);
          if (this.prefix) tooltip.appendText(describeWorkspacePrefix(this.prefix) + "\n\n");
          if (st) tooltip.appendText(describeLastCompletion(st) + "\n\n");
        }
      }
    }
    if (!cfg.enabled) {
      icon = "circle-slash";
      tooltip.appendMarkdown("Inline completions are **off** (click to turn them on).\n\n");
    } else if (this.skip) {
      tooltip.appendMarkdown(`No completion here: ${this.skip}.\n\n`);
    }
    const failed = this.completionError ?? this.completionFailed;
    if (failed) {
      icon = "warning";
      background = new vscode.ThemeColor("statusBarItem.warningBackground");
      tooltip.appendMarkdown(`**Last completion failed:** ${failed}\n\n`);
    }
    tooltip.appendMarkdown("Click for actions.");
    const text = `$(${icon}) ${name}${suffix}`;
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.backgroundColor = background;
    const label = text.replace(/\$\([^)]*\)\s*/g, "");
    this.item.accessibilityInformation = { label: remote ? `${label}: prompts are sent to ${remote}` : label, role: "button" };
  }

  /** A different model (local ↔ remote, another file or URL): the last completion's figures and error were the old one's. */
  private forgetOtherModel(key: string): void {
    if (this.modelKey !== undefined && this.modelKey !== key) {
      this.stats = undefined;
      this.completionError = undefined;
      this.completionFailed = undefined;
    }
    this.modelKey = key;
  }

  dispose(): void {
    this.item.dispose();
  }
}

const mb = (n: number) => (n / 1e6).toFixed(1);
/** Text safe inside Markdown inline code. */
const code = (t: string) => t.replace(/`/g, "'");

/** The connected remote endpoint, as the tooltip says it. */
export function describeRemoteEngine(e: EngineInfo): string {
  if (e.api === "openai") {
    // /v1/models does not say whether the model takes images or audio: media go, and the server answers.
    return `Connected: an OpenAI-compatible server, model ${e.remoteModel ?? "?"}; completions send their whole prompt each time (no workspace prefix kept evaluated there); images and audio are sent and the server decides`;
  }
  return `Connected: a llama-server; it ${e.vision ? "reads" : "does not read"} images and ${e.audio ? "reads" : "does not read"} audio`;
}

/** What goes to a remote endpoint: said in the tooltip, the status menu and the chat. */
export const REMOTE_NOTICE = (url: string) =>
  `prompts go to ${url} — inline completions with your workspace's files, chat messages (with @workspace, the workspace's files), images and recordings.`;

/** The status menu's title: the state, and where prompts go when that is not this machine. */
export function statusMenuTitle(status: ModelStatus | undefined, remote: string): string {
  const state = `${status?.state ?? "starting"}${status?.error ? `: ${status.error.message}` : ""}`;
  return remote ? `Hearth — remote endpoint ${remote} (prompts are sent there) — ${state}` : `Hearth — local model — ${state}`;
}

/** The status menu's "Select model…" entry: what is in use now. */
export function currentModelDescription(status: ModelStatus | undefined, remote: string): string | undefined {
  return remote ? `remote: ${remote}` : status?.model;
}
