#!/usr/bin/env bash
# Refreshes the vendored chart libraries the HTML report inlines (vega, vega-lite, vega-embed)
# from the npm registry: minified UMD builds plus their LICENSE files, at pinned versions.
#
#   scripts/refresh-vega.sh                 # re-fetch the pinned versions below
#   scripts/refresh-vega.sh latest          # fetch the newest published versions
#   scripts/refresh-vega.sh 6.4.0 6.5.0 7.3.0   # explicit vega, vega-lite, vega-embed versions
#
# After bumping a major version of vega-lite, update VegaLite.SchemaUrl in
# src/Gradscope/Report/Charts/VegaLite.cs so the specs name the version that renders them.
set -euo pipefail
cd "$(dirname "$0")/.."

VEGA=6.4.0
VEGA_LITE=6.5.0
VEGA_EMBED=7.3.0
if [ "${1:-}" = "latest" ]; then
  VEGA=$(npm view vega version 2>/dev/null)
  VEGA_LITE=$(npm view vega-lite version 2>/dev/null)
  VEGA_EMBED=$(npm view vega-embed version 2>/dev/null)
elif [ $# -eq 3 ]; then
  VEGA=$1; VEGA_LITE=$2; VEGA_EMBED=$3
elif [ $# -ne 0 ]; then
  echo "usage: $0 [latest | VEGA VEGA_LITE VEGA_EMBED]" >&2; exit 2
fi

dest=src/Gradscope/Report/vendor
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fetch() { # package version -> unpacked into $tmp/package-name
  local pkg=$1 ver=$2
  (cd "$tmp" && npm pack --silent "$pkg@$ver" >/dev/null 2>&1) || { echo "npm pack $pkg@$ver failed" >&2; exit 1; }
  mkdir -p "$tmp/$pkg"
  tar xzf "$tmp/$pkg-$ver.tgz" -C "$tmp/$pkg"
}

mkdir -p "$dest"
for spec in "vega $VEGA" "vega-lite $VEGA_LITE" "vega-embed $VEGA_EMBED"; do
  set -- $spec
  fetch "$1" "$2"
  cp "$tmp/$1/package/build/$1.min.js" "$dest/$1.min.js"
  cp "$tmp/$1/package/LICENSE" "$dest/$1.LICENSE"
  actual=$(node -e "console.log(require('$tmp/$1/package/package.json').version)" 2>/dev/null || echo "$2")
  printf '%s@%s\n' "$1" "$actual"
done > "$tmp/versions"
cp "$tmp/versions" "$dest/VERSIONS"
cat "$dest/VERSIONS"
