/// <reference types="mocha" />
// The workspace prefix follows files changed outside the editor (a git checkout, a code generator or a
// formatter in a terminal): VS Code's file watcher reports them to the host, which registered for them, and
// the prefix takes the new file in (and lets a deleted one go) without a restart.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import type { WorkspacePrefixParams } from "../../../server/protocol";
import { hearth, note, SCALE, waitFor, workspaceUri } from "./helpers";

describe("workspace prefix", () => {
  it("takes in a file created outside the editor, and lets it go when it is deleted", async () => {
    const api = await hearth();
    const ready = (): WorkspacePrefixParams | undefined => {
      const p = api.workspacePrefix();
      return p?.state === "ready" ? p : undefined;
    };
    const before = await waitFor("the workspace prefix to be evaluated", ready, 180_000 * SCALE);
    const file = workspaceUri("src/inventory.ts").fsPath;
    // (small: the tiny test model's context leaves the prefix ~800 tokens, and a file that does not fit stays out)
    const lines = Array.from({ length: 3 }, (_, i) => `export const stockLevel${i} = (sku: string): number => sku.length * ${i + 1};`);
    fs.writeFileSync(file, lines.join("\n") + "\n");
    try {
      const grown = await waitFor("the new file in the workspace prefix", () => {
        const p = ready();
        // (chunks too: the tokens also move when an earlier test's file is reverted)
        return p && p.tokens > before.tokens && p.chunks > before.chunks ? p : undefined;
      }, 120_000 * SCALE);
      note(`workspace prefix ${before.tokens} → ${grown.tokens} tokens, ${before.chunks} → ${grown.chunks} chunks after a file was written outside the editor`);
      fs.unlinkSync(file);
      const shrunk = await waitFor("the deleted file to leave the workspace prefix", () => {
        const p = ready();
        return p && p.tokens < grown.tokens ? p : undefined;
      }, 120_000 * SCALE);
      assert.ok(shrunk.chunks < grown.chunks, `the deleted file's chunks should leave the prefix (${grown.chunks} → ${shrunk.chunks})`);
    } finally {
      fs.rmSync(file, { force: true });
    }
  });
});
