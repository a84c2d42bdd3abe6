// Bundles the chat webview (media/src/chat.ts → media/chat.js): one minified IIFE for the browser with
// markdown-it and DOMPurify inside, loaded by the view under a strict CSP (no eval, no inline code).
// Usage: `node scripts/build-webview.mjs [--watch]`, or `import { buildWebview } from "./scripts/build-webview.mjs"`.
import * as esbuild from "esbuild";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** esbuild options for the webview bundle (exported so esbuild.mjs can reuse them). */
export const webviewOptions = {
  absWorkingDir: root,
  entryPoints: ["media/src/chat.ts"],
  outfile: "media/chat.js",
  bundle: true,
  format: "iife",
  platform: "browser",
  // VS Code 1.95 runs webviews in Electron 32 (Chromium 128).
  target: ["chrome120"],
  minify: true,
  sourcemap: false,
  // Keep DOMPurify's and markdown-it's license comments at the end of the bundle.
  legalComments: "eof",
  tsconfig: "media/tsconfig.json",
  logLevel: "warning",
};

/** Builds once, or with `watch: true` rebuilds on change (resolves when watching has started). */
export async function buildWebview({ watch = false } = {}) {
  if (watch) {
    const ctx = await esbuild.context(webviewOptions);
    await ctx.watch();
    return ctx;
  }
  return esbuild.build(webviewOptions);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await buildWebview({ watch: process.argv.includes("--watch") });
}
