#!/usr/bin/env bash
# Loads `cairn draw --format html` in headless Chromium (Debian's chromium package; installed if missing)
# and checks that the graph is drawn: every step and event node is in the rendered DOM, and the screenshot
# is not blank. Offline: the page has no script and no network access.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
swift build --product cairn >&2
cairn="$(swift build --show-bin-path)/cairn"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
for workflow in hello feedback-monitor complex-feedback-monitor; do
    "$cairn" draw "$workflow" --format html -o "$work/$workflow.html"
    expected=$(grep -c 'class="node ' "$work/$workflow.html")
    dom=$(timeout 60 chromium --headless --no-sandbox --disable-gpu --dump-dom "file://$work/$workflow.html" 2>/dev/null)
    drawn=$(grep -o 'class="node [a-z]*"' <<<"$dom" | wc -l)
    timeout 60 chromium --headless --no-sandbox --disable-gpu --window-size=1400,1000 \
        --screenshot="$work/$workflow.png" "file://$work/$workflow.html" >/dev/null 2>&1
    bytes=$(stat -c %s "$work/$workflow.png" 2>/dev/null || echo 0)
    if [[ "$drawn" -eq "$expected" && "$expected" -gt 0 && "$bytes" -gt 20000 ]]; then
        echo "ok: $workflow — $drawn nodes in the rendered DOM, screenshot $bytes bytes"
    else
        echo "FAILED: $workflow — $drawn of $expected nodes rendered, screenshot $bytes bytes"
        failed=1
    fi
done
exit $failed
