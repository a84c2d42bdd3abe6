import { describe, expect, it } from "vitest";
import { sseEvents } from "../../server/engine/client";

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(c) {
      for (const ch of chunks) c.enqueue(enc.encode(ch));
      c.close();
    },
  });
}

describe("sseEvents", () => {
  it("reassembles events split across chunks and stops at [DONE]", async () => {
    const body = streamOf(['data: {"content":"he', 'llo"}\n\ndata: {"content":" wo', 'rld"}\r\n\r\n', "data: [DONE]\n\n", 'data: {"content":"after"}\n\n']);
    const events = [];
    for await (const e of sseEvents(body)) events.push(e);
    expect(events).toEqual([{ content: "hello" }, { content: " world" }]);
  });

  it("ignores comments and keep-alive lines", async () => {
    const events = [];
    for await (const e of sseEvents(streamOf([": ping\n\n", 'event: x\ndata: {"a":1}\n\n']))) events.push(e);
    expect(events).toEqual([{ a: 1 }]);
  });
});
