/** Settings as the host uses them: defaults merged with what the client sent, validated at the boundary. */
import { DEFAULT_SETTINGS, type HearthSettings } from "./protocol";

export function mergeSettings(partial: Partial<HearthSettings> | undefined, base: HearthSettings = DEFAULT_SETTINGS): HearthSettings {
  const p = partial ?? {};
  const merged: HearthSettings = {
    ...base,
    ...stripUndefined(p),
    completion: { ...base.completion, ...stripUndefined(p.completion ?? {}) },
    workspace: { ...base.workspace, ...stripUndefined(p.workspace ?? {}) },
    instructions: { ...base.instructions, ...stripUndefined(p.instructions ?? {}) },
  };
  if (!["f16", "q8_0", "q4_0"].includes(merged.kvCacheType)) merged.kvCacheType = base.kvCacheType;
  if (!["auto", "cpu", "cuda", "vulkan"].includes(merged.gpu)) merged.gpu = base.gpu;
  merged.contextSize = Math.max(0, Math.floor(Number(merged.contextSize) || 0));
  merged.threads = Math.max(0, Math.floor(Number(merged.threads) || 0));
  merged.completion.maxTokens = Math.min(1024, Math.max(1, Math.floor(Number(merged.completion.maxTokens) || base.completion.maxTokens)));
  merged.workspace.ignore = patterns(merged.workspace.ignore) ?? [];
  const folderIgnore = byFolder(merged.workspace.folderIgnore);
  if (folderIgnore) merged.workspace.folderIgnore = folderIgnore;
  else delete merged.workspace.folderIgnore;
  merged.workspace.maxTokens = Math.max(0, Math.floor(Number(merged.workspace.maxTokens) || 0));
  merged.instructions = {
    files: patterns(merged.instructions.files) ?? [...base.instructions.files],
    text: typeof merged.instructions.text === "string" ? merged.instructions.text : "",
  };
  return merged;
}

/** Non-empty pattern strings of a list; undefined for anything but a list. */
function patterns(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((x): x is string => typeof x === "string" && x.trim() !== "") : undefined;
}

/** `folderIgnore`'s entries that are lists (a folder with a malformed entry takes `ignore`); undefined when none. */
function byFolder(value: unknown): Record<string, string[]> | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const entries = Object.entries(value).flatMap(([uri, list]) => {
    const valid = patterns(list);
    return valid ? [[uri, valid] as const] : [];
  });
  return entries.length ? Object.fromEntries(entries) : undefined;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null)) as Partial<T>;
}
