import { describe, expect, it } from "vitest";
import { withoutUnusableEarlierMedia } from "../../server/chat/service";
import type { ChatMessage, EngineInfo } from "../../server/protocol";

const engine = (vision: boolean, audio: boolean): { info: EngineInfo } => ({
  info: { kind: "local", restarts: 0, mtp: false, vision, audio, nativeFim: false },
});
const image = { type: "image" as const, data: "iVBORw0KGgo=", mimeType: "image/png" };
const audio = { type: "audio" as const, data: "UklGRg==", mimeType: "audio/wav" };

describe("earlier turns' media the loaded model cannot take (a model selected after they were attached)", () => {
  const conversation: ChatMessage[] = [
    { role: "user", content: [image, audio, { type: "text", text: "What happened here?" }] },
    { role: "assistant", content: "A dialog and a recording." },
    { role: "user", content: [image, { type: "text", text: "And now?" }] },
    { role: "assistant", content: "" },
  ];

  it("become a line of text; the message being sent (the last user message) keeps its media", () => {
    const out = withoutUnusableEarlierMedia(engine(false, false), conversation);
    expect(out[0].content).toEqual([
      { type: "text", text: "[an image the current model cannot see]" },
      { type: "text", text: "[a recording the current model cannot hear]" },
      { type: "text", text: "What happened here?" },
    ]);
    expect(out[1]).toBe(conversation[1]);
    expect(out[2]).toBe(conversation[2]); // refused later, with no-vision, as before
  });

  it("only what the model lacks: with vision, images stay and recordings become a line", () => {
    const out = withoutUnusableEarlierMedia(engine(true, false), conversation);
    expect(out[0].content).toEqual([image, { type: "text", text: "[a recording the current model cannot hear]" }, { type: "text", text: "What happened here?" }]);
    expect(withoutUnusableEarlierMedia(engine(true, true), conversation)).toEqual(conversation);
  });
});
