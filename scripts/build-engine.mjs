#!/usr/bin/env node
// Offline build of llama.cpp's llama-server for Hearth ("the engine").
//
// Plain Node ESM, node builtins only: it runs during `npm ci`, before anything is compiled.
//
// Source: the exact llama.cpp that node-llama-cpp was built from, shipped as a git bundle in
// node_modules/node-llama-cpp/llama/gitRelease.bundle (cloned offline).
//
// Modes:
//  - "prebuilt-libs" (default where available): compile only libmtmd, the server sources,
//    cpp-httplib (no OpenSSL) and an empty web-UI asset table, and link them against the
//    prebuilt libllama / libggml / libggml-base / libllama-common from
//    node_modules/@node-llama-cpp/<platform>. ~2 min on 2 cores. Then, because Hearth patches
//    ggml's CPU backend (scripts/engine-patches/0004-*), compile libggml-cpu-<variant>.so from the
//    patched source with node-llama-cpp's options and replace the prebuilt file of the same name:
//    `--cpu-variants native` (default) only the variant(s) ggml loads on this machine (+~1.5 min),
//    `--cpu-variants all` every variant (for a VSIX; npm run package). engine.json records which.
//  - "source": full cmake build of llama.cpp (targets llama-server + mtmd). ~6 min on 2 cores.
// Nothing reaches the network: no web UI download/build, no SSL, no -hf.
//
// Output: ${HEARTH_CACHE_DIR:-$HOME/.cache/hearth}/engine/<key>/ with llama-server, every
// shared library it needs (copied, not symlinked; RPATH=$ORIGIN) and the ggml backends
// (libggml-cpu-*.so, libggml-cuda.so, libggml-vulkan.so), which ggml looks up beside the
// executable. engine.json is written last; the directory appears atomically (rename).
//
// The key/path computation lives in scripts/engine-key.mjs, shared with server/engine/install.ts.
// When you change the recipe below in a way that changes the output, bump
// BUILD_RECIPE_VERSION in engine-key.mjs.

import { spawn, spawnSync } from "node:child_process";
import {
    accessSync, appendFileSync, closeSync, constants as fsConstants, copyFileSync, existsSync, mkdirSync, mkdtempSync,
    openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync,
} from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { basename, delimiter, dirname, join } from "node:path";
import {
    CPU_BACKEND_CMAKE_OPTIONS, CPU_VARIANT_CHOICES, ENGINE_PATCHES, ENGINE_PATCHES_DIR, GPU_VARIANTS, MANIFEST_NAME, PREBUILT_ABI_DEFINES,
    SOURCE_CMAKE_OPTIONS, SOURCE_GPU_CMAKE_OPTIONS, bestCpuVariants, buildCommandFor, buildOptionsHash,
    cpuBackendFile, cpuBackendTarget, cpuBackendVariants, cpuBackendsSatisfy, describeEngine, engineRoot,
    enginePatchMismatches, readEngineInputs, readEngineManifest, serverBinaryName,
} from "./engine-key.mjs";

const P = "hearth:";
const EXIT_BUILD_FAILED = 1;
const EXIT_MISSING_TOOLS = 2;
const EXIT_USAGE = 64;

const HELP = `Usage: node scripts/build-engine.mjs [options]   (npm run build:engine -- [options])

Builds llama.cpp's llama-server for Hearth, offline, from the llama.cpp source bundled with
node-llama-cpp, into \${HEARTH_CACHE_DIR:-$HOME/.cache/hearth}/engine/<key>/.
Does nothing if that build already exists.

Options:
  --gpu cpu|cuda|vulkan   GPU variant (default: cpu)
  --mode prebuilt|source  prebuilt: link against node-llama-cpp's prebuilt libs (fast, default
                          when available); source: full llama.cpp build
  --cpu-variants native|all
                          CPU backends compiled from the patched ggml source (prebuilt mode):
                          native (default) = the one(s) this machine loads, the other
                          variants stay node-llama-cpp's prebuilt (unpatched) files;
                          all = every variant (slow; for a VSIX, see npm run package)
  --force                 rebuild even if a complete build is cached
  --print-path            print the llama-server path of the cached build (exit 1 if not built)
  -h, --help              show this help

Environment:
  HEARTH_CACHE_DIR        cache root (default: $HOME/.cache/hearth)
`;

class UsageError extends Error {}

function parseArgs(argv) {
    const opts = { gpu: "cpu", mode: null, cpuVariants: "native", force: false, printPath: false, help: false };
    for (let i = 0; i < argv.length; i++) {
        let arg = argv[i];
        let value = null;
        const eq = arg.indexOf("=");
        if (arg.startsWith("--") && eq > 0) {
            value = arg.slice(eq + 1);
            arg = arg.slice(0, eq);
        }
        const takeValue = () => {
            if (value != null) return value;
            if (i + 1 >= argv.length) throw new UsageError(`${arg} needs a value`);
            return argv[++i];
        };
        switch (arg) {
            case "--gpu": {
                const v = takeValue();
                if (!GPU_VARIANTS.includes(v)) throw new UsageError(`--gpu must be one of ${GPU_VARIANTS.join("|")}, got "${v}"`);
                opts.gpu = v;
                break;
            }
            case "--mode": {
                const v = takeValue();
                if (v !== "prebuilt" && v !== "source") throw new UsageError(`--mode must be prebuilt|source, got "${v}"`);
                opts.mode = v;
                break;
            }
            case "--cpu-variants": {
                const v = takeValue();
                if (!CPU_VARIANT_CHOICES.includes(v))
                    throw new UsageError(`--cpu-variants must be one of ${CPU_VARIANT_CHOICES.join("|")}, got "${v}"`);
                opts.cpuVariants = v;
                break;
            }
            case "--force": opts.force = true; break;
            case "--print-path": opts.printPath = true; break;
            case "-h": case "--help": opts.help = true; break;
            default: throw new UsageError(`unknown argument "${argv[i]}" (see --help)`);
        }
    }
    return opts;
}

// ---------------------------------------------------------------------------------------------
// small utilities

function which(names) {
    const dirs = (process.env.PATH || "").split(delimiter).filter(Boolean);
    const exts = process.platform === "win32" ? (process.env.PATHEXT || ".EXE;.CMD;.BAT").split(";") : [""];
    for (const name of names) {
        if (name.includes("/") || name.includes("\\")) {
            if (isExecutable(name)) return name;
            continue;
        }
        for (const d of dirs) {
            for (const ext of exts) {
                const p = join(d, name + ext);
                if (isExecutable(p)) return p;
            }
        }
    }
    return null;
}

function isExecutable(p) {
    try {
        if (!statSync(p).isFile()) return false;
        accessSync(p, fsConstants.X_OK);
        return true;
    } catch {
        return false;
    }
}

function pidAlive(pid) {
    if (!Number.isInteger(pid) || pid <= 0) return false;
    try {
        process.kill(pid, 0);
        return true;
    } catch (err) {
        return err.code === "EPERM";
    }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function writeJsonAtomic(path, value) {
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(value, null, 2) + "\n");
    renameSync(tmp, path);
}

function tailFile(path, lines = 40) {
    try {
        const text = readFileSync(path, "utf8");
        return text.split("\n").filter((l, i, a) => !(i === a.length - 1 && l === "")).slice(-lines).join("\n");
    } catch {
        return "(log unavailable)";
    }
}

// ---------------------------------------------------------------------------------------------
// tools

function detectTools() {
    const tools = {
        cmake: which(["cmake"]),
        ninja: which(["ninja", "ninja-build"]),
        make: which(["make", "gmake"]),
        git: which(["git"]),
        cxx: null,
        cc: null,
    };
    const envTool = (v) => (v ? which([v.trim().split(/\s+/)[0]]) : null);
    if (process.platform === "win32") {
        tools.cxx = envTool(process.env.CXX) || which(["cl", "clang++", "g++"]) || "msvc?";
        tools.cc = envTool(process.env.CC) || which(["cl", "clang", "gcc"]) || "msvc?";
        tools.make = tools.make || "msbuild?";
    } else {
        tools.cxx = envTool(process.env.CXX) || which(["c++", "g++", "clang++"]);
        tools.cc = envTool(process.env.CC) || which(["cc", "gcc", "clang"]);
    }
    const missing = [];
    if (!tools.cmake) missing.push("cmake");
    if (!tools.ninja && !tools.make) missing.push("ninja/make");
    if (!tools.cxx) missing.push("a C++ compiler (c++/g++/clang++)");
    if (!tools.cc) missing.push("a C compiler (cc/gcc/clang)");
    if (!tools.git) missing.push("git");
    return { tools, missing };
}

function missingToolsLine(missing) {
    const what = missing.length === 1 ? `${missing[0]} not found — install it` : `${missing.join(", ")} not found — install them`;
    return `${P} cannot build the engine: ${what} (Debian/Ubuntu: apt-get install cmake ninja-build g++ git; ` +
        `Fedora: dnf install cmake ninja-build gcc-c++ git; macOS: xcode-select --install && brew install cmake ninja)`;
}

// ---------------------------------------------------------------------------------------------
// prebuilt node-llama-cpp libraries

function nlcPlatformName(platform) {
    return platform === "darwin" ? "mac" : platform === "win32" ? "win" : platform;
}

/**
 * Locates node_modules/@node-llama-cpp/<platform>-<arch>[-gpu]/bins/<same>/ and checks that it
 * was built from the same llama.cpp release. Only Linux is supported for prebuilt linking
 * (macOS/Windows prebuilt packages need install-name / import-lib handling not done here).
 */
function findPrebuiltLibs(desc) {
    const name = `${nlcPlatformName(desc.platform)}-${desc.arch}${desc.gpu === "cpu" ? "" : `-${desc.gpu}`}`;
    if (desc.platform !== "linux")
        return { ok: false, reason: `prebuilt-lib linking is only implemented for Linux (this is ${desc.platform})` };
    const candidates = [
        join(dirname(desc.nodeLlamaCppDir), "@node-llama-cpp", name),
        join(desc.nodeLlamaCppDir, "node_modules", "@node-llama-cpp", name),
    ];
    const pkgDir = candidates.find((d) => existsSync(join(d, "package.json")));
    if (!pkgDir) return { ok: false, reason: `package @node-llama-cpp/${name} is not installed` };
    const binDir = join(pkgDir, "bins", name);
    if (!existsSync(binDir)) return { ok: false, reason: `${binDir} does not exist` };
    const files = readdirSync(binDir);
    const metaPath = join(binDir, "_nlcBuildMetadata.json");
    try {
        const meta = JSON.parse(readFileSync(metaPath, "utf8"));
        const release = meta?.buildOptions?.llamaCpp?.release;
        if (release !== desc.llamaCppTag)
            return { ok: false, reason: `${metaPath} says llama.cpp ${release}, expected ${desc.llamaCppTag}` };
    } catch (err) {
        return { ok: false, reason: `cannot read ${metaPath}: ${err.message}` };
    }
    const pick = (re, what) => {
        const m = files.filter((f) => re.test(f));
        if (m.length !== 1) throw new Error(`expected exactly one ${what} in ${binDir}, found ${m.length ? m.join(", ") : "none"}`);
        return m[0];
    };
    let link;
    try {
        // file names carry the variant and version (libllama.v0.5.0.so, libllama.cuda.v0.5.0.so);
        // each file's SONAME equals its file name, so linking by full path records the right NEEDED.
        link = {
            ggmlBase: pick(/^libggml-base\.so$/, "libggml-base"),
            ggml: pick(/^libggml(\.[A-Za-z0-9_.-]+)?\.so$/, "libggml"),
            llama: pick(/^libllama(\.[A-Za-z0-9_.-]+)?\.so$/, "libllama"),
            llamaCommon: pick(/^libllama-common\.so$/, "libllama-common"),
        };
    } catch (err) {
        return { ok: false, reason: err.message };
    }
    // everything loadable goes beside the binary: the 4 linked libs + dynamically loaded backends
    const copy = files.filter((f) => /\.so(\.\d+)*$/.test(f) && statSync(join(binDir, f)).isFile());
    if (desc.gpu !== "cpu" && !copy.includes(`libggml-${desc.gpu}.so`))
        return { ok: false, reason: `libggml-${desc.gpu}.so is missing from ${binDir}` };
    return { ok: true, pkgDir, binDir, link, copy, name };
}

// ---------------------------------------------------------------------------------------------
// reading upstream CMakeLists to get source lists (so llama.cpp upgrades need no edits here)

function parseTargetSources(cmakeText) {
    /** @type {Record<string, string[]>} */
    const out = {};
    const text = cmakeText.replace(/#[^\n]*/g, "");
    let current = null;
    const re = /set\s*\(\s*TARGET\s+([\w.-]+)\s*\)|add_(?:library|executable)\s*\(\s*(\$\{TARGET\}|[\w.-]+)([^)]*)\)/g;
    let m;
    while ((m = re.exec(text))) {
        if (m[1]) {
            current = m[1];
            continue;
        }
        const name = m[2] === "${TARGET}" ? current : m[2];
        if (!name) continue;
        const srcs = m[3].split(/\s+/).filter((t) => /\.(c|cc|cpp)$/.test(t));
        out[name] = (out[name] ?? []).concat(srcs);
    }
    return out;
}

function parseHttplibDefines(cmakeText) {
    const m = /target_compile_definitions\s*\(\s*\$\{TARGET\}\s+PRIVATE([^)]*)\)/.exec(cmakeText);
    if (!m) return null;
    return m[1].replace(/#[^\n]*/g, "").split(/\s+/).filter((t) => /^[A-Z_][A-Z0-9_]*(=\S+)?$/.test(t));
}

function prebuiltCmakeLists(src, outDir, lib) {
    const rd = (p) => readFileSync(join(src, p), "utf8");
    const mtmdSrcs = parseTargetSources(rd("tools/mtmd/CMakeLists.txt")).mtmd ?? [];
    const server = parseTargetSources(rd("tools/server/CMakeLists.txt"));
    const ctxSrcs = server["server-context"] ?? [];
    const implSrcs = server["llama-server-impl"] ?? [];
    const mainSrcs = server["llama-server"] ?? [];
    if (!mtmdSrcs.includes("mtmd.cpp") || !ctxSrcs.includes("server-context.cpp") || !implSrcs.includes("server.cpp") || !mainSrcs.length)
        throw new Error("could not read the mtmd/server source lists from llama.cpp's CMakeLists.txt (layout changed?)");
    const httplibDefines = parseHttplibDefines(rd("vendor/cpp-httplib/CMakeLists.txt")) ?? [
        "CPPHTTPLIB_FORM_URL_ENCODED_PAYLOAD_MAX_LENGTH=1048576", "CPPHTTPLIB_LISTEN_BACKLOG=512",
        "CPPHTTPLIB_REQUEST_URI_MAX_LENGTH=32768", "CPPHTTPLIB_TCP_NODELAY=1",
    ];
    for (const f of ["tools/ui/ui.h.in", "tools/ui/ui.cpp.in", "vendor/cpp-httplib/httplib.cpp", "vendor/hash/hash.cpp"])
        if (!existsSync(join(src, f))) throw new Error(`${f} not found in the llama.cpp source`);

    const q = (s) => `"${s.replace(/\\/g, "/")}"`;
    const list = (dir, files) => files.map((f) => `    ${q(`${dir}/${f}`)}`).join("\n");
    const S = src.replace(/\\/g, "/");
    const L = (f) => q(`${outDir}/${f}`);

    return `# Generated by hearth scripts/build-engine.mjs (prebuilt-libs mode). Do not edit.
cmake_minimum_required(VERSION 3.14)
project(hearth_llama_server C CXX)

if (NOT CMAKE_BUILD_TYPE)
    set(CMAKE_BUILD_TYPE Release CACHE STRING "" FORCE)
endif()
set(CMAKE_CXX_STANDARD 17)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)
set(CMAKE_SKIP_BUILD_RPATH OFF)
set(CMAKE_BUILD_WITH_INSTALL_RPATH ON)
set(CMAKE_INSTALL_RPATH "\\$ORIGIN")
set(CMAKE_INSTALL_RPATH_USE_LINK_PATH OFF)
set(CMAKE_RUNTIME_OUTPUT_DIRECTORY ${q(outDir)})
set(CMAKE_LIBRARY_OUTPUT_DIRECTORY ${q(outDir)})
set(CMAKE_ARCHIVE_OUTPUT_DIRECTORY "\${CMAKE_BINARY_DIR}/lib")
find_package(Threads REQUIRED)

set(SRC "${S}")

# --- prebuilt node-llama-cpp libraries (copied beside the binary before configuring) ---
add_library(hearth_llama INTERFACE)
target_include_directories(hearth_llama INTERFACE "\${SRC}/include" "\${SRC}/ggml/include")
target_compile_definitions(hearth_llama INTERFACE LLAMA_SHARED GGML_SHARED)
target_link_libraries(hearth_llama INTERFACE ${L(lib.llama)} ${L(lib.ggml)} ${L(lib.ggmlBase)} Threads::Threads)
target_link_options(hearth_llama INTERFACE "LINKER:-rpath-link,${outDir}")

# llama-common was built with LLAMA_SUBPROCESS (changes struct layouts in common headers)
add_library(hearth_llama_common INTERFACE)
target_include_directories(hearth_llama_common INTERFACE "\${SRC}/common" "\${SRC}/vendor")
target_compile_definitions(hearth_llama_common INTERFACE ${PREBUILT_ABI_DEFINES.join(" ")})
target_link_libraries(hearth_llama_common INTERFACE ${L(lib.llamaCommon)} hearth_llama)

# --- vendor/hash (as upstream vendor/hash/CMakeLists.txt) ---
add_library(vendor-hash STATIC
    "\${SRC}/vendor/hash/hash.cpp"
    "\${SRC}/vendor/hash/xxhash/xxhash.c"
    "\${SRC}/vendor/hash/sha1/sha1.c"
    "\${SRC}/vendor/hash/sha256/sha256.c")
set_source_files_properties("\${SRC}/vendor/hash/sha1/sha1.c" PROPERTIES LANGUAGE CXX)
set_source_files_properties("\${SRC}/vendor/hash/xxhash/xxhash.c" "\${SRC}/vendor/hash/sha1/sha1.c" "\${SRC}/vendor/hash/sha256/sha256.c" PROPERTIES COMPILE_OPTIONS -w)
target_include_directories(vendor-hash PUBLIC "\${SRC}/vendor" PRIVATE "\${SRC}/vendor/hash")

# --- libmtmd (shared, like upstream; must not link llama-common) ---
add_library(mtmd SHARED
${list(`${S}/tools/mtmd`, mtmdSrcs)}
)
target_include_directories(mtmd PUBLIC "\${SRC}/tools/mtmd" PRIVATE "\${SRC}/vendor")
target_compile_definitions(mtmd PRIVATE LLAMA_BUILD MTMD_VIDEO PUBLIC LLAMA_SHARED)
target_compile_options(mtmd PRIVATE -Wno-cast-qual)
target_link_libraries(mtmd PUBLIC hearth_llama PRIVATE vendor-hash Threads::Threads)
target_link_options(mtmd PRIVATE "LINKER:--disable-new-dtags")

# --- cpp-httplib without OpenSSL ---
add_library(cpp-httplib STATIC "\${SRC}/vendor/cpp-httplib/httplib.cpp")
target_compile_options(cpp-httplib PRIVATE -w)
target_compile_definitions(cpp-httplib PRIVATE ${httplibDefines.join(" ")})
target_link_libraries(cpp-httplib PRIVATE Threads::Threads)

# --- web UI: empty asset table (same templates/values as scripts/ui-assets.cmake with no dist) ---
set(N_ASSETS 0)
set(ASSET_ARRAYS "")
set(ASSET_TABLE "")
set(USE_GZIP false)
set(LLAMA_UI_HAS_ASSETS 0)
configure_file("\${SRC}/tools/ui/ui.h.in"   "\${CMAKE_BINARY_DIR}/ui/ui.h"   @ONLY)
configure_file("\${SRC}/tools/ui/ui.cpp.in" "\${CMAKE_BINARY_DIR}/ui/ui.cpp" @ONLY)
add_library(llama-ui STATIC "\${CMAKE_BINARY_DIR}/ui/ui.cpp")
target_include_directories(llama-ui PUBLIC "\${CMAKE_BINARY_DIR}/ui")

# --- server (as upstream tools/server/CMakeLists.txt) ---
include_directories("\${SRC}/tools/server" "\${CMAKE_BINARY_DIR}")

add_library(server-context STATIC
${list(`${S}/tools/server`, ctxSrcs)}
)
target_include_directories(server-context PRIVATE "\${SRC}/tools/mtmd" "\${SRC}")
target_link_libraries(server-context PUBLIC hearth_llama_common mtmd Threads::Threads)

add_library(llama-server-impl STATIC
${list(`${S}/tools/server`, implSrcs)}
)
target_include_directories(llama-server-impl PUBLIC "\${SRC}/tools/server" PRIVATE "\${SRC}/tools/mtmd" "\${SRC}")
target_link_libraries(llama-server-impl PUBLIC server-context llama-ui cpp-httplib Threads::Threads)

add_executable(llama-server
${list(`${S}/tools/server`, mainSrcs)}
)
target_link_libraries(llama-server PRIVATE llama-server-impl)
target_link_options(llama-server PRIVATE "LINKER:--disable-new-dtags")
`;
}

// ---------------------------------------------------------------------------------------------
// running commands with output to the log

let currentChild = null;

function runLogged(cmd, args, { cwd, logFd, logPath, env }) {
    writeSync(logFd, `\n$ ${[cmd, ...args].map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(" ")}\n`);
    return new Promise((resolvePromise, reject) => {
        const child = spawn(cmd, args, { cwd, env: env ?? process.env, stdio: ["ignore", logFd, logFd] });
        currentChild = child;
        let lastShown = "";
        const timer = setInterval(() => {
            const p = progressFromLog(logPath);
            if (p && p !== lastShown) {
                lastShown = p;
                console.log(`${P}   ... ${p}`);
            }
        }, 20000);
        child.on("error", (err) => {
            clearInterval(timer);
            currentChild = null;
            reject(new Error(`cannot run ${cmd}: ${err.message}`));
        });
        child.on("exit", (code, signal) => {
            clearInterval(timer);
            currentChild = null;
            if (code === 0) resolvePromise();
            else reject(new Error(`${basename(cmd)} ${args[0] ?? ""} failed (${signal ? `signal ${signal}` : `exit code ${code}`})`));
        });
    });
}

function progressFromLog(logPath) {
    try {
        const text = readFileSync(logPath, "utf8").slice(-8192);
        const ninja = [...text.matchAll(/\[(\d+)\/(\d+)\]/g)].pop();
        if (ninja) return `${ninja[1]}/${ninja[2]} build steps`;
        const make = [...text.matchAll(/\[\s*(\d+)%\]/g)].pop();
        if (make) return `${make[1]}%`;
    } catch {
        // ignore
    }
    return null;
}

// ---------------------------------------------------------------------------------------------
// build steps

async function cloneSource(desc, dest, ctx) {
    const bundle = join(desc.nodeLlamaCppDir, "llama", "gitRelease.bundle");
    if (!existsSync(bundle)) throw new Error(`${bundle} not found (node-llama-cpp install incomplete?)`);
    await runLogged(ctx.tools.git, ["-c", "advice.detachedHead=false", "clone", "--quiet", bundle, dest], ctx);
}

function copyFiles(fromDir, names, toDir) {
    for (const f of names) copyFileSync(join(fromDir, f), join(toDir, f));
}

function generatorArgs(tools) {
    if (tools.ninja) return ["-G", "Ninja", `-DCMAKE_MAKE_PROGRAM=${tools.ninja}`];
    if (process.platform !== "win32" && tools.make) return ["-G", "Unix Makefiles", `-DCMAKE_MAKE_PROGRAM=${tools.make}`];
    return [];
}

async function buildPrebuilt(desc, prebuilt, src, work, stage, ctx) {
    // the prebuilt libs are copied first, then linked in place (so NEEDED/RPATH resolve beside the binary)
    copyFiles(prebuilt.binDir, prebuilt.copy, stage);
    const proj = join(work, "hearth-cmake");
    const build = join(work, "build-prebuilt");
    mkdirSync(proj, { recursive: true });
    const cmakeLists = prebuiltCmakeLists(src, stage, prebuilt.link);
    writeFileSync(join(proj, "CMakeLists.txt"), cmakeLists);
    writeSync(ctx.logFd, `\n# prebuilt libs from ${prebuilt.binDir}\n# generated ${join(proj, "CMakeLists.txt")}:\n${cmakeLists}\n`);
    console.log(`${P} configuring (prebuilt-libs: linking against @node-llama-cpp/${prebuilt.name}) ...`);
    await runLogged(ctx.tools.cmake, ["-S", proj, "-B", build, ...generatorArgs(ctx.tools), "-DCMAKE_BUILD_TYPE=Release"], ctx);
    console.log(`${P} compiling libmtmd + llama-server with -j${ctx.jobs} (log: ${ctx.logPath}) ...`);
    await runLogged(ctx.tools.cmake, ["--build", build, "--config", "Release", "--target", "llama-server", "-j", String(ctx.jobs)], ctx);
    const produced = [serverBinaryName(desc.platform), "libmtmd.so"];
    for (const f of produced) if (!existsSync(join(stage, f))) throw new Error(`build finished but ${f} is missing`);
    const cpuBackends = await buildPatchedCpuBackends(desc, prebuilt, src, work, stage, ctx);
    return { files: [...prebuilt.copy, ...produced], cpuBackends };
}

// The prebuilt libggml-cpu-*.so lack Hearth's ggml patches (0004: flash-attention decode with grouped-query
// attention). Compile the requested variants from the patched source, configured like node-llama-cpp's
// prebuilt build (CPU_BACKEND_CMAKE_OPTIONS), and overwrite the prebuilt files of the same name in the stage;
// they link the prebuilt libggml-base.so beside them (same llama.cpp release, unversioned SONAME).
async function buildPatchedCpuBackends(desc, prebuilt, src, work, stage, ctx) {
    const started = Date.now();
    const variants = cpuBackendVariants(prebuilt.copy);
    if (!variants.length) {
        // not seen in node-llama-cpp's packages (all ship libggml-cpu-<variant>.so): say so, do not fail the build
        console.log(`${P} no libggml-cpu*.so in ${prebuilt.binDir}: the CPU backend keeps node-llama-cpp's prebuilt code (without Hearth's ggml patches)`);
        return { requested: ctx.cpuVariants, patched: [], unpatched: [], nativeOnly: false, seconds: 0 };
    }
    let wanted = variants;
    if (ctx.cpuVariants === "native") {
        wanted = probeCpuVariants(variants, stage, work, ctx);
        if (!wanted.length) {
            console.log(`${P} could not tell which CPU backend this machine loads; compiling all ${variants.length} variants`);
            wanted = variants;
        }
    }
    const allVariants = wanted.length === variants.length;
    const unpatched = variants.filter((v) => !wanted.includes(v));
    const label = wanted.map((v) => v || "ggml-cpu").join(", ");
    // node-llama-cpp's patches that touch ggml (none today) went into its prebuilt libggml-base: mirror them
    await applyNlcPatches(desc, src, ctx, ["ggml/*"]);
    const build = join(work, "build-cpu");
    const options = [...CPU_BACKEND_CMAKE_OPTIONS];
    if (variants.length === 1 && variants[0] === "") options.splice(options.indexOf("-DGGML_CPU_ALL_VARIANTS=ON"), 1, "-DGGML_CPU_ALL_VARIANTS=OFF");
    console.log(`${P} configuring the patched ggml CPU backend (${allVariants ? `all ${wanted.length} variants` : label}) ...`);
    await runLogged(ctx.tools.cmake, ["-S", src, "-B", build, ...generatorArgs(ctx.tools), ...options], ctx);
    console.log(`${P} compiling ${wanted.map(cpuBackendFile).join(", ")} with -j${ctx.jobs} ...`);
    await runLogged(ctx.tools.cmake, ["--build", build, "--config", "Release", "--target", ...wanted.map(cpuBackendTarget), "-j", String(ctx.jobs)], ctx);
    for (const v of wanted) {
        const f = cpuBackendFile(v);
        const built = [join(build, "bin", f), join(build, "lib", f), join(build, "ggml", "src", f)].find((p) => existsSync(p));
        if (!built) throw new Error(`build finished but ${f} was not found under ${build}`);
        copyFileSync(built, join(stage, f));
        writeSync(ctx.logFd, `# ${f}: compiled from the patched source (replaces the prebuilt file)\n`);
    }
    if (unpatched.length)
        writeSync(ctx.logFd, `# prebuilt (unpatched) CPU backends kept: ${unpatched.map(cpuBackendFile).join(", ")}\n`);
    const seconds = Math.round((Date.now() - started) / 100) / 10;
    return { requested: ctx.cpuVariants, patched: wanted, unpatched, nativeOnly: false, seconds };
}

// Asks each prebuilt libggml-cpu-<variant>.so for its ggml_backend_score() on this machine, the way ggml's
// loader picks one (highest score wins), with a tiny C program. [] if the probe cannot be built or run.
function probeCpuVariants(variants, stage, work, ctx) {
    const dir = join(work, "cpu-probe");
    mkdirSync(dir, { recursive: true });
    const source = join(dir, "probe.c");
    const exe = join(dir, "probe");
    writeFileSync(source, `#include <dlfcn.h>
#include <stdio.h>
typedef int (*score_fn)(void);
int main(int argc, char ** argv) {
    for (int i = 1; i + 1 < argc; i += 2) {
        int score = 0;
        void * h = dlopen(argv[i + 1], RTLD_NOW | RTLD_LOCAL);
        if (h) {
            score_fn f = (score_fn) dlsym(h, "ggml_backend_score");
            if (f) score = f();
            dlclose(h);
        } else {
            fprintf(stderr, "%s\\n", dlerror());
        }
        printf("%s %d\\n", argv[i], score);
    }
    return 0;
}
`);
    const cc = spawnSync(ctx.tools.cc, ["-O1", "-o", exe, source, "-ldl"], { encoding: "utf8" });
    writeSync(ctx.logFd, `\n$ ${ctx.tools.cc} -O1 -o ${exe} ${source} -ldl\n${cc.stdout ?? ""}${cc.stderr ?? ""}`);
    if (cc.error || cc.status !== 0) return [];
    const args = variants.flatMap((v) => [v === "" ? "-" : v, join(stage, cpuBackendFile(v))]);
    const run = spawnSync(exe, args, { cwd: stage, encoding: "utf8", timeout: 60000 });
    writeSync(ctx.logFd, `\n# CPU variant scores (ggml_backend_score):\n${run.stdout ?? ""}${run.stderr ?? ""}`);
    if (run.error || run.status !== 0) return [];
    return bestCpuVariants(run.stdout);
}

// Hearth's own fixes to the pinned llama.cpp (scripts/engine-patches/*.diff, each explains itself).
// Unlike node-llama-cpp's patches they must apply: the host relies on them.
async function applyHearthPatches(src, ctx) {
    for (const { file, sha256 } of ENGINE_PATCHES) {
        await runLogged(ctx.tools.git, ["apply", join(ENGINE_PATCHES_DIR, file)], { ...ctx, cwd: src });
        writeSync(ctx.logFd, `# applied hearth patch ${file} (${sha256})\n`);
    }
}

async function applyNlcPatches(desc, src, ctx, include = []) {
    // node-llama-cpp applies these to llama.cpp before building its prebuilt libs; mirror that
    // (`include`: only the parts of each patch under these paths, e.g. ["ggml/*"])
    const dir = join(desc.nodeLlamaCppDir, "llama", "patches");
    if (!existsSync(dir)) return;
    const only = include.map((p) => `--include=${p}`);
    for (const f of readdirSync(dir).filter((n) => n.endsWith(".diff") || n.endsWith(".patch")).sort()) {
        const patch = join(dir, f);
        const check = spawnSync(ctx.tools.git, ["apply", "--check", ...only, patch], { cwd: src, encoding: "utf8" });
        if (check.status === 0) {
            await runLogged(ctx.tools.git, ["apply", ...only, patch], { ...ctx, cwd: src });
            writeSync(ctx.logFd, `# applied node-llama-cpp patch ${f}\n`);
        } else {
            writeSync(ctx.logFd, `# skipped node-llama-cpp patch ${f} (does not apply: ${check.stderr.trim()})\n`);
        }
    }
}

async function buildSource(desc, src, work, stage, ctx) {
    await applyNlcPatches(desc, src, ctx);
    const build = join(work, "build-source");
    const rpathOrigin = desc.platform === "darwin" ? "@loader_path" : "$ORIGIN";
    const options = SOURCE_CMAKE_OPTIONS.map((o) => o.replace("$ORIGIN", rpathOrigin));
    console.log(`${P} configuring (full source build${desc.gpu === "cpu" ? "" : `, ${desc.gpu}`}) ...`);
    // --cpu-variants all: every CPU variant as a loadable backend (portable); otherwise ggml's default, -march=native
    const cpuOptions = ctx.cpuVariants === "all" ? CPU_BACKEND_CMAKE_OPTIONS.filter((o) => /^-DGGML_/.test(o)) : [];
    await runLogged(ctx.tools.cmake, ["-S", src, "-B", build, ...generatorArgs(ctx.tools), ...options, ...cpuOptions, ...SOURCE_GPU_CMAKE_OPTIONS[desc.gpu]], ctx);
    console.log(`${P} compiling llama.cpp + llama-server with -j${ctx.jobs} (log: ${ctx.logPath}) ...`);
    await runLogged(ctx.tools.cmake, ["--build", build, "--config", "Release", "--target", "llama-server", "mtmd", "-j", String(ctx.jobs)], ctx);
    const binDirs = [join(build, "bin"), join(build, "bin", "Release")].filter((d) => existsSync(d));
    const exe = serverBinaryName(desc.platform);
    const binDir = binDirs.find((d) => existsSync(join(d, exe)));
    if (!binDir) throw new Error(`build finished but ${exe} was not found under ${join(build, "bin")}`);
    const libs = readdirSync(binDir).filter((f) => /\.(so|dylib|dll)$/.test(f) && statSync(join(binDir, f)).isFile());
    copyFiles(binDir, [exe, ...libs], stage);
    const patched = cpuBackendVariants(libs);
    const cpuBackends = { requested: ctx.cpuVariants, patched, unpatched: [], nativeOnly: ctx.cpuVariants !== "all" };
    return { files: [exe, ...libs], cpuBackends };
}

function probeVersion(serverPath, cwd) {
    const r = spawnSync(serverPath, ["--version"], { cwd, encoding: "utf8", timeout: 60000 });
    const out = `${r.stdout ?? ""}${r.stderr ?? ""}`;
    if (r.error || r.status !== 0)
        throw new Error(`${serverPath} --version failed (${r.error ? r.error.message : `exit ${r.status}${r.signal ? `, ${r.signal}` : ""}`}):\n${out.trim()}`);
    const lines = out.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
    const version = lines.find((l) => /^version:/.test(l)) ?? lines[0];
    if (!version) throw new Error(`${serverPath} --version printed nothing`);
    return { version, output: out };
}

function describeCpuBackends(cb) {
    const names = (vs) => vs.map((v) => v || "ggml-cpu").join(", ");
    if (!cb.patched.length) return "none";
    let text = cb.unpatched.length ? `${names(cb.patched)} (prebuilt, unpatched: ${names(cb.unpatched)})` : `all (${names(cb.patched)})`;
    if (cb.seconds != null) text += ` in ${cb.seconds}s`;
    if (cb.nativeOnly) text += ", compiled for this machine's CPU only";
    return text;
}

// ---------------------------------------------------------------------------------------------
// cache housekeeping: lock, stale temp dirs

async function acquireLock(root, key) {
    const lockPath = join(root, `.lock-${key}`);
    let announced = false;
    for (;;) {
        try {
            const fd = openSync(lockPath, "wx");
            writeSync(fd, String(process.pid));
            closeSync(fd);
            return lockPath;
        } catch (err) {
            if (err.code !== "EEXIST") throw err;
        }
        let holder = NaN;
        try {
            holder = Number.parseInt(readFileSync(lockPath, "utf8"), 10);
        } catch {
            continue; // vanished between open and read
        }
        let young = false;
        try {
            young = Date.now() - statSync(lockPath).mtimeMs < 30000;
        } catch {
            continue;
        }
        // an empty lock file is one being written right now, not a stale one
        if (Number.isNaN(holder) ? !young : !pidAlive(holder)) {
            try {
                unlinkSync(lockPath);
            } catch {
                // someone else cleaned it
            }
            continue;
        }
        if (!announced) {
            console.log(`${P} another engine build (pid ${holder}) is running; waiting for it ...`);
            announced = true;
        }
        await sleep(2000);
    }
}

function cleanStale(root) {
    for (const name of readdirSync(root)) {
        const m = /^\.(tmp|trash)-.*-(\d+)-[^-]+$/.exec(name);
        if (m && !pidAlive(Number(m[2]))) rmSync(join(root, name), { recursive: true, force: true });
    }
}

// ---------------------------------------------------------------------------------------------

async function main() {
    let opts;
    try {
        opts = parseArgs(process.argv.slice(2));
    } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        console.error(`${P} ${err.message}`);
        return EXIT_USAGE;
    }
    if (opts.help) {
        process.stdout.write(HELP);
        return 0;
    }

    // An edited patch must not be served by (or packaged from) an engine built before the edit.
    const changed = enginePatchMismatches();
    if (changed.length > 0) {
        for (const line of changed) console.error(`${P} ${line}`);
        return EXIT_BUILD_FAILED;
    }

    let inputs;
    try {
        inputs = readEngineInputs();
    } catch (err) {
        console.error(`${P} cannot build the engine: ${err.message}`);
        return EXIT_BUILD_FAILED;
    }
    const desc = describeEngine({ gpu: opts.gpu, inputs });
    const cached = readEngineManifest(desc);

    if (opts.printPath) {
        if (cached.ok) {
            console.log(desc.serverPath);
            return 0;
        }
        console.error(`${P} the engine is not built (${cached.reason}); build it with: ${buildCommandFor(opts.gpu)}`);
        return EXIT_BUILD_FAILED;
    }

    const wantMode = opts.mode === "prebuilt" ? "prebuilt-libs" : opts.mode;
    const cacheSatisfies = (c) =>
        c.ok && (!wantMode || c.manifest.buildMode === wantMode) && cpuBackendsSatisfy(c.manifest, opts.cpuVariants);
    if (!opts.force && cacheSatisfies(cached)) {
        console.log(`${P} engine cached (${cached.manifest.version}, ${cached.manifest.buildMode}): ${desc.serverPath}`);
        return 0;
    }

    const { tools, missing } = detectTools();
    if (missing.length) {
        console.error(missingToolsLine(missing));
        return EXIT_MISSING_TOOLS;
    }

    const root = engineRoot(desc.cacheRoot);
    mkdirSync(root, { recursive: true });
    const lockPath = await acquireLock(root, desc.key);
    let work = null;
    const cleanup = () => {
        if (work) rmSync(work, { recursive: true, force: true });
        rmSync(lockPath, { force: true });
    };
    const onSignal = (sig) => {
        if (currentChild) currentChild.kill("SIGTERM");
        cleanup();
        console.error(`${P} engine build interrupted (${sig}); nothing was cached`);
        process.exit(130);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);

    try {
        if (!opts.force) {
            const again = readEngineManifest(desc); // maybe another process built it while we waited
            if (cacheSatisfies(again)) {
                console.log(`${P} engine cached (${again.manifest.version}, ${again.manifest.buildMode}): ${desc.serverPath}`);
                return 0;
            }
        }
        cleanStale(root);

        const started = Date.now();
        work = mkdtempSync(join(root, `.tmp-${desc.key}-${process.pid}-`));
        const stage = join(work, "stage");
        mkdirSync(stage);
        const logPath = join(stage, "build.log");
        const logFd = openSync(logPath, "a");
        const jobs = typeof availableParallelism === "function" ? availableParallelism() : cpus().length;
        const ctx = { tools, jobs, logFd, logPath, cwd: work, cpuVariants: opts.cpuVariants };
        writeSync(logFd, `# hearth engine build ${new Date().toISOString()}\n# key ${desc.key}\n# tools ${JSON.stringify(tools)}\n`);

        let buildMode = null;
        let files = null;
        let cpuBackends = null;
        let failure = null;
        try {
            const src = join(work, "src");
            console.log(`${P} building llama-server (${desc.key}) in ${work}`);
            await cloneSource(desc, src, ctx);
            await applyHearthPatches(src, ctx);

            const prebuilt = findPrebuiltLibs(desc);
            if (wantMode === "prebuilt-libs" && !prebuilt.ok)
                throw new Error(`--mode prebuilt: ${prebuilt.reason}`);
            if (wantMode !== "source" && prebuilt.ok) {
                try {
                    ({ files, cpuBackends } = await buildPrebuilt(desc, prebuilt, src, work, stage, ctx));
                    buildMode = "prebuilt-libs";
                } catch (err) {
                    if (wantMode === "prebuilt-libs") throw err;
                    console.log(`${P} prebuilt-libs build failed (${err.message}); falling back to a full source build`);
                    writeSync(logFd, `\n# prebuilt-libs build failed: ${err.message}\n# falling back to source build\n`);
                    for (const f of readdirSync(stage)) if (f !== "build.log") rmSync(join(stage, f), { recursive: true, force: true });
                }
            } else if (wantMode !== "source") {
                console.log(`${P} prebuilt libs unusable (${prebuilt.reason}); doing a full source build`);
            }
            if (!buildMode) {
                ({ files, cpuBackends } = await buildSource(desc, src, work, stage, ctx));
                buildMode = "source";
            }

            const stagedServer = join(stage, serverBinaryName(desc.platform));
            const probe = probeVersion(stagedServer, work);
            writeSync(logFd, `\n$ llama-server --version\n${probe.output}\n`);

            const manifest = {
                key: desc.key,
                nodeLlamaCppVersion: desc.nodeLlamaCppVersion,
                llamaCppTag: desc.llamaCppTag,
                platform: desc.platform,
                arch: desc.arch,
                gpu: desc.gpu,
                buildMode,
                serverPath: desc.serverPath,
                version: probe.version,
                buildSeconds: Math.round((Date.now() - started) / 100) / 10,
                builtAt: new Date().toISOString(),
                optionsHash: buildOptionsHash(),
                cpuBackends,
                files: [...new Set(files)].sort(),
            };
            closeSync(logFd);
            rmSync(src, { recursive: true, force: true });
            writeJsonAtomic(join(stage, MANIFEST_NAME), manifest); // last file written into the entry

            // atomic publish: the entry directory appears complete or not at all
            let trash = null;
            if (existsSync(desc.dir)) {
                trash = join(root, `.trash-${desc.key}-${process.pid}-${Date.now()}`);
                renameSync(desc.dir, trash);
            }
            renameSync(stage, desc.dir);
            if (trash) rmSync(trash, { recursive: true, force: true });

            const size = (statSync(desc.serverPath).size / 1048576).toFixed(1);
            console.log(`${P} engine built in ${manifest.buildSeconds}s (${buildMode}, ${size} MiB): ${desc.serverPath}`);
            console.log(`${P} ${probe.version}; build log: ${join(desc.dir, "build.log")}`);
            console.log(`${P} CPU backends from the patched source: ${describeCpuBackends(cpuBackends)}`);
            return 0;
        } catch (err) {
            failure = err;
        }

        // failure: keep the log in the cache root, drop everything else
        try {
            closeSync(logFd);
        } catch {
            // already closed
        }
        const keptLog = join(root, `${desc.key}.failed.log`);
        try {
            appendFileSync(logPath, `\n# FAILED: ${failure.stack ?? failure}\n`);
            copyFileSync(logPath, keptLog);
        } catch {
            // ignore
        }
        console.error(`${P} engine build failed: ${failure.message}`);
        console.error(`${P} last lines of ${keptLog}:`);
        console.error(tailFile(keptLog, 30).replace(/^/gm, "  | "));
        console.error(`${P} full log: ${keptLog}`);
        return EXIT_BUILD_FAILED;
    } finally {
        cleanup();
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
    }
}

main().then(
    (code) => process.exit(code),
    (err) => {
        console.error(`${P} engine build crashed: ${err?.stack ?? err}`);
        process.exit(EXIT_BUILD_FAILED);
    },
);
