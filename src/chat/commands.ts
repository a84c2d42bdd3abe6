/**
 * The chat's slash commands (`/explain`, `/fix`, `/review`, `/tests`, `/doc`, `/clear`): their names and how a message
 * names one. No imports, so the webview bundles it for its `/` menu and the extension parses with the same list.
 *
 * Only a known name at the very start of a message is a command: "/usr/bin/env is missing" is a question.
 */

export type ChatCommandName = "explain" | "fix" | "review" | "tests" | "doc" | "clear";

export interface ChatCommandInfo {
  name: ChatCommandName;
  /** One line for the `/` menu. */
  description: string;
  /** Works on code: the message's context, else the editor's selection (or the code around the cursor). */
  usesCode: boolean;
}

export const CHAT_COMMANDS: readonly ChatCommandInfo[] = [
  { name: "explain", description: "Explain how the selected code works", usesCode: true },
  { name: "fix", description: "Fix the problems in the selected code", usesCode: true },
  { name: "review", description: "Review the selected code: bugs, risks, clarity", usesCode: true },
  { name: "tests", description: "Write unit tests for the selected code", usesCode: true },
  { name: "doc", description: "Add documentation comments to the selected code", usesCode: true },
  { name: "clear", description: "Start a new chat", usesCode: false },
];

export function chatCommand(name: string): ChatCommandInfo | undefined {
  return CHAT_COMMANDS.find((c) => c.name === name);
}

/** `/name rest…` at the start of a message, for a known name; undefined for any other text. */
export function parseChatCommand(text: string): { command: ChatCommandInfo; rest: string } | undefined {
  const m = /^\s*\/([a-z]+)(?=\s|$)\s*/i.exec(text);
  const command = m ? chatCommand(m[1].toLowerCase()) : undefined;
  return command && m ? { command, rest: text.slice(m[0].length).trim() } : undefined;
}

/**
 * The commands the `/` menu offers for a draft: while the draft is `/` and the start of a name (no space
 * yet), those whose name starts with it; otherwise none.
 */
export function commandsFor(draft: string): ChatCommandInfo[] {
  const m = /^\/([a-z]*)$/i.exec(draft);
  if (!m) return [];
  const typed = m[1].toLowerCase();
  return CHAT_COMMANDS.filter((c) => c.name.startsWith(typed));
}
