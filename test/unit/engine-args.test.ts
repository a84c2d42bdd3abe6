import { describe, expect, it } from "vitest";
import { cleanEnvironment, engineArgs, type EngineLaunch } from "../../server/engine/supervisor";

const launch: EngineLaunch = {
  serverPath: "/x/llama-server",
  files: { model: "/m/text.gguf", mmproj: "/m/mmproj.gguf", drafter: "/m/assistant.gguf" },
  contextSize: 262144,
  kvCacheType: "q8_0",
  threads: 2,
  parallel: 2,
  mtp: true,
  gpuLayers: 0,
};
const net = { port: 4321, apiKeyFile: "/private/api-key", slotDir: "/private/slots" };
const value = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

describe("engineArgs", () => {
  it("binds loopback only, with the per-run key from a file (never on the command line)", () => {
    const args = engineArgs(launch, net);
    expect(value(args, "--host")).toBe("127.0.0.1");
    expect(value(args, "--port")).toBe("4321");
    expect(value(args, "--api-key-file")).toBe("/private/api-key");
    expect(args).not.toContain("--api-key");
  });

  it("uses the sliding-window cache with q8_0 KV and flash attention, never --swa-full", () => {
    const args = engineArgs(launch, net);
    // every slot gets the whole context in its own cache (never --kv-unified: slots would evict each other)
    expect(value(args, "-c")).toBe("524288");
    expect(args).not.toContain("--kv-unified");
    expect(value(args, "-ctk")).toBe("q8_0");
    expect(value(args, "-ctv")).toBe("q8_0");
    expect(value(args, "-fa")).toBe("on");
    expect(args).not.toContain("--swa-full");
    expect(args).toContain("--jinja");
    expect(value(args, "-t")).toBe("2");
    expect(args).not.toContain("-tb");
    // no RAM prompt cache: it would copy the idle workspace slot into memory the sizing never planned
    expect(value(args, "--cache-ram")).toBe("0");
  });

  it("adds the projector and the MTP drafter when present, and drops the drafter when MTP is off", () => {
    const args = engineArgs(launch, net);
    expect(value(args, "--mmproj")).toBe("/m/mmproj.gguf");
    expect(value(args, "--model-draft")).toBe("/m/assistant.gguf");
    expect(value(args, "--spec-type")).toBe("draft-mtp");
    // The drafter's thread pool must not starve the target's on a small machine.
    expect(value(args, "-td")).toBe("1");
    expect(value(args, "--poll-draft")).toBe("0");
    // ...while the target's keeps polling (not polling cost every decode step its threads' wake-ups)
    expect(args).not.toContain("--poll");
    const off = engineArgs({ ...launch, mtp: false }, net);
    expect(off).not.toContain("--model-draft");
    expect(off).not.toContain("--spec-type");
    const textOnly = engineArgs({ ...launch, files: { model: "/m/text.gguf" } }, net);
    expect(textOnly).not.toContain("--mmproj");
    expect(textOnly).not.toContain("--model-draft");
  });

  it("never enables endpoints that change server state or leak data", () => {
    const args = engineArgs(launch, net);
    for (const flag of ["--props", "--tools", "--metrics", "--webui"]) expect(args).not.toContain(flag);
    expect(args).toContain("--no-webui");
  });
});

describe("cleanEnvironment", () => {
  it("drops variables that reconfigure llama.cpp", () => {
    const env = cleanEnvironment({ PATH: "/bin", HOME: "/h", LLAMA_ARG_HOST: "0.0.0.0", LLAMA_API_KEY: "x", GGML_CUDA: "1", AIP_MODE: "1" });
    expect(env).toEqual({ PATH: "/bin", HOME: "/h" });
  });

  it("passes Hearth's own switch for the engine's MTP timing (HEARTH_DRAFT_COST)", () => {
    expect(cleanEnvironment({ PATH: "/bin", HEARTH_DRAFT_COST: "0", HEARTH_OTHER: "1" })).toEqual({ PATH: "/bin", HEARTH_DRAFT_COST: "0" });
  });
});
