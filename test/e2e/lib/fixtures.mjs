// The media in the fixture workspace, made at run time (no binaries in the repository):
//   assets/screenshot.png — chromium's screenshot of a small HTML error dialog (1024×768), or, without
//                           chromium, test/helpers/media.ts's makePng pattern;
//   assets/standup.wav    — a spoken stand-up (espeak-ng), 16 kHz mono PCM16 via sox, or makeWav's tone.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { CHROMIUM_FLAGS } from "./codeServer.mjs";

const DIALOG_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><style>
  body { margin: 0; background: #e9edf2; font: 14px "DejaVu Sans", Arial, sans-serif; color: #1f2328; }
  .app { position: absolute; inset: 0; padding: 24px 32px; }
  .toolbar { height: 40px; background: #2b3a55; color: #fff; margin: -24px -32px 24px; padding: 0 32px; display: flex; align-items: center; gap: 24px; }
  .toolbar b { font-size: 16px; }
  table { border-collapse: collapse; width: 100%; background: #fff; opacity: .55; }
  td, th { border-bottom: 1px solid #d0d7de; padding: 8px 12px; text-align: left; }
  .overlay { position: absolute; inset: 0; background: rgba(20, 24, 31, .45); }
  .dialog { position: absolute; left: 212px; top: 190px; width: 600px; background: #fff; border-radius: 8px; box-shadow: 0 12px 40px rgba(0,0,0,.35); }
  .title { display: flex; align-items: center; gap: 12px; padding: 18px 22px; border-bottom: 1px solid #d0d7de; font-size: 17px; font-weight: bold; }
  .icon { width: 28px; height: 28px; border-radius: 50%; background: #cf222e; color: #fff; display: grid; place-items: center; font-weight: bold; }
  .body { padding: 18px 22px; line-height: 1.5; }
  pre { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: 10px 12px; font: 12.5px "DejaVu Sans Mono", monospace; white-space: pre-wrap; margin: 12px 0 0; }
  .buttons { display: flex; justify-content: flex-end; gap: 10px; padding: 14px 22px 18px; }
  button { font: inherit; padding: 7px 16px; border-radius: 6px; border: 1px solid #d0d7de; background: #f6f8fa; }
  button.primary { background: #1f6feb; border-color: #1f6feb; color: #fff; }
</style></head><body>
<div class="app">
  <div class="toolbar"><b>Orders</b><span>Dashboard</span><span>Customers</span><span>Reports</span></div>
  <table><tr><th>Order</th><th>Customer</th><th>Lines</th><th>Total</th></tr>
  <tr><td>#10412</td><td>Acme GmbH</td><td>3</td><td>€ 1,204.50</td></tr>
  <tr><td>#10413</td><td>Globex</td><td>1</td><td>€ 89.00</td></tr>
  <tr><td>#10414</td><td>Initech</td><td>7</td><td>€ 3,310.20</td></tr>
  <tr><td>#10415</td><td>Umbrella</td><td>2</td><td>€ 412.75</td></tr></table>
</div>
<div class="overlay"></div>
<div class="dialog">
  <div class="title"><div class="icon">!</div>Could not save order #10414</div>
  <div class="body">The server rejected the request. Your changes have not been saved.
  <pre>TypeError: Cannot read properties of undefined (reading 'unitPrice')
    at total (src/orders.ts:22:41)
    at describeOrder (src/format.ts:9:57)
    at OrdersPage.save (src/pages/orders.tsx:118:19)</pre></div>
  <div class="buttons"><button>Copy details</button><button class="primary">Retry</button></div>
</div>
</body></html>`;

const STANDUP = [
  "Good morning everyone, this is the Tuesday stand-up for the orders team.",
  "Anna: yesterday I finished the discount rules for bulk orders. Today I will add tests for the rounding. No blockers.",
  "Ben: I am still on the save error in the orders page. Unit price is undefined when a line has no product. I need the product team to confirm the API change.",
  "Chen: the daily revenue report now runs in two seconds. Today I will move it to the nightly job.",
  "Decision: we ship the discount rules on Thursday. Action item: Ben to talk to the product team today.",
].join(" ");

function has(cmd) {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

/** Writes assets/screenshot.png and assets/standup.wav into `dir`; returns how each was made. */
export async function makeMediaFixtures({ dir, tools, mediaHelpers, env, log }) {
  fs.mkdirSync(dir, { recursive: true });
  const made = {};
  const png = path.join(dir, "screenshot.png");
  try {
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: tools.chromium, headless: true, args: CHROMIUM_FLAGS, env });
    try {
      const page = await browser.newPage({ viewport: { width: 1024, height: 768 }, deviceScaleFactor: 1 });
      await page.setContent(DIALOG_HTML);
      await page.screenshot({ path: png });
    } finally {
      await browser.close();
    }
    made.screenshot = "chromium (HTML error dialog, 1024×768)";
  } catch (e) {
    fs.writeFileSync(png, mediaHelpers.makePng(1024, 768));
    made.screenshot = `makePng 1024×768 (chromium screenshot failed: ${String(e.message || e).split("\n")[0]})`;
  }

  const wav = path.join(dir, "standup.wav");
  if (has("espeak-ng") && has("sox")) {
    const raw = path.join(dir, ".standup-raw.wav");
    const e = spawnSync("espeak-ng", ["-v", "en-us", "-s", "165", "-w", raw, STANDUP], { encoding: "utf8", env });
    const s = e.status === 0 ? spawnSync("sox", [raw, "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer", wav], { encoding: "utf8", env }) : e;
    fs.rmSync(raw, { force: true });
    if (e.status === 0 && s.status === 0) {
      const seconds = (fs.statSync(wav).size - 44) / 32000;
      made.standup = `espeak-ng + sox (${seconds.toFixed(1)} s, 16 kHz mono)`;
    } else {
      log?.(`espeak-ng/sox failed (${(s.stderr || "").trim().split("\n").pop()}); using a generated tone`);
    }
  }
  if (!made.standup) {
    fs.writeFileSync(wav, mediaHelpers.makeWav(20));
    made.standup = "makeWav (20 s tone; install espeak-ng and sox for a spoken stand-up)";
  }
  return made;
}
