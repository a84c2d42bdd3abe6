/**
 * Turns the model settings (hf: URIs, URLs or local paths) into local GGUF files, downloading through
 * node-llama-cpp's downloader (resumable, cancellable, with progress). For an `hf:user/repo:QUANT` model the
 * projector and the MTP drafter are found among the repository's files the way llama.cpp's own `-hf` does:
 * a sibling whose name contains "mmproj", and one whose name marks an MTP/assistant drafter.
 */
import { createModelDownloader } from "node-llama-cpp";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { DownloadProgress, ModelFiles } from "../protocol";
import { ModelCheckError } from "./check";

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
}

/** A remote file planned from the hub's listing carries what the listing says of it (size, sha256). */
type Source = { kind: "local"; path: string } | { kind: "remote"; uri: string; dest: string; hub?: RepoFile };

export function defaultModelsDir(): string {
  return path.join(os.homedir(), ".cache", "hearth", "models");
}

export function hfEndpoint(explicit?: string): string {
  const e = explicit || process.env.HF_ENDPOINT || process.env.MODEL_ENDPOINT || "https://huggingface.co/";
  return e.endsWith("/") ? e : e + "/";
}

export function isRemote(spec: string): boolean {
  return spec.startsWith("hf:") || /^https?:\/\//.test(spec);
}

/** Where files would be saved and what would be fetched, without downloading anything. */
export async function planModelFiles(opts: ResolveOptions): Promise<Record<keyof ModelFiles, Source | undefined>> {
  const modelsDir = opts.modelsDir || defaultModelsDir();
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
}

/**
 * Downloads one file with node-llama-cpp's downloader into `dest`. A partial download is kept on failure or
 * cancellation, so the next attempt resumes where it stopped.
 */
export async function downloadFile(uri: string, dest: string, opts: DownloadOptions = {}): Promise<string> {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  try {
    const downloader = await createModelDownloader({
      modelUri: uri,
      dirPath: path.dirname(dest),
      fileName: path.basename(dest),
      deleteTempFileOnCancel: false,
      skipExisting: true,
      endpoints: opts.hfEndpoint ? { huggingFace: opts.hfEndpoint } : undefined,
      onProgress: ({ totalSize, downloadedSize, estimatedTimeLeft, averageSpeed }) =>
        opts.onProgress?.({
          file: path.basename(dest),
          totalBytes: totalSize,
          downloadedBytes: downloadedSize,
          speed: averageSpeed,
          etaSeconds: estimatedTimeLeft / 1000,
        }),
    });
    const file = await downloader.download({ signal: opts.signal });
    trimProgressRecord(dest, downloader.totalSize);
    return file;
  } catch (err) {
    if (opts.signal?.aborted) {
      throw new ModelCheckError("download-cancelled", `Download of ${uri} cancelled; the partial file is kept and will resume.`);
    }
    throw new ModelCheckError(
      "download-failed",
      `Download of ${uri} failed: ${(err as Error).message}. Check the network (or the endpoint) and run the download again; it resumes.`,
    );
  }
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
      `Cannot reach ${endpoint} to list ${repo}: ${(err as Error).message}. Check the network, or use a local GGUF path.`,
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

function expandHome(p: string): string {
  return p.startsWith("~/") ? path.join(os.homedir(), p.slice(2)) : p;
}
