/**
 * The workspace prefix as token ids, so a keystroke does not make the engine tokenize it again.
 *
 * Why: llama-server tokenizes the whole prompt string of every request before it looks at its cache. With
 * the workspace prefix in front of every completion that is the dominant cost of a warm keystroke: measured
 * on this machine with a 44K-token prefix, 225 ms per completion as a string against 120 ms with the prefix
 * sent as ids (the model work, 1 token + 16 generated, was 105 ms in both); at 256K it would be over half a
 * second. The stable part only changes when workspace files change, so it is tokenized once (by the engine's
 * own /tokenize, so the ids are exactly what the engine would produce) and reused until it changes.
 *
 * A prompt is sent as `[...prefixIds, "rest of the prompt"]` (llama-server's mixed prompt form: the rest is
 * tokenized without a second BOS), its wire form written once per prefix (MixedPrompt). That equals tokenizing the whole string only when no token spans the
 * split, so the split is used only where the rest starts with a special token (`<|turn>` or a FIM token):
 * the tokenizer always cuts there.
 *
 * The part after the workspace prefix (recent snippets, the code after the cursor, the file up to the cursor's
 * line: ~3K tokens, 12K characters) is the same on every keystroke on one line, and tokenizing it cost the
 * engine ~17 ms per request. With a tokenizer that never makes a token across a line start (Gemma 4's), it goes
 * as ids too (prepareLine: tokenized after a request, only the new lines' text when the user moves on),
 * and only the cursor's line is text: `[...prefixIds, ...lineIds, "cursor line"]`.
 */
import { MixedPrompt, type EngineClient } from "../engine/client";
import type { ModelManager } from "../models/manager";
import { enginePid } from "./slotContents";

/** A `/completion` prompt: a string, or token ids followed by text. */
export type EnginePrompt = string | MixedPrompt;

interface Entry {
  /** engine process the ids came from (a restart may be another model) */
  pid: number;
  text: string;
  ids?: number[];
  pending?: Promise<number[]>;
}

export class PrefixTokens {
  private entry?: Entry;
  /** The ids of the prompt between the workspace prefix and the cursor's line. */
  private line?: Entry;

  constructor(private readonly models: Pick<ModelManager, "getStatus">) {}

  /**
   * The prompt to send for `prompt`, whose first `split` characters are the stable prefix: the cached ids
   * followed by the rest when the prefix is known, else the string as is (and the prefix is tokenized in
   * the background for the next keystroke). `boundaries` are special-token strings at which the tokenizer
   * always cuts; the split is only used when the rest starts with one.
   */
  promptFor(client: Pick<EngineClient, "tokenize">, prompt: string, split: number, boundaries: readonly string[], lineStart?: number): EnginePrompt {
    if (split <= 0 || split > prompt.length) return prompt;
    const rest = prompt.slice(split);
    if (rest !== "" && !boundaries.some((b) => b !== "" && rest.startsWith(b))) return prompt;
    const prefix = prompt.slice(0, split);
    const e = this.entry;
    if (!(e?.ids && e.pid === this.pid() && e.text === prefix)) {
      this.ensure(client, prefix).catch(() => undefined); // a failure only means the next keystroke sends text again
      return prompt;
    }
    const l = this.line;
    const lineKnown = lineStart !== undefined && lineStart <= prompt.length && l?.ids && l.pid === e.pid && l.text.length === lineStart - split && prompt.startsWith(l.text, split);
    return lineKnown ? new MixedPrompt(e.ids, prompt.slice(lineStart), l.ids) : new MixedPrompt(e.ids, rest);
  }

  /**
   * Tokenizes the prompt between `split` (the workspace prefix's end, where the tokenizer always cuts) and
   * `lineStart` (CompletionPrompt.lineStart: only for a tokenizer that never makes a token across a line
   * start), so that promptFor() sends it as ids while the user types on that line. Called after a request,
   * not before: the engine would tokenize beside the request's decoding. When the last one is a leading part
   * ending at a line start (the user went on to the next line), only the new lines are tokenized.
   */
  prepareLine(client: Pick<EngineClient, "tokenize">, prompt: string, split: number, lineStart: number): Promise<readonly number[]> | undefined {
    if (split <= 0 || lineStart <= split || lineStart > prompt.length) return undefined;
    const text = prompt.slice(split, lineStart);
    const pid = this.pid();
    const last = this.line?.pid === pid ? this.line : undefined;
    if (last?.text === text) return last.ids ? Promise.resolve(last.ids) : last.pending;
    // the last text ends at a line start and the new one goes on with a line (not more newlines): same cut
    const known = last?.ids && last.text.endsWith("\n") && text.startsWith(last.text) && text[last.text.length] !== "\n" ? last.ids : undefined;
    const tokens = known ? client.tokenize(text.slice(last!.text.length)).then((more) => [...known, ...more]) : client.tokenize(text);
    return this.track("line", pid, text, tokens);
  }

  /** The ids of `prefix` (with BOS, as the engine adds it to a prompt), tokenizing it once. */
  ensure(client: Pick<EngineClient, "tokenize">, prefix: string, signal?: AbortSignal): Promise<number[]> {
    const pid = this.pid();
    const e = this.entry;
    if (e?.pid === pid && e.text === prefix) {
      if (e.ids) return Promise.resolve(e.ids);
      if (e.pending) return e.pending;
    }
    return this.track("entry", pid, prefix, client.tokenize(prefix, signal, true));
  }

  /** Keeps `tokens` (the ids of `text`, on their way) as the prefix's or the line's entry; a failure forgets it. */
  private track(which: "entry" | "line", pid: number, text: string, tokens: Promise<number[]>): Promise<number[]> {
    const entry: Entry = { pid, text };
    entry.pending = tokens.then(
      (ids) => {
        entry.ids = ids;
        entry.pending = undefined;
        return ids;
      },
      (err: unknown) => {
        if (this[which] === entry) this[which] = undefined;
        throw err;
      },
    );
    this[which] = entry;
    return entry.pending;
  }

  /**
   * `ids` are the tokens of `prefix` (a leading part of ids an earlier ensure() gave, cut where the
   * tokenizer always cuts): completions on that prefix use them without tokenizing it again.
   */
  remember(prefix: string, ids: number[]): void {
    this.entry = { pid: this.pid(), text: prefix, ids };
  }

  private pid(): number {
    return enginePid(this.models);
  }
}
