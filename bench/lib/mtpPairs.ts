// MTP on vs off, measured the way this machine allows: the engine restarted per mode (the host's own flags,
// through its ModelManager), in alternating pairs, and the ratio taken per pair, since the machine's speed
// drifts by up to ±25 % between engine runs. Used by bench/run.ts and bench/run-12b-mtp.ts.

import type { ModelManager } from "../../server/models/manager";
import type { HearthSettings } from "../../server/protocol";
import { DECODE_PROMPT, greedyDecodeText } from "./decode";
import { withForeignCpu } from "./foreignCpu";
import { median } from "./stats";

export interface MtpPairsOptions {
  /** engine starts per mode */
  rounds: number;
  /** greedy tokens per request (ignore_eos) */
  nPredict: number;
  /** measured requests per start, after a first one that is reported apart */
  reps: number;
  /** swap which mode starts every other pair (page cache and drift then favour neither); default off first */
  alternate?: boolean;
  /** awaited before each measured request (e.g. until the machine is quiet) */
  beforeRequest?: () => Promise<void>;
  log?: (message: string) => void;
}

type Mode = "off" | "on";

interface ModeRun {
  mode: Mode;
  /** ms per decoded token of the measured requests */
  msPerToken: number[];
  /** the same for the first request after the start (MTP: the draft backoff's ramp-up) */
  firstMsPerToken: number;
  drafted: number;
  accepted: number;
  /** the most CPU (cores) other processes used during one of its requests */
  foreignCpuMax: number;
}

/**
 * `rounds` pairs of engine starts, one with `drafter` (MTP on) and one without, each decoding DECODE_PROMPT on
 * slot 1 `1 + reps` times. The manager's settings are restored afterwards.
 */
export async function mtpPairs(manager: ModelManager, settings: Partial<HearthSettings>, drafter: string, opts: MtpPairsOptions) {
  const base = manager.getSettings();
  const runs: ModeRun[] = [];
  const texts = new Set<string>();
  try {
    for (let round = 0; round < opts.rounds; round++) {
      const order: Mode[] = opts.alternate && round % 2 === 1 ? ["on", "off"] : ["off", "on"];
      for (const mode of order) {
        await manager.updateSettings({ ...base, ...settings, drafter: mode === "on" ? drafter : "", mtp: mode === "on" } as HearthSettings);
        const loaded = await manager.ensureLoaded();
        const run: ModeRun = { mode, msPerToken: [], firstMsPerToken: 0, drafted: 0, accepted: 0, foreignCpuMax: 0 };
        for (let i = 0; i <= opts.reps; i++) {
          if (i > 0) await opts.beforeRequest?.();
          const { result, foreignCpu } = await withForeignCpu(() =>
            greedyDecodeText(loaded.client, { prompt: DECODE_PROMPT, n_predict: opts.nPredict, cache_prompt: false, id_slot: 1 }),
          );
          const t = result.timings;
          const ms = t.predicted_ms / t.predicted_n;
          if (i === 0) run.firstMsPerToken = ms;
          else run.msPerToken.push(ms);
          run.drafted += t.draft_n ?? 0;
          run.accepted += t.draft_n_accepted ?? 0;
          run.foreignCpuMax = Math.max(run.foreignCpuMax, foreignCpu ?? 0);
          texts.add(result.content);
        }
        runs.push(run);
        opts.log?.(`pair ${round + 1}/${opts.rounds} MTP ${mode}: ${run.msPerToken.map((x) => x.toFixed(1)).join(", ")} ms/token; drafted ${run.drafted}, accepted ${run.accepted}`);
      }
    }
  } finally {
    await manager.updateSettings(base);
  }
  const on = runs.filter((r) => r.mode === "on");
  const off = runs.filter((r) => r.mode === "off");
  const pairRatios = on.map((r, i) => median(r.msPerToken) / median(off[i].msPerToken));
  return {
    offMsPerToken: median(off.flatMap((r) => r.msPerToken)),
    onMsPerToken: median(on.flatMap((r) => r.msPerToken)),
    /** on ÷ off ms per token, the median of the pairs' ratios: < 1 is a speedup */
    ratio: median(pairRatios),
    /** each pair's ratio, in run order: the spread is the machine's noise */
    pairRatios,
    /** the same for each start's first request */
    firstRequestRatio: median(on.map((r, i) => r.firstMsPerToken / off[i].firstMsPerToken)),
    drafted: on.reduce((n, r) => n + r.drafted, 0),
    accepted: on.reduce((n, r) => n + r.accepted, 0),
    /** greedy decoding gave the same text in every request, with and without the drafter */
    identicalOutput: texts.size === 1,
    foreignCpuMax: Math.max(...runs.map((r) => r.foreignCpuMax)),
  };
}
