/**
 * *Hearth: Manage Downloaded Models…*: the model files in the models folder with their sizes (a 12B quant is
 * 7–13 GB, and trying a few leaves tens of GB behind), to delete the ones no longer wanted. The files the
 * current model uses are shown but kept (all parts of a split one); unfinished downloads are marked
 * (deleting one drops what arrived). Nothing is deleted while the model host downloads or loads a model.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { listDownloaded, modelFileOf, removeDownloaded, type DownloadedFile } from "../server/models/downloaded";
import { modelsFolder } from "../server/models/folder";
import { formatBytes } from "../server/engine/sizing";
import type { ModelStatus } from "../server/protocol";

interface Item extends vscode.QuickPickItem {
  file: DownloadedFile;
}

/** `status`: the model host's (its files are the model in use, never deleted; a download or load waits). */
export async function manageDownloadedModels(status: ModelStatus | undefined, dir = modelsFolder(vscode.workspace.getConfiguration("hearth").get<string>("modelsDir"))): Promise<void> {
  if (status?.state === "downloading" || status?.state === "checking" || status?.state === "loading") {
    void vscode.window.showInformationMessage(`Hearth: the model host is ${status.state} a model: manage the downloaded models once it is done.`);
    return;
  }
  const files = listDownloaded(dir);
  if (!files.length) {
    void vscode.window.showInformationMessage(`Hearth: no downloaded models in ${dir}.`);
    return;
  }
  const inUse = inUseCheck(status);
  const total = files.reduce((n, f) => n + f.sizeBytes, 0);
  const items: Item[] = files.map((file) => ({
    file,
    label: path.basename(modelFileOf(file.path)),
    description: [formatBytes(file.sizeBytes), inUse(file.path) ? "in use" : "", file.partial ? "unfinished download" : ""].filter(Boolean).join(" · "),
    detail: path.dirname(path.relative(dir, file.path)),
  }));
  const picked = await vscode.window.showQuickPick(items, {
    title: `Hearth: Downloaded Models (${formatBytes(total)} in ${dir})`,
    placeHolder: "Select the files to delete (the model in use is kept)",
    canPickMany: true,
    matchOnDetail: true,
  });
  if (!picked?.length) return;
  const kept = picked.filter((i) => inUse(i.file.path));
  const doomed = picked.filter((i) => !kept.includes(i));
  if (!doomed.length) {
    void vscode.window.showInformationMessage("Hearth: the files of the model in use are kept. Select another model first to delete them.");
    return;
  }
  const size = formatBytes(doomed.reduce((n, i) => n + i.file.sizeBytes, 0));
  const names = doomed.length === 1 ? doomed[0].label : `${doomed.length} files`;
  const choice = await vscode.window.showWarningMessage(
    `Delete ${names} (${size})?${kept.length ? " The files of the model in use are kept." : ""} A model deleted can be downloaded again.`,
    { modal: true, detail: doomed.map((i) => `${i.label} (${i.description})`).join("\n") },
    "Delete",
  );
  if (choice !== "Delete") return;
  try {
    const r = removeDownloaded(dir, doomed.map((i) => i.file.path));
    const failed = r.failed.map((f) => `${path.basename(f.path)}: ${f.reason}`).join("; ");
    if (r.removed.length) void vscode.window.showInformationMessage(`Hearth: deleted ${r.removed.length === 1 ? path.basename(modelFileOf(r.removed[0])) : `${r.removed.length} files`}, ${formatBytes(r.freedBytes)} freed.`);
    if (failed) void vscode.window.showErrorMessage(`Hearth: could not delete ${failed}`);
  } catch (err) {
    void vscode.window.showErrorMessage(`Hearth: could not delete ${names}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Whether a listed file belongs to the model in use: its model, mmproj or drafter, compared by real path (a
 * symlinked setting, a case-insensitive file system), and every part of a split model (`-00001-of-00003`).
 */
function inUseCheck(status: ModelStatus | undefined): (file: string) => boolean {
  const fold = process.platform === "win32" || process.platform === "darwin" ? (p: string) => p.toLowerCase() : (p: string) => p;
  const key = (p: string) => {
    let real = p;
    try {
      real = fs.realpathSync(p);
    } catch {
      // (an unfinished download's model file does not exist yet)
    }
    return fold(real).replace(/-\d{5}-of-(\d{5})\.gguf$/, "-of-$1.gguf");
  };
  const used = new Set([status?.files?.model, status?.files?.mmproj, status?.files?.drafter].filter((f): f is string => !!f).map(key));
  return (file) => used.has(key(modelFileOf(file)));
}
