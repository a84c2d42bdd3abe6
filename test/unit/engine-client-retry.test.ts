/**
 * The engine closes a connection idle for 5 s. A request written on such a kept-alive connection (a recording's
 * 77 MB body takes seconds to write on a busy machine) fails with EPIPE before the engine reads any of it: it is
 * sent again once, and a second failure says the engine is unreachable.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { EngineClient, EngineUnreachableError } from "../../server/engine/client";

/** What Node's fetch throws when the socket was closed under the request being written (seen in CI). */
const epipe = () => new TypeError("fetch failed", { cause: Object.assign(new Error("write EPIPE"), { code: "EPIPE" }) });

afterEach(() => vi.restoreAllMocks());

const client = () => new EngineClient(() => ({ baseUrl: "http://127.0.0.1:9" }));
const recording = { messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: "UklGRg==", format: "wav" } }] }] };

describe("a request written on a connection the engine had closed", () => {
  it("is sent again once and answered", async () => {
    const fetch = vi.spyOn(globalThis, "fetch").mockRejectedValueOnce(epipe()).mockResolvedValueOnce(Response.json({ input_tokens: 45_000 }));
    expect(await client().countChatTokens(recording)).toBe(45_000);
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(fetch.mock.calls[1][1]?.body).toBe(fetch.mock.calls[0][1]?.body);
  });

  it("fails as unreachable, naming the cause, when it fails again (no endless retries)", async () => {
    const fetch = vi.spyOn(globalThis, "fetch").mockRejectedValue(epipe());
    await expect(client().countChatTokens(recording)).rejects.toThrow(new EngineUnreachableError("The engine at http://127.0.0.1:9 is not reachable: EPIPE"));
    expect(fetch).toHaveBeenCalledTimes(2);
  });
});
