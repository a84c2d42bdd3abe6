/**
 * Removes Gemma 4 thought blocks (`<|channel>…<channel|>`) from streamed text. The host asks the engine for
 * raw output (`reasoning_format: "none"`) rather than letting its reasoning parser split it: that parser
 * hides the whole answer whenever the model emits a stray channel token, which left users with an empty
 * bubble. Text is held back only while it could still be the start of a thought block.
 */
const OPEN = "<|channel>";
const CLOSE = "<channel|>";

export class ThoughtFilter {
  private pending = "";
  private inThought = false;

  /** Feeds streamed text; returns what can be shown now. */
  push(text: string): string {
    this.pending += text;
    let out = "";
    for (;;) {
      if (this.inThought) {
        const end = this.pending.indexOf(CLOSE);
        if (end < 0) {
          // Keep only what could be the start of the closing tag.
          this.pending = this.pending.slice(Math.max(0, this.pending.length - CLOSE.length + 1));
          return out;
        }
        this.pending = this.pending.slice(end + CLOSE.length);
        this.inThought = false;
        continue;
      }
      const start = this.pending.indexOf(OPEN);
      const stray = this.pending.indexOf(CLOSE);
      if (stray >= 0 && (start < 0 || stray < start)) {
        out += this.pending.slice(0, stray);
        this.pending = this.pending.slice(stray + CLOSE.length);
        continue;
      }
      if (start >= 0) {
        out += this.pending.slice(0, start);
        this.pending = this.pending.slice(start + OPEN.length);
        this.inThought = true;
        continue;
      }
      const hold = partialTagLength(this.pending);
      out += this.pending.slice(0, this.pending.length - hold);
      this.pending = this.pending.slice(this.pending.length - hold);
      return out;
    }
  }

  /** End of stream: whatever was held back and is not a thought. */
  flush(): string {
    const rest = this.inThought ? "" : this.pending;
    this.pending = "";
    return rest;
  }
}

/** Length of the longest suffix of `text` that is a proper prefix of either tag. */
function partialTagLength(text: string): number {
  for (let n = Math.min(text.length, OPEN.length - 1); n > 0; n--) {
    const tail = text.slice(text.length - n);
    if (OPEN.startsWith(tail) || CLOSE.startsWith(tail)) return n;
  }
  return 0;
}

export function stripThoughts(text: string): string {
  const f = new ThoughtFilter();
  return f.push(text) + f.flush();
}
