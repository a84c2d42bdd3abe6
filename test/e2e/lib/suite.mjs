// Bundles the extension-host test suite (test/e2e/suite) into out/e2e/suite/*.cjs: shared by the
// code-server runner (run.mjs) and the desktop VS Code runner (electron.mjs).
import fs from "node:fs";
import path from "node:path";

export async function buildSuite(repo) {
  const esbuild = await import("esbuild");
  const suiteDir = path.join(repo, "test", "e2e", "suite");
  const outdir = path.join(repo, "out", "e2e", "suite");
  fs.rmSync(outdir, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: fs.readdirSync(suiteDir).filter((f) => f === "index.ts" || f.endsWith(".test.ts")).map((f) => path.join(suiteDir, f)),
    outdir,
    outExtension: { ".js": ".cjs" },
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    sourcemap: "inline",
    external: ["vscode", "mocha"],
    logLevel: "warning",
  });
  return outdir;
}
