/**
 * The two media commands. Explain Screenshot: a picked (or right-clicked) image goes to the chat view,
 * which streams the answer under the image. Summarize Meeting Recording: the host summarizes the audio
 * under a cancellable progress notification and the result opens as a Markdown document.
 *
 * A failure is shown after the progress notification has ended (never under it), with the action that helps:
 * a file that is not usable offers "Choose Another File…", an engine failure "Show Logs", a model without
 * image or audio support "Select Model". A request ended by Restart Model Host is not shown as an error.
 */
import * as path from "node:path";
import * as vscode from "vscode";
import type { ChatViewProvider } from "./chat/chatViewProvider";
import type { PromptProgress } from "../server/protocol";
import { sniffMedia } from "../server/media/sniff";
import { errorCode, errorMessage, type HostClient } from "./hostClient";
import { isHostStopped } from "./hostStopped";

const IMAGE_TYPES: Record<string, string> = { png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", webp: "image/webp", gif: "image/gif", bmp: "image/bmp" };
const AUDIO_EXTENSIONS = ["wav", "mp3", "m4a", "ogg", "oga", "opus", "flac", "webm"];
const MAX_IMAGE_BYTES = 25 * 1024 * 1024;
const CHOOSE_ANOTHER = "Choose Another File…";

/** Errors about the file itself (format, size, damage, length): another file helps, the logs do not. */
const BAD_INPUT_CODES = new Set(["unsupported-media", "unreadable-media", "media-too-large", "context-too-long"]);

/** The buttons of a media command's error: the one that helps first. */
export function mediaErrorActions(code: string | undefined): string[] {
  if (code && BAD_INPUT_CODES.has(code)) return [CHOOSE_ANOTHER];
  if (code === "no-vision" || code === "no-audio") return ["Select Model", "Show Logs"];
  return ["Show Logs"];
}

/** Shows a media command's error without waiting for it to be dismissed; `again` picks another file. */
function showMediaError(message: string, code: string | undefined, again: () => unknown): void {
  void vscode.window.showErrorMessage(`Hearth: ${message}`, ...mediaErrorActions(code)).then(async (action) => {
    if (action === CHOOSE_ANOTHER) await again();
    else if (action === "Show Logs") await vscode.commands.executeCommand("hearth.showLogs");
    else if (action === "Select Model") await vscode.commands.executeCommand("hearth.selectModel");
  });
}

export async function explainScreenshot(chat: ChatViewProvider, uri?: vscode.Uri): Promise<void> {
  const file = uri ?? (await pick("Explain Screenshot", { Images: Object.keys(IMAGE_TYPES) }));
  if (!file) return;
  const name = path.basename(file.fsPath);
  const again = () => explainScreenshot(chat);
  const ext = path.extname(file.fsPath).slice(1).toLowerCase();
  if (!IMAGE_TYPES[ext]) {
    showMediaError(`${name} is not a PNG, JPEG, WebP, GIF or BMP image.`, "unsupported-media", again);
    return;
  }
  let bytes: Uint8Array;
  try {
    const stat = await vscode.workspace.fs.stat(file);
    if (stat.size > MAX_IMAGE_BYTES) {
      showMediaError(`${name} is ${(stat.size / 1e6).toFixed(1)} MB; images up to 25 MB are accepted.`, "media-too-large", again);
      return;
    }
    bytes = await vscode.workspace.fs.readFile(file);
  } catch (err) {
    showMediaError(`cannot read ${file.fsPath}: ${(err as Error).message}`, "unreadable-media", again);
    return;
  }
  // The name can lie: the content decides (a .png that is really a JPEG is fine, a text file named .png is not).
  const media = sniffMedia(bytes.subarray(0, 16));
  if (!bytes.length || media?.kind !== "image") {
    showMediaError(`${name} is ${bytes.length ? "not a PNG, JPEG, WebP, GIF or BMP image (its content does not match any of them)" : "empty"}.`, "unsupported-media", again);
    return;
  }
  await chat.explainImage({ name, mimeType: media.mimeType, data: Buffer.from(bytes).toString("base64") });
}

export async function summarizeMeeting(host: HostClient, uri?: vscode.Uri): Promise<vscode.TextDocument | undefined> {
  const file = uri ?? (await pick("Summarize Meeting Recording", { Audio: AUDIO_EXTENSIONS }));
  if (!file) return undefined;
  const name = path.basename(file.fsPath);
  const outcome = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Hearth: summarizing ${name}`, cancellable: true },
    async (progress, token): Promise<{ markdown: string } | { error: unknown } | undefined> => {
      progress.report({ message: "listening to the recording…" });
      let chars = 0;
      let shown = 0; // percent of the bar filled so far
      try {
        const result = await host.summarizeAudio(
          file.fsPath,
          (t) => {
            chars += t.length;
            progress.report({ message: `writing the summary… (${chars} characters)` });
          },
          token,
          (p) => {
            const percent = Math.floor((100 * p.processed) / Math.max(1, p.total));
            progress.report({ message: listeningMessage(p), increment: Math.max(0, percent - shown) });
            shown = Math.max(shown, percent);
          },
        );
        return { markdown: result.markdown };
      } catch (error) {
        if (token.isCancellationRequested || errorCode(error) === "cancelled" || isHostStopped(error)) return undefined;
        return { error }; // shown once the progress notification is gone
      }
    },
  );
  if (!outcome) return undefined;
  if ("error" in outcome) {
    const code = errorCode(outcome.error);
    let message = errorMessage(outcome.error);
    if (code && BAD_INPUT_CODES.has(code) && !message.includes(name)) message = `${name}: ${message}`;
    showMediaError(message, code, () => summarizeMeeting(host));
    return undefined;
  }
  return openSummary(outcome.markdown);
}

/**
 * How far the model is through the recording, and (once a slice of it has been timed) about how long the rest
 * takes: on a laptop CPU a 15-minute standup is minutes of work before the first word of the summary.
 */
export function listeningMessage(p: PromptProgress): string {
  const percent = Math.floor((100 * p.processed) / Math.max(1, p.total));
  const done = p.processed - p.cached;
  const left = p.total - p.processed;
  if (p.part && p.parts && p.notes !== undefined) return `writing notes on part ${p.part} of ${p.parts}… (${p.notes} characters)`;
  const what = p.part && p.parts ? `listening to the recording (part ${p.part} of ${p.parts}, longer than the context)…` : "listening to the recording…";
  if (done <= 0 || p.ms < 1000 || left <= 0) return `${what} ${percent}%`;
  const seconds = (left * p.ms) / done / 1000;
  const eta = seconds < 60 ? "less than a minute left" : `about ${Math.round(seconds / 60)} min left`;
  return `${what} ${percent}%, ${eta}`;
}

/** Opens the summary as an untitled Markdown document: nothing on disk is touched until the user saves. */
async function openSummary(markdown: string): Promise<vscode.TextDocument> {
  const doc = await vscode.workspace.openTextDocument({ language: "markdown", content: markdown });
  await vscode.window.showTextDocument(doc, { preview: false });
  return doc;
}

async function pick(title: string, filters: Record<string, string[]>): Promise<vscode.Uri | undefined> {
  const files = await vscode.window.showOpenDialog({ canSelectMany: false, filters, title, openLabel: title });
  return files?.[0];
}
