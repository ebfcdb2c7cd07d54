// The real-browser half of the sign-in test: Debian's Chromium, headless, driven by
// playwright-core. It is the program `BROWSER` names (through chromium-browser.sh): it opens
// the authorization URL, clicks Approve or Deny on the sandbox's consent page (CHROMIUM_ACTION,
// default approve), waits for the loopback callback page, and writes that page's heading and
// text to CHROMIUM_LOG. Exit code 0 when the page was reached.
import { writeFileSync } from "node:fs";

import { launchChromium } from "./launch.mjs";

const url = process.argv[2];
const action = process.env.CHROMIUM_ACTION === "deny" ? "deny" : "approve";
const log = process.env.CHROMIUM_LOG;

const browser = await launchChromium();
let result = "";
try {
  const page = await browser.newPage();
  await page.goto(url, { timeout: 20000 });
  const consent = await page.locator("h1").innerText();
  await Promise.all([
    page.waitForURL(/127\.0\.0\.1:\d+\/callback/, { timeout: 20000 }),
    page.click(`#${action}`),
  ]);
  await page.waitForSelector("#title", { timeout: 30000 });
  const title = await page.locator("#title").innerText();
  const detail = await page.locator("#detail").innerText();
  result = `consent: ${consent}\ntitle: ${title}\ndetail: ${detail}\n`;
} catch (e) {
  result = `error: ${e.message}\n`;
} finally {
  await browser.close();
}
if (log) writeFileSync(log, result);
process.exit(result.startsWith("error") ? 1 : 0);
