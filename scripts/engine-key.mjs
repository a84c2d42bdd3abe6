// Shared, dependency-free computation of the llama-server engine cache key and paths.
//
// Imported by BOTH scripts/build-engine.mjs (plain Node, runs during `npm ci`) and
// server/engine/install.ts (the host's locator), so the two can never disagree about
// where a build lives. Types: engine-key.d.mts next to this file.
//
// Keep this module free of npm dependencies and side effects at import time.

import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Bump whenever the build recipe in scripts/build-engine.mjs changes in a way that changes
 * the output (CMake template, compile definitions, copied files, cmake options...).
 * It is part of the options hash, so a bump invalidates every cached engine.
 */
export const BUILD_RECIPE_VERSION = 3;

/**
 * Hearth's patches to the pinned llama.cpp source, in scripts/engine-patches/, applied in this order, each with
 * the digest of its contents (patchDigest). Both are part of the options hash, so a patch whose contents change
 * gets a new engine key and cached engines are rebuilt. scripts/build-engine.mjs refuses to run while a file no
 * longer matches its recorded digest (and says what to record), so an edited patch cannot leave a stale engine.
 * @type {readonly { readonly file: string, readonly sha256: string }[]}
 */
export const ENGINE_PATCHES = Object.freeze([
    Object.freeze({ file: "0001-restored-swa-slot-reuse.diff", sha256: "c09c89e230544fa1" }),
    Object.freeze({ file: "0002-persist-slot-checkpoints.diff", sha256: "ca2a349f002c288e" }),
    Object.freeze({ file: "0003-draft-backoff.diff", sha256: "534d5ef8f3bff85f" }),
    Object.freeze({ file: "0004-fa-decode-gqa.diff", sha256: "23a2fe703181a117" }),
    Object.freeze({ file: "0005-sampler-prompt-tail.diff", sha256: "5a37f15e3d43f938" }),
    Object.freeze({ file: "0006-packed-prompt-ids.diff", sha256: "a82c6f0bb139a77e" }),
    Object.freeze({ file: "0007-fa-decode-gqa-fast.diff", sha256: "e229e13f6050e54c" }),
    Object.freeze({ file: "0008-fa-decode-gqa-v.diff", sha256: "caa622fe501f99c0" }),
    Object.freeze({ file: "0009-final-prompt-text-on-demand.diff", sha256: "c1c0c5b7ea335453" }),
    Object.freeze({ file: "0010-prompt-slot-prefix.diff", sha256: "5022cf43e8507275" }),
    Object.freeze({ file: "0011-draft-cost.diff", sha256: "f5e2786316d77309" }),
    Object.freeze({ file: "0012-request-size.diff", sha256: "d81b19272f615162" }),
    Object.freeze({ file: "0013-media-prompt-progress.diff", sha256: "a7d9bdebf0f57fd4" }),
]);

/** Where the patch files live (beside this module; the npm package ships them there too). */
export const ENGINE_PATCHES_DIR = join(dirname(fileURLToPath(import.meta.url)), "engine-patches");

/**
 * The digest recorded for a patch: sha256 of its text with CRLF line ends read as LF (a Windows checkout may
 * convert them), first 16 hex digits.
 * @param {string} text
 */
export function patchDigest(text) {
    return createHash("sha256").update(text.replace(/\r\n/g, "\n")).digest("hex").slice(0, 16);
}

/**
 * One line per patch that is missing or whose contents no longer match the digest in ENGINE_PATCHES, saying
 * what to do; [] when all match. Never throws.
 * @param {string} [dir]
 * @returns {string[]}
 */
export function enginePatchMismatches(dir = ENGINE_PATCHES_DIR) {
    /** @type {string[]} */
    const out = [];
    for (const p of ENGINE_PATCHES) {
        let text;
        try {
            text = readFileSync(join(dir, p.file), "utf8");
        } catch (err) {
            out.push(`${join(dir, p.file)} cannot be read (${/** @type {any} */ (err)?.code ?? String(err)})`);
            continue;
        }
        const actual = patchDigest(text);
        if (actual !== p.sha256)
            out.push(`${p.file} changed since its digest was recorded: set its sha256 in ENGINE_PATCHES ` +
                `(scripts/engine-key.mjs) from "${p.sha256}" to "${actual}" (a new engine key: the engine is rebuilt)`);
    }
    return out;
}

/** @type {readonly ["cpu", "cuda", "vulkan"]} */
export const GPU_VARIANTS = Object.freeze(/** @type {const} */ (["cpu", "cuda", "vulkan"]));

export const MANIFEST_NAME = "engine.json";

/**
 * Compile definitions the prebuilt node-llama-cpp libllama-common / libllama / libggml were
 * built with and that change the ABI seen by code compiled against their headers.
 * LLAMA_SUBPROCESS changes the layout of common_params-related structs (common/subproc.h).
 */
export const PREBUILT_ABI_DEFINES = Object.freeze(["LLAMA_SHARED", "GGML_SHARED", "LLAMA_SUBPROCESS"]);

/** cmake options of the full-source fallback (nothing here may reach the network). */
export const SOURCE_CMAKE_OPTIONS = Object.freeze([
    "-DCMAKE_BUILD_TYPE=Release",
    "-DLLAMA_OPENSSL=OFF",
    "-DLLAMA_USE_PREBUILT_UI=OFF",
    "-DLLAMA_BUILD_UI=OFF",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_BUILD_APP=OFF",
    "-DLLAMA_BUILD_SERVER=ON",
    "-DLLAMA_BUILD_TOOLS=ON",
    "-DLLAMA_SUBPROCESS=ON",
    "-DBUILD_SHARED_LIBS=ON",
    "-DCMAKE_PLATFORM_NO_VERSIONED_SONAME=ON",
    "-DCMAKE_BUILD_WITH_INSTALL_RPATH=ON",
    "-DCMAKE_INSTALL_RPATH=$ORIGIN",
]);

/** Extra cmake options per GPU variant for the source fallback. */
export const SOURCE_GPU_CMAKE_OPTIONS = Object.freeze({
    cpu: Object.freeze([]),
    cuda: Object.freeze(["-DGGML_CUDA=ON"]),
    vulkan: Object.freeze(["-DGGML_VULKAN=ON"]),
});

/**
 * cmake options of the ggml CPU backends compiled from the patched source in prebuilt-libs mode: those of
 * node-llama-cpp's prebuilt libggml-cpu-<variant>.so (one dynamically loaded library per CPU variant, no
 * OpenMP, unversioned SONAME), so a patched variant can replace the prebuilt file of the same name.
 * Also added to a source build with `--cpu-variants all` (a source build is otherwise -march=native).
 */
export const CPU_BACKEND_CMAKE_OPTIONS = Object.freeze([
    "-DCMAKE_BUILD_TYPE=Release",
    "-DGGML_NATIVE=OFF",
    "-DGGML_BACKEND_DL=ON",
    "-DGGML_CPU_ALL_VARIANTS=ON",
    "-DGGML_OPENMP=OFF",
    "-DBUILD_SHARED_LIBS=ON",
    "-DCMAKE_PLATFORM_NO_VERSIONED_SONAME=ON",
    "-DCMAKE_BUILD_WITH_INSTALL_RPATH=ON",
    "-DCMAKE_INSTALL_RPATH=$ORIGIN",
    "-DLLAMA_OPENSSL=OFF",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_BUILD_TOOLS=OFF",
    "-DLLAMA_BUILD_SERVER=OFF",
    "-DLLAMA_BUILD_APP=OFF",
    "-DLLAMA_BUILD_UI=OFF",
    "-DLLAMA_USE_PREBUILT_UI=OFF",
]);

/**
 * Which CPU backend variants an engine build compiles from the patched source (`--cpu-variants`):
 * "native" = the variant(s) ggml would load on this machine (fast; `npm install`), "all" = every variant
 * (for a VSIX that runs on other people's CPUs). The others keep node-llama-cpp's prebuilt (unpatched) file.
 */
export const CPU_VARIANT_CHOICES = Object.freeze(/** @type {const} */ (["native", "all"]));

/** Everything (besides the key's readable parts) that changes the build output. */
export function buildOptionsDescriptor() {
    return {
        recipe: BUILD_RECIPE_VERSION,
        patches: ENGINE_PATCHES.map((p) => `${p.file}@${p.sha256}`),
        prebuiltAbiDefines: [...PREBUILT_ABI_DEFINES],
        sourceCmakeOptions: [...SOURCE_CMAKE_OPTIONS],
        sourceGpuCmakeOptions: SOURCE_GPU_CMAKE_OPTIONS,
        cpuBackendCmakeOptions: [...CPU_BACKEND_CMAKE_OPTIONS],
        webUi: false,
        ssl: false,
    };
}

/** Short, stable hash of buildOptionsDescriptor(). */
export function buildOptionsHash() {
    return createHash("sha256").update(JSON.stringify(buildOptionsDescriptor())).digest("hex").slice(0, 10);
}

/** @param {string} gpu */
export function assertGpuVariant(gpu) {
    if (!GPU_VARIANTS.includes(/** @type {any} */ (gpu)))
        throw new Error(`unknown gpu variant "${gpu}" (expected one of: ${GPU_VARIANTS.join(", ")})`);
    return /** @type {"cpu"|"cuda"|"vulkan"} */ (gpu);
}

/** @param {string} s */
function keyPart(s) {
    return String(s).replace(/[^A-Za-z0-9._]+/g, "_");
}

/**
 * The cache key: readable parts + options hash. Pure function of its inputs.
 * @param {{ nodeLlamaCppVersion: string, llamaCppTag: string, platform: string, arch: string, gpu: string }} p
 */
export function computeEngineKey(p) {
    const gpu = assertGpuVariant(p.gpu);
    for (const k of /** @type {const} */ (["nodeLlamaCppVersion", "llamaCppTag", "platform", "arch"])) {
        if (typeof p[k] !== "string" || p[k] === "") throw new Error(`computeEngineKey: missing ${k}`);
    }
    return [
        `nlc${keyPart(p.nodeLlamaCppVersion)}`,
        keyPart(p.llamaCppTag),
        `${keyPart(p.platform)}-${keyPart(p.arch)}`,
        gpu,
        buildOptionsHash(),
    ].join("-");
}

/**
 * `${HEARTH_CACHE_DIR:-$HOME/.cache/hearth}`
 * @param {Record<string, string | undefined>} [env]
 */
export function resolveCacheRoot(env = process.env) {
    const fromEnv = env.HEARTH_CACHE_DIR;
    if (fromEnv && fromEnv.trim() !== "") return resolve(fromEnv);
    return join(env.HOME || homedir(), ".cache", "hearth");
}

/** @param {string} cacheRoot */
export function engineRoot(cacheRoot) {
    return join(cacheRoot, "engine");
}

/** @param {string} platform */
export function serverBinaryName(platform = process.platform) {
    return platform === "win32" ? "llama-server.exe" : "llama-server";
}

/**
 * Finds the installed node-llama-cpp package directory by walking up from `from` dirs
 * (default: this module's directory, then the current working directory).
 * @param {string[]} [from]
 */
export function findNodeLlamaCppDir(from) {
    const starts = from ?? [dirname(fileURLToPath(import.meta.url)), process.cwd()];
    for (const start of starts) {
        let dir = resolve(start);
        for (;;) {
            const candidate = join(dir, "node_modules", "node-llama-cpp");
            if (existsSync(join(candidate, "package.json"))) return candidate;
            const parent = dirname(dir);
            if (parent === dir) break;
            dir = parent;
        }
    }
    return null;
}

/**
 * Reads the version inputs of the key from the installed node-llama-cpp.
 * @param {{ nodeLlamaCppDir?: string }} [opts]
 */
export function readEngineInputs(opts = {}) {
    const dir = opts.nodeLlamaCppDir ?? findNodeLlamaCppDir();
    if (!dir)
        throw new Error("node-llama-cpp is not installed (node_modules/node-llama-cpp not found); run `npm ci` first");
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    const infoPath = join(dir, "llama", "llama.cpp.info.json");
    if (!existsSync(infoPath)) throw new Error(`${infoPath} is missing; the node-llama-cpp install looks incomplete`);
    const info = JSON.parse(readFileSync(infoPath, "utf8"));
    if (typeof pkg.version !== "string" || typeof info.tag !== "string")
        throw new Error(`cannot read node-llama-cpp version / llama.cpp tag from ${dir}`);
    return { nodeLlamaCppDir: dir, nodeLlamaCppVersion: pkg.version, llamaCppTag: info.tag };
}

/**
 * Everything needed to find (or place) a build.
 * @param {{ gpu?: string, cacheDir?: string, env?: Record<string, string|undefined>,
 *           platform?: string, arch?: string,
 *           inputs?: { nodeLlamaCppVersion: string, llamaCppTag: string, nodeLlamaCppDir?: string } }} [opts]
 */
export function describeEngine(opts = {}) {
    const gpu = assertGpuVariant(opts.gpu ?? "cpu");
    const platform = opts.platform ?? process.platform;
    const arch = opts.arch ?? process.arch;
    const inputs = opts.inputs ?? readEngineInputs();
    const cacheRoot = opts.cacheDir ? resolve(opts.cacheDir) : resolveCacheRoot(opts.env);
    const key = computeEngineKey({
        nodeLlamaCppVersion: inputs.nodeLlamaCppVersion,
        llamaCppTag: inputs.llamaCppTag,
        platform,
        arch,
        gpu,
    });
    const dir = join(engineRoot(cacheRoot), key);
    return {
        key,
        gpu,
        platform,
        arch,
        nodeLlamaCppVersion: inputs.nodeLlamaCppVersion,
        llamaCppTag: inputs.llamaCppTag,
        nodeLlamaCppDir: inputs.nodeLlamaCppDir ?? null,
        cacheRoot,
        dir,
        manifestPath: join(dir, MANIFEST_NAME),
        serverPath: join(dir, serverBinaryName(platform)),
    };
}

/** The exact command that builds the engine for `gpu`. */
export function buildCommandFor(gpu = "cpu") {
    return gpu === "cpu" ? "npm run build:engine" : `npm run build:engine -- --gpu ${gpu}`;
}

/**
 * Reads and validates the manifest of a finished build. Never throws.
 * A build counts as complete only if engine.json (written last) parses, carries the
 * expected key, and every file it lists (including the server binary) still exists.
 * @param {{ key: string, dir: string, manifestPath: string, serverPath: string }} desc
 * @returns {{ ok: true, manifest: any } | { ok: false, reason: string }}
 */
export function readEngineManifest(desc) {
    let manifest;
    try {
        manifest = JSON.parse(readFileSync(desc.manifestPath, "utf8"));
    } catch (err) {
        const code = /** @type {any} */ (err)?.code;
        return { ok: false, reason: code === "ENOENT" ? `no ${MANIFEST_NAME} in ${desc.dir}` : `unreadable ${desc.manifestPath}: ${String(err)}` };
    }
    if (!manifest || typeof manifest !== "object") return { ok: false, reason: `invalid ${desc.manifestPath}` };
    if (manifest.key !== desc.key) return { ok: false, reason: `${desc.manifestPath} has key ${manifest.key}, expected ${desc.key}` };
    if (!existsSync(desc.serverPath)) return { ok: false, reason: `${desc.serverPath} is missing` };
    if (Array.isArray(manifest.files)) {
        for (const f of manifest.files) {
            if (!existsSync(join(desc.dir, f))) return { ok: false, reason: `${join(desc.dir, f)} is missing` };
        }
    }
    return { ok: true, manifest };
}

// ---------------------------------------------------------------------------------------------
// CPU backend variants (ggml's dynamically loaded libggml-cpu-<variant>.so)

/**
 * The CPU backend variants among a directory's file names, sorted: libggml-cpu-<variant>.so -> "<variant>";
 * a single non-variant libggml-cpu.so -> "".
 * @param {readonly string[]} files
 * @returns {string[]}
 */
export function cpuBackendVariants(files) {
    const out = [];
    for (const f of files) {
        const m = /^libggml-cpu(?:-([A-Za-z0-9_.]+))?\.so$/.exec(f);
        if (m) out.push(m[1] ?? "");
    }
    return out.sort();
}

/** @param {string} variant */
export function cpuBackendFile(variant) {
    return variant === "" ? "libggml-cpu.so" : `libggml-cpu-${variant}.so`;
}

/** The cmake target that builds cpuBackendFile(variant). @param {string} variant */
export function cpuBackendTarget(variant) {
    return variant === "" ? "ggml-cpu" : `ggml-cpu-${variant}`;
}

/**
 * Parses the CPU variant probe's output (one "<variant> <score>" line per library, "-" for a plain
 * libggml-cpu; the score is the library's ggml_backend_score(), 0 = this CPU cannot run it) and returns the variant(s) ggml's loader would pick: the highest score above 0
 * (all of them on a tie: the loader keeps the first it finds, in directory order). [] if none can run.
 * @param {string} text
 * @returns {string[]}
 */
export function bestCpuVariants(text) {
    let best = 0;
    /** @type {string[]} */
    let picked = [];
    for (const line of text.split(/\r?\n/)) {
        const m = /^(\S+)\s+(-?\d+)$/.exec(line.trim());
        if (!m) continue;
        const variant = m[1] === "-" ? "" : m[1];
        const score = Number(m[2]);
        if (score > best) {
            best = score;
            picked = [variant];
        } else if (score === best && score > 0) {
            picked.push(variant);
        }
    }
    return picked.sort();
}

/**
 * Whether a finished build's manifest satisfies a `--cpu-variants` request: "all" needs every CPU backend
 * compiled from the patched source (and none built for this machine only); "native" is met by any build.
 * @param {any} manifest
 * @param {string} want
 */
export function cpuBackendsSatisfy(manifest, want) {
    if (want !== "all") return true;
    const cb = manifest?.cpuBackends;
    return !!cb && Array.isArray(cb.patched) && cb.patched.length > 0 && Array.isArray(cb.unpatched) &&
        cb.unpatched.length === 0 && cb.nativeOnly !== true;
}
