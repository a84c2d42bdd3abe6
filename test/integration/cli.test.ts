/**
 * The headless CLI end to end, as a user runs it: generated tiny models, a real host process, a real engine.
 * This is the check run on the host issue: complete a file position, answer a chat prompt, accept a PNG and
 * a WAV, and fail with a one-line reason (non-zero exit) on a truncated GGUF.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { makePng, makeWav } from "../helpers/media";
import { assertBuilt, CLI } from "../helpers/tinyHost";

const run = promisify(execFile);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-cli-"));
const models = path.join(dir, "models");
const common = () => ["--model", path.join(models, "text.gguf"), "--ctx", "8192", "--threads", "2", "--seed", "1"];

async function hearth(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, maxBuffer: 16 << 20 });
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
    const r = await hearth(["models", "check", ...common(), "--mmproj", path.join(models, "mmproj.gguf"), "--drafter", path.join(models, "assistant.gguf")]);
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
    const r = await hearth(["complete", "src/cart.ts:2:22", "--workspace", ws, ...common()], { HEARTH_PROMPT_LOG: log });
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

  it("chat answers on stdout (auto-finding the mmproj and drafter beside the model)", async () => {
    const r = await hearth(["chat", "Say hello.", ...common(), "--max-tokens", "12", "--temperature", "1", "--json"]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout.slice(r.stdout.indexOf("\n{") + 1));
    expect(json.stats.generatedTokens).toBe(12);
    expect(json.stats.draftTokens).toBeGreaterThan(0);
  });

  it("explain accepts a PNG", async () => {
    const png = path.join(dir, "screen.png");
    fs.writeFileSync(png, makePng(1024, 768));
    const r = await hearth(["explain", png, ...common(), "--max-tokens", "8"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("(336 image tokens)");
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
});
