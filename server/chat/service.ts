/**
 * Chat, Explain Screenshot and Summarize Meeting: all are chat requests to the engine with the model's own
 * template (`/v1/chat/completions`), media passed as data: URIs / base64 audio only (the engine would fetch
 * any http:// URL it is given). Media token counts come from the engine's own tokenizer: the same request
 * counted with and without its media parts.
 *
 * Workspace chat is the exception: a raw Gemma 4 prompt on `/completion` that starts with the completions'
 * evaluated workspace prefix (workspacePrompt.ts, chatSlotPrefix.ts), so the engine does not re-read it;
 * with images or audio, as `{ prompt_string, multimodal_data }` (see chatWithWorkspace).
 */
import path from "node:path";
import { EngineHttpError, type EngineClient, type StreamOptions, type StreamResult } from "../engine/client";
import { HearthFailure } from "../errors";
import type { LoadedModel, ModelManager } from "../models/manager";
import type { ChatContentPart, ChatMessage, ChatResult, CountTokensParams, CountTokensResult, GenerationStats, MediaResult, PromptProgress, SummarizeAudioResult } from "../protocol";
import { GEMMA4_MESSAGE_DELIMITERS, languageForPath, splitBoundaries, type ContextChunk } from "../completion/layout";
import type { PrefixStore } from "../completion/prefixStore";
import type { PrefixTokens } from "../completion/prefixTokens";
import { SlotContents } from "../completion/slotContents";
import { CHAT_SLOT, ChatSlotPrefix } from "./chatSlotPrefix";
import { estimateTokens } from "./tokenEstimate";
import { ThoughtFilter } from "./thoughts";
import { escapeChatText, hasMediaParts, renderWorkspaceChat, type WorkspaceChatPrompt } from "./workspacePrompt";
import { decodeToSpeechWav } from "../media/decode";
import { asSpeechWav, imageFromBytes, looksLikeOtherAudio, MAX_AUDIO_BYTES, readAudioFile, readImageFile, sniffAudio, type MediaData } from "../media/files";
import { AUDIO_TOKENS_PER_SECOND, mergePrompt, MIN_PART_SECONDS, PART_NOTES_TOKENS, partPrompt, speechSamples, splitRecording, type RecordingPart } from "./meetingParts";

export interface GenerateOptions {
  maxTokens?: number;
  temperature?: number;
  seed?: number;
  signal?: AbortSignal;
  onText?: (text: string) => void;
  /** How far the engine is through the prompt, as it evaluates it (llama-server only). */
  onPromptProgress?: (progress: PromptProgress) => void;
}

export const EXPLAIN_IMAGE_PROMPT =
  "This is a screenshot from a developer's screen. Explain what it shows: the application and screen, the " +
  "important elements and their state, and any error, warning or problem visible, with what to do about it. " +
  "Be concise and use Markdown.";

export const SUMMARIZE_MEETING_PROMPT = [
  "This is a recording of a team meeting (for example a daily standup). Write a Markdown summary with these sections:",
  "## Participants — one line per person heard.",
  "## Updates — for each person: **Done**, **Next**, **Blockers** (write \"none\" when there are none).",
  "## Decisions — each decision taken.",
  "## Action items — `- [ ] task — owner (due date if said)`.",
  "## Timeline — notable moments as `mm:ss — what happened`.",
  "Only report what is said in the recording; do not invent names or facts.",
].join("\n");

export interface ChatServiceOptions {
  /** Where completions persist the evaluated workspace prefix: workspace chat loads it into the chat slot. */
  store?: PrefixStore;
  log?: (message: string) => void;
  /** The workspace prefix's token ids, shared with completions: the engine does not re-tokenize it per question. */
  tokens?: PrefixTokens;
}

/** The workspace a workspace chat carries (see WorkspaceContext.chunksFor). */
export interface WorkspaceChunks {
  /** Exactly the chunks of the completions' workspace prefix, so the evaluated prefix is reused. */
  prefix: ContextChunk[];
  /** The file being edited (kept out of the completions' prefix), after it. */
  extra?: ContextChunk[];
}

/** What the chat slot is recorded to hold when a request puts something other than a known workspace prompt in it. */
const NOT_A_WORKSPACE_PROMPT = "";

export class ChatService {
  private readonly chatSlot: ChatSlotPrefix;
  private readonly tokens?: PrefixTokens;

  constructor(
    private readonly models: ModelManager,
    opts: ChatServiceOptions = {},
  ) {
    this.chatSlot = new ChatSlotPrefix(new SlotContents(models), opts.store, opts.log);
    this.tokens = opts.tokens;
  }

  async chat(conversation: ChatMessage[], opts: GenerateOptions = {}): Promise<ChatResult> {
    const loaded = await this.models.ensureLoaded();
    const usable = withoutUnusableEarlierMedia(loaded, conversation);
    assertMediaSupported(loaded, usable);
    const messages = await readyMediaParts(usable, opts.signal);
    const body = this.body(messages, opts, loaded.info.api);
    if (opts.onPromptProgress && loaded.info.api !== "openai") body.return_progress = true;
    let mediaTokens = 0;
    // (an OpenAI-compatible server has no route to count them: it answers for its context itself)
    if (hasMediaParts(messages) && loaded.info.api !== "openai") {
      const count = await countMediaTokens(loaded.client, body, opts.signal);
      mediaTokens = count.media;
      assertFits(count, Number(body.max_tokens), loaded.contextSize, messages);
    }
    // The chat template's prompt replaces whatever workspace prompt the chat slot held.
    this.chatSlot.slot.record(NOT_A_WORKSPACE_PROMPT);
    const result = await this.stream(opts, (o) => loaded.client.chat(body, o)).catch((err: unknown) => {
      throw contextTooLong(err, "This conversation", "start a new chat or send less") ?? err;
    });
    return { text: result.text, stats: withContextSize(result.stats, loaded), mediaTokens };
  }

  /**
   * `hearth/countTokens`: the engine's count when a model is loaded (a text as it is, messages through the
   * chat template), else an estimate; counting never loads a model.
   */
  async tokenCount(params: CountTokensParams, signal?: AbortSignal): Promise<CountTokensResult> {
    const estimate = { tokens: estimateTokens(params), exact: false };
    // (the engine that runs now, if any: asking for one would start or switch it)
    const loaded = this.models.current();
    const messages = params.messages ?? [];
    if (!loaded || hasMediaParts(messages)) return estimate;
    if (!messages.length) return loaded.info.api === "openai" ? estimate : { tokens: (await loaded.client.tokenize(params.text ?? "", signal)).length, exact: true };
    const counted = await countWith(loaded, messages, signal);
    return counted === undefined ? estimate : { tokens: counted + (params.text ? (await loaded.client.tokenize(params.text, signal)).length : 0), exact: true };
  }

  /**
   * The prompt tokens a plain chat of `messages` takes, by the engine's own tokenizer and chat template; undefined
   * where the engine cannot count them (an OpenAI-compatible endpoint, a llama-server without the route).
   */
  async countTokens(messages: ChatMessage[], signal?: AbortSignal): Promise<number | undefined> {
    return countWith(await this.models.ensureLoaded(), messages, signal);
  }

  /**
   * A chat about the workspace: the raw Gemma 4 prompt (workspacePrompt.ts) on the chat slot, after loading
   * the saved workspace prefix into it when it does not hold it already, so only the conversation is
   * evaluated. Gemma-turns models only.
   *
   * Images and audio: llama-server's `/completion` takes media only as `{ prompt_string, multimodal_data }`,
   * and `prompt_string` must be a string (server-common.cpp `tokenize_input_subprompt`: token ids cannot be
   * combined with media), so such a prompt goes as text, the workspace prefix included. The cache still
   * hits: the engine compares the tokens (mtmd tokenizes the text before the first marker in one piece,
   * which cuts at the conversation's leading `<|turn>`, so the prefix gets exactly the ids completions
   * use) and processes only the conversation and the media. The price is tokenizing the prefix text once
   * per request (the ~0.1 s per 44K tokens prefixTokens.ts avoids for keystrokes; small beside encoding an
   * image). Text-only conversations keep sending the prefix as ids.
   */
  async chatWithWorkspace(conversation: ChatMessage[], workspace: WorkspaceChunks, opts: GenerateOptions = {}): Promise<ChatResult> {
    const loaded = await this.models.ensureLoaded();
    if (loaded.info.api === "openai") return this.chatWithWorkspaceOpenAi(loaded, conversation, workspace, opts);
    let messages = withoutUnusableEarlierMedia(loaded, conversation);
    if (loaded.fim) {
      throw new HearthFailure(
        "wrong-architecture",
        "Workspace chat needs a Gemma 4 model: the loaded model uses native FIM tokens. Ask without the workspace, or select a Gemma 4 model.",
      );
    }
    const withMedia = hasMediaParts(messages);
    let mediaMarker: string | undefined;
    if (withMedia) {
      assertMediaSupported(loaded, messages);
      messages = await readyMediaParts(messages, opts.signal);
      mediaMarker = String((await loaded.client.props(opts.signal)).media_marker ?? "<__media__>");
    }
    const rendered = renderWorkspaceChat({ prefixChunks: workspace.prefix, extraChunks: workspace.extra, messages, mediaMarker });
    const { prompt, prefixEnd, media } = rendered;
    if (mediaMarker && prompt.slice(0, rendered.conversationStart).includes(mediaMarker)) {
      // llama-server's marker is random per start: only a file holding this run's marker (a prompt log) can.
      throw new HearthFailure(
        "unsupported-media",
        "A workspace file contains the engine's media marker, so images or audio cannot go with the workspace: ask about them without the workspace context.",
      );
    }
    let mediaTokens = 0;
    if (media.length) {
      const body = { messages: [{ role: "user", content: media.map((p) => engineContentPart(p)) }] };
      mediaTokens = (await countMediaTokens(loaded.client, body, opts.signal)).media;
    }
    await this.assertWorkspaceChatFits(loaded, rendered, { marker: mediaMarker, tokens: mediaTokens }, opts.maxTokens ?? 1024, opts.signal);
    await this.chatSlot.prepare(loaded, prompt, prefixEnd, opts.signal);
    // Until it finishes, the slot holds an unknown part of the prompt (a cancelled prefill, say).
    this.chatSlot.slot.record(NOT_A_WORKSPACE_PROMPT);
    const result = await this.stream(opts, (o) =>
      loaded.client.completion(
        {
          prompt: media.length
            ? { prompt_string: prompt, multimodal_data: media.map((p) => p.data) }
            : (this.tokens?.promptFor(loaded.client, prompt, prefixEnd, splitBoundaries("gemma-turns")) ?? prompt),
          n_predict: opts.maxTokens ?? 1024,
          temperature: opts.temperature ?? 0.7,
          ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
          // End of turn is an end-of-generation token; the strings guard a model that writes them as text.
          stop: ["<turn|>", "<|turn>"],
          id_slot: CHAT_SLOT,
          cache_prompt: true,
          // Checkpoints at turn starts: the next question rolls back to the last one, not to token 0.
          message_delimiters: GEMMA4_MESSAGE_DELIMITERS,
        },
        // A media prompt is logged as sent (its multimodal_data redacted); ids are logged as their text.
        media.length ? o : { ...o, promptText: prompt },
      ),
    ).catch(unreadableMedia);
    this.chatSlot.slot.record(prompt);
    return { text: result.text, stats: withContextSize(result.stats, loaded), mediaTokens };
  }

  /**
   * Workspace chat on an endpoint that speaks only the OpenAI API: the same raw prompt as text on
   * /v1/completions, so a server with prefix caching (vLLM's) reuses the workspace part the completions sent.
   * Raw completions carry no media, so a conversation with images or audio goes to /v1/chat/completions
   * instead, the workspace as text at the start of its first user message (the server's chat template
   * renders it; its prefix cache starts over for such a conversation).
   */
  private async chatWithWorkspaceOpenAi(loaded: LoadedModel, messages: ChatMessage[], workspace: WorkspaceChunks, opts: GenerateOptions): Promise<ChatResult> {
    if (hasMediaParts(messages)) return this.chat(withWorkspaceText(messages, [...workspace.prefix, ...(workspace.extra ?? [])]), opts);
    const { prompt } = renderWorkspaceChat({ prefixChunks: workspace.prefix, extraChunks: workspace.extra, messages });
    const result = await this.stream(opts, (o) =>
      loaded.client.openAiCompletion(
        {
          prompt,
          max_tokens: opts.maxTokens ?? 1024,
          temperature: opts.temperature ?? 0.7,
          ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
          stop: ["<turn|>", "<|turn>"],
        },
        o,
      ),
    );
    return { text: result.text, stats: result.stats, mediaTokens: 0 };
  }

  /**
   * A long conversation on top of the workspace can outgrow the chat slot's context: say so before the engine
   * fails mid-way. The prefix's ids are the ones the request then sends (tokenized once, shared), so this
   * costs a tokenization of the conversation only.
   */
  private async assertWorkspaceChatFits(
    loaded: LoadedModel,
    { prompt, prefixEnd, media: parts }: WorkspaceChatPrompt,
    media: { marker?: string; tokens: number },
    maxTokens: number,
    signal?: AbortSignal,
  ): Promise<void> {
    const prefix = prompt.slice(0, prefixEnd);
    const prefixTokens = (this.tokens ? await this.tokens.ensure(loaded.client, prefix, signal) : await loaded.client.tokenize(prefix, signal, true)).length;
    // Each marker stands for the medium's tokens between the begin/end tokens mtmd puts around it.
    let text = prompt.slice(prefixEnd);
    if (media.marker && parts.length) {
      text = text.split(media.marker).reduce((acc, piece, i) => acc + (parts[i - 1].type === "audio" ? "<|audio><audio|>" : "<|image><image|>") + piece);
    }
    const conversation = (await loaded.client.tokenize(text, signal, false)).length + media.tokens;
    if (prefixTokens + conversation + maxTokens <= loaded.contextSize) return;
    throw new HearthFailure(
      "context-too-long",
      `The workspace (${prefixTokens.toLocaleString("en-US")} tokens) and this conversation (${conversation.toLocaleString("en-US")} tokens) ` +
        `with room for the answer (${maxTokens.toLocaleString("en-US")}) need more than the ${loaded.contextSize.toLocaleString("en-US")}-token context. ` +
        "Start a new chat, ask without the workspace, or raise hearth.contextSize if memory allows.",
    );
  }

  async explainImage(
    source: { path?: string; data?: string; mimeType?: string },
    question: string | undefined,
    opts: GenerateOptions = {},
  ): Promise<MediaResult> {
    const image = source.path ? await readImageFile(source.path) : imageFromBytes(Buffer.from(source.data ?? "", "base64"));
    const messages: ChatMessage[] = [
      { role: "user", content: [mediaPart(image), { type: "text", text: question?.trim() || EXPLAIN_IMAGE_PROMPT }] },
    ];
    return this.chat(messages, opts);
  }

  async summarizeAudio(file: string, instructions: string | undefined, opts: GenerateOptions = {}): Promise<SummarizeAudioResult> {
    const audio = await readAudioFile(file, opts.signal);
    const prompt = instructions?.trim() ? `${SUMMARIZE_MEETING_PROMPT}\n\n${instructions.trim()}` : SUMMARIZE_MEETING_PROMPT;
    const messages: ChatMessage[] = [{ role: "user", content: [mediaPart(audio), { type: "text", text: prompt }] }];
    let result: ChatResult;
    let parts = 1;
    try {
      result = await this.chat(messages, { maxTokens: 1024, ...opts });
    } catch (err) {
      const seconds = err instanceof RecordingTooLong ? err.count.media / AUDIO_TOKENS_PER_SECOND : 0;
      const samples = err instanceof RecordingTooLong ? await speechSamples(await asSpeechWav(audio, path.basename(file), opts.signal, seconds)) : undefined;
      if (!samples) throw err;
      ({ result, parts } = await this.summarizeInParts(samples, err as RecordingTooLong, instructions, opts));
    }
    const durationSeconds = result.mediaTokens / AUDIO_TOKENS_PER_SECOND;
    const loaded = await this.models.ensureLoaded();
    // The document says where the recording went: a remote endpoint is not "locally".
    const where = loaded.info.kind === "remote" ? `by ${loaded.files.model}` : "locally by Hearth";
    return { ...result, durationSeconds, parts, markdown: meetingDocument(file, durationSeconds, result.text, where, parts) };
  }

  /**
   * A recording longer than the context (meetingParts.ts): each part that fits written up as notes, the notes
   * merged into the summary. Progress is the parts' prompts in a row; the merge streams as the answer.
   */
  private async summarizeInParts(samples: Buffer, tooLong: RecordingTooLong, instructions: string | undefined, opts: GenerateOptions): Promise<{ result: ChatResult; parts: number }> {
    const otherTokens = tooLong.count.total - tooLong.count.media;
    // (5 % to spare: the engine's count of a part may differ from its length's by a few tokens)
    const maxSeconds = Math.floor(((tooLong.contextSize - otherTokens - PART_NOTES_TOKENS - 64) * 0.95) / AUDIO_TOKENS_PER_SECOND);
    const parts = maxSeconds >= MIN_PART_SECONDS ? splitRecording(samples, maxSeconds) : [];
    // The merge reads every part's notes: at a small context, many parts get shorter notes.
    const notesTokens = Math.min(PART_NOTES_TOKENS, Math.floor((tooLong.contextSize - MERGE_RESERVED_TOKENS) / Math.max(1, parts.length)));
    if (!parts.length || notesTokens < MIN_NOTES_TOKENS) {
      throw new HearthFailure(
        "media-too-large",
        `${tooLong.message.split(";")[0]}: more than the ${tooLong.contextSize.toLocaleString("en-US")}-token context holds, even in parts. ` +
          "Raise hearth.contextSize (--ctx) if memory allows, or split the recording.",
      );
    }
    const started = Date.now();
    const notes: { part: RecordingPart; text: string }[] = [];
    let mediaTokens = 0;
    for (const [i, part] of parts.entries()) {
      // The bar runs through the parts' prompts in a row; while a part's notes are written (a minute or two on a
      // laptop CPU, where nothing else moves) the progress says how far they are.
      let last: PromptProgress = { processed: i, total: parts.length, cached: 0, ms: 0, part: i + 1, parts: parts.length };
      let written = 0;
      const report = opts.onPromptProgress;
      const onPromptProgress = report && ((p: PromptProgress) => {
        last = { processed: i * p.total + p.processed, total: parts.length * p.total, cached: 0, ms: Date.now() - started, part: i + 1, parts: parts.length };
        report(last);
      });
      const onText = report && ((t: string) => {
        written += t.length;
        report({ ...last, ms: Date.now() - started, notes: written });
      });
      const audio = mediaPart({ kind: "audio", bytes: part.wav, mimeType: "audio/wav", format: "wav" });
      const content: ChatContentPart[] = [audio, { type: "text", text: partPrompt(part, i, parts.length, instructions) }];
      const r = await this.chat([{ role: "user", content }], { ...opts, maxTokens: notesTokens, onText, onPromptProgress });
      notes.push({ part, text: r.text });
      mediaTokens += r.mediaTokens;
    }
    const merged = await this.chat([{ role: "user", content: mergePrompt(SUMMARIZE_MEETING_PROMPT, notes, instructions) }], { maxTokens: 1024, ...opts, onPromptProgress: undefined });
    return { result: { ...merged, mediaTokens }, parts: parts.length };
  }

  private body(messages: ChatMessage[], opts: GenerateOptions, api?: string): Record<string, unknown> {
    // An answer to continue: llama-server continues a conversation that ends with one by itself; vLLM and
    // others of the OpenAI API are told so (their default is to start a new answer after it).
    const continued = api === "openai" && messages[messages.length - 1]?.role === "assistant";
    return {
      messages: messages.map(toEngineMessage),
      ...(continued ? { continue_final_message: true, add_generation_prompt: false } : {}),
      max_tokens: opts.maxTokens ?? 1024,
      temperature: opts.temperature ?? 0.7,
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
      id_slot: CHAT_SLOT,
      cache_prompt: true,
      reasoning_format: "none",
    };
  }

  /** Streams the answer with thought blocks removed (see thoughts.ts for why the engine returns them raw). */
  private async stream(opts: GenerateOptions, request: (o: StreamOptions) => Promise<StreamResult>): Promise<StreamResult> {
    const filter = new ThoughtFilter();
    let shown = "";
    const emit = (text: string) => {
      if (!text) return;
      shown += text;
      opts.onText?.(text);
    };
    const result = await request({ signal: opts.signal, onText: (t) => emit(filter.push(t)), onPromptProgress: opts.onPromptProgress });
    emit(filter.flush());
    // (the engine says "limit" for a full context too: only maxTokens is a limit an answer can continue past)
    const stats = result.stats.stoppedBy === "limit" && result.stats.generatedTokens > 0 && result.stats.generatedTokens < (opts.maxTokens ?? 1024) ? { ...result.stats, stoppedBy: "context" as const } : result.stats;
    return { ...result, stats, text: shown };
  }
}

/** The stats with the context the request had, where it is known (the local engine; a remote one says less). */
function withContextSize(stats: GenerationStats, loaded: LoadedModel): GenerationStats {
  return loaded.info.kind === "local" ? { ...stats, contextSize: loaded.contextSize } : stats;
}

export function mediaPart(media: MediaData): ChatContentPart {
  return { type: media.kind, data: media.bytes.toString("base64"), mimeType: media.mimeType };
}

function toEngineMessage(m: ChatMessage): Record<string, unknown> {
  if (typeof m.content === "string") return { role: m.role, content: m.content };
  return { role: m.role, content: m.content.map(engineContentPart) };
}

function engineContentPart(part: ChatContentPart): Record<string, unknown> {
  switch (part.type) {
    case "text":
      return { type: "text", text: part.text };
    case "image":
      return { type: "image_url", image_url: { url: `data:${part.mimeType};base64,${part.data}` } };
    case "audio":
      return { type: "input_audio", input_audio: { data: part.data, format: audioFormat(part.mimeType) } };
  }
}

/**
 * The host's own checks of image and audio parts before anything reaches the engine (chat and workspace
 * chat alike), with server/media/files.ts: the real format from the bytes, and an image's size limit. Ogg
 * audio (a voice note: Opus or Vorbis), which the engine cannot read, is decoded to 16 kHz mono WAV here.
 */
export async function readyMediaParts(messages: ChatMessage[], signal?: AbortSignal): Promise<ChatMessage[]> {
  const out: ChatMessage[] = [];
  for (const m of messages) {
    if (!Array.isArray(m.content)) {
      out.push(m);
      continue;
    }
    const content: ChatContentPart[] = [];
    for (const part of m.content) {
      if (part.type === "text") {
        content.push(part);
        continue;
      }
      const bytes = Buffer.from(part.data, "base64");
      if (part.type === "image") {
        imageFromBytes(bytes, "The attached image");
        content.push(part);
        continue;
      }
      // Audio's length limit is the context (assertFits), not its size: a recording converted to WAV is large.
      if (sniffAudio(bytes)) content.push(part);
      else if (looksLikeOtherAudio(bytes) === "ogg") {
        const wav = await decodeToSpeechWav(bytes, "ogg", "The attached audio", MAX_AUDIO_BYTES, signal);
        content.push({ type: "audio", data: wav.toString("base64"), mimeType: "audio/wav" });
      } else {
        throw new HearthFailure({ code: "unsupported-media", message: "The attached audio is not wav, mp3, flac or ogg (its content does not match any of them)." });
      }
    }
    out.push({ ...m, content });
  }
  return out;
}

/**
 * llama-server's refusal of a prompt longer than the context ("request (8361 tokens) exceeds the available
 * context size (8192 tokens), try increasing it") as a sentence about `what` ("This conversation") with `advice`
 * ("start a new chat or send less"), or undefined for any other failure.
 */
export function contextTooLong(err: unknown, what: string, advice: string): HearthFailure | undefined {
  if (!(err instanceof EngineHttpError)) return undefined;
  const m = /request \((\d+) tokens\) exceeds the available context size \((\d+) tokens\)/i.exec(err.message);
  if (!m && !/exceeds the available context size/i.test(err.message)) return undefined;
  const n = (s: string) => Number(s).toLocaleString("en-US");
  const size = m ? `${what} is ${n(m[1])} tokens, more than the model's ${n(m[2])}-token context` : `${what} is more than the model's context`;
  return new HearthFailure("context-too-long", `${size}: ${advice}, or raise hearth.contextSize (--ctx) if memory allows.`);
}

/** The engine could not decode an image or audio whose format looked right (truncated, damaged): say so. */
function unreadableMedia(err: unknown): never {
  if (err instanceof EngineHttpError && /Failed to load image or audio/i.test(err.message)) {
    throw new HearthFailure({
      code: "unreadable-media",
      message: "The engine could not decode the attached image or audio (the file is damaged or truncated). Attach it again, or save it in another format.",
    });
  }
  throw err;
}

function audioFormat(mimeType: string): string {
  if (/mpeg|mp3/.test(mimeType)) return "mp3";
  if (/flac/.test(mimeType)) return "flac";
  return "wav";
}

/**
 * Images and audio of earlier turns that the loaded model cannot take (a model or endpoint without the
 * projector, selected after they were attached) become a line of text saying so, so the conversation goes
 * on; only media in the message being sent is refused (assertMediaSupported).
 */
export function withoutUnusableEarlierMedia(loaded: Pick<LoadedModel, "info">, messages: ChatMessage[]): ChatMessage[] {
  let current = messages.length - 1;
  while (current >= 0 && messages[current].role !== "user") current--;
  const unusable = (p: ChatContentPart) => (p.type === "image" && !loaded.info.vision) || (p.type === "audio" && !loaded.info.audio);
  return messages.map((m, i) => {
    if (i >= current || !Array.isArray(m.content) || !m.content.some(unusable)) return m;
    const content = m.content.map((p): ChatContentPart =>
      !unusable(p) ? p : { type: "text", text: p.type === "image" ? "[an image the current model cannot see]" : "[a recording the current model cannot hear]" },
    );
    return { ...m, content };
  });
}

function assertMediaSupported(loaded: LoadedModel, messages: ChatMessage[]): void {
  const parts = messages.flatMap((m) => (Array.isArray(m.content) ? m.content : []));
  if (parts.some((p) => p.type === "image") && !loaded.info.vision) {
    throw new HearthFailure({
      code: "no-vision",
      message: "The loaded model has no vision projector: set the mmproj (hearth.mmproj / --mmproj) to the model's mmproj GGUF.",
    });
  }
  if (parts.some((p) => p.type === "audio") && !loaded.info.audio) {
    throw new HearthFailure({
      code: "no-audio",
      message: "The loaded model has no audio projector: set the mmproj (hearth.mmproj / --mmproj) to a Gemma 4 mmproj with audio.",
    });
  }
}

/**
 * Exactly the embedding tokens of the media, from the engine's own tokenizer: the prompt's total
 * (`input_tokens`) minus the same templated prompt with each media marker replaced by the begin/end tokens
 * mtmd wraps Gemma 4 media in (`<|image>…<image|>`, `<|audio>…<audio|>`), which are text tokens.
 */
async function countMediaTokens(client: EngineClient, body: Record<string, unknown>, signal?: AbortSignal): Promise<{ total: number; media: number }> {
  const messages = body.messages as { content: unknown }[];
  const kinds = messages.flatMap((m) =>
    Array.isArray(m.content) ? (m.content as { type: string }[]).filter((p) => p.type !== "text").map((p) => p.type) : [],
  );
  const [total, props, templated] = await Promise.all([
    client.countChatTokens({ messages }, signal),
    client.props(signal),
    // The template only places a marker per media part: their bytes (77 MB for a 30-minute recording) need not go twice.
    client.postJson("/apply-template", { messages: messages.map(withoutMediaBytes) }, signal) as Promise<{ prompt: string }>,
  ]).catch(unreadableMedia);
  const marker = String(props.media_marker ?? "<__media__>");
  const pieces = templated.prompt.split(marker);
  let text = pieces[0];
  for (let i = 1; i < pieces.length; i++) {
    text += (kinds[i - 1] === "input_audio" ? "<|audio><audio|>" : "<|image><image|>") + pieces[i];
  }
  const textTokens = await client.tokenize(text, signal, true);
  return { total, media: total - textTokens.length };
}

/** `message` with each image and recording's data replaced by 3 zero bytes, which /apply-template reads the same. */
function withoutMediaBytes(message: { content: unknown }): { content: unknown } {
  if (!Array.isArray(message.content)) return message;
  const content = (message.content as Record<string, unknown>[]).map((p) => {
    if (p.type === "image_url") return { ...p, image_url: { url: "data:image/png;base64,AAAA" } };
    if (p.type === "input_audio") return { ...p, input_audio: { ...(p.input_audio as object), data: "AAAA" } };
    return p;
  });
  return { ...message, content };
}

/** What the merge of a summary in parts keeps out of the context for its answer and its own text. */
const MERGE_RESERVED_TOKENS = 1024 + 512;
/** Notes shorter than this are not worth a part. */
const MIN_NOTES_TOKENS = 96;

/** A recording that does not fit the context beside its answer: summarizeAudio then summarizes it in parts when it can. */
class RecordingTooLong extends HearthFailure {
  constructor(
    readonly count: { total: number; media: number },
    readonly contextSize: number,
  ) {
    super(
      "media-too-large",
      `The recording is ${(count.media / AUDIO_TOKENS_PER_SECOND / 60).toFixed(1)} minutes (${count.media.toLocaleString("en-US")} audio tokens); ` +
        `with the answer that is more than the ${contextSize.toLocaleString("en-US")}-token context. ` +
        "Raise hearth.contextSize (--ctx) if memory allows, or split the recording (Summarize Meeting Recording does that itself).",
    );
  }
}

/** A request longer than the context would fail deep in the engine: say so first, a recording in minutes and tokens. */
function assertFits(count: { total: number; media: number }, maxTokens: number, contextSize: number, messages: ChatMessage[]): void {
  if (count.total + maxTokens <= contextSize) return;
  const audio = messages.some((m) => Array.isArray(m.content) && m.content.some((p) => p.type === "audio"));
  if (audio) throw new RecordingTooLong(count, contextSize);
  throw new HearthFailure(
    "media-too-large",
    `The request has ${count.total.toLocaleString("en-US")} tokens; with the answer that is more than the ${contextSize.toLocaleString("en-US")}-token context. ` +
      "Raise hearth.contextSize (--ctx) if memory allows, or use a smaller image.",
  );
}

/** `seconds` 0: unknown (an OpenAI-compatible endpoint does not count the audio's tokens). */
function meetingDocument(file: string, seconds: number, summary: string, where: string, parts: number): string {
  const mm = Math.floor(seconds / 60);
  const ss = Math.round(seconds % 60).toString().padStart(2, "0");
  const length = seconds > 0 ? `${mm}:${ss} · ` : "";
  const inParts = parts > 1 ? ` in ${parts} parts (longer than the context)` : "";
  return [
    `# Meeting summary — ${path.basename(file)}`,
    "",
    `_Recording: ${length}summarized ${where}${inParts} on ${new Date().toISOString().slice(0, 10)}_`,
    "",
    summary.trim() || "_The model returned no summary for this recording. Try again, or check the recording has speech._",
    "",
  ].join("\n");
}

/**
 * `messages` with the workspace's files as text at the start of the first user message (for a chat API,
 * where the raw workspace prompt cannot go): each chunk under its path, special tokens escaped like file text
 * in every prompt.
 */
export function withWorkspaceText(messages: ChatMessage[], chunks: readonly ContextChunk[]): ChatMessage[] {
  const files = chunks.map((c) => {
    const lines = c.replacesEarlier ? " (the current version: it replaces the copy above)" : "";
    const text = escapeChatText(c.text.replace(/\n+$/, ""));
    return `File: ${escapeChatText(c.path)}${lines}\n\`\`\`${languageForPath(c.path)}\n${text}\n\`\`\``;
  });
  const workspace = `The developer's workspace files:\n\n${files.join("\n\n")}`;
  const first = messages.findIndex((m) => m.role === "user");
  return messages.map((m, i) => {
    if (i !== first) return m;
    return { ...m, content: typeof m.content === "string" ? `${workspace}\n\n${m.content}` : [{ type: "text" as const, text: workspace }, ...m.content] };
  });
}

/** A plain chat's prompt tokens by the engine's template and tokenizer; undefined where it cannot count them. */
function countWith(loaded: LoadedModel, messages: ChatMessage[], signal?: AbortSignal): Promise<number | undefined> {
  if (loaded.info.api === "openai") return Promise.resolve(undefined);
  return loaded.client.countChatTokens({ messages: messages.map(toEngineMessage) }, signal).catch(() => undefined);
}
