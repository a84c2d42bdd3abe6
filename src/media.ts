/**
 * The two media commands. Explain Screenshot: a picked (or right-clicked) image goes to the chat view,
 * which streams the answer under the image. Summarize Meeting Recording: the host summarizes the audio
 * under a cancellable progress notification and the result opens as a Markdown document.
 */
import * as path from "node:path";
import * as vscode from "vscode";
import type { ChatViewProvider } from "./chat/chatViewProvider";
import { errorCode, errorMessage, type HostClient } from "./hostClient";

const IMAGE_TYPES: Record<string, string> = { png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", webp: "image/webp", gif: "image/gif", bmp: "image/bmp" };
const AUDIO_EXTENSIONS = ["wav", "mp3", "m4a", "ogg", "oga", "opus", "flac", "webm"];
const MAX_IMAGE_BYTES = 25 * 1024 * 1024;

export async function explainScreenshot(chat: ChatViewProvider, uri?: vscode.Uri): Promise<void> {
  const file = uri ?? (await pick("Explain Screenshot", { Images: Object.keys(IMAGE_TYPES) }));
  if (!file) return;
  const ext = path.extname(file.fsPath).slice(1).toLowerCase();
  const mimeType = IMAGE_TYPES[ext];
  if (!mimeType) {
    void vscode.window.showErrorMessage(`Hearth: ${path.basename(file.fsPath)} is not a PNG, JPEG, WebP, GIF or BMP image.`);
    return;
  }
  let bytes: Uint8Array;
  try {
    const stat = await vscode.workspace.fs.stat(file);
    if (stat.size > MAX_IMAGE_BYTES) {
      void vscode.window.showErrorMessage(`Hearth: ${path.basename(file.fsPath)} is ${(stat.size / 1e6).toFixed(1)} MB; images up to 25 MB are accepted.`);
      return;
    }
    bytes = await vscode.workspace.fs.readFile(file);
  } catch (err) {
    void vscode.window.showErrorMessage(`Hearth: cannot read ${file.fsPath}: ${(err as Error).message}`);
    return;
  }
  await chat.explainImage({ name: path.basename(file.fsPath), mimeType, data: Buffer.from(bytes).toString("base64") });
}

export async function summarizeMeeting(host: HostClient, uri?: vscode.Uri): Promise<vscode.TextDocument | undefined> {
  const file = uri ?? (await pick("Summarize Meeting Recording", { Audio: AUDIO_EXTENSIONS }));
  if (!file) return undefined;
  const name = path.basename(file.fsPath);
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Hearth: summarizing ${name}`, cancellable: true },
    async (progress, token) => {
      progress.report({ message: "listening to the recording…" });
      let chars = 0;
      try {
        const result = await host.summarizeAudio(
          file.fsPath,
          (t) => {
            chars += t.length;
            progress.report({ message: `writing the summary… (${chars} characters)` });
          },
          token,
        );
        return await openSummary(result.markdown);
      } catch (err) {
        if (token.isCancellationRequested || errorCode(err) === "cancelled") return undefined;
        const action = await vscode.window.showErrorMessage(`Hearth: ${errorMessage(err)}`, "Show Logs");
        if (action) await vscode.commands.executeCommand("hearth.showLogs");
        return undefined;
      }
    },
  );
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
