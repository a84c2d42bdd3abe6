/**
 * The media commands (src/media.ts) against a stand-in `vscode`: a failed Summarize Meeting Recording ends its
 * progress notification before the error shows (it used to stay, with Cancel, as long as the error was open);
 * a bad file offers "Choose Another File…", an engine failure "Show Logs"; Restart Model Host is not an error.
 * Explain Screenshot checks the file's content and names it.
 */
import { beforeEach, describe, expect, it, vi } from "vitest";

const fake = vi.hoisted(() => {
  const events: string[] = [];
  /** what the progress notification was told */
  const reports: { message?: string; increment?: number }[] = [];
  /** the button clicked on the next error message (undefined = dismissed) */
  const answers: (string | undefined)[] = [];
  let progressOpen = false;
  const files = new Map<string, Uint8Array>();
  const picks: string[] = [];
  const vscode = {
    ProgressLocation: { Notification: 15 },
    window: {
      withProgress: async (opts: { title: string }, task: (p: { report(v: { message?: string; increment?: number }): void }, token: { isCancellationRequested: boolean }) => Promise<unknown>) => {
        progressOpen = true;
        events.push(`progress: ${opts.title}`);
        try {
          return await task({ report: (v: { message?: string; increment?: number }) => void reports.push(v) }, { isCancellationRequested: false });
        } finally {
          progressOpen = false;
          events.push("progress closed");
        }
      },
      showErrorMessage: vi.fn(async (message: string, ...actions: string[]) => {
        events.push(`error${progressOpen ? " (under the progress)" : ""}: ${message} [${actions.join(", ")}]`);
        return answers.shift();
      }),
      showOpenDialog: vi.fn(async () => {
        const p = picks.shift();
        events.push(`open dialog${p ? `: ${p}` : ""}`);
        return p ? [{ fsPath: p }] : undefined;
      }),
      showTextDocument: async () => undefined,
    },
    workspace: {
      openTextDocument: async (o: { content: string }) => {
        events.push(`document: ${o.content}`);
        return { getText: () => o.content };
      },
      fs: {
        stat: async (u: { fsPath: string }) => {
          const f = files.get(u.fsPath);
          if (!f) throw new Error("ENOENT");
          return { size: f.length };
        },
        readFile: async (u: { fsPath: string }) => files.get(u.fsPath)!,
      },
    },
    commands: { executeCommand: vi.fn(async (id: string) => void events.push(`command: ${id}`)) },
  };
  return { vscode, events, reports, answers, files, picks };
});
vi.mock("vscode", () => fake.vscode);
vi.mock("vscode-languageclient/node", () => ({}));

const { summarizeMeeting, explainScreenshot, mediaErrorActions, listeningMessage } = await import("../../src/media");
const { HostStoppedError } = await import("../../src/hostStopped");

const hostError = (code: string, message: string) => Object.assign(new Error(message), { data: { hearth: { code, message } } });
const uri = (p: string) => ({ fsPath: p }) as never;

function host(...outcomes: (() => Promise<unknown>)[]) {
  return { summarizeAudio: vi.fn(async () => outcomes.shift()!()) } as never as { summarizeAudio: ReturnType<typeof vi.fn> };
}

beforeEach(() => {
  fake.events.length = 0;
  fake.reports.length = 0;
  fake.answers.length = 0;
  fake.picks.length = 0;
  fake.files.clear();
});

describe("Summarize Meeting Recording progress", () => {
  it("fills the bar as the model goes through the recording, with the time left once a slice is timed, then counts the summary", async () => {
    const h = {
      summarizeAudio: vi.fn(async (_file: string, onText: (t: string) => void, _token: unknown, onPrompt: (p: object) => void) => {
        onPrompt({ processed: 0, total: 22_500, cached: 0, ms: 0 });
        onPrompt({ processed: 2_048, total: 22_500, cached: 0, ms: 40_000 });
        onPrompt({ processed: 20_480, total: 22_500, cached: 0, ms: 400_000 });
        onPrompt({ processed: 22_500, total: 22_500, cached: 0, ms: 440_000 });
        onText("## Participants");
        return { markdown: "# Meeting summary" };
      }),
    };
    await summarizeMeeting(h as never, uri("/rec/standup.m4a"));
    expect(fake.reports).toEqual([
      { message: "listening to the recording…" },
      { message: "listening to the recording… 0%", increment: 0 },
      { message: "listening to the recording… 9%, about 7 min left", increment: 9 },
      { message: "listening to the recording… 91%, less than a minute left", increment: 82 },
      { message: "listening to the recording… 100%", increment: 9 },
      { message: "writing the summary… (15 characters)" },
    ]);
  });

  it("says no time left before the engine has timed anything, nor for what its cache held", () => {
    expect(listeningMessage({ processed: 10, total: 100, cached: 10, ms: 5000 })).toBe("listening to the recording… 10%");
    expect(listeningMessage({ processed: 50, total: 100, cached: 0, ms: 500 })).toBe("listening to the recording… 50%");
    // A recording in parts: a part's notes being written, after its prompt.
    expect(listeningMessage({ processed: 40, total: 120, cached: 0, ms: 9000, part: 1, parts: 3, notes: 412 })).toBe("writing notes on part 1 of 3… (412 characters)");
    expect(listeningMessage({ processed: 50, total: 100, cached: 10, ms: 40_000 })).toBe("listening to the recording… 50%, less than a minute left");
  });

  it("names the part of a recording summarized in parts", () => {
    expect(listeningMessage({ processed: 9_000, total: 22_500, cached: 0, ms: 180_000, part: 2, parts: 3 })).toBe(
      "listening to the recording (part 2 of 3, longer than the context)… 40%, about 5 min left",
    );
  });
});

describe("Summarize Meeting Recording errors", () => {
  it("ends the progress before a bad file's error, which offers another file instead of the logs", async () => {
    const h = host(
      async () => {
        throw hostError("unreadable-media", "The engine could not decode the attached image or audio (the file is damaged or truncated).");
      },
      async () => ({ markdown: "# Meeting summary\n\nok" }),
    );
    fake.answers.push("Choose Another File…");
    fake.picks.push("/ws/good.wav");
    expect(await summarizeMeeting(h as never, uri("/ws/corrupt.wav"))).toBeUndefined();
    await vi.waitFor(() => expect(fake.events.at(-1)).toMatch(/^document: /));
    expect(fake.events).toEqual([
      "progress: Hearth: summarizing corrupt.wav",
      "progress closed",
      "error: Hearth: corrupt.wav: The engine could not decode the attached image or audio (the file is damaged or truncated). [Choose Another File…]",
      "open dialog: /ws/good.wav",
      "progress: Hearth: summarizing good.wav",
      "progress closed",
      "document: # Meeting summary\n\nok",
    ]);
  });

  it("offers Show Logs for an engine failure, and says nothing when Restart Model Host ended it", async () => {
    fake.answers.push("Show Logs");
    await summarizeMeeting(host(async () => {
      throw hostError("engine-crashed", "The engine stopped unexpectedly.");
    }) as never, uri("/ws/standup.wav"));
    await vi.waitFor(() => expect(fake.events).toContain("command: hearth.showLogs"));
    expect(fake.events[2]).toBe("error: Hearth: The engine stopped unexpectedly. [Show Logs]");
    fake.events.length = 0;
    await summarizeMeeting(host(async () => {
      throw new HostStoppedError();
    }) as never, uri("/ws/standup.wav"));
    await new Promise((r) => setTimeout(r, 0));
    expect(fake.events).toEqual(["progress: Hearth: summarizing standup.wav", "progress closed"]);
  });

  it("names the action that helps for each error", () => {
    expect(mediaErrorActions("unsupported-media")).toEqual(["Choose Another File…"]);
    expect(mediaErrorActions("media-too-large")).toEqual(["Choose Another File…"]);
    expect(mediaErrorActions("context-too-long")).toEqual(["Choose Another File…"]);
    expect(mediaErrorActions("no-audio")).toEqual(["Select Model", "Show Logs"]);
    expect(mediaErrorActions("engine-crashed")).toEqual(["Show Logs"]);
    expect(mediaErrorActions(undefined)).toEqual(["Show Logs"]);
  });
});

describe("Explain Screenshot errors", () => {
  const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  const JPEG = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1]);

  it("refuses a file whose content is not an image, by name, offering another file", async () => {
    fake.files.set("/ws/notes.png", new TextEncoder().encode("just some text, not a picture"));
    fake.files.set("/ws/real.png", PNG);
    const chat = { explainImage: vi.fn(async () => {}) };
    fake.answers.push("Choose Another File…");
    fake.picks.push("/ws/real.png");
    await explainScreenshot(chat as never, uri("/ws/notes.png"));
    await vi.waitFor(() => expect(chat.explainImage).toHaveBeenCalledTimes(1));
    expect(fake.events[0]).toBe("error: Hearth: notes.png is not a PNG, JPEG, WebP, GIF or BMP image (its content does not match any of them). [Choose Another File…]");
    expect(chat.explainImage).toHaveBeenCalledWith({ name: "real.png", mimeType: "image/png", data: Buffer.from(PNG).toString("base64") });
  });

  it("sends the type the content has, not the one the name says", async () => {
    fake.files.set("/ws/photo.png", JPEG);
    const chat = { explainImage: vi.fn(async () => {}) };
    await explainScreenshot(chat as never, uri("/ws/photo.png"));
    expect(chat.explainImage).toHaveBeenCalledWith(expect.objectContaining({ name: "photo.png", mimeType: "image/jpeg" }));
    expect(fake.events).toEqual([]);
  });
});
