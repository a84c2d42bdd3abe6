import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EngineSupervisor, EngineStartError } from "../../server/engine/supervisor";
import { ensurePrivateDir } from "../../server/privateDir";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-private-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe("ensurePrivateDir (the engine's slot directory, the prefix cache)", () => {
  it("creates the directory and its parents readable by this user only, and tightens an existing one", () => {
    const dir = path.join(root, "a", "b", "prefix-cache");
    ensurePrivateDir(dir);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    fs.chmodSync(dir, 0o755);
    ensurePrivateDir(dir);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
  });

  it("refuses a symlink, since llama-server follows links inside its slot directory", () => {
    const target = path.join(root, "elsewhere");
    fs.mkdirSync(target);
    const link = path.join(root, "link");
    fs.symlinkSync(target, link);
    expect(() => ensurePrivateDir(link)).toThrow(/symbolic link/);
    const supervisor = () =>
      new EngineSupervisor({
        launch: { serverPath: "/nonexistent", files: { model: "m.gguf" }, contextSize: 4096, kvCacheType: "f16", threads: 1, parallel: 1, mtp: false, gpuLayers: 0 },
        log: () => {},
        slotDir: link,
      });
    expect(supervisor).toThrow(EngineStartError);
  });
});
