#!/usr/bin/env bash
# The web page of `cairn serve` in a real browser: Debian's Chromium (installed when missing), headless, driven
# over the DevTools protocol by Scripts/check_web_page.py (websockets, pinned, in a venv under .build/). Starts a
# run that waits for approval, loads its page, answers the wait with the page's form, sees the run complete on
# the page and in the runs list; keeps a screenshot at .build/web-page.png.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
venv=.build/browser-venv
if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c "import websockets" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "websockets==17.4"
fi
swift build --product cairn >&2
timeout 300 "$venv/bin/python" Scripts/check_web_page.py "$(swift build --show-bin-path)/cairn" .build/web-page.png
