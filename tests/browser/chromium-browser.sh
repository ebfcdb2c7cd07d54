#!/bin/sh
# BROWSER for the real-browser sign-in test: hands the URL to chromium.mjs (headless Chromium
# driven by playwright-core from .ci/node). Node resolves playwright-core from .ci/node.
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$(dirname "$here")")"
PLAYWRIGHT_CORE="$root/.ci/node/node_modules/playwright-core" exec node "$here/chromium.mjs" "$1"
