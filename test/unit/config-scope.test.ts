/**
 * src/config.ts writes a setting where the value in effect comes from (folder > workspace > user), against a
 * stand-in `vscode` whose configuration has those scopes: Select Model, Toggle Inline Completions and Toggle …
 * for This Language take effect when the workspace's .vscode/settings.json sets the value (as
 * scripts/start.mjs does for the demo), and say so when a scope Hearth cannot write still wins.
 */
import { beforeEach, describe, expect, it, vi } from "vitest";

const fake = vi.hoisted(() => {
  const Target = { Global: 1, Workspace: 2, WorkspaceFolder: 3 } as const;
  type Layer = "policy" | "folder" | "workspace" | "global" | "default";
  const store: Record<Layer, Map<string, unknown>> = {
    policy: new Map(), folder: new Map(), workspace: new Map(), global: new Map(), default: new Map(),
  };
  const writes: { key: string; value: unknown; target: number; resource?: string }[] = [];
  const warnings: string[] = [];
  const layerOf = { [Target.Global]: "global", [Target.Workspace]: "workspace", [Target.WorkspaceFolder]: "folder" } as Record<number, Layer>;
  const folderUri = { toString: () => "file:///ws", fsPath: "/ws" };
  /** keys VS Code lets a folder set (resource scope); Hearth's are window-scoped */
  const resourceScoped = new Set<string>();
  const vscode = {
    ConfigurationTarget: Target,
    window: {
      activeTextEditor: undefined as unknown,
      showWarningMessage: vi.fn(async (m: string) => {
        warnings.push(m);
        return undefined;
      }),
      setStatusBarMessage: vi.fn(),
    },
    commands: { executeCommand: vi.fn() },
    workspace: {
      /** set: a multi-root workspace (a .code-workspace file) */
      workspaceFile: undefined as unknown,
      workspaceFolders: [{ uri: folderUri, name: "ws", index: 0 }],
      getWorkspaceFolder: () => undefined,
      getConfiguration: (section: string, resource?: { toString(): string }) => {
        const full = (k: string) => `${section}.${k}`;
        return {
          get: (k: string) => {
            for (const layer of ["policy", "folder", "workspace", "global", "default"] as Layer[]) {
              if (layer === "folder" && !resource) continue;
              if (store[layer].has(full(k))) return store[layer].get(full(k));
            }
            return undefined;
          },
          inspect: (k: string) => ({
            key: full(k),
            defaultValue: store.default.get(full(k)),
            globalValue: store.global.get(full(k)),
            workspaceValue: store.workspace.get(full(k)),
            // with one folder open, its .vscode/settings.json is both the workspace and the folder value
            workspaceFolderValue: !resource ? undefined : vscode.workspace.workspaceFile ? store.folder.get(full(k)) : store.workspace.get(full(k)),
          }),
          update: async (k: string, value: unknown, target: number) => {
            if (target === Target.WorkspaceFolder && !resource) throw new Error("a folder setting needs a resource");
            if (target === Target.WorkspaceFolder && !resourceScoped.has(full(k))) {
              throw new Error(`Unable to write to Folder Settings because ${full(k)} does not support the folder resource scope.`);
            }
            writes.push({ key: full(k), value, target, resource: resource?.toString() });
            store[layerOf[target]].set(full(k), value);
          },
        };
      },
    },
  };
  return { vscode, store, writes, warnings, Target, resourceScoped };
});
vi.mock("vscode", () => fake.vscode);

const { completionUiConfig, describeScope, setCompletionsEnabled, setModelSettings, toggleLanguage, warnIfOverridden } = await import("../../src/config");

const effective = (k: string) => fake.vscode.workspace.getConfiguration("hearth", fake.vscode.workspace.workspaceFolders[0].uri).get(k);

beforeEach(() => {
  fake.vscode.workspace.workspaceFile = undefined;
  fake.resourceScoped.clear();
  for (const m of Object.values(fake.store)) m.clear();
  fake.writes.length = 0;
  fake.warnings.length = 0;
  fake.store.default.set("hearth.model", "hf:giladgd/gemma-4-12B-it-GGUF:Q4_K_M");
  fake.store.default.set("hearth.mmproj", "auto");
  fake.store.default.set("hearth.drafter", "auto");
  fake.store.default.set("hearth.remoteEndpoint", "");
  fake.store.default.set("hearth.completion.enabled", true);
  fake.store.default.set("hearth.completion.disabledLanguages", ["plaintext", "markdown", "scminput"]);
});

describe("settings are written where they are in effect", () => {
  it("Select Model → Local GGUF writes the workspace's hearth.model when the workspace sets it (the demo's start.mjs)", async () => {
    fake.store.workspace.set("hearth.model", "/models/text.gguf");
    fake.store.workspace.set("hearth.mmproj", "/models/mmproj.gguf");
    fake.store.workspace.set("hearth.drafter", "/models/assistant.gguf");
    const writes = await setModelSettings({ model: "/other/model.gguf", mmproj: "auto", drafter: "auto", remoteEndpoint: "" });
    expect(effective("model")).toBe("/other/model.gguf");
    expect(effective("mmproj")).toBe("auto");
    expect(fake.writes.filter((w) => w.key !== "hearth.remoteEndpoint").every((w) => w.target === fake.Target.Workspace)).toBe(true);
    // remoteEndpoint was set nowhere and "" is its default: nothing is added to the user's settings.json
    expect(fake.writes.find((w) => w.key === "hearth.remoteEndpoint")).toBeUndefined();
    expect(fake.store.global.size).toBe(0);
    expect(writes.every((w) => !w.overridden)).toBe(true);
    expect(describeScope(writes)).toMatch(/workspace settings/);
  });

  it("Select Model → Remote endpoint writes User settings when nothing overrides it, and a local choice clears it there", async () => {
    fake.store.workspace.set("hearth.model", "/models/text.gguf");
    await setModelSettings({ remoteEndpoint: "http://gpu-box:8080" });
    expect(fake.writes).toMatchObject([{ key: "hearth.remoteEndpoint", value: "http://gpu-box:8080", target: fake.Target.Global }]);
    expect(effective("remoteEndpoint")).toBe("http://gpu-box:8080");
    await setModelSettings({ model: "/models/text.gguf", remoteEndpoint: "" });
    expect(effective("remoteEndpoint")).toBe("");
    expect(fake.store.workspace.get("hearth.model")).toBe("/models/text.gguf");
  });

  it("writes User settings when only User settings set the value", async () => {
    fake.store.global.set("hearth.model", "/a.gguf");
    const [w] = await setModelSettings({ model: "/b.gguf" });
    expect(w).toEqual({ key: "model", scope: "user", overridden: false });
    expect(fake.store.global.get("hearth.model")).toBe("/b.gguf");
    expect(describeScope([w])).toBe("");
  });

  it("with one folder open, writes its .vscode/settings.json as the workspace scope (VS Code refuses a folder write there)", async () => {
    fake.store.workspace.set("hearth.completion.enabled", true);
    const w = await setCompletionsEnabled(false);
    expect(w).toEqual({ key: "completion.enabled", scope: "workspace", overridden: false });
    expect(fake.writes).toMatchObject([{ target: fake.Target.Workspace }]);
  });

  it("in a multi-root workspace a folder value wins and is written with the folder as the resource", async () => {
    fake.vscode.workspace.workspaceFile = { path: "/ws.code-workspace" };
    fake.resourceScoped.add("hearth.model");
    fake.store.workspace.set("hearth.model", "/ws.gguf");
    fake.store.folder.set("hearth.model", "/folder.gguf");
    const [w] = await setModelSettings({ model: "/new.gguf" });
    expect(w.scope).toBe("folder");
    expect(fake.writes[0]).toMatchObject({ target: fake.Target.WorkspaceFolder, resource: "file:///ws" });
    expect(effective("model")).toBe("/new.gguf");
  });

  it("in a multi-root workspace a window-scoped setting's folder value falls back to the workspace file", async () => {
    fake.vscode.workspace.workspaceFile = { path: "/ws.code-workspace" };
    fake.store.folder.set("hearth.completion.enabled", true);
    const w = await setCompletionsEnabled(false);
    expect(w.scope).toBe("workspace");
    expect(fake.writes).toMatchObject([{ target: fake.Target.Workspace }]);
  });

  it("Toggle Inline Completions and Toggle … for This Language write the workspace's value when it sets one", async () => {
    fake.store.workspace.set("hearth.completion.enabled", true);
    fake.store.workspace.set("hearth.completion.disabledLanguages", ["markdown"]);
    const w = await setCompletionsEnabled(false);
    expect(w.scope).toBe("workspace");
    expect(completionUiConfig().enabled).toBe(false);
    const t = await toggleLanguage("typescript");
    expect(t.nowEnabled).toBe(false);
    expect(t.write.scope).toBe("workspace");
    expect(completionUiConfig().disabledLanguages).toEqual(["markdown", "typescript"]);
    expect((await toggleLanguage("typescript")).nowEnabled).toBe(true);
    expect(completionUiConfig().disabledLanguages).toEqual(["markdown"]);
    expect(fake.store.global.size).toBe(0);
  });

  it("says so when a scope Hearth cannot write (a policy) still wins", async () => {
    fake.store.policy.set("hearth.completion.enabled", true);
    const w = await setCompletionsEnabled(false);
    expect(w.overridden).toBe(true);
    expect(warnIfOverridden([w])).toBe(true);
    expect(fake.warnings[0]).toMatch(/hearth\.completion\.enabled is set somewhere Hearth cannot change/);
    expect(warnIfOverridden([{ key: "model", scope: "workspace", overridden: false }])).toBe(false);
  });
});
