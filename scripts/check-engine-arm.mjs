#!/usr/bin/env node
// Checks Hearth's ggml patches (the grouped-query decode attention of engine patches 0004/0007/0008) on ARM
// from an x86-64 Linux machine: the pinned llama.cpp source (node-llama-cpp's bundle, as build-engine.mjs
// clones it) with ENGINE_PATCHES applied is cross-compiled for aarch64 and its test-backend-ops compares the
// patched CPU flash attention against the CPU backend's reference path (use_ref) under qemu, on the decode
// shapes the patches change (1-9 query rows: decoding and MTP verification; Gemma 4's head sizes).
//
//   apt-get install g++-aarch64-linux-gnu qemu-user cmake ninja-build
//   node scripts/check-engine-arm.mjs [--arch armv8.2-a+dotprod+fp16] [--keep]
//
// Manual (≈ 15 min per arch on 2 cores, most of it compiling test-backend-ops); not part of npm test.
// The last line is `arm: N/N tests passed (ARCH)`; the exit code is non-zero on any failure.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ENGINE_PATCHES, ENGINE_PATCHES_DIR, enginePatchMismatches, findNodeLlamaCppDir } from "./engine-key.mjs";

const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const arch = arg("--arch", "armv8.2-a+dotprod+fp16");
const keep = process.argv.includes("--keep");
/** The test cases whose shapes the patches' decode path takes (see the test cases 0004 adds). */
const CASES = "hsk=(512|256|128),hsv=(512|256|128),nh=[1248],nr23=\\[(16|8|4|2|1),[12]\\],kv=(512|777|1024|4096),nb=[1-9],";

for (const tool of ["aarch64-linux-gnu-g++", "qemu-aarch64", "cmake", "ninja", "git"]) {
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) {
        console.error(`arm: ${tool} not found: apt-get install g++-aarch64-linux-gnu qemu-user cmake ninja-build`);
        process.exit(2);
    }
}
const changed = enginePatchMismatches();
if (changed.length) {
    for (const line of changed) console.error(`arm: ${line}`);
    process.exit(1);
}
const nlc = findNodeLlamaCppDir();
if (!nlc) throw new Error("node-llama-cpp is not installed: run npm install first");

const work = mkdtempSync(join(tmpdir(), "hearth-arm-"));
const src = join(work, "src");
const build = join(work, "build");
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { stdio: "inherit", ...opts });
try {
    run("git", ["-c", "advice.detachedHead=false", "clone", "--quiet", join(nlc, "llama", "gitRelease.bundle"), src]);
    for (const { file } of ENGINE_PATCHES) run("git", ["apply", join(ENGINE_PATCHES_DIR, file)], { cwd: src });
    run("cmake", [
        "-S", src, "-B", build, "-G", "Ninja",
        "-DCMAKE_SYSTEM_NAME=Linux", "-DCMAKE_SYSTEM_PROCESSOR=aarch64",
        "-DCMAKE_C_COMPILER=aarch64-linux-gnu-gcc", "-DCMAKE_CXX_COMPILER=aarch64-linux-gnu-g++",
        "-DCMAKE_BUILD_TYPE=Release", "-DGGML_NATIVE=OFF", `-DGGML_CPU_ARM_ARCH=${arch}`, "-DGGML_OPENMP=OFF",
        "-DBUILD_SHARED_LIBS=OFF", "-DLLAMA_BUILD_TESTS=ON", "-DLLAMA_BUILD_EXAMPLES=OFF", "-DLLAMA_BUILD_TOOLS=OFF",
        "-DLLAMA_BUILD_SERVER=OFF", "-DLLAMA_OPENSSL=OFF", "-DLLAMA_BUILD_UI=OFF", "-DLLAMA_USE_PREBUILT_UI=OFF", "-DLLAMA_BUILD_APP=OFF",
    ], { stdio: ["ignore", "ignore", "inherit"] });
    run("cmake", ["--build", build, "--target", "test-backend-ops", "-j", "2"]);
    const test = spawnSync(
        "qemu-aarch64",
        ["-L", "/usr/aarch64-linux-gnu", join(build, "bin", "test-backend-ops"), "-b", "CPU", "-o", "FLASH_ATTN_EXT", "-p", CASES],
        { encoding: "utf8", maxBuffer: 64 << 20 },
    );
    const out = `${test.stdout ?? ""}${test.stderr ?? ""}`;
    for (const line of out.split("\n").filter((l) => /FAIL/.test(l))) console.log(line);
    const summary = /(\d+)\/(\d+) tests passed/.exec(out);
    console.log(`arm: ${summary ? `${summary[1]}/${summary[2]}` : "0/0"} tests passed (${arch})`);
    process.exitCode = test.status === 0 && summary && summary[1] === summary[2] && summary[2] !== "0" ? 0 : 1;
} finally {
    if (keep) console.log(`arm: kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
}
