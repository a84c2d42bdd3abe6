/**
 * **Write Commit Message** (the Source Control view's title bar): the staged changes of a git repository (or,
 * with nothing staged, its unstaged changes and new, untracked files) go to the host (`hearth/commitMessage`, which keeps a secrets
 * file's changes out of the prompt), and the message streams into the commit message box, where the user
 * reviews it before committing. Through VS Code's built-in Git extension's API.
 */
import * as path from "node:path";
import * as vscode from "vscode";
import { newFileDiff, readsNewFile } from "../server/commit/newFileDiff";
import type { CommitMessageParams, CommitMessageResult } from "../server/protocol";
import { errorCode, errorMessage } from "./hostErrors";
import { isHostStopped } from "./hostStopped";

export interface CommitBackend {
  commitMessage(params: Omit<CommitMessageParams, "partialResultToken">, onText: (text: string) => void, token: vscode.CancellationToken): Promise<CommitMessageResult>;
}

/** The part of the Git extension's API (extensions/git/src/api/git.d.ts, version 1) used here. */
export interface GitRepository {
  readonly rootUri: vscode.Uri;
  readonly inputBox: { value: string };
  readonly state: { readonly untrackedChanges?: readonly GitChange[]; readonly workingTreeChanges: readonly GitChange[] };
  diff(cached?: boolean): Promise<string>;
  log(options?: { maxEntries?: number }): Promise<{ message: string }[]>;
}
interface GitChange {
  readonly uri: vscode.Uri;
  readonly status: number;
}
/** The Git API's `Status.UNTRACKED`. */
const UNTRACKED = 7;
/** The most new files read for one message: the prompt's budget (24K characters) holds far fewer. */
const MAX_NEW_FILES_READ = 50;
/** The most new files looked at (a repository before its .gitignore can list thousands): the rest go by name. */
const MAX_NEW_FILES_STAT = 200;
interface GitApi {
  readonly repositories: GitRepository[];
  getRepository(uri: vscode.Uri): GitRepository | null;
}

/** What the command did: the message it wrote into the box, or the sentence it showed instead. */
export type CommitOutcome = { message: string } | { problem: string } | undefined;

/**
 * The changes a command is for (Write Commit Message, Review Changes): the repository's (see pickRepository)
 * staged changes, else its unstaged ones with its new files; undefined when the user cancelled the pick, a
 * problem (already shown) when there is nothing to work on.
 */
export async function repositoryChanges(
  arg: unknown,
  purpose: string,
): Promise<{ repo: GitRepository; diff: string; what: string; staged: boolean } | { problem: string } | undefined> {
  const git = await gitApi();
  if (!git) return tell("VS Code's Git support is off (the Git extension disabled, `git.enabled` false, or git not installed), so Hearth cannot read the changes.");
  const repo = await pickRepository(git, arg, purpose);
  if (!repo) return git.repositories.length ? undefined : tell("There is no git repository open: open a folder that is one (or run Git: Initialize Repository).");
  let diff = await repo.diff(true);
  let what = "the staged changes";
  const staged = !!diff.trim();
  if (!staged) {
    const untracked = untrackedFiles(repo);
    diff = (await repo.diff(false)) + (await newFilesDiff(repo.rootUri, untracked));
    what = untracked.length ? `the changes and ${untracked.length === 1 ? "the new file" : `${untracked.length} new files`} (nothing is staged)` : "the changes (nothing is staged)";
  }
  if (!diff.trim()) return tell(`There are no changes to ${purpose === "review" ? "review" : "describe"} in this repository.`);
  return { repo, diff, what, staged };
}

export async function writeCommitMessage(host: CommitBackend, arg?: unknown): Promise<CommitOutcome> {
  const changes = await repositoryChanges(arg, "commit");
  if (!changes || "problem" in changes) return changes;
  const { repo, diff, what } = changes;
  const recentSubjects = await repo.log({ maxEntries: 10 }).then(
    (commits) => commits.map((c) => c.message.split("\n")[0]),
    () => [], // a repository without commits yet
  );
  const before = repo.inputBox.value;
  // A message the user wrote is not replaced without asking.
  if (before.trim()) {
    const choice = await vscode.window.showInformationMessage("The commit message box has text. Replace it with Hearth's message?", "Replace", "Cancel");
    if (choice !== "Replace") return undefined;
  }
  // What Hearth wrote into the box: once it holds anything else, the user typed there and the streaming stops
  // touching it. (Every value written counts: the box syncs with the window asynchronously, and may hand back
  // an earlier one, or a normalized one, for a moment.)
  const mine = new Set([before]);
  let typedOver = false;
  const write = (text: string) => {
    if (typedOver || !mine.has(repo.inputBox.value)) {
      typedOver = true;
      return;
    }
    repo.inputBox.value = text;
    mine.add(text).add(repo.inputBox.value);
  };
  const outcome = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Hearth: writing a commit message for ${what}`, cancellable: true },
    async (_progress, token): Promise<{ result: CommitMessageResult } | { error: unknown } | { stopped: true } | undefined> => {
      let streamed = "";
      try {
        const result = await host.commitMessage(
          { diff, recentSubjects, repository: repo.rootUri.toString() },
          (t) => {
            streamed += t;
            write(streamed.trimStart());
          },
          token,
        );
        return { result };
      } catch (error) {
        if (!typedOver) repo.inputBox.value = before;
        if (isHostStopped(error)) return { stopped: true as const };
        if (token.isCancellationRequested || errorCode(error) === "cancelled") return undefined;
        return { error };
      }
    },
  );
  if (!outcome) return undefined;
  if ("stopped" in outcome) return tell("The commit message stopped: the model host was restarted. Run Write Commit Message again.");
  if ("error" in outcome) {
    const problem = errorMessage(outcome.error);
    void vscode.window.showErrorMessage(`Hearth: ${problem}`, "Show Logs").then((a) => a && vscode.commands.executeCommand("hearth.showLogs"));
    return { problem };
  }
  const { message } = outcome.result;
  if (!message.trim()) {
    if (!typedOver) repo.inputBox.value = before;
    return tell("The model wrote no message: try again.");
  }
  write(message);
  if (typedOver) {
    // The user typed in the box meanwhile: their text stays, the message goes to the clipboard on request.
    void vscode.window.showInformationMessage("You typed in the commit message box, so Hearth's message was not put there.", "Copy Hearth's Message").then((a) => a && vscode.env.clipboard.writeText(message));
    return { message };
  }
  const secrets = outcome.result.omitted.filter((o) => o.reason === "secret" || o.reason === "key").map((o) => o.path);
  if (secrets.length) void vscode.window.setStatusBarMessage(`Hearth: changes to ${secrets.join(", ")} were not shown to the model (secrets)`, 8000);
  return { message };
}

/** New files git does not track yet (VS Code lists them with the changes, or apart with `git.untrackedChanges: separate`). */
function untrackedFiles(repo: GitRepository): vscode.Uri[] {
  const changes = [...(repo.state.untrackedChanges ?? []), ...repo.state.workingTreeChanges];
  const uris = changes.filter((c) => c.status === UNTRACKED).map((c) => c.uri);
  return [...new Map(uris.map((u) => [u.toString(), u])).values()].sort((a, b) => a.path.localeCompare(b.path));
}

/**
 * The new files as `git diff` sections (server/commit/newFileDiff.ts): each read when small and not a secrets
 * file, up to MAX_NEW_FILES_READ of them; the others by name and size. A symbolic link is never followed (its
 * target can be any file on the machine).
 */
async function newFilesDiff(root: vscode.Uri, files: readonly vscode.Uri[]): Promise<string> {
  let read = 0;
  const sections: string[] = [];
  for (const [i, uri] of files.entries()) {
    const rel = path.posix.relative(root.path, uri.path);
    if (i >= MAX_NEW_FILES_STAT) {
      sections.push(newFileDiff(rel, {}));
      continue;
    }
    const stat = await vscode.workspace.fs.stat(uri).then(undefined, () => undefined);
    if (stat?.type !== undefined && stat.type & vscode.FileType.SymbolicLink) {
      sections.push(newFileDiff(rel, { link: true }));
      continue;
    }
    if (!stat || !(stat.type & vscode.FileType.File)) continue; // gone since git listed it, or a folder (a nested repository)
    const content = readsNewFile(rel, stat.size) && read < MAX_NEW_FILES_READ ? await vscode.workspace.fs.readFile(uri).then(undefined, () => undefined) : undefined;
    if (content) read++;
    sections.push(newFileDiff(rel, content ?? { size: stat.size }));
  }
  return sections.join("");
}

async function gitApi(): Promise<GitApi | undefined> {
  const ext = vscode.extensions.getExtension<{ getAPI(version: 1): GitApi }>("vscode.git");
  if (!ext) return undefined;
  const exports = ext.isActive ? ext.exports : await ext.activate().then(undefined, () => undefined);
  try {
    return exports?.getAPI(1);
  } catch {
    return undefined; // "Git model not found": git.enabled is false, or git is missing
  }
}

/**
 * The repository the command is for: the one whose Source Control title bar it was run from, else the only
 * one, else the active editor's, else the user's pick.
 */
async function pickRepository(git: GitApi, arg: unknown, purpose: string): Promise<GitRepository | undefined> {
  const root = (arg as { rootUri?: unknown } | undefined)?.rootUri ?? arg;
  if (root instanceof vscode.Uri) {
    const repo = git.getRepository(root);
    if (repo) return repo;
  }
  if (git.repositories.length <= 1) return git.repositories[0];
  const active = vscode.window.activeTextEditor?.document.uri;
  const mine = active && git.getRepository(active);
  if (mine) return mine;
  const picked = await vscode.window.showQuickPick(
    git.repositories.map((r) => ({ label: vscode.workspace.asRelativePath(r.rootUri, true) || r.rootUri.fsPath, repo: r })),
    { title: purpose === "review" ? "Hearth: Review the changes of which repository?" : "Hearth: Write Commit Message for which repository?" },
  );
  return picked?.repo;
}

export function tell(problem: string): { problem: string } {
  void vscode.window.showInformationMessage(`Hearth: ${problem}`);
  return { problem };
}
