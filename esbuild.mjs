// Bundles the host (dist/server.js) and the CLI (dist/cli.js). node-llama-cpp stays external: it is loaded
// from node_modules (its GGUF reader and downloader are plain JS; its native addon is never loaded).
import * as esbuild from "esbuild";
import fs from "node:fs";

const watch = process.argv.includes("--watch");
const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: true,
  external: ["node-llama-cpp"],
  logLevel: "warning",
  // ESM bundles of CommonJS dependencies need a require() of their own.
  banner: { js: "import { createRequire as __hearthCreateRequire } from 'node:module'; const require = __hearthCreateRequire(import.meta.url);" },
};
const targets = [
  { entryPoints: ["server/main.ts"], outfile: "dist/server.js" },
  { entryPoints: ["server/cli.ts"], outfile: "dist/cli.js", banner: { js: "#!/usr/bin/env node\n" + common.banner.js } },
];
for (const t of targets) {
  const options = { ...common, ...t };
  if (watch) await (await esbuild.context(options)).watch();
  else await esbuild.build(options);
}
if (!watch) fs.chmodSync("dist/cli.js", 0o755);
