/**
 * Where model files live: the models folder and `~` in paths. No dependencies beyond Node, so the extension
 * (Manage Downloaded Models) finds the same folder as the host without bundling the downloader.
 */
import os from "node:os";
import path from "node:path";

export function defaultModelsDir(): string {
  return path.join(os.homedir(), ".cache", "hearth", "models");
}

/** The folder downloads go to for a `modelsDir` setting: `~` is the home folder (as in `model`); unset, the default. */
export function modelsFolder(setting: string | undefined): string {
  return setting ? path.resolve(expandHome(setting)) : defaultModelsDir();
}

export function expandHome(p: string): string {
  return p === "~" ? os.homedir() : p.startsWith("~/") ? path.join(os.homedir(), p.slice(2)) : p;
}
