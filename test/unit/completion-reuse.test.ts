import { describe, expect, it } from "vitest";
import { CompletionReuse, type ReuseContext } from "../../server/completion/reuse";

const base: ReuseContext = { filePath: "a.ts", prefix: "const x = ", suffix: "\n", stable: "P|", volatile: "const x = ", options: "o" };
const at = (prefix: string, more: Partial<ReuseContext> = {}): ReuseContext => ({ ...base, prefix, volatile: prefix, ...more });

describe("CompletionReuse", () => {
  it("types through: the rest of the shown suggestion while the typed text matches it", () => {
    const r = new CompletionReuse();
    r.remember(base, "compute(1, 2);");
    expect(r.lookup(at("const x = comp"))).toEqual({ text: "ute(1, 2);", kind: "type-through" });
    expect(r.lookup(at("const x = compx"))).toBeUndefined();
    // typed all of it: nothing left to suggest, so the engine is asked
    expect(r.lookup(at("const x = compute(1, 2);"))).toBeUndefined();
  });

  it("does not type through when anything else the completion depends on changed", () => {
    const r = new CompletionReuse();
    r.remember(base, "compute(1, 2);");
    expect(r.lookup(at("const x = c", { suffix: "\n// changed\n" }))).toBeUndefined();
    expect(r.lookup(at("const x = c", { stable: "P2|" }))).toBeUndefined();
    expect(r.lookup(at("const x = c", { filePath: "b.ts" }))).toBeUndefined();
    expect(r.lookup(at("const x = c", { options: "other model" }))).toBeUndefined();
  });

  it("answers a recent context again (backspace, undo), by its exact prompt and options", () => {
    const r = new CompletionReuse();
    r.remember(base, "compute(1, 2);");
    r.remember(at("const x = q"), "uux;");
    expect(r.lookup(base)).toEqual({ text: "compute(1, 2);", kind: "recent" });
    expect(r.lookup({ ...base, options: "o2" })).toBeUndefined();
  });

  it("keeps a bounded number of recent contexts, least recently used out first", () => {
    const r = new CompletionReuse();
    for (let i = 0; i < 200; i++) r.remember(at(`v${i}`), `t${i}`);
    expect(r.lookup(at("v0"))).toBeUndefined();
    expect(r.lookup(at("v199"))?.text).toBe("t199");
    expect(r.lookup(at("v100"))?.text).toBe("t100");
  });

  it("never remembers an empty completion", () => {
    const r = new CompletionReuse();
    r.remember(base, "");
    expect(r.lookup(base)).toBeUndefined();
  });
});
