/**
 * A directory only this user can read (0700), created with its parents when missing. A symlink is refused:
 * llama-server follows links inside its slot directory, so a planted link could redirect its writes.
 */
import fs from "node:fs";

export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (fs.lstatSync(dir).isSymbolicLink()) throw new Error(`${dir} is a symbolic link; refusing to use it as a private directory`);
  fs.chmodSync(dir, 0o700);
}
