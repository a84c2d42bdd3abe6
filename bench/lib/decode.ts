// Greedy decode requests for the benchmarks: the same prompt and body in bench/run.ts and bench/run-12b.ts.

import type { EngineClient } from "../../server/engine/client";
import type { CompletionTimings } from "./measureModel";

/** A short code prompt in Gemma 4 turns: the model decodes a code block. */
export const DECODE_PROMPT = "<|turn>user\nWrite a TypeScript function that parses a CSV line.<turn|>\n<|turn>model\n```ts\n";

/** The engine's timings of a request (the same fields the per-model measurements read). */
export type DecodeTimings = CompletionTimings;

type DecodeBody = { prompt: string; n_predict: number; id_slot: number; cache_prompt: boolean } & Record<string, unknown>;

/** One greedy `/completion` that decodes exactly `n_predict` tokens (ignore_eos); its engine timings. */
export async function greedyDecode(client: EngineClient, body: DecodeBody): Promise<DecodeTimings> {
  return (await greedyDecodeText(client, body)).timings;
}

/** The same, with the decoded text. */
export async function greedyDecodeText(client: EngineClient, body: DecodeBody): Promise<{ content: string; timings: DecodeTimings }> {
  return (await client.postJson("/completion", { ...body, ignore_eos: true, temperature: 0 })) as { content: string; timings: DecodeTimings };
}
