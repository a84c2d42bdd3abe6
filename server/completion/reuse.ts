/**
 * Completions answered without the engine, as Copilot and llama.vscode do:
 *  - type-through: the user types the start of the suggestion being shown; the rest of it is still the
 *    answer (same file, same code after the cursor, same workspace context), so it is returned at once
 *    instead of decoding it again;
 *  - recent contexts: a prompt seen lately (backspace, undo, moving back to where the cursor was) gets the
 *    completion it got then.
 * Both keep completions identical to what the engine said for that context; they only skip the wait.
 */
import crypto from "node:crypto";

export interface ReuseContext {
  filePath: string;
  /** document text before / after the cursor */
  prefix: string;
  suffix: string;
  /** the prompt sent to the engine: its workspace part (cache-stable prefix) and the rest */
  stable: string;
  volatile: string;
  /** request options that change the answer (max tokens, multiline, temperature, seed) */
  options: string;
}

export type ReuseKind = "type-through" | "recent";

/** How many recent contexts are remembered (each entry is a hash and a short completion). */
const RECENT_MAX = 128;

export class CompletionReuse {
  private last?: { filePath: string; prefix: string; suffix: string; stable: string; options: string; text: string };
  private readonly recent = new Map<string, string>();
  /** The workspace part's hash, computed once per workspace prefix (it is most of the prompt: up to ~1 MB). */
  private stableHash = { stable: "", hash: digest("") };

  lookup(ctx: ReuseContext): { text: string; kind: ReuseKind } | undefined {
    const key = this.keyOf(ctx);
    const exact = this.recent.get(key);
    if (exact !== undefined) {
      // refresh its place in the LRU order
      this.recent.delete(key);
      this.recent.set(key, exact);
      return { text: exact, kind: "recent" };
    }
    const l = this.last;
    if (!l || l.filePath !== ctx.filePath || l.suffix !== ctx.suffix || l.options !== ctx.options || l.stable !== ctx.stable) return undefined;
    if (ctx.prefix.length <= l.prefix.length || !ctx.prefix.startsWith(l.prefix)) return undefined;
    const typed = ctx.prefix.slice(l.prefix.length);
    if (!l.text.startsWith(typed) || l.text.length === typed.length) return undefined;
    return { text: l.text.slice(typed.length), kind: "type-through" };
  }

  /** The engine's (post-processed) completion for `ctx`; empty completions are not kept. */
  remember(ctx: ReuseContext, text: string): void {
    if (!text) return;
    this.last = { filePath: ctx.filePath, prefix: ctx.prefix, suffix: ctx.suffix, stable: ctx.stable, options: ctx.options, text };
    const key = this.keyOf(ctx);
    this.recent.delete(key);
    this.recent.set(key, text);
    while (this.recent.size > RECENT_MAX) this.recent.delete(this.recent.keys().next().value!);
  }

  /** Hash of the options and the prompt; the hash of its workspace part is kept. */
  private keyOf(ctx: ReuseContext): string {
    if (this.stableHash.stable !== ctx.stable) this.stableHash = { stable: ctx.stable, hash: digest(ctx.stable) };
    return crypto.createHash("sha256").update(ctx.options).update("\0").update(this.stableHash.hash).update(ctx.volatile).digest("base64");
  }
}

function digest(text: string): string {
  return crypto.createHash("sha256").update(text).digest("base64");
}
