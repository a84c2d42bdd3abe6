/**
 * What the chat view needs from the model host: streamed chat (with images), explain an image. The
 * implementation (src/hostClient.ts) talks LSP; tests and the view depend only on this interface.
 */
import type * as vscode from "vscode";
import type { ChatMessage, ChatResult, MediaResult } from "../../server/protocol";

export interface ChatOptions {
  /** Answer with the workspace as context (`hearth/chat` `workspace`; images and audio go after it). */
  workspace?: boolean;
  /** The file the conversation is about (`hearth/chat` `focus`: it picks the standing instructions). */
  focus?: string;
  /** Default: `hearth.chat.maxTokens`. */
  maxTokens?: number;
  temperature?: number;
  /** `false`: without the standing instructions (`hearth/chat` `instructions`). */
  instructions?: boolean;
}

export interface ChatBackend {
  chat(messages: ChatMessage[], onText: (text: string) => void, token: vscode.CancellationToken, options?: ChatOptions): Promise<ChatResult>;
  explainImage(
    image: { data: string; mimeType: string },
    question: string | undefined,
    onText: (text: string) => void,
    token: vscode.CancellationToken,
  ): Promise<MediaResult>;
}
