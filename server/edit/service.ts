/**
 * `hearth/editCode`: the new code for some lines of a document, from an instruction. The prompt and the
 * reading of the answer are editPrompt.ts; this runs it as a chat, on top of the workspace prefix when the
 * workspace goes with it (the chat slot keeps that prefix evaluated, so only the file's lines and the
 * instruction are prefilled) and fits the context with it.
 */
import type { ChatService, GenerateOptions, WorkspaceChunks } from "../chat/service";
import { HearthFailure } from "../errors";
import type { ChatMessage, ChatResult, EditCodeResult, StreamChunk } from "../protocol";
import { withInstructions } from "../workspace/instructions";
import { selectionTooLarge } from "./limits";
import { buildEditPrompt, extractEdit, type EditInput } from "./editPrompt";


export interface EditRequest extends EditInput {
  /** The document's line count (as the editor counts them). */
  lineCount: number;
  /** The workspace to answer with, or undefined for the file alone. */
  workspace?: () => Promise<WorkspaceChunks>;
  /** The loaded model's context (tokens), for the sentence when the edit does not fit it. */
  contextSize: number;
  /** The project's standing instructions (instructionsText()), added to the system prompt; "" or absent for none. */
  instructions?: string;
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
  const { result, workspace } = await run(chat, req, withInstructions(prompt.messages, req.instructions ?? ""), options);
  return { code: extractEdit(result.text, prompt), text: result.text, workspace, stats: result.stats };
}

/**
 * The edit as a chat: with the workspace when it goes, else (or when the workspace and the edit do not fit the
 * context together) on the file alone, whose prompt has the lines around the selection anyway.
 */
async function run(chat: ChatService, req: EditRequest, messages: ChatMessage[], options: GenerateOptions): Promise<{ result: ChatResult; workspace: boolean }> {
  if (req.workspace) {
    try {
      return { result: await chat.chatWithWorkspace(messages, await req.workspace(), options), workspace: true };
    } catch (err) {
      // (refused before anything was generated: the file-alone answer streams from the start)
      if (!tooLong(err)) throw err;
    }
  }
  try {
    return { result: await chat.chat(messages, options), workspace: false };
  } catch (err) {
    if (!tooLong(err)) throw err;
    throw new HearthFailure(
      "context-too-long",
      `The selection and the lines around it do not fit the model's context (${req.contextSize.toLocaleString("en-US")} tokens): select fewer lines, or raise hearth.contextSize.`,
    );
  }
}

const tooLong = (err: unknown) => err instanceof HearthFailure && err.code === "context-too-long";

function checkRequest(req: EditRequest): void {
  const { startLine: start, endLine: end, lineCount } = req;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > lineCount) {
    throw new HearthFailure("invalid-request", `Lines ${start}\u2013${end} are not lines of ${req.filePath} (it has ${lineCount}).`);
  }
  if (!req.instruction.trim()) throw new HearthFailure("invalid-request", "Say what to change: the instruction is empty.");
  const tooLarge = selectionTooLarge(req.text.split("\n").slice(start, end).reduce((n, l) => n + l.length + 1, 0));
  if (tooLarge) throw new HearthFailure("context-too-long", tooLarge);
}
