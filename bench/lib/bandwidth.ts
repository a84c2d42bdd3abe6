// Sustained memory READ bandwidth, measured from Node, and the decode speed it allows.
//
// Why: on a CPU, decoding one token streams every weight of the model through the cores once
// (plus the KV cache of the context), so tokens/s <= bandwidth / bytes read per token. The bench
// reports measured decode speed next to this bound to show how close the engine gets.
//
// How: `Buffer.compare` of two identical, distinct buffers is a memcmp in C++ (SIMD, no JS loop
// overhead) that must read every byte of both to find they are equal, so its speed is the read
// bandwidth, not an interpreter's. A JS loop over a Float64Array would measure V8's loop speed
// (~1 element/cycle) instead. The working set defaults to 512 MiB: far larger than any last-level
// cache, so caches cannot serve it and the numbers are DRAM numbers. The buffer is written once
// first so that every page is really mapped (untouched pages all map the shared zero page, which
// would sit in cache). One worker per core (default: os.availableParallelism(), like llama-server's
// -t) each compares its own pair of slices; the total bytes over the wall time of all workers is
// one run, and the median of the runs is reported.

import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { median } from "./stats";

export interface BandwidthOptions {
  /** working set in bytes (default 512 MiB; use far more than the last-level cache) */
  bytes?: number;
  /** measured runs (default 5); the median is reported */
  runs?: number;
  /** reader threads (default os.availableParallelism()) */
  threads?: number;
  /** minimum duration of one run in ms (default 250): small working sets are read several times */
  minRunMs?: number;
}

export interface BandwidthResult {
  /** median over the runs, in GB/s (1 GB = 1e9 bytes) */
  gbPerSecond: number;
  /** GB/s of every run */
  runs: number[];
  bytes: number;
  threads: number;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { sab, offset, length } = workerData;
const a = Buffer.from(sab, offset, length);
const b = Buffer.from(sab, offset + length, length);
parentPort.on("message", (passes) => {
  let r = 0;
  for (let i = 0; i < passes; i++) r |= Buffer.compare(a, b);
  parentPort.postMessage(r);
});
`;

export async function measureMemoryBandwidth(opts: BandwidthOptions = {}): Promise<BandwidthResult> {
  const threads = Math.max(1, opts.threads ?? availableParallelism());
  const runs = Math.max(1, opts.runs ?? 5);
  const minRunMs = opts.minRunMs ?? 250;
  // every worker gets two equal slices, 4 KiB aligned
  const slice = Math.max(4096, Math.floor((opts.bytes ?? 512 * 1024 * 1024) / (2 * threads) / 4096) * 4096);
  const total = slice * 2 * threads;
  const sab = new SharedArrayBuffer(total);
  Buffer.from(sab).fill(0xa5); // touch every page; equal slices make memcmp read to the end

  const workers = Array.from({ length: threads }, (_, i) => new Worker(WORKER_SOURCE, { eval: true, workerData: { sab, offset: i * 2 * slice, length: slice } }));
  const pass = (passes: number) =>
    Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((res, rej) => {
            w.once("message", (r: number) => (r === 0 ? res() : rej(new Error("bandwidth buffers differ"))));
            w.once("error", rej);
            w.postMessage(passes);
          }),
      ),
    );
  try {
    // warm-up + calibration: repeat the read so that one run lasts at least minRunMs
    let t0 = performance.now();
    await pass(1);
    const oneMs = Math.max(0.01, performance.now() - t0);
    const passes = Math.max(1, Math.ceil(minRunMs / oneMs));
    const results: number[] = [];
    for (let r = 0; r < runs; r++) {
      t0 = performance.now();
      await pass(passes);
      const s = (performance.now() - t0) / 1000;
      results.push((total * passes) / s / 1e9);
    }
    return { gbPerSecond: median(results), runs: results, bytes: total, threads };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/**
 * Upper bound on decode speed when every token has to read `bytesReadPerToken` from memory:
 * bytesReadPerToken ≈ the model's weight bytes (all matrices + the tied embedding used as the
 * output projection; the embedding lookup itself reads one row) + the KV cache read by attention
 * (n_ctx_used × bytes per token of K and V over the layers; small for sliding layers).
 */
export function decodeBoundTokensPerSecond(bytesReadPerToken: number, gbPerSecond: number): number {
  if (!(bytesReadPerToken > 0)) throw new RangeError("bytesReadPerToken must be > 0");
  return (gbPerSecond * 1e9) / bytesReadPerToken;
}
