/** Settings as the host uses them: defaults merged with what the client sent, validated at the boundary. */
import { DEFAULT_SETTINGS, type HearthSettings } from "./protocol";

export function mergeSettings(partial: Partial<HearthSettings> | undefined, base: HearthSettings = DEFAULT_SETTINGS): HearthSettings {
  const p = partial ?? {};
  const merged: HearthSettings = {
    ...base,
    ...stripUndefined(p),
    completion: { ...base.completion, ...stripUndefined(p.completion ?? {}) },
    workspace: { ...base.workspace, ...stripUndefined(p.workspace ?? {}) },
  };
  if (!["f16", "q8_0", "q4_0"].includes(merged.kvCacheType)) merged.kvCacheType = base.kvCacheType;
  if (!["auto", "cpu", "cuda", "vulkan"].includes(merged.gpu)) merged.gpu = base.gpu;
  merged.contextSize = Math.max(0, Math.floor(Number(merged.contextSize) || 0));
  merged.threads = Math.max(0, Math.floor(Number(merged.threads) || 0));
  merged.completion.maxTokens = Math.min(1024, Math.max(1, Math.floor(Number(merged.completion.maxTokens) || base.completion.maxTokens)));
  const ignore = merged.workspace.ignore;
  merged.workspace.ignore = Array.isArray(ignore) ? ignore.filter((x): x is string => typeof x === "string" && x.trim() !== "") : [];
  merged.workspace.maxTokens = Math.max(0, Math.floor(Number(merged.workspace.maxTokens) || 0));
  return merged;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null)) as Partial<T>;
}
