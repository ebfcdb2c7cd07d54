#!/usr/bin/env bash
# Builds a release of analytics-mcp for this machine's target:
#   dist/out/analytics-mcp-<version>-<target>.tar.gz (+ .sha256)
#   dist/out/analytics-mcp-<version>-<target>.mcpb   (+ .sha256), the Claude Desktop bundle
#   dist/out/server.json, the MCP registry entry for that bundle (version, URL, fileSha256)
#   dist/out/client-metadata.json, our Client ID Metadata Document, for the GitHub Pages site
#   (https://<owner>.github.io/analytics-mcp/) whose URL is its client_id and the binary's
#   default client_metadata_url
# The binary is optimized and stripped (Cargo.toml: LTO, codegen-units = 1, strip).
# The bundle is packed with the @anthropic-ai/mcpb CLI from .ci/node (bash .ci/install-clients).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
target=$(rustc -vV | sed -n 's/^host: //p')
out="$root/dist/out"
name="analytics-mcp-$version-$target"
exe=analytics-mcp
case "$target" in *windows*) exe=analytics-mcp.exe ;; esac

# OWNER is the GitHub owner releases are published under: RELEASE_OWNER, else GitHub Actions'
# GITHUB_REPOSITORY_OWNER, else left as OWNER (then the binary has no default metadata URL).
owner="${RELEASE_OWNER:-${GITHUB_REPOSITORY_OWNER:-OWNER}}"
if [ "$owner" != OWNER ]; then
  export ANALYTICS_MCP_RELEASE_OWNER="$owner"
fi
# The product only: the sandbox (crates/sandbox) is a development tool, not shipped.
cargo build --release --locked -p analytics-mcp
# A budget for the binary users install (BENCHMARKS.md, Size, has what each part costs): a
# dependency or feature that takes it over fails the release here, not on a user's disk: at
# most 8 MB (issue 23; 7.90 MB with the release profile at `opt-level = "s"`, for speed).
max_bytes=8000000
bytes=$(wc -c < "target/release/$exe")
if [ "$bytes" -gt "$max_bytes" ]; then
  echo "release.sh: target/release/$exe is $bytes bytes, over the $max_bytes-byte budget (see BENCHMARKS.md, Size)" >&2
  exit 1
fi
mkdir -p "$out"
sed "s/OWNER/$owner/g" dist/client-metadata.json > "$out/client-metadata.json"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# The archive: the binary and the docs a user needs.
mkdir -p "$stage/$name"
cp "target/release/$exe" README.md CHANGELOG.md "$stage/$name/"
cp -r docs "$stage/$name/"   # the README links into docs/
tar -C "$stage" -czf "$out/$name.tar.gz" "$name"
(cd "$out" && sha256sum "$name.tar.gz" > "$name.tar.gz.sha256")

# The MCP Bundle: manifest + server/<binary>, checked and packed by the mcpb CLI.
mcpb="$root/.ci/node/node_modules/.bin/mcpb"
if [ -x "$mcpb" ]; then
  mkdir -p "$stage/bundle/server"
  sed "s/\"version\": \"[^\"]*\"/\"version\": \"$version\"/" dist/mcpb/manifest.json > "$stage/bundle/manifest.json"
  cp "target/release/$exe" "$stage/bundle/server/"
  "$mcpb" validate "$stage/bundle/manifest.json"
  "$mcpb" pack "$stage/bundle" "$out/$name.mcpb" > /dev/null
  (cd "$out" && sha256sum "$name.mcpb" > "$name.mcpb.sha256")

  # The registry entry points at this bundle, under the same owner.
  python3 - dist/server.json "$out/server.json" "$version" "$name.mcpb" \
    "$(cut -d' ' -f1 "$out/$name.mcpb.sha256")" "$owner" <<'PY'
import json, sys
src, dst, version, bundle, sha, owner = sys.argv[1:]
text = open(src, encoding="utf-8").read().replace("OWNER", owner)
entry = json.loads(text)
entry["version"] = version
package = entry["packages"][0]
package["version"] = version
package["identifier"] = (
    f"{entry['repository']['url']}/releases/download/v{version}/{bundle}"
)
package["fileSha256"] = sha
open(dst, "w", encoding="utf-8").write(json.dumps(entry, indent=2, ensure_ascii=False) + "\n")
PY
else
  echo "release.sh: $mcpb not found (run: bash .ci/install-clients); skipping the .mcpb bundle" >&2
fi
ls -l "$out"
