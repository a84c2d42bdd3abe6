/**
 * The raw Gemma 4 prompt of a workspace chat: the stable workspace prefix exactly as inline completions
 * keep it evaluated (layout.ts `workspacePrefixPrompt`, byte for byte, so the engine reuses its cache), the
 * chunks of the file being edited (completions leave them out of their prefix), then the conversation as
 * Gemma turns rendered the way the model's chat template does, and the generation prompt with thinking off.
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
import type { ChatMessage } from "../protocol";
import { stripThoughts } from "./thoughts";

export interface WorkspaceChatInput {
  /** The chunks of the completions' workspace prefix, in its order (WorkspaceContext.chunksFor). */
  prefixChunks: readonly ContextChunk[];
  /** More workspace chunks after the shared prefix: the file being edited, which completions keep out of it. */
  extraChunks?: readonly ContextChunk[];
  /** The conversation; must be text only and end with a user message. */
  messages: readonly ChatMessage[];
}

export interface WorkspaceChatPrompt {
  prompt: string;
  /** `prompt.slice(0, prefixEnd)` is the completions' workspace prefix for `prefixChunks`. */
  prefixEnd: number;
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

  const system = input.messages.filter((m) => m.role === "system").map((m) => textOf(m).trim()).filter(Boolean);
  const turns = input.messages.filter((m) => m.role !== "system");
  if (turns[turns.length - 1]?.role !== "user") throw new Error("renderWorkspaceChat: the conversation must end with a user message");
  let first = true;
  for (const m of turns) {
    if (m.role === "user") {
      let text = textOf(m).trim();
      if (first && system.length) text = [...system, text].join("\n\n");
      first = false;
      prompt += GEMMA_TURN_USER + escapeChatText(text) + GEMMA_TURN_END;
    } else {
      // As the template renders an earlier answer: thoughts stripped, trimmed.
      prompt += GEMMA_TURN_MODEL + escapeChatText(stripThoughts(textOf(m)).trim()) + GEMMA_TURN_END;
    }
  }
  return { prompt: prompt + GEMMA_MODEL_NO_THINKING, prefixEnd };
}

/** Whether any message carries an image or audio part (workspace chat is text only). */
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
