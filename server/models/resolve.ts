/**
 * Turns the model settings (hf: URIs, URLs or local paths) into local GGUF files, downloading through
 * node-llama-cpp's downloader (resumable, cancellable, with progress). For an `hf:user/repo:QUANT` model the
 * projector and the MTP drafter are found among the repository's files the way llama.cpp's own `-hf` does:
 * a sibling whose name contains "mmproj", and one whose name marks an MTP/assistant drafter.
 */
import { createModelDownloader } from "node-llama-cpp";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { DownloadProgress, ModelFiles } from "../protocol";
import { ModelCheckError } from "./check";
import { defaultModelsDir, expandHome, modelsFolder } from "./folder";

export interface ResolveOptions {
  model: string;
  mmproj: string;
  drafter: string;
  modelsDir: string;
  allowDownload: boolean;
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
  /** Hugging Face endpoint (tests point it at a local fixture server). */
  hfEndpoint?: string;
  /** A failed download attempt that will be retried (see {@link DownloadOptions.onRetry}). */
  onRetry?: (message: string) => void;
}

/** A remote file planned from the hub's listing carries what the listing says of it (size, sha256). */
type Source = { kind: "local"; path: string } | { kind: "remote"; uri: string; dest: string; hub?: RepoFile };

export { defaultModelsDir, modelsFolder };

export function hfEndpoint(explicit?: string): string {
  const e = explicit || process.env.HF_ENDPOINT || process.env.MODEL_ENDPOINT || "https://huggingface.co/";
  return e.endsWith("/") ? e : e + "/";
}

export function isRemote(spec: string): boolean {
  return spec.startsWith("hf:") || /^https?:\/\//.test(spec);
}

/** Where files would be saved and what would be fetched, without downloading anything. */
export async function planModelFiles(opts: ResolveOptions): Promise<Record<keyof ModelFiles, Source | undefined>> {
  const modelsDir = modelsFolder(opts.modelsDir);
  const endpoint = hfEndpoint(opts.hfEndpoint);
  const model = opts.model.trim();
  const hf = parseHf(model);
  let listing: RepoFile[] | undefined;
  const list = async () => (listing ??= hf ? await listRepo(endpoint, hf.repo, opts.signal) : []).map((f) => f.path);

  const planOne = (spec: string, repoFile?: string): Source | undefined => {
    if (repoFile && hf) {
      return { kind: "remote", uri: `hf:${hf.repo}/${repoFile}`, dest: path.join(modelsDir, hf.repo, repoFile), hub: listing?.find((f) => f.path === repoFile) };
    }
    if (!spec) return undefined;
    if (spec.startsWith("hf:")) {
      const p = parseHf(spec);
      if (!p?.file) throw new ModelCheckError("file-not-found", `${spec}: name a file (hf:user/repo/file.gguf) for this setting.`);
      return { kind: "remote", uri: spec, dest: path.join(modelsDir, p.repo, p.file) };
    }
    if (/^https?:\/\//.test(spec)) {
      const name = decodeURIComponent(new URL(spec).pathname.split("/").pop() || "model.gguf");
      return { kind: "remote", uri: spec, dest: path.join(modelsDir, "url", name) };
    }
    return { kind: "local", path: path.resolve(expandHome(spec)) };
  };

  let modelSource: Source;
  if (hf && !hf.file) {
    const file = pickModelFile(await list(), hf.quant);
    if (!file) {
      throw new ModelCheckError(
        "file-not-found",
        `${model}: no ${hf.quant ?? "Q4_K_M"} GGUF in ${hf.repo}. Check the quantization name (e.g. Q4_K_M, Q8_0).`,
      );
    }
    modelSource = planOne("", file)!;
  } else {
    modelSource = planOne(model)!;
  }
  const modelFile = modelSource.kind === "remote" ? modelSource.dest : modelSource.path;
  const companion = async (setting: string, keyword: RegExp): Promise<Source | undefined> => {
    if (setting !== "auto") return planOne(setting);
    if (hf) {
      const file = pickSibling(await list(), modelFile, keyword);
      return file ? planOne("", file) : undefined;
    }
    // A local model: its companions are the matching GGUFs in the same folder.
    if (modelSource.kind !== "local") return undefined;
    const dir = path.dirname(modelSource.path);
    const local = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".gguf")) : [];
    const file = pickSibling(local, path.basename(modelSource.path), keyword);
    return file ? { kind: "local", path: path.join(dir, file) } : undefined;
  };
  return {
    model: modelSource,
    mmproj: await companion(opts.mmproj, /mmproj/i),
    drafter: await companion(opts.drafter, /(^|[-_/.])(mtp-|assistant)/i),
  };
}

/** Local paths of the model files, downloading what is missing (when allowed). */
export async function resolveModelFiles(opts: ResolveOptions): Promise<ModelFiles> {
  const plan = await planModelFiles(opts);
  const sources = (Object.entries(plan) as [keyof ModelFiles, Source | undefined][]).filter(([, s]) => s);
  const toFetch = sources.filter(([, s]) => s!.kind === "remote" && !fs.existsSync((s as { dest: string }).dest));
  if (toFetch.length && !opts.allowDownload) {
    const names = toFetch.map(([, s]) => (s as { uri: string }).uri).join(", ");
    throw new ModelCheckError(
      "download-not-allowed",
      `The model is not downloaded yet (${names}). Download it first (hearth models pull, or "Hearth: Download Model").`,
    );
  }
  const files: Partial<ModelFiles> = {};
  const listings = new Map<string, Promise<RepoFile[] | undefined>>();
  let index = 0;
  for (const [role, source] of sources) {
    if (source!.kind === "local") {
      files[role] = source!.path;
      continue;
    }
    const remote = source as Extract<Source, { kind: "remote" }>;
    if (!fs.existsSync(remote.dest)) {
      const expected = remote.hub ?? (await hubEntry(remote.uri, opts, listings));
      await downloadFile(remote.uri, remote.dest, {
        signal: opts.signal,
        hfEndpoint: hfEndpoint(opts.hfEndpoint),
        onProgress: (p) => opts.onProgress?.({ ...p, fileIndex: index, fileCount: toFetch.length }),
        onRetry: opts.onRetry,
      });
      if (expected) await verifyDownload(remote.uri, remote.dest, expected);
      index++;
    }
    files[role] = remote.dest;
  }
  return files as ModelFiles;
}

/** A file of a hub repository as its tree listing shows it: LFS files (every GGUF) carry their sha256. */
interface RepoFile {
  path: string;
  size?: number;
  sha256?: string;
}

/**
 * What the hub lists for an `hf:` file named in the settings (size, sha256), to check the download against;
 * undefined for a plain URL or when the listing cannot be had (the download itself then says what is wrong).
 */
async function hubEntry(uri: string, opts: ResolveOptions, listings: Map<string, Promise<RepoFile[] | undefined>>): Promise<RepoFile | undefined> {
  const ref = parseHf(uri);
  if (!ref?.file) return undefined;
  let listing = listings.get(ref.repo);
  if (!listing) listings.set(ref.repo, (listing = listRepo(hfEndpoint(opts.hfEndpoint), ref.repo, opts.signal).catch(() => undefined)));
  return (await listing)?.find((f) => f.path === ref.file);
}

/**
 * Checks a finished download against the hub's size and sha256, so a file damaged on the way (a proxy, a
 * resumed transfer gone wrong) is never loaded as a model: a GGUF with wrong tensor bytes still parses, and the
 * model would answer garbage. A damaged file is removed (resuming it cannot mend it) with an error that says so.
 */
export async function verifyDownload(uri: string, dest: string, expected: Pick<RepoFile, "size" | "sha256">): Promise<void> {
  if (expected.size !== undefined) trimProgressRecord(dest, expected.size);
  const size = fs.statSync(dest).size;
  let problem: string | undefined;
  if (expected.size !== undefined && size !== expected.size) problem = `${size} bytes instead of ${expected.size}`;
  else if (expected.sha256) {
    const hash = crypto.createHash("sha256");
    for await (const chunk of fs.createReadStream(dest, { highWaterMark: 4 << 20 })) hash.update(chunk as Buffer);
    const got = hash.digest("hex");
    const want = expected.sha256.toLowerCase();
    if (got !== want) problem = `sha256 ${got.slice(0, 12)}… instead of ${want.slice(0, 12)}…`;
  }
  if (!problem) return;
  fs.rmSync(dest, { force: true });
  throw new ModelCheckError("download-corrupt", `Download of ${uri} arrived damaged (${problem}); the file was removed. Download it again.`);
}

/**
 * The downloader (ipull) keeps its progress record (JSON) after the data until it finishes, saves it without
 * awaiting the save, and truncates at the end: a record written as the download finishes can land after that
 * truncate (seen as a flaky download test under load). Whole data with such a record behind it is cut back to
 * `size` bytes; anything else is left for the checks to judge.
 */
function trimProgressRecord(file: string, size: number): void {
  if (!(size > 0)) return;
  const actual = fs.statSync(file).size;
  if (actual > size && isProgressRecord(file, size, actual)) fs.truncateSync(file, size);
}

/** Whether the bytes of `file` from `start` to `end` are one JSON object (the downloader's progress record). */
function isProgressRecord(file: string, start: number, end: number): boolean {
  if (end - start > 1 << 20) return false;
  const fd = fs.openSync(file, "r");
  try {
    const tail = Buffer.alloc(end - start);
    fs.readSync(fd, tail, 0, tail.length, start);
    const value: unknown = JSON.parse(tail.toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value);
  } catch {
    return false;
  } finally {
    fs.closeSync(fd);
  }
}

export interface DownloadOptions {
  signal?: AbortSignal;
  hfEndpoint?: string;
  onProgress?: (p: Omit<DownloadProgress, "fileIndex" | "fileCount">) => void;
  /**
   * A failed attempt that will be tried again, as a sentence. Default: a `download: …` line on stderr, which
   * the host forwards as a log line (the CLI shows these even without --verbose).
   */
  onRetry?: (message: string) => void;
}

/** Attempts at a file's first response before giving up (transient failures only: a DNS miss is final at once). */
export const CONNECT_ATTEMPTS = 3;
/** Failed requests in a row, with no byte arriving in between, before a running download gives up. */
export const STALLED_ATTEMPTS = 8;
/** How long one attempt at a file's first response may take. */
const CONNECT_TIMEOUT_MS = 30_000;

/**
 * Downloads one file with node-llama-cpp's downloader into `dest`. A partial download is kept on failure or
 * cancellation, so the next attempt resumes where it stopped.
 *
 * The downloader (ipull) retries a failed request 150 times with up to 5 s between attempts (≈ 12 minutes) and
 * says nothing meanwhile, and its first request is made before it can be cancelled: an unreachable host looked
 * like a hang. So the file's URL is probed first (a few attempts, a DNS miss or a 404 fails at once, with a
 * sentence naming the host), and a running download gives up after {@link STALLED_ATTEMPTS} failed requests in a
 * row with no progress; each retry is reported through `onRetry`.
 */
export async function downloadFile(uri: string, dest: string, opts: DownloadOptions = {}): Promise<string> {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const onRetry = opts.onRetry ?? ((m: string) => process.stderr.write(`download: ${m}\n`));
  const name = path.basename(dest);
  // Show the file at once, before the first byte (a slow or failing connection is otherwise silent).
  opts.onProgress?.({ file: name, totalBytes: 0, downloadedBytes: 0, speed: 0, etaSeconds: 0 });
  const url = downloadUrl(uri, opts.hfEndpoint);
  if (url) await probeUrl(url, uri, name, opts.signal, onRetry);
  const stall = new AbortController();
  let stalled: Error | undefined;
  let failedInARow = 0;
  let lastBytes = 0;
  try {
    // Its first request retries on its own where nothing can stop it (see watchRequests): bounded here.
    let infoTimer: NodeJS.Timeout | undefined;
    const downloader = await Promise.race([
      new Promise<never>((_, reject) => {
        infoTimer = setTimeout(() => reject(new Error(`no answer from ${url?.origin ?? uri} within ${(2 * CONNECT_TIMEOUT_MS) / 1000} s`)), 2 * CONNECT_TIMEOUT_MS);
      }),
      createModelDownloader({
      modelUri: uri,
      dirPath: path.dirname(dest),
      fileName: name,
      deleteTempFileOnCancel: false,
      skipExisting: true,
      endpoints: opts.hfEndpoint ? { huggingFace: opts.hfEndpoint } : undefined,
      onProgress: ({ totalSize, downloadedSize, estimatedTimeLeft, averageSpeed }) => {
        if (downloadedSize > lastBytes) {
          lastBytes = downloadedSize;
          failedInARow = 0;
        }
        opts.onProgress?.({
          file: name,
          totalBytes: totalSize,
          downloadedBytes: downloadedSize,
          speed: averageSpeed,
          etaSeconds: estimatedTimeLeft / 1000,
        });
      },
      }),
    ]).finally(() => clearTimeout(infoTimer));
    let giveUp!: (err: Error) => void;
    const stalledOut = new Promise<never>((_, reject) => (giveUp = reject));
    stalledOut.catch(() => undefined);
    const watched = watchRequests(downloader, (error) => {
      failedInARow++;
      if (failedInARow < STALLED_ATTEMPTS) {
        onRetry(`${name}: attempt ${failedInARow} of ${STALLED_ATTEMPTS} failed (${describeNetworkError(error)}); retrying`);
        return;
      }
      stalled ??= error;
      stall.abort();
      giveUp(error);
    });
    const signal = opts.signal ? AbortSignal.any([opts.signal, stall.signal]) : stall.signal;
    // ipull's retry loop does not look at cancellation: stop it here (see watchRequests).
    signal.addEventListener("abort", () => watched.stop(), { once: true });
    const file = await Promise.race([downloader.download({ signal }), stalledOut]);
    if (stalled) throw stalled;
    trimProgressRecord(dest, downloader.totalSize);
    return file;
  } catch (err) {
    if (opts.signal?.aborted) {
      throw new ModelCheckError("download-cancelled", `Download of ${uri} cancelled; the partial file is kept and will resume.`);
    }
    if (stalled) {
      throw new ModelCheckError(
        "download-failed",
        `Download of ${uri} stopped: ${STALLED_ATTEMPTS} requests in a row failed (${describeNetworkError(stalled)}). ` +
          `Check the network (or the endpoint) and run the download again; it resumes.`,
      );
    }
    throw new ModelCheckError(
      "download-failed",
      `Download of ${uri} failed: ${(err as Error).message}. Check the network (or the endpoint) and run the download again; it resumes.`,
    );
  }
}

/** The http(s) URL a model URI downloads from (`hf:user/repo/file.gguf` → the hub's resolve URL). */
function downloadUrl(uri: string, endpoint?: string): URL | undefined {
  try {
    if (/^https?:\/\//.test(uri)) return new URL(uri);
    const ref = parseHf(uri);
    const revision = /#(.+)$/.exec(uri)?.[1] ?? "main";
    if (ref?.file) return new URL(`${ref.repo}/resolve/${encodeURIComponent(revision)}/${ref.file.split("/").map(encodeURIComponent).join("/")}`, hfEndpoint(endpoint));
  } catch {
    // not a URL the probe understands: the downloader says what is wrong
  }
  return undefined;
}

/** Network errors that do not get better by trying again a second later. */
const FINAL_NETWORK_ERRORS = new Set(["ENOTFOUND", "EAI_NONAME", "EAI_FAIL", "ERR_INVALID_URL", "CERT_HAS_EXPIRED", "DEPTH_ZERO_SELF_SIGNED_CERT", "ERR_TLS_CERT_ALTNAME_INVALID", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "SELF_SIGNED_CERT_IN_CHAIN"]);

/**
 * Checks that `url` answers before the downloader starts: an unreachable host (DNS miss, connection refused,
 * timeout) or a missing file fails here in about a second, with a sentence that names the host. Transient
 * failures (refused, reset, timeout, a 5xx / 429) are tried {@link CONNECT_ATTEMPTS} times; 401/403 go on to the
 * downloader, which tries the user's Hugging Face token.
 */
async function probeUrl(url: URL, uri: string, name: string, signal: AbortSignal | undefined, onRetry: (m: string) => void): Promise<void> {
  let problem = "";
  for (let attempt = 1; attempt <= CONNECT_ATTEMPTS; attempt++) {
    let status: number | undefined;
    let statusText = "";
    let final = false;
    try {
      const timeout = AbortSignal.timeout(CONNECT_TIMEOUT_MS);
      const res = await fetch(url, { method: "HEAD", redirect: "follow", headers: { "user-agent": "hearth" }, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
      status = res.status;
      statusText = res.statusText;
      if (res.status < 500 && res.status !== 429 && res.status !== 404 && res.status !== 410) return;
    } catch (err) {
      if (signal?.aborted) {
        throw new ModelCheckError("download-cancelled", `Download of ${uri} cancelled; the partial file is kept and will resume.`);
      }
      problem = describeNetworkError(err);
      final = FINAL_NETWORK_ERRORS.has(networkErrorCode(err) ?? "");
    }
    if (status === 404 || status === 410) {
      throw new ModelCheckError(
        "file-not-found",
        `Cannot download ${uri}: ${url.origin} has no such file (${status}${statusText ? " " + statusText : ""}). Check the ${uri.startsWith("hf:") ? "repository and file name" : "URL"}.`,
      );
    }
    if (status !== undefined) problem = `${url.origin} answered ${status}${statusText ? " " + statusText : ""}`;
    if (final || attempt === CONNECT_ATTEMPTS) break;
    onRetry(`${name}: attempt ${attempt} of ${CONNECT_ATTEMPTS} to reach ${url.origin} failed (${problem}); retrying`);
    await new Promise((r) => setTimeout(r, 500 * attempt));
  }
  throw new ModelCheckError(
    "download-failed",
    `Cannot reach ${url.origin}/ to download ${name}: ${problem}. Check the network and the ${uri.startsWith("hf:") ? "endpoint" : "URL"}, or use a local GGUF path.`,
  );
}

function networkErrorCode(err: unknown): string | undefined {
  const e = err as { code?: string; cause?: { code?: string } };
  return e?.cause?.code ?? e?.code;
}

/** `getaddrinfo ENOTFOUND example.invalid` rather than fetch's bare "fetch failed". */
function describeNetworkError(err: unknown): string {
  const e = err as Error & { cause?: Error & { code?: string } };
  if (e?.name === "TimeoutError") return `no answer within ${CONNECT_TIMEOUT_MS / 1000} s`;
  const cause = e?.cause;
  if (cause?.message) return cause.message;
  return e?.message ?? String(err);
}

/**
 * Calls `onError` for every failed request of a running download, and `stop()` ends its retries.
 * node-llama-cpp does not expose the downloader's retries, and ipull's retry loop never checks for
 * cancellation (a transfer failing before its first byte retries ~150 times, ≈ 12 minutes, after a cancel), so
 * this reaches into ipull's fetch stream (pinned node-llama-cpp 3.22.1 / ipull 3.9): its `errorCountIncreased`
 * event, and each transfer's request, which fails as aborted once stopped (ipull then ends that transfer).
 * If that shape changes, downloads still work, just without the limit.
 */
function watchRequests(downloader: unknown, onError: (error: Error) => void): { stop(): void } {
  type Sub = { fetchWithoutRetryChunks?: (cb: unknown) => Promise<unknown> };
  type Stream = { on?: (event: string, cb: (count: number, error: Error) => void) => void; withSubState?: (state: unknown) => Sub };
  let stopped = false;
  const files = (downloader as { _specificFileDownloaders?: { _fileEngineOptions?: { fetchStream?: Stream } }[] })._specificFileDownloaders ?? [];
  for (const f of files) {
    const stream = f._fileEngineOptions?.fetchStream;
    stream?.on?.("errorCountIncreased", (_count, error) => {
      if (!stopped) onError(error);
    });
    const withSubState = stream?.withSubState;
    if (!stream || typeof withSubState !== "function") continue;
    stream.withSubState = (state: unknown) => {
      const sub = withSubState.call(stream, state);
      const fetchChunks = sub.fetchWithoutRetryChunks;
      if (typeof fetchChunks === "function") {
        sub.fetchWithoutRetryChunks = (cb: unknown) => {
          if (stopped) return Promise.reject(Object.assign(new Error("download stopped"), { name: "AbortError" }));
          return fetchChunks.call(sub, cb);
        };
      }
      return sub;
    };
  }
  return { stop: () => void (stopped = true) };
}

interface HfRef {
  repo: string;
  quant?: string;
  file?: string;
}

export function parseHf(spec: string): HfRef | undefined {
  if (!spec.startsWith("hf:")) return undefined;
  const rest = spec.slice(3).replace(/#.*$/, "");
  const [user, repoAndQuant, ...fileParts] = rest.split("/");
  if (!user || !repoAndQuant) return undefined;
  if (fileParts.length) return { repo: `${user}/${repoAndQuant}`, file: fileParts.join("/") };
  const [repo, quant] = repoAndQuant.split(":");
  return { repo: `${user}/${repo}`, quant: quant || undefined };
}

async function listRepo(endpoint: string, repo: string, signal?: AbortSignal): Promise<RepoFile[]> {
  const url = `${endpoint}api/models/${repo}/tree/main?recursive=true`;
  let res: Response;
  try {
    res = await fetch(url, { signal, headers: { "user-agent": "hearth" } });
  } catch (err) {
    throw new ModelCheckError(
      "download-failed",
      `Cannot reach ${endpoint} to list ${repo}: ${describeNetworkError(err)}. Check the network, or use a local GGUF path.`,
    );
  }
  if (!res.ok) {
    throw new ModelCheckError("download-failed", `Cannot list the files of ${repo} (${res.status} from ${endpoint}).`);
  }
  const items = (await res.json()) as { type: string; path: string; size?: number; lfs?: { oid?: string; size?: number } }[];
  return items
    .filter((i) => i.type === "file" && i.path.endsWith(".gguf"))
    .map((i) => ({ path: i.path, size: i.lfs?.size ?? i.size, sha256: i.lfs?.oid }));
}

const isCompanion = (f: string) => /mmproj|imatrix|(^|[-_/.])(mtp-|assistant|eagle3-|dflash-|dspark-)/i.test(path.basename(f));

function pickModelFile(files: string[], quant?: string): string | undefined {
  for (const tag of quant ? [quant] : ["Q4_K_M", "Q8_0"]) {
    const re = new RegExp(tag.replace(/[^\w]/g, "\\$&") + "[.-]", "i");
    const hit = files.find((f) => !isCompanion(f) && re.test(f) && !/-0000[2-9]-of-/.test(f));
    if (hit) return hit;
  }
  return undefined;
}

/** The companion file closest to the model: same directory first, then nearest quantization bits. */
export function pickSibling(files: string[], modelFile: string, keyword: RegExp): string | undefined {
  const bits = (f: string) => Number(/(?:Q|F|BF)(\d+)/i.exec(path.basename(f))?.[1] ?? 16);
  const modelBits = bits(modelFile);
  const modelDir = path.dirname(modelFile);
  return files
    .filter((f) => keyword.test(path.basename(f)))
    .sort(
      (a, b) =>
        Number(!modelDir.endsWith(path.dirname(a))) - Number(!modelDir.endsWith(path.dirname(b))) ||
        Math.abs(bits(a) - modelBits) - Math.abs(bits(b) - modelBits),
    )[0];
}


