import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeTinyModels } from "../../server/gguf/tinyModels";
import { ModelCheckError } from "../../server/models/check";
import { downloadFile, parseHf, planModelFiles, resolveModelFiles, verifyDownload } from "../../server/models/resolve";
import type { DownloadProgress } from "../../server/protocol";
import { startHfFixture, type HfFixture } from "../helpers/hfFixture";

// A fake hub repo laid out like a real Gemma 4 GGUF repo: quants, an mmproj and an MTP drafter.
const root = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-dl-"));
const repoDir = path.join(root, "repo");
const sources: Record<string, string> = {};
const BIG_BYTES = 24 * 1024 * 1024;

beforeAll(async () => {
  const tiny = await writeTinyModels(path.join(root, "tiny"));
  fs.mkdirSync(repoDir);
  const layout = {
    "gemma-4-tiny-it-Q4_K_M.gguf": tiny.text,
    "gemma-4-tiny-it-Q8_0.gguf": tiny.textFim,
    "mmproj-gemma-4-tiny-it-F16.gguf": tiny.mmproj,
    "mtp-gemma-4-tiny-it-Q4_K_M.gguf": tiny.assistant,
  };
  // A file larger than the downloader's 5 MiB chunks, to see it resume mid-file.
  fs.writeFileSync(path.join(repoDir, "big-weights.gguf"), Buffer.alloc(BIG_BYTES, 7));
  for (const [name, src] of Object.entries(layout)) {
    fs.copyFileSync(src, path.join(repoDir, name));
    sources[name] = src;
  }
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe("model URIs", () => {
  it("parses hf: quant and file URIs", () => {
    expect(parseHf("hf:giladgd/gemma-4-12B-it-GGUF:Q4_K_M")).toEqual({ repo: "giladgd/gemma-4-12B-it-GGUF", quant: "Q4_K_M" });
    expect(parseHf("hf:u/r/sub/file.gguf")).toEqual({ repo: "u/r", file: "sub/file.gguf" });
    expect(parseHf("/local/file.gguf")).toBeUndefined();
  });

  it("finds the mmproj and drafter beside a local model when set to auto", async () => {
    const plan = await planModelFiles({ model: path.join(repoDir, "gemma-4-tiny-it-Q4_K_M.gguf"), mmproj: "auto", drafter: "auto", modelsDir: root, allowDownload: false });
    expect(plan.mmproj).toEqual({ kind: "local", path: path.join(repoDir, "mmproj-gemma-4-tiny-it-F16.gguf") });
    expect(plan.drafter).toEqual({ kind: "local", path: path.join(repoDir, "mtp-gemma-4-tiny-it-Q4_K_M.gguf") });
  });
});

describe("download from a hub", () => {
  let hub: HfFixture;
  beforeAll(async () => {
    hub = await startHfFixture({ "test/gemma-4-tiny-it-GGUF": repoDir }, { cutAfterBytes: 6 * 1024 * 1024 });
  });
  afterAll(() => hub.close());

  it("refuses to download unless allowed, naming what is missing", async () => {
    await expect(
      resolveModelFiles({ model: "hf:test/gemma-4-tiny-it-GGUF:Q4_K_M", mmproj: "auto", drafter: "auto", modelsDir: path.join(root, "none"), allowDownload: false, hfEndpoint: hub.endpoint }),
    ).rejects.toThrow(/not downloaded yet.*hf:test\/gemma-4-tiny-it-GGUF\/gemma-4-tiny-it-Q4_K_M\.gguf/);
  });

  it("downloads the quant with its mmproj and drafter, with progress", async () => {
    const modelsDir = path.join(root, "models");
    const progress: DownloadProgress[] = [];
    const files = await resolveModelFiles({
      model: "hf:test/gemma-4-tiny-it-GGUF:Q4_K_M",
      mmproj: "auto",
      drafter: "auto",
      modelsDir,
      allowDownload: true,
      hfEndpoint: hub.endpoint,
      onProgress: (p) => progress.push(p),
    });
    expect(path.basename(files.model)).toBe("gemma-4-tiny-it-Q4_K_M.gguf");
    expect(path.basename(files.mmproj!)).toBe("mmproj-gemma-4-tiny-it-F16.gguf");
    expect(path.basename(files.drafter!)).toBe("mtp-gemma-4-tiny-it-Q4_K_M.gguf");
    for (const f of [files.model, files.mmproj!, files.drafter!]) {
      expect(fs.readFileSync(f).equals(fs.readFileSync(path.join(repoDir, path.basename(f))))).toBe(true);
    }
    const last = progress.filter((p) => p.file === "gemma-4-tiny-it-Q4_K_M.gguf").at(-1)!;
    expect(last.downloadedBytes).toBe(last.totalBytes);
    expect(last.totalBytes).toBe(fs.statSync(files.model).size);
    expect(new Set(progress.map((p) => p.fileCount))).toEqual(new Set([3]));
  });

  it("resumes a large file after the connection is cut mid-transfer, instead of starting over", async () => {
    const dest = path.join(root, "models", "big", "weights.gguf");
    const progress: DownloadProgress[] = [];
    await downloadFile("hf:test/gemma-4-tiny-it-GGUF/big-weights.gguf", dest, { hfEndpoint: hub.endpoint, onProgress: (p) => progress.push({ ...p, fileIndex: 0, fileCount: 1 }) });
    expect(fs.readFileSync(dest).equals(fs.readFileSync(path.join(repoDir, "big-weights.gguf")))).toBe(true);
    // One transfer was cut after 6 MiB; a later request picked up inside the cut range (5 MiB chunks are
    // kept), rather than asking for that range from its start again.
    const cut = hub.cuts.find((c) => c.url.endsWith("big-weights.gguf"))!;
    expect(cut).toBeDefined();
    const starts = hub.requests.filter((r) => r.url.endsWith("big-weights.gguf") && r.range).map((r) => Number(/^bytes=(\d+)-/.exec(r.range!)![1]));
    expect(starts.some((s) => s > cut.start && s <= cut.cutAt)).toBe(true);
    expect(progress.at(-1)!.downloadedBytes).toBe(BIG_BYTES);
  });

  it("refuses a download that arrives damaged: removed, with an error that says so; the next try gets it whole", async () => {
    const repo = "test/gemma-4-tiny-it-GGUF";
    const modelsDir = path.join(root, "models-damaged");
    const damaged = await startHfFixture({ [repo]: repoDir }, { damaged: ["mmproj-gemma-4-tiny-it-F16.gguf"] });
    const request = (endpoint: string) =>
      resolveModelFiles({ model: `hf:${repo}:Q4_K_M`, mmproj: "auto", drafter: "auto", modelsDir, allowDownload: true, hfEndpoint: endpoint });
    try {
      const err = await request(damaged.endpoint).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ModelCheckError);
      expect((err as ModelCheckError).error.code).toBe("download-corrupt");
      expect((err as Error).message).toMatch(/mmproj-gemma-4-tiny-it-F16\.gguf arrived damaged \(sha256 [0-9a-f]{12}… instead of [0-9a-f]{12}…\); the file was removed\. Download it again/);
      // the repository was listed once: what the plan read is what the files are checked against
      expect(damaged.requests.filter((r) => r.url.startsWith("/api/models/"))).toHaveLength(1);
      // a file named in the settings (no listing in the plan) is checked too
      const named = await resolveModelFiles({ model: `hf:${repo}/mmproj-gemma-4-tiny-it-F16.gguf`, mmproj: "", drafter: "", modelsDir: path.join(root, "models-named"), allowDownload: true, hfEndpoint: damaged.endpoint }).catch((e: unknown) => e);
      expect((named as ModelCheckError).error?.code).toBe("download-corrupt");
    } finally {
      await damaged.close();
    }
    expect(fs.existsSync(path.join(modelsDir, repo, "mmproj-gemma-4-tiny-it-F16.gguf"))).toBe(false);
    // the model downloaded before it was whole and is kept: the next try fetches only what is missing
    expect(fs.readFileSync(path.join(modelsDir, repo, "gemma-4-tiny-it-Q4_K_M.gguf")).equals(fs.readFileSync(path.join(repoDir, "gemma-4-tiny-it-Q4_K_M.gguf")))).toBe(true);
    const before = hub.requests.length;
    const files = await request(hub.endpoint);
    expect(fs.readFileSync(files.mmproj!).equals(fs.readFileSync(path.join(repoDir, "mmproj-gemma-4-tiny-it-F16.gguf")))).toBe(true);
    const fetched = hub.requests.slice(before).filter((r) => r.url.includes("/resolve/")).map((r) => path.basename(r.url));
    expect(new Set(fetched)).toEqual(new Set(["mmproj-gemma-4-tiny-it-F16.gguf", "mtp-gemma-4-tiny-it-Q4_K_M.gguf"]));
  });

  it("a download whose size differs from the hub's is refused and removed too", async () => {
    const dest = path.join(root, "short.gguf");
    fs.writeFileSync(dest, Buffer.alloc(10, 1));
    await expect(verifyDownload("hf:u/r/short.gguf", dest, { size: 11 })).rejects.toThrow(/short\.gguf arrived damaged \(10 bytes instead of 11\)/);
    expect(fs.existsSync(dest)).toBe(false);
    fs.writeFileSync(dest, "abc");
    // the hub's hex may come in either case; a whole file passes
    const abc = { size: 3, sha256: "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD" };
    await verifyDownload("hf:u/r/short.gguf", dest, abc);
    expect(fs.existsSync(dest)).toBe(true);
    // whole data followed by the downloader's progress record (JSON) left behind: cut back, not refused
    fs.writeFileSync(dest, 'abc{"part":0,"chunks":[1,1]}');
    await verifyDownload("hf:u/r/short.gguf", dest, abc);
    expect(fs.readFileSync(dest, "utf8")).toBe("abc");
    // anything else after the data is damage
    fs.writeFileSync(dest, "abcd");
    await expect(verifyDownload("hf:u/r/short.gguf", dest, abc)).rejects.toThrow(/4 bytes instead of 3/);
    fs.writeFileSync(dest, 'abd{"part":0}');
    await expect(verifyDownload("hf:u/r/short.gguf", dest, abc)).rejects.toThrow(/sha256 .* instead of ba7816bf8f01…/);
    expect(fs.existsSync(dest)).toBe(false);
  });

  it("does not download again when the files are there", async () => {
    const before = hub.requests.length;
    await resolveModelFiles({ model: "hf:test/gemma-4-tiny-it-GGUF:Q4_K_M", mmproj: "auto", drafter: "auto", modelsDir: path.join(root, "models"), allowDownload: false, hfEndpoint: hub.endpoint });
    expect(hub.requests.slice(before).filter((r) => r.url.includes("/resolve/"))).toEqual([]);
  });

  it("fails with a clear message for an unknown quantization", async () => {
    await expect(
      resolveModelFiles({ model: "hf:test/gemma-4-tiny-it-GGUF:Q2_K", mmproj: "auto", drafter: "auto", modelsDir: root, allowDownload: true, hfEndpoint: hub.endpoint }),
    ).rejects.toThrow(/no Q2_K GGUF in test\/gemma-4-tiny-it-GGUF/);
  });
});
