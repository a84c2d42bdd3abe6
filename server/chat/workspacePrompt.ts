/**
 * The raw Gemma 4 prompt of a workspace chat: the stable workspace prefix exactly as inline completions
 * keep it evaluated (layout.ts `workspacePrefixPrompt`, byte for byte, so the engine reuses its cache), the
 * chunks of the file being edited (completions leave them out of their prefix), then the conversation as
 * Gemma turns rendered the way the model's chat template does, and the generation prompt with thinking off.
 * Images and audio in user messages become the engine's media marker, placed exactly where llama-server's
 * chat path puts it (see {@link userContent}); the media go beside the prompt as `multimodal_data`.
 *
 * Pure (no engine, no I/O) so it is unit-tested.
 */
import {
  GEMMA4_SPECIAL_TOKENS,
  GEMMA_MODEL_NO_THINKING,
  GEMMA_TURN_END,
  GEMMA_TURN_MODEL,
  GEMMA_TURN_USER,
  escapeSpecialTokens,
  workspacePrefixPrompt,
  type ContextChunk,
} from "../completion/layout";
import type { ChatContentPart, ChatMessage } from "../protocol";
import { stripThoughts } from "./thoughts";

export interface WorkspaceChatInput {
  /** The chunks of the completions' workspace prefix, in its order (WorkspaceContext.chunksFor). */
  prefixChunks: readonly ContextChunk[];
  /** More workspace chunks after the shared prefix: the file being edited, which completions keep out of it. */
  extraChunks?: readonly ContextChunk[];
  /**
   * The conversation: it ends with the user message to answer, or with an assistant message to continue (an
   * answer cut at its length limit), which then follows the generation prompt open, as the model wrote it.
   */
  messages: readonly ChatMessage[];
  /**
   * The engine's media marker (`/props` `media_marker`; llama-server picks a random one per start). Needed
   * when a user message has image or audio parts: each becomes this marker in the prompt.
   */
  mediaMarker?: string;
}

export type MediaPart = Extract<ChatContentPart, { type: "image" | "audio" }>;

export interface WorkspaceChatPrompt {
  prompt: string;
  /** `prompt.slice(0, prefixEnd)` is the completions' workspace prefix for `prefixChunks`. */
  prefixEnd: number;
  /** Where the conversation starts (after the extra chunks): everything before it is workspace. */
  conversationStart: number;
  /** The image and audio parts of user messages, in the order of their markers in `prompt`. */
  media: MediaPart[];
}

/**
 * Renders the prompt. System messages have no place of their own (the workspace prefix already opens with
 * the one system turn Gemma 4 allows), so their text goes at the start of the first user message, as chat
 * templates of models without a system role do.
 */
export function renderWorkspaceChat(input: WorkspaceChatInput): WorkspaceChatPrompt {
  const prefixEnd = workspacePrefixPrompt(input.prefixChunks).length;
  // One call for both: the gemma prefix of more chunks starts with the prefix of fewer (one turn per chunk).
  let prompt = workspacePrefixPrompt([...input.prefixChunks, ...(input.extraChunks ?? [])]);
  const conversationStart = prompt.length;
  const marker = input.mediaMarker;
  // With media, the marker is escaped in the conversation's text too, or typed text could claim a media slot.
  const escape = (text: string) => escapeSpecialTokens(text, marker ? [...GEMMA4_SPECIAL_TOKENS, marker] : GEMMA4_SPECIAL_TOKENS);
  const media: MediaPart[] = [];

  const system = input.messages.filter((m) => m.role === "system").map((m) => textOf(m).trim()).filter(Boolean);
  const all = input.messages.filter((m) => m.role !== "system");
  const continued = all[all.length - 1]?.role === "assistant" ? all[all.length - 1] : undefined;
  const turns = continued ? all.slice(0, -1) : all;
  if (turns[turns.length - 1]?.role !== "user") throw new Error("renderWorkspaceChat: the conversation must end with a user message, or one answer to continue");
  let first = true;
  for (const m of turns) {
    if (m.role === "user") {
      let text = userContent(m, escape, marker, media);
      if (first && system.length) text = [...system.map(escape), text].join("\n\n");
      first = false;
      prompt += GEMMA_TURN_USER + text + GEMMA_TURN_END;
    } else {
      // As the template renders an earlier answer: thoughts stripped, trimmed.
      prompt += GEMMA_TURN_MODEL + escape(stripThoughts(textOf(m)).trim()) + GEMMA_TURN_END;
    }
  }
  prompt += GEMMA_MODEL_NO_THINKING;
  // (untrimmed: the answer goes on from its last character, a space or a newline included)
  if (continued) prompt += escape(stripThoughts(textOf(continued)));
  return { prompt, prefixEnd, conversationStart, media };
}

/**
 * A user message's content (escaped) as the chat template renders it. Text only: the template trims each
 * text part and joins them. With media: llama-server replaces each image_url / input_audio part by its media
 * marker and, since the message contains media, hands the template one string (common/chat.cpp
 * `concat_content_parts` / `to_json_oaicompat`): the parts joined with "\n" between two text parts and
 * nothing next to a marker, untrimmed; the template then trims that string (`message['content'] | trim`).
 * mtmd itself wraps each medium in Gemma 4's `<|image>…<image|>` / `<|audio>…<audio|>` tokens, so nothing
 * else goes around the marker. Checked against the engine's `/apply-template` (test/integration).
 */
function userContent(m: ChatMessage, escape: (text: string) => string, marker: string | undefined, media: MediaPart[]): string {
  if (typeof m.content === "string" || !m.content.some((p) => p.type !== "text")) return escape(textOf(m).trim());
  if (!marker) throw new Error("renderWorkspaceChat: a message has images or audio but no media marker was given");
  let text = "";
  let lastWasMarker = false;
  for (const part of m.content) {
    if (part.type === "text") {
      if (!lastWasMarker && text !== "") text += "\n";
      text += escape(part.text);
      lastWasMarker = false;
    } else {
      text += marker;
      media.push(part);
      lastWasMarker = true;
    }
  }
  return text.trim();
}

/** Whether any message carries an image or audio part. */
export function hasMediaParts(messages: readonly ChatMessage[]): boolean {
  return messages.some((m) => Array.isArray(m.content) && m.content.some((p) => p.type !== "text"));
}

/**
 * `/completion` parses special-token text, so a user's "<turn|>" would otherwise end their turn: the same
 * escape as file content (a zero-width space after the first character).
 */
export function escapeChatText(text: string): string {
  return escapeSpecialTokens(text, GEMMA4_SPECIAL_TOKENS);
}

function textOf(m: ChatMessage): string {
  if (typeof m.content === "string") return m.content;
  // The template trims and concatenates a message's text parts.
  return m.content.map((p) => (p.type === "text" ? p.text.trim() : "")).join("");
}
