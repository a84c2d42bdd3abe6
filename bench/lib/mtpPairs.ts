// MTP on vs off, measured the way this machine allows: the engine restarted per mode (the host's own flags,
// through its ModelManager), in alternating pairs, and the ratio taken per pair, since the machine's speed
// drifts by up to ±25 % between engine runs. Used by bench/run.ts and bench/run-12b-mtp.ts.

import type { ModelManager } from "../../server/models/manager";
import type { HearthSettings } from "../../server/protocol";
import { DECODE_PROMPT, greedyDecodeText } from "./decode";
import { withForeignCpu } from "./foreignCpu";
import { median } from "./stats";

/**
 * off: no drafter; on: the drafter as the host runs it (the engine times drafting against plain steps and
 * pauses it where it does not pay, patch 0011); every-round: the drafter with that timing off
 * (HEARTH_DRAFT_COST=0 in the engine's environment), drafting every round it can.
 */
export type MtpMode = "off" | "on" | "every-round";

export interface MtpPairsOptions {
  /** engine starts per mode */
  rounds: number;
  /** greedy tokens per request (ignore_eos) */
  nPredict: number;
  /** measured requests per start, after a first one that is reported apart */
  reps: number;
  /** also measure drafting every round (a third engine start per round) */
  everyRound?: boolean;
  /** rotate which mode starts each round (page cache and drift then favour none); default off first */
  alternate?: boolean;
  /** awaited before each measured request (e.g. until the machine is quiet) */
  beforeRequest?: () => Promise<void>;
  log?: (message: string) => void;
}

interface ModeRun {
  mode: MtpMode;
  /** ms per decoded token of the measured requests */
  msPerToken: number[];
  /** the same for the first request after the start (MTP: the draft backoff's and timing's ramp-up) */
  firstMsPerToken: number;
  drafted: number;
  accepted: number;
  /** tokens decoded without drafting: after refuted drafts (skipped), to time MTP or where it did not pay (paused) */
  skipped: number;
  paused: number;
  /** the most CPU (cores) other processes used during one of its requests */
  foreignCpuMax: number;
}

/** One drafting mode against the runs without a drafter of the same rounds. */
function versusOff(runs: ModeRun[], mode: MtpMode) {
  const on = runs.filter((r) => r.mode === mode);
  const off = runs.filter((r) => r.mode === "off");
  const pairRatios = on.map((r, i) => median(r.msPerToken) / median(off[i].msPerToken));
  return {
    onMsPerToken: median(on.flatMap((r) => r.msPerToken)),
    /** on ÷ off ms per token, the median of the pairs' ratios: < 1 is a speedup */
    ratio: median(pairRatios),
    /** each pair's ratio, in run order: the spread is the machine's noise */
    pairRatios,
    /** the same for each start's first request */
    firstRequestRatio: median(on.map((r, i) => r.firstMsPerToken / off[i].firstMsPerToken)),
    drafted: on.reduce((n, r) => n + r.drafted, 0),
    accepted: on.reduce((n, r) => n + r.accepted, 0),
    /** tokens the engine decoded without drafting after refuted drafts (patch 0003) */
    skipped: on.reduce((n, r) => n + r.skipped, 0),
    /** tokens it decoded without drafting to time MTP, or because drafting cost more (patch 0011) */
    paused: on.reduce((n, r) => n + r.paused, 0),
  };
}

/** Runs `start` with HEARTH_DRAFT_COST=0 in this process's environment (the engine inherits it) when asked. */
async function withDraftCost<T>(off: boolean, start: () => Promise<T>): Promise<T> {
  if (!off) return start();
  const before = process.env.HEARTH_DRAFT_COST;
  process.env.HEARTH_DRAFT_COST = "0";
  try {
    return await start();
  } finally {
    if (before === undefined) delete process.env.HEARTH_DRAFT_COST;
    else process.env.HEARTH_DRAFT_COST = before;
  }
}

/**
 * `rounds` rounds of engine starts, one with `drafter` (MTP on), one without and, with `everyRound`, one with
 * the drafter drafting every round, each decoding DECODE_PROMPT on slot 1 `1 + reps` times. The manager's
 * settings are restored afterwards.
 */
export async function mtpPairs(manager: ModelManager, settings: Partial<HearthSettings>, drafter: string, opts: MtpPairsOptions) {
  const base = manager.getSettings();
  const modes: MtpMode[] = opts.everyRound ? ["off", "on", "every-round"] : ["off", "on"];
  const runs: ModeRun[] = [];
  const texts = new Set<string>();
  try {
    for (let round = 0; round < opts.rounds; round++) {
      const shift = opts.alternate ? round % modes.length : 0;
      for (const mode of [...modes.slice(shift), ...modes.slice(0, shift)]) {
        const drafting = mode !== "off";
        // a fresh engine per mode (on and every-round have the same settings)
        await manager.unload();
        await manager.updateSettings({ ...base, ...settings, drafter: drafting ? drafter : "", mtp: drafting } as HearthSettings);
        const loaded = await withDraftCost(mode === "every-round", () => manager.ensureLoaded());
        const run: ModeRun = { mode, msPerToken: [], firstMsPerToken: 0, drafted: 0, accepted: 0, skipped: 0, paused: 0, foreignCpuMax: 0 };
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
          run.skipped += t.draft_n_skipped ?? 0;
          run.paused += t.draft_n_paused ?? 0;
          run.foreignCpuMax = Math.max(run.foreignCpuMax, foreignCpu ?? 0);
          texts.add(result.content);
        }
        runs.push(run);
        opts.log?.(
          `round ${round + 1}/${opts.rounds} MTP ${mode}: ${run.msPerToken.map((x) => x.toFixed(1)).join(", ")} ms/token; ` +
            `drafted ${run.drafted}, accepted ${run.accepted}, not drafted ${run.skipped} (refuted) + ${run.paused} (timing)`,
        );
      }
    }
  } finally {
    await manager.updateSettings(base);
  }
  return {
    offMsPerToken: median(runs.filter((r) => r.mode === "off").flatMap((r) => r.msPerToken)),
    ...versusOff(runs, "on"),
    /** the same with the drafter drafting every round (engine timing off), when measured */
    everyRound: opts.everyRound ? versusOff(runs, "every-round") : undefined,
    /** greedy decoding gave the same text in every request, with and without the drafter */
    identicalOutput: texts.size === 1,
    foreignCpuMax: Math.max(...runs.map((r) => r.foreignCpuMax)),
  };
}
