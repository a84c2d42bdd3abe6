/**
 * The workspace prefix evaluated in steps between completions (server/completion/workspacePrefix.ts), and
 * completions meanwhile using the part the engine holds (CompletionService.layoutFor), against a fake engine
 * that keeps one token cache for the completions slot like llama-server does.
 */
import { describe, expect, it, vi } from "vitest";
import { workspacePrefixEnds, workspacePrefixPrompt, type ContextChunk } from "../../server/completion/layout";
import { PrefixTokens } from "../../server/completion/prefixTokens";
import { CompletionService } from "../../server/completion/service";
import { SlotContents } from "../../server/completion/slotContents";
import { turnTokenEnds, WorkspacePrefix } from "../../server/completion/workspacePrefix";
import { MixedPrompt } from "../../server/engine/client";
import { DEFAULT_SETTINGS } from "../../server/protocol";

const BOS = 1;
const TURN = 7;

/** One token per character, `<|turn>` as one special token: enough to check where prompts are cut. */
function tokenize(text: string, addSpecial: boolean): number[] {
  const ids = addSpecial ? [BOS] : [];
  for (let i = 0; i < text.length; ) {
    if (text.startsWith("<|turn>", i)) {
      ids.push(TURN);
      i += 7;
    } else ids.push(100 + text.charCodeAt(i++));
  }
  return ids;
}

interface Request {
  ids: number[];
  n_predict: number;
  processed: number;
}

/** The engine: one slot cache; a request processes what its prompt does not share with it (+1, like the engine). */
function fakeEngine(opts: { msPerToken?: number } = {}) {
  let cache: number[] = [];
  const requests: Request[] = [];
  const client = {
    tokenize: async (text: string, _signal?: AbortSignal, addSpecial = false) => tokenize(text, addSpecial),
    completion: async (body: { prompt: unknown; n_predict: number }) => {
      const p = body.prompt;
      const ids = p instanceof MixedPrompt ? [...p.ids, ...tokenize(p.rest, false)] : tokenize(String(p), true);
      let shared = 0;
      while (shared < Math.min(cache.length, ids.length) && cache[shared] === ids[shared]) shared++;
      const processed = Math.max(1, ids.length - shared);
      requests.push({ ids, n_predict: body.n_predict, processed });
      await new Promise((r) => setTimeout(r, Math.ceil(processed * (opts.msPerToken ?? 0))));
      cache = ids;
      const stats = { promptTokens: ids.length, cachedTokens: ids.length - processed, processedTokens: processed, generatedTokens: 0, promptMs: 1, generationMs: 0, tokensPerSecond: 0, totalMs: 1, stoppedBy: "limit" as const };
      return { text: body.n_predict ? "x" : "", stats };
    },
  };
  const loaded = { client, info: { kind: "remote" }, files: { model: "m.gguf" }, contextSize: 1 << 20, fim: undefined };
  const status = { state: "ready", engine: { pid: 9 } };
  const models = {
    ensureLoaded: async () => loaded,
    getStatus: () => status,
    getSettings: () => ({ ...DEFAULT_SETTINGS, completion: { ...DEFAULT_SETTINGS.completion, reuse: false } }),
  } as never;
  return { models, requests, cache: () => cache };
}

const chunks: ContextChunk[] = Array.from({ length: 12 }, (_, i) => ({ path: `src/m${i}.ts`, text: `export const v${i} = ${i};\n`.repeat(40) }));

describe("workspace prefix evaluated in steps", () => {
  it("finds the chunks' turn ends in the ids and in the text", () => {
    const prompt = workspacePrefixPrompt(chunks);
    const ids = tokenize(prompt, true);
    const tokenEnds = turnTokenEnds(ids, TURN, chunks.length)!;
    const charEnds = workspacePrefixEnds(chunks);
    expect(tokenEnds).toHaveLength(chunks.length);
    expect(tokenEnds.at(-1)).toBe(ids.length);
    expect(charEnds.at(-1)).toBe(prompt.length);
    for (let k = 0; k < chunks.length; k++) {
      expect(prompt.slice(0, charEnds[k])).toBe(workspacePrefixPrompt(chunks.slice(0, k + 1)));
      expect(ids.slice(0, tokenEnds[k])).toEqual(tokenize(workspacePrefixPrompt(chunks.slice(0, k + 1)), true));
    }
    expect(turnTokenEnds(ids, TURN, chunks.length + 1)).toBeUndefined();
  });

  it("sends whole chunks per request, each a prefix of the next, sized from the measured speed", async () => {
    const engine = fakeEngine({ msPerToken: 0.02 });
    const slot = new SlotContents(engine.models);
    const prefix = new WorkspacePrefix(engine.models, { slot, tokens: new PrefixTokens(engine.models), stepTargetMs: 12, minStepTokens: 256, stepQuietMs: 0 });
    const seen: [number, number][] = [];
    const r = (await prefix.warm(chunks, undefined, (tokens, target) => seen.push([tokens, target])))!;
    const steps = engine.requests;
    const full = tokenize(workspacePrefixPrompt(chunks), true);
    // progress after each step but the last, for the status bar
    expect(seen).toEqual(steps.slice(0, -1).map((s) => [s.ids.length, full.length]));
    expect(steps.length).toBeGreaterThan(2);
    expect(r.requests).toBe(steps.length);
    expect(steps.at(-1)!.ids).toEqual(full);
    expect(r.tokens).toBe(full.length);
    // every token evaluated once: each step extends the last one
    expect(r.processedTokens).toBe(full.length);
    const ends = new Set(turnTokenEnds(full, TURN, chunks.length));
    for (const s of steps) {
      expect(s.n_predict).toBe(0);
      expect(ends.has(s.ids.length)).toBe(true);
    }
    expect(slot.startsWith(workspacePrefixPrompt(chunks))).toBe(true);
  });

  it("lets completions go first, and they use the chunks the engine holds while the rest is evaluated", async () => {
    const engine = fakeEngine({ msPerToken: 0.05 });
    const slot = new SlotContents(engine.models);
    const tokens = new PrefixTokens(engine.models);
    const prefix = new WorkspacePrefix(engine.models, { slot, tokens, stepTargetMs: 20, minStepTokens: 2048, stepQuietMs: 30 });
    const completions = new CompletionService(engine.models, slot, tokens);
    const req = { filePath: "src/main.ts", languageId: "typescript", prefix: "const a = ", suffix: "\n", workspaceChunks: chunks, maxTokens: 4 };

    const warming = prefix.warm(chunks);
    // Nothing in the engine yet: the completion runs at once without the workspace instead of waiting.
    const full = tokenize(workspacePrefixPrompt(chunks), true).length;
    const first = await completions.complete(req);
    expect(first.stats.promptTokens).toBeLessThan(full / 10);
    // (once the first step is in)
    await vi.waitFor(() => expect(slot.sharedLength(workspacePrefixPrompt(chunks))).toBeGreaterThanOrEqual(workspacePrefixEnds(chunks)[0]), { timeout: 5000 });
    const during = await completions.complete(req);
    const stepsBefore = engine.requests.filter((q) => q.n_predict === 0).length;
    expect(stepsBefore).toBeGreaterThan(0);
    // ...a part of the prefix now, from the cache: only its own window was evaluated
    expect(during.stats.promptTokens).toBeGreaterThan(first.stats.promptTokens);
    expect(during.stats.processedTokens).toBeLessThan(first.stats.promptTokens + 32);
    await warming;
    const after = await completions.complete(req);
    expect(after.stats.promptTokens).toBeGreaterThan(full);
  });

  it("without a warm-up (the CLI's one-shot completion) evaluates the whole prompt itself", async () => {
    const engine = fakeEngine();
    const slot = new SlotContents(engine.models);
    const completions = new CompletionService(engine.models, slot);
    const r = await completions.complete({ filePath: "a.ts", languageId: "typescript", prefix: "x", suffix: "", workspaceChunks: chunks, maxTokens: 4 });
    expect(r.stats.promptTokens).toBeGreaterThan(tokenize(workspacePrefixPrompt(chunks), true).length);
  });
});

describe("SlotContents", () => {
  const models = { getStatus: () => ({ engine: { pid: 3 } }) } as never;

  it("knows how much of a prompt the slot holds", () => {
    const slot = new SlotContents(models);
    expect(slot.sharedLength("abc")).toBe(0);
    slot.record("abcdef");
    expect(slot.sharedLength("abcxyz")).toBe(3);
    expect(slot.sharedLength("abcdefgh")).toBe(6);
  });

  it("is quiet once no completion ran for a while, and says when a background fill is on", async () => {
    const slot = new SlotContents(models);
    const end = slot.beginForeground();
    let quiet = false;
    const waiting = slot.quiet(40).then(() => (quiet = true));
    await new Promise((r) => setTimeout(r, 80));
    expect(quiet).toBe(false);
    const ended = Date.now();
    end();
    await waiting;
    expect(Date.now() - ended).toBeGreaterThanOrEqual(35);
    expect(slot.filling).toBe(false);
    const done = slot.beginBackgroundFill();
    expect(slot.filling).toBe(true);
    done();
    done();
    expect(slot.filling).toBe(false);
  });
});
