/** `hearth/checkModel` and `hearth models check`: every file checked on its own, then together, with a memory estimate. */
import { estimateMemory } from "../engine/sizing";
import type { CheckModelParams, ModelCheckReport } from "../protocol";
import { checkCompanions, checkGguf, type CheckedGguf, type ModelRole } from "./check";
import { toHearthError } from "../errors";
import type { ModelManager } from "./manager";

export async function checkModelFiles(models: ModelManager, params: CheckModelParams): Promise<ModelCheckReport> {
  const report: ModelCheckReport = { ok: true, files: [] };
  const checked: Partial<Record<ModelRole, CheckedGguf>> = {};
  for (const role of ["model", "mmproj", "drafter"] as const) {
    const file = params[role];
    if (!file) continue;
    try {
      const c = await checkGguf(file, role);
      checked[role] = c;
      report.files.push({ role, path: file, architecture: c.architecture, sizeBytes: c.sizeBytes });
    } catch (err) {
      report.ok = false;
      report.files.push({ role, path: file, sizeBytes: 0, error: toHearthError(err) });
    }
  }
  if (!report.ok || !checked.model) return report;
  try {
    checkCompanions(checked.model, checked.mmproj, checked.drafter);
  } catch (err) {
    report.ok = false;
    const bad = report.files.find((f) => f.role !== "model") ?? report.files[0];
    bad.error = toHearthError(err);
    return report;
  }
  const s = models.getSettings();
  report.memory = estimateMemory({
    model: checked.model,
    companions: [checked.mmproj, checked.drafter].filter((x): x is CheckedGguf => !!x),
    kvCacheType: s.kvCacheType,
    requestedContext: s.contextSize,
    parallel: 2,
  });
  return report;
}
