import { describe, expect, it } from "vitest";
import { describeWorkspacePrefix } from "../../src/prefixStatus";

const now = Date.parse("2026-11-26T12:00:00Z");

describe("status tooltip: workspace prefix", () => {
  it("says how much workspace is in context, that it was restored from disk, and when it was saved", () => {
    const line = describeWorkspacePrefix(
      { state: "ready", tokens: 38398, chunks: 212, evaluatedTokens: 5, evaluateMs: 111, restoredTokens: 37833, restoreMs: 65, savedAt: "2026-11-26T11:57:00Z", savedBytes: 11_493_402 },
      now,
    );
    expect(line).toBe(
      "Workspace context: 38,398 tokens from 212 workspace chunks · restored from disk in 65 ms · last update evaluated 5 tokens in 111 ms · saved 3 min ago (11 MiB)",
    );
  });

  it("explains a saved cache that was not used, but not its mere absence", () => {
    expect(describeWorkspacePrefix({ state: "ready", tokens: 10, chunks: 1, restoredTokens: 0, notRestored: "the model changed" }, now)).toContain(
      "saved cache not used (the model changed)",
    );
    expect(describeWorkspacePrefix({ state: "ready", tokens: 10, chunks: 1, restoredTokens: 0, notRestored: "no saved prefix" }, now)).not.toContain("not used");
  });

  it("shows warming up and failures", () => {
    expect(describeWorkspacePrefix({ state: "warming", tokens: 0, chunks: 0 }, now)).toMatch(/reading the workspace/);
    expect(describeWorkspacePrefix({ state: "warming", tokens: 1200, chunks: 4 }, now)).toMatch(/1,200 tokens .* updating/);
    expect(describeWorkspacePrefix({ state: "warming", tokens: 12_300, targetTokens: 74_500, chunks: 4 }, now)).toBe(
      "Workspace context: reading the workspace into the model, 12,300 of 74,500 tokens (16 %); completions use the part read so far.",
    );
    expect(describeWorkspacePrefix({ state: "failed", tokens: 0, chunks: 0, message: "engine crashed" }, now)).toMatch(/unavailable: engine crashed/);
  });
});
