#!/usr/bin/env bash
# Fuzzes `cairn serve` against its own contract with schemathesis (pinned, in a venv under .build/): every
# operation of /openapi.yaml, examples, coverage, fuzzed and stateful phases, bounded in examples and time. Fails on
# a 5xx, a response the document does not allow, a missing or accepted-without-token auth, or a hang.
#   Scripts/fuzz-api.sh [max-examples]     # default 30
# Not checked: that a schema-valid request is accepted — a run's input and an event's payload are checked against
# the workflow's own types, which the contract does not describe, so a 422 naming the field is a right answer.
set -euo pipefail
cd "$(dirname "$0")/.."
examples="${1:-30}"
venv=.build/schemathesis-venv
if [[ ! -x "$venv/bin/st" ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "schemathesis==4.32.5"
fi
swift build --product cairn >&2
scratch=$(mktemp -d)
token="fuzz-$RANDOM$RANDOM"
# Decisions for the inventory's audit and ledger to answer with (its documented example SKU is Apple).
"$(swift build --show-bin-path)/cairn" run feedback-monitor --db "$scratch/fuzz.sqlite" \
    --input '{"sku": "Apple", "cycles": 2, "delayMs": 0}' > /dev/null
"$(swift build --show-bin-path)/cairn" serve --port 0 --token "$token" --db "$scratch/fuzz.sqlite" 2> "$scratch/serve.err" &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -rf "$scratch"' EXIT
for _ in $(seq 100); do
    grep -qs "cairn: serving " "$scratch/serve.err" && break
    sleep 0.1
done
address=$(grep -o "http://127.0.0.1:[0-9]*" "$scratch/serve.err" | head -1)
[[ -n "$address" ]] || { echo "the server did not start:"; cat "$scratch/serve.err"; exit 1; }
timeout 600 "$venv/bin/st" run "$address/openapi.yaml" -H "Authorization: Bearer $token" --checks all \
    --exclude-checks positive_data_acceptance --max-examples "$examples" --request-timeout 10 --seed 20261206 ${FUZZ_VERBOSE:+}
kill -TERM "$server"
wait "$server" || { echo "the server did not stop cleanly:"; tail -5 "$scratch/serve.err"; exit 1; }
echo "schemathesis: no failure against /openapi.yaml"
