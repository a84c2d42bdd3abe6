/**
 * Model management in the editor: first run (say what will be downloaded, where, how big — and ask),
 * download with a cancellable progress notification, "Select Model" (recommended Gemma 4 quants, a local
 * GGUF, a remote endpoint), and a warning before loading a model that will not fit in memory.
 */
import * as os from "node:os";
import * as vscode from "vscode";
import { DEFAULT_MODEL, type ModelStatus } from "../server/protocol";
import { describeScope, setModelSettings, warnIfOverridden } from "./config";
import { errorCode, errorMessage, type HostClient } from "./hostClient";
import { isHostStopped } from "./hostStopped";
import { Commands } from "./ids";

const API_KEY_SECRET = "hearth.remoteApiKey";

interface ModelChoice extends vscode.QuickPickItem {
  apply: () => Promise<boolean>;
}

/** Gemma 4 GGUFs node-llama-cpp recommends, with approximate weight sizes. */
const RECOMMENDED: { uri: string; label: string; gb: number; note: string }[] = [
  { uri: "hf:giladgd/gemma-4-12B-it-GGUF:Q4_K_M", label: "Gemma 4 12B · Q4_K_M", gb: 7.3, note: "recommended for 16 GB laptops" },
  { uri: "hf:giladgd/gemma-4-12B-it-GGUF:Q5_K_M", label: "Gemma 4 12B · Q5_K_M", gb: 8.5, note: "better quality, 24 GB+" },
  { uri: "hf:giladgd/gemma-4-12B-it-GGUF:Q6_K", label: "Gemma 4 12B · Q6_K", gb: 9.8, note: "near-lossless, 32 GB" },
  { uri: "hf:giladgd/gemma-4-12B-it-GGUF:Q8_0", label: "Gemma 4 12B · Q8_0", gb: 12.7, note: "largest, 32 GB+" },
  { uri: "hf:giladgd/gemma-4-E4B-it-GGUF:Q4_K_M", label: "Gemma 4 E4B · Q4_K_M", gb: 5.0, note: "smaller and faster, 8–16 GB" },
  { uri: "hf:giladgd/gemma-4-E2B-it-GGUF:Q4_K_M", label: "Gemma 4 E2B · Q4_K_M", gb: 3.2, note: "smallest, 8 GB machines" },
];

/** The buttons of a model error: the one that fixes it first. */
export function errorActions(code: string | undefined): string[] {
  switch (code) {
    case "engine-not-built":
      return ["Show Logs"];
    case "download-corrupt":
      return ["Download Again", "Select Model", "Show Logs"];
    case "download-failed":
      return ["Retry Download", "Select Model", "Show Logs"];
    default:
      return ["Select Model", "Show Logs"];
  }
}

export class ModelManagerUi {
  private asked = false;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly host: HostClient,
  ) {}

  apiKey(): Promise<string> {
    return Promise.resolve(this.context.secrets.get(API_KEY_SECRET)).then((k) => k ?? "");
  }

  /**
   * Loads the model; on first use of a model that is not downloaded, explains and asks first. Errors are
   * shown once, with the host's sentence and the actions that fix them.
   */
  async ensureLoaded(interactive: boolean): Promise<ModelStatus | undefined> {
    try {
      return await this.host.loadModel();
    } catch (err) {
      if (isHostStopped(err)) return undefined; // Restart Model Host loads it again
      if (errorCode(err) === "download-not-allowed") {
        if (!interactive && this.asked) return undefined;
        this.asked = true;
        return (await this.offerDownload()) ? this.ensureLoaded(interactive) : undefined;
      }
      if (interactive) void this.showError(err);
      return undefined;
    }
  }

  /** Asks before a download: what, how big, where. */
  async offerDownload(): Promise<boolean> {
    const model = vscode.workspace.getConfiguration("hearth").get<string>("model") ?? DEFAULT_MODEL;
    const known = RECOMMENDED.find((r) => r.uri === model);
    const size = known ? `about ${known.gb} GB plus its image/audio projector and MTP drafter` : "its GGUF files";
    const where = vscode.workspace.getConfiguration("hearth").get<string>("modelsDir") || "~/.cache/hearth/models";
    const choice = await vscode.window.showInformationMessage(
      `Hearth runs ${known?.label ?? model} on this machine. It needs to download ${size} once, to ${where}. ` +
        `Nothing you type ever leaves your machine.`,
      { modal: true },
      "Download",
      "Choose Another Model",
    );
    if (choice === "Choose Another Model") return this.selectModel();
    if (choice !== "Download") return false;
    return this.download();
  }

  async download(): Promise<boolean> {
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: "Hearth: downloading the model", cancellable: true },
      async (progress, token) => {
        let last = 0;
        try {
          await this.host.download((p) => {
            const pct = p.percentage ?? last;
            progress.report({ increment: Math.max(0, pct - last), message: p.message });
            last = pct;
          }, token);
          return true;
        } catch (err) {
          if (token.isCancellationRequested || isHostStopped(err)) {
            void vscode.window.showInformationMessage("Hearth: download paused. It resumes where it stopped next time.");
          } else {
            void this.showError(err);
          }
          return false;
        }
      },
    );
  }

  async selectModel(): Promise<boolean> {
    const current = vscode.workspace.getConfiguration("hearth").get<string>("model");
    const freeGb = os.totalmem() / 1e9;
    const items: ModelChoice[] = [
      ...RECOMMENDED.map<ModelChoice>((r) => ({
        label: r.label,
        description: `${r.gb} GB${r.uri === current ? " · current" : ""}`,
        detail: `${r.note}${r.gb * 1.5 > freeGb ? " — $(warning) may not fit in this machine's memory" : ""}`,
        apply: () => this.applyModel({ model: r.uri, mmproj: "auto", drafter: "auto", remoteEndpoint: "" }, r.label),
      })),
      { label: "", kind: vscode.QuickPickItemKind.Separator, apply: async () => false },
      { label: "$(file) Local GGUF file…", detail: "A model file on this machine (its mmproj and drafter are found beside it)", apply: () => this.pickLocal() },
      { label: "$(remote) Remote endpoint…", detail: "A llama-server or OpenAI-compatible server your team shares", apply: () => this.pickRemote() },
      { label: "", kind: vscode.QuickPickItemKind.Separator, apply: async () => false },
      {
        label: "$(trash) Manage downloaded models…",
        detail: "The model files on this machine with their sizes, to delete those you no longer use",
        apply: async () => (await vscode.commands.executeCommand(Commands.manageModels), false),
      },
    ];
    const picked = await vscode.window.showQuickPick(items, { title: "Hearth: Select Model", matchOnDetail: true });
    if (!picked || !(await picked.apply())) return false;
    await this.host.pushSettings();
    void this.ensureLoaded(true);
    return true;
  }

  /** After loading: warn when the estimate says the model will not fit. */
  warnIfTight(status: ModelStatus): void {
    const m = status.memory;
    if (!m || m.fits) return;
    void vscode.window.showWarningMessage(
      `Hearth: ${status.model} needs about ${(m.totalBytes / 1e9).toFixed(1)} GB but only ${(m.freeBytes / 1e9).toFixed(1)} GB is free. ` +
        "Expect swapping; a smaller quant or context size helps.",
      "Select Model",
    ).then((a) => a && this.selectModel());
  }

  async showError(err: unknown): Promise<void> {
    if (isHostStopped(err)) return; // not a failure: the host was restarted
    const code = errorCode(err);
    const action = await vscode.window.showErrorMessage(`Hearth: ${errorMessage(err)}`, ...errorActions(code));
    if (action === "Select Model") await this.selectModel();
    if (action === "Show Logs") await vscode.commands.executeCommand("hearth.showLogs");
    // a damaged file was removed and a failed download keeps what arrived: downloading again fetches the rest
    if (action === "Download Again" || action === "Retry Download") {
      if (await this.download()) void this.ensureLoaded(true);
    }
  }

  private async pickLocal(): Promise<boolean> {
    const files = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { "GGUF model": ["gguf"] }, title: "Choose a GGUF model" });
    if (!files?.[0]) return false;
    return this.applyModel({ model: files[0].fsPath, mmproj: "auto", drafter: "auto", remoteEndpoint: "" }, files[0].fsPath);
  }

  private async pickRemote(): Promise<boolean> {
    const url = await vscode.window.showInputBox({
      title: "Remote endpoint",
      prompt: "Base URL of a llama-server or OpenAI-compatible server",
      placeHolder: "http://gpu-box.internal:8080",
      validateInput: (v) => (/^https?:\/\/\S+$/.test(v.trim()) ? undefined : "Enter an http(s) URL"),
    });
    if (!url) return false;
    const key = await vscode.window.showInputBox({ title: "API key (optional)", password: true, prompt: "Stored in VS Code's secret storage" });
    if (key !== undefined) await this.context.secrets.store(API_KEY_SECRET, key);
    return this.applyModel({ remoteEndpoint: url.trim() }, `the remote endpoint ${url.trim()} (prompts are sent there)`);
  }

  /**
   * Writes the model settings where they are in effect (a workspace's own `hearth.model` included) and says
   * where; false (with a warning) when a scope Hearth cannot write still overrides them.
   */
  private async applyModel(patch: Parameters<typeof setModelSettings>[0], what: string): Promise<boolean> {
    const writes = await setModelSettings(patch);
    if (warnIfOverridden(writes)) return false;
    void vscode.window.setStatusBarMessage(`Hearth: model set to ${what}${describeScope(writes)}`, 4000);
    return true;
  }
}
