/**
 * `npm start`: the main job until the VS Code extension lands — the Hearth host driven through its CLI on
 * a sample workspace: a completion, a chat answer, a screenshot explained, a meeting summarized.
 *
 * HEARTH_MODEL=tiny (or no downloaded model and no terminal to ask) runs fully offline on generated tiny
 * Gemma 4 models (random weights: the output is noise, the plumbing is real). Otherwise it uses the
 * configured model (default Gemma 4 12B), asking before a download.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline/promises";
import { makePng, makeWav } from "../test/helpers/media";

const root = path.resolve(import.meta.dirname, "..");
const cli = path.join(root, "dist", "cli.js");
const work = path.join(root, ".hearth-tmp", "demo");
fs.mkdirSync(work, { recursive: true });

function hearth(args: string[], label: string): void {
  process.stdout.write(`\n━━ ${label}\n$ hearth ${args.join(" ")}\n`);
  const r = spawnSync(process.execPath, [cli, ...args], { stdio: "inherit" });
  if (r.status !== 0) process.stdout.write(`(exit code ${r.status})\n`);
}

async function chooseModel(): Promise<string[]> {
  const wanted = process.env.HEARTH_MODEL;
  if (wanted && wanted !== "tiny") return ["--model", wanted, "--yes"];
  if (wanted !== "tiny") {
    const listed = execFileSync(process.execPath, [cli, "models", "list"], { encoding: "utf8" });
    if (/gemma-4-12B/i.test(listed)) return [];
    if (process.stdin.isTTY) {
      const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
      const answer = await rl.question(
        "Hearth's default model is Gemma 4 12B (Q4_K_M ≈ 7 GB, plus its mmproj and MTP drafter), saved in ~/.cache/hearth/models.\nDownload it now? [y/N] ",
      );
      rl.close();
      if (/^y/i.test(answer)) {
        hearth(["models", "pull"], "Downloading the default model");
        return [];
      }
    }
    process.stdout.write("No downloaded model: using generated tiny Gemma 4 models (HEARTH_MODEL=tiny).\n");
  }
  const dir = path.join(work, "tiny");
  execFileSync(process.execPath, [cli, "models", "tiny", dir]);
  return ["--model", path.join(dir, "text.gguf"), "--ctx", "8192"];
}

const model = await chooseModel();
const png = path.join(work, "screenshot.png");
const wav = path.join(work, "standup.wav");
fs.writeFileSync(png, makePng(1024, 768));
fs.writeFileSync(wav, makeWav(20, 16000));
const file = path.join(root, "demo", "workspace", "src", "cart.ts");

hearth(["complete", `${file}:11:3`, ...model, "--max-tokens", "48"], "Inline completion at cart.ts:11:3");
hearth(["chat", "In one sentence, what is a prefix cache?", ...model, "--max-tokens", "48", "--seed", "1"], "Chat");
hearth(["explain", png, ...model, "--max-tokens", "48"], "Explain screenshot (1024×768 PNG)");
hearth(["summarize", wav, ...model, "--max-tokens", "64", "--out", path.join(work, "standup.md")], "Summarize meeting (20 s WAV)");
process.stdout.write(`\nDone. The meeting summary is in ${path.join(work, "standup.md")}.\n`);
