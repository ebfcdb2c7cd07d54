#!/usr/bin/env bash
# Runs the MCP conformance suite's client scenarios against analytics-mcp through
# tests/conformance/client.py, one scenario at a time, and prints `scenario: PASS|FAIL`.
#   tests/conformance/run.sh [SCENARIO...]   (default: the 37 of issues 16 and 24)
# Needs .ci/install-clients (the suite in .ci/node, Node 22 in .ci/node22, the Python MCP SDK
# in .ci/venv) and a built binary: $ANALYTICS_MCP_BIN, else target/debug/analytics-mcp.
# Results go to $OUT (a temp dir).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
node="$root/.ci/node22/node_modules/.bin/node"
python="${ANALYTICS_MCP_TEST_PYTHON:-$root/.ci/venv/bin/python}"
suite="$root/.ci/node/node_modules/@modelcontextprotocol/conformance/dist/index.js"
export ANALYTICS_MCP_BIN="${ANALYTICS_MCP_BIN:-${CARGO_TARGET_DIR:-$root/target}/debug/analytics-mcp}"
out="${OUT:-$(mktemp -d)}"
mkdir -p "$out"
if [ "$#" -eq 0 ]; then
  set -- initialize tools_call sse-retry request-metadata http-standard-headers http-invalid-tool-headers \
    auth/metadata-default auth/metadata-var1 auth/metadata-var2 auth/metadata-var3 auth/basic-cimd \
    auth/scope-from-www-authenticate auth/scope-from-scopes-supported auth/scope-omitted-when-undefined \
    auth/scope-step-up auth/scope-retry-limit auth/token-endpoint-auth-basic auth/token-endpoint-auth-post \
    auth/token-endpoint-auth-none auth/pre-registration auth/2025-03-26-oauth-metadata-backcompat \
    auth/2025-03-26-oauth-endpoint-fallback auth/resource-mismatch auth/offline-access-scope \
    auth/offline-access-not-supported auth/authorization-server-migration auth/iss-supported \
    auth/iss-not-advertised auth/iss-supported-missing auth/iss-wrong-issuer auth/iss-unexpected \
    auth/iss-normalized auth/metadata-issuer-mismatch \
    sep-2322-client-request-state http-custom-headers json-schema-2020-12-preservation \
    elicitation-sep1034-client-defaults
fi
passed=0
failed=0
for scenario in "$@"; do
  log="$out/$(echo "$scenario" | tr / _).log"
  if timeout 120 "$node" "$suite" client --command "$python $here/client.py" --scenario "$scenario" \
    --timeout 60000 -o "$out/results" >"$log" 2>&1 && grep -q "OVERALL: PASSED" "$log"; then
    echo "$scenario: PASS"
    passed=$((passed + 1))
  else
    echo "$scenario: FAIL"
    failed=$((failed + 1))
  fi
done
echo "conformance: $passed passed, $failed failed (logs in $out)"
