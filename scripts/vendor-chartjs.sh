#!/usr/bin/env bash
# Refresh the vendored Chart.js (UMD build) that the reports page loads from Okno itself (no
# CDN): fetch the package from the npm registry, copy its minified UMD build and licence.
set -euo pipefail
VERSION="${1:-4.6.2}"
HERE="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && npm pack --silent "chart.js@$VERSION" >/dev/null 2>&1 && tar xzf chart.js-*.tgz)
# The source map is not shipped, so its reference goes too.
sed 's|//# sourceMappingURL=.*||' "$WORK/package/dist/chart.umd.min.js" > "$HERE/agent_ui/static/chart.umd.min.js"
cp "$WORK/package/LICENSE.md" "$HERE/agent_ui/static/chart.LICENSE.md"
echo "Chart.js $VERSION vendored into agent_ui/static/"
