// A tiny Gemma-4-like vocabulary for random-weight test models.
//
// How llama.cpp tokenizes `tokenizer.ggml.model = "gemma4"` (src/llama-vocab.cpp):
//  - vocab type BPE with pre-tokenizer "gemma4": spaces are escaped to U+2581 (▁), the text is split
//    only into runs of non-newlines / runs of newlines, and BPE merges ("left right", ranked by
//    position) run over raw UTF-8 characters (no GPT-2 byte encoding);
//  - a run of newlines is looked up as a whole token first;
//  - any symbol left that is not a token falls back to `<0xXX>` byte tokens (type BYTE), so any
//    UTF-8 input tokenizes and detokenizes losslessly;
//  - special tokens are recognised by text (`<turn|>` becomes EOT, `<|fim_prefix|>` etc. become the
//    FIM ids if the `tokenizer.ggml.fim_*_token_id` keys are absent), add_bos is forced on.
//
// Layout of the tiny vocab: the same special tokens (same texts) as the real 262,144-token vocab,
// then whitespace runs, the 256 byte-fallback tokens, printable ASCII, and a few hundred merged
// fragments of English and code. The FIM variant appends `<|fim_prefix|>`, `<|fim_suffix|>` and
// `<|fim_middle|>` at the end, so the plain vocab is an exact prefix of the FIM vocab (a drafter
// built on the plain vocab stays compatible with both).

import { GgufType, type GgufWriter } from "./writer";

/** llama_token_type values as stored in tokenizer.ggml.token_type. */
export const TokenType = {
  UNDEFINED: 0,
  NORMAL: 1,
  UNKNOWN: 2,
  CONTROL: 3,
  USER_DEFINED: 4,
  UNUSED: 5,
  BYTE: 6,
} as const;
export type TokenType = (typeof TokenType)[keyof typeof TokenType];

/** Special tokens of the real Gemma 4 vocab with their ids there (for reference / the 12B model). */
export const GEMMA4_REAL_SPECIAL_IDS: ReadonlyArray<readonly [string, number, TokenType]> = [
  ["<pad>", 0, TokenType.CONTROL],
  ["<eos>", 1, TokenType.CONTROL],
  ["<bos>", 2, TokenType.CONTROL],
  ["<unk>", 3, TokenType.CONTROL],
  ["<mask>", 4, TokenType.CONTROL],
  ["[multimodal]", 5, TokenType.NORMAL],
  ["<|tool>", 46, TokenType.CONTROL],
  ["<tool|>", 47, TokenType.CONTROL],
  ["<|tool_call>", 48, TokenType.USER_DEFINED],
  ["<tool_call|>", 49, TokenType.USER_DEFINED],
  ["<|tool_response>", 50, TokenType.USER_DEFINED],
  ["<tool_response|>", 51, TokenType.USER_DEFINED],
  ['<|"|>', 52, TokenType.USER_DEFINED],
  ["<|think|>", 98, TokenType.CONTROL],
  ["<|channel>", 100, TokenType.USER_DEFINED],
  ["<channel|>", 101, TokenType.USER_DEFINED],
  ["<|turn>", 105, TokenType.CONTROL],
  ["<turn|>", 106, TokenType.CONTROL],
  ["<|image>", 255999, TokenType.CONTROL],
  ["<|audio>", 256000, TokenType.CONTROL],
  ["<|image|>", 258880, TokenType.CONTROL],
  ["<|audio|>", 258881, TokenType.CONTROL],
  ["<image|>", 258882, TokenType.CONTROL],
  ["<audio|>", 258883, TokenType.CONTROL],
  ["<|video|>", 258884, TokenType.CONTROL],
];

export const GEMMA4_REAL_VOCAB_SIZE = 262144;
/** First byte-fallback token (`<0x00>`) in the real vocab. */
export const GEMMA4_REAL_BYTE_TOKEN_BASE = 238;

export const FIM_TOKENS = ["<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"] as const;

/** Score used by the real vocab for every token. */
const REAL_SCORE = -1000;

export interface GemmaVocab {
  tokens: string[];
  scores: number[];
  tokenTypes: number[];
  merges: string[];
  bosId: number;
  eosId: number;
  unkId: number;
  padId: number;
  maskId: number;
  fimPreId?: number;
  fimSufId?: number;
  fimMidId?: number;
  /** text -> id for every token */
  ids: Map<string, number>;
}

const SPACE = "\u2581"; // ▁

/** Escape spaces the way the gemma4 tokenizer does before BPE. */
export function escapeSpaces(s: string): string {
  return s.replace(/ /g, SPACE);
}

/** Byte-fallback token text for a byte value: `<0x0A>`. */
export function byteTokenText(b: number): string {
  return `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`;
}

// Fragments that get their own token (spaces written as real spaces here, escaped to ▁ on build).
// Chosen to make code and English tokenize into fewer pieces; exact choice is unimportant.
const FRAGMENTS: string[] = [
  // English
  "th", "he", "in", "er", "an", "re", "on", "at", "en", "es", "or", "st", "nd", "is", "it",
  "ing", "the", " the", " a", " t", " s", " c", " f", " i", " o", " in", " to", " of", " and",
  " is", " that", " for", " with",
  // operators / punctuation runs common in code
  "()", "{}", "[]", "();", "):", " {", " }", " =", "==", "===", "!=", "=>", " =>", "->", "::",
  "//", " //", "/*", "*/", "++", "+=", " +", " -", " *", " <", " >", "&&", "||", '""', "''",
  " (", ", ", ");", "};",
  // keywords / identifiers
  "def", " def", "class", " class", "return", " return", "self", "self.", "import", " import",
  "from", "const", " const", "let", " let", "function", " function", "if", " if", " else",
  " for", " in", " not", "None", "True", "False", " true", " false", " null", " new", "this",
  "print", "console", ".log", " int", "name", "value", " x", " i", " n",
];

/**
 * Build the tiny Gemma-4-like vocab.
 * @param opts.fim append `<|fim_prefix|>`, `<|fim_suffix|>`, `<|fim_middle|>` (control tokens)
 */
export function buildTinyGemmaVocab(opts: { fim?: boolean } = {}): GemmaVocab {
  const tokens: string[] = [];
  const types: number[] = [];
  const ids = new Map<string, number>();
  const merges: string[] = [];
  const mergeSet = new Set<string>();

  const add = (text: string, type: TokenType): number => {
    if (ids.has(text)) throw new Error(`duplicate token ${JSON.stringify(text)}`);
    const id = tokens.length;
    tokens.push(text);
    types.push(type);
    ids.set(text, id);
    return id;
  };
  const chars = (s: string) => Array.from(s);

  // Adds a merged token plus a merge rule for every split into two existing tokens.
  const addMerged = (text: string): void => {
    if (ids.has(text)) return;
    const cs = chars(text);
    if (cs.length < 2) throw new Error(`single character ${JSON.stringify(text)} is not in the vocab`);
    // make sure some split exists: build prefixes first if needed
    let hasSplit = false;
    for (let k = 1; k < cs.length; k++) {
      if (ids.has(cs.slice(0, k).join("")) && ids.has(cs.slice(k).join(""))) hasSplit = true;
    }
    if (!hasSplit) {
      // build both halves first (log-depth chain of helper tokens instead of every prefix)
      const mid = Math.floor(cs.length / 2);
      const left = cs.slice(0, mid).join("");
      const right = cs.slice(mid).join("");
      if (!ids.has(left)) addMerged(left);
      if (!ids.has(right)) addMerged(right);
    }
    add(text, TokenType.NORMAL);
    for (let k = 1; k < cs.length; k++) {
      const a = cs.slice(0, k).join("");
      const b = cs.slice(k).join("");
      if (ids.has(a) && ids.has(b)) {
        const m = `${a} ${b}`;
        if (!mergeSet.has(m)) {
          mergeSet.add(m);
          merges.push(m);
        }
      }
    }
  };

  // 1. special tokens, same texts and token types as the real vocab, in the real relative order
  for (const [text, , type] of GEMMA4_REAL_SPECIAL_IDS) add(text, type);

  // 2. printable ASCII (escaped space first), tab and newline
  add(SPACE, TokenType.NORMAL);
  for (let c = 0x21; c <= 0x7e; c++) add(String.fromCharCode(c), TokenType.NORMAL);
  add("\t", TokenType.NORMAL);
  add("\n", TokenType.NORMAL);

  // 3. byte fallback tokens <0x00>..<0xFF>
  for (let b = 0; b < 256; b++) add(byteTokenText(b), TokenType.BYTE);

  // 4. whitespace runs (newline runs are looked up whole; spaces/tabs via merges)
  for (let n = 2; n <= 8; n++) addMerged("\n".repeat(n));
  for (let n = 2; n <= 8; n++) addMerged(SPACE.repeat(n));
  for (let n = 2; n <= 4; n++) addMerged("\t".repeat(n));

  // 5. fragments, shortest first so merges are built bottom-up
  const frags = [...new Set(FRAGMENTS.map(escapeSpaces))].sort((a, b) => chars(a).length - chars(b).length);
  for (const f of frags) {
    if (chars(f).length === 1) {
      if (!ids.has(f)) add(f, TokenType.NORMAL);
    } else {
      addMerged(f);
    }
  }

  let fimPreId: number | undefined;
  let fimSufId: number | undefined;
  let fimMidId: number | undefined;
  if (opts.fim) {
    fimPreId = add(FIM_TOKENS[0], TokenType.CONTROL);
    fimSufId = add(FIM_TOKENS[1], TokenType.CONTROL);
    fimMidId = add(FIM_TOKENS[2], TokenType.CONTROL);
  }

  return {
    tokens,
    scores: tokens.map(() => REAL_SCORE),
    tokenTypes: types,
    merges,
    bosId: ids.get("<bos>")!,
    eosId: ids.get("<eos>")!,
    unkId: ids.get("<unk>")!,
    padId: ids.get("<pad>")!,
    maskId: ids.get("<mask>")!,
    fimPreId,
    fimSufId,
    fimMidId,
    ids,
  };
}

/**
 * A full-size (262,144-token) synthetic vocab for the 12B benchmark model: the special tokens and the
 * byte-fallback tokens sit at their real ids, the tiny vocab's other tokens fill the next free ids,
 * and the rest are `<unusedN>` filler tokens (like the real vocab's unused slots).
 */
export function buildSyntheticFullGemmaVocab(size = GEMMA4_REAL_VOCAB_SIZE): GemmaVocab {
  const tiny = buildTinyGemmaVocab();
  const tokens: (string | undefined)[] = new Array(size);
  const types = new Array<number>(size).fill(TokenType.NORMAL);
  for (const [text, id, type] of GEMMA4_REAL_SPECIAL_IDS) {
    tokens[id] = text;
    types[id] = type;
  }
  for (let b = 0; b < 256; b++) {
    tokens[GEMMA4_REAL_BYTE_TOKEN_BASE + b] = byteTokenText(b);
    types[GEMMA4_REAL_BYTE_TOKEN_BASE + b] = TokenType.BYTE;
  }
  const placed = new Set(tokens.filter((t): t is string => t !== undefined));
  let next = GEMMA4_REAL_BYTE_TOKEN_BASE + 256;
  for (const t of tiny.tokens) {
    if (placed.has(t)) continue;
    while (tokens[next] !== undefined) next++;
    tokens[next] = t;
    placed.add(t);
  }
  let unused = 0;
  for (let i = 0; i < size; i++) {
    if (tokens[i] === undefined) {
      tokens[i] = `<unused${unused++}>`;
    }
  }
  const full = tokens as string[];
  const ids = new Map<string, number>();
  full.forEach((t, i) => ids.set(t, i));
  return {
    tokens: full,
    scores: new Array<number>(size).fill(REAL_SCORE),
    tokenTypes: types,
    merges: tiny.merges,
    bosId: 2,
    eosId: 1,
    unkId: 3,
    padId: 0,
    maskId: 4,
    ids,
  };
}

/** Write the tokenizer.* metadata the way convert_hf_to_gguf.py does for Gemma 4. */
export function addGemmaVocabMetadata(w: GgufWriter, vocab: GemmaVocab, opts: { chatTemplate?: string } = {}): void {
  w.setString("tokenizer.ggml.model", "gemma4");
  w.setArray("tokenizer.ggml.tokens", GgufType.STRING, vocab.tokens);
  w.setArray("tokenizer.ggml.scores", GgufType.FLOAT32, vocab.scores);
  w.setArray("tokenizer.ggml.token_type", GgufType.INT32, vocab.tokenTypes);
  w.setArray("tokenizer.ggml.merges", GgufType.STRING, vocab.merges);
  w.setUint32("tokenizer.ggml.bos_token_id", vocab.bosId);
  w.setUint32("tokenizer.ggml.eos_token_id", vocab.eosId);
  w.setUint32("tokenizer.ggml.unknown_token_id", vocab.unkId);
  w.setUint32("tokenizer.ggml.padding_token_id", vocab.padId);
  w.setUint32("tokenizer.ggml.mask_token_id", vocab.maskId);
  if (vocab.fimPreId !== undefined) w.setUint32("tokenizer.ggml.fim_pre_token_id", vocab.fimPreId);
  if (vocab.fimSufId !== undefined) w.setUint32("tokenizer.ggml.fim_suf_token_id", vocab.fimSufId);
  if (vocab.fimMidId !== undefined) w.setUint32("tokenizer.ggml.fim_mid_token_id", vocab.fimMidId);
  w.setBool("tokenizer.ggml.add_space_prefix", false);
  w.setBool("tokenizer.ggml.add_bos_token", true);
  if (opts.chatTemplate !== undefined) w.setString("tokenizer.chat_template", opts.chatTemplate);
}
