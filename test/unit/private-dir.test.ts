import { spawnSync } from "node:child_process";
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

describe("the engine's private directory (its key file, its default slot directory)", () => {
  const launch = { serverPath: "/nonexistent", files: { model: "m.gguf" }, contextSize: 4096, kvCacheType: "f16" as const, threads: 1, parallel: 1, mtp: false, gpuLayers: 0 };
  const module = path.resolve(__dirname, "../../server/engine/supervisor.ts");

  it("is removed when the host process exits without stopping the engine (its client gone, a signal)", () => {
    const tmp = fs.mkdtempSync(path.join(root, "exit-"));
    const script = `const { EngineSupervisor } = require(${JSON.stringify(module)});
      const s = new EngineSupervisor({ launch: ${JSON.stringify(launch)}, log: () => {} });
      console.log(s.slotDir);
      process.exit(0);`;
    const run = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { env: { ...process.env, TMPDIR: tmp }, encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const privateDir = path.dirname(run.stdout.trim());
    expect(path.dirname(privateDir)).toBe(tmp);
    expect(fs.existsSync(privateDir)).toBe(false);
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith("hearth-engine-"))).toEqual([]);
  });

  it("is removed by stop(), which also drops the exit hook", async () => {
    const exitHooks = process.listenerCount("exit");
    const s = new EngineSupervisor({ launch, log: () => {} });
    const privateDir = path.dirname(s.slotDir);
    expect(fs.readFileSync(path.join(privateDir, "api-key"), "utf8")).toMatch(/^[0-9a-f]{64}\n$/);
    expect(process.listenerCount("exit")).toBe(exitHooks + 1);
    await s.stop();
    expect(fs.existsSync(privateDir)).toBe(false);
    expect(process.listenerCount("exit")).toBe(exitHooks);
  });
});
