/**
 * HTTP client for llama-server (the engine). Streams server-sent events, turns the engine's timings into
 * {@link GenerationStats}, and aborts the HTTP request on cancellation: llama-server notices the closed
 * connection and stops generating (its `should_stop` check), so a cancelled request costs nothing more.
 */
import type { GenerationStats, PromptProgress } from "../protocol";
import { logPrompt } from "./promptLog";

export interface EngineEndpoint {
  baseUrl: string;
  apiKey?: string;
}

/** The engine answered with an HTTP error; `message` is the engine's own error text. */
export class EngineHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The engine could not be reached at all (not started, crashed, restarting). */
export class EngineUnreachableError extends Error {}

/**
 * A request body larger than the engine reads: found before sending (`limit` from its /props or llama-server's
 * default), or answered 413 by the server. A recording goes as base64 inside JSON, 4/3 of the file's size.
 */
export class RequestTooLargeError extends Error {
  constructor(
    readonly bytes: number,
    /** The most the engine reads, when known. */
    readonly limit?: number,
  ) {
    super(`The request is ${megabytes(bytes)} MB${limit ? `; the engine reads at most ${megabytes(limit)} MB` : ", more than the engine reads"}.`);
  }
}

/** llama-server's request body limit (cpp-httplib's CPPHTTPLIB_PAYLOAD_MAX_LENGTH) unless its /props say otherwise. */
export const LLAMA_SERVER_MAX_REQUEST_BYTES = 100 * 1024 * 1024;

export const megabytes = (bytes: number) => (bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0);

export class RequestCancelledError extends Error {
  constructor() {
    super("Request cancelled");
  }
}

interface EngineTimings {
  cache_n?: number;
  prompt_n?: number;
  prompt_ms?: number;
  predicted_n?: number;
  predicted_ms?: number;
  predicted_per_second?: number;
  draft_n?: number;
  draft_n_accepted?: number;
  /** tokens decoded without drafting after refuted drafts (engine patch 0003) */
  draft_n_skipped?: number;
  /** tokens decoded without drafting to time a plain step, or because drafting cost more (engine patch 0011) */
  draft_n_paused?: number;
}

export interface StreamOptions {
  signal?: AbortSignal;
  onText?: (text: string) => void;
  /** The engine's prompt progress events (a request with `return_progress`). */
  onPromptProgress?: (progress: PromptProgress) => void;
  /** The prompt as text, for the prompt log, when `body.prompt` is sent partly as token ids. */
  promptText?: string;
}

export interface StreamResult {
  text: string;
  stats: GenerationStats;
}

/**
 * What the host reads from `/completion`'s last event (upstream's `response_fields`, as llama.vim sends
 * it). Without it that event carries the whole prompt as text: at 84K tokens ~300 KB to
 * detokenize on the engine's main loop (8 ms before the slot is released; Hearth's engine patch 0009 skips
 * it when the fields leave it out), serialize and parse again here, on every keystroke.
 */
export const COMPLETION_RESPONSE_FIELDS: readonly string[] = ["content", "stop_type", "timings", "truncated"];

/**
 * A `/completion` prompt of token ids followed by text, sent as llama-server's mixed form
 * `[id, …, id, "text"]`, or packed (see requestJson). A workspace prefix is tens of thousands of ids, the same
 * array for every keystroke, so its wire encodings are made once per array (at 80K ids, 2.5 ms a keystroke
 * otherwise) and only in the form the engine takes.
 */
export class MixedPrompt {
  constructor(
    /** The head: the workspace prefix's ids (packed, or named when the slot holds them). */
    readonly ids: readonly number[],
    readonly rest: string,
    /**
     * Ids between the head and `rest`: the part of the prompt after the workspace prefix that a keystroke
     * leaves alone (see PrefixTokens.prepareLine). A few thousand at most, sent as JSON numbers in `prompt`.
     */
    readonly restIds: readonly number[] = [],
  ) {}

  /** The same prompt for plain JSON.stringify (logs, tests): the slow path, not used for requests. */
  toJSON(): (number | string)[] {
    return this.rest === "" ? [...this.ids, ...this.restIds] : [...this.ids, ...this.restIds, this.rest];
  }

  toJSONText(): string {
    return "[" + [idsJson(this.ids), this.restJsonParts()].filter((p) => p !== "").join(",") + "]";
  }

  /** What follows the head in a JSON array: the rest's ids then its text ("" when there is neither). */
  restJsonParts(): string {
    return [idsJson(this.restIds), this.rest === "" ? "" : JSON.stringify(this.rest)].filter((p) => p !== "").join(",");
  }

  /** The ids' digest, as engine patch 0010 computes it to check a slot still holds them. */
  idsDigest(): string {
    return encoded(this.ids, "digest", () => idsDigest(this.ids));
  }

  /** The ids as base64 of little-endian int32 (engine patch 0006). */
  idsBase64(): string {
    return encoded(this.ids, "base64", () => {
      const buf = Buffer.alloc(4 * this.ids.length);
      this.ids.forEach((id, i) => buf.writeInt32LE(id, 4 * i));
      return buf.toString("base64");
    });
  }
}

/**
 * Digest of token ids (engine patch 0010's `hearth_ids_digest`): two 32-bit multiplicative lanes over the ids,
 * 16 hex digits. It tells a slot that holds other tokens from the one the host believes it holds.
 */
export function idsDigest(ids: readonly number[]): string {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (const id of ids) {
    a = Math.imul(a ^ id, 0x01000193);
    b = Math.imul(b ^ id, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return (a >>> 0).toString(16).padStart(8, "0") + (b >>> 0).toString(16).padStart(8, "0");
}

/** Ids as the inside of a JSON array ("" for none), made once per array. */
function idsJson(ids: readonly number[]): string {
  return ids.length === 0 ? "" : encoded(ids, "json", () => JSON.stringify(ids).slice(1, -1));
}

/** Wire encodings of ids arrays, made once per array. */
const encodings = new WeakMap<readonly number[], { json?: string; base64?: string; digest?: string }>();

function encoded(ids: readonly number[], form: "json" | "base64" | "digest", make: () => string): string {
  let e = encodings.get(ids);
  if (!e) encodings.set(ids, (e = {}));
  return (e[form] ??= make());
}

/**
 * A request body as JSON; a MixedPrompt `prompt` is spliced in as its pre-serialized text. With `packed`
 * (an engine whose /props has `hearth_prompt_ids`: Hearth's engine patch 0006) its ids go as one base64
 * string in `hearth_prompt_ids` and `prompt` is the rest: llama-server turned the JSON array into one
 * value per id, 12 ms per request at 84K ids (~40 ms at 256K), on every keystroke. With `slotHolds` (the
 * request's slot already holds those ids: engine patch 0010) they are only named, by count and digest, in
 * `hearth_prompt_slot_prefix`.
 */
export function requestJson(body: Record<string, unknown>, packed = false, slotHolds = false): string {
  const p = body.prompt;
  if (!(p instanceof MixedPrompt)) return JSON.stringify(body);
  const { prompt: _omit, ...rest } = body;
  const others = JSON.stringify(rest);
  const tail = others === "{}" ? "}" : "," + others.slice(1);
  if (!packed || p.ids.length === 0) return '{"prompt":' + p.toJSONText() + tail;
  const ids = slotHolds ? `"hearth_prompt_slot_prefix":{"n":${p.ids.length},"digest":"${p.idsDigest()}"}` : `"hearth_prompt_ids":"${p.idsBase64()}"`;
  // the rest: its text, or with ids in front, the mixed array form (one prompt: it holds numbers)
  const prompt = p.restIds.length === 0 ? JSON.stringify(p.rest) : "[" + p.restJsonParts() + "]";
  return "{" + ids + ',"prompt":' + prompt + tail;
}

export interface EngineClientOptions {
  /** The engine takes `hearth_prompt_ids` (its /props say so): MixedPrompt ids go packed. */
  packedPromptIds?: boolean;
  /**
   * The engine takes `hearth_prompt_slot_prefix` (its /props say so): ids a slot already holds are named
   * instead of sent. At 84K ids that is 450 KB of base64 less to send, parse and decode on every keystroke.
   */
  slotPrefix?: boolean;
  /**
   * The endpoint speaks only the OpenAI routes (vLLM, Ollama, LM Studio…), which want the served model's name
   * in every request: this one is added to /v1 requests.
   */
  openAiModel?: string;
  /**
   * The largest request body the engine reads: larger ones are refused here, before tens of MB are encoded and
   * sent for nothing. Hearth's engine says in /props (patch 0012: 512 MB); another llama-server reads 100 MB.
   */
  maxRequestBytes?: number;
}

/** A model an OpenAI-compatible server lists at /v1/models. */
export interface OpenAiModel {
  id: string;
  /** Its context, when the server says (vLLM's `max_model_len`, llama-server's `meta.n_ctx_train`). */
  contextSize?: number;
}

export interface SlotFileResult {
  tokens: number;
  bytes: number;
  ms: number;
}

export class EngineClient {
  /**
   * @param endpoint where the engine is; async so a request made while the supervisor restarts a crashed
   *   engine waits for the new one instead of failing.
   */
  constructor(
    private readonly endpoint: () => EngineEndpoint | Promise<EngineEndpoint>,
    private readonly options: EngineClientOptions = {},
  ) {}

  /**
   * Per slot, the prefix ids it held after the last request this client sent it. A hint only: the engine
   * checks the count and digest and refuses a stale one, and the request is then sent again with the ids.
   */
  private readonly slotIds = new Map<number, readonly number[]>();

  /** `/health` answers 200 once the model is loaded (503 while loading). */
  async health(signal?: AbortSignal): Promise<boolean> {
    try {
      const ep = await this.endpoint();
      const res = await fetch(url(ep, "/health"), { signal, headers: headers(ep) });
      return res.ok;
    } catch {
      return false;
    }
  }

  /** Raw completion on a fully formatted prompt (special tokens parsed), streamed. */
  completion(body: Record<string, unknown>, opts: StreamOptions = {}): Promise<StreamResult> {
    return this.stream("/completion", { response_fields: COMPLETION_RESPONSE_FIELDS, ...body, stream: true }, opts, (event) =>
      typeof event.content === "string" ? event.content : "",
    );
  }

  /**
   * OpenAI-style text completion on a fully formatted prompt, streamed: the completion route of servers that
   * speak only the OpenAI API (no slots, no token ids, no prompt cache control).
   */
  openAiCompletion(body: Record<string, unknown>, opts: StreamOptions = {}): Promise<StreamResult> {
    return this.openAiStream("/v1/completions", body, opts, (choice) => (choice as { text?: unknown } | undefined)?.text);
  }

  /** The models an OpenAI-compatible server serves (GET /v1/models). */
  async openAiModels(signal?: AbortSignal): Promise<OpenAiModel[]> {
    const res = await this.fetch("/v1/models", { method: "GET", signal });
    const json = (await res.json()) as { data?: { id?: unknown; max_model_len?: unknown; meta?: { n_ctx_train?: unknown } }[] };
    return (json.data ?? [])
      .filter((m) => typeof m.id === "string" && m.id !== "")
      .map((m) => {
        const ctx = Number(m.max_model_len ?? m.meta?.n_ctx_train ?? 0);
        return { id: m.id as string, ...(ctx > 0 ? { contextSize: ctx } : {}) };
      });
  }

  /** OpenAI-style chat completion (the model's own chat template applies, media parts allowed), streamed. */
  chat(body: Record<string, unknown>, opts: StreamOptions = {}): Promise<StreamResult> {
    return this.openAiStream("/v1/chat/completions", body, opts, (choice) => (choice as { delta?: { content?: unknown } } | undefined)?.delta?.content);
  }

  /** A streamed /v1 request (with the served model's name when the endpoint wants it) and its text per event. */
  private openAiStream(path: string, body: Record<string, unknown>, opts: StreamOptions, textOfChoice: (choice: unknown) => unknown): Promise<StreamResult> {
    const model = this.options.openAiModel ? { model: this.options.openAiModel } : {};
    return this.stream(path, { ...model, ...body, stream: true, stream_options: { include_usage: true } }, opts, (event) => {
      const text = textOfChoice((event.choices as unknown[] | undefined)?.[0]);
      return typeof text === "string" ? text : "";
    });
  }

  /** Prompt tokens of a chat request as the engine would process it, media tokens included. */
  async countChatTokens(body: Record<string, unknown>, signal?: AbortSignal): Promise<number> {
    const json = (await this.postJson("/v1/chat/completions/input_tokens", body, signal)) as { input_tokens: number };
    return json.input_tokens;
  }

  async tokenize(content: string, signal?: AbortSignal, addSpecial = false): Promise<number[]> {
    const json = (await this.postJson("/tokenize", { content, add_special: addSpecial, parse_special: true }, signal)) as {
      tokens: number[];
    };
    return json.tokens;
  }

  /** Writes slot `id`'s KV cache (and, with Hearth's engine patch, its context checkpoints) to `filename` in the slot directory. */
  async saveSlot(id: number, filename: string, signal?: AbortSignal): Promise<SlotFileResult> {
    const json = (await this.postJson(`/slots/${id}?action=save`, { filename }, signal)) as {
      n_saved: number;
      n_written: number;
      timings?: { save_ms?: number };
    };
    return { tokens: json.n_saved, bytes: json.n_written, ms: json.timings?.save_ms ?? 0 };
  }

  /** Loads a slot file written by {@link saveSlot} into slot `id`, replacing what the slot held. */
  async restoreSlot(id: number, filename: string, signal?: AbortSignal): Promise<SlotFileResult> {
    this.slotIds.delete(id);
    const json = (await this.postJson(`/slots/${id}?action=restore`, { filename }, signal)) as {
      n_restored: number;
      n_read: number;
      timings?: { restore_ms?: number };
    };
    return { tokens: json.n_restored, bytes: json.n_read, ms: json.timings?.restore_ms ?? 0 };
  }

  async props(signal?: AbortSignal): Promise<Record<string, unknown>> {
    const res = await this.fetch("/props", { method: "GET", signal });
    return (await res.json()) as Record<string, unknown>;
  }

  async postJson(path: string, body: unknown, signal?: AbortSignal): Promise<unknown> {
    const slot = (body as { id_slot?: unknown } | undefined)?.id_slot;
    if (typeof slot === "number") this.slotIds.delete(slot);
    const res = await this.fetch(path, {
      method: "POST",
      body: JSON.stringify(body),
      signal,
      headers: { "content-type": "application/json" },
    });
    return res.json();
  }

  /**
   * One HTTP request. If the engine cannot be reached (it died and is being restarted, or the connection was one
   * it had closed), waits for the endpoint again and retries once: the engine never took the request, so the
   * retry is safe.
   */
  private async fetch(path: string, init: RequestInit & { headers?: Record<string, string> }): Promise<Response> {
    const bytes = () => (typeof init.body === "string" ? Buffer.byteLength(init.body) : 0);
    const limit = this.options.maxRequestBytes;
    // (counted only for a body that may be over the limit: a UTF-16 code unit is at most 3 bytes of UTF-8)
    if (limit && typeof init.body === "string" && init.body.length * 3 > limit && bytes() > limit) throw new RequestTooLargeError(bytes(), limit);
    for (let attempt = 0; ; attempt++) {
      const ep = await this.endpoint();
      let res: Response;
      try {
        res = await fetch(url(ep, path), { ...init, headers: headers(ep, init.headers) });
      } catch (err) {
        if (init.signal?.aborted) throw new RequestCancelledError();
        if (attempt === 0 && isConnectionLost(err)) {
          await new Promise((r) => setTimeout(r, 200));
          continue;
        }
        throw new EngineUnreachableError(`The engine at ${ep.baseUrl} is not reachable: ${causeOf(err)}`);
      }
      // (a body under the engine's own limit: something in front of it, a proxy, reads less)
      if (res.status === 413) throw new RequestTooLargeError(bytes());
      if (!res.ok) throw new EngineHttpError(res.status, await errorText(res));
      return res;
    }
  }

  /**
   * Sends a streamed request, naming the prompt's prefix when `named` (the slot held it after this client's last
   * request there). If the slot no longer holds it (another request, a restore, an engine restart) the engine
   * refuses the name and the request goes again with the ids.
   */
  private async open(path: string, body: Record<string, unknown>, signal: AbortSignal | undefined, named: boolean): Promise<{ res: Response; named: boolean }> {
    const send = (slotHolds: boolean) =>
      this.fetch(path, {
        method: "POST",
        body: requestJson(body, this.options.packedPromptIds, slotHolds),
        signal,
        headers: { "content-type": "application/json", accept: "text/event-stream" },
      });
    if (!named) return { res: await send(false), named };
    try {
      return { res: await send(true), named };
    } catch (err) {
      if (!(err instanceof EngineHttpError && /hearth_prompt_slot_prefix/.test(err.message))) throw err;
      return { res: await send(false), named: false };
    }
  }

  private async stream(
    path: string,
    body: Record<string, unknown>,
    opts: StreamOptions,
    textOf: (event: Record<string, unknown>) => string,
  ): Promise<StreamResult> {
    const started = performance.now();
    // Logged once the request is on its way (a workspace-sized prompt takes ms to serialize), in request order.
    setImmediate(() => logPrompt(path, opts.promptText === undefined ? body : { ...body, prompt: opts.promptText, prompt_ids: idsIn(body.prompt) }));
    const slot = typeof body.id_slot === "number" ? body.id_slot : undefined;
    const prefix = body.prompt instanceof MixedPrompt && body.prompt.ids.length > 0 ? body.prompt.ids : undefined;
    let named = !!(this.options.slotPrefix && this.options.packedPromptIds && prefix && slot !== undefined && this.slotIds.get(slot) === prefix);
    if (slot !== undefined) this.slotIds.delete(slot); // unknown until this request ends
    let done = false;
    try {
      const opened = await this.open(path, body, opts.signal, named);
      named = opened.named;
      const res = opened.res;
      let text = "";
      let timings: EngineTimings | undefined;
      let usage: OpenAiUsage | undefined;
      let stopType: string | undefined;
      try {
        for await (const event of sseEvents(res.body!)) {
          if (event.error) throw new EngineHttpError(500, messageOf(event.error));
          if (event.prompt_progress) opts.onPromptProgress?.(promptProgressOf(event.prompt_progress as Record<string, unknown>));
          const piece = textOf(event);
          if (piece) {
            text += piece;
            opts.onText?.(piece);
          }
          if (event.timings) timings = event.timings as EngineTimings;
          if (event.usage) usage = event.usage as OpenAiUsage;
          if (typeof event.stop_type === "string") stopType = event.stop_type;
          const finish = (event.choices as { finish_reason?: string }[] | undefined)?.[0]?.finish_reason;
          if (finish) stopType = finish === "length" ? "limit" : "eos";
        }
      } catch (err) {
        if (opts.signal?.aborted) throw new RequestCancelledError();
        if (err instanceof EngineHttpError) throw err;
        throw new EngineUnreachableError(`The engine closed the stream: ${causeOf(err)}`);
      }
      if (opts.signal?.aborted) throw new RequestCancelledError();
      done = true;
      return { text, stats: toStats(timings ?? fromUsage(usage), stopType, performance.now() - started) };
    } finally {
      // The slot holds the prefix after a request that ended well, and still after a cancelled one that named
      // it (the engine keeps what a new prompt shares with the cache; typing cancels requests all the time).
      if (slot !== undefined && prefix && (done || (named && opts.signal?.aborted))) this.slotIds.set(slot, prefix);
    }
  }
}

function promptProgressOf(p: Record<string, unknown>): PromptProgress {
  return { processed: Number(p.processed) || 0, total: Number(p.total) || 0, cached: Number(p.cache) || 0, ms: Number(p.time_ms) || 0 };
}

/** How many token ids a prompt carries (the rest is text). */
function idsIn(prompt: unknown): number {
  if (prompt instanceof MixedPrompt) return prompt.ids.length + prompt.restIds.length;
  return Array.isArray(prompt) ? prompt.filter((p) => typeof p === "number").length : 0;
}

function url(ep: EngineEndpoint, path: string): string {
  return ep.baseUrl.replace(/\/+$/, "") + path;
}

function headers(ep: EngineEndpoint, extra: Record<string, string> = {}): Record<string, string> {
  return ep.apiKey ? { ...extra, authorization: `Bearer ${ep.apiKey}` } : extra;
}

/**
 * The request never reached a live engine: refused (it is restarting), or sent on a kept-alive connection the
 * engine had already closed. The engine closes a connection idle for 5 s, and a large body (a recording is tens
 * of MB) takes long enough to write that it can go out on one: EPIPE, the engine having read none of it.
 */
function isConnectionLost(err: unknown): boolean {
  const code = (err as { cause?: { code?: string } })?.cause?.code;
  return code === "ECONNREFUSED" || code === "ECONNRESET" || code === "EPIPE" || code === "UND_ERR_SOCKET";
}

/** Token counts of an OpenAI-style answer (servers other than llama-server send no timings). */
interface OpenAiUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
}

function fromUsage(u: OpenAiUsage | undefined): EngineTimings | undefined {
  return u ? { prompt_n: u.prompt_tokens ?? 0, predicted_n: u.completion_tokens ?? 0 } : undefined;
}

function toStats(t: EngineTimings | undefined, stopType: string | undefined, totalMs: number): GenerationStats {
  const cached = t?.cache_n ?? 0;
  const processed = t?.prompt_n ?? 0;
  const stats: GenerationStats = {
    promptTokens: cached + processed,
    cachedTokens: cached,
    processedTokens: processed,
    generatedTokens: t?.predicted_n ?? 0,
    promptMs: t?.prompt_ms ?? 0,
    generationMs: t?.predicted_ms ?? 0,
    tokensPerSecond: t?.predicted_per_second ?? 0,
    totalMs,
    stoppedBy: stopType === "limit" ? "limit" : stopType === "word" ? "stop" : "eos",
  };
  if (t?.draft_n !== undefined || t?.draft_n_skipped !== undefined || t?.draft_n_paused !== undefined) {
    stats.draftTokens = t.draft_n ?? 0;
    stats.draftAccepted = t.draft_n_accepted ?? 0;
    stats.draftSkipped = t.draft_n_skipped ?? 0;
    stats.draftPaused = t.draft_n_paused ?? 0;
  }
  return stats;
}

/** Parses a `text/event-stream` body into its JSON `data:` payloads (`[DONE]` ends it). */
export async function* sseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<Record<string, unknown>> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let boundary: number;
    while ((boundary = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary).replace(/^\r?\n\r?\n/, "");
      const data = block
        .split(/\r?\n/)
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).trimStart())
        .join("\n");
      if (!data) continue;
      if (data === "[DONE]") return;
      yield JSON.parse(data) as Record<string, unknown>;
    }
  }
}

async function errorText(res: Response): Promise<string> {
  const raw = await res.text().catch(() => "");
  try {
    return messageOf((JSON.parse(raw) as { error?: unknown }).error ?? raw);
  } catch {
    return raw || `HTTP ${res.status}`;
  }
}

function messageOf(error: unknown): string {
  if (typeof error === "string") return error;
  if (error && typeof error === "object" && "message" in error) return String((error as { message: unknown }).message);
  return JSON.stringify(error);
}

function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (err as Error)?.message ?? String(err);
}
