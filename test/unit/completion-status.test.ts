import { describe, expect, it } from "vitest";
import type { GenerationStats } from "../../server/protocol";
import { describeLastCompletion } from "../../src/completionStatus";

const base: GenerationStats = {
  promptTokens: 9000,
  cachedTokens: 8990,
  processedTokens: 10,
  generatedTokens: 16,
  promptMs: 12,
  generationMs: 150,
  tokensPerSecond: 106.7,
  totalMs: 171.4,
  stoppedBy: "limit",
};

describe("status tooltip: last completion", () => {
  it("says how long it took and what the engine processed; nothing about MTP without a drafter", () => {
    expect(describeLastCompletion(base)).toBe("Last completion: 171 ms, 106.7 tok/s, 10 prompt tokens processed, 8990 cached");
  });

  it("counts accepted drafts", () => {
    expect(describeLastCompletion({ ...base, draftTokens: 9, draftAccepted: 5, draftSkipped: 0, draftPaused: 0 })).toBe(
      "Last completion: 171 ms, 106.7 tok/s, 10 prompt tokens processed, 8990 cached; MTP 5 of 9 drafted tokens accepted",
    );
  });

  it("says why tokens were decoded without drafting, also when nothing was drafted", () => {
    const line = describeLastCompletion({ ...base, draftTokens: 0, draftAccepted: 0, draftSkipped: 2, draftPaused: 14 });
    expect(line).toContain("MTP 0 of 0 drafted tokens accepted");
    expect(line).toContain("decoded without drafting: 14 while MTP was timed against plain decoding or paused because it did not pay here, 2 after refuted drafts");
  });

  it("explains completions answered without the model", () => {
    expect(describeLastCompletion({ ...base, reused: "type-through" })).toMatch(/rest of the suggestion you were typing \(no model run\)/);
    expect(describeLastCompletion({ ...base, reused: "recent" })).toMatch(/got a moment ago \(no model run\)/);
  });
});
