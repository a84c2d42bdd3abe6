// Types for engine-key.mjs (shared by scripts/build-engine.mjs and server/engine/install.ts).

export type GpuVariant = "cpu" | "cuda" | "vulkan";

export declare const BUILD_RECIPE_VERSION: number;
export interface EnginePatch {
    readonly file: string;
    /** patchDigest() of the file's contents */
    readonly sha256: string;
}
export declare const ENGINE_PATCHES: readonly EnginePatch[];
export declare const ENGINE_PATCHES_DIR: string;
export declare function patchDigest(text: string): string;
export declare function enginePatchMismatches(dir?: string): string[];
export declare const GPU_VARIANTS: readonly GpuVariant[];
export declare const MANIFEST_NAME: "engine.json";
export declare const PREBUILT_ABI_DEFINES: readonly string[];
export declare const SOURCE_CMAKE_OPTIONS: readonly string[];
export declare const SOURCE_GPU_CMAKE_OPTIONS: Readonly<Record<GpuVariant, readonly string[]>>;
export declare const CPU_BACKEND_CMAKE_OPTIONS: readonly string[];
export type CpuVariantChoice = "native" | "all";
export declare const CPU_VARIANT_CHOICES: readonly CpuVariantChoice[];

export interface EngineInputs {
    nodeLlamaCppVersion: string;
    llamaCppTag: string;
    nodeLlamaCppDir?: string;
}

export interface EngineDescription {
    key: string;
    gpu: GpuVariant;
    platform: string;
    arch: string;
    nodeLlamaCppVersion: string;
    llamaCppTag: string;
    nodeLlamaCppDir: string | null;
    /** `${HEARTH_CACHE_DIR:-$HOME/.cache/hearth}` (or the explicit cacheDir) */
    cacheRoot: string;
    /** `<cacheRoot>/engine/<key>` */
    dir: string;
    manifestPath: string;
    serverPath: string;
}

export declare function buildOptionsDescriptor(): Record<string, unknown>;
export declare function buildOptionsHash(): string;
export declare function assertGpuVariant(gpu: string): GpuVariant;
export declare function computeEngineKey(p: {
    nodeLlamaCppVersion: string;
    llamaCppTag: string;
    platform: string;
    arch: string;
    gpu: string;
}): string;
export declare function resolveCacheRoot(env?: Record<string, string | undefined>): string;
export declare function engineRoot(cacheRoot: string): string;
export declare function serverBinaryName(platform?: string): string;
export declare function findNodeLlamaCppDir(from?: string[]): string | null;
export declare function readEngineInputs(opts?: { nodeLlamaCppDir?: string }): Required<EngineInputs>;
export declare function describeEngine(opts?: {
    gpu?: string;
    cacheDir?: string;
    env?: Record<string, string | undefined>;
    platform?: string;
    arch?: string;
    inputs?: EngineInputs;
}): EngineDescription;
export declare function buildCommandFor(gpu?: string): string;

export declare function readEngineManifest(desc: {
    key: string;
    dir: string;
    manifestPath: string;
    serverPath: string;
}): { ok: true; manifest: any } | { ok: false; reason: string };

/** engine.json's record of the CPU backends: which were compiled from the patched source. */
export interface EngineCpuBackends {
    /** the `--cpu-variants` request */
    requested: CpuVariantChoice;
    /** variants compiled from the patched source ("" = a single libggml-cpu) */
    patched: string[];
    /** variants shipped as node-llama-cpp's prebuilt files (without Hearth's ggml patches) */
    unpatched: string[];
    /** true if the patched backend was compiled for this machine's CPU only (-march=native) */
    nativeOnly: boolean;
    /** prebuilt-libs mode: time spent probing, configuring and compiling them */
    seconds?: number;
}

export declare function cpuBackendVariants(files: readonly string[]): string[];
export declare function cpuBackendFile(variant: string): string;
export declare function cpuBackendTarget(variant: string): string;
export declare function bestCpuVariants(probeOutput: string): string[];
export declare function cpuBackendsSatisfy(manifest: any, want: string): boolean;
