/** The benchmark's prompt-log reader: entries appended between polls are read once, whatever the write boundaries. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PromptLogReader } from "../../bench/lib/promptLogReader";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-plr-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("PromptLogReader", () => {
  it("counts entries as the log grows, across a line split between writes (even inside a multi-byte character)", () => {
    const file = path.join(dir, "prompts.jsonl");
    fs.writeFileSync(file, "");
    const r = new PromptLogReader(file);
    expect(r.count()).toBe(0);
    const line = (n: number, prompt: string) => JSON.stringify({ time: "t", endpoint: "/completion", prompt, n_predict: n }) + "\n";
    fs.appendFileSync(file, line(16, "a") + line(0, "b"));
    expect(r.count()).toBe(2);
    const bytes = Buffer.from(line(0, "café 👋 " + "x".repeat(1000)));
    const cut = bytes.indexOf(Buffer.from("👋")) + 2; // inside the emoji's four bytes
    fs.appendFileSync(file, bytes.subarray(0, cut));
    expect(r.count()).toBe(2); // the partial line is not an entry yet
    fs.appendFileSync(file, Buffer.concat([bytes.subarray(cut), Buffer.from(line(8, "c"))]));
    expect(r.count()).toBe(4);
    expect(r.entries.map((e) => e.n_predict)).toEqual([16, 0, 0, 8]);
    expect(r.entries[2]).toEqual({ endpoint: "/completion", n_predict: 0 }); // the prompt is not kept
  });
});
