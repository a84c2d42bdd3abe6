/**
 * The workspace context a completion carries: the stable workspace prefix (WorkspaceIndex, least recently
 * changed first) minus the file being edited, which is in the volatile part of the prompt already. Built
 * once per workspace in the background; file changes update it incrementally.
 */
import path from "node:path";
import type { ContextChunk } from "../completion/layout";
import { WorkspaceIndex } from "./index";

/** Share of the context the workspace prefix may take; the rest is for the file, the answer and chat. */
const PREFIX_SHARE = 0.6;
const RESERVED_TOKENS = 4096;

/** Tokens the workspace prefix may take in a context of `contextSize` tokens. */
export function prefixTokenBudget(contextSize: number): number {
  return Math.max(0, Math.floor(contextSize * PREFIX_SHARE) - RESERVED_TOKENS);
}

export class WorkspaceContext {
  private index?: WorkspaceIndex;
  private building?: Promise<WorkspaceIndex>;
  private budget = 0;

  constructor(
    readonly root: string,
    private readonly ignore: string[] = [],
    private readonly log: (message: string) => void = () => {},
  ) {}

  /** Workspace-relative posix path of a file inside the workspace, else undefined. */
  relative(file: string): string | undefined {
    const rel = path.relative(this.root, file);
    return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel.split(path.sep).join("/") : undefined;
  }

  /** Prefix chunks for a completion in `file`, sized for a context of `contextSize` tokens. */
  async chunksFor(file: string | undefined, contextSize: number): Promise<ContextChunk[]> {
    const budget = prefixTokenBudget(contextSize);
    if (budget === 0) return [];
    const index = await this.ready(budget);
    const current = file ? this.relative(file) : undefined;
    return index.chunks().filter((c) => c.path !== current);
  }

  /** Files changed on disk (saved, created, deleted). */
  async changed(files: string[]): Promise<void> {
    if (!this.index) return;
    const change = await this.index.update(files);
    this.log(`workspace prefix: ${change.reusedTokens} of ${change.tokensAfter} tokens unchanged after ${files.length} file change(s)`);
  }

  private async ready(budget: number): Promise<WorkspaceIndex> {
    if (this.index && budget !== this.budget) {
      this.budget = budget;
      await this.index.setTokenBudget(budget);
    }
    if (this.index) return this.index;
    this.building ??= (async () => {
      const t0 = performance.now();
      const index = new WorkspaceIndex(this.root, { tokenBudget: budget, ignore: this.ignore });
      await index.build();
      const s = index.stats();
      this.log(`workspace prefix: ${s.includedFiles} of ${s.files} files, ${s.chunks} chunks, ~${s.tokens} tokens (budget ${budget}) in ${Math.round(performance.now() - t0)} ms`);
      this.index = index;
      this.budget = budget;
      return index;
    })();
    return this.building;
  }
}
