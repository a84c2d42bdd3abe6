import fs from "node:fs";
import path from "node:path";

/**
 * A test workspace's code: `ws/src/module<i>.ts` for i < `count`, 30 `export const` lines each, all changed at
 * `mtime` (old, so that files written later come after them in the prefix).
 */
export function writeModules(ws: string, count: number, mtime = new Date("2026-01-01T00:00:00Z")): void {
  fs.mkdirSync(path.join(ws, "src"), { recursive: true });
  for (let i = 0; i < count; i++) {
    const file = path.join(ws, "src", `module${i}.ts`);
    fs.writeFileSync(file, Array.from({ length: 30 }, (_, j) => `export const value${i}_${j} = ${i * 100 + j}; // line ${j} of module ${i}`).join("\n") + "\n");
    fs.utimesSync(file, mtime, mtime);
  }
}

/** Writes a file under `root`, with its folders; `mtime` (seconds since the epoch) fixes its place in the prefix order. */
export function writeFile(root: string, rel: string, content: string | Buffer, mtime?: number): void {
  const abs = path.join(root, rel);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.writeFileSync(abs, content);
  if (mtime !== undefined) fs.utimesSync(abs, mtime, mtime);
}

/** A TypeScript file's text: a comment naming it, then `lines` small functions. */
export function tsCode(name: string, lines: number): string {
  let s = `// ${name}\n`;
  for (let i = 0; i < lines; i++) s += `export function ${name}_${i}(x: number): number {\n  return x + ${i};\n}\n\n`;
  return s;
}
