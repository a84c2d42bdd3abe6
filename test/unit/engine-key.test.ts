import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
    BUILD_RECIPE_VERSION,
    MANIFEST_NAME,
    buildCommandFor,
    computeEngineKey,
    describeEngine,
    readEngineInputs,
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
    });

    it("rejects bad arguments", () => {
        const r = spawnSync(process.execPath, [script, "--gpu", "metal"], { encoding: "utf8" });
        expect(r.status).toBe(64);
        expect(r.stderr).toContain("--gpu must be one of cpu|cuda|vulkan");
    });
});
