/**
 * Reads the host's prompt log (HEARTH_PROMPT_LOG) as it grows, each new line parsed once. Every line holds a
 * whole prompt (hundreds of KB with the workspace prefix), so re-reading the file on every poll of a pause
 * cost the benchmark 20 s of CPU in a short replay, taken from the engine's background work on 2 cores.
 */
import fs from "node:fs";
import { StringDecoder } from "node:string_decoder";

/** What the benchmark reads of an entry (the prompt itself is not kept: hundreds of KB each). */
export interface PromptLogEntry {
  endpoint?: string;
  n_predict?: number;
}

export class PromptLogReader {
  private offset = 0;
  private partial = "";
  private readonly decoder = new StringDecoder("utf8");
  readonly entries: PromptLogEntry[] = [];

  constructor(private readonly file: string) {}

  /** How many entries the log holds now (reading what was appended since the last call). */
  count(): number {
    const fd = fs.openSync(this.file, "r");
    try {
      const size = fs.fstatSync(fd).size;
      if (size > this.offset) {
        const buf = Buffer.alloc(size - this.offset);
        fs.readSync(fd, buf, 0, buf.length, this.offset);
        this.offset = size;
        const lines = (this.partial + this.decoder.write(buf)).split("\n");
        this.partial = lines.pop() ?? "";
        for (const line of lines) {
          if (!line) continue;
          const { endpoint, n_predict } = JSON.parse(line) as PromptLogEntry;
          this.entries.push({ endpoint, n_predict });
        }
      }
    } finally {
      fs.closeSync(fd);
    }
    return this.entries.length;
  }
}
