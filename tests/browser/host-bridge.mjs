// The MCP Apps host side, from the real @modelcontextprotocol/ext-apps package (pinned in
// .ci/node): tests/it/charts.rs bundles this file for the browser with esbuild, and
// view.mjs loads the bundle into the host page.
import { AppBridge, PostMessageTransport } from "@modelcontextprotocol/ext-apps/app-bridge";

window.AppBridge = AppBridge;
window.PostMessageTransport = PostMessageTransport;
