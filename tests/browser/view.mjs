// The MCP Apps view (ui://analytics/chart.html) in Debian's Chromium, headless, under the real
// host bridge (AppBridge + PostMessageTransport from @modelcontextprotocol/ext-apps, bundled by
// tests/it/charts.rs). One browser launch for everything tests/it/charts.rs checks; the
// findings are printed as one JSON object on stdout, screenshots written to OUT_DIR.
//
// Inputs (env): PLAYWRIGHT_CORE, CHROMIUM_PATH, BRIDGE_JS, VIEW_HTML, SERIES_RESULT,
// BARS_RESULT (tool results as JSON files), SVG_FILE, TERMINAL_TXT, OUT_DIR.
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { launchChromium } from "./launch.mjs";

const read = (name) => readFileSync(process.env[name], "utf8");
const out = process.env.OUT_DIR;

const report = { requests: [], errors: [] };
const browser = await launchChromium();
try {
  const context = await browser.newContext({ viewport: { width: 720, height: 900 } });
  // Any request at all is a finding: the view must draw from what the host hands it.
  await context.route("**/*", (route) => {
    report.requests.push(route.request().url());
    return route.abort();
  });
  const page = await context.newPage();
  page.on("pageerror", (e) => report.errors.push(String(e)));
  page.on("request", (r) => {
    if (!/^(about|data|blob):/.test(r.url()) && !report.requests.includes(r.url())) {
      report.requests.push(r.url());
    }
  });
  await page.setContent("<!doctype html><html><body style=\"margin:0\"></body></html>");
  await page.addScriptTag({ content: read("BRIDGE_JS") });

  // A fresh sandboxed frame and bridge per scenario, as a host makes one per tool call: the
  // bridge listens before the view loads, the view initializes, the host sends input and result.
  await page.evaluate(() => {
    window.mount = async (id, html, args, result, theme) => {
      const frame = document.createElement("iframe");
      frame.id = id;
      frame.setAttribute("sandbox", "allow-scripts");
      frame.style.cssText = "width:720px;height:460px;border:0;display:block";
      document.body.appendChild(frame);
      const bridge = new window.AppBridge(
        null,
        { name: "analytics-mcp test host", version: "1.0.0" },
        { openLinks: {} },
        { hostContext: { theme, displayMode: "inline", platform: "desktop" } },
      );
      const sizes = [];
      bridge.onsizechange = (size) => {
        sizes.push(size);
        if (size.height) frame.style.height = `${Math.min(size.height, 900)}px`;
      };
      const initialized = new Promise((resolve) => {
        bridge.oninitialized = resolve;
      });
      await bridge.connect(new window.PostMessageTransport(frame.contentWindow, frame.contentWindow));
      frame.srcdoc = html;
      await initialized;
      await bridge.sendToolInput({ arguments: args });
      await bridge.sendToolResult(result);
      window.bridges = window.bridges || {};
      window.bridges[id] = { bridge, sizes };
    };
  });
  const html = read("VIEW_HTML");
  const series = JSON.parse(read("SERIES_RESULT"));
  const bars = JSON.parse(read("BARS_RESULT"));
  const frameOf = async (id) => (await page.$(`#${id}`)).contentFrame();

  // 1. The series, light theme.
  await page.evaluate(([h, r]) => window.mount("series", h, { period: "last_30_days" }, r, "light"), [html, series]);
  let view = await frameOf("series");
  await view.waitForSelector("circle.point", { timeout: 10000 });
  report.series = {
    points: await view.locator("circle.point").count(),
    dashed: await view.locator("polyline.previous").count(),
    tabs: await view.locator(".tabs button").allInnerTexts(),
    headline: await view.locator("#headline").innerText(),
    background: await view.evaluate(() => getComputedStyle(document.body).backgroundColor),
  };
  const svg = view.locator("svg").first();
  const box = await svg.boundingBox();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
  await view.waitForSelector("#tip", { state: "visible", timeout: 5000 });
  report.series.tip = await view.locator("#tip").innerText();
  await page.mouse.move(0, box.y + box.height + 300);
  await (await page.$("#series")).screenshot({ path: join(out, "view.png") });
  // Switch metric: the second tab.
  await view.locator(".tabs button").nth(1).click();
  await view.waitForSelector('.tabs button[aria-selected="true"]:nth-child(2)', { timeout: 5000 });
  report.switched = {
    headline: await view.locator("#headline").innerText(),
    points: await view.locator("circle.point").count(),
    selected: await view.locator('.tabs button[aria-selected="true"]').innerText(),
  };
  // The host turns dark.
  await page.evaluate(() => window.bridges.series.bridge.sendHostContextChange({ theme: "dark" }));
  await view.waitForFunction(() => document.documentElement.dataset.theme === "dark", null, { timeout: 5000 });
  report.dark = { background: await view.evaluate(() => getComputedStyle(document.body).backgroundColor) };
  await (await page.$("#series")).screenshot({ path: join(out, "view-dark.png") });
  report.sizes = await page.evaluate(() => window.bridges.series.sizes.length);

  // 2. A breakdown: bars.
  await page.evaluate(([h, r]) => window.mount("bars", h, {}, r, "light"), [html, bars]);
  view = await frameOf("bars");
  await view.waitForSelector("rect.point", { timeout: 10000 });
  report.bars = { points: await view.locator("rect.point").count() };

  // 3. A malformed result and an error result: the fallback, never a blank frame.
  const malformed = {
    content: [{ type: "text", text: "Traffic over time: 2026-11-01\nDate        Visitors\n2026-11-01         5" }],
    structuredContent: { columns: "not a list", rows: 7 },
    _meta: { "analytics-mcp/chart": { labels: [1], metrics: "no" } },
  };
  await page.evaluate(([h, r]) => window.mount("bad", h, {}, r, "light"), [html, malformed]);
  view = await frameOf("bad");
  await view.waitForSelector("#fallback", { timeout: 10000 });
  report.malformed = {
    text: await view.locator("#fallback").innerText(),
    cells: await view.locator("#fallback td").allInnerTexts(),
    points: await view.locator(".point").count(),
  };
  const error = {
    isError: true,
    content: [{ type: "text", text: "not signed in — run `analytics-mcp login` (or set ANALYTICS_MCP_API_KEY)" }],
  };
  await page.evaluate(([h, r]) => window.mount("error", h, {}, r, "light"), [html, error]);
  view = await frameOf("error");
  await view.waitForSelector("#fallback", { timeout: 10000 });
  report.error = { text: await view.locator("#fallback").innerText() };

  // 4. `call --svg`, rendered on its own.
  const chart = await context.newPage();
  await chart.setContent(read("SVG_FILE"));
  report.svg = {
    points: await chart.locator("circle.point").count(),
    dashed: await chart.locator("polyline.previous").count(),
  };
  await chart.screenshot({ path: join(out, "svg.png"), fullPage: true });

  // 5. The terminal chart as a terminal shows it, for the README.
  const term = await context.newPage();
  await term.setViewportSize({ width: 900, height: 400 });
  await term.setContent(
    "<!doctype html><meta charset=utf-8><body style=\"margin:0;background:#1e1e1e\"><pre id=t style=\"margin:0;padding:16px;color:#d4d4d4;font:14px/1.1 'DejaVu Sans Mono'; font-variant-ligatures:none;display:inline-block\"></pre>",
  );
  await term.evaluate((text) => {
    document.getElementById("t").textContent = text;
  }, read("TERMINAL_TXT"));
  await term.locator("#t").screenshot({ path: join(out, "terminal.png") });
} catch (e) {
  report.failure = String(e && e.stack ? e.stack : e);
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(report) + "\n");
process.exit(report.failure ? 1 : 0);
