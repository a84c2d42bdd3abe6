import * as vscode from "vscode";
import { WorkspaceFilter } from "../../server/workspace/files";

/**
 * The workspace context's filter for a workspace folder (its `.gitignore` files and `hearth.workspace.ignore`),
 * so what chat offers or reads leaves out what the workspace prefix does; none for a folder off disk.
 */
export function folderFilter(folder: vscode.WorkspaceFolder): WorkspaceFilter | undefined {
  if (folder.uri.scheme !== "file") return undefined;
  return new WorkspaceFilter(folder.uri.fsPath, { ignore: vscode.workspace.getConfiguration("hearth", folder.uri).get<string[]>("workspace.ignore") ?? [] });
}
