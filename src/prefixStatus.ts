/**
 * The status bar tooltip's line about the workspace prefix: how much of the workspace completions see, and
 * whether it came from the saved cache, so a slow first completion after a start explains itself.
 * Pure (no VS Code API) so it is unit-tested.
 */
import type { WorkspacePrefixParams } from "../server/protocol";

export function describeWorkspacePrefix(p: WorkspacePrefixParams, now = Date.now()): string {
  const size = `${p.tokens.toLocaleString("en-US")} tokens from ${p.chunks.toLocaleString("en-US")} workspace chunks`;
  switch (p.state) {
    case "failed":
      return `Workspace context unavailable: ${p.message ?? "unknown error"} (completions still see the current file).`;
    case "warming":
      if (p.targetTokens && p.tokens < p.targetTokens) {
        return `Workspace context: reading the workspace into the model, ${p.tokens.toLocaleString("en-US")} of ${p.targetTokens.toLocaleString("en-US")} tokens (${warmingPercent(p)} %); completions use the part read so far.`;
      }
      return p.tokens ? `Workspace context: ${size}, updating…` : "Workspace context: reading the workspace into the model…";
    case "ready": {
      const parts = [`Workspace context: ${size}`];
      if (p.restoredTokens) parts.push(`restored from disk in ${ms(p.restoreMs)}`);
      else if (p.notRestored && p.notRestored !== "no saved prefix") parts.push(`saved cache not used (${p.notRestored})`);
      if (p.evaluatedTokens) parts.push(`last update evaluated ${p.evaluatedTokens.toLocaleString("en-US")} tokens in ${ms(p.evaluateMs)}`);
      if (p.savedAt) parts.push(`saved ${ago(Date.parse(p.savedAt), now)} (${(p.savedBytes ?? 0) / 1048576 >= 1 ? `${Math.round((p.savedBytes ?? 0) / 1048576)} MiB` : `${Math.round((p.savedBytes ?? 0) / 1024)} KiB`})`);
      return parts.join(" · ");
    }
  }
}

/** How much of a prefix being read in steps is in the model (undefined when it is not being read in steps). */
export function warmingPercent(p: WorkspacePrefixParams): number | undefined {
  return p.state === "warming" && p.targetTokens ? Math.floor((100 * Math.min(p.tokens, p.targetTokens)) / p.targetTokens) : undefined;
}

function ms(v: number | undefined): string {
  if (v === undefined) return "?";
  return v >= 10_000 ? `${Math.round(v / 1000)} s` : `${Math.round(v)} ms`;
}

function ago(t: number, now: number): string {
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}
