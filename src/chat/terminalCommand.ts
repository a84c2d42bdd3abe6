/**
 * A shell code block as one command line for the terminal (the chat's *Terminal* button): put at the prompt,
 * never run, so the developer reads it and presses Enter. Sent text with a newline in it would run up to that
 * newline in most shells, so a block of several commands becomes one line (`&&` between them, so a failing
 * step stops the rest; `;` for PowerShell, whose Windows version has no `&&`), a command continued over
 * lines (`\` or PowerShell's backtick at the end) stays as it is, and a console transcript keeps only its
 * `$ ` / `> ` command lines. No imports: the webview uses it to offer the button, the extension to send.
 */

/** Fence languages that are shell commands (VS Code's ids and the usual Markdown names). */
const SHELLS = new Set(["sh", "bash", "zsh", "fish", "shell", "shellscript", "console", "shell-session", "terminal", "powershell", "ps1", "pwsh", "ps", "cmd", "bat", "batch"]);
const POWERSHELL = new Set(["powershell", "ps1", "pwsh", "ps"]);
const TRANSCRIPTS = new Set(["console", "shell-session", "terminal"]);

export function isShellLanguage(lang: string | undefined): boolean {
  return !!lang && SHELLS.has(lang.toLowerCase());
}

/** The block as one line to type at the prompt; undefined when nothing in it is a command. */
export function terminalCommand(code: string, lang: string | undefined): string | undefined {
  const language = (lang ?? "").toLowerCase();
  let lines = code.replace(/\r\n?/g, "\n").split("\n");
  if (TRANSCRIPTS.has(language) || lines.some((l) => /^\s*\$ /.test(l))) {
    const prompted = lines.filter((l) => /^\s*[$>] /.test(l)).map((l) => l.replace(/^\s*[$>] /, ""));
    if (prompted.length) lines = prompted;
  }
  const continued = POWERSHELL.has(language) ? /`\s*$/ : /\\\s*$/;
  const commands: string[] = [];
  let current = "";
  for (const raw of lines) {
    const line = raw.trimEnd();
    if (!current && (!line.trim() || /^\s*(#|::|rem\s)/i.test(line))) continue; // (blank lines and comments)
    current += current ? `\n${line}` : line;
    if (!continued.test(line)) {
      commands.push(current.trim());
      current = "";
    }
  }
  if (current.trim()) commands.push(current.trim());
  if (!commands.length) return undefined;
  return commands.join(POWERSHELL.has(language) ? "; " : " && ");
}
