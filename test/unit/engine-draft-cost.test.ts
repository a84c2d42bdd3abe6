// The engine's draft pricing (patch 0011, tools/server/hearth-draft-cost.h): compiled from the patch as it ships and
// driven with synthetic step prices by test/fixtures/engine/draft-cost-sim.cpp, the way llama-server's slot loop
// drives it. The end-to-end side (same greedy text, counters) is in test/integration/mtp-completions.test.ts.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const PATCH = join(repoRoot, "scripts", "engine-patches", "0011-draft-cost.diff");
const SIM = join(repoRoot, "test", "fixtures", "engine", "draft-cost-sim.cpp");

interface Segment {
  plainTokens: number;
  draftedTokens: number;
  rounds: number;
  us: number;
  plainOnlyUs: number;
  paused: boolean;
  /** draft rounds before drafting first paused (-1: it did not) */
  roundsBeforePause: number;
}

let dir: string;
let sim: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "hearth-draft-cost-"));
  // only the new header: the rest of the patch needs the llama.cpp tree
  execFileSync("git", ["apply", "--include=tools/server/hearth-draft-cost.h", PATCH], { cwd: dir });
  sim = join(dir, "sim");
  execFileSync("g++", ["-std=c++17", "-O1", "-Wall", "-Wextra", "-Werror", "-I", join(dir, "tools", "server"), SIM, "-o", sim]);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The simulator's JSON answer for `args` (in its environment, plus `env`). */
function simulate<T>(args: string[], env: Record<string, string> = {}): T {
  return JSON.parse(execFileSync(sim, args, { encoding: "utf8", env: { ...process.env, ...env } })) as T;
}

/** Segments as TOKENS:PLAIN_US:ROUND_US:ROUND_TOKENS[:unclean][:jitter=F][:slowfirst=F][:accept=P][:plainfirst=N]; see the simulator. */
function run(...segments: string[]): Segment[] {
  return simulate<Segment[]>(segments);
}

describe("engine draft pricing (patch 0011)", () => {
  it("keeps drafting where a round saves time (the 12B on this CPU: ~600 ms a round, 1–4 tokens as drafts are accepted, ~250 ms a plain step)", () => {
    // drafts right 80 % of the time: 2.95 tokens a round on average, 0.81× the time of plain steps
    for (const tokens of [128, 2000]) {
      const [s] = run(`${tokens}:250000:600000:4:accept=0.8:jitter=0.15`);
      expect(s.plainTokens + s.draftedTokens).toBe(tokens);
      expect(s.plainTokens / tokens).toBeLessThan(0.05);
      expect(s.us / s.plainOnlyUs).toBeLessThan(0.86);
    }
    // fixed yields, no noise: within 2 % of drafting every round
    const [f] = run("2000:250:480:3");
    expect(f.us).toBeLessThan(1.02 * (2000 / 3) * 480);
  });

  it("decides well on most fresh slots: 2,000 simulated engine starts with the 12B's prices and with the bench model's", () => {
    const trials = (segment: string) => simulate<{ pausedShare: number; meanRatio: number }>(["--trials", "2000", segment]);
    // 12B: drafting every round is 0.81× plain; few slots ever pause in their first 256 tokens, and those resume
    const big = trials("256:250000:600000:4:accept=0.8:jitter=0.15");
    expect(big.pausedShare).toBeLessThan(0.1);
    expect(big.meanRatio).toBeLessThan(0.84);
    // the bench model: a round of 33 ms for 2.95 tokens against 7 ms plain (1.6×); every slot pauses, ~1.04×
    const small = trials("1024:7000:33000:4:accept=0.8:jitter=0.2");
    expect(small.pausedShare).toBe(1);
    expect(small.meanRatio).toBeLessThan(1.07);
  });

  it("stops drafting where a round costs more than the tokens it yields (small target, 2-core CPU), and keeps checking", () => {
    const [s] = run("5000:10:45:3");
    // 15 µs a token drafting vs 10 plain: nearly every token plain, the total close to plain steps only
    expect(s.plainTokens / 5000).toBeGreaterThan(0.95);
    expect(s.us / s.plainOnlyUs).toBeLessThan(1.03);
    expect(s.paused).toBe(true);
    // the pauses double but drafting is priced again after each
    expect(s.rounds).toBeGreaterThanOrEqual(3 * 4);
  });

  it("drafts again once drafting pays again (another load on the machine, a longer context)", () => {
    const [dear, cheap] = run("3000:10:45:3", "3000:250:480:3");
    expect(dear.paused).toBe(true);
    expect(cheap.paused).toBe(false);
    // back within the longest pause (1,024 tokens) and then drafting
    expect(cheap.plainTokens).toBeLessThan(1024 + 200);
    expect(cheap.us).toBeLessThan(0.8 * cheap.plainOnlyUs);
  });

  it("is not misled by a slow first round (the verification batch's first use, the drafter's weights paged in)", () => {
    // the 12B on this CPU: a round ~580 ms for 2.7 tokens, a plain step ~280 ms; the engine's first round 10× dearer
    const [s] = run("2000:280000:580000:3:slowfirst=10");
    expect(s.plainTokens / 2000).toBeLessThan(0.03);
    const [t] = run("2000:280000:580000:3:slowfirst=10:jitter=0.3");
    expect(t.plainTokens / 2000).toBeLessThan(0.05);
  });

  it("pauses after 4 rounds, not 8, when plain steps were timed meanwhile and drafting clearly loses (refuted drafts)", () => {
    // after refuted rounds the acceptance backoff decodes plain steps; a round then yields 1 token for ~5 steps
    const [refuted] = run("256:6:33:1:plainfirst=4");
    expect(refuted.roundsBeforePause).toBe(4);
    // without those plain timings it waits for 8 rounds and times plain steps itself
    const [unpriced] = run("256:6:33:1");
    expect(unpriced.roundsBeforePause).toBe(8);
    // a round that loses by less than 2× waits too (its yield needs more rounds to be sure of)
    const [close] = run("256:6:9:1:plainfirst=4");
    expect(close.roundsBeforePause).toBe(8);
  });

  it("never pauses on prices taken while another slot shared the iteration", () => {
    const [s] = run("2000:10:45:3:unclean");
    expect(s.plainTokens).toBeLessThan(0.03 * 2000);
    expect(s.paused).toBe(false);
  });

  it("holds its decisions under noisy prices (±40 % per step)", () => {
    const [wins] = run("5000:250:600:3:jitter=0.4");
    const [loses] = run("5000:10:45:3:jitter=0.4");
    expect(wins.us).toBeLessThan(0.85 * wins.plainOnlyUs);
    expect(loses.us).toBeLessThan(1.08 * loses.plainOnlyUs);
  });

  it("drafts every round when turned off (HEARTH_DRAFT_COST=0)", () => {
    const [s] = simulate<Segment[]>(["2000:10:45:3"], { HEARTH_DRAFT_COST: "0" });
    expect(s.plainTokens).toBe(0);
    expect(s.rounds).toBe(667);
  });
});
