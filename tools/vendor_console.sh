#!/usr/bin/env bash
# Refresh the console's vendored JavaScript (app/console/static/vendor/) from the npm registry at
# the pinned versions below: `npm pack` each package, copy its browser build and its licence,
# and write README.md there with name, version, licence and sha256 of every file kept.
# Nothing is built: `make run` serves these files as they are (no Node at run time, no CDN).
# Usage: tools/vendor_console.sh            (needs npm; run from anywhere)
set -euo pipefail

# package@version  file in the package  -> name kept
PACKAGES=(
  "htmx.org@2.0.11 dist/htmx.min.js htmx.min.js"
  "cytoscape@3.34.4 dist/cytoscape.min.js cytoscape.min.js"
  "cytoscape-dagre@4.0.1 dist/cytoscape-dagre.min.js cytoscape-dagre.min.js"
)
# cytoscape-dagre 4 bundles @dagrejs/dagre in its file: its licence is kept too
LICENCE_ONLY=("@dagrejs/dagre@3.0.0")

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/app/console/static/vendor"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$DEST/licenses"

unpack() {  # package@version -> directory holding the unpacked package
  local spec="$1" dir="$WORK/$(echo "$1" | tr '/@' '__')"
  mkdir -p "$dir"
  (cd "$dir" && npm pack --silent "$spec" >/dev/null && tar xzf ./*.tgz)
  echo "$dir/package"
}

licence_of() {  # unpacked package dir, kept name -> copies its licence file, prints the licence id
  local pkg="$1" name="$2" file
  file="$(find "$pkg" -maxdepth 1 -iname 'licen[cs]e*' | head -1)"
  [ -n "$file" ] || { echo "no licence file in $name" >&2; exit 1; }
  cp "$file" "$DEST/licenses/$name.LICENSE"
  node -e "console.log(require('$pkg/package.json').license)"
}

{
  echo "# Vendored JavaScript of the console"
  echo
  echo "Fetched from the npm registry with \`npm pack\` by \`tools/vendor_console.sh\` (run it to"
  echo "refresh; change the pinned versions there). Served as they are under \`/ui/static/vendor/\`."
  echo "Licences: \`licenses/\`."
  echo
  echo "| File | Package | Version | Licence | sha256 |"
  echo "|---|---|---|---|---|"
} > "$WORK/README.md"

for entry in "${PACKAGES[@]}"; do
  read -r spec path kept <<<"$entry"
  name="${spec%@*}" version="${spec##*@}"
  pkg="$(unpack "$spec")"
  cp "$pkg/$path" "$DEST/$kept"
  licence="$(licence_of "$pkg" "$name")"
  sum="$(sha256sum "$DEST/$kept" | cut -d' ' -f1)"
  echo "| $kept | $name | $version | $licence | \`$sum\` |" >> "$WORK/README.md"
done
for spec in "${LICENCE_ONLY[@]}"; do
  name="${spec%@*}" version="${spec##*@}"
  pkg="$(unpack "$spec")"
  licence="$(licence_of "$pkg" "${name//\//_}")"
  echo "| (inside cytoscape-dagre.min.js) | $name | $version | $licence | - |" >> "$WORK/README.md"
done
cp "$WORK/README.md" "$DEST/README.md"
(cd "$DEST" && sha256sum ./*.js > SHA256SUMS)
echo "vendored into $DEST"
