/**
 * *Hearth: Export Chat as Markdown*: the open conversation (or a past one, from Chat History) as a Markdown
 * document in an unsaved editor, to keep, share or paste into an issue. Each question with its command,
 * `@workspace`, context (fenced, with its path and lines) and attachments named; each answer as written.
 */
import * as vscode from "vscode";
import { renderChip } from "./prompt";
import type { ChatTurn } from "./types";

/** The conversation as Markdown, headed by its first question. */
export function chatAsMarkdown(turns: readonly ChatTurn[], exportedAt = new Date()): string {
  const first = turns.find((t) => t.role === "user");
  const heading = first ? oneLine(first.command ? `/${first.command} ${first.text}` : first.text) || "Chat" : "Chat";
  const out = [`# ${heading}`, "", `*Hearth chat, exported ${exportedAt.toISOString().slice(0, 16).replace("T", " ")} UTC*`, ""];
  for (const t of turns) {
    if (t.role === "user") {
      out.push("## You", "");
      const asked = [t.command ? `\`/${t.command}\`` : "", t.workspace ? "`@workspace`" : "", t.text].filter(Boolean).join(" ");
      if (asked) out.push(asked, "");
      // (as the model was shown it: path, lines, fenced in its language)
      for (const c of t.context ?? []) out.push(renderChip(c, Number.MAX_SAFE_INTEGER), "");
      for (const a of t.attachments ?? []) out.push(`*${a.kind === "image" ? "Image" : "Audio"}: ${a.name}*`, "");
    } else {
      out.push("## Hearth", "");
      // (an answer cut or stopped inside a code block is closed, or the rest of the document would be code)
      if (t.text.trim()) out.push(closeOpenFence(t.text.trim()), "");
      if (t.status === "streaming") out.push("*Still being written when exported.*", "");
      if (t.status === "stopped") out.push(`*Stopped${t.stopReason ? `: ${t.stopReason}` : ""}.*`, "");
      if (t.status === "error") out.push(`*Failed: ${t.error ?? "the request failed"}*`, "");
      if (t.cut && t.status === "done") out.push("*Cut at the length limit.*", "");
    }
  }
  return `${out.join("\n").trimEnd()}\n`;
}

/** Markdown whose last code fence is left open gets its closing fence (CommonMark: the same character, at least as long). */
export function closeOpenFence(text: string): string {
  let open: string | undefined;
  for (const line of text.split("\n")) {
    const m = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
    if (!m) continue;
    if (!open) {
      if (!(m[1][0] === "`" && m[2].includes("`"))) open = m[1];
    } else if (m[1][0] === open[0] && m[1].length >= open.length && !m[2].trim()) {
      open = undefined;
    }
  }
  return open ? `${text}\n${open}` : text;
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

/** Opens the conversation as an unsaved Markdown document; says so when there is nothing to export. */
export async function exportChat(turns: readonly ChatTurn[]): Promise<void> {
  if (!turns.length) {
    void vscode.window.showInformationMessage("Hearth: the chat is empty, nothing to export.");
    return;
  }
  const doc = await vscode.workspace.openTextDocument({ language: "markdown", content: chatAsMarkdown(turns) });
  await vscode.window.showTextDocument(doc, { preview: false });
}
