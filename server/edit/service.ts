/**
 * `hearth/editCode`: the new code for some lines of a document, from an instruction. The prompt and the
 * reading of the answer are editPrompt.ts; this runs it as a chat, on top of the workspace prefix when the
 * workspace goes with it (the chat slot keeps that prefix evaluated, so only the file's lines and the
 * instruction are prefilled).
 */
import type { ChatService, GenerateOptions, WorkspaceChunks } from "../chat/service";
import { HearthFailure } from "../errors";
import type { EditCodeResult, StreamChunk } from "../protocol";
import { buildEditPrompt, extractEdit, type EditInput } from "./editPrompt";

/** The most a selection may hold: the model writes it all again, so more would take minutes on a laptop. */
export const MAX_EDIT_SELECTION_CHARS = 24_000;

export interface EditRequest extends EditInput {
  /** The document's line count (as the editor counts them). */
  lineCount: number;
  /** The workspace to answer with, or undefined for the file alone. */
  workspace?: () => Promise<WorkspaceChunks>;
}

/** How often the code read from the answer so far goes out with the streamed text. */
const CODE_EVERY_MS = 100;

export async function editCode(chat: ChatService, req: EditRequest, opts: Omit<GenerateOptions, "onText"> & { onChunk?: (chunk: StreamChunk) => void }): Promise<EditCodeResult> {
  checkRequest(req);
  const prompt = buildEditPrompt(req);
  const selectedChars = prompt.selected.reduce((n, l) => n + l.length + 1, 0);
  const { onChunk, ...rest } = opts;
  let answer = "";
  let sentAt = 0;
  const options: GenerateOptions = {
    ...rest,
    onText: onChunk
      ? (text) => {
          answer += text;
          const now = performance.now();
          if (now - sentAt < CODE_EVERY_MS) return onChunk({ text });
          sentAt = now;
          onChunk({ text, code: extractEdit(answer, prompt) });
        }
      : undefined,
    // Room for the selection written again plus what the instruction adds.
    maxTokens: opts.maxTokens ?? Math.min(8192, Math.ceil(selectedChars / 3) + 512),
    temperature: opts.temperature ?? 0.2,
  };
  const result = req.workspace ? await chat.chatWithWorkspace(prompt.messages, await req.workspace(), options) : await chat.chat(prompt.messages, options);
  return { code: extractEdit(result.text, prompt), text: result.text, workspace: !!req.workspace, stats: result.stats };
}

function checkRequest(req: EditRequest): void {
  const { startLine: start, endLine: end, lineCount } = req;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > lineCount) {
    throw new HearthFailure("invalid-request", `Lines ${start}\u2013${end} are not lines of ${req.filePath} (it has ${lineCount}).`);
  }
  if (!req.instruction.trim()) throw new HearthFailure("invalid-request", "Say what to change: the instruction is empty.");
  const lines = req.text.split("\n").slice(start, end);
  const chars = lines.reduce((n, l) => n + l.length + 1, 0);
  if (chars > MAX_EDIT_SELECTION_CHARS) {
    throw new HearthFailure(
      "context-too-long",
      `The selection is ${Math.round(chars / 1000)}K characters; Edit Selection takes up to ${MAX_EDIT_SELECTION_CHARS / 1000}K, since the model writes it all again. Select one function or block at a time.`,
    );
  }
}
