/**
 * Typed access to the `hearth.*` settings: what the host gets (HearthSettings) and what the editor side
 * uses (completion UI). The host decides itself which changes need an engine restart.
 */
import * as vscode from "vscode";
import type { HearthSettings } from "../server/protocol";

export interface CompletionUiConfig {
  enabled: boolean;
  disabledLanguages: string[];
  debounceMs: number;
}

function section(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration("hearth");
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
      ignore: c.get<string[]>("workspace.ignore") ?? [],
      maxTokens: c.get<number>("workspace.maxTokens") ?? 0,
    },
  };
}

export function completionUiConfig(): CompletionUiConfig {
  const c = section();
  return {
    enabled: c.get<boolean>("completion.enabled") ?? true,
    disabledLanguages: c.get<string[]>("completion.disabledLanguages") ?? [],
    debounceMs: c.get<number>("completion.debounceMs") ?? 150,
  };
}

export async function setCompletionsEnabled(enabled: boolean): Promise<void> {
  await section().update("completion.enabled", enabled, vscode.ConfigurationTarget.Global);
}

export async function toggleLanguage(languageId: string): Promise<boolean> {
  const current = completionUiConfig().disabledLanguages;
  const disabled = current.includes(languageId);
  const next = disabled ? current.filter((l) => l !== languageId) : [...current, languageId];
  await section().update("completion.disabledLanguages", next, vscode.ConfigurationTarget.Global);
  return disabled; // now enabled?
}

export async function setModelSettings(patch: { model?: string; mmproj?: string; drafter?: string; remoteEndpoint?: string }): Promise<void> {
  for (const [key, value] of Object.entries(patch)) {
    if (value !== undefined) await section().update(key, value, vscode.ConfigurationTarget.Global);
  }
}
