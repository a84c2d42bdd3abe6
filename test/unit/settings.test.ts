import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS } from "../../server/protocol";
import { mergeSettings } from "../../server/settings";

describe("mergeSettings", () => {
  it("defaults to Gemma 4 12B Q4_K_M with its mmproj and drafter, q8_0 KV and MTP on", () => {
    const s = mergeSettings(undefined);
    expect(s.model).toBe("hf:giladgd/gemma-4-12B-it-GGUF:Q4_K_M");
    expect(s.mmproj).toBe("auto");
    expect(s.drafter).toBe("auto");
    expect(s.mtp).toBe(true);
    expect(s.kvCacheType).toBe("q8_0");
  });

  it("merges nested completion settings and ignores undefined values", () => {
    const s = mergeSettings({ model: undefined, completion: { maxTokens: 64 } as never });
    expect(s.model).toBe(DEFAULT_SETTINGS.model);
    expect(s.completion).toEqual({ ...DEFAULT_SETTINGS.completion, maxTokens: 64 });
  });

  it("rejects invalid values instead of passing them to the engine", () => {
    const s = mergeSettings({ kvCacheType: "q2" as never, gpu: "tpu" as never, contextSize: -5, threads: Number.NaN });
    expect(s.kvCacheType).toBe("q8_0");
    expect(s.gpu).toBe("auto");
    expect(s.contextSize).toBe(0);
    expect(s.threads).toBe(0);
  });

  it("reads AGENTS.md and .github/copilot-instructions.md by default; a list of names and a text otherwise", () => {
    expect(mergeSettings(undefined).instructions).toEqual({ files: ["AGENTS.md", ".github/copilot-instructions.md"], text: "" });
    expect(mergeSettings({ instructions: { files: ["CLAUDE.md", 3, " "], text: "Be brief." } as never }).instructions).toEqual({ files: ["CLAUDE.md"], text: "Be brief." });
    // (an empty list turns the files off; a malformed value keeps the defaults)
    expect(mergeSettings({ instructions: { files: [] } as never }).instructions.files).toEqual([]);
    expect(mergeSettings({ instructions: { files: "AGENTS.md", text: 5 } as never }).instructions).toEqual({ files: ["AGENTS.md", ".github/copilot-instructions.md"], text: "" });
  });

  it("merges and validates the workspace settings", () => {
    expect(mergeSettings(undefined).workspace).toEqual({ ignore: [], maxTokens: 0 });
    expect(mergeSettings({ workspace: { ignore: ["docs/", 3, "", " "], maxTokens: 5000.7 } as never }).workspace).toEqual({ ignore: ["docs/"], maxTokens: 5000 });
    expect(mergeSettings({ workspace: { ignore: "docs/", maxTokens: -1 } as never }).workspace).toEqual({ ignore: [], maxTokens: 0 });
    expect(mergeSettings({ workspace: { maxTokens: 100 } as never }).workspace).toEqual({ ignore: [], maxTokens: 100 });
  });
});
