/**
 * The chat view's messages: the shared protocol in ./types plus the few messages the view needs beyond it.
 * Type-only; imported by the provider (extension side) and media/src/chat.ts (webview side).
 */
import type { Attachment, FromWebview, ToWebview } from "./types";

/** Commands the view may ask the extension to run (banner actions); anything else is ignored. */
export const VIEW_COMMANDS = ["hearth.showLogs", "hearth.selectModel", "hearth.downloadModel", "hearth.restartHost"] as const;
export type ViewCommand = (typeof VIEW_COMMANDS)[number];

/** Extension → webview. */
export type ToView =
  | ToWebview
  /** An inline message near the input (e.g. a refused secrets file, nothing selected). */
  | { type: "notice"; level: "info" | "error"; message: string }
  /** A message that was not sent (a command without code to work on): back into the input if it is empty. */
  | { type: "draft"; text: string }
  /** Media the extension read for files dropped from the Explorer: added to the pending attachments. */
  | { type: "attachments"; attachments: Attachment[] };

/** Webview → extension. */
export type FromView =
  | FromWebview
  /** An http(s) link in an answer was activated: opened with `vscode.env.openExternal`. */
  | { type: "openLink"; url: string }
  /** Files dropped from the Explorer (`text/uri-list`): media become attachments, text files context chips. */
  | { type: "dropUris"; uris: string[] }
  /** Generate the last answer again. */
  | { type: "retry" }
  | { type: "command"; command: ViewCommand };
