/**
 * Validates GGUF files with node-llama-cpp's reader before the engine ever sees them, so a bad file gets a
 * sentence that names the file and says what to do, instead of an engine crash log.
 */
import { readGgufFileInfo, type GgufFileInfo } from "node-llama-cpp";
import fs from "node:fs/promises";
import { HearthFailure } from "../errors";
import type { HearthErrorCode } from "../protocol";
import { checkGgufStructure, GgufStructureError } from "./ggufStructure";

/** A model file problem; a {@link HearthFailure} so it reaches the client with its code. */
export class ModelCheckError extends HearthFailure {
  constructor(code: HearthErrorCode, message: string) {
    super(code, message);
  }
}

export type ModelRole = "model" | "mmproj" | "drafter";

export interface CheckedGguf {
  role: ModelRole;
  path: string;
  sizeBytes: number;
  architecture: string;
  info: GgufFileInfo;
}

const GGUF_MAGIC = Buffer.from("GGUF");
const NOT_A_TEXT_MODEL = new Set(["clip", "gemma4-assistant"]);

/** Reads and validates one file for the given role (architecture-level checks only). */
export async function checkGguf(path: string, role: ModelRole): Promise<CheckedGguf> {
  const sizeBytes = await fileSize(path, role);
  await assertMagic(path, role);
  let info: GgufFileInfo;
  try {
    // First a walk bounded by the file's size: the reader below would loop for ever on some damaged counts.
    await checkGgufStructure(path);
    info = await readGgufFileInfo(path, { readTensorInfo: true, logWarnings: false, spliceSplitFiles: true });
  } catch (err) {
    const reason = err instanceof GgufStructureError ? err.message : `its header cannot be read: ${(err as Error).message}`;
    throw new ModelCheckError("truncated-gguf", `${path} is a damaged GGUF file (${reason}). Delete it and download it again.`);
  }
  assertComplete(info, path, sizeBytes);
  const architecture = String(info.metadata.general?.architecture ?? "");
  assertRole(architecture, role, path);
  return { role, path, sizeBytes, architecture, info };
}

/** Cross-file checks: the projector and the drafter must belong to the text model. */
export function checkCompanions(model: CheckedGguf, mmproj?: CheckedGguf, drafter?: CheckedGguf): void {
  const embd = Number(model.info.architectureMetadata.embedding_length ?? 0);
  if (mmproj) {
    const meta = mmproj.info.metadata as unknown as { clip?: Record<string, { projection_dim?: number } | unknown> };
    const dims = ["vision", "audio"]
      .map((k) => (meta.clip?.[k] as { projection_dim?: number } | undefined)?.projection_dim)
      .filter((d): d is number => typeof d === "number");
    const bad = dims.find((d) => d !== embd);
    if (dims.length === 0 || bad !== undefined) {
      throw new ModelCheckError(
        "mmproj-mismatch",
        `${mmproj.path} does not match ${model.path}: the projector outputs ${bad ?? "no"}-dimensional embeddings but the ` +
          `model expects ${embd}. Use the mmproj file published with this model.`,
      );
    }
  }
  if (drafter && model.architecture !== "gemma4") {
    throw new ModelCheckError(
      "drafter-mismatch",
      `${drafter.path} is a Gemma 4 MTP drafter but ${model.path} is a ${model.architecture} model. ` +
        `Remove the drafter setting or use a Gemma 4 model.`,
    );
  }
  if (drafter) {
    const draftEmbd = Number(drafter.info.architectureMetadata.embedding_length ?? 0);
    // The assistant reads the target's hidden state: its `embedding_length_out` is the target's width.
    const targetEmbd = Number((drafter.info.architectureMetadata as Record<string, unknown>).embedding_length_out ?? 0);
    if (!draftEmbd || targetEmbd !== embd) {
      throw new ModelCheckError(
        "drafter-mismatch",
        `${drafter.path} was made for a model with ${targetEmbd}-dimensional embeddings, not ${model.path} (${embd}). ` +
          `Use the assistant drafter published with this model.`,
      );
    }
  }
}

export function hasFimTokens(model: CheckedGguf): boolean {
  const tok = model.info.metadata.tokenizer?.ggml as Record<string, unknown> | undefined;
  return tok?.fim_pre_token_id !== undefined && tok?.fim_suf_token_id !== undefined && tok?.fim_mid_token_id !== undefined;
}

async function fileSize(path: string, role: ModelRole): Promise<number> {
  try {
    const stat = await fs.stat(path);
    if (!stat.isFile()) throw new Error("not a file");
    return stat.size;
  } catch {
    throw new ModelCheckError("file-not-found", `The ${roleName(role)} file ${path} does not exist or is not a file.`);
  }
}

async function assertMagic(path: string, role: ModelRole): Promise<void> {
  const handle = await fs.open(path, "r");
  try {
    const buf = Buffer.alloc(4);
    const { bytesRead } = await handle.read(buf, 0, 4, 0);
    if (bytesRead < 4 || !buf.equals(GGUF_MAGIC)) {
      throw new ModelCheckError(
        "not-gguf",
        `${path} is not a GGUF file (it does not start with "GGUF"). The ${roleName(role)} setting needs a .gguf file ` +
          `as published for llama.cpp.`,
      );
    }
  } finally {
    await handle.close();
  }
}

/** The reader only parses the header; a download cut short is caught by comparing sizes with the tensor table. */
function assertComplete(info: GgufFileInfo, path: string, sizeBytes: number): void {
  if (info.splicedParts > 1) return; // split files: each part is checked by the engine
  const tensors = info.fullTensorInfo ?? info.tensorInfo ?? [];
  let expectedEnd = Number(info.infoEndOffset ?? 0);
  for (const t of tensors) {
    const end = Number(t.fileOffset) + tensorBytes(t.ggmlType, t.dimensions.map(Number));
    if (end > expectedEnd) expectedEnd = end;
  }
  if (sizeBytes < expectedEnd) {
    const pct = ((100 * sizeBytes) / expectedEnd).toFixed(1);
    throw new ModelCheckError(
      "truncated-gguf",
      `${path} is truncated: it has ${sizeBytes} of the ${expectedEnd} bytes its header describes (${pct}%). ` +
        `The download was probably interrupted — download it again.`,
    );
  }
}

function assertRole(architecture: string, role: ModelRole, path: string): void {
  const expected: Record<ModelRole, (a: string) => boolean> = {
    model: (a) => a !== "" && !NOT_A_TEXT_MODEL.has(a),
    mmproj: (a) => a === "clip",
    drafter: (a) => a === "gemma4-assistant",
  };
  if (expected[role](architecture)) return;
  const what =
    architecture === "clip"
      ? "a multimodal projector (mmproj)"
      : architecture === "gemma4-assistant"
        ? "a Gemma 4 MTP drafter (assistant)"
        : `a "${architecture || "unknown"}" model`;
  const fix =
    architecture === "clip"
      ? "pass it as the mmproj (--mmproj / hearth.mmproj)"
      : architecture === "gemma4-assistant"
        ? "pass it as the drafter (--drafter / hearth.drafter)"
        : `use ${role === "mmproj" ? "the model's mmproj GGUF" : role === "drafter" ? "the model's gemma4-assistant GGUF" : "a text model GGUF"}`;
  throw new ModelCheckError(
    "wrong-architecture",
    `${path} is ${what}, not ${roleName(role, true)}: ${fix}.`,
  );
}

function roleName(role: ModelRole, article = false): string {
  const names: Record<ModelRole, string> = { model: "text model", mmproj: "multimodal projector", drafter: "MTP drafter" };
  return article ? `a ${names[role]}` : names[role];
}

/** Bytes per block and elements per block of the ggml types llama.cpp writes to GGUF files. */
const GGML_TYPE_LAYOUT: Record<number, [bytes: number, elements: number]> = {
  0: [4, 1], // F32
  1: [2, 1], // F16
  2: [18, 32], // Q4_0
  3: [20, 32], // Q4_1
  6: [22, 32], // Q5_0
  7: [24, 32], // Q5_1
  8: [34, 32], // Q8_0
  9: [36, 32], // Q8_1
  10: [84, 256], // Q2_K
  11: [110, 256], // Q3_K
  12: [144, 256], // Q4_K
  13: [176, 256], // Q5_K
  14: [210, 256], // Q6_K
  15: [292, 256], // Q8_K
  24: [1, 1], // I8
  25: [2, 1], // I16
  26: [4, 1], // I32
  27: [8, 1], // I64
  28: [8, 1], // F64
  30: [2, 1], // BF16
};

function tensorBytes(type: number, dims: number[]): number {
  const layout = GGML_TYPE_LAYOUT[type];
  if (!layout) return 0; // unknown (newer) quant: its start offset is still checked
  const elements = dims.reduce((a, b) => a * b, 1);
  return Math.ceil(elements / layout[1]) * layout[0];
}
