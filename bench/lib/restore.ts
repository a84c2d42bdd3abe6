// Restore of the persisted workspace prefix vs re-prefill of the same prefix, on one engine (slot 0 erased
// before each), through the host's own WorkspacePrefix + PrefixStore. Shared by bench/run.ts and
// bench/run-12b.ts.

import fs from "node:fs";
import path from "node:path";
import type { ContextChunk } from "../../server/completion/layout";
import type { PrefixStore } from "../../server/completion/prefixStore";
import { WorkspacePrefix, type PrefixWarmResult } from "../../server/completion/workspacePrefix";
import type { LoadedModel, ModelManager } from "../../server/models/manager";
import { median } from "./stats";

export interface RestoreOptions {
  /**
   * A full prefill of the same prefix already made on this engine (the host's first warm-up, or a warm-up
   * that saved the prefix): it counts as the first prefill, which saves one (minutes on a CPU).
   */
  firstPrefill?: { tokens: number; ms: number };
  /** Prefill + restore rounds, alternating (default 2). A saved prefix for `chunks` must be in `store`. */
  rounds?: number;
  /** At most this many prefills (default: one per round); the later rounds only restore. */
  maxPrefills?: number;
}

export async function measurePrefixRestore(manager: ModelManager, loaded: LoadedModel, chunks: ContextChunk[], store: PrefixStore, opts: RestoreOptions = {}) {
  const { firstPrefill, rounds = 2, maxPrefills = rounds } = opts;
  const prefill: Pick<PrefixWarmResult, "tokens" | "evaluateMs">[] = [];
  const restored: PrefixWarmResult[] = [];
  for (let i = 0; i < rounds; i++) {
    // prefills and restores, alternating; the first prefill may be one made before (firstPrefill)
    if (i === 0 && firstPrefill) prefill.push({ tokens: firstPrefill.tokens, evaluateMs: firstPrefill.ms });
    else if (prefill.length < maxPrefills) {
      await loaded.client.postJson("/slots/0?action=erase", {});
      prefill.push((await new WorkspacePrefix(manager).warm(chunks))!);
    }
    await loaded.client.postJson("/slots/0?action=erase", {});
    restored.push((await new WorkspacePrefix(manager, { store }).warm(chunks))!);
    if (!restored.at(-1)!.restoredTokens) throw new Error(`the saved prefix was not restored: ${restored.at(-1)!.notRestored}`);
  }
  if (prefill[0].tokens !== restored[0].tokens) {
    // the first prefill held another prefix after all: measure this one instead
    await loaded.client.postJson("/slots/0?action=erase", {});
    prefill[0] = (await new WorkspacePrefix(manager).warm(chunks))!;
  }
  const prefillMs = median(prefill.map((r) => r.evaluateMs));
  const restoreMs = median(restored.map((r) => r.restoreMs + r.evaluateMs));
  return {
    prefixTokens: prefill[0].tokens,
    prefillMs,
    prefillTokensPerSecond: prefill[0].tokens / (prefillMs / 1000),
    restoreMs,
    restoreLoadMs: median(restored.map((r) => r.restoreMs)),
    restoreEvaluateMs: median(restored.map((r) => r.evaluateMs)),
    restoredTokens: restored[0].restoredTokens,
    processedAfterRestore: median(restored.map((r) => r.processedTokens)),
    cacheBytes: fs.readdirSync(store.dir).reduce((n, f) => n + fs.statSync(path.join(store.dir, f)).size, 0),
    restoreSpeedup: prefillMs / restoreMs,
  };
}
