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
