/**
 * Hearth's LSP extensions: the one place where the host's custom methods, their parameters, results,
 * streamed progress values and notifications are defined. Imported by the host (server/), the VS Code
 * extension (src/) and the headless CLI, so the three cannot drift.
 *
 * Standard LSP is used wherever it fits:
 * - completions: `textDocument/inlineCompletion` (LSP 3.18), with documents synced by `textDocument/did*`;
 * - streaming: every request below that streams takes a `partialResultToken`; the host sends
 *   `$/progress { token, value }` with a {@link StreamChunk} per piece of generated text;
 * - downloads report `$/progress` work-done begin/report/end on the request's `workDoneToken`;
 * - cancellation: `$/cancelRequest` aborts the HTTP request to the engine, which stops generating.
 *
 * This file must stay free of runtime dependencies other than `vscode-languageserver-protocol` (type-only shapes plus
 * method-name constants), so the extension bundle can import it cheaply.
 */
import { NotificationType, ProgressType, RequestType, RequestType0 } from "vscode-languageserver-protocol";

// ---------------------------------------------------------------------------------------------------
// Settings (sent as `initializationOptions.settings` and with `workspace/didChangeConfiguration`)

export type KvCacheType = "f16" | "q8_0" | "q4_0";
export type GpuChoice = "auto" | "cpu" | "cuda" | "vulkan";

export interface HearthSettings {
  /** `hf:user/repo:QUANT`, `hf:user/repo/file.gguf`, an `https://` URL, or a local GGUF path. */
  model: string;
  /** Multimodal projector: a path/URI, `"auto"` (the hf repo's mmproj sibling) or `""` (none). */
  mmproj: string;
  /** MTP drafter (`gemma4-assistant` GGUF): a path/URI, `"auto"` or `""` (none). */
  drafter: string;
  /** Use the MTP drafter when one is available. */
  mtp: boolean;
  /** Tokens of context; 0 = choose from the model's maximum and free memory (256K when it fits). */
  contextSize: number;
  kvCacheType: KvCacheType;
  gpu: GpuChoice;
  /** CPU threads; 0 = number of physical cores the machine reports. */
  threads: number;
  /** Where downloaded models are stored; "" = `~/.cache/hearth/models`. */
  modelsDir: string;
  /** Download missing `hf:`/URL models without asking (the CLI's `--yes`; the extension asks first). */
  allowDownload: boolean;
  /** A remote OpenAI-compatible / llama-server endpoint instead of the local engine ("" = local). */
  remoteEndpoint: string;
  remoteApiKey: string;
  completion: {
    maxTokens: number;
    multiline: boolean;
    temperature: number;
    /**
     * Answer a keystroke that types out the suggestion being shown, or a context seen recently (backspace,
     * undo), with the completion the engine gave for it, without asking the engine again (default true).
     */
    reuse?: boolean;
  };
  /** The workspace prefix completions and workspace chat carry (see docs/workspace-prefix.md). */
  workspace: WorkspaceSettings;
  /** Standing instructions added to the system prompt of chat, edits and commit messages. */
  instructions: InstructionSettings;
}

export interface InstructionSettings {
  /**
   * Files of each workspace folder read as the project's instructions, relative to the folder; one with no
   * slash is also looked up from the folder of the file in focus upwards (the nearest nested `AGENTS.md`).
   * Left out like the workspace prefix's files: ignored, secret-named, with a key or token in it.
   */
  files: string[];
  /** The developer's own instructions ("answer in German"), before the files'. */
  text: string;
}

export const DEFAULT_INSTRUCTION_FILES: readonly string[] = ["AGENTS.md", ".github/copilot-instructions.md"];

/**
 * Standing instructions that went with a request: the developer's own text (`instructions.text`), or a file,
 * by its path as the workspace shows it (`AGENTS.md`; `<folder>/AGENTS.md` with several folders) and its URI.
 */
export type InstructionsUsed = { kind: "settings" } | { kind: "file"; path: string; uri: string };

export interface WorkspaceSettings {
  /**
   * gitignore-style patterns, relative to the workspace folder, left out on top of .gitignore and the defaults:
   * the window's value, which every folder without an entry in `folderIgnore` takes
   */
  ignore: string[];
  /**
   * Each workspace folder's own patterns, relative to that folder, keyed by the folder's URI as the client's
   * `workspaceFolders` give it (VS Code: the folder's effective `hearth.workspace.ignore`, folder > workspace >
   * user). Optional: a folder without an entry, and every folder when a client does not send it (the CLI, other
   * LSP clients), takes `ignore`.
   */
  folderIgnore?: Record<string, string[]>;
  /** the most tokens the prefix's files may take; 0 = 60 % of the context less 4,096 (the default and maximum) */
  maxTokens: number;
}

export const DEFAULT_MODEL = "hf:giladgd/gemma-4-12B-it-GGUF:Q4_K_M";

export const DEFAULT_SETTINGS: HearthSettings = {
  model: DEFAULT_MODEL,
  mmproj: "auto",
  drafter: "auto",
  mtp: true,
  contextSize: 0,
  kvCacheType: "q8_0",
  gpu: "auto",
  threads: 0,
  modelsDir: "",
  allowDownload: false,
  remoteEndpoint: "",
  remoteApiKey: "",
  completion: { maxTokens: 128, multiline: true, temperature: 0, reuse: true },
  workspace: { ignore: [], maxTokens: 0 },
  instructions: { files: [...DEFAULT_INSTRUCTION_FILES], text: "" },
};

export interface InitializationOptions {
  settings?: Partial<HearthSettings>;
  /** Directory for per-workspace state (the extension passes its storage URI's path). */
  storageDir?: string;
}

// ---------------------------------------------------------------------------------------------------
// Model state

export type ModelState = "idle" | "downloading" | "checking" | "loading" | "ready" | "error";

export interface ModelFiles {
  model: string;
  mmproj?: string;
  drafter?: string;
}

export interface MemoryEstimate {
  /** Bytes of weights (text model + mmproj + drafter). */
  weightsBytes: number;
  /** Bytes of KV cache for the chosen context. */
  kvCacheBytes: number;
  totalBytes: number;
  contextSize: number;
  /** Free memory when estimated. */
  freeBytes: number;
  fits: boolean;
}

export interface EngineInfo {
  kind: "local" | "remote";
  /**
   * What a remote endpoint speaks: llama-server's API (its slots, `/completion`, the workspace prefix kept
   * evaluated) or only the OpenAI routes (`/v1/models`, `/v1/completions`, `/v1/chat/completions`: vLLM,
   * Ollama, LM Studio…), where completions and workspace chat send their whole raw prompt as text (the
   * server's own prefix caching, if any, reuses the workspace part) and workspace chat takes no media.
   * Absent for the local engine (llama-server).
   */
  api?: "llama-server" | "openai";
  /** The model an OpenAI-compatible endpoint serves (the first it lists). */
  remoteModel?: string;
  version?: string;
  pid?: number;
  restarts: number;
  mtp: boolean;
  vision: boolean;
  audio: boolean;
  /** Text model has native FIM tokens (else Hearth's Gemma-turns completion layout is used). */
  nativeFim: boolean;
  threads?: number;
  backend?: string;
}

export interface ModelStatus {
  state: ModelState;
  /** The model setting as given. */
  model: string;
  files?: ModelFiles;
  memory?: MemoryEstimate;
  engine?: EngineInfo;
  download?: DownloadProgress;
  /** Present when state = "error": a sentence that says what went wrong and what to do. */
  error?: HearthError;
}

export interface HearthError {
  code: HearthErrorCode;
  message: string;
}

export type HearthErrorCode =
  | "not-gguf"
  | "truncated-gguf"
  | "wrong-architecture"
  | "mmproj-mismatch"
  | "drafter-mismatch"
  | "file-not-found"
  | "download-failed"
  /** A downloaded file's size or sha256 differs from what the hub lists (it was removed). */
  | "download-corrupt"
  | "download-cancelled"
  | "download-not-allowed"
  | "engine-not-built"
  | "engine-crashed"
  | "engine-start-failed"
  | "no-vision"
  | "no-audio"
  | "unsupported-media"
  /** A workspace chat without a workspace folder. */
  | "no-workspace"
  /** A file Hearth keeps out of every prompt (`.env`, keys, credentials). */
  | "secret-file"
  /** A request about a document the host does not have, or lines outside it. */
  | "invalid-request"
  /** The prompt and the answer would not fit the context (workspace chat: the workspace plus the conversation). */
  | "context-too-long"
  | "media-too-large"
  | "unreadable-media"
  | "insufficient-memory"
  | "cancelled"
  | "internal";

/** JSON-RPC error `data` attached to failed requests: the same code the status carries. */
export interface HearthErrorData {
  hearth: HearthError;
}

export interface DownloadProgress {
  file: string;
  downloadedBytes: number;
  totalBytes: number;
  /** Bytes per second, averaged. */
  speed: number;
  /** Seconds left, estimated. */
  etaSeconds: number;
  fileIndex: number;
  fileCount: number;
}

// ---------------------------------------------------------------------------------------------------
// Generation statistics (the engine's own counters)

export interface GenerationStats {
  promptTokens: number;
  /** Prompt tokens served from the engine's cache (not re-processed). */
  cachedTokens: number;
  /** Prompt tokens actually processed for this request. */
  processedTokens: number;
  generatedTokens: number;
  promptMs: number;
  generationMs: number;
  tokensPerSecond: number;
  /** MTP drafter counters for this request (absent when no drafter ran). */
  draftTokens?: number;
  draftAccepted?: number;
  /** Tokens decoded without drafting because the last drafts were all refuted (the engine backs off). */
  draftSkipped?: number;
  /**
   * Tokens decoded without drafting to time a plain step, or because drafting cost more time per token than
   * plain steps on this machine (the engine pauses it and times it again later).
   */
  draftPaused?: number;
  /** Wall-clock time seen by the host, request to last token. */
  totalMs: number;
  /** `limit`: at maxTokens (an answer can be continued); `context`: the model's context was full. */
  stoppedBy: "eos" | "limit" | "stop" | "cancelled" | "context";
  /** Set when the host answered without the engine (see server/completion/reuse.ts); the counters are 0. */
  reused?: "type-through" | "recent";
  /** Chat: the tokens the request could hold (the local engine's context), to say how full the conversation is. */
  contextSize?: number;
}

/** One streamed piece of a chat / explain / summarize answer. */
export interface StreamChunk {
  text: string;
  /**
   * `hearth/editCode` only: the new lines as they would go in, read from the answer so far (each replaces the
   * one before; sent at most every 100 ms), so the editor can show the edit taking shape.
   */
  code?: string;
  /**
   * `hearth/summarizeAudio` and `hearth/explainImage`: how far the engine is through the prompt (with `text`
   * empty), sent as it evaluates it. A recording is tens of thousands of tokens: minutes before the first word
   * of the answer on a laptop CPU.
   */
  prompt?: PromptProgress;
}

export interface PromptProgress {
  /** Prompt tokens in the engine so far, of `total` (`cached` of them were in its cache already). */
  processed: number;
  total: number;
  cached: number;
  /** Time spent on the prompt so far. */
  ms: number;
  /** A recording summarized in parts (longer than the context): the part being listened to, of `parts`; the counts are over all of them. */
  part?: number;
  parts?: number;
  /** A recording in parts: the part's prompt is in, and its notes are being written (characters so far). */
  notes?: number;
}

export const streamProgress = new ProgressType<StreamChunk>();

// ---------------------------------------------------------------------------------------------------
// Chat

export type ChatContentPart =
  | { type: "text"; text: string }
  /** Base64 data and its MIME type (image/png, image/jpeg, image/webp, image/gif, image/bmp). */
  | { type: "image"; data: string; mimeType: string }
  /** Base64 audio (wav, mp3, flac) and its MIME type. */
  | { type: "audio"; data: string; mimeType: string };

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string | ChatContentPart[];
}

export interface ChatParams {
  /**
   * The conversation, ending with the user message to answer; or with an assistant message to continue (an
   * answer that stopped at `maxTokens`, `stoppedBy: "limit"`): the model goes on from its last character and
   * the result's text is only what follows. (A remote endpoint other than llama-server may answer anew.)
   */
  messages: ChatMessage[];
  /**
   * Answer with the workspace as context: the host puts the same gitignore-aware, secret-free workspace
   * prefix that inline completions keep evaluated (plus the chunks of the file being edited) in front of the
   * conversation and reuses its evaluated cache (restored from the saved prefix into the chat slot) instead
   * of re-reading it. Image and audio parts go with it (as in a plain chat: `no-vision` / `no-audio` without a
   * projector for them). Needs a workspace folder and a Gemma 4 model (not a native-FIM one); otherwise it
   * fails with a sentence saying so.
   */
  workspace?: boolean;
  /**
   * The file the conversation is about (a document URI; VS Code: the editor in focus at its first question):
   * only its workspace folder's standing instructions go with it, and the nested `AGENTS.md` nearest to it.
   * Send the same one for the whole conversation: its prompt then stays a cache hit, and Continue goes on
   * under the same rules. Without it: every workspace folder's instructions, no nested ones.
   */
  focus?: string;
  /**
   * `false`: no standing instructions (a caller with its own system prompt, such as another extension through
   * VS Code's language model API). Default: the project's and the user's go with it.
   */
  instructions?: boolean;
  maxTokens?: number;
  temperature?: number;
  seed?: number;
  partialResultToken?: string | number;
}

export interface ChatResult {
  text: string;
  stats: GenerationStats;
  /** Tokens the engine produced for images/audio in the request (0 when none). */
  mediaTokens: number;
  /** The standing instructions the host added to the system prompt (`settings.instructions`); absent when none. */
  instructions?: InstructionsUsed[];
}

export const ChatRequest = new RequestType<ChatParams, ChatResult, HearthErrorData>("hearth/chat");

/** A text, or chat messages (as the chat template lays them out), to count the tokens of. */
export interface CountTokensParams {
  text?: string;
  messages?: ChatMessage[];
}

export interface CountTokensResult {
  tokens: number;
  /**
   * True when the engine's tokenizer counted them. False for an estimate (4 characters a token, an image 300):
   * while no model is loaded (counting does not load one), on an OpenAI-API endpoint, for images.
   */
  exact: boolean;
}

/** Tokens of a text or messages for the loaded model (VS Code's language model API asks before it sends). */
export const CountTokensRequest = new RequestType<CountTokensParams, CountTokensResult, HearthErrorData>("hearth/countTokens");

// ---------------------------------------------------------------------------------------------------
// Edit (inline edit of a selection)

export interface EditCodeParams {
  /** The document: open and synced (`textDocument/did*`); a notebook cell's too. */
  textDocument: { uri: string };
  /**
   * The whole lines to change, zero-based, end exclusive. An empty range (`startLine === endLine`) asks for
   * new code to insert before `startLine`.
   */
  startLine: number;
  endLine: number;
  /** What to do ("add error handling", "convert to async/await", "write a function that…"). */
  instruction: string;
  /**
   * Answer with the workspace as context, on top of the same evaluated prefix as workspace chat (default: when
   * a folder is open and the model is a Gemma 4 one; the file around the lines is always in the prompt).
   */
  workspace?: boolean;
  maxTokens?: number;
  /** Default 0.2: an edit wants the likeliest code, not variety. */
  temperature?: number;
  seed?: number;
  partialResultToken?: string | number;
}

export interface EditCodeResult {
  /**
   * The new lines for [startLine, endLine) as they go into the file: the answer's code block, without context
   * lines the model repeated, re-indented to the place ("" deletes the lines).
   */
  code: string;
  /** The model's whole answer. */
  text: string;
  /** Whether the workspace was in the prompt. */
  workspace: boolean;
  stats: GenerationStats;
  /** The standing instructions in the prompt, as ChatResult's. */
  instructions?: InstructionsUsed[];
}

export const EditCodeRequest = new RequestType<EditCodeParams, EditCodeResult, HearthErrorData>("hearth/editCode");

// ---------------------------------------------------------------------------------------------------
// Commit message

export interface CommitMessageParams {
  /** The commit's changes as `git diff` prints them (staged: `git diff --cached`). */
  diff: string;
  /** The repository's last commit subjects, newest first: the message follows their style. */
  recentSubjects?: string[];
  /**
   * The repository's folder (a path or file:// URI): its own instructions files go with the diff, read with the
   * rules of the workspace folder it is in (outside every folder: only when there are none, as for the CLI).
   * Without it, every workspace folder's.
   */
  repository?: string;
  maxTokens?: number;
  /** Default 0.3. */
  temperature?: number;
  seed?: number;
  partialResultToken?: string | number;
}

export interface CommitMessageResult {
  /** The message: a subject line, and maybe a blank line and a body. */
  message: string;
  /** The model's whole answer. */
  text: string;
  /** Files whose changes were not shown to the model: a secrets file (`secret`), changes with what looks like a key or token (`key`), changes too long, or over the budget. */
  omitted: { path: string; reason: "secret" | "key" | "long" | "budget" }[];
  stats: GenerationStats;
  /** The standing instructions in the prompt, as ChatResult's. */
  instructions?: InstructionsUsed[];
}

export const CommitMessageRequest = new RequestType<CommitMessageParams, CommitMessageResult, HearthErrorData>("hearth/commitMessage");

// ---------------------------------------------------------------------------------------------------
// Media

export interface ExplainImageParams {
  /** A file path on the host's machine, or inline data. */
  path?: string;
  data?: string;
  mimeType?: string;
  /** What to ask about the image; defaults to explaining the UI in the screenshot. */
  question?: string;
  maxTokens?: number;
  temperature?: number;
  seed?: number;
  partialResultToken?: string | number;
}

export interface MediaResult {
  text: string;
  stats: GenerationStats;
  /** Tokens the engine produced for the media (image patches / audio frames). */
  mediaTokens: number;
}

export const ExplainImageRequest = new RequestType<ExplainImageParams, MediaResult, HearthErrorData>(
  "hearth/explainImage",
);

export interface SummarizeAudioParams {
  path: string;
  /** Extra instructions (e.g. names of the people in the meeting). */
  instructions?: string;
  maxTokens?: number;
  temperature?: number;
  seed?: number;
  partialResultToken?: string | number;
}

export interface SummarizeAudioResult extends MediaResult {
  /** The summary as a Markdown document. */
  markdown: string;
  durationSeconds: number;
  /** 1, or how many parts a recording longer than the context was summarized in (each written up, then merged). */
  parts: number;
}

export const SummarizeAudioRequest = new RequestType<SummarizeAudioParams, SummarizeAudioResult, HearthErrorData>(
  "hearth/summarizeAudio",
);

// ---------------------------------------------------------------------------------------------------
// Model management

export const ModelStatusRequest = new RequestType0<ModelStatus, HearthErrorData>("hearth/modelStatus");

/** Sent whenever the model state changes (download progress included). */
export const ModelStatusNotification = new NotificationType<ModelStatus>("hearth/modelStatusChanged");

export interface DownloadModelParams {
  /** Defaults to the configured model (+ its mmproj / drafter). */
  model?: string;
  workDoneToken?: string | number;
}

export const DownloadModelRequest = new RequestType<DownloadModelParams, ModelFiles, HearthErrorData>(
  "hearth/downloadModel",
);

export interface CheckModelParams {
  model: string;
  mmproj?: string;
  drafter?: string;
}

export interface ModelCheckReport {
  ok: boolean;
  files: { role: "model" | "mmproj" | "drafter"; path: string; architecture?: string; sizeBytes: number; error?: HearthError }[];
  memory?: MemoryEstimate;
}

export const CheckModelRequest = new RequestType<CheckModelParams, ModelCheckReport, HearthErrorData>(
  "hearth/checkModel",
);

/** Ensure the engine is running with the configured model (download only if allowed). */
export const LoadModelRequest = new RequestType0<ModelStatus, HearthErrorData>("hearth/loadModel");

export const RestartEngineRequest = new RequestType0<ModelStatus, HearthErrorData>("hearth/restartEngine");

/** One line of engine (llama-server) or host log, for the client's output channel. */
export interface LogParams {
  source: "host" | "engine";
  level: "info" | "warn" | "error";
  message: string;
}
export const LogNotification = new NotificationType<LogParams>("hearth/log");

/** Sent after every inline completion: what the status bar shows. */
export interface CompletionStatsParams {
  uri: string;
  stats: GenerationStats;
  /** Host-side time spent building the prompt. */
  layoutMs: number;
}
export const CompletionStatsNotification = new NotificationType<CompletionStatsParams>("hearth/completionStats");

/**
 * Sent instead of `hearth/completionStats` when an inline completion failed (the engine stopped, the code around
 * the cursor is more than the context…): the request itself answers with no items, since a client would show a
 * failed `textDocument/inlineCompletion` as a raw error on every keystroke (vscode-languageclient does, as a
 * toast). The client shows the sentence where it shows completion state (VS Code: the status bar, until the next
 * completion that runs). A cancelled completion still fails as RequestCancelled and sends nothing.
 */
export interface CompletionFailedParams {
  uri: string;
  error: HearthError;
}
export const CompletionFailedNotification = new NotificationType<CompletionFailedParams>("hearth/completionFailed");

/**
 * The workspace prefix the host keeps evaluated in the engine for completions (and workspace chat): sent when
 * a warm-up starts and when it ends, for the status bar tooltip.
 */
export interface WorkspacePrefixParams {
  /** "warming": being restored / evaluated; "ready": in the engine's cache; "failed": see `message`. */
  state: "warming" | "ready" | "failed";
  /** Tokens of workspace context in the engine's cache (the last known value while warming). */
  tokens: number;
  /** While a warm-up evaluates it in steps: the prefix's size when done (`tokens` is the part in the cache). */
  targetTokens?: number;
  /** Workspace chunks (file pieces) in it. */
  chunks: number;
  /** Tokens the last warm-up had to evaluate (the rest came from the cache or the saved file). */
  evaluatedTokens?: number;
  evaluateMs?: number;
  /** Tokens loaded from the saved cache file when this engine started, and how long that took. */
  restoredTokens?: number;
  restoreMs?: number;
  /** Why the saved cache was not used at the last engine start, when it was not. */
  notRestored?: string;
  /** When the prefix was last saved to disk (ISO 8601) and its size. */
  savedAt?: string;
  savedBytes?: number;
  message?: string;
}
export const WorkspacePrefixNotification = new NotificationType<WorkspacePrefixParams>("hearth/workspacePrefix");

/**
 * Client → host: the editor switched to this document, or its cursor moved there without typing (a click, a
 * jump; the client debounces). The host brings the workspace prefix to the one the document's completions use
 * right away (off the keystroke path) instead of at its first completion: the file edited before is now part
 * of that prefix and gets evaluated while the user reads. With `position` it then evaluates the whole
 * completion prompt at that cursor too, so the first keystroke there costs only what it typed.
 */
export interface ActiveEditorParams {
  uri: string;
  /** The cursor (zero-based line and UTF-16 character, as LSP positions). */
  position?: { line: number; character: number };
}
export const ActiveEditorNotification = new NotificationType<ActiveEditorParams>("hearth/activeEditor");
