// Locates the llama-server binary ("engine") the host drives.
//
// Order:
//   1. HEARTH_LLAMA_SERVER=/path/to/llama-server — an explicit binary (e.g. a user's own build).
//   2. The build made by `npm run build:engine` (scripts/build-engine.mjs) in
//      ${HEARTH_CACHE_DIR:-$HOME/.cache/hearth}/engine/<key>/.
//
// The key and paths come from scripts/engine-key.mjs, the module the build script itself uses,
// so the locator and the builder cannot drift apart. No fuzzy matching: if the exact key's build
// is missing, EngineNotBuiltError says which command builds it.

import { accessSync, constants as fsConstants, statSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import {
    buildCommandFor,
    describeEngine,
    readEngineInputs,
    readEngineManifest,
    type GpuVariant,
} from "../../scripts/engine-key.mjs";

export type { GpuVariant };

export interface EngineManifest {
    key: string;
    nodeLlamaCppVersion: string;
    llamaCppTag: string;
    platform: string;
    arch: string;
    gpu: GpuVariant;
    /** "external" = HEARTH_LLAMA_SERVER, not built by Hearth */
    buildMode: "prebuilt-libs" | "source" | "external";
    /** absolute path of llama-server at build time */
    serverPath: string;
    /** the `version: ...` line of `llama-server --version` ("" when unknown) */
    version: string;
    buildSeconds: number;
    builtAt: string;
    optionsHash?: string;
    /** every file of the build, relative to its directory */
    files?: string[];
}

export interface EngineInstall {
    serverPath: string;
    dir: string;
    key: string;
    manifest: EngineManifest;
}

export class EngineNotBuiltError extends Error {
    /** the exact command that builds the missing engine */
    readonly buildCommand: string;
    constructor(message: string, buildCommand: string = buildCommandFor("cpu")) {
        super(message);
        this.name = "EngineNotBuiltError";
        this.buildCommand = buildCommand;
    }
}

export interface LocateEngineOptions {
    gpu?: GpuVariant;
    /** cache root; default ${HEARTH_CACHE_DIR:-$HOME/.cache/hearth} */
    cacheDir?: string;
}

export const EXTERNAL_SERVER_ENV = "HEARTH_LLAMA_SERVER";

export function locateEngine(opts: LocateEngineOptions = {}): EngineInstall {
    const gpu: GpuVariant = opts.gpu ?? "cpu";
    const command = buildCommandFor(gpu);

    const external = process.env[EXTERNAL_SERVER_ENV];
    if (external && external.trim() !== "") return externalEngine(resolve(external.trim()), gpu);

    let inputs;
    try {
        inputs = readEngineInputs();
    } catch (err) {
        throw new EngineNotBuiltError(
            `cannot locate Hearth's llama-server engine: ${(err as Error).message}. ` +
                `Install dependencies and build it with: npm ci && ${command} ` +
                `(or point ${EXTERNAL_SERVER_ENV} at a llama-server binary)`,
            command,
        );
    }
    const desc = describeEngine({ gpu, cacheDir: opts.cacheDir, inputs });
    const found = readEngineManifest(desc);
    if (!found.ok) {
        throw new EngineNotBuiltError(
            `Hearth's llama-server engine (${gpu}) is not built: ${found.reason}. ` +
                `Build it with: ${command} (expected ${desc.serverPath})`,
            command,
        );
    }
    return { serverPath: desc.serverPath, dir: desc.dir, key: desc.key, manifest: found.manifest as EngineManifest };
}

function externalEngine(serverPath: string, gpu: GpuVariant): EngineInstall {
    try {
        if (!statSync(serverPath).isFile()) throw new Error("not a file");
        accessSync(serverPath, fsConstants.X_OK);
    } catch {
        throw new EngineNotBuiltError(
            `${EXTERNAL_SERVER_ENV}=${serverPath} is not an executable file. Fix or unset it ` +
                `to use Hearth's own engine, built with: ${buildCommandFor(gpu)}`,
            buildCommandFor(gpu),
        );
    }
    let inputs: { nodeLlamaCppVersion: string; llamaCppTag: string } = { nodeLlamaCppVersion: "", llamaCppTag: "" };
    try {
        inputs = readEngineInputs();
    } catch {
        // not needed for an external binary
    }
    const key = `external:${serverPath}`;
    return {
        serverPath,
        dir: dirname(serverPath),
        key,
        manifest: {
            key,
            nodeLlamaCppVersion: inputs.nodeLlamaCppVersion,
            llamaCppTag: inputs.llamaCppTag,
            platform: process.platform,
            arch: process.arch,
            gpu,
            buildMode: "external",
            serverPath,
            version: "",
            buildSeconds: 0,
            builtAt: "",
            files: [basename(serverPath)],
        },
    };
}
