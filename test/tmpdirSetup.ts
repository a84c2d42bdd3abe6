/**
 * vitest globalSetup: the whole run's temporary files (tiny models, workspaces, the hosts' and engines' private
 * directories) go under one directory, removed when the run ends, instead of piling up in the system's temp
 * directory (tens of MB per run). Test processes and the hosts and engines they start inherit TMPDIR.
 * HEARTH_KEEP_TEST_TMP=1 keeps it (its path is printed) to look at after a failure.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export default function setup(): () => void {
  const previous = process.env.TMPDIR;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-vitest-"));
  process.env.TMPDIR = dir;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    if (process.env.HEARTH_KEEP_TEST_TMP) console.log(`test temporary files kept in ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  };
}
