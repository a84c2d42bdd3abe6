// `npm run package`: builds hearth-linux-x64.vsix — the extension bundle, the host bundle, the webview
// assets and the engine (llama-server with its libraries and CPU backends, all variants compiled from the
// patched ggml source: build-engine --cpu-variants all) for this platform. The VSIX is
// assembled in a staging folder so nothing from the repo leaks in; .vscodeignore lists what is kept.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { MANIFEST_NAME, cpuBackendsSatisfy } from "./engine-key.mjs";

const root = path.resolve(import.meta.dirname, "..");
const stage = path.join(root, ".hearth-tmp", "vsix");
const target = `${process.platform}-${process.arch}`;
const out = path.join(root, `hearth-${target}.vsix`);

// The VSIX runs on other people's CPUs: every CPU backend variant (libggml-cpu-<variant>.so, the one ggml
// loads is picked at run time) must be compiled from Hearth's patched ggml source, not only the one this
// machine loads (`npm install` builds just that one). This rebuilds the engine with all variants if the cached
// build is not such a build (10–15 min on 2 cores), then checks what engine.json says it holds.
// `--cpu-variants native` (the e2e suite, which installs the VSIX on this machine only) packages the engine
// as `npm install` built it: the variants this machine does not load keep node-llama-cpp's prebuilt code
// (correct, without the faster decode attention).
const cpuVariants = process.argv.includes("--cpu-variants") ? process.argv[process.argv.indexOf("--cpu-variants") + 1] : "all";
if (cpuVariants !== "all" && cpuVariants !== "native") throw new Error(`hearth: --cpu-variants must be all or native, got ${cpuVariants}`);
const buildEngine = path.join(root, "scripts", "build-engine.mjs");
execFileSync(process.execPath, [buildEngine, "--cpu-variants", cpuVariants], { stdio: "inherit" });
const enginePath = execFileSync(process.execPath, [buildEngine, "--print-path"], { encoding: "utf8" })
  .trim()
  .split("\n")
  .pop();
const engineDir = path.dirname(enginePath);
const manifest = JSON.parse(fs.readFileSync(path.join(engineDir, MANIFEST_NAME), "utf8"));
if (!cpuBackendsSatisfy(manifest, cpuVariants)) {
  throw new Error(
    `hearth: ${engineDir} does not hold CPU backends compiled from the patched source for every CPU ` +
      `(engine.json cpuBackends: ${JSON.stringify(manifest.cpuBackends ?? null)}); refusing to package it. ` +
      `Rebuild with: npm run build:engine -- --cpu-variants all --force`,
  );
}

fs.rmSync(stage, { recursive: true, force: true });
fs.mkdirSync(path.join(stage, "dist"), { recursive: true });
fs.mkdirSync(path.join(stage, "media"), { recursive: true });
fs.mkdirSync(path.join(stage, "engine"), { recursive: true });

const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
for (const k of ["scripts", "devDependencies", "dependencies", "bin", "files"]) delete pkg[k];
fs.writeFileSync(path.join(stage, "package.json"), JSON.stringify(pkg, null, 2));
for (const f of ["LICENSE", ".vscodeignore"]) fs.copyFileSync(path.join(root, f), path.join(stage, f));
// The repository's screenshots are not in the VSIX (and vsce rejects relative images): keep their captions.
const readme = fs.readFileSync(path.join(root, "README.md"), "utf8").replace(/!\[([^\]]*)\]\((?!https?:)[^)]*\)/g, "*$1*");
fs.writeFileSync(path.join(stage, "README.md"), readme);
for (const f of ["extension.cjs", "server.js"]) fs.copyFileSync(path.join(root, "dist", f), path.join(stage, "dist", f));
for (const f of fs.readdirSync(path.join(root, "media"))) {
  const src = path.join(root, "media", f);
  if (fs.statSync(src).isFile() && f !== "tsconfig.json") fs.copyFileSync(src, path.join(stage, "media", f));
}
for (const f of fs.readdirSync(engineDir)) {
  if (f === "llama-server" || f.endsWith(".so") || f.endsWith(".dylib") || f.endsWith(".dll") || f === "engine.json") {
    fs.copyFileSync(path.join(engineDir, f), path.join(stage, "engine", f));
  }
}
fs.chmodSync(path.join(stage, "engine", "llama-server"), 0o755);

const vsce = path.join(root, "node_modules", "@vscode", "vsce", "vsce");
execFileSync(process.execPath, [vsce, "package", "--no-dependencies", "--allow-missing-repository", "--skip-license", "--target", target, "-o", out], {
  cwd: stage,
  stdio: "inherit",
});
const size = fs.statSync(out).size;
console.log(`hearth: ${path.basename(out)} — ${(size / 1024 / 1024).toFixed(1)} MiB`);
