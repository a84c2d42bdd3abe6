/**
 * The status bar item: model state at a glance (downloading n% / loading / ready / error), the last
 * completion's latency and speed, and why completions are not showing when they are not. Never silent.
 */
import * as vscode from "vscode";
import type { CompletionStatsParams, ModelStatus, WorkspacePrefixParams } from "../server/protocol";
import { Commands } from "./ids";
import { completionUiConfig } from "./config";
import { describeLastCompletion } from "./completionStatus";
import { describeWorkspacePrefix, warmingPercent } from "./prefixStatus";

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("hearth.status", vscode.StatusBarAlignment.Right, 100);
  private status?: ModelStatus;
  private stats?: CompletionStatsParams;
  private completionError?: string;
  private skip?: string;
  private prefix?: WorkspacePrefixParams;

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
    this.render();
  }

  setCompletionError(message: string | undefined): void {
    this.completionError = message;
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
    const cfg = completionUiConfig();
    let text = "$(flame) Hearth";
    let background: vscode.ThemeColor | undefined;
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.appendMarkdown("**Hearth** — local Gemma 4\n\n");
    if (!s) {
      text = "$(loading~spin) Hearth";
      tooltip.appendMarkdown("Starting the model host…");
    } else {
      tooltip.appendMarkdown(`Model: \`${s.model}\`\n\n`);
      switch (s.state) {
        case "downloading": {
          const d = s.download;
          const pct = d && d.totalBytes ? Math.floor((100 * d.downloadedBytes) / d.totalBytes) : 0;
          text = `$(cloud-download) Hearth ${pct}%`;
          if (d) tooltip.appendMarkdown(`Downloading ${d.file} (${d.fileIndex + 1}/${d.fileCount}), ${mb(d.speed)} MB/s, ${Math.round(d.etaSeconds)} s left\n\n`);
          break;
        }
        case "checking":
        case "loading":
          text = "$(loading~spin) Hearth";
          tooltip.appendMarkdown(s.error ? `${s.error.message}\n\n` : "Loading the model…\n\n");
          break;
        case "error":
          text = "$(error) Hearth";
          background = new vscode.ThemeColor("statusBarItem.errorBackground");
          tooltip.appendMarkdown(`**Not working:** ${s.error?.message ?? "unknown error"}\n\n`);
          break;
        case "idle":
          text = "$(flame) Hearth";
          tooltip.appendMarkdown("The model loads on first use.\n\n");
          break;
        case "ready": {
          const st = this.stats?.stats;
          text = st ? `$(flame) Hearth ${Math.round(st.totalMs)} ms` : "$(flame) Hearth";
          // A long first read of the workspace shows its progress (completions work meanwhile).
          const reading = this.prefix && warmingPercent(this.prefix);
          if (reading !== undefined) text = `$(sync~spin) Hearth workspace ${reading}%`;
          const e = s.engine;
          if (e) {
            tooltip.appendMarkdown(
              `Engine: ${e.kind}${e.version ? ` (${e.version})` : ""}, ${e.threads ?? "?"} threads, ` +
                `MTP ${e.mtp ? "on" : "off"}, vision ${e.vision ? "yes" : "no"}, audio ${e.audio ? "yes" : "no"}` +
                `${e.restarts ? `, restarted ${e.restarts}×` : ""}\n\n`,
            );
          }
          if (s.memory) tooltip.appendMarkdown(`Context: ${s.memory.contextSize.toLocaleString()} tokens\n\n`);
          if (this.prefix) tooltip.appendText(describeWorkspacePrefix(this.prefix) + "\n\n");
          if (st) tooltip.appendText(describeLastCompletion(st) + "\n\n");
        }
      }
    }
    if (!cfg.enabled) {
      text = "$(circle-slash) Hearth";
      tooltip.appendMarkdown("Inline completions are **off** (click to turn them on).\n\n");
    } else if (this.skip) {
      tooltip.appendMarkdown(`No completion here: ${this.skip}.\n\n`);
    }
    if (this.completionError) {
      text = "$(warning) Hearth";
      background = new vscode.ThemeColor("statusBarItem.warningBackground");
      tooltip.appendMarkdown(`**Last completion failed:** ${this.completionError}\n\n`);
    }
    tooltip.appendMarkdown("Click for actions.");
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.backgroundColor = background;
    this.item.accessibilityInformation = { label: text.replace(/\$\([^)]*\)\s*/g, ""), role: "button" };
  }

  dispose(): void {
    this.item.dispose();
  }
}

const mb = (n: number) => (n / 1e6).toFixed(1);
