#!/usr/bin/env bash
# Builds a release of analytics-mcp for this machine's target:
#   dist/out/analytics-mcp-<version>-<target>.tar.gz (+ .sha256)
#   dist/out/analytics-mcp-<version>-<target>.mcpb   (+ .sha256), the Claude Desktop bundle
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

cargo build --release --locked
mkdir -p "$out"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# The archive: the binary and the docs a user needs.
mkdir -p "$stage/$name"
cp "target/release/$exe" README.md CHANGELOG.md "$stage/$name/"
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
else
  echo "release.sh: $mcpb not found (run: bash .ci/install-clients); skipping the .mcpb bundle" >&2
fi
ls -l "$out"
