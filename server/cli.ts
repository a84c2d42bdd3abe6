/**
 * `hearth` — the headless CLI. Every command (except `models tiny`) runs the real host as a child process
 * and talks LSP to it, exactly like the editor does. Results go to stdout; progress and logs to stderr
 * (logs only with --verbose); a failure exits non-zero with one line that says why.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { InlineCompletionRequest, DidOpenTextDocumentNotification, ResponseError, CancellationTokenSource, WorkDoneProgress } from "vscode-languageserver-protocol";
import { HostProcess } from "./client/hostProcess";
import { writeTinyModels } from "./gguf/tinyModels";
import { languageIdOf } from "./languages";
import {
  ChatRequest,
  CheckModelRequest,
  DownloadModelRequest,
  ExplainImageRequest,
  SummarizeAudioRequest,
  type ChatResult,
  type HearthErrorData,
  type HearthSettings,
  type MediaResult,
  type ModelCheckReport,
  type SummarizeAudioResult,
} from "./protocol";
import { defaultModelsDir } from "./models/resolve";
import { formatBytes } from "./engine/sizing";

const USAGE = `Usage: hearth <command> [options]

Commands:
  complete FILE:LINE:COL     complete the code at a position (1-based line and column)
  chat "PROMPT"              answer a chat prompt (streamed)
  explain IMAGE              explain a screenshot
  summarize AUDIO            summarize a meeting recording as Markdown
  models pull                download the configured model (+ mmproj and drafter)
  models list                list downloaded models
  models check               validate the model files and estimate memory
  models tiny DIR            write tiny random-weight Gemma 4 test models to DIR

Options:
  --model PATH|URI      text model GGUF (default: $HEARTH_MODEL or hf:giladgd/gemma-4-12B-it-GGUF:Q4_K_M)
  --mmproj PATH|URI     multimodal projector ("auto": beside the model; "": none)
  --drafter PATH|URI    MTP drafter ("auto": beside the model; "": none)
  --no-mtp              do not use the drafter
  --ctx N               context size (default: from the model and free memory)
  --threads N           CPU threads (default: the machine's cores)
  --endpoint URL        use a remote llama-server / OpenAI-compatible endpoint
  --workspace DIR       workspace root: completions see it, and chat answers about it
  --max-tokens N        tokens to generate
  --temperature T       sampling temperature (completions default to 0)
  --seed N              sampling seed
  --question TEXT       what to ask about an image
  --out FILE            write the result to FILE as well
  --yes                 download missing model files without asking
  --verbose             print host and engine logs to stderr
  --json                print the full JSON result`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
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
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    process.stdout.write(USAGE + "\n");
    return;
  }
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const settings: Partial<HearthSettings> = {
    model: values.model ?? process.env.HEARTH_MODEL,
    mmproj: values.mmproj,
    drafter: values.drafter,
    mtp: values["no-mtp"] ? false : undefined,
    contextSize: num(values.ctx),
    threads: num(values.threads),
    remoteEndpoint: values.endpoint,
    allowDownload: values.yes ?? false,
  };
  const gen = { maxTokens: num(values["max-tokens"]), seed: num(values.seed) };

  if (command === "models" && rest[0] === "tiny") {
    if (!rest[1]) throw new UsageError("models tiny needs a directory: hearth models tiny DIR");
    const files = await writeTinyModels(path.resolve(rest[1]));
    for (const f of [files.text, files.mmproj, files.assistant, files.textFim]) process.stdout.write(f + "\n");
    return;
  }
  if (command === "models" && rest[0] === "list") {
    listModels();
    return;
  }

  const host = await HostProcess.start({
    serverModule: path.join(path.dirname(fileURLToPath(import.meta.url)), "server.js"),
    settings,
    rootUri: values.workspace ? pathToFileURL(path.resolve(values.workspace)).href : undefined,
    onLog: values.verbose ? (l) => process.stderr.write(`[${l.source}] ${l.message}\n`) : undefined,
  });
  const cancel = new CancellationTokenSource();
  process.once("SIGINT", () => cancel.cancel());
  const print = (text: string) => {
    process.stdout.write(text.endsWith("\n") ? text : text + "\n");
    if (values.out) fs.writeFileSync(values.out, text);
  };
  const streamOut = (t: string) => process.stdout.write(t);
  try {
    switch (command) {
      case "complete": {
        const text = await complete(host, rest[0], values.workspace, cancel);
        if (values.out) fs.writeFileSync(values.out, text);
        process.stdout.write(text + "\n");
        break;
      }
      case "chat": {
        if (!rest.length) throw new UsageError('chat needs a prompt: hearth chat "…"');
        const r = await host.stream<object, ChatResult>(ChatRequest, { messages: [{ role: "user", content: rest.join(" ") }], ...gen, temperature: num(values.temperature), ...(values.workspace ? { workspace: true } : {}) }, streamOut, cancel);
        finish(r, values.json);
        break;
      }
      case "explain": {
        if (!rest[0]) throw new UsageError("explain needs an image file: hearth explain IMAGE");
        const r = await host.stream<object, MediaResult>(ExplainImageRequest, { path: path.resolve(rest[0]), question: values.question, ...gen }, streamOut, cancel);
        finish(r, values.json);
        process.stderr.write(`(${r.mediaTokens} image tokens)\n`);
        break;
      }
      case "summarize": {
        if (!rest[0]) throw new UsageError("summarize needs an audio file: hearth summarize AUDIO");
        const r = await host.stream<object, SummarizeAudioResult>(SummarizeAudioRequest, { path: path.resolve(rest[0]), ...gen }, () => process.stderr.write("."), cancel);
        process.stderr.write(`\n(${r.mediaTokens} audio tokens, ${r.durationSeconds.toFixed(1)} s)\n`);
        if (values.json) process.stdout.write(JSON.stringify(r, null, 2) + "\n");
        else print(r.markdown);
        break;
      }
      case "models": {
        if (rest[0] === "pull") await pull(host, cancel);
        else if (rest[0] === "check") await check(host, settings);
        else throw new UsageError(`unknown models command "${rest[0] ?? ""}" (pull, list, check, tiny)`);
        break;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } finally {
    await host.dispose();
  }
}

async function complete(host: HostProcess, position: string | undefined, workspace: string | undefined, cancel: CancellationTokenSource): Promise<string> {
  const m = /^(.*):(\d+):(\d+)$/.exec(position ?? "");
  if (!m) throw new UsageError("complete needs FILE:LINE:COL (1-based), e.g. hearth complete src/app.ts:12:5");
  const file = path.resolve(workspace ?? ".", m[1]);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new Error(`cannot read ${file}`);
  }
  const lines = text.split("\n");
  const line = Number(m[2]) - 1;
  const character = Number(m[3]) - 1;
  if (line < 0 || line >= lines.length || character < 0 || character > lines[line].length) {
    throw new UsageError(`${m[2]}:${m[3]} is outside ${m[1]} (${lines.length} lines)`);
  }
  const uri = pathToFileURL(file).href;
  await host.connection.sendNotification(DidOpenTextDocumentNotification.type, {
    textDocument: { uri, languageId: languageIdOf(file), version: 1, text },
  });
  const result = await host.connection.sendRequest(
    InlineCompletionRequest.type,
    { textDocument: { uri }, position: { line, character }, context: { triggerKind: 1 } },
    cancel.token,
  );
  const items = Array.isArray(result) ? result : (result?.items ?? []);
  const first = items[0]?.insertText;
  return typeof first === "string" ? first : (first?.value ?? "");
}

async function pull(host: HostProcess, cancel: CancellationTokenSource): Promise<void> {
  const token = host.newWorkDoneToken();
  const sub = host.connection.onProgress(WorkDoneProgress.type, token, (v) => {
    if (v.kind === "report") process.stderr.write(`\r${v.percentage ?? 0}% ${v.message ?? ""}`.padEnd(100));
  });
  try {
    const files = await host.connection.sendRequest(DownloadModelRequest, { workDoneToken: token }, cancel.token);
    process.stderr.write("\n");
    for (const f of [files.model, files.mmproj, files.drafter]) if (f) process.stdout.write(f + "\n");
  } finally {
    sub.dispose();
  }
}

async function check(host: HostProcess, settings: Partial<HearthSettings>): Promise<void> {
  if (!settings.model || /^(hf:|https?:)/.test(settings.model)) {
    throw new UsageError("models check needs local files: --model PATH [--mmproj PATH] [--drafter PATH]");
  }
  const isPath = (v?: string) => (v && v !== "auto" ? path.resolve(v) : undefined);
  const report: ModelCheckReport = await host.connection.sendRequest(CheckModelRequest, {
    model: path.resolve(settings.model),
    mmproj: isPath(settings.mmproj),
    drafter: isPath(settings.drafter),
  });
  for (const f of report.files) {
    const what = f.error ? `ERROR ${f.error.message}` : `ok (${f.architecture}, ${formatBytes(f.sizeBytes)})`;
    process.stdout.write(`${f.role.padEnd(8)} ${f.path}: ${what}\n`);
  }
  if (report.memory) {
    const m = report.memory;
    process.stdout.write(
      `memory   weights ${formatBytes(m.weightsBytes)} + KV ${formatBytes(m.kvCacheBytes)} at ${m.contextSize} tokens = ${formatBytes(m.totalBytes)}; ` +
        `free ${formatBytes(m.freeBytes)}: ${m.fits ? "fits" : "does NOT fit"}\n`,
    );
  }
  if (!report.ok) throw new Error(report.files.find((f) => f.error)!.error!.message);
}

function listModels(): void {
  const dir = defaultModelsDir();
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.existsSync(d) ? fs.readdirSync(d, { withFileTypes: true }) : []) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".gguf")) found.push(`${formatBytes(fs.statSync(p).size).padStart(10)}  ${p}`);
    }
  };
  walk(dir);
  process.stdout.write(found.length ? found.join("\n") + "\n" : `no models in ${dir} (hearth models pull downloads the default)\n`);
}

function finish(r: ChatResult | MediaResult, json?: boolean): void {
  if (json) process.stdout.write("\n" + JSON.stringify(r, null, 2) + "\n");
  else process.stdout.write(r.text.endsWith("\n") ? "" : "\n");
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err) => {
    const data = (err as ResponseError<HearthErrorData>)?.data;
    const message = data?.hearth?.message ?? (err as Error)?.message ?? String(err);
    process.stderr.write(`hearth: ${message.split("\n")[0]}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
