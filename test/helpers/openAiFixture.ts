/**
 * A minimal OpenAI-compatible server (what vLLM, Ollama or LM Studio expose): /v1/models, /v1/completions and
 * /v1/chat/completions, streamed like theirs, nothing else (no /health, /props, /tokenize, /completion, slots).
 * Every request is recorded; a request without the listed model's name is refused, as those servers do.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  body: Record<string, unknown>;
}

export interface OpenAiFixture {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startOpenAiFixture(opts: { model?: string; contextSize?: number; answer?: string } = {}): Promise<OpenAiFixture> {
  const model = opts.model ?? "gemma-4-12b-it";
  const answer = opts.answer ?? "return a + b;";
  const requests: RecordedRequest[] = [];
  const server = http.createServer(async (req, res) => {
    let raw = "";
    for await (const chunk of req) raw += chunk;
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    const path = (req.url ?? "").split("?")[0];
    requests.push({ method: req.method ?? "", path, body });
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(value));
    };
    if (req.method === "GET" && path === "/v1/models") {
      return json(200, { object: "list", data: [{ id: model, object: "model", ...(opts.contextSize ? { max_model_len: opts.contextSize } : {}) }] });
    }
    const chat = path === "/v1/chat/completions";
    if (req.method !== "POST" || !(chat || path === "/v1/completions")) return json(404, { error: { message: `no route ${req.method} ${path}` } });
    if (body.model !== model) return json(404, { error: { message: `The model \`${String(body.model)}\` does not exist.` } });
    res.writeHead(200, { "content-type": "text/event-stream" });
    const pieces = answer.match(/\s*\S+/g) ?? [];
    for (const p of pieces) {
      const choice = chat ? { index: 0, delta: { content: p } } : { index: 0, text: p };
      res.write(`data: ${JSON.stringify({ choices: [choice] })}\n\n`);
    }
    res.write(`data: ${JSON.stringify({ choices: [{ index: 0, ...(chat ? { delta: {} } : { text: "" }), finish_reason: "stop" }] })}\n\n`);
    res.write(`data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 123, completion_tokens: pieces.length } })}\n\n`);
    res.end("data: [DONE]\n\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
