/**
 * The status bar tooltip's line about the last completion: how long it took and what the engine did for it
 * (prompt tokens processed vs cached, MTP drafts accepted and tokens decoded without drafting, and why).
 * Pure (no VS Code API) so it is unit-tested.
 */
import type { GenerationStats } from "../server/protocol";

export function describeLastCompletion(st: GenerationStats): string {
  if (st.reused === "type-through") return "Last completion: the rest of the suggestion you were typing (no model run)";
  if (st.reused) return "Last completion: the one this code got a moment ago (no model run)";
  return (
    `Last completion: ${Math.round(st.totalMs)} ms, ${st.tokensPerSecond.toFixed(1)} tok/s, ` +
    `${st.processedTokens} prompt tokens processed, ${st.cachedTokens} cached${describeMtp(st)}`
  );
}

/** Empty when no drafter ran. */
function describeMtp(st: GenerationStats): string {
  if (st.draftTokens === undefined) return "";
  let out = `; MTP ${st.draftAccepted ?? 0} of ${st.draftTokens} drafted tokens accepted`;
  const plain: string[] = [];
  if (st.draftPaused) plain.push(`${st.draftPaused} while MTP was timed against plain decoding or paused because it did not pay here`);
  if (st.draftSkipped) plain.push(`${st.draftSkipped} after refuted drafts`);
  if (plain.length) out += `; decoded without drafting: ${plain.join(", ")}`;
  return out;
}
