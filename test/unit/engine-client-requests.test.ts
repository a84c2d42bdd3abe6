/**
 * How the engine client sends a large request (a recording is tens of MB of base64 inside JSON):
 * - the engine closes a connection idle for 5 s, and a body that takes seconds to write on a busy machine can go
 *   out on one; it fails with EPIPE before the engine reads any of it, and is sent again once;
 * - a body larger than the engine reads is refused before it is sent, and a server's 413 says the same.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { EngineClient, EngineUnreachableError, RequestTooLargeError } from "../../server/engine/client";
import { toHearthError } from "../../server/errors";

/** What Node's fetch throws when the socket was closed under the request being written (seen in CI). */
const epipe = () => new TypeError("fetch failed", { cause: Object.assign(new Error("write EPIPE"), { code: "EPIPE" }) });

afterEach(() => vi.restoreAllMocks());

const client = (maxRequestBytes?: number) => new EngineClient(() => ({ baseUrl: "http://127.0.0.1:9" }), { maxRequestBytes });
const recording = (base64Chars = 8) => ({
  messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: "A".repeat(base64Chars), format: "wav" } }] }],
});

describe("a request written on a connection the engine had closed", () => {
  it("is sent again once and answered", async () => {
    const fetch = vi.spyOn(globalThis, "fetch").mockRejectedValueOnce(epipe()).mockResolvedValueOnce(Response.json({ input_tokens: 45_000 }));
    expect(await client().countChatTokens(recording())).toBe(45_000);
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(fetch.mock.calls[1][1]?.body).toBe(fetch.mock.calls[0][1]?.body);
  });

  it("fails as unreachable, naming the cause, when it fails again (no endless retries)", async () => {
    const fetch = vi.spyOn(globalThis, "fetch").mockRejectedValue(epipe());
    await expect(client().countChatTokens(recording())).rejects.toThrow(new EngineUnreachableError("The engine at http://127.0.0.1:9 is not reachable: EPIPE"));
    expect(fetch).toHaveBeenCalledTimes(2);
  });
});

describe("a request larger than the engine reads", () => {
  const MB = 1024 * 1024;

  it("is refused before anything is sent, with its size and the engine's limit in a sentence that says what to do", async () => {
    const fetch = vi.spyOn(globalThis, "fetch");
    const err = await client(1 * MB)
      .countChatTokens(recording(2 * MB))
      .catch((e: unknown) => e);
    expect(fetch).not.toHaveBeenCalled();
    expect(err).toBeInstanceOf(RequestTooLargeError);
    expect(toHearthError(err)).toEqual({
      code: "media-too-large",
      message:
        "The request is 2.0 MB as sent (images and recordings go as base64, 4/3 of the file's size); the engine reads at most 1.0 MB. " +
        "Split the recording or save it as mp3, or use a smaller image.",
    });
  });

  it("goes when it fits", async () => {
    const fetch = vi.spyOn(globalThis, "fetch").mockResolvedValue(Response.json({ input_tokens: 7 }));
    expect(await client(1 * MB).countChatTokens(recording(MB - 200))).toBe(7);
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it("answered 413 below the engine's own limit (a proxy in front of it), does not claim that limit", async () => {
    vi.spyOn(globalThis, "fetch").mockResolvedValue(new Response("Request Entity Too Large", { status: 413 }));
    const err = await client(100 * MB).countChatTokens(recording(2 * MB)).catch((e: unknown) => e);
    expect(toHearthError(err).message).toMatch(/^The request is 2\.0 MB as sent .*; the engine refused it as too large\./);
  });

  it("answered 413 by a server whose limit is not known, says so in the same words", async () => {
    vi.spyOn(globalThis, "fetch").mockResolvedValue(new Response("Payload Too Large", { status: 413 }));
    const err = await client().countChatTokens(recording(2 * MB)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestTooLargeError);
    expect(toHearthError(err).message).toMatch(/^The request is 2\.0 MB as sent .*; the engine refused it as too large\. Split the recording/);
  });
});
