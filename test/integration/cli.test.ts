/**
 * The headless CLI end to end, as a user runs it: generated tiny models, a real host process, a real engine.
 * This is the check run on the host issue: complete a file position, answer a chat prompt, accept a PNG and
 * a WAV, and fail with a one-line reason (non-zero exit) on a truncated GGUF.
 */
import { execFile, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { beforeAll, describe, expect, it } from "vitest";
import { locateEngine } from "../../server/engine/install";
import { startHfFixture } from "../helpers/hfFixture";
import { startOpenAiFixture } from "../helpers/openAiFixture";
import { makePng, makeWav } from "../helpers/media";
import { assertBuilt, CLI } from "../helpers/tinyHost";

const run = promisify(execFile);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-cli-"));
const models = path.join(dir, "models");
const common = () => ["--model", path.join(models, "text.gguf"), "--ctx", "8192", "--threads", "2"];

async function hearth(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, maxBuffer: 16 << 20, cwd });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  assertBuilt();
  const r = await hearth(["models", "tiny", models]);
  expect(r.code).toBe(0);
});

describe("hearth CLI", () => {
  it("models tiny writes text.gguf, mmproj.gguf and assistant.gguf", () => {
    for (const f of ["text.gguf", "mmproj.gguf", "assistant.gguf"]) expect(fs.statSync(path.join(models, f)).size).toBeGreaterThan(1000);
  });

  it("models check validates the files and estimates memory", async () => {
    const r = await hearth(["models", "check", "--model", path.join(models, "text.gguf"), "--ctx", "8192", "--mmproj", path.join(models, "mmproj.gguf"), "--drafter", path.join(models, "assistant.gguf")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/model +.*text\.gguf: ok \(gemma4/);
    expect(r.stdout).toMatch(/mmproj +.*mmproj\.gguf: ok \(clip/);
    expect(r.stdout).toMatch(/drafter +.*assistant\.gguf: ok \(gemma4-assistant/);
    expect(r.stdout).toMatch(/memory +weights .* at 8192 tokens/);
  });

  it("complete FILE:LINE:COL prints a completion, and the prompt is logged", async () => {
    const file = path.join(dir, "greet.py");
    fs.writeFileSync(file, "def greet(name):\n    return \n");
    const log = path.join(dir, "prompts.jsonl");
    const r = await hearth(["complete", `${file}:2:12`, ...common()], { HEARTH_PROMPT_LOG: log });
    expect(r.code).toBe(0);
    const prompt = JSON.parse(fs.readFileSync(log, "utf8").trim().split("\n")[0]).prompt as string;
    expect(prompt).toContain("def greet(name):");
    expect(prompt).toMatch(/<\|turn>model\n/);
  });

  it("complete --workspace puts the workspace in the prompt, but never secrets or ignored files", async () => {
    const ws = path.join(dir, "ws");
    fs.mkdirSync(path.join(ws, "src"), { recursive: true });
    fs.writeFileSync(path.join(ws, "src", "money.ts"), "export function cents(dollars: number): number {\n  return Math.round(dollars * 100);\n}\n");
    fs.writeFileSync(path.join(ws, "src", "cart.ts"), "import { cents } from './money';\nexport const total = \n");
    fs.writeFileSync(path.join(ws, ".env"), "STRIPE_KEY=sk_live_do_not_leak_me\n");
    fs.writeFileSync(path.join(ws, ".gitignore"), "notes/\n");
    fs.mkdirSync(path.join(ws, "notes"));
    fs.writeFileSync(path.join(ws, "notes", "private.md"), "ignored text that must not appear\n");
    const log = path.join(dir, "ws-prompts.jsonl");
    // FILE is relative to the current directory (here the workspace), not to --workspace.
    const r = await hearth(["complete", "src/cart.ts:2:22", "--workspace", ws, ...common()], { HEARTH_PROMPT_LOG: log }, ws);
    expect(r.code).toBe(0);
    const prompt = JSON.parse(fs.readFileSync(log, "utf8").trim().split("\n").at(-1)!).prompt as string;
    expect(prompt).toContain("src/money.ts");
    expect(prompt).toContain("return Math.round(dollars * 100);");
    // The workspace comes first, before the file being edited (whose saved copy may be in the workspace part
    // too, when it is not the prefix's tail: the live text is the last occurrence).
    expect(prompt.indexOf("src/money.ts")).toBeLessThan(prompt.lastIndexOf("import { cents }"));
    expect(prompt).not.toContain("sk_live_do_not_leak_me");
    expect(prompt).not.toContain("ignored text that must not appear");
  });

  it("chat --workspace answers about the workspace: its files in the prompt, never secrets or ignored files", async () => {
    const ws = path.join(dir, "ws"); // written by the complete --workspace test above
    const log = path.join(dir, "ws-chat-prompts.jsonl");
    const r = await hearth(["chat", "Where", "is", "cents", "defined?", "--workspace", ws, ...common(), "--max-tokens", "6", "--no-mtp"], { HEARTH_PROMPT_LOG: log });
    expect(r.code).toBe(0);
    const sent = fs.readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { endpoint: string; id_slot?: number; prompt?: string });
    const prompt = sent.filter((e) => e.endpoint === "/completion" && e.id_slot === 1).at(-1)!.prompt!;
    expect(prompt).toContain("Workspace file: src/money.ts");
    expect(prompt).toContain("Where is cents defined?");
    expect(prompt).not.toContain("sk_live_do_not_leak_me");
    expect(prompt).not.toContain("ignored text that must not appear");
  });

  it("edit FILE:A-B rewrites those lines: the prompt marks them in the file, with the workspace when given; --json has the code and the answer", async () => {
    const ws = path.join(dir, "edit-ws");
    fs.mkdirSync(path.join(ws, "src"), { recursive: true });
    fs.writeFileSync(path.join(ws, "src", "money.ts"), "export function cents(dollars: number): number {\n  return Math.round(dollars * 100);\n}\n");
    fs.writeFileSync(path.join(ws, ".env"), "STRIPE_KEY=sk_live_do_not_leak_me\n");
    fs.writeFileSync(path.join(ws, "AGENTS.md"), "Money is integer cents; never use floating point.\n");
    const log = path.join(dir, "edit-prompts.jsonl");
    const r = await hearth(["edit", "src/money.ts:2-2", "round", "down", "instead", "--workspace", ws, ...common(), "--max-tokens", "8", "--no-mtp", "--seed", "1", "--json"], { HEARTH_PROMPT_LOG: log }, ws);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ file: path.join(ws, "src", "money.ts"), startLine: 2, endLine: 2, workspace: true });
    expect(json.stats.generatedTokens).toBeLessThanOrEqual(8);
    expect(typeof json.text).toBe("string");
    // The code is taken from the answer: re-indented to the line it replaces, never the prompt's markers.
    expect(json.code).not.toMatch(/<<<<<<<|>>>>>>>/);
    if (json.code.trim()) expect(json.code).toMatch(/^ {2}\S/);
    const sent = fs.readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { endpoint: string; id_slot?: number; prompt?: string });
    const prompt = sent.filter((e) => e.endpoint === "/completion" && e.id_slot === 1).at(-1)!.prompt!;
    expect(prompt).toContain("Workspace file: src/money.ts");
    expect(prompt).toContain("File: src/money.ts\n\n```typescript\nexport function cents(dollars: number): number {\n<<<<<<< SELECTION\n  return Math.round(dollars * 100);\n>>>>>>> END OF SELECTION\n}\n```");
    expect(prompt).toContain("Change the marked lines: round down instead");
    expect(prompt).not.toContain("sk_live_do_not_leak_me");
    // The workspace's AGENTS.md goes with the edit as standing instructions, and the CLI says so.
    expect(prompt).toContain("From AGENTS.md:\nMoney is integer cents; never use floating point.");
    expect(json.instructions).toEqual([{ kind: "file", path: "AGENTS.md", uri: pathToFileURL(path.join(fs.realpathSync(ws), "AGENTS.md")).href }]);
    expect(r.stderr).toContain("(following AGENTS.md)\n");

    // Lines outside the file are a usage error; a secrets file is refused before any prompt.
    const outside = await hearth(["edit", "src/money.ts:3-9", "x", ...common()], {}, ws);
    expect(outside.code).toBe(2);
    expect(outside.stderr).toBe("hearth: lines 3-9 are not lines of src/money.ts (it has 3)\n");
    const one = await hearth(["edit", "src/money.ts:5", "x", ...common()], {}, ws);
    expect(one.code).toBe(2);
    expect(one.stderr).toBe("hearth: line 5 is not a line of src/money.ts (it has 3)\n");
    const secret = await hearth(["edit", ".env:1", "rotate", "the", "key", ...common()], {}, ws);
    expect(secret.code).toBe(1);
    expect(secret.stderr.trim().split("\n").at(-1)).toMatch(/secrets file .*cannot edit it/);
  });

  it("commit-message describes what is staged: the diff and recent subjects in the prompt, never a secrets file's changes", async () => {
    const repo = path.join(dir, "repo");
    fs.mkdirSync(repo, { recursive: true });
    const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=T", "-c", "user.email=t@example.com", ...args], { cwd: repo, encoding: "utf8" });
    git("init", "-q");
    fs.writeFileSync(path.join(repo, "money.ts"), "export const cents = (d: number) => d * 100;\n");
    fs.writeFileSync(path.join(repo, "AGENTS.md"), "# Commits\nScope every subject: type(area): what.\n");
    git("add", ".");
    git("commit", "-qm", "feat(money): add cents()");
    // Nothing staged yet: a usage error that says what to do.
    const none = await hearth(["commit-message", ...common()], {}, repo);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("nothing is staged");

    fs.writeFileSync(path.join(repo, "money.ts"), "export const cents = (d: number) => Math.round(d * 100);\n");
    fs.writeFileSync(path.join(repo, ".env"), "STRIPE_KEY=sk_live_commit_secret\n");
    git("add", ".");
    const log = path.join(dir, "commit-prompts.jsonl");
    // (seed 1 at temperature 1: the tiny model writes something, so the CLI does not fail for an empty message)
    const r = await hearth(["commit-message", ...common(), "--max-tokens", "12", "--no-mtp", "--seed", "1", "--temperature", "1", "--json"], { HEARTH_PROMPT_LOG: log }, repo);
    expect(r.stderr).not.toMatch(/hearth:/);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(typeof json.message).toBe("string");
    expect(json.omitted).toEqual([{ path: ".env", reason: "secret" }]);
    expect(r.stderr).toContain("(.env: not shown to the model, a secrets file)");
    const sent = fs.readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { endpoint: string; messages?: { content: unknown }[] });
    const prompt = JSON.stringify(sent.at(-1));
    expect(prompt).toContain("+export const cents = (d: number) => Math.round(d * 100);");
    expect(prompt).toContain("- feat(money): add cents()");
    expect(prompt).toContain("changes to a secrets file: not shown");
    expect(prompt).not.toContain("sk_live_commit_secret");
    // The repository's AGENTS.md (committed, so not in the diff) goes with it as standing instructions.
    expect(prompt).toContain(JSON.stringify("From AGENTS.md:\n# Commits\nScope every subject: type(area): what.").slice(1, -1));
    expect(json.instructions).toEqual([{ kind: "file", path: "AGENTS.md", uri: pathToFileURL(path.join(fs.realpathSync(repo), "AGENTS.md")).href }]);
    expect(r.stderr).toContain("(following AGENTS.md)\n");
  });

  it("commit-message of a diff larger than the context shows the files that fit it and names the others", async () => {
    const repo = path.join(dir, "big-repo");
    fs.mkdirSync(repo, { recursive: true });
    const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=T", "-c", "user.email=t@example.com", ...args], { cwd: repo, encoding: "utf8" });
    git("init", "-q");
    // 7 files, ~32K characters of diff: more than 8192 tokens (the tiny vocabulary takes ~1.5 characters a token)
    const handlers = (i: number, send: string) =>
      Array.from({ length: 25 }, (_, j) => `export function handler${i}_${j}(request: Request, response: Response): void {\n  const value = request.body.items[${j}];\n  ${send};\n}\n`).join("");
    for (let i = 1; i <= 7; i++) fs.writeFileSync(path.join(repo, `f${i}.ts`), handlers(i, "response.send(value)"));
    git("add", ".");
    git("commit", "-qm", "feat: handlers");
    for (let i = 1; i <= 7; i++) fs.writeFileSync(path.join(repo, `f${i}.ts`), handlers(i, "response.json({ value, ok: true })"));
    git("add", ".");
    const r = await hearth(["commit-message", ...common(), "--max-tokens", "8", "--no-mtp", "--seed", "1", "--temperature", "1", "--json"], {}, repo);
    expect(r.stderr).not.toMatch(/context/);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.stats.promptTokens + 8).toBeLessThanOrEqual(8192);
    const left = json.omitted.filter((o: { reason: string }) => o.reason === "budget").map((o: { path: string }) => o.path);
    expect(left.length).toBeGreaterThan(0);
    expect(left.length).toBeLessThan(7);
    expect(r.stderr).toContain(`(${left[0]}: not shown to the model, over the prompt's budget)`);
  });

  it("commit-message outside a git repository is a usage error that says so", async () => {
    const plain = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-no-repo-"));
    const r = await hearth(["commit-message", ...common()], {}, plain);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("hearth: not in a git repository: run hearth commit-message inside one\n");
  });

  it("fails with a reason, printing nothing, when the model wrote nothing (commit-message, edit)", async () => {
    const server = await startOpenAiFixture({ answer: "" });
    try {
      const repo = path.join(dir, "empty-answer-repo");
      fs.mkdirSync(repo, { recursive: true });
      const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=T", "-c", "user.email=t@example.com", ...args], { cwd: repo, encoding: "utf8" });
      git("init", "-q");
      fs.writeFileSync(path.join(repo, "a.ts"), "export const a = 1;\n");
      git("add", ".");
      for (const json of [[], ["--json"]]) {
        const commit = await hearth(["commit-message", "--endpoint", server.url, ...json], {}, repo);
        expect(commit).toMatchObject({ code: 1, stdout: "" });
        expect(commit.stderr.trim().split("\n").at(-1)).toBe("hearth: the model wrote no message: run it again");
        const edit = await hearth(["edit", "a.ts:1", "rename", "it", "--endpoint", server.url, ...json], {}, repo);
        expect(edit).toMatchObject({ code: 1, stdout: "" });
        expect(edit.stderr.trim().split("\n").at(-1)).toBe("hearth: the model wrote nothing: run it again");
      }
    } finally {
      await server.close();
    }
  });

  it("complete of a file whose prompt is more than the context fails with a sentence, not the engine's text", async () => {
    const file = path.join(dir, "huge.ts");
    fs.writeFileSync(file, Array.from({ length: 1200 }, (_, i) => `export function f${i}(a: number, b: string): string { return b.repeat(a) + "${i}"; }\n`).join(""));
    const r = await hearth(["complete", "huge.ts:800:10", ...common(), "--ctx", "4096", "--max-tokens", "8"], {}, dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^hearth: The completion's prompt \(the code around the cursor and the workspace\) is [\d,]+ tokens, more than the model's 4,096-token context: .*raise hearth\.contextSize/);
  });

  it("chat answers on stdout (auto-finding the mmproj and drafter beside the model)", async () => {
    const r = await hearth(["chat", "Say hello.", ...common(), "--max-tokens", "12", "--temperature", "1", "--seed", "1", "--json"]);
    expect(r.code).toBe(0);
    // --json: stdout is one JSON document (the answer is not streamed in front of it).
    const json = JSON.parse(r.stdout);
    expect(typeof json.text).toBe("string");
    expect(json.stats.generatedTokens).toBe(12);
    expect(json.stats.draftTokens).toBeGreaterThan(0);
  });

  it("explain accepts a PNG", async () => {
    const png = path.join(dir, "screen.png");
    fs.writeFileSync(png, makePng(1024, 768));
    const log = path.join(dir, "explain-prompts.jsonl");
    const r = await hearth(["explain", png, ...common(), "--max-tokens", "8", "--temperature", "0.3", "--seed", "7"], { HEARTH_PROMPT_LOG: log });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("(336 image tokens)");
    // the sampling options reach the engine's request
    const sent = fs.readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { endpoint: string; temperature?: number; seed?: number });
    expect(sent.find((e) => e.endpoint === "/v1/chat/completions")).toMatchObject({ temperature: 0.3, seed: 7, max_tokens: 8 });
  });

  it("summarize accepts a WAV and prints a Markdown document", async () => {
    const wav = path.join(dir, "standup.wav");
    fs.writeFileSync(wav, makeWav(10, 16000));
    const out = path.join(dir, "summary.md");
    const r = await hearth(["summarize", wav, ...common(), "--max-tokens", "8", "--out", out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# Meeting summary — standup\.wav/);
    expect(r.stderr).toContain("(250 audio tokens, 10.0 s)");
    expect(fs.readFileSync(out, "utf8").trimEnd()).toBe(r.stdout.trimEnd());
  });

  it("fails with one line and a non-zero exit on a truncated GGUF", async () => {
    const cut = path.join(dir, "cut.gguf");
    const bytes = fs.readFileSync(path.join(models, "text.gguf"));
    fs.writeFileSync(cut, bytes.subarray(0, bytes.length >> 1));
    const r = await hearth(["chat", "hi", "--model", cut, "--mmproj", "", "--drafter", ""]);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^hearth: .*cut\.gguf is truncated: it has \d+ of the \d+ bytes/);
  });

  it("fails clearly on a file that is not a GGUF, and on a missing image", async () => {
    const txt = path.join(dir, "readme.gguf");
    fs.writeFileSync(txt, "hello");
    const a = await hearth(["chat", "hi", "--model", txt]);
    expect(a.code).not.toBe(0);
    expect(a.stderr).toMatch(/^hearth: .*readme\.gguf is not a GGUF file/);
    const b = await hearth(["explain", path.join(dir, "nope.png"), ...common()]);
    expect(b.code).not.toBe(0);
    expect(b.stderr).toMatch(/^hearth: Cannot read the image .*nope\.png: no such file\.\n$/);
  });

  it("prints usage errors with exit code 2", async () => {
    const r = await hearth(["complete", "nofile"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^hearth: complete needs FILE:LINE:COL/);
  });
  it("complete honours --max-tokens and --temperature, and --json prints the text with the host's stats; --out gets stdout", async () => {
    const file = path.join(dir, "limits.py");
    fs.writeFileSync(file, "def total(xs):\n    return \n");
    const log = path.join(dir, "limits-prompts.jsonl");
    const out = path.join(dir, "complete.json");
    const r = await hearth(["complete", `${file}:2:12`, ...common(), "--max-tokens", "3", "--temperature", "0.5", "--json", "--out", out], { HEARTH_PROMPT_LOG: log });
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ file, line: 2, column: 12 });
    expect(typeof json.text).toBe("string");
    expect(json.stats.generatedTokens).toBeLessThanOrEqual(3);
    expect(typeof json.layoutMs).toBe("number");
    const sent = JSON.parse(fs.readFileSync(log, "utf8").trim().split("\n").at(-1)!);
    expect(sent.n_predict).toBe(3);
    expect(sent.temperature).toBe(0.5);
    expect(fs.readFileSync(out, "utf8")).toBe(r.stdout);
  });

  it("chat and explain write --out (what they print on stdout)", async () => {
    const o1 = path.join(dir, "o1.txt");
    const a = await hearth(["chat", "hi", ...common(), "--max-tokens", "4", "--seed", "2", "--out", o1]);
    expect(a.code).toBe(0);
    expect(fs.readFileSync(o1, "utf8")).toBe(a.stdout);
    const png = path.join(dir, "shot.png");
    fs.writeFileSync(png, makePng(320, 200));
    const o2 = path.join(dir, "o2.json");
    const b = await hearth(["explain", png, ...common(), "--max-tokens", "4", "--question", "What is this?", "--json", "--out", o2]);
    expect(b.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(o2, "utf8")).mediaTokens).toBeGreaterThan(0);
    expect(fs.readFileSync(o2, "utf8")).toBe(b.stdout);
  });

  it("rejects an option the command cannot use (exit 2), instead of ignoring it", async () => {
    const cases: [string[], RegExp][] = [
      [["complete", "x.py:1:1", "--seed", "1"], /^hearth: --seed does not apply to complete: the host's complete request takes no sampling seed \(it is for: chat, edit, commit-message, explain, summarize\)\n$/],
      [["chat", "hi", "--question", "why"], /^hearth: --question does not apply to chat \(it is for: explain\)\n$/],
      [["models", "pull", "--temperature", "1"], /^hearth: --temperature does not apply to models pull \(it is for: complete, chat, edit, commit-message, explain, summarize\)\n$/],
      [["summarize", "x.wav", "--workspace", dir], /^hearth: --workspace does not apply to summarize \(it is for: complete, chat, edit\)\n$/],
      [["models", "check", "--model", "x.gguf", "--threads", "2"], /^hearth: --threads does not apply to models check/],
      [["models", "list", "--model", "x.gguf"], /^hearth: --model does not apply to models list/],
      [["chat", "hi", "--max-tokens", "many"], /^hearth: --max-tokens needs a whole number ≥ 1, not "many"\n$/],
      [["chat", "hi", "--bogus"], /^hearth: Unknown option '--bogus'/],
    ];
    for (const [args, message] of cases) {
      const r = await hearth(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  it("says whether the line or the column is out of range, and resolves FILE against the current directory", async () => {
    const file = path.join(dir, "orders.ts");
    fs.writeFileSync(file, "export const a = 1;\nexport const b = 2;\n");
    const col = await hearth(["complete", "orders.ts:2:99", ...common()], {}, dir);
    expect(col.code).toBe(2);
    expect(col.stderr).toBe("hearth: column 99 is outside line 2 of orders.ts (19 characters: columns 1 to 20)\n");
    const line = await hearth(["complete", "orders.ts:9:1", ...common(), "--workspace", path.join(dir, "ws")], {}, dir);
    expect(line.code).toBe(2);
    expect(line.stderr).toBe("hearth: line 9 is outside orders.ts (2 lines)\n");
  });

  it("fails on a --workspace that does not exist", async () => {
    const r = await hearth(["chat", "hi", "--workspace", path.join(dir, "nonexistent"), ...common()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^hearth: --workspace .*nonexistent: no such directory\n$/);
  });

  it("a closed stdout ends the command quietly (exit 0) and stops the host and its engine", async () => {
    const modelDir = fs.mkdtempSync(path.join(dir, "epipe-"));
    fs.cpSync(models, modelDir, { recursive: true });
    const child = spawn(process.execPath, [CLI, "chat", "hello there", "--model", path.join(modelDir, "text.gguf"), "--ctx", "8192", "--threads", "2", "--max-tokens", "4000", "--temperature", "1"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    // Like `| head -c 5`: read the first bytes, then close the pipe.
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
    child.stdout.destroy();
    const start = Date.now();
    const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(Date.now() - start).toBeLessThan(20_000);
    const { stdout: ps } = await run("ps", ["-eo", "args"]);
    expect(ps).not.toContain(modelDir);
  });

  it("models check finds the mmproj and drafter beside the model, reports a bad one once, and shows every term of the memory total", async () => {
    const good = await hearth(["models", "check", "--model", path.join(models, "text.gguf"), "--ctx", "8192"]);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/mmproj +.*mmproj\.gguf: ok \(clip, .*\), found beside the model/);
    expect(good.stdout).toMatch(/drafter +.*assistant\.gguf: ok \(gemma4-assistant, .*\), found beside the model/);
    expect(good.stdout).toMatch(/memory +weights [\d.]+ \w+ \(model [\d.]+ \w+ \+ mmproj [\d.]+ \w+ \+ drafter [\d.]+ \w+\) \+ KV [\d.]+ \w+ at 8192 tokens \+ compute buffer [\d.]+ \w+ = [\d.]+ \w+;/);
    const json = JSON.parse((await hearth(["models", "check", "--model", path.join(models, "text.gguf"), "--ctx", "8192", "--json"])).stdout);
    const m = json.memory;
    expect(m.weightsBytes + m.kvCacheBytes + m.computeBufferBytes).toBe(m.totalBytes);
    expect(m.weightsBytes).toBe(json.files.reduce((s: number, f: { sizeBytes: number }) => s + f.sizeBytes, 0));

    // A damaged projector beside the model: found by `auto`, and its error printed once (stdout), exit 1.
    const bad = path.join(dir, "bad-models");
    fs.mkdirSync(bad);
    fs.copyFileSync(path.join(models, "text.gguf"), path.join(bad, "text.gguf"));
    fs.writeFileSync(path.join(bad, "mmproj.gguf"), "not a gguf");
    const r = await hearth(["models", "check", "--model", path.join(bad, "text.gguf")]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/mmproj +.*mmproj\.gguf: ERROR .*is not a GGUF file/);
    expect(r.stdout.match(/is not a GGUF file/g)).toHaveLength(1);
    expect(r.stderr).toBe("");
  });

  it("fails fast on a model URL that cannot be reached, with a sentence naming the host", async () => {
    const server = http.createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    await new Promise((r) => server.close(r));
    const start = Date.now();
    const r = await hearth(["chat", "hi", "--model", `http://127.0.0.1:${port}/x.gguf`, "--yes"], { HOME: fs.mkdtempSync(path.join(dir, "home-")) });
    expect(Date.now() - start).toBeLessThan(15_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/hearth: x\.gguf: attempt 1 of 3 to reach http:\/\/127\.0\.0\.1:\d+ failed \(connect ECONNREFUSED/);
    expect(r.stderr.trimEnd().split("\n").at(-1)).toBe(
      `hearth: Cannot reach http://127.0.0.1:${port}/ to download x.gguf: connect ECONNREFUSED 127.0.0.1:${port}. Check the network and the URL, or use a local GGUF path.`,
    );
  });

  it("models pull shows download progress on stderr", async () => {
    const hub = await startHfFixture({ "test/tiny-GGUF": models });
    try {
      const home = fs.mkdtempSync(path.join(dir, "home-"));
      const r = await hearth(["models", "pull", "--model", "hf:test/tiny-GGUF/text.gguf", "--mmproj", "", "--drafter", ""], { HOME: home, HF_ENDPOINT: hub.endpoint });
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(path.join(home, ".cache", "hearth", "models", "test", "tiny-GGUF", "text.gguf"));
      expect(r.stderr).toMatch(/^downloading text\.gguf: /m);
      expect(r.stderr).toMatch(/downloading text\.gguf: 100% /);

      // models list shows it; models rm deletes it (and only what is in the models folder)
      const pulled = r.stdout.trim();
      const listed = await hearth(["models", "list", "--json"], { HOME: home });
      expect(JSON.parse(listed.stdout)).toEqual([{ path: pulled, sizeBytes: fs.statSync(pulled).size }]);
      const outside = await hearth(["models", "rm", path.join(models, "text.gguf")], { HOME: home });
      expect(outside.code).toBe(2);
      expect(outside.stderr).toMatch(/is not a model file in .*: Hearth deletes only what it downloaded there/);
      expect(fs.existsSync(path.join(models, "text.gguf"))).toBe(true);
      const rm = await hearth(["models", "rm", pulled], { HOME: home });
      expect(rm.code).toBe(0);
      expect(rm.stdout).toMatch(/^deleted 1 file, [\d.]+ [KMG]iB freed$/m);
      expect(fs.existsSync(pulled)).toBe(false);
      expect(fs.existsSync(path.join(home, ".cache", "hearth", "models", "test"))).toBe(false); // (emptied folders go too)
      expect((await hearth(["models", "list"], { HOME: home })).stdout).toMatch(/^no models in /);
    } finally {
      await hub.close();
    }
  });

  it("HEARTH_MODEL=tiny runs on generated tiny models, cached under HEARTH_CACHE_DIR/tiny", async () => {
    const cache = fs.mkdtempSync(path.join(dir, "cache-"));
    const env = { HEARTH_MODEL: "tiny", HEARTH_CACHE_DIR: cache, HEARTH_LLAMA_SERVER: locateEngine().serverPath };
    const r = await hearth(["chat", "hi", "--max-tokens", "3", "--threads", "2", "--json"], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).stats.generatedTokens).toBe(3);
    for (const f of ["text.gguf", "mmproj.gguf", "assistant.gguf"]) expect(fs.existsSync(path.join(cache, "tiny", f))).toBe(true);
    const check = await hearth(["models", "check"], env);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain(path.join(cache, "tiny", "text.gguf"));
  });
});
