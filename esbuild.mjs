// Bundles the host (dist/server.js) and the CLI (dist/cli.js) into self-contained files: the VSIX ships no
// node_modules. From node-llama-cpp only the GGUF reader and the model downloader are used (plain JS); the
// plugin below imports them from their own modules, so the package index — which pulls in the native
// bindings and every platform's binary package — is never bundled.
import * as esbuild from "esbuild";
import fs from "node:fs";
import path from "node:path";
import { buildWebview } from "./scripts/build-webview.mjs";

const nodeLlamaCppParts = {
  name: "node-llama-cpp-parts",
  setup(build) {
    build.onResolve({ filter: /^node-llama-cpp$/ }, () => ({ path: "node-llama-cpp-parts", namespace: "nlc" }));
    build.onLoad({ filter: /.*/, namespace: "nlc" }, () => ({
      resolveDir: path.resolve("node_modules/node-llama-cpp/dist"),
      contents: [
        'export { readGgufFileInfo } from "./gguf/readGgufFileInfo.js";',
        'export { createModelDownloader } from "./utils/createModelDownloader.js";',
      ].join("\n"),
    }));
  },
};

const watch = process.argv.includes("--watch");
const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: true,
  plugins: [nodeLlamaCppParts],
  // ipull's optional copy-on-write helper: a native module it imports lazily and can do without. And
  // ogg-opus-decoder's speech-enhancement decoder (4 MB of model), imported only when that option is set,
  // which server/media/decode.ts never sets.
  external: ["@reflink/reflink", "@wasm-audio-decoders/opus-ml"],
  logLevel: "warning",
  // ESM bundles of CommonJS dependencies need a require() of their own.
  banner: { js: "import { createRequire as __hearthCreateRequire } from 'node:module'; const require = __hearthCreateRequire(import.meta.url);" },
};
const targets = [
  // The VS Code extension: CommonJS (what the extension host loads), `vscode` provided at run time.
  {
    entryPoints: ["src/extension.ts"],
    outfile: "dist/extension.cjs",
    format: "cjs",
    external: ["vscode"],
    plugins: [],
    banner: {},
  },
  { entryPoints: ["server/main.ts"], outfile: "dist/server.js" },
  { entryPoints: ["server/cli.ts"], outfile: "dist/cli.js", banner: { js: "#!/usr/bin/env node\n" + common.banner.js } },
];
// `node esbuild.mjs host` builds only the host and the CLI (what the host's tests need).
const only = process.argv.includes("host") ? targets.filter((t) => !t.outfile.endsWith(".cjs")) : targets;
for (const t of only) {
  const options = { ...common, ...t };
  if (watch) await (await esbuild.context(options)).watch();
  else await esbuild.build(options);
}
// The chat view's script and styles (media/chat.js), bundled for the browser.
if (!process.argv.includes("host")) await buildWebview({ watch });
if (!watch) fs.chmodSync("dist/cli.js", 0o755);
