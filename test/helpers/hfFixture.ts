/**
 * A local stand-in for the Hugging Face hub: the repo listing API (with each file's size and sha256 as the hub
 * lists LFS files) and `resolve/main/<file>` downloads with Range support, serving files from a folder.
 * `cutAfterBytes` makes the first ranged GET of each file that is longer than that drop the connection after
 * that many bytes, so resume can be tested; `damaged` files are served with one byte changed (the listing
 * still shows the good file), like a transfer damaged on its way.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

export interface HfFixture {
  endpoint: string;
  requests: { method: string; url: string; range?: string }[];
  /** Transfers that were cut: the range start and the first byte that was not sent. */
  cuts: { url: string; start: number; cutAt: number }[];
  close(): Promise<void>;
}

export async function startHfFixture(repos: Record<string, string>, opts: { cutAfterBytes?: number; damaged?: string[] } = {}): Promise<HfFixture> {
  const damagedDir = opts.damaged?.length ? fs.mkdtempSync(path.join(os.tmpdir(), "hearth-hf-damaged-")) : undefined;
  /** The bytes actually served for a repo file: a damaged copy for the files named in `damaged`. */
  const served = (full: string): string => {
    if (!damagedDir || !opts.damaged!.includes(path.basename(full))) return full;
    const copy = path.join(damagedDir, path.basename(full));
    if (!fs.existsSync(copy)) {
      const bytes = fs.readFileSync(full);
      bytes[Math.floor(bytes.length / 2)] ^= 0xff;
      fs.writeFileSync(copy, bytes);
    }
    return copy;
  };
  const sha256 = (file: string) => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
  const requests: HfFixture["requests"] = [];
  const cuts: HfFixture["cuts"] = [];
  const cut = new Set<string>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    requests.push({ method: req.method ?? "GET", url: url.pathname, range: req.headers.range });
    const tree = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/main$/.exec(url.pathname);
    if (tree) {
      const dir = repos[tree[1]];
      if (!dir) return void res.writeHead(404).end("not found");
      const files = fs.readdirSync(dir).map((f) => {
        const size = fs.statSync(path.join(dir, f)).size;
        return { type: "file", path: f, size, lfs: { oid: sha256(path.join(dir, f)), size, pointerSize: 134 } };
      });
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(files));
      return;
    }
    const file = /^\/([^/]+\/[^/]+)\/resolve\/main\/(.+)$/.exec(url.pathname);
    const dir = file && repos[file[1]];
    const listed = dir && path.join(dir, decodeURIComponent(file![2]));
    if (!listed || !fs.existsSync(listed)) return void res.writeHead(404).end("not found");
    const full = served(listed);
    const size = fs.statSync(full).size;
    let start = 0;
    let end = size - 1;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    if (range) {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
    }
    const headers = {
      "accept-ranges": "bytes",
      "content-length": String(end - start + 1),
      "content-type": "application/octet-stream",
      etag: `"${size}"`,
      ...(range ? { "content-range": `bytes ${start}-${end}/${size}` } : {}),
    };
    res.writeHead(range ? 206 : 200, headers);
    if (req.method === "HEAD") return void res.end();
    const limit = opts.cutAfterBytes;
    // ipull probes with a plain GET first, then downloads 5 MiB-aligned ranges in parallel: cut the first
    // ranged transfer longer than the limit.
    if (limit !== undefined && range && end - start + 1 > limit && !cut.has(full)) {
      cut.add(full);
      cuts.push({ url: url.pathname, start, cutAt: start + limit });
      const stream = fs.createReadStream(full, { start, end: start + limit - 1 });
      stream.pipe(res, { end: false });
      stream.on("end", () => setTimeout(() => res.socket?.destroy(), 50));
      return;
    }
    fs.createReadStream(full, { start, end }).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}/`,
    requests,
    cuts,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
        if (damagedDir) fs.rmSync(damagedDir, { recursive: true, force: true });
      }),
  };
}
