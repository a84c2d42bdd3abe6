/**
 * Owns the model lifecycle: settings → local files (download when allowed) → GGUF checks → memory
 * estimate → a supervised engine (or a remote endpoint). Every state change is published as a
 * {@link ModelStatus}; every failure becomes a {@link HearthError} with a code and an actionable sentence.
 */
import { EventEmitter } from "node:events";
import os from "node:os";
import { EngineClient, LLAMA_SERVER_MAX_REQUEST_BYTES, type EngineEndpoint } from "../engine/client";
import { locateEngine } from "../engine/install";
import { HearthFailure, toHearthError } from "../errors";
import { attentionShape, checkpointPlan, estimateMemory, formatBytes, usableKvCacheType } from "../engine/sizing";
import { prefixTokenBudget } from "../workspace/context";
import { EngineSupervisor } from "../engine/supervisor";
import type { DownloadProgress, EngineInfo, HearthError, HearthSettings, ModelFiles, ModelStatus } from "../protocol";
import { checkCompanions, checkGguf, hasFimTokens, type CheckedGguf } from "./check";
import { resolveModelFiles } from "./resolve";

/** Settings whose change needs a new engine process. */
const ENGINE_SETTINGS: (keyof HearthSettings)[] = [
  "model", "mmproj", "drafter", "mtp", "contextSize", "kvCacheType", "gpu", "threads", "modelsDir", "remoteEndpoint", "remoteApiKey",
];

/**
 * The context assumed for an OpenAI-compatible endpoint that does not say (only vLLM's /v1/models does): it
 * bounds the workspace part of each completion prompt, which such a server receives as text every time.
 */
const OPENAI_DEFAULT_CONTEXT = 32768;

export interface LoadedModel {
  client: EngineClient;
  info: EngineInfo;
  files: ModelFiles;
  /** Tokens one request can hold (prompt + answer). */
  contextSize: number;
  /** FIM token texts when the text model has them (native FIM layout). */
  fim?: { prefix: string; suffix: string; middle: string };
  /**
   * The tokenizer splits text into runs of newlines / non-newlines before merging (llama.cpp's "gemma4"
   * pre-tokenizer), so no token spans a line start: the text before the cursor's line can go as ids.
   * Unknown (false) for a remote endpoint.
   */
  tokensSplitAtLines?: boolean;
  /** KV cache type the engine runs with (local engine only). */
  kvCacheType?: string;
  /** The engine build's cache key (local engine only): saved slot files are only valid for it. */
  engineKey?: string;
}

export interface ModelManagerOptions {
  /** The engine's --slot-save-path: where the workspace prefix is persisted. Default: a per-run temp dir. */
  slotDir?: string;
}

export class ModelManager extends EventEmitter<{ status: [ModelStatus]; log: ["info" | "warn" | "error", string, "host" | "engine"] }> {
  private status: ModelStatus;
  private supervisor?: EngineSupervisor;
  private loading?: Promise<LoadedModel>;
  private loaded?: LoadedModel;
  private downloadAbort?: AbortController;

  constructor(
    private settings: HearthSettings,
    private readonly options: ModelManagerOptions = {},
  ) {
    super();
    this.status = { state: "idle", model: settings.model };
  }

  getStatus(): ModelStatus {
    return this.status;
  }

  /** Applies new settings; an engine-affecting change stops the engine (it restarts on next use). */
  async updateSettings(next: HearthSettings): Promise<void> {
    const restart = ENGINE_SETTINGS.some((k) => JSON.stringify(next[k]) !== JSON.stringify(this.settings[k]));
    this.settings = next;
    if (restart) await this.unload();
  }

  getSettings(): HearthSettings {
    return this.settings;
  }

  /** The running engine when there is one; never starts one (ensureLoaded() does). */
  current(): LoadedModel | undefined {
    return this.loaded;
  }

  /** The running engine, starting (and, when allowed, downloading) it on first use. */
  ensureLoaded(): Promise<LoadedModel> {
    if (this.loaded) return Promise.resolve(this.loaded);
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  /** Downloads the configured files (only), reporting progress. */
  async download(onProgress?: (p: DownloadProgress) => void, signal?: AbortSignal): Promise<ModelFiles> {
    this.downloadAbort = new AbortController();
    const abort = () => this.downloadAbort?.abort();
    signal?.addEventListener("abort", abort);
    try {
      return await resolveModelFiles({
        ...this.settings,
        allowDownload: true,
        signal: this.downloadAbort.signal,
        onProgress: (p) => {
          this.setStatus({ state: "downloading", download: p });
          onProgress?.(p);
        },
      });
    } catch (err) {
      this.setStatus({ state: "error", error: toHearthError(err) });
      throw new HearthFailure(toHearthError(err));
    } finally {
      signal?.removeEventListener("abort", abort);
      this.downloadAbort = undefined;
      if (this.status.state === "downloading") this.setStatus({ state: "idle", download: undefined });
    }
  }

  /** Validates files without starting anything. */
  async check(files: ModelFiles): Promise<{ model: CheckedGguf; mmproj?: CheckedGguf; drafter?: CheckedGguf }> {
    const model = await checkGguf(files.model, "model");
    const mmproj = files.mmproj ? await checkGguf(files.mmproj, "mmproj") : undefined;
    const drafter = files.drafter ? await checkGguf(files.drafter, "drafter") : undefined;
    checkCompanions(model, mmproj, drafter);
    return { model, mmproj, drafter };
  }

  async restart(): Promise<LoadedModel> {
    await this.unload();
    return this.ensureLoaded();
  }

  async unload(): Promise<void> {
    const sup = this.supervisor;
    this.supervisor = undefined;
    this.loaded = undefined;
    await sup?.stop();
    if (this.status.state !== "error") this.setStatus({ state: "idle", engine: undefined });
  }

  async dispose(): Promise<void> {
    this.downloadAbort?.abort();
    await this.unload();
  }

  private remoteEndpoint(): EngineEndpoint {
    // "http://box:8000/v1" is how OpenAI-compatible servers are usually given: the routes add /v1 themselves.
    return { baseUrl: this.settings.remoteEndpoint.replace(/\/+$/, "").replace(/\/v1$/, ""), apiKey: this.settings.remoteApiKey || undefined };
  }

  private async load(): Promise<LoadedModel> {
    try {
      return this.settings.remoteEndpoint ? await this.loadRemote() : await this.loadLocal();
    } catch (err) {
      const error = toHearthError(err);
      this.setStatus({ state: "error", error });
      throw new HearthFailure(error);
    }
  }

  private async loadRemote(): Promise<LoadedModel> {
    this.setStatus({ state: "loading", error: undefined });
    const probe = new EngineClient(() => this.remoteEndpoint());
    if (!(await probe.health())) return this.loadOpenAiRemote(probe);
    const props = await probe.props().catch(() => ({}) as Record<string, unknown>);
    const client = new EngineClient(() => this.remoteEndpoint(), { maxRequestBytes: maxRequestBytes(props) });
    const modalities = (props.modalities ?? {}) as { vision?: boolean; audio?: boolean };
    const info: EngineInfo = { kind: "remote", api: "llama-server", restarts: 0, mtp: false, vision: !!modalities.vision, audio: !!modalities.audio, nativeFim: false };
    const ctx = Number((props.default_generation_settings as { n_ctx?: number } | undefined)?.n_ctx ?? 0);
    this.loaded = { client, info, files: { model: this.settings.remoteEndpoint }, contextSize: ctx || Number.MAX_SAFE_INTEGER };
    // (no estimate for a remote model: none of a local one before it may stay)
    this.setStatus({ state: "ready", engine: info, error: undefined, memory: undefined });
    return this.loaded;
  }

  /**
   * An endpoint without llama-server's /health: an OpenAI-compatible server if it lists a model at /v1/models.
   * Whether it takes images or audio is not discoverable there, so media go and the server answers for itself.
   */
  private async loadOpenAiRemote(probe: EngineClient): Promise<LoadedModel> {
    const url = this.settings.remoteEndpoint;
    const models = await probe.openAiModels().catch((err: unknown) => {
      throw new HearthFailure({
        code: "engine-start-failed",
        message:
          `The remote endpoint ${url} answers neither /health (llama-server) nor /v1/models (an OpenAI-compatible server): ` +
          `${(err as Error).message}. Check the URL (the server's root, without /v1) and that the server is running.`,
      });
    });
    const model = models[0];
    if (!model) {
      throw new HearthFailure({ code: "engine-start-failed", message: `The remote endpoint ${url} lists no model at /v1/models.` });
    }
    const client = new EngineClient(() => this.remoteEndpoint(), { openAiModel: model.id });
    const info: EngineInfo = { kind: "remote", api: "openai", remoteModel: model.id, restarts: 0, mtp: false, vision: true, audio: true, nativeFim: false };
    this.log("info", `remote endpoint ${url}: OpenAI-compatible, model ${model.id}${model.contextSize ? ` (${model.contextSize} tokens)` : ""}`);
    this.loaded = { client, info, files: { model: url }, contextSize: model.contextSize ?? OPENAI_DEFAULT_CONTEXT };
    // (no estimate for a remote model: none of a local one before it may stay)
    this.setStatus({ state: "ready", engine: info, error: undefined, memory: undefined });
    return this.loaded;
  }

  private async loadLocal(): Promise<LoadedModel> {
    const s = this.settings;
    this.setStatus({ state: "checking", error: undefined });
    const files = await resolveModelFiles({
      ...s,
      onProgress: (p) => this.setStatus({ state: "downloading", download: p }),
    });
    const checked = await this.check(files);
    const companions = [checked.mmproj, checked.drafter].filter((f): f is CheckedGguf => !!f);
    const parallel = 2;
    const memory = estimateMemory({ model: checked.model, companions, kvCacheType: s.kvCacheType, requestedContext: s.contextSize, parallel });
    this.log("info", `memory: weights ${formatBytes(memory.weightsBytes)} + KV ${formatBytes(memory.kvCacheBytes)} at ${memory.contextSize} tokens; free ${formatBytes(memory.freeBytes)}`);
    if (!memory.fits) {
      this.log("warn", `the model needs about ${formatBytes(memory.totalBytes)} but only ${formatBytes(memory.freeBytes)} is free; it may swap or fail to load`);
    }
    const shape = attentionShape(checked.model);
    const kvCacheType = usableKvCacheType(shape, s.kvCacheType);
    if (kvCacheType !== s.kvCacheType) {
      this.log("warn", `${s.kvCacheType} KV cache needs head sizes that are multiples of 32; this model's are not, so the cache is f16`);
    }
    // Checkpoints let the sliding-window cache roll back to the unchanged part of the workspace prefix; each
    // one is a copy of the sliding layers in RAM, so their number is bounded by memory, spread over the prefix.
    const checkpoints = checkpointPlan(shape, kvCacheType, prefixTokenBudget(memory.contextSize, s.workspace.maxTokens), Math.min(2 * 1024 ** 3, os.totalmem() * 0.08));
    const install = locateEngine({ gpu: s.gpu === "cuda" || s.gpu === "vulkan" ? s.gpu : "cpu" });
    const threads = s.threads > 0 ? s.threads : os.availableParallelism();
    const mtp = s.mtp && !!files.drafter;
    this.setStatus({ state: "loading", files, memory });
    const supervisor = new EngineSupervisor({
      launch: {
        serverPath: install.serverPath,
        files,
        contextSize: memory.contextSize,
        kvCacheType,
        threads,
        parallel,
        mtp,
        gpuLayers: s.gpu === "cpu" ? 0 : 999,
        checkpoints,
      },
      log: (level, line) => this.emit("log", level, line, "engine"),
      slotDir: this.options.slotDir,
    });
    this.supervisor = supervisor;
    const info: EngineInfo = {
      kind: "local",
      version: install.manifest.version,
      restarts: 0,
      mtp,
      vision: !!files.mmproj && hasModality(checked.mmproj, "vision"),
      audio: !!files.mmproj && hasModality(checked.mmproj, "audio"),
      nativeFim: hasFimTokens(checked.model),
      threads,
      backend: install.manifest.gpu ?? "cpu",
    };
    supervisor.on("event", (ev) => {
      if (this.supervisor !== supervisor) return;
      if (ev.type === "ready") this.setStatus({ state: "ready", engine: { ...info, pid: ev.pid, restarts: supervisor.restarts }, error: undefined });
      if (ev.type === "exited" && !ev.expected) {
        this.setStatus({ state: "loading", error: { code: "engine-crashed", message: `The engine stopped unexpectedly (code ${ev.code}, signal ${ev.signal}); restarting it.` } });
      }
      if (ev.type === "failed") this.setStatus({ state: "error", error: { code: "engine-start-failed", message: ev.message } });
    });
    await supervisor.ready();
    // Hearth's engine takes a prompt's token ids packed (patch 0006) and a prefix its slot holds by name
    // (patch 0010); asked, not assumed, so an engine without the patches still gets prompts it reads correctly.
    const props = await new EngineClient(() => supervisor.ready()).props().catch(() => ({}) as Record<string, unknown>);
    const client = new EngineClient(() => supervisor.ready(), {
      packedPromptIds: props.hearth_prompt_ids === true,
      slotPrefix: props.hearth_prompt_slot_prefix === true,
      maxRequestBytes: maxRequestBytes(props),
    });
    this.loaded = {
      client,
      info,
      files,
      contextSize: memory.contextSize,
      fim: info.nativeFim ? fimTokenTexts(checked.model) : undefined,
      tokensSplitAtLines: tokenizerOf(checked.model)?.model === "gemma4",
      kvCacheType,
      engineKey: install.key,
    };
    return this.loaded;
  }

  private setStatus(patch: Partial<ModelStatus>): void {
    this.status = { ...this.status, ...patch, model: this.settings.model };
    if (patch.state && patch.state !== "downloading") delete this.status.download;
    this.emit("status", this.status);
  }

  private log(level: "info" | "warn" | "error", message: string): void {
    this.emit("log", level, message, "host");
  }
}

/** The largest request a llama-server reads: Hearth's engine says so in /props (patch 0012), another reads cpp-httplib's 100 MB. */
function maxRequestBytes(props: Record<string, unknown>): number {
  const said = Number(props.hearth_max_request_bytes);
  return Number.isFinite(said) && said > 0 ? said : LLAMA_SERVER_MAX_REQUEST_BYTES;
}

function hasModality(mmproj: CheckedGguf | undefined, kind: "vision" | "audio"): boolean {
  const clip = (mmproj?.info.metadata as unknown as { clip?: Record<string, unknown> })?.clip;
  return clip?.[`has_${kind}_encoder`] === true || clip?.[kind] !== undefined;
}

function tokenizerOf(model: CheckedGguf): Record<string, unknown> | undefined {
  return model.info.metadata.tokenizer?.ggml as Record<string, unknown> | undefined;
}

function fimTokenTexts(model: CheckedGguf): { prefix: string; suffix: string; middle: string } | undefined {
  const tok = tokenizerOf(model);
  const tokens = tok?.tokens as string[] | undefined;
  if (!tokens) return undefined;
  const text = (k: string) => tokens[Number(tok?.[k])];
  return { prefix: text("fim_pre_token_id"), suffix: text("fim_suf_token_id"), middle: text("fim_mid_token_id") };
}
