/**
 * What `activate()` returns (`vscode.extensions.getExtension("hearth.hearth").exports`): used by the
 * end-to-end tests to observe the extension without scraping the UI, and by nothing else.
 */
import type { ModelStatus, WorkspacePrefixParams } from "../server/protocol";
import type { PastChat } from "./chat/pastChats";
import type { ChatTurn } from "./chat/types";

export interface HearthApi {
  /** Resolves when the model is loaded and ready (or rejects with the error the status bar shows). */
  whenReady(timeoutMs?: number): Promise<ModelStatus>;
  status(): ModelStatus | undefined;
  /** The chat transcript as persisted (what a reload restores). */
  chatHistory(): ChatTurn[];
  /** The conversations New Chat ended (what Chat History… lists), newest first. */
  pastChats(): PastChat[];
  /** Process id of the engine (llama-server), for crash-recovery tests. */
  enginePid(): number | undefined;
  /** What the host last said about the workspace prefix (what the status bar's tooltip shows). */
  workspacePrefix(): WorkspacePrefixParams | undefined;
}
