/**
 * Editor-side policy for inline completions, as vscode-languageclient middleware around the host's
 * `textDocument/inlineCompletion`: on/off globally and per language, never in secret files, a debounce, and
 * at most one request in flight per document (a newer keystroke cancels the older request, which the host
 * passes on to the engine).
 */
import * as vscode from "vscode";
import type { Middleware } from "vscode-languageclient/node";
import { isSecretPath } from "../server/secrets";
import { completionUiConfig } from "./config";

export type CompletionSkipReason = "disabled" | "language" | "secret";

export class CompletionGate {
  private readonly inFlight = new Map<string, vscode.CancellationTokenSource>();
  private readonly skipEmitter = new vscode.EventEmitter<{ reason: CompletionSkipReason; languageId: string }>();
  readonly onSkip = this.skipEmitter.event;
  /** Failures of the last request (shown by the status bar; cleared by the next success). */
  private readonly errorEmitter = new vscode.EventEmitter<unknown | undefined>();
  readonly onResult = this.errorEmitter.event;

  readonly middleware: Middleware = {
    provideInlineCompletionItems: async (document, position, context, token, next) => {
      const cfg = completionUiConfig();
      const skip = this.skipReason(document, cfg);
      if (skip) {
        this.skipEmitter.fire({ reason: skip, languageId: document.languageId });
        return null;
      }
      const key = document.uri.toString();
      this.inFlight.get(key)?.cancel();
      const mine = new vscode.CancellationTokenSource();
      this.inFlight.set(key, mine);
      const linked = token.onCancellationRequested(() => mine.cancel());
      try {
        // Explicit triggers (Alt+\) skip the debounce.
        if (context.triggerKind === vscode.InlineCompletionTriggerKind.Automatic && cfg.debounceMs > 0) {
          await sleep(cfg.debounceMs, mine.token);
        }
        if (mine.token.isCancellationRequested) return null;
        const result = await next(document, position, context, mine.token);
        this.errorEmitter.fire(undefined);
        return result;
      } catch (err) {
        if (!mine.token.isCancellationRequested) this.errorEmitter.fire(err);
        return null;
      } finally {
        linked.dispose();
        if (this.inFlight.get(key) === mine) this.inFlight.delete(key);
        mine.dispose();
      }
    },
  };

  skipReason(document: vscode.TextDocument, cfg = completionUiConfig()): CompletionSkipReason | undefined {
    if (!cfg.enabled) return "disabled";
    if (cfg.disabledLanguages.includes(document.languageId)) return "language";
    if (isSecretPath(document.uri.fsPath || document.uri.toString())) return "secret";
    return undefined;
  }

  dispose(): void {
    for (const s of this.inFlight.values()) s.cancel();
    this.skipEmitter.dispose();
    this.errorEmitter.dispose();
  }
}

function sleep(ms: number, token: vscode.CancellationToken): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    const sub = token.onCancellationRequested(done);
    function done() {
      clearTimeout(timer);
      sub.dispose();
      resolve();
    }
  });
}
