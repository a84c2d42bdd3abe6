/**
 * Tells the host where the cursor is when it got there without typing: at once on a switch of editor, and
 * after a short quiet time for a click or a jump in the same file. The host then evaluates the completion
 * prompt at that cursor in the background, so the first keystroke there is a warm completion
 * (`hearth/activeEditor`, server/protocol.ts). Typing moves the cursor too, but its own completions keep the
 * engine's cache at the cursor: those moves are not sent.
 *
 * Plain data in, a callback out: extension.ts feeds it VS Code's editor events.
 */

export interface CursorAt {
  uri: string;
  /** The document's version: a move that comes with a new version is typing. */
  version: number;
  line: number;
  character: number;
}

export type SendCursor = (uri: string, position: { line: number; character: number }) => void;

/** Long enough for a run of arrow keys or Ctrl+Tab to settle, short against reading the code. */
export const CURSOR_QUIET_MS = 400;

export class CursorTracker {
  private last?: CursorAt;
  /** The last cursor sent: a move within its line is not worth a new prompt. */
  private sent?: { uri: string; line: number };
  private timer?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly send: SendCursor,
    private readonly quietMs = CURSOR_QUIET_MS,
  ) {}

  /** Another editor is active (undefined: none, or one completions skip). */
  editorChanged(at: CursorAt | undefined): void {
    this.cancel();
    this.last = at;
    if (at) this.sendNow(at);
  }

  /** The cursor of the active editor moved. */
  selectionChanged(at: CursorAt): void {
    const typed = this.last?.uri === at.uri && this.last.version !== at.version;
    this.last = at;
    this.cancel();
    if (typed) {
      this.sent = { uri: at.uri, line: at.line }; // the completions there are on it already
      return;
    }
    if (this.sent?.uri === at.uri && this.sent.line === at.line) return;
    this.timer = setTimeout(() => this.sendNow(at), this.quietMs);
  }

  dispose(): void {
    this.cancel();
  }

  private sendNow(at: CursorAt): void {
    this.sent = { uri: at.uri, line: at.line };
    this.send(at.uri, { line: at.line, character: at.character });
  }

  private cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
