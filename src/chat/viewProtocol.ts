/**
 * The chat view's messages: the shared protocol in ./types plus the few messages the view needs beyond it.
 * Type-only; imported by the provider (extension side) and media/src/chat.ts (webview side).
 */
import type { Attachment, FileMatch, FromWebview, ToWebview } from "./types";

/** Commands the view may ask the extension to run (banner actions); anything else is ignored. */
export const VIEW_COMMANDS = ["hearth.showLogs", "hearth.selectModel", "hearth.downloadModel", "hearth.restartHost"] as const;
export type ViewCommand = (typeof VIEW_COMMANDS)[number];

/** Extension → webview. */
export type ToView =
  | ToWebview
  /** An inline message near the input (e.g. a refused secrets file, nothing selected). */
  | { type: "notice"; level: "info" | "error"; message: string }
  /**
   * A message that was not sent (a command without code to work on): back into the input if it is empty;
   * `replaces`: it was an edit of that turn, and stays one.
   */
  | { type: "draft"; text: string; replaces?: string }
  /** Edit on a user turn: its message (with its command and `@workspace`) and attachments into the composer. */
  | { type: "edit"; id: string; text: string; attachments: Attachment[] }
  /** Media the extension read for files dropped from the Explorer: added to the pending attachments. */
  | { type: "attachments"; attachments: Attachment[] }
  /** The answer to `findFiles` number `seq`: the best matches first (the open files first for an empty query). */
  | { type: "fileMatches"; seq: number; files: FileMatch[] };

/** Webview → extension. */
export type FromView =
  | FromWebview
  /** An http(s) link in an answer was activated: opened with `vscode.env.openExternal`. */
  | { type: "openLink"; url: string }
  /** Files dropped from the Explorer (`text/uri-list`): media become attachments, text files context chips. */
  | { type: "dropUris"; uris: string[] }
  /** The `#` menu: the workspace files matching `query` (answered with `fileMatches` and the same `seq`). */
  | { type: "findFiles"; query: string; seq: number }
  /** A file picked in the `#` menu: a context chip (an image or a recording: an attachment), as if dropped. */
  | { type: "addFileByUri"; uri: string }
  /** A symbol picked in the `#` menu: its code (with its doc comment) as a context chip. */
  | { type: "addSymbol"; uri: string; line: number; name?: string }
  /** Edit on a user turn (answered with `edit`, and the turn's context chips as the composer's). */
  | { type: "editTurn"; id: string }
  /** Editing was cancelled: the composer's chips from before Edit come back. */
  | { type: "cancelEdit" }
  /** Continue the last answer, cut at its length limit (`ChatTurn.cut`). */
  | { type: "continue"; id: string }
  /** A shell code block's *Terminal* button: the command typed at the terminal's prompt, not run. */
  | { type: "runInTerminal"; code: string; language?: string }
  /** An answer's "Following AGENTS.md": the answer's `index`th instructions opened (the file, or the setting). */
  | { type: "openInstructions"; turnId: string; index: number }
  /** Generate the last answer again. */
  | { type: "retry" }
  | { type: "command"; command: ViewCommand };
