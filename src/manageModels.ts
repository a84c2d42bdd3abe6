/**
 * *Hearth: Manage Downloaded Models…*: the model files in the models folder with their sizes (a 12B quant is
 * 7–13 GB, and trying a few leaves tens of GB behind), to delete the ones no longer wanted. The files the
 * current model uses are shown but kept; unfinished downloads are marked (deleting one drops what arrived).
 */
import * as path from "node:path";
import * as vscode from "vscode";
import { listDownloaded, removeDownloaded, type DownloadedFile } from "../server/models/downloaded";
import { modelsFolder } from "../server/models/folder";
import { formatBytes } from "../server/engine/sizing";
import type { ModelFiles } from "../server/protocol";


interface Item extends vscode.QuickPickItem {
  file: DownloadedFile;
}

/** `inUse`: the files of the model loaded now (from the host's status), which are never deleted. */
export async function manageDownloadedModels(inUse: ModelFiles | undefined, dir = modelsFolder(vscode.workspace.getConfiguration("hearth").get<string>("modelsDir"))): Promise<void> {
  const files = listDownloaded(dir);
  if (!files.length) {
    void vscode.window.showInformationMessage(`Hearth: no downloaded models in ${dir}.`);
    return;
  }
  const used = new Set([inUse?.model, inUse?.mmproj, inUse?.drafter].filter((f): f is string => !!f).map((f) => path.resolve(f)));
  const total = files.reduce((n, f) => n + f.sizeBytes, 0);
  const items: Item[] = files.map((file) => ({
    file,
    label: path.basename(file.path),
    description: [formatBytes(file.sizeBytes), used.has(path.resolve(file.path)) ? "in use" : "", file.partial ? "unfinished download" : ""].filter(Boolean).join(" · "),
    detail: path.dirname(path.relative(dir, file.path)),
  }));
  const picked = await vscode.window.showQuickPick(items, {
    title: `Hearth: Downloaded Models (${formatBytes(total)} in ${dir})`,
    placeHolder: "Select the files to delete (the model in use is kept)",
    canPickMany: true,
    matchOnDetail: true,
  });
  if (!picked?.length) return;
  const keep = picked.filter((i) => used.has(path.resolve(i.file.path)));
  const doomed = picked.filter((i) => !keep.includes(i)).map((i) => i.file);
  if (!doomed.length) {
    void vscode.window.showInformationMessage("Hearth: the files of the model in use are kept. Select another model first to delete them.");
    return;
  }
  const size = formatBytes(doomed.reduce((n, f) => n + f.sizeBytes, 0));
  const names = doomed.length === 1 ? path.basename(doomed[0].path) : `${doomed.length} files`;
  const choice = await vscode.window.showWarningMessage(
    `Delete ${names} (${size})?${keep.length ? " The files of the model in use are kept." : ""} A model deleted can be downloaded again.`,
    { modal: true },
    "Delete",
  );
  if (choice !== "Delete") return;
  try {
    const freed = removeDownloaded(dir, doomed.map((f) => f.path));
    void vscode.window.showInformationMessage(`Hearth: deleted ${names}, ${formatBytes(freed)} freed.`);
  } catch (err) {
    void vscode.window.showErrorMessage(`Hearth: could not delete ${names}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
