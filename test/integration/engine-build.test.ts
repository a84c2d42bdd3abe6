// Checks the real engine build in the default cache (${HEARTH_CACHE_DIR:-$HOME/.cache/hearth}).
// Assumes `npm run build:engine` ran before the test suite; fails (does not skip) otherwise.

import { spawnSync } from "node:child_process";
import { lstatSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { describeEngine, MANIFEST_NAME } from "../../scripts/engine-key.mjs";
import { locateEngine, type EngineInstall } from "../../server/engine/install";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const script = join(repoRoot, "scripts", "build-engine.mjs");
const linux = process.platform === "linux";

/** run the engine from a neutral cwd, so nothing can be found via the current directory */
function runServer(install: EngineInstall, args: string[], env: NodeJS.ProcessEnv = process.env) {
    const r = spawnSync(install.serverPath, args, { cwd: tmpdir(), env, encoding: "utf8", timeout: 60_000 });
    return { status: r.status, signal: r.signal, error: r.error, out: `${r.stdout}${r.stderr}` };
}

function hasTool(name: string) {
    return spawnSync("sh", ["-c", `command -v ${name}`]).status === 0;
}

describe("engine build (npm run build:engine)", () => {
    let install: EngineInstall;

    beforeAll(() => {
        delete process.env.HEARTH_LLAMA_SERVER; // test Hearth's own build, not a user override
        install = locateEngine(); // throws EngineNotBuiltError with the build command if missing
    });

    it("has a complete manifest for the default (cpu) key", () => {
        const d = describeEngine({ gpu: "cpu" });
        const m = install.manifest;
        expect(install.key).toBe(d.key);
        expect(install.serverPath).toBe(d.serverPath);
        expect(m).toMatchObject({
            key: d.key,
            nodeLlamaCppVersion: d.nodeLlamaCppVersion,
            llamaCppTag: d.llamaCppTag,
            platform: process.platform,
            arch: process.arch,
            gpu: "cpu",
            serverPath: d.serverPath,
        });
        expect(["prebuilt-libs", "source"]).toContain(m.buildMode);
        expect(m.version).toMatch(/^version: \S+/);
        expect(m.buildSeconds).toBeGreaterThan(0);
        expect(Number.isNaN(Date.parse(m.builtAt))).toBe(false);
        expect(m.files).toContain("llama-server");
        expect(m.files!.some((f) => /^libmtmd\.(so|dylib)/.test(f))).toBe(true);
    });

    it("records the CPU backends compiled from the patched ggml source (and ships them)", () => {
        const cb = (install.manifest as { cpuBackends?: { patched: string[]; unpatched: string[]; requested: string } }).cpuBackends;
        expect(cb).toBeDefined();
        expect(["native", "all"]).toContain(cb!.requested);
        expect(cb!.patched.length).toBeGreaterThan(0);
        const files = install.manifest.files!;
        for (const v of [...cb!.patched, ...cb!.unpatched]) expect(files).toContain(v === "" ? "libggml-cpu.so" : `libggml-cpu-${v}.so`);
        if (cb!.requested === "all") expect(cb!.unpatched).toEqual([]);
    });

    it("a second run reports 'cached' and leaves the manifest untouched", () => {
        const manifestPath = join(install.dir, MANIFEST_NAME);
        const bytes = readFileSync(manifestPath, "utf8");
        const mtime = statSync(manifestPath).mtimeMs;
        const listing = readdirSync(install.dir).sort();

        const t0 = Date.now();
        const r = spawnSync(process.execPath, [script], { encoding: "utf8", timeout: 60_000 });
        const elapsed = Date.now() - t0;

        expect(r.status).toBe(0);
        expect(r.stdout).toMatch(/^hearth: engine cached \(version: .*\): .*llama-server\n$/);
        expect(r.stdout).toContain(install.serverPath);
        expect(elapsed).toBeLessThan(5_000);
        expect(readFileSync(manifestPath, "utf8")).toBe(bytes);
        expect(statSync(manifestPath).mtimeMs).toBe(mtime);
        expect(readdirSync(install.dir).sort()).toEqual(listing);

        const p = spawnSync(process.execPath, [script, "--print-path"], { encoding: "utf8" });
        expect(p.status).toBe(0);
        expect(p.stdout.trim()).toBe(install.serverPath);
    });

    it("answers --version with the version recorded in the manifest", () => {
        const r = runServer(install, ["--version"]);
        expect(r.error).toBeUndefined();
        expect(r.status).toBe(0);
        expect(r.out.split(/\r?\n/).map((l) => l.trim())).toContain(install.manifest.version);
    });

    it("--help lists the multimodal and speculative-decoding flags Hearth uses", () => {
        const r = runServer(install, ["--help"]);
        expect(r.status).toBe(0);
        expect(r.out).toMatch(/--mmproj FILE/);
        expect(r.out).toMatch(/--spec-type [^\n]*draft-mtp/);
        expect(r.out).toMatch(/--model-draft/);
    });

    it("is self-contained: regular files only, nothing pointing into node_modules", () => {
        for (const f of readdirSync(install.dir)) {
            const st = lstatSync(join(install.dir, f));
            expect(st.isSymbolicLink(), `${f} is a symlink`).toBe(false);
        }
        for (const f of install.manifest.files!) expect(statSync(join(install.dir, f)).isFile()).toBe(true);
        if (linux) {
            // ggml loads backends from the executable's directory, so they must be there
            expect(install.manifest.files!.some((f) => /^libggml-cpu.*\.so$/.test(f))).toBe(true);
        }
    });

    it.runIf(linux && hasTool("readelf"))("has RPATH $ORIGIN", () => {
        const r = spawnSync("readelf", ["-d", install.serverPath], { encoding: "utf8" });
        expect(r.status).toBe(0);
        expect(r.stdout).toMatch(/\((?:RPATH|RUNPATH)\)\s+Library r(?:un)?path: \[\$ORIGIN\]/);
        expect(r.stdout).not.toContain("node_modules");
    });

    it.runIf(linux && hasTool("ldd"))("resolves its llama/ggml/mtmd libraries beside itself (ldd)", () => {
        const r = spawnSync("ldd", [install.serverPath], { encoding: "utf8" });
        expect(r.status).toBe(0);
        expect(r.stdout).not.toMatch(/not found/);
        const resolved = [...r.stdout.matchAll(/^\s*(\S+) => (\S+)/gm)].map((m) => [m[1]!, m[2]!] as const);
        const ours = resolved.filter(([name]) => /^lib(llama|ggml|mtmd)/.test(name));
        expect(ours.map(([n]) => n)).toEqual(expect.arrayContaining(["libmtmd.so", "libggml-base.so"]));
        expect(ours.some(([n]) => n.startsWith("libllama"))).toBe(true);
        for (const [name, path] of ours) expect(path, name).toBe(join(install.dir, name));
    });

    it.runIf(linux)("loads a ggml CPU backend from its own directory (cwd elsewhere)", () => {
        const r = runServer(install, ["--list-devices"], { ...process.env, LD_DEBUG: "files" });
        expect(r.status).toBe(0);
        const loaded = [...r.out.matchAll(/file=(\S*libggml-cpu[^\s]*\.so) \[0\];\s+dynamically loaded/g)].map((m) => m[1]!);
        if (install.manifest.buildMode === "prebuilt-libs") {
            expect(loaded.length).toBeGreaterThan(0);
            for (const p of loaded) expect(p.startsWith(install.dir + "/")).toBe(true);
        } else {
            // a source build links libggml-cpu directly: it must resolve beside the binary too
            expect(r.out).toContain(join(install.dir, "libggml-cpu.so"));
        }
    });
});
