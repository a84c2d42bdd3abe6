/**
 * The chat view's data model and the messages between the extension and its webview. Shared by
 * src/chat/*.ts (extension side) and media/src/chat.ts (webview side, bundled separately).
 */

/** One image or audio clip attached to a user turn (base64, no data: prefix). */
export interface Attachment {
  kind: "image" | "audio";
  name: string;
  mimeType: string;
  data: string;
}

import type { InstructionsUsed } from "../../server/protocol";
import type { ChatCommandName } from "./commands";

/** Context a user attached from the editor: the selection or the whole file. */
export interface ContextChip {
  kind: "selection" | "file";
  /** workspace-relative path */
  path: string;
  languageId: string;
  /** 1-based inclusive line range for a selection */
  range?: [number, number];
  text: string;
}

export interface ChatTurn {
  id: string;
  role: "user" | "assistant";
  /** Markdown (assistant) or plain text (user). */
  text: string;
  attachments?: Attachment[];
  context?: ContextChip[];
  /** User turns: asked with the whole workspace as context (the Workspace toggle or an `@workspace` prefix). */
  workspace?: boolean;
  /** User turns: the slash command the message started with (shown as a chip; `text` is what followed it). */
  command?: ChatCommandName;
  /**
   * User turns: what the model is asked, when it is more than `text` (a command's instruction, with the
   * problems the editor reports or the project's test framework). Kept so a retry asks the same.
   */
  prompt?: string;
  /**
   * User turns: the file the answer's code is meant for, as a URI string (`/tests`: the file's tests, or the
   * test file to write). While it does not exist the answer's *New file* opens an unsaved editor there; once it
   * does, *Apply* changes it (not the file in the editor).
   */
  codeFile?: string;
  /** Assistant turns: how it ended. */
  status?: "streaming" | "done" | "stopped" | "error";
  error?: string;
  /** Stopped turns: why, when it was not the user's Stop (e.g. "the model host was restarted"). */
  stopReason?: string;
  /** Error turns: the input is at fault (a file that is not an image…), so asking again cannot help: no Retry. */
  noRetry?: boolean;
  /** Assistant turns: the answer ended before its end, at its length limit or stopped, and can be continued. */
  cut?: boolean;
  /** Assistant turns: the standing instructions that went with the question (`hearth.instructions.*`). */
  instructions?: InstructionsUsed[];
  /**
   * User turns: the file in the editor when it was asked (a URI string). The conversation's first question's
   * goes with every request of the conversation (`hearth/chat` `focus`): it picks the standing instructions.
   */
  focus?: string;
  /**
   * Assistant turns: tokens/s and latency, for a quiet footer; and how much of the model's context the
   * conversation took by the end of this answer (prompt and answer, the workspace with it), when known.
   */
  stats?: { tokensPerSecond: number; totalMs: number; generatedTokens: number; contextTokens?: number; contextSize?: number };
  createdAt: number;
}

/** A workspace file the chat's `#` menu offers. */
export interface FileMatch {
  /** The file's URI (what the view sends back when it is picked). */
  uri: string;
  /** As chips and the workspace context show it: relative to its folder (the folder's name in front with several). */
  path: string;
  /**
   * A function, class or method in the file (from the language's workspace symbols), at this 1-based line;
   * `kind` says which in a word ("function", "class", "method"…).
   */
  symbol?: { name: string; line: number; kind?: string };
}

/** Extension → webview. */
export type ToWebview =
  | { type: "history"; turns: ChatTurn[]; busy: boolean }
  | { type: "turn"; turn: ChatTurn }
  | { type: "delta"; id: string; text: string }
  | { type: "done"; id: string; status: ChatTurn["status"]; error?: string; stats?: ChatTurn["stats"]; stopReason?: string; noRetry?: boolean; cut?: boolean; instructions?: InstructionsUsed[] }
  | { type: "context"; chips: ContextChip[] }
  /** `remote`: the endpoint messages go to (set in `hearth.remoteEndpoint`); absent for the local engine. */
  | { type: "modelState"; state: string; detail?: string; remote?: string };

/** Webview → extension. */
export type FromWebview =
  | { type: "ready" }
  /** `workspace`: the Workspace toggle is on (the extension also honours an `@workspace` prefix in `text`). */
  /** `replaces`: an earlier user turn being edited: it and the turns after it give way to this message. */
  | { type: "send"; text: string; attachments: Attachment[]; context: ContextChip[]; workspace?: boolean; replaces?: string }
  | { type: "stop" }
  | { type: "newChat" }
  | { type: "addSelection" }
  | { type: "addFile" }
  | { type: "removeContext"; index: number }
  | { type: "copy"; code: string }
  | { type: "insert"; code: string }
  /** `turnId`: the answer the block is in (its question may name the file the code belongs in). */
  | { type: "apply"; code: string; turnId?: string }
  /** `turnId`: the answer the block is in (its question may name the file the code is meant for). */
  | { type: "newFile"; code: string; language?: string; turnId?: string }
  | { type: "attachError"; message: string };
