/**
 * src/config.ts sends `hearth.workspace.ignore` per workspace folder (a resource-scoped setting: folder >
 * workspace > user), keyed by the folder's URI, and the window's value (workspace > user) as `ignore`, against a
 * stand-in `vscode` with those scopes.
 */
import { beforeEach, describe, expect, it, vi } from "vitest";

const fake = vi.hoisted(() => {
  const uri = (p: string) => ({ toString: () => `file://${p}`, fsPath: p });
  /** values by scope: "window" (workspace over user), or a folder's URI string (its own .vscode/settings.json) */
  const values = new Map<string, unknown>();
  const scopes: (string | null | undefined)[] = [];
  const vscode = {
    workspace: {
      workspaceFolders: [] as { uri: ReturnType<typeof uri>; name: string; index: number }[],
      getConfiguration: (section: string, scope?: { toString(): string } | null) => {
        scopes.push(scope === null ? null : scope?.toString());
        return {
          get: (k: string) => {
            const key = `${section}.${k}`;
            const folder = scope ? values.get(`${scope.toString()} ${key}`) : undefined;
            return folder ?? values.get(`window ${key}`);
          },
        };
      },
    },
  };
  return { vscode, values, scopes, uri };
});
vi.mock("vscode", () => fake.vscode);

const { hostSettings } = await import("../../src/config");

beforeEach(() => {
  fake.values.clear();
  fake.scopes.length = 0;
  fake.vscode.workspace.workspaceFolders = [];
});

describe("hearth.workspace.ignore for the host", () => {
  it("sends each folder's own value by its URI, and the window's value for folders without one", () => {
    fake.vscode.workspace.workspaceFolders = [
      { uri: fake.uri("/w/frontend"), name: "frontend", index: 0 },
      { uri: fake.uri("/w/backend"), name: "backend", index: 1 },
    ];
    fake.values.set("window hearth.workspace.ignore", ["fixtures/"]);
    fake.values.set("file:///w/backend hearth.workspace.ignore", ["docs/"]);
    expect(hostSettings().workspace).toEqual({
      ignore: ["fixtures/"],
      folderIgnore: { "file:///w/frontend": ["fixtures/"], "file:///w/backend": ["docs/"] },
      maxTokens: 0,
    });
    // The window's value is asked for with `null` (any resource), not without a scope, which VS Code warns about
    // for a resource-scoped setting.
    expect(fake.scopes).toContain(null);
  });

  it("sends only the window's value without a folder", () => {
    expect(hostSettings().workspace).toEqual({ ignore: [], maxTokens: 0 });
  });
});
