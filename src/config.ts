/**
 * Typed access to the `hearth.*` settings: what the host gets (HearthSettings) and what the editor side
 * uses (completion UI). The host decides itself which changes need an engine restart.
 */
import * as vscode from "vscode";
import { DEFAULT_INSTRUCTION_FILES, type HearthSettings, type WorkspaceSettings } from "../server/protocol";

export interface CompletionUiConfig {
  enabled: boolean;
  disabledLanguages: string[];
  debounceMs: number;
}

function section(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration("hearth");
}

/** The most tokens one chat answer may generate (`hearth.chat.maxTokens`). */
export function chatMaxTokens(): number {
  // (settings.json is not held to the schema's bounds: 0 would ask for nothing, -1 for no limit at all)
  const n = Math.round(Number(section().get<number>("chat.maxTokens") ?? 1024));
  return Number.isFinite(n) ? Math.min(16384, Math.max(64, n)) : 1024;
}

/** Settings for the host; `remoteApiKey` comes from SecretStorage, never from settings.json. */
export function hostSettings(remoteApiKey = ""): Partial<HearthSettings> {
  const c = section();
  return {
    model: c.get<string>("model"),
    mmproj: c.get<string>("mmproj"),
    drafter: c.get<string>("drafter"),
    mtp: c.get<boolean>("mtp"),
    contextSize: c.get<number>("contextSize"),
    kvCacheType: c.get<HearthSettings["kvCacheType"]>("kvCacheType"),
    gpu: c.get<HearthSettings["gpu"]>("gpu"),
    threads: c.get<number>("threads"),
    modelsDir: c.get<string>("modelsDir"),
    remoteEndpoint: c.get<string>("remoteEndpoint"),
    remoteApiKey,
    completion: {
      maxTokens: c.get<number>("completion.maxTokens") ?? 128,
      multiline: c.get<boolean>("completion.multiline") ?? true,
      temperature: 0,
      reuse: c.get<boolean>("completion.reuse") ?? true,
    },
    workspace: {
      ...workspaceIgnore(),
      maxTokens: c.get<number>("workspace.maxTokens") ?? 0,
    },
    instructions: {
      files: c.get<string[]>("instructions.files") ?? [...DEFAULT_INSTRUCTION_FILES],
      text: c.get<string>("instructions.text") ?? "",
    },
  };
}

/**
 * `hearth.workspace.ignore` is resource-scoped: in a multi-root window each folder has its own value (folder >
 * workspace > user), sent by the folder's URI; `ignore` is the window's (workspace > user: `null` asks for it
 * without a folder), for folders the host has no entry for.
 */
function workspaceIgnore(): Pick<WorkspaceSettings, "ignore" | "folderIgnore"> {
  const of = (scope: vscode.Uri | null) => vscode.workspace.getConfiguration("hearth", scope).get<string[]>("workspace.ignore") ?? [];
  const folders = vscode.workspace.workspaceFolders ?? [];
  return {
    ignore: of(null),
    ...(folders.length ? { folderIgnore: Object.fromEntries(folders.map((f) => [f.uri.toString(), of(f.uri)])) } : {}),
  };
}

/** The remote endpoint in effect ("" = the local engine): where every prompt goes when it is set. */
export function remoteEndpoint(): string {
  return (section().get<string>("remoteEndpoint") ?? "").trim();
}

export function completionUiConfig(): CompletionUiConfig {
  const c = section();
  return {
    enabled: c.get<boolean>("completion.enabled") ?? true,
    disabledLanguages: c.get<string[]>("completion.disabledLanguages") ?? [],
    debounceMs: c.get<number>("completion.debounceMs") ?? 150,
  };
}

/** Where a setting was written: the scope the user will find it in. */
export type SettingScope = "folder" | "workspace" | "user";

export interface SettingWrite {
  key: string;
  scope: SettingScope;
  /** The value in effect after the write differs from the one written (a scope Hearth cannot write wins, e.g. a policy). */
  overridden: boolean;
}

/**
 * Writes `hearth.<key>` where the value in effect comes from: the most specific scope that sets it (folder >
 * workspace > user), so the user's choice takes effect instead of landing in User settings under a workspace
 * override. A key set nowhere is written to User settings.
 *
 * A folder's own settings are a scope of their own only in a multi-root workspace (with one folder open, its
 * .vscode/settings.json is the workspace scope, and VS Code refuses a folder write for Hearth's window-scoped
 * settings); there a folder write that VS Code refuses falls back to the workspace.
 */
export async function writeSetting(key: string, value: unknown): Promise<SettingWrite> {
  const seen = section().inspect(key);
  const setSomewhere = [seen?.globalValue, seen?.workspaceValue, seen?.workspaceFolderValue].some((v) => v !== undefined);
  // Writing a default nobody overrides would only add a line to the user's settings.json.
  if (!setSomewhere && JSON.stringify(seen?.defaultValue) === JSON.stringify(value)) return { key, scope: "user", overridden: false };
  const folder = multiRootFolder();
  const inFolder = folder && vscode.workspace.getConfiguration("hearth", folder).inspect(key)?.workspaceFolderValue !== undefined;
  if (folder && inFolder) {
    try {
      await vscode.workspace.getConfiguration("hearth", folder).update(key, value, vscode.ConfigurationTarget.WorkspaceFolder);
      return { key, scope: "folder", overridden: isOverridden(key, value) };
    } catch {
      // not a folder-scoped setting: its folder value does not apply anyway; the workspace's does
    }
  }
  const scope: SettingScope = seen?.workspaceValue !== undefined || inFolder ? "workspace" : "user";
  await section().update(key, value, scope === "workspace" ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global);
  return { key, scope, overridden: isOverridden(key, value) };
}

/** In a multi-root workspace, the folder of the active editor's file (else the first folder). */
function multiRootFolder(): vscode.Uri | undefined {
  if (!vscode.workspace.workspaceFile) return undefined;
  const doc = vscode.window.activeTextEditor?.document.uri;
  return (doc && vscode.workspace.getWorkspaceFolder(doc)?.uri) ?? vscode.workspace.workspaceFolders?.[0]?.uri;
}

function isOverridden(key: string, value: unknown): boolean {
  return JSON.stringify(section().get(key)) !== JSON.stringify(value);
}

/** "in this workspace's settings" etc., for messages after a write; empty for User settings. */
export function describeScope(writes: SettingWrite[]): string {
  const scopes = new Set(writes.map((w) => w.scope));
  if (scopes.has("folder")) return " (in the folder's settings, where it was set)";
  if (scopes.has("workspace")) return " (in the workspace settings, where it was set)";
  return "";
}

/**
 * Says so when a setting Hearth wrote is not the one in effect (nothing would seem to happen otherwise).
 */
export function warnIfOverridden(writes: SettingWrite[]): boolean {
  const stuck = writes.filter((w) => w.overridden);
  if (!stuck.length) return false;
  void vscode.window.showWarningMessage(
    `Hearth: ${stuck.map((w) => `hearth.${w.key}`).join(", ")} ${stuck.length > 1 ? "are" : "is"} set somewhere Hearth cannot change ` +
      "(a folder of a multi-root workspace, or a policy), so the new value does not apply. Change it there.",
    "Open Settings",
  ).then((a) => a && vscode.commands.executeCommand("workbench.action.openSettings", stuck[0] ? `hearth.${stuck[0].key}` : "hearth"));
  return true;
}

export async function setCompletionsEnabled(enabled: boolean): Promise<SettingWrite> {
  return writeSetting("completion.enabled", enabled);
}

/** Turns completions off/on for `languageId`; `nowEnabled` is the new state. */
export async function toggleLanguage(languageId: string): Promise<{ nowEnabled: boolean; write: SettingWrite }> {
  const current = completionUiConfig().disabledLanguages;
  const disabled = current.includes(languageId);
  const next = disabled ? current.filter((l) => l !== languageId) : [...current, languageId];
  const write = await writeSetting("completion.disabledLanguages", next);
  return { nowEnabled: disabled, write };
}

export async function setModelSettings(patch: { model?: string; mmproj?: string; drafter?: string; remoteEndpoint?: string }): Promise<SettingWrite[]> {
  const writes: SettingWrite[] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (value !== undefined) writes.push(await writeSetting(key, value));
  }
  return writes;
}
