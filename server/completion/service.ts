/**
 * Inline completion: document text around the cursor → prompt layout (Gemma turns, or native FIM when the
 * GGUF has FIM tokens) → raw `/completion` on the completions slot → post-processing. The HTTP request is
 * tied to the LSP request's cancellation, so a stale keystroke's generation is stopped in the engine.
 *
 * prime() evaluates the prompt a completion at a cursor would send before anyone types there (file switch,
 * cursor jump): the first keystroke then evaluates what it typed, not the file's window (~1–2K tokens:
 * seconds on a CPU for the 12B, 4 s for the tiny model 80K tokens deep). A completion aborts a prime.
 */
import type { StreamResult } from "../engine/client";
import type { LoadedModel, ModelManager } from "../models/manager";
import type { GenerationStats } from "../protocol";
import { GEMMA4_MESSAGE_DELIMITERS, layoutCompletionPrompt, splitBoundaries, windowAroundCursor, workspacePrefixEnds, type CompletionInput, type CompletionPrompt } from "./layout";
import { postprocessCompletion } from "./postprocess";
import type { PrefixTokens } from "./prefixTokens";
import { CompletionReuse, type ReuseContext } from "./reuse";
import { COMPLETION_SLOT, enginePid, evaluateOnCompletionSlot, type SlotContents } from "./slotContents";

/** Like llama.vscode's t_max_predict_ms: a completion that is still generating after this is cut. */
const MAX_PREDICT_MS = 3000;
/**
 * The most workspace prefix a completion evaluates itself (an edited file's new chunks before the background
 * refresh); beyond it, a completion takes only the part the engine holds (layoutFor).
 */
const OWN_PREFIX_TOKENS = 2048;
/** Characters per token for that estimate (the workspace index's default). */
const CHARS_PER_TOKEN = 3.5;
/** Characters per token assumed when fitting a prompt to the context: fewer than code's usual, to be safe. */
const FIT_CHARS_PER_TOKEN = 3;

export interface CompletionRequest extends CompletionInput {
  /** Overrides the settings (the CLI's --max-tokens, tests' determinism). */
  maxTokens?: number;
  temperature?: number;
  multiline?: boolean;
  seed?: number;
  /** More stop strings (a notebook cell's completion stops before the next cell's marker). */
  stop?: string[];
}

/** What a completion request asks of the engine, either API. */
interface Sampling {
  maxTokens: number;
  temperature: number;
  stop: string[];
  seed?: number;
}

export interface CompletionOutcome {
  text: string;
  raw: string;
  stats: GenerationStats;
  layoutMs: number;
  mode: string;
}

export class CompletionService {
  private readonly reuse = new CompletionReuse();
  /** The prime in flight: a completion request supersedes it. */
  private priming?: AbortController;

  constructor(
    private readonly models: ModelManager,
    /** Told what the completions slot holds after each request (the background prefix warm-up reads it). */
    private readonly slot?: SlotContents,
    /** The workspace prefix's token ids (shared with the warm-up), so the engine does not re-tokenize it. */
    private readonly prefixTokens?: PrefixTokens,
  ) {}

  async complete(req: CompletionRequest, signal?: AbortSignal): Promise<CompletionOutcome> {
    this.priming?.abort();
    const loaded = await this.models.ensureLoaded();
    const settings = this.models.getSettings().completion;
    const t0 = performance.now();
    const layout = this.layoutFor(req, loaded);
    const layoutMs = performance.now() - t0;
    const multiline = req.multiline ?? settings.multiline;
    const reuseCtx: ReuseContext | undefined = settings.reuse !== false
      ? {
          filePath: req.filePath,
          prefix: req.prefix,
          suffix: req.suffix,
          stable: layout.prompt.slice(0, layout.volatileStart),
          volatile: layout.prompt.slice(layout.volatileStart),
          // an engine restart may be another model: nothing it said before counts
          options: JSON.stringify([req.maxTokens ?? settings.maxTokens, multiline, req.temperature ?? settings.temperature, req.seed, req.stop, enginePid(this.models)]),
        }
      : undefined;
    const reused = reuseCtx && this.reuse.lookup(reuseCtx);
    if (reused) {
      return { text: reused.text, raw: reused.text, stats: reusedStats(reused.kind, performance.now() - t0), layoutMs, mode: layout.mode };
    }
    const sampling: Sampling = {
      maxTokens: req.maxTokens ?? settings.maxTokens,
      temperature: req.temperature ?? settings.temperature,
      stop: [...layout.stop, ...(req.stop ?? []), ...(multiline ? [] : ["\n"])],
      seed: req.seed,
    };
    const result = loaded.info.api === "openai" ? await this.completeOpenAi(loaded, layout, sampling, signal) : await this.completeOnSlot(loaded, layout, sampling, signal);
    const text = postprocessCompletion(result.text, {
      prefix: req.prefix,
      suffix: req.suffix,
      languageId: req.languageId,
      multiline,
    });
    if (reuseCtx && result.stats.stoppedBy !== "cancelled") this.reuse.remember(reuseCtx, text);
    return { text, raw: result.text, stats: result.stats, layoutMs, mode: layout.mode };
  }

  /** llama-server: `/completion` on the completions slot, the workspace prefix as ids it mostly holds already. */
  private async completeOnSlot(loaded: LoadedModel, layout: CompletionPrompt, sampling: Sampling, signal?: AbortSignal): Promise<StreamResult> {
    const prompt = this.enginePrompt(loaded, layout);
    const done = this.slot?.beginForeground();
    const result = await loaded.client.completion(
      {
        prompt,
        n_predict: sampling.maxTokens,
        temperature: sampling.temperature,
        top_k: 40,
        top_p: 0.95,
        stop: sampling.stop,
        cache_prompt: true,
        id_slot: COMPLETION_SLOT,
        // Checkpoints at turn starts let the sliding-window cache roll back to the stable part.
        ...(layout.mode === "gemma-turns" ? { message_delimiters: GEMMA4_MESSAGE_DELIMITERS } : {}),
        t_max_predict_ms: MAX_PREDICT_MS,
        ...(sampling.seed !== undefined ? { seed: sampling.seed } : {}),
      },
      { signal, promptText: layout.prompt },
    ).finally(() => {
      done?.();
      this.prepareLine(loaded, layout);
    });
    this.slot?.record(layout.prompt);
    return result;
  }

  /**
   * An OpenAI-compatible endpoint (no slots, no token ids): the whole prompt as text on /v1/completions. Such
   * servers cache prompt prefixes themselves if at all (vLLM's prefix caching does), so the workspace part
   * first, unchanged between keystrokes, is still the layout that suits them.
   */
  private completeOpenAi(loaded: LoadedModel, layout: CompletionPrompt, sampling: Sampling, signal?: AbortSignal): Promise<StreamResult> {
    return loaded.client.openAiCompletion(
      {
        prompt: layout.prompt,
        max_tokens: sampling.maxTokens,
        temperature: sampling.temperature,
        top_p: 0.95,
        stop: sampling.stop,
        ...(sampling.seed !== undefined ? { seed: sampling.seed } : {}),
      },
      { signal },
    );
  }

  /**
   * The prompt for `req`. While the background warm-up is still bringing the slot to the workspace prefix
   * (the first time in a workspace, after a trim) and more than OWN_PREFIX_TOKENS of it are missing, only the
   * chunks the slot holds: the completion answers now with part of the workspace instead of evaluating the
   * rest itself (minutes on a GPU at 256K, hours on a CPU) or waiting for the warm-up. Without a warm-up
   * (the CLI's one-shot completion) the completion evaluates its whole prompt.
   */
  private layoutFor(req: CompletionRequest, loaded: LoadedModel): CompletionPrompt {
    const maxTokens = req.maxTokens ?? this.models.getSettings().completion.maxTokens;
    const layout = fittingLayout(req, loaded, maxTokens);
    const chunks = req.workspaceChunks;
    const stable = layout.prompt.slice(0, layout.volatileStart);
    if (!chunks?.length || !this.slot?.filling || this.slot.startsWith(stable)) return layout;
    const ends = workspacePrefixEnds(chunks, loaded.fim);
    const held = this.slot.sharedLength(stable);
    let k = 0;
    while (k < chunks.length && ends[k] <= held) k++;
    const missingTokens = (ends[chunks.length - 1] - (k ? ends[k - 1] : 0)) / CHARS_PER_TOKEN;
    return missingTokens <= OWN_PREFIX_TOKENS ? layout : fittingLayout({ ...req, workspaceChunks: chunks.slice(0, k) }, loaded, maxTokens);
  }

  /**
   * The prompt as sent: the workspace prefix as its token ids (tokenized once), and with a tokenizer that cuts at
   * line starts the rest up to the cursor's line too (tokenized once per line); the cursor's line as text.
   */
  private enginePrompt(loaded: LoadedModel, layout: CompletionPrompt) {
    const lineStart = loaded.tokensSplitAtLines ? layout.lineStart : undefined;
    return this.prefixTokens?.promptFor(loaded.client, layout.prompt, layout.volatileStart, splitBoundaries(layout.mode, loaded.fim), lineStart) ?? layout.prompt;
  }

  /** Has the part before the cursor's line tokenized for the next keystrokes (after a request: not beside it). */
  private prepareLine(loaded: LoadedModel, layout: CompletionPrompt): void {
    if (!loaded.tokensSplitAtLines) return;
    // a failure only means the next keystroke sends that part as text
    this.prefixTokens?.prepareLine(loaded.client, layout.prompt, layout.volatileStart, layout.lineStart)?.catch(() => undefined);
  }

  /**
   * Evaluates, without generating, the prompt complete(req) would send, so that the completions slot holds
   * it. Nothing is sent when the slot holds it already. Aborted by `signal` or by the next complete().
   */
  async prime(req: CompletionRequest, signal?: AbortSignal): Promise<PrimeOutcome> {
    this.priming?.abort();
    const own = new AbortController();
    this.priming = own;
    const both = signal ? AbortSignal.any([signal, own.signal]) : own.signal;
    try {
      const loaded = await this.models.ensureLoaded();
      both.throwIfAborted();
      if (loaded.info.api === "openai") return {}; // nothing to keep evaluated: no slots there
      const layout = this.layoutFor(req, loaded);
      if (this.slot?.startsWith(layout.prompt)) return {};
      const prompt = this.enginePrompt(loaded, layout);
      // The record stays at the last prompt until this one is done: an abort stops the engine somewhere in this
      // prompt's window, after the workspace prefix both share, and the warm-up counts on the record for where
      // the slot's prefix ends (an empty record made it start from chunk 0 and cut the engine's cache back to
      // the first step: a full re-evaluation of the prefix each time, ~84K tokens in the bench).
      const result = await evaluateOnCompletionSlot(loaded.client, prompt, layout.prompt, layout.mode, both);
      this.slot?.record(layout.prompt);
      this.prepareLine(loaded, layout);
      return { stats: result.stats };
    } finally {
      if (this.priming === own) this.priming = undefined;
    }
  }
}

/**
 * The layout, its window around the cursor cut down when the prompt would not fit the context with the answer
 * (a long file at a small hearth.contextSize: the engine refuses a prompt longer than its context). At the
 * usual sizes the prompt is the default window's, unchanged (saved prefixes and reused answers are keyed by it).
 */
function fittingLayout(req: CompletionInput, loaded: Pick<LoadedModel, "fim" | "contextSize">, maxTokens: number): CompletionPrompt {
  const layout = layoutCompletionPrompt(req, { fim: loaded.fim });
  const budget = Math.floor((loaded.contextSize - maxTokens) * FIT_CHARS_PER_TOKEN);
  if (layout.prompt.length <= budget) return layout;
  const window = windowAroundCursor(req);
  const room = Math.max(0, budget - (layout.prompt.length - window.prefix.length - window.suffix.length));
  // (the default window's split: 32K characters before the cursor, 8K after)
  return layoutCompletionPrompt(req, { fim: loaded.fim, maxPrefixChars: Math.floor(room * 0.8), maxSuffixChars: Math.floor(room * 0.2) });
}

/** What prime() did: undefined stats when the slot already held that prompt. */
export interface PrimeOutcome {
  stats?: GenerationStats;
}

function reusedStats(kind: "type-through" | "recent", totalMs: number): GenerationStats {
  return {
    promptTokens: 0,
    cachedTokens: 0,
    processedTokens: 0,
    generatedTokens: 0,
    promptMs: 0,
    generationMs: 0,
    tokensPerSecond: 0,
    totalMs,
    stoppedBy: "stop",
    reused: kind,
  };
}
