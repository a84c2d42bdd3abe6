import { describe, expect, it } from "vitest";
import { PrefixTokens } from "../../server/completion/prefixTokens";
import { splitBoundaries } from "../../server/completion/layout";
import { idsDigest, MixedPrompt, requestJson } from "../../server/engine/client";

/** What the engine receives as `prompt`. */
const wire = (p: unknown) => JSON.parse(requestJson({ prompt: p, n_predict: 1 })).prompt;

function fakeClient(ids: number[] = [2, 10, 11]) {
  const calls: { content: string; addSpecial: boolean }[] = [];
  let fail = false;
  return {
    calls,
    failNext: () => (fail = true),
    tokenize: async (content: string, _signal?: AbortSignal, addSpecial = false) => {
      calls.push({ content, addSpecial });
      if (fail) {
        fail = false;
        throw new Error("engine down");
      }
      return ids;
    },
  };
}

function engine(pid: number) {
  const status = { engine: { pid } };
  return { status, models: { getStatus: () => status as never } };
}

const T = ["<|turn>"];

describe("PrefixTokens", () => {
  it("sends text until the prefix is tokenized (in the background, with BOS), then ids + the rest", async () => {
    const tokens = new PrefixTokens(engine(7).models);
    const client = fakeClient();
    expect(tokens.promptFor(client, "abc<|turn>x", 3, T)).toBe("abc<|turn>x");
    expect(client.calls).toEqual([{ content: "abc", addSpecial: true }]);
    await new Promise((r) => setTimeout(r, 0));
    expect(wire(tokens.promptFor(client, "abc<|turn>xy", 3, T))).toEqual([2, 10, 11, "<|turn>xy"]);
    expect(wire(tokens.promptFor(client, "abc", 3, T))).toEqual([2, 10, 11]);
    expect(client.calls).toHaveLength(1);
  });

  it("never splits where a token could span the cut, or without a prefix", async () => {
    const tokens = new PrefixTokens(engine(7).models);
    const client = fakeClient();
    await tokens.ensure(client, "abc");
    expect(tokens.promptFor(client, "abcdef", 3, T)).toBe("abcdef");
    expect(tokens.promptFor(client, "abc<|turn>", 0, T)).toBe("abc<|turn>");
    expect(tokens.promptFor(client, "abc<|turn>", 3, [])).toBe("abc<|turn>");
  });

  it("tokenizes a changed prefix again, and once for concurrent callers", async () => {
    const tokens = new PrefixTokens(engine(7).models);
    const client = fakeClient();
    await Promise.all([tokens.ensure(client, "abc"), tokens.ensure(client, "abc")]);
    expect(client.calls).toHaveLength(1);
    expect(tokens.promptFor(client, "abd<|turn>x", 3, T)).toBe("abd<|turn>x");
    expect(client.calls.map((c) => c.content)).toEqual(["abc", "abd"]);
  });

  it("forgets the ids when the engine process changes (another model may be loaded)", async () => {
    const e = engine(7);
    const tokens = new PrefixTokens(e.models);
    const client = fakeClient();
    await tokens.ensure(client, "abc");
    e.status.engine.pid = 8;
    expect(tokens.promptFor(client, "abc<|turn>x", 3, T)).toBe("abc<|turn>x");
    expect(client.calls).toHaveLength(2);
  });

  it("the part before the cursor's line goes as ids once prepared after a request; only the line is text", async () => {
    const tokens = new PrefixTokens(engine(7).models);
    const client = fakeClient();
    await tokens.ensure(client, "abc");
    const p1 = "abc<|turn>one\ntwo\nx";
    const line = p1.length - 1;
    // not prepared yet: the head as ids, everything after it as text (nothing tokenized on the way)
    expect(wire(tokens.promptFor(client, p1, 3, T, line))).toEqual([2, 10, 11, "<|turn>one\ntwo\nx"]);
    expect(client.calls).toHaveLength(1);
    expect(await tokens.prepareLine(client, p1, 3, line)).toEqual([2, 10, 11]);
    expect(client.calls[1]).toEqual({ content: "<|turn>one\ntwo\n", addSpecial: false });
    // typing on that line: [head ids, line ids, the line]; at the line start the text part is empty
    expect(wire(tokens.promptFor(client, p1 + "yz", 3, T, line))).toEqual([2, 10, 11, 2, 10, 11, "xyz"]);
    expect(wire(tokens.promptFor(client, p1.slice(0, line), 3, T, line))).toEqual([2, 10, 11, 2, 10, 11]);
    // prepared again for the same text: nothing tokenized
    await tokens.prepareLine(client, p1 + "yz", 3, line);
    expect(client.calls).toHaveLength(2);
    // another text before the line (an edit above): not used until prepared
    expect(wire(tokens.promptFor(client, "abc<|turn>ONE\ntwo\nx", 3, T, line))).toEqual([2, 10, 11, "<|turn>ONE\ntwo\nx"]);
  });

  it("the next line: only the new line is tokenized and appended; a newline run or an edit above: all again", async () => {
    const tokens = new PrefixTokens(engine(7).models);
    const client = fakeClient([7]);
    await tokens.prepareLine(client, "abc<|turn>one\nx", 3, 14);
    expect(await tokens.prepareLine(client, "abc<|turn>one\nxy\nz", 3, 17)).toEqual([7, 7]);
    expect(client.calls.map((c) => c.content)).toEqual(["<|turn>one\n", "xy\n"]);
    // the cut at "one\n" is no cut in "one\n\n…" (a newline run is one pre-token): everything again
    await tokens.prepareLine(client, "abc<|turn>one\n\nw", 3, 15);
    expect(client.calls.at(-1)?.content).toBe("<|turn>one\n\n");
    await tokens.prepareLine(client, "abc<|turn>two\nw", 3, 14);
    expect(client.calls.at(-1)?.content).toBe("<|turn>two\n");
    // no part before the line: nothing to do
    expect(tokens.prepareLine(client, "abc<|turn>", 3, 3)).toBeUndefined();
  });

  it("line ids of another engine process are not used", async () => {
    const e = engine(7);
    const tokens = new PrefixTokens(e.models);
    const client = fakeClient();
    await tokens.prepareLine(client, "abc<|turn>one\nx", 3, 14);
    e.status.engine.pid = 8;
    await tokens.ensure(client, "abc");
    expect(wire(tokens.promptFor(client, "abc<|turn>one\nx", 3, T, 14))).toEqual([2, 10, 11, "<|turn>one\nx"]);
  });

  it("a failed tokenize is retried by the next call, not cached", async () => {
    const tokens = new PrefixTokens(engine(7).models);
    const client = fakeClient();
    client.failNext();
    await expect(tokens.ensure(client, "abc")).rejects.toThrow("engine down");
    expect(await tokens.ensure(client, "abc")).toEqual([2, 10, 11]);
    // the same for the part before the cursor's line: text until a later request tokenizes it
    client.failNext();
    await expect(tokens.prepareLine(client, "abc<|turn>one\nx", 3, 14)).rejects.toThrow("engine down");
    expect(wire(tokens.promptFor(client, "abc<|turn>one\nx", 3, T, 14))).toEqual([2, 10, 11, "<|turn>one\nx"]);
    expect(await tokens.prepareLine(client, "abc<|turn>one\nx", 3, 14)).toEqual([2, 10, 11]);
  });
});

describe("splitBoundaries", () => {
  it("Gemma turns split at <|turn>; FIM at its file separator or prefix token", () => {
    expect(splitBoundaries("gemma-turns")).toEqual(["<|turn>"]);
    expect(splitBoundaries("native-fim", { prefix: "<P>", suffix: "<S>", middle: "<M>" })).toEqual(["<P>"]);
    expect(splitBoundaries("native-fim", { prefix: "<P>", suffix: "<S>", middle: "<M>", fileSeparator: "<F>" })).toEqual(["<F>", "<P>"]);
  });
});

describe("MixedPrompt on the wire", () => {
  it("is spliced into the request JSON as [ids…, text], equal to plain serialization, with the other fields intact", () => {
    const p = new MixedPrompt([1, 2, 3], 'say "hi"\n');
    const body = { n_predict: 4, stop: ["<turn|>"], prompt: p, cache_prompt: true };
    expect(JSON.parse(requestJson(body))).toEqual({ prompt: [1, 2, 3, 'say "hi"\n'], n_predict: 4, stop: ["<turn|>"], cache_prompt: true });
    expect(JSON.parse(requestJson(body))).toEqual(JSON.parse(JSON.stringify(body)));
    expect(JSON.parse(requestJson({ prompt: new MixedPrompt([5], "") }))).toEqual({ prompt: [5] });
    expect(requestJson({ prompt: "text", a: 1 })).toBe(JSON.stringify({ prompt: "text", a: 1 }));
  });

  it("packed for Hearth's engine: the ids as base64 int32 LE in hearth_prompt_ids, the text as the prompt", () => {
    const ids = [2, 105, 262143, 0, 70000];
    const p = new MixedPrompt(ids, 'say "hi"\n');
    const sent = JSON.parse(requestJson({ n_predict: 4, prompt: p, cache_prompt: true }, true));
    const bytes = Buffer.from(sent.hearth_prompt_ids, "base64");
    expect(Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readInt32LE(4 * i))).toEqual(ids);
    expect(sent).toEqual({ hearth_prompt_ids: sent.hearth_prompt_ids, prompt: 'say "hi"\n', n_predict: 4, cache_prompt: true });
    // nothing after the ids: an empty prompt string; no ids or a plain prompt: the ordinary form
    expect(JSON.parse(requestJson({ prompt: new MixedPrompt([5], "") }, true))).toEqual({ hearth_prompt_ids: "BQAAAA==", prompt: "" });
    expect(JSON.parse(requestJson({ prompt: new MixedPrompt([], "x") }, true))).toEqual({ prompt: ["x"] });
    expect(requestJson({ prompt: "text" }, true)).toBe(JSON.stringify({ prompt: "text" }));
    // encoded once per ids array (a workspace prefix is reused for every keystroke)
    expect(new MixedPrompt(ids, "").idsBase64()).toBe(sent.hearth_prompt_ids);
  });

  it("ids after the head: in the array form after the head's ids; packed or named, the prompt is [ids…, text]", () => {
    const p = new MixedPrompt([2, 105], "line", [9, 8]);
    expect(JSON.parse(requestJson({ prompt: p }))).toEqual({ prompt: [2, 105, 9, 8, "line"] });
    expect(JSON.parse(requestJson({ prompt: p }))).toEqual(JSON.parse(JSON.stringify({ prompt: p })));
    expect(JSON.parse(requestJson({ prompt: p }, true))).toEqual({ hearth_prompt_ids: new MixedPrompt([2, 105], "").idsBase64(), prompt: [9, 8, "line"] });
    expect(JSON.parse(requestJson({ prompt: p, id_slot: 0 }, true, true))).toEqual({ hearth_prompt_slot_prefix: { n: 2, digest: idsDigest([2, 105]) }, prompt: [9, 8, "line"], id_slot: 0 });
    expect(JSON.parse(requestJson({ prompt: new MixedPrompt([2], "", [9]) }, true)).prompt).toEqual([9]);
    expect(JSON.parse(requestJson({ prompt: new MixedPrompt([2], "", [9]) })).prompt).toEqual([2, 9]);
  });

  it("named, not sent, when the slot holds the ids: their count and digest in hearth_prompt_slot_prefix", () => {
    const ids = [2, 105, 262143, 0, 70000];
    const sent = JSON.parse(requestJson({ n_predict: 4, prompt: new MixedPrompt(ids, "x"), id_slot: 0 }, true, true));
    expect(sent).toEqual({ hearth_prompt_slot_prefix: { n: 5, digest: idsDigest(ids) }, prompt: "x", n_predict: 4, id_slot: 0 });
    expect(idsDigest(ids)).toMatch(/^[0-9a-f]{16}$/);
    expect(idsDigest([])).toBe("811c9dc59747b28c"); // the engine's starting values (patch 0010)
    expect(idsDigest(ids)).not.toBe(idsDigest([2, 105, 262143, 0, 70001]));
    expect(idsDigest([1, 2])).not.toBe(idsDigest([2, 1]));
    // an engine without packed ids (a remote one) gets the JSON array whatever the slot holds
    expect(JSON.parse(requestJson({ prompt: new MixedPrompt([5], "") }, false, true))).toEqual({ prompt: [5] });
  });
});
