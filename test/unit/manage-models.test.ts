/**
 * Manage Downloaded Models (src/manageModels.ts) against a stand-in `vscode`: the files with sizes and what
 * is in use, the model in use kept whatever is selected, a confirmation before deleting, the space freed.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeEach, describe, expect, it, vi } from "vitest";

const ui = vi.hoisted(() => ({
  pick: undefined as undefined | ((items: { label: string; description?: string; detail?: string }[]) => unknown),
  confirm: "Delete" as string | undefined,
  shown: [] as string[],
  picked: [] as { label: string; description?: string; detail?: string }[][],
  title: "",
  details: [] as string[],
}));
vi.mock("vscode", () => ({
  workspace: { getConfiguration: () => ({ get: () => undefined }) },
  window: {
    showQuickPick: async (items: { label: string }[], opts: { title: string }) => {
      ui.picked.push(items);
      ui.title = opts.title;
      return ui.pick?.(items);
    },
    showWarningMessage: async (m: string, o: { detail?: string }) => (ui.shown.push(`warning: ${m}`), ui.details.push(o.detail ?? ""), ui.confirm),
    showInformationMessage: async (m: string) => void ui.shown.push(`info: ${m}`),
    showErrorMessage: async (m: string) => void ui.shown.push(`error: ${m}`),
  },
}));
const { manageDownloadedModels } = await import("../../src/manageModels");
const { modelsFolder } = await import("../../server/models/folder");

function folder() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-manage-"));
  const put = (rel: string, mb: number) => {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, Buffer.alloc(mb * 1024 * 1024));
    return p;
  };
  return {
    dir,
    q4: put("giladgd/gemma-4-12B-it-GGUF/gemma-4-12B-it-Q4_K_M.gguf", 3),
    mmproj: put("giladgd/gemma-4-12B-it-GGUF/mmproj-gemma-4-12B-it-f16.gguf", 1),
    q8: put("giladgd/gemma-4-12B-it-GGUF/gemma-4-12B-it-Q8_0.gguf", 5),
  };
}

const ready = (files: { model: string; mmproj?: string }) => ({ state: "ready" as const, model: files.model, files });

beforeEach(() => {
  ui.pick = undefined;
  ui.confirm = "Delete";
  ui.shown.length = 0;
  ui.picked.length = 0;
  ui.details.length = 0;
});

describe("Manage Downloaded Models", () => {
  it("lists the files with their sizes and what is in use, and deletes the ones picked after asking", async () => {
    const f = folder();
    ui.pick = (items) => items.filter((i) => i.label.includes("Q8_0"));
    await manageDownloadedModels(ready({ model: f.q4, mmproj: f.mmproj }), f.dir);
    expect(ui.title).toBe(`Hearth: Downloaded Models (9.0 MiB in ${f.dir})`);
    expect(ui.picked[0].map((i) => [i.label, i.description, i.detail])).toEqual([
      ["gemma-4-12B-it-Q4_K_M.gguf", "3.0 MiB · in use", path.join("giladgd", "gemma-4-12B-it-GGUF")],
      ["gemma-4-12B-it-Q8_0.gguf", "5.0 MiB", path.join("giladgd", "gemma-4-12B-it-GGUF")],
      ["mmproj-gemma-4-12B-it-f16.gguf", "1.0 MiB · in use", path.join("giladgd", "gemma-4-12B-it-GGUF")],
    ]);
    expect(ui.shown).toEqual(["warning: Delete gemma-4-12B-it-Q8_0.gguf (5.0 MiB)? A model deleted can be downloaded again.", "info: Hearth: deleted gemma-4-12B-it-Q8_0.gguf, 5.0 MiB freed."]);
    expect(ui.details).toEqual(["gemma-4-12B-it-Q8_0.gguf (5.0 MiB)"]);
    expect(fs.existsSync(f.q8)).toBe(false);
    expect(fs.existsSync(f.q4)).toBe(true);
  });

  it("keeps the model in use whatever is selected, and deletes nothing without the confirmation", async () => {
    const f = folder();
    ui.pick = (items) => items;
    ui.confirm = undefined;
    await manageDownloadedModels(ready({ model: f.q4 }), f.dir);
    expect(ui.shown).toEqual(["warning: Delete 2 files (6.0 MiB)? The files of the model in use are kept. A model deleted can be downloaded again."]);
    expect([f.q4, f.q8, f.mmproj].every((p) => fs.existsSync(p))).toBe(true);
    ui.pick = (items) => items.filter((i) => i.description?.includes("in use"));
    ui.shown.length = 0;
    await manageDownloadedModels(ready({ model: f.q4 }), f.dir);
    expect(ui.shown).toEqual(["info: Hearth: the files of the model in use are kept. Select another model first to delete them."]);
  });

  it("marks an unfinished download, keeps every part of a split model in use and one named through a symlink, and waits for a download", async () => {
    const f = folder();
    const part = (n: number) => path.join(f.dir, "split", `big-0000${n}-of-00002.gguf`);
    fs.mkdirSync(path.join(f.dir, "split"));
    fs.writeFileSync(part(1), "1");
    fs.writeFileSync(part(2), "2");
    fs.writeFileSync(path.join(f.dir, "split", "e4b.gguf.ipull"), Buffer.alloc(2048));
    const link = path.join(os.tmpdir(), `hearth-link-${process.pid}.gguf`);
    fs.rmSync(link, { force: true });
    fs.symlinkSync(f.q8, link);
    ui.pick = (items) => items;
    ui.confirm = "Delete";
    await manageDownloadedModels({ state: "ready", model: part(1), files: { model: part(1), drafter: link } }, f.dir);
    const rows = ui.picked[0].map((i) => `${i.label} ${i.description}`);
    expect(rows).toContain("big-00002-of-00002.gguf 1 B · in use");
    expect(rows).toContain("gemma-4-12B-it-Q8_0.gguf 5.0 MiB · in use");
    expect(rows).toContain("e4b.gguf 2.0 KiB · unfinished download");
    expect([part(1), part(2), f.q8].every((p) => fs.existsSync(p))).toBe(true);
    expect(fs.existsSync(f.q4) || fs.existsSync(path.join(f.dir, "split", "e4b.gguf.ipull"))).toBe(false);
    fs.rmSync(link);

    ui.shown.length = 0;
    await manageDownloadedModels({ state: "downloading", model: "hf:x" }, f.dir);
    expect(ui.shown).toEqual(["info: Hearth: the model host is downloading a model: manage the downloaded models once it is done."]);
  });

  it("says when there is nothing downloaded", async () => {
    await manageDownloadedModels(undefined, path.join(os.tmpdir(), "hearth-no-such-models"));
    expect(ui.shown).toEqual([`info: Hearth: no downloaded models in ${path.join(os.tmpdir(), "hearth-no-such-models")}.`]);
  });

  it("finds the models folder as the host does: ~ is the home folder", () => {
    expect(modelsFolder("~/models")).toBe(path.join(os.homedir(), "models"));
    expect(modelsFolder("")).toBe(path.join(os.homedir(), ".cache", "hearth", "models"));
    expect(modelsFolder("rel/dir")).toBe(path.resolve("rel/dir"));
  });
});
