// One way to start Debian's Chromium for the browser tests: headless, through playwright-core
// (the module PLAYWRIGHT_CORE names), at CHROMIUM_PATH or /usr/bin/chromium. The machine's
// network is closed, so no background traffic; no sandbox, since CI runs as root.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

export function launchChromium() {
  const { chromium } = require(process.env.PLAYWRIGHT_CORE);
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
