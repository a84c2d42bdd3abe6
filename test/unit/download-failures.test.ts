/**
 * Downloads that cannot succeed fail fast with a sentence that names the host, instead of the downloader's
 * silent ~12 minutes of retries: an unresolvable host, a refused connection, a missing file, and a server that
 * keeps dropping the transfer. Each retry is reported.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ModelCheckError } from "../../server/models/check";
import { CONNECT_ATTEMPTS, STALLED_ATTEMPTS, downloadFile } from "../../server/models/resolve";
import { startHfFixture } from "../helpers/hfFixture";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-dl-fail-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

async function failure(uri: string, opts: Parameters<typeof downloadFile>[2] = {}): Promise<{ error: ModelCheckError; ms: number; retries: string[] }> {
  const retries: string[] = [];
  const start = Date.now();
  const error = await downloadFile(uri, path.join(root, String(Math.random()).slice(2), "x.gguf"), { onRetry: (m) => retries.push(m), ...opts }).then(
    () => {
      throw new Error("the download succeeded");
    },
    (e: unknown) => e as ModelCheckError,
  );
  expect(error).toBeInstanceOf(ModelCheckError);
  return { error, ms: Date.now() - start, retries };
}

describe("download failures", () => {
  it("an unresolvable host fails at once, naming the host", async () => {
    const { error, ms, retries } = await failure("https://example.invalid/x.gguf");
    expect(error.message).toMatch(/^Cannot reach https:\/\/example\.invalid\/ to download x\.gguf: .*example\.invalid.*\. Check the network and the URL/);
    expect(ms).toBeLessThan(10_000);
    // A DNS miss does not get better by trying again.
    if (/ENOTFOUND/.test(error.message)) expect(retries).toEqual([]);
  });

  it("a refused connection is tried a few times, each attempt reported, then fails in seconds", async () => {
    const port = await closedPort();
    const { error, ms, retries } = await failure(`http://127.0.0.1:${port}/models/x.gguf`);
    expect(error.message).toBe(
      `Cannot reach http://127.0.0.1:${port}/ to download x.gguf: connect ECONNREFUSED 127.0.0.1:${port}. Check the network and the URL, or use a local GGUF path.`,
    );
    expect(retries).toHaveLength(CONNECT_ATTEMPTS - 1);
    expect(retries[0]).toMatch(/^x\.gguf: attempt 1 of 3 to reach http:\/\/127\.0\.0\.1:\d+ failed \(connect ECONNREFUSED/);
    expect(ms).toBeLessThan(10_000);
  });

  it("an hf: file the hub does not have fails at once with a 404", async () => {
    const hub = await startHfFixture({ "test/repo": root });
    try {
      const { error, ms } = await failure("hf:test/repo/missing.gguf", { hfEndpoint: hub.endpoint });
      expect(error.message).toMatch(/^Cannot download hf:test\/repo\/missing\.gguf: http:\/\/127\.0\.0\.1:\d+ has no such file \(404/);
      expect(ms).toBeLessThan(5_000);
    } finally {
      await hub.close();
    }
  });

  it("a transfer that keeps failing stops after a bounded number of attempts, reporting each, and gives up in seconds", async () => {
    // Answers the probe (HEAD) and the downloader's size request, then drops every transfer.
    const size = 8 << 20;
    const server = http.createServer((req, res) => {
      const headers = { "accept-ranges": "bytes", "content-length": String(size), "content-type": "application/octet-stream", etag: '"x"' };
      if (req.method === "HEAD") return void res.writeHead(200, headers).end();
      // The downloader's own size request (a plain GET it reads the headers of), then every transfer cut.
      if (!req.headers.range) {
        res.writeHead(200, headers).flushHeaders();
        setTimeout(() => req.socket.destroy(), 20);
        return;
      }
      req.socket.destroy();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    try {
      const { error, ms, retries } = await failure(`http://127.0.0.1:${port}/x.gguf`);
      expect(error.message).toMatch(new RegExp(`^Download of http://127\\.0\\.0\\.1:${port}/x\\.gguf stopped: ${STALLED_ATTEMPTS} requests in a row failed \\(.+\\)\\. .*it resumes\\.$`));
      expect(retries.length).toBeGreaterThanOrEqual(STALLED_ATTEMPTS - 1);
      expect(retries[0]).toMatch(/^x\.gguf: attempt 1 of 8 failed \(/);
      expect(ms).toBeLessThan(20_000);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  }, 60_000);
});
