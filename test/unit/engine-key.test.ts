import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
    BUILD_RECIPE_VERSION,
    CPU_BACKEND_CMAKE_OPTIONS,
    ENGINE_PATCHES,
    ENGINE_PATCHES_DIR,
    MANIFEST_NAME,
    bestCpuVariants,
    buildCommandFor,
    buildOptionsDescriptor,
    cpuBackendFile,
    cpuBackendTarget,
    cpuBackendVariants,
    cpuBackendsSatisfy,
    computeEngineKey,
    describeEngine,
    enginePatchMismatches,
    readEngineInputs,
    patchDigest,
    resolveCacheRoot,
} from "../../scripts/engine-key.mjs";
import { EngineNotBuiltError, locateEngine } from "../../server/engine/install";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const script = join(repoRoot, "scripts", "build-engine.mjs");

const base = { nodeLlamaCppVersion: "3.22.1", llamaCppTag: "v0.5.0", platform: "linux", arch: "x64", gpu: "cpu" };

describe("computeEngineKey", () => {
    it("is deterministic and readable", () => {
        const a = computeEngineKey(base);
        const b = computeEngineKey({ ...base });
        expect(a).toBe(b);
        expect(a).toMatch(/^nlc3\.22\.1-v0\.5\.0-linux-x64-cpu-[0-9a-f]{10}$/);
    });

    it("changes with the gpu variant, versions, platform and arch", () => {
        const keys = [
            computeEngineKey(base),
            computeEngineKey({ ...base, gpu: "cuda" }),
            computeEngineKey({ ...base, gpu: "vulkan" }),
            computeEngineKey({ ...base, nodeLlamaCppVersion: "3.22.2" }),
            computeEngineKey({ ...base, llamaCppTag: "v0.5.1" }),
            computeEngineKey({ ...base, platform: "darwin" }),
            computeEngineKey({ ...base, arch: "arm64" }),
        ];
        expect(new Set(keys).size).toBe(keys.length);
        expect(keys[1]).toContain("-cuda-");
        expect(keys[2]).toContain("-vulkan-");
        // only the readable gpu part differs between variants; the options hash is shared
        expect(keys[1]!.replace("-cuda-", "-cpu-")).toBe(keys[0]);
    });

    it("rejects unknown gpu variants and missing inputs", () => {
        expect(() => computeEngineKey({ ...base, gpu: "metal" })).toThrow(/unknown gpu variant/);
        expect(() => computeEngineKey({ ...base, llamaCppTag: "" })).toThrow(/llamaCppTag/);
    });

    it("has a recipe version", () => {
        expect(Number.isInteger(BUILD_RECIPE_VERSION) && BUILD_RECIPE_VERSION >= 1).toBe(true);
    });
});

describe("engine patches", () => {
    const files = ENGINE_PATCHES.map((p) => p.file);

    it("lists patch files that exist, in order, the ggml flash-attention one included", () => {
        expect(files).toContain("0004-fa-decode-gqa.diff");
        expect([...files].sort()).toEqual(files);
        expect(ENGINE_PATCHES_DIR).toBe(join(repoRoot, "scripts", "engine-patches"));
        for (const f of files) expect(existsSync(join(ENGINE_PATCHES_DIR, f))).toBe(true);
    });

    it("records each patch's digest, and the digests are part of the engine key", () => {
        // Fails when a patch was edited without recording its new digest: the message says which value to set.
        expect(enginePatchMismatches()).toEqual([]);
        expect(buildOptionsDescriptor().patches).toEqual(ENGINE_PATCHES.map((p) => `${p.file}@${p.sha256}`));
    });

    describe("an edited, missing or CRLF-converted patch file", () => {
        let dir: string;
        beforeEach(() => {
            dir = mkdtempSync(join(tmpdir(), "hearth-patches-"));
            for (const f of files) copyFileSync(join(ENGINE_PATCHES_DIR, f), join(dir, f));
        });
        afterEach(() => rmSync(dir, { recursive: true, force: true }));

        it("is reported with the digest to record; line-end conversion is not a change", () => {
            expect(enginePatchMismatches(dir)).toEqual([]);
            const [first, second, third] = files;
            const edited = readFileSync(join(dir, first), "utf8") + "+// one more line\n";
            writeFileSync(join(dir, first), edited);
            rmSync(join(dir, second));
            writeFileSync(join(dir, third), readFileSync(join(dir, third), "utf8").replace(/\n/g, "\r\n"));
            const problems = enginePatchMismatches(dir);
            expect(problems).toHaveLength(2);
            expect(problems[0]).toContain(`${first} changed since its digest was recorded`);
            expect(problems[0]).toContain(`to "${patchDigest(edited)}"`);
            expect(patchDigest(edited)).not.toBe(ENGINE_PATCHES[0].sha256);
            expect(problems[1]).toMatch(new RegExp(`${second}.*cannot be read \\(ENOENT\\)`));
        });
    });
});

describe("CPU backend variants", () => {
    it("are read from libggml-cpu-<variant>.so file names (a plain libggml-cpu.so is the variant \"\")", () => {
        const files = ["libggml-base.so", "libggml-cpu-zen4.so", "libggml-cpu-x64.so", "libggml-cpu-armv8.2_1.so", "libggml.v0.5.0.so", "llama-server", "libggml-cpu-zen4.so.bak"];
        expect(cpuBackendVariants(files)).toEqual(["armv8.2_1", "x64", "zen4"]);
        expect(cpuBackendVariants(["libggml-cpu.so", "libggml-cuda.so"])).toEqual([""]);
        expect(cpuBackendFile("zen4")).toBe("libggml-cpu-zen4.so");
        expect(cpuBackendFile("")).toBe("libggml-cpu.so");
        expect(cpuBackendTarget("haswell")).toBe("ggml-cpu-haswell");
        expect(cpuBackendTarget("")).toBe("ggml-cpu");
    });

    it("the probe's best score picks the variant ggml loads; all of them on a tie; none if nothing runs", () => {
        expect(bestCpuVariants("x64 1\nsse42 3\nhaswell 163\nzen4 2047\nsapphirerapids 0\n")).toEqual(["zen4"]);
        expect(bestCpuVariants("a 5\r\nb 7\nc 7\n")).toEqual(["b", "c"]);
        expect(bestCpuVariants("- 4\n")).toEqual([""]);
        expect(bestCpuVariants("a 0\nb 0\n")).toEqual([]);
        expect(bestCpuVariants("garbage\n\n")).toEqual([]);
    });

    it("--cpu-variants all is met only by a build whose CPU backends are all patched and portable", () => {
        const all = { cpuBackends: { requested: "all", patched: ["x64", "zen4"], unpatched: [], nativeOnly: false } };
        const native = { cpuBackends: { requested: "native", patched: ["zen4"], unpatched: ["x64"], nativeOnly: false } };
        const source = { cpuBackends: { requested: "native", patched: [""], unpatched: [], nativeOnly: true } };
        expect(cpuBackendsSatisfy(all, "all")).toBe(true);
        expect(cpuBackendsSatisfy(native, "all")).toBe(false);
        expect(cpuBackendsSatisfy(source, "all")).toBe(false);
        expect(cpuBackendsSatisfy({}, "all")).toBe(false);
        for (const m of [all, native, source, {}]) expect(cpuBackendsSatisfy(m, "native")).toBe(true);
    });

    it("are configured like node-llama-cpp's prebuilt ones (loadable variants, no OpenMP, unversioned SONAME)", () => {
        for (const o of ["-DGGML_BACKEND_DL=ON", "-DGGML_CPU_ALL_VARIANTS=ON", "-DGGML_NATIVE=OFF", "-DGGML_OPENMP=OFF", "-DCMAKE_PLATFORM_NO_VERSIONED_SONAME=ON"])
            expect(CPU_BACKEND_CMAKE_OPTIONS).toContain(o);
        expect(buildOptionsDescriptor().cpuBackendCmakeOptions).toEqual([...CPU_BACKEND_CMAKE_OPTIONS]);
    });
});

describe("cache paths", () => {
    it("uses HEARTH_CACHE_DIR, else $HOME/.cache/hearth", () => {
        expect(resolveCacheRoot({ HEARTH_CACHE_DIR: "/x/y" })).toBe("/x/y");
        expect(resolveCacheRoot({ HOME: "/home/u" })).toBe("/home/u/.cache/hearth");
        expect(resolveCacheRoot({})).toBe(join(homedir(), ".cache", "hearth"));
    });

    it("reads the installed node-llama-cpp version and llama.cpp tag", () => {
        const inputs = readEngineInputs();
        expect(inputs.nodeLlamaCppVersion).toMatch(/^\d+\.\d+\.\d+/);
        expect(inputs.llamaCppTag).toMatch(/^[\w.-]+$/);
        const d = describeEngine({ cacheDir: "/c", platform: "linux", arch: "x64" });
        expect(d.dir).toBe(join("/c", "engine", d.key));
        expect(d.serverPath).toBe(join("/c", "engine", d.key, "llama-server"));
        expect(d.key).toBe(computeEngineKey({ ...inputs, platform: "linux", arch: "x64", gpu: "cpu" }));
    });
});

describe("locateEngine", () => {
    let cache: string;
    const saved = { ...process.env };

    beforeEach(() => {
        cache = mkdtempSync(join(tmpdir(), "hearth-engine-test-"));
        process.env.HEARTH_CACHE_DIR = cache;
        delete process.env.HEARTH_LLAMA_SERVER;
    });
    afterEach(() => {
        process.env = { ...saved };
        rmSync(cache, { recursive: true, force: true });
    });

    /** a fake "complete build" laid out exactly where the script would put it */
    function fakeBuild(gpu: "cpu" | "cuda" = "cpu", manifestOverrides: Record<string, unknown> = {}) {
        const d = describeEngine({ gpu });
        mkdirSync(d.dir, { recursive: true });
        writeFileSync(d.serverPath, "#!/bin/sh\necho fake\n");
        chmodSync(d.serverPath, 0o755);
        const manifest = {
            key: d.key, nodeLlamaCppVersion: d.nodeLlamaCppVersion, llamaCppTag: d.llamaCppTag,
            platform: d.platform, arch: d.arch, gpu, buildMode: "prebuilt-libs", serverPath: d.serverPath,
            version: "version: fake", buildSeconds: 1, builtAt: new Date().toISOString(), files: ["llama-server"],
            ...manifestOverrides,
        };
        writeFileSync(d.manifestPath, JSON.stringify(manifest));
        return d;
    }

    it("throws EngineNotBuiltError naming `npm run build:engine` when the cache is empty", () => {
        let err: unknown;
        try {
            locateEngine();
        } catch (e) {
            err = e;
        }
        expect(err).toBeInstanceOf(EngineNotBuiltError);
        expect((err as Error).message).toContain("npm run build:engine");
        expect((err as Error).message).toContain(cache);
        expect((err as EngineNotBuiltError).buildCommand).toBe("npm run build:engine");
    });

    it("names the --gpu flag for GPU variants", () => {
        expect(() => locateEngine({ gpu: "cuda" })).toThrow("npm run build:engine -- --gpu cuda");
        expect(buildCommandFor("vulkan")).toBe("npm run build:engine -- --gpu vulkan");
    });

    it("finds a complete build at the shared key, honouring opts.cacheDir", () => {
        const d = fakeBuild();
        const found = locateEngine();
        expect(found).toMatchObject({ serverPath: d.serverPath, dir: d.dir, key: d.key });
        expect(found.manifest.version).toBe("version: fake");
        // the cpu build is not a cuda build
        expect(() => locateEngine({ gpu: "cuda" })).toThrow(EngineNotBuiltError);
        // explicit cacheDir wins over the env var
        process.env.HEARTH_CACHE_DIR = join(cache, "elsewhere");
        expect(() => locateEngine()).toThrow(EngineNotBuiltError);
        expect(locateEngine({ cacheDir: cache }).serverPath).toBe(d.serverPath);
    });

    it("rejects incomplete or foreign cache entries", () => {
        const d = fakeBuild("cpu", { key: "something-else" });
        expect(() => locateEngine()).toThrow(/has key something-else/);
        fakeBuild("cpu", { files: ["llama-server", "libmtmd.so"] });
        expect(() => locateEngine()).toThrow(/libmtmd\.so is missing/);
        rmSync(d.manifestPath);
        expect(() => locateEngine()).toThrow(/no engine\.json/);
    });

    it("prefers HEARTH_LLAMA_SERVER, and rejects a bad one", () => {
        fakeBuild();
        const own = join(cache, "my-llama-server");
        writeFileSync(own, "#!/bin/sh\n");
        chmodSync(own, 0o755);
        process.env.HEARTH_LLAMA_SERVER = own;
        const found = locateEngine();
        expect(found.serverPath).toBe(own);
        expect(found.manifest.buildMode).toBe("external");
        process.env.HEARTH_LLAMA_SERVER = join(cache, "missing");
        expect(() => locateEngine()).toThrow(/HEARTH_LLAMA_SERVER=.*missing is not an executable file/);
    });

    it("agrees with the build script about the key and path", () => {
        const env = { ...process.env, HEARTH_CACHE_DIR: cache };
        const before = spawnSync(process.execPath, [script, "--print-path"], { env, encoding: "utf8" });
        expect(before.status).toBe(1);
        expect(before.stderr).toContain("npm run build:engine");

        const d = fakeBuild();
        const after = spawnSync(process.execPath, [script, "--print-path"], { env, encoding: "utf8" });
        expect(after.status).toBe(0);
        expect(after.stdout.trim()).toBe(locateEngine().serverPath);
        expect(after.stdout.trim()).toBe(d.serverPath);
    });
});

describe("build-engine.mjs without build tools", () => {
    let cache: string;
    beforeEach(() => {
        cache = mkdtempSync(join(tmpdir(), "hearth-engine-test-"));
    });
    afterEach(() => rmSync(cache, { recursive: true, force: true }));

    it("prints ONE line naming what to install and exits 2", () => {
        const emptyBin = join(cache, "bin");
        mkdirSync(emptyBin);
        const r = spawnSync(process.execPath, [script], {
            env: { HOME: process.env.HOME, HEARTH_CACHE_DIR: cache, PATH: emptyBin },
            encoding: "utf8",
        });
        expect(r.status).toBe(2);
        const lines = r.stderr.trim().split("\n");
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(/^hearth: cannot build the engine: cmake, ninja\/make, .*not found — install them \(Debian\/Ubuntu: apt-get install cmake ninja-build g\+\+/);
        expect(r.stdout).toBe("");
    });

    it("reports a cached build without needing any tool", () => {
        const d = describeEngine({ cacheDir: cache });
        mkdirSync(d.dir, { recursive: true });
        writeFileSync(d.serverPath, "");
        writeFileSync(join(d.dir, MANIFEST_NAME), JSON.stringify({ key: d.key, version: "version: fake", buildMode: "source", files: ["llama-server"] }));
        const r = spawnSync(process.execPath, [script], {
            env: { HOME: process.env.HOME, HEARTH_CACHE_DIR: cache, PATH: "" },
            encoding: "utf8",
        });
        expect(r.status).toBe(0);
        expect(r.stdout).toMatch(/^hearth: engine cached .*llama-server\n$/);
        // --mode forcing a different build mode than the cached one means "not satisfied" -> needs tools
        const r2 = spawnSync(process.execPath, [script, "--mode", "prebuilt"], {
            env: { HOME: process.env.HOME, HEARTH_CACHE_DIR: cache, PATH: "" },
            encoding: "utf8",
        });
        expect(r2.status).toBe(2);
        // so does --cpu-variants all on a build that is not all-patched (a VSIX must not ship it silently)
        const r3 = spawnSync(process.execPath, [script, "--cpu-variants", "all"], {
            env: { HOME: process.env.HOME, HEARTH_CACHE_DIR: cache, PATH: "" },
            encoding: "utf8",
        });
        expect(r3.status).toBe(2);
    });

    it("rejects bad arguments", () => {
        const r = spawnSync(process.execPath, [script, "--gpu", "metal"], { encoding: "utf8" });
        expect(r.status).toBe(64);
        expect(r.stderr).toContain("--gpu must be one of cpu|cuda|vulkan");
        const r2 = spawnSync(process.execPath, [script, "--cpu-variants", "some"], { encoding: "utf8" });
        expect(r2.status).toBe(64);
        expect(r2.stderr).toContain("--cpu-variants must be one of native|all");
    });
});
