/** The chat's Terminal button (src/chat/terminalCommand.ts): a shell block as one line, typed but never run. */
import { describe, expect, it } from "vitest";
import { isShellLanguage, terminalCommand } from "../../src/chat/terminalCommand";

describe("terminalCommand", () => {
  it("joins several commands into one line, so nothing runs before Enter", () => {
    expect(terminalCommand("npm install\nnpm test\n", "bash")).toBe("npm install && npm test");
    expect(terminalCommand("# install first\nnpm ci\n\nnpm run build", "sh")).toBe("npm ci && npm run build");
    expect(terminalCommand("Get-ChildItem\nSet-Location src", "powershell")).toBe("Get-ChildItem; Set-Location src");
  });

  it("keeps a command continued over lines as it is (the shell waits for its last line)", () => {
    expect(terminalCommand("docker run \\\n  -p 8080:8080 \\\n  hearth\n", "bash")).toBe("docker run \\\n  -p 8080:8080 \\\n  hearth");
    expect(terminalCommand("Get-Item `\n  -Path x", "pwsh")).toBe("Get-Item `\n  -Path x");
  });

  it("takes only the commands of a console transcript", () => {
    expect(terminalCommand("$ git status\nOn branch main\n$ git log -1\ncommit abc", "console")).toBe("git status && git log -1");
    expect(terminalCommand("$ npm test", "bash")).toBe("npm test");
    expect(terminalCommand("# only a comment\n", "sh")).toBeUndefined();
  });

  it("knows the shell languages", () => {
    expect(["bash", "sh", "zsh", "Shell", "powershell", "console", "cmd"].every(isShellLanguage)).toBe(true);
    expect(["ts", "python", "", undefined].some(isShellLanguage)).toBe(false);
  });
});
