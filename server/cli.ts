/**
 * `hearth` — the headless CLI. Every command (except `models list` and `models tiny`) runs the real host as a
 * child process and talks LSP to it, exactly like the editor does. Results go to stdout; progress and logs to
 * stderr (logs only with --verbose); a failure exits non-zero with one line that says why (2: a usage error).
 * An option that does not apply to the command is a usage error, never silently ignored. A closed stdout
 * (`hearth chat … | head`) ends the command quietly with exit 0, cancelling the request and stopping the host.
 */
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { InlineCompletionRequest, DidOpenTextDocumentNotification, ResponseError, CancellationTokenSource } from "vscode-languageserver-protocol";
import { HostProcess } from "./client/hostProcess";
import { writeTinyModels, type TinyModelPaths } from "./gguf/tinyModels";
import { languageIdOf } from "./languages";
import {
  ChatRequest,
  CheckModelRequest,
  CompletionFailedNotification,
  CompletionStatsNotification,
  CommitMessageRequest,
  DownloadModelRequest,
  EditCodeRequest,
  ExplainImageRequest,
  SummarizeAudioRequest,
  type ChatResult,
  type InstructionsUsed,
  type CompletionStatsParams,
  type DownloadProgress,
  type PromptProgress,
  type CommitMessageResult,
  type EditCodeResult,
  type HearthError,
  type HearthErrorData,
  type HearthSettings,
  type LogParams,
  type MediaResult,
  type ModelCheckReport,
  type ModelStatus,
  type SummarizeAudioResult,
} from "./protocol";
import { defaultModelsDir, isRemote, planModelFiles } from "./models/resolve";
import { listDownloaded, removeDownloaded } from "./models/downloaded";
import { formatBytes } from "./engine/sizing";

const USAGE = `Usage: hearth <command> [options]

Commands:
  complete FILE:LINE:COL     complete the code at a position (1-based line and column)
  chat "PROMPT"              answer a chat prompt (streamed)
  edit FILE:LINE[-LINE] "INSTRUCTION"
                             rewrite lines of a file (1-based, inclusive) as instructed: prints the new lines
  commit-message             write a commit message for the changes staged in the current directory's git repository
  explain IMAGE              explain a screenshot
  summarize AUDIO            summarize a meeting recording as Markdown
  models pull                download the configured model (+ mmproj and drafter)
  models list                list downloaded models (and unfinished downloads)
  models rm FILE...          delete downloaded model files (only inside the models folder)
  models check               validate the model files (+ the mmproj and drafter beside them) and estimate memory
  models tiny DIR            write tiny random-weight Gemma 4 test models to DIR

Options (an option a command cannot use is an error):
  --model PATH|URI|tiny text model GGUF (default: $HEARTH_MODEL or hf:giladgd/gemma-4-12B-it-GGUF:Q4_K_M);
                        "tiny": generated tiny test models, cached in ~/.cache/hearth/tiny (as HEARTH_MODEL=tiny npm start)
  --mmproj PATH|URI     multimodal projector ("auto": beside the model; "": none)
  --drafter PATH|URI    MTP drafter ("auto": beside the model; "": none)
  --no-mtp              do not use the drafter
  --ctx N               context size (default: from the model and free memory)
  --threads N           CPU threads (default: the machine's cores)
  --endpoint URL        use a remote llama-server / OpenAI-compatible endpoint
  --workspace DIR       workspace root: completions see it, chat and edit answer with it (complete, chat, edit)
  --max-tokens N        tokens to generate (complete, chat, edit, commit-message, explain, summarize)
  --temperature T       sampling temperature (complete, chat, edit, commit-message, explain, summarize; completions default to 0, edits to 0.2)
  --seed N              sampling seed (chat, edit, commit-message, explain, summarize)
  --question TEXT       what to ask about an image (explain)
  --out FILE            write what is printed on stdout to FILE as well
  --yes                 download missing model files without asking
  --verbose             print host and engine logs to stderr
  --json                print the result as one JSON document`;

class UsageError extends Error {}
/** A failure whose reason is already on stdout (the `models check` report): exit 1 without repeating it. */
class ReportedFailure extends Error {}

type Command = "complete" | "chat" | "edit" | "commit-message" | "explain" | "summarize" | "models pull" | "models list" | "models rm" | "models check" | "models tiny";

const ENGINE_OPTIONS = ["model", "mmproj", "drafter", "no-mtp", "ctx", "threads", "endpoint", "yes"];
/** The options each command uses, besides --out, --json, --verbose and --help (which every command takes). */
const APPLIES: Record<Command, string[]> = {
  complete: [...ENGINE_OPTIONS, "workspace", "max-tokens", "temperature"],
  chat: [...ENGINE_OPTIONS, "workspace", "max-tokens", "temperature", "seed"],
  edit: [...ENGINE_OPTIONS, "workspace", "max-tokens", "temperature", "seed"],
  "commit-message": [...ENGINE_OPTIONS, "max-tokens", "temperature", "seed"],
  explain: [...ENGINE_OPTIONS, "max-tokens", "temperature", "seed", "question"],
  summarize: [...ENGINE_OPTIONS, "max-tokens", "temperature", "seed"],
  "models pull": ["model", "mmproj", "drafter", "yes"],
  "models list": [],
  "models rm": [],
  "models check": ["model", "mmproj", "drafter", "ctx"],
  "models tiny": [],
};
const OPTIONS = {
  model: { type: "string" },
  mmproj: { type: "string" },
  drafter: { type: "string" },
  "no-mtp": { type: "boolean" },
  ctx: { type: "string" },
  threads: { type: "string" },
  endpoint: { type: "string" },
  workspace: { type: "string" },
  "max-tokens": { type: "string" },
  temperature: { type: "string" },
  seed: { type: "string" },
  question: { type: "string" },
  out: { type: "string" },
  yes: { type: "boolean" },
  verbose: { type: "boolean" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]["type"] extends "string" ? string : boolean };

/** Everything the command prints on stdout, kept for --out; writes stop once stdout is closed. */
class Output {
  private text = "";
  closed = false;
  constructor(private readonly file?: string) {}
  write(text: string): void {
    this.text += text;
    if (!this.closed) process.stdout.write(text);
  }
  line(text: string): void {
    this.write(text.endsWith("\n") ? text : text + "\n");
  }
  json(value: unknown): void {
    this.write(JSON.stringify(value, null, 2) + "\n");
  }
  /** Writes --out FILE (only after the command succeeded). */
  save(): void {
    if (!this.file) return;
    try {
      fs.writeFileSync(this.file, this.text);
    } catch (err) {
      throw new Error(`cannot write ${this.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
}

/** Resolves when stdout's reader goes away (EPIPE): `hearth chat … | head -c 5`. */
function stdoutClosed(out: Output): Promise<void> {
  return new Promise((resolve) => {
    process.stdout.on("error", (err: NodeJS.ErrnoException) => {
      out.closed = true;
      if (err.code === "EPIPE" || err.code === "ERR_STREAM_DESTROYED") resolve();
      else {
        process.stderr.write(`hearth: cannot write to stdout: ${err.message}\n`);
        process.exit(1);
      }
    });
  });
}

async function main(argv: string[]): Promise<void> {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS }) as { values: Values; positionals: string[] };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const [first, ...afterFirst] = positionals;
  if (values.help || !first) {
    process.stdout.write(USAGE + "\n");
    return;
  }
  const command = commandOf(first, afterFirst[0]);
  const rest = command.startsWith("models ") ? afterFirst.slice(1) : afterFirst;
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || ["out", "json", "verbose", "help"].includes(name) || APPLIES[command].includes(name)) continue;
    const users = (Object.keys(APPLIES) as Command[]).filter((c) => APPLIES[c].includes(name));
    const generates = ["complete", "chat", "edit", "commit-message", "explain", "summarize"].includes(command);
    const why = generates && (name === "seed" || name === "temperature") ? `: the host's ${command} request takes no ${name === "seed" ? "sampling seed" : "temperature"}` : "";
    throw new UsageError(`--${name} does not apply to ${command}${why} (it is for: ${users.join(", ")})`);
  }
  const num = (name: keyof Values, check: (n: number) => boolean, what: string): number | undefined => {
    const v = values[name] as string | undefined;
    if (v === undefined) return undefined;
    const n = Number(v);
    if (v.trim() === "" || !Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} needs ${what}, not "${v}"`);
    return n;
  };
  const ctx = num("ctx", (n) => Number.isInteger(n) && n >= 0, "a whole number of tokens (0 = auto)");
  const threads = num("threads", (n) => Number.isInteger(n) && n >= 0, "a whole number (0 = all cores)");
  const maxTokens = num("max-tokens", (n) => Number.isInteger(n) && n >= 1 && (command !== "complete" || n <= 1024), command === "complete" ? "a whole number from 1 to 1024" : "a whole number ≥ 1");
  const temperature = num("temperature", (n) => n >= 0, "a number ≥ 0");
  const seed = num("seed", (n) => Number.isInteger(n), "a whole number");
  if (values.out !== undefined) {
    const dir = path.dirname(path.resolve(values.out));
    if (!values.out || !fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`--out ${values.out}: no such directory ${dir}`);
  }
  const workspace = values.workspace === undefined ? undefined : path.resolve(values.workspace);
  if (workspace !== undefined && !(fs.existsSync(workspace) && fs.statSync(workspace).isDirectory())) {
    throw new UsageError(`--workspace ${values.workspace}: ${fs.existsSync(workspace) ? "not a directory" : "no such directory"}`);
  }

  const out = new Output(values.out);
  if (command === "models tiny") {
    if (!rest[0]) throw new UsageError("models tiny needs a directory: hearth models tiny DIR");
    const files = await writeTinyModels(path.resolve(rest[0]));
    if (values.json) out.json(files);
    else for (const f of [files.text, files.mmproj, files.assistant, files.textFim]) out.line(f);
    out.save();
    return;
  }
  if (command === "models list") {
    listModels(out, values.json);
    out.save();
    return;
  }
  if (command === "models rm") {
    if (!rest.length) throw new UsageError("models rm needs the files to delete: hearth models rm FILE... (hearth models list shows them)");
    const dir = defaultModelsDir();
    const missing = rest.filter((f) => !fs.existsSync(f));
    if (missing.length) throw new UsageError(`no such file: ${missing.join(", ")}`);
    let r: ReturnType<typeof removeDownloaded>;
    try {
      r = removeDownloaded(dir, rest);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (values.json) out.json(r);
    else {
      out.line(`deleted ${r.removed.length} file${r.removed.length === 1 ? "" : "s"}, ${formatBytes(r.freedBytes)} freed`);
      for (const f of r.failed) out.line(`could not delete ${f.path}: ${f.reason}`);
    }
    out.save();
    if (r.failed.length) throw new ReportedFailure();
    return;
  }

  const settings: Partial<HearthSettings> = {
    model: values.model ?? (process.env.HEARTH_MODEL || undefined),
    mmproj: values.mmproj,
    drafter: values.drafter,
    mtp: values["no-mtp"] ? false : undefined,
    contextSize: ctx,
    threads,
    remoteEndpoint: values.endpoint,
    allowDownload: values.yes ?? false,
  };
  if (settings.model === "tiny" && !fs.existsSync("tiny")) {
    const tiny = await tinyModels();
    settings.model = tiny.text;
    // The generated models' own context (256K) is far more than tests and demos need (as `npm start` does).
    settings.contextSize ??= 16384;
  }
  // Inline completions take their length and temperature from the settings (the LSP request has no such fields).
  if (command === "complete") settings.completion = { maxTokens, temperature } as HearthSettings["completion"];
  const gen = { maxTokens, temperature, seed };

  const progress = new ProgressLine();
  const host = await HostProcess.start({
    serverModule: path.join(path.dirname(fileURLToPath(import.meta.url)), "server.js"),
    settings,
    rootUri: workspace ? pathToFileURL(workspace).href : undefined,
    // Download retries (the host's `download: …` lines) show without --verbose too.
    onLog: (l) => progress.log(l, !!values.verbose),
    onStatus: (s) => progress.status(s),
  });
  const cancel = new CancellationTokenSource();
  process.once("SIGINT", () => cancel.cancel());
  const work = run(command, rest, { host, cancel, out, values, settings, gen, workspace });
  try {
    const ended = await Promise.race([work.then(() => "done" as const), stdoutClosed(out).then(() => "closed" as const)]);
    progress.end();
    if (ended === "closed") {
      // The reader is gone: stop generating (the request is cancelled, the host and its engine stop below).
      cancel.cancel();
      await work.catch(() => undefined);
      return;
    }
    out.save();
  } finally {
    progress.end();
    await host.dispose();
  }
}

function commandOf(first: string, second: string | undefined): Command {
  if (first === "models") {
    const sub = `models ${second ?? ""}`;
    if (sub in APPLIES) return sub as Command;
    throw new UsageError(`unknown models command "${second ?? ""}" (pull, list, rm, check, tiny)`);
  }
  if (first in APPLIES) return first as Command;
  throw new UsageError(`unknown command "${first}" (hearth --help lists them)`);
}

interface RunContext {
  host: HostProcess;
  cancel: CancellationTokenSource;
  out: Output;
  values: Values;
  settings: Partial<HearthSettings>;
  gen: { maxTokens?: number; temperature?: number; seed?: number };
  workspace?: string;
}

async function run(command: Command, rest: string[], c: RunContext): Promise<void> {
  const { host, cancel, out, values, gen } = c;
  // With --json stdout carries one JSON document: the streamed text is not printed as it comes.
  const streamOut = (t: string) => {
    if (!values.json) out.write(t);
  };
  switch (command) {
    case "complete": {
      const r = await complete(host, rest[0], cancel);
      if (values.json) out.json(r);
      else out.line(r.text);
      break;
    }
    case "chat": {
      if (!rest.length) throw new UsageError('chat needs a prompt: hearth chat "…"');
      const r = await host.stream<object, ChatResult>(
        ChatRequest,
        { messages: [{ role: "user", content: rest.join(" ") }], ...gen, ...(c.workspace ? { workspace: true } : {}) },
        streamOut,
        cancel,
      );
      finish(out, r, values.json);
      break;
    }
    case "edit": {
      const r = await edit(host, rest, gen, cancel);
      // (random weights, a model that ends its turn at once: better a reason than empty output and exit 0)
      if (!r.text.trim()) throw new Error("the model wrote nothing: run it again");
      if (values.json) out.json(r);
      else out.line(r.code);
      break;
    }
    case "commit-message": {
      if (rest.length) throw new UsageError("commit-message takes no arguments: it describes what is staged in the current directory's repository");
      const staged = stagedChanges();
      const r = await host.stream<object, CommitMessageResult>(CommitMessageRequest, { ...staged, ...gen }, () => process.stderr.write("."), cancel);
      process.stderr.write("\n");
      tellInstructions(r.instructions);
      for (const o of r.omitted) process.stderr.write(`(${o.path}: not shown to the model, ${o.reason === "secret" ? "a secrets file" : o.reason === "key" ? "what looks like a key or token in its changes" : o.reason === "long" ? "too many changes" : "over the prompt's budget"})\n`);
      // (`git commit -m "$(hearth commit-message)"` must not commit with an empty message)
      if (!r.message.trim()) throw new Error("the model wrote no message: run it again");
      if (values.json) out.json(r);
      else out.line(r.message);
      break;
    }
    case "explain": {
      if (!rest[0]) throw new UsageError("explain needs an image file: hearth explain IMAGE");
      const r = await host.stream<object, MediaResult>(ExplainImageRequest, { path: path.resolve(rest[0]), question: values.question, ...gen }, streamOut, cancel);
      finish(out, r, values.json);
      process.stderr.write(`(${r.mediaTokens} image tokens)\n`);
      break;
    }
    case "summarize": {
      if (!rest[0]) throw new UsageError("summarize needs an audio file: hearth summarize AUDIO");
      // On a terminal, how far the model is through the recording (minutes on a laptop CPU), then a dot per piece of the summary.
      const listening = (p: PromptProgress) =>
        process.stderr.isTTY &&
        process.stderr.write(
          p.notes !== undefined
            ? `\rwriting notes on part ${p.part} of ${p.parts}… ${p.notes} characters\x1b[K`
            : `\rlistening to the recording${p.parts ? ` (part ${p.part} of ${p.parts})` : ""}… ${Math.floor((100 * p.processed) / Math.max(1, p.total))}%\x1b[K`,
        );
      const r = await host.stream<object, SummarizeAudioResult>(SummarizeAudioRequest, { path: path.resolve(rest[0]), ...gen }, () => process.stderr.write("."), cancel, listening);
      process.stderr.write(`\n(${r.mediaTokens} audio tokens, ${r.durationSeconds.toFixed(1)} s${r.parts > 1 ? `, summarized in ${r.parts} parts` : ""})\n`);
      if (values.json) out.json(r);
      else out.line(r.markdown);
      break;
    }
    case "models pull": {
      const files = await host.connection.sendRequest(DownloadModelRequest, {}, cancel.token);
      if (values.json) out.json(files);
      else for (const f of [files.model, files.mmproj, files.drafter]) if (f) out.line(f);
      break;
    }
    case "models check":
      await check(host, c.settings, out, values.json);
      break;
    default:
      throw new UsageError(`${command} runs without the host`);
  }
}

/** `hearth complete --json`: the inserted text and what the host reported for the request. */
interface CompleteResult {
  file: string;
  line: number;
  column: number;
  /** The text inserted at the position ("" when the model had nothing to add). */
  text: string;
  /** The host's counters for the request (as the status bar shows them); absent when no completion ran. */
  stats?: CompletionStatsParams["stats"];
  layoutMs?: number;
}

async function complete(host: HostProcess, position: string | undefined, cancel: CancellationTokenSource): Promise<CompleteResult> {
  const m = /^(.*):(\d+):(\d+)$/.exec(position ?? "");
  if (!m) throw new UsageError("complete needs FILE:LINE:COL (1-based), e.g. hearth complete src/app.ts:12:5");
  // Relative to the current directory, like every CLI (not to --workspace).
  const file = path.resolve(m[1]);
  const text = readSource(file);
  const lines = text.split("\n");
  // A final newline ends the last line; the position after it (line count + 1, column 1) is still valid.
  const lineCount = text.endsWith("\n") ? lines.length - 1 : lines.length;
  const line = Number(m[2]) - 1;
  const character = Number(m[3]) - 1;
  if (line < 0 || line >= lines.length) {
    throw new UsageError(`line ${m[2]} is outside ${m[1]} (${lineCount} line${lineCount === 1 ? "" : "s"})`);
  }
  const length = lines[line].replace(/\r$/, "").length;
  if (character < 0 || character > length) {
    throw new UsageError(`column ${m[3]} is outside line ${m[2]} of ${m[1]} (${length} characters: columns 1 to ${length + 1})`);
  }
  const uri = pathToFileURL(file).href;
  let stats: CompletionStatsParams | undefined;
  let failed: HearthError | undefined;
  const subs = [
    host.connection.onNotification(CompletionStatsNotification, (p) => {
      if (p.uri === uri) stats = p;
    }),
    // The host answers a failed completion with no items and says why in a notification.
    host.connection.onNotification(CompletionFailedNotification, (p) => {
      if (p.uri === uri) failed = p.error;
    }),
  ];
  try {
    await host.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: languageIdOf(file), version: 1, text },
    });
    const result = await host.connection.sendRequest(
      InlineCompletionRequest.type,
      { textDocument: { uri }, position: { line, character }, context: { triggerKind: 1 } },
      cancel.token,
    );
    // (sent before the answer, like the stats)
    if (failed) throw new Error(failed.message);
    const items = Array.isArray(result) ? result : (result?.items ?? []);
    const first = items[0]?.insertText;
    const inserted = typeof first === "string" ? first : (first?.value ?? "");
    // The host sends the stats before its answer, so they are in by now (none for a secret file).
    return { file, line: line + 1, column: character + 1, text: inserted, ...(stats ? { stats: stats.stats, layoutMs: stats.layoutMs } : {}) };
  } finally {
    for (const sub of subs) sub.dispose();
  }
}

/** `hearth edit --json`: the lines changed and the host's answer for them. */
interface EditResult extends EditCodeResult {
  file: string;
  /** 1-based, inclusive: the lines `code` replaces */
  startLine: number;
  endLine: number;
}

async function edit(host: HostProcess, rest: string[], gen: RunContext["gen"], cancel: CancellationTokenSource): Promise<EditResult> {
  const m = /^(.*):(\d+)(?:-(\d+))?$/.exec(rest[0] ?? "");
  const instruction = rest.slice(1).join(" ");
  if (!m || !instruction.trim()) throw new UsageError('edit needs FILE:LINE[-LINE] (1-based, inclusive) and an instruction, e.g. hearth edit src/app.ts:12-20 "add error handling"');
  const file = path.resolve(m[1]);
  const text = readSource(file);
  const lineCount = text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
  const first = Number(m[2]);
  const last = m[3] === undefined ? first : Number(m[3]);
  if (first < 1 || last < first || last > lineCount) {
    const which = m[3] === undefined ? `line ${m[2]} is not a line` : `lines ${m[2]}-${m[3]} are not lines`;
    throw new UsageError(`${which} of ${m[1]} (it has ${lineCount}${last < first ? "; the first comes after the last" : ""})`);
  }
  const uri = pathToFileURL(file).href;
  await host.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: languageIdOf(file), version: 1, text } });
  // The answer streams as dots on stderr: what is printed is the code taken from it, once it is complete.
  const r = await host.stream<object, EditCodeResult>(EditCodeRequest, { textDocument: { uri }, startLine: first - 1, endLine: last, instruction, ...gen }, () => process.stderr.write("."), cancel);
  process.stderr.write("\n");
  tellInstructions(r.instructions);
  return { file, startLine: first, endLine: last, ...r };
}

/** `git diff --cached` in the current directory, and the last commit subjects (none in a new repository). */
function stagedChanges(): { diff: string; recentSubjects: string[]; repository?: string } {
  const git = (args: string[]) => execFileSync("git", args, { encoding: "utf8", maxBuffer: 64 << 20, stdio: ["ignore", "pipe", "pipe"] });
  const failed = (err: unknown, what: string) => {
    const e = err as { code?: string; stderr?: string };
    return new Error(e.code === "ENOENT" ? "git is not installed (or not on the PATH)" : `${what} failed: ${(e.stderr ?? String(err)).trim().split("\n")[0]}`);
  };
  // (outside a repository `git diff` acts as `diff --no-index`, which fails on --cached)
  let inside: boolean;
  try {
    inside = git(["rev-parse", "--is-inside-work-tree"]).trim() === "true";
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") throw failed(err, "git");
    inside = false;
  }
  if (!inside) throw new UsageError("not in a git repository: run hearth commit-message inside one");
  let diff: string;
  try {
    diff = git(["diff", "--cached", "--no-color", "--no-ext-diff"]);
  } catch (err) {
    throw failed(err, "git diff");
  }
  if (!diff.trim()) throw new UsageError("nothing is staged: git add the changes to commit first");
  let recentSubjects: string[] = [];
  try {
    recentSubjects = git(["log", "-n", "10", "--format=%s"]).split("\n").filter(Boolean);
  } catch {
    // a repository without commits yet
  }
  // (its AGENTS.md and the like go with the diff)
  let repository: string | undefined;
  try {
    repository = path.resolve(git(["rev-parse", "--show-toplevel"]).trim());
  } catch {
    // (git checked above: the message is still written, without the repository's instructions)
  }
  return { diff, recentSubjects, ...(repository && { repository }) };
}

function readSource(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`cannot read ${file}: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : (code ?? (err as Error).message)}`);
  }
}

async function check(host: HostProcess, settings: Partial<HearthSettings>, out: Output, json?: boolean): Promise<void> {
  if (!settings.model || isRemote(settings.model)) {
    throw new UsageError("models check needs local files: --model PATH [--mmproj PATH] [--drafter PATH]");
  }
  // "auto" (the default) checks the projector and drafter the engine would load: the ones beside the model.
  const plan = await planModelFiles({ model: settings.model, mmproj: settings.mmproj ?? "auto", drafter: settings.drafter ?? "auto", modelsDir: "", allowDownload: false });
  const local = (role: "model" | "mmproj" | "drafter"): string | undefined => {
    const s = plan[role];
    if (!s) return undefined;
    if (s.kind === "local") return s.path;
    throw new UsageError(`models check needs local files: --${role} ${s.uri} is not downloaded (hearth models pull downloads it)`);
  };
  const report: ModelCheckReport = await host.connection.sendRequest(CheckModelRequest, { model: local("model")!, mmproj: local("mmproj"), drafter: local("drafter") });
  const auto = (role: string) => (role === "mmproj" || role === "drafter") && (settings[role] ?? "auto") === "auto";
  const m = report.memory;
  const computeBytes = m ? m.totalBytes - m.weightsBytes - m.kvCacheBytes : 0;
  if (json) {
    out.json(m ? { ...report, memory: { ...m, computeBufferBytes: computeBytes } } : report);
  } else {
    for (const f of report.files) {
      const what = f.error ? `ERROR ${f.error.message}` : `ok (${f.architecture}, ${formatBytes(f.sizeBytes)})${auto(f.role) ? ", found beside the model" : ""}`;
      out.line(`${f.role.padEnd(8)} ${f.path}: ${what}`);
    }
    if (m) {
      const parts = report.files.map((f) => `${f.role} ${formatBytes(f.sizeBytes)}`);
      out.line(
        `memory   weights ${formatBytes(m.weightsBytes)}${parts.length > 1 ? ` (${parts.join(" + ")})` : ""} + KV ${formatBytes(m.kvCacheBytes)} at ${m.contextSize} tokens` +
          ` + compute buffer ${formatBytes(computeBytes)} = ${formatBytes(m.totalBytes)}; free ${formatBytes(m.freeBytes)}: ${m.fits ? "fits" : "does NOT fit"}`,
      );
    }
  }
  // The report above already says what is wrong: exit 1 without saying it again on stderr.
  if (!report.ok) throw new ReportedFailure();
}

function listModels(out: Output, json?: boolean): void {
  const dir = defaultModelsDir();
  const found = listDownloaded(dir);
  if (json) out.json(found.map((f) => ({ path: f.path, sizeBytes: f.sizeBytes, ...(f.partial ? { partial: true } : {}) })));
  else if (found.length) for (const f of found) out.line(`${formatBytes(f.sizeBytes).padStart(10)}  ${f.path}${f.partial ? "  (unfinished download)" : ""}`);
  else out.line(`no models in ${dir} (hearth models pull downloads the default)`);
}

/**
 * `HEARTH_MODEL=tiny` / `--model tiny`: the generated tiny Gemma 4 models (random weights) in
 * `${HEARTH_CACHE_DIR:-~/.cache/hearth}/tiny`, written on first use and again when the CLI changes (a stamp
 * holds the CLI's digest). Written beside and renamed into place, so concurrent runs never see half a model.
 */
async function tinyModels(): Promise<TinyModelPaths> {
  const dir = path.join(process.env.HEARTH_CACHE_DIR || path.join(os.homedir(), ".cache", "hearth"), "tiny");
  const stampFile = path.join(dir, ".stamp");
  const stamp = crypto.createHash("sha256").update(fs.readFileSync(fileURLToPath(import.meta.url))).digest("hex");
  const paths = (d: string): TinyModelPaths => ({ text: path.join(d, "text.gguf"), textFim: path.join(d, "text-fim.gguf"), mmproj: path.join(d, "mmproj.gguf"), assistant: path.join(d, "assistant.gguf") });
  const current = () => fs.existsSync(stampFile) && fs.readFileSync(stampFile, "utf8") === stamp;
  if (current()) return paths(dir);
  const tmp = `${dir}.tmp-${process.pid}`;
  await writeTinyModels(tmp);
  fs.writeFileSync(path.join(tmp, ".stamp"), stamp);
  fs.rmSync(dir, { recursive: true, force: true });
  try {
    fs.renameSync(tmp, dir);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!current()) throw err; // another run put its copy in place first: use that one
  }
  return paths(dir);
}

/**
 * Download progress on stderr while the host fetches model files (`models pull`, or a first run with --yes):
 * one line rewritten in place on a terminal, a line per file and every few seconds otherwise. The host's
 * `download: …` lines (a failed attempt being retried) show even without --verbose.
 */
class ProgressLine {
  private shown = false;
  private lastFile = "";
  private lastAt = 0;
  private readonly tty = !!process.stderr.isTTY;

  status(s: ModelStatus): void {
    if (s.state === "downloading" && s.download) this.show(s.download);
    else this.end();
  }

  log(l: LogParams, verbose: boolean): void {
    if (verbose) {
      this.end();
      process.stderr.write(`[${l.source}] ${l.message}\n`);
      return;
    }
    const retries = l.source === "host" ? l.message.split("\n").filter((x) => x.startsWith("download: ")) : [];
    if (!retries.length) return;
    this.end();
    for (const r of retries) process.stderr.write(`hearth: ${r.slice("download: ".length)}\n`);
  }

  private show(d: DownloadProgress): void {
    const now = Date.now();
    const done = d.totalBytes > 0 && d.downloadedBytes >= d.totalBytes;
    const newFile = d.file !== this.lastFile;
    if (!newFile && !done && now - this.lastAt < (this.tty ? 200 : 5000)) return;
    this.lastFile = d.file;
    this.lastAt = now;
    const which = d.fileCount > 1 ? ` (${d.fileIndex + 1} of ${d.fileCount})` : "";
    const text =
      d.totalBytes || d.downloadedBytes
        ? `downloading ${d.file}${which}: ${d.totalBytes ? `${Math.floor((100 * d.downloadedBytes) / d.totalBytes)}% ` : ""}` +
          `${formatBytes(d.downloadedBytes)}${d.totalBytes ? ` of ${formatBytes(d.totalBytes)}` : ""}` +
          `${d.speed > 0 ? `, ${formatBytes(d.speed)}/s` : ""}${d.etaSeconds > 0 && !done ? `, ${Math.round(d.etaSeconds)} s left` : ""}`
        : `downloading ${d.file}${which}: connecting…`;
    if (this.tty) {
      process.stderr.write(`\r${text}\x1b[K`);
      this.shown = true;
    } else process.stderr.write(text + "\n");
  }

  end(): void {
    if (this.shown) process.stderr.write("\n");
    this.shown = false;
  }
}

function finish(out: Output, r: ChatResult | MediaResult, json?: boolean): void {
  if (json) out.json(r);
  else out.write(r.text.endsWith("\n") ? "" : "\n");
  if ("instructions" in r) tellInstructions(r.instructions);
}

/** Which standing instructions went with the request (AGENTS.md…), on stderr: stdout is the answer's. */
function tellInstructions(used: readonly InstructionsUsed[] | undefined): void {
  if (used?.length) process.stderr.write(`(following ${used.map((u) => (u.kind === "settings" ? "your instructions" : u.path)).join(", ")})\n`);
}

// A closed stderr (`2>&1 | head`) is not worth a crash either.
process.stderr.on("error", () => undefined);

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err) => {
    if (err instanceof ReportedFailure) process.exit(1);
    const data = (err as ResponseError<HearthErrorData>)?.data;
    const message = data?.hearth?.message ?? (err as Error)?.message ?? String(err);
    process.stderr.write(`hearth: ${message.split("\n")[0]}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
