// `npm run package`: builds hearth-linux-x64.vsix — the extension bundle, the host bundle, the webview
// assets and the engine (llama-server with its libraries and CPU backends) for this platform. The VSIX is
// assembled in a staging folder so nothing from the repo leaks in; .vscodeignore lists what is kept.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const stage = path.join(root, ".hearth-tmp", "vsix");
const target = `${process.platform}-${process.arch}`;
const out = path.join(root, `hearth-${target}.vsix`);

const enginePath = execFileSync(process.execPath, [path.join(root, "scripts", "build-engine.mjs"), "--print-path"], { encoding: "utf8" })
  .trim()
  .split("\n")
  .pop();
const engineDir = path.dirname(enginePath);

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
