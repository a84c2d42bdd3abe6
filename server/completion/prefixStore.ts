/**
 * Where the completions slot's evaluated workspace prefix lives between runs: the engine's slot file
 * (`/slots/0?action=save`, KV cache + context checkpoints via Hearth's engine patch), the prompt text it
 * holds, and a manifest that says which model, engine and layout produced it, with sizes and SHA-256 of
 * every file. A manifest that does not match, or files that do not match it, mean the cache is stale or
 * corrupt: it is deleted and rebuilt, never loaded (the engine would trust any bytes it is given).
 *
 * With them goes the chunk list the prompt was made of, so that the next run lays the workspace out in the
 * same order (superseded copies included) rather than re-sorting it, which would make the cache useless.
 *
 * The directory is the engine's `--slot-save-path`, private (0700) to this user and workspace.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { resolveCacheRoot } from "../../scripts/engine-key.mjs";
import { ensurePrivateDir } from "../privateDir";
import type { SeedChunk } from "../workspace/index";

/** Everything that makes a saved cache unusable when it changes. */
export interface PrefixIdentity {
  layoutVersion: number;
  /** Model file path, size and mtime: a re-downloaded or replaced model has other weights. */
  model: string;
  modelBytes: number;
  modelMtimeMs: number;
  kvCacheType: string;
  /** The engine build (state files are llama.cpp-version specific). */
  engine: string;
}

interface StoredFile {
  name: string;
  bytes: number;
  sha256: string;
}

interface PrefixManifest {
  format: typeof FORMAT;
  identity: PrefixIdentity;
  /** Prompt tokens in the saved slot. */
  tokens: number;
  files: StoredFile[];
  savedAt: string;
}

export interface SavedPrefix {
  /** The prompt text the saved slot holds. */
  prompt: string;
  tokens: number;
  bytes: number;
}

export type ReadResult = { ok: true; saved: SavedPrefix } | { ok: false; reason: string };

const FORMAT = 1;

/**
 * Prefix directory for a workspace when the client gives no storage (the CLI): under Hearth's cache dir, one per
 * set of workspace folders (a multi-root workspace's prefix is not its first folder's).
 */
export function defaultPrefixDir(workspaceRoots: string | readonly string[]): string {
  const cache = resolveCacheRoot();
  const key = (typeof workspaceRoots === "string" ? [workspaceRoots] : workspaceRoots).map((r) => path.resolve(r)).join("\0");
  const id = crypto.createHash("sha256").update(key).digest("hex").slice(0, 16);
  return path.join(cache, "workspaces", id);
}

export class PrefixStore {
  /** Slot file name as the engine sees it (relative to its --slot-save-path). */
  static readonly SLOT_FILE = "completion-prefix.bin";
  private static readonly CHECKPOINTS = "completion-prefix.bin.ckpt";
  private static readonly PROMPT = "completion-prefix.txt";
  private static readonly MANIFEST = "completion-prefix.json";
  private static readonly ORDER = "completion-prefix.chunks.json";

  /**
   * The manifest whose files were last found intact, so that the order read at start and the restore that
   * follows hash a multi-GB slot file once. Forgotten whenever this store writes or deletes.
   */
  private intact?: string;

  constructor(readonly dir: string) {}

  /** Creates the private directory (0700); refuses a symlink, since the engine follows links in it. */
  static open(dir: string): PrefixStore {
    ensurePrivateDir(dir);
    return new PrefixStore(dir);
  }

  /**
   * The saved prefix if it was made for `identity` and its files are intact (sizes and SHA-256 checked),
   * else why not. Reading hashes the whole slot file: seconds for a 256K-token 12B cache, against minutes
   * (GPU) to hours (CPU) for the prefill it replaces.
   */
  async read(identity: PrefixIdentity): Promise<ReadResult> {
    const checked = await this.check(identity);
    if (!checked.ok) return checked;
    const { manifest } = checked;
    const prompt = await fs.promises.readFile(this.file(PrefixStore.PROMPT), "utf8");
    const bytes = manifest.files.reduce((n, f) => n + f.bytes, 0);
    return { ok: true, saved: { prompt, tokens: manifest.tokens, bytes } };
  }

  /**
   * The chunks of the saved prefix, in order, when read(identity) would give the prefix (no use laying the
   * workspace out like a cache that will not be loaded) and the chunks were saved with it; else undefined.
   */
  async readOrder(identity: PrefixIdentity): Promise<SeedChunk[] | undefined> {
    const checked = await this.check(identity);
    if (!checked.ok || !checked.manifest.files.some((f) => f.name === PrefixStore.ORDER)) return undefined;
    try {
      const order = JSON.parse(await fs.promises.readFile(this.file(PrefixStore.ORDER), "utf8")) as unknown;
      return Array.isArray(order) && order.every(isSeedChunk) ? order : undefined;
    } catch {
      return undefined;
    }
  }

  /** The manifest if it matches `identity` and every file it lists is intact. Hashes once per saved manifest. */
  private async check(identity: PrefixIdentity): Promise<{ ok: true; manifest: PrefixManifest } | { ok: false; reason: string }> {
    let text: string;
    let manifest: PrefixManifest;
    try {
      text = await fs.promises.readFile(this.file(PrefixStore.MANIFEST), "utf8");
      manifest = JSON.parse(text) as PrefixManifest;
    } catch (err) {
      return { ok: false, reason: (err as NodeJS.ErrnoException).code === "ENOENT" ? "no saved prefix" : "unreadable manifest" };
    }
    if (manifest.format !== FORMAT) return { ok: false, reason: `manifest format ${manifest.format}` };
    const changed = (Object.keys(identity) as (keyof PrefixIdentity)[]).filter((k) => manifest.identity?.[k] !== identity[k]);
    if (changed.length) return { ok: false, reason: `saved for another ${changed.join(", ")}` };
    if (text !== this.intact) {
      for (const f of manifest.files ?? []) {
        const actual = await fileDigest(this.file(f.name)).catch(() => undefined);
        if (!actual) return { ok: false, reason: `${f.name} is missing` };
        if (actual.bytes !== f.bytes || actual.sha256 !== f.sha256) return { ok: false, reason: `${f.name} is corrupt (checksum mismatch)` };
      }
      this.intact = text;
    }
    return { ok: true, manifest };
  }

  /** Call before the engine overwrites the slot file, so a crash mid-write never leaves a valid-looking manifest. */
  async invalidate(): Promise<void> {
    this.intact = undefined;
    await fs.promises.rm(this.file(PrefixStore.MANIFEST), { force: true });
  }

  /**
   * Records what the engine just saved: the prompt it holds, the chunks it was made of (`order`, for the next
   * run's layout) and the digests of the files it wrote.
   */
  async record(identity: PrefixIdentity, prompt: string, tokens: number, order?: SeedChunk[]): Promise<void> {
    this.intact = undefined;
    const files: StoredFile[] = [];
    for (const name of [PrefixStore.SLOT_FILE, PrefixStore.CHECKPOINTS]) {
      const digest = await fileDigest(this.file(name)).catch(() => undefined);
      if (digest) files.push({ name, ...digest });
    }
    if (!files.some((f) => f.name === PrefixStore.SLOT_FILE)) throw new Error("the engine did not write the slot file");
    await fs.promises.writeFile(this.file(PrefixStore.PROMPT), prompt, { mode: 0o600 });
    files.push({ name: PrefixStore.PROMPT, ...(await fileDigest(this.file(PrefixStore.PROMPT))) });
    if (order) {
      await fs.promises.writeFile(this.file(PrefixStore.ORDER), JSON.stringify(order), { mode: 0o600 });
      files.push({ name: PrefixStore.ORDER, ...(await fileDigest(this.file(PrefixStore.ORDER))) });
    } else {
      await fs.promises.rm(this.file(PrefixStore.ORDER), { force: true });
    }
    const manifest: PrefixManifest = { format: FORMAT, identity, tokens, files, savedAt: new Date().toISOString() };
    const tmp = this.file(PrefixStore.MANIFEST + ".tmp");
    await fs.promises.writeFile(tmp, JSON.stringify(manifest, null, 2) + "\n", { mode: 0o600 });
    await fs.promises.rename(tmp, this.file(PrefixStore.MANIFEST));
  }

  /** Deletes every file of the saved prefix. */
  async discard(): Promise<void> {
    this.intact = undefined;
    for (const name of [PrefixStore.MANIFEST, PrefixStore.SLOT_FILE, PrefixStore.CHECKPOINTS, PrefixStore.PROMPT, PrefixStore.ORDER]) {
      await fs.promises.rm(this.file(name), { force: true });
    }
  }

  private file(name: string): string {
    return path.join(this.dir, name);
  }
}

function isSeedChunk(c: unknown): c is SeedChunk {
  const o = c as SeedChunk;
  return typeof o === "object" && o !== null && typeof o.path === "string" && typeof o.text === "string";
}

async function fileDigest(file: string): Promise<{ bytes: number; sha256: string }> {
  const hash = crypto.createHash("sha256");
  let bytes = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 4 << 20 })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: hash.digest("hex") };
}
