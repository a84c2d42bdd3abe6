/**
 * A token count without a tokenizer: 4 characters a token (about right for English and code with Gemma 4's
 * vocabulary; fewer characters a token in other scripts), an image 300 (Gemma 4 encodes one in 280–340),
 * 4 per message for its turn markers. What `hearth/countTokens` answers while no model is loaded, and what
 * the extension falls back to when the host cannot answer.
 */
import type { ChatMessage, CountTokensParams } from "../protocol";

export function estimateTokens(params: CountTokensParams): number {
  const messages: readonly ChatMessage[] = params.messages ?? [];
  let chars = (params.text ?? "").length;
  let media = 0;
  for (const m of messages) {
    if (typeof m.content === "string") chars += m.content.length;
    else for (const p of m.content) p.type === "text" ? (chars += p.text.length) : media++;
  }
  return Math.ceil(chars / 4) + media * 300 + messages.length * 4;
}
