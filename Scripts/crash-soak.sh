#!/usr/bin/env bash
# Crash soak: repeats random crash scenarios against the real `cairn` binary and checks every journal.
#   Scripts/crash-soak.sh 200        # prints "200 passed, 0 failed" when all is well
# Each scenario runs a monitor workflow, kills it with SIGKILL (at a random crash point or a random time,
# sometimes twice), resumes it, and checks: the run completed; event seqs are gapless; no committed step
# ran again; one ledger row per cycle, none duplicated; stock equals the ledger's sum; and the decisions
# equal those of an uninterrupted run with the same seed. The journal file alone, copied after the last
# process exits, must hold the same. One scenario in five also damages the interrupted run (an event name
# its workflow does not know) and checks it becomes a dead letter, reported once, then reopened when repaired.
# A third ask for approval of every order (`approveOver`): a thread answers each waiting order with `cairn send`
# (its key the run and execution), kill points include those around receiving events and waiting, and the check
# adds that each sent event was journaled once and every order approved once. Some are finished by a
# `cairn worker` instead of `resume --all`. A third run `modular-feedback-monitor`, whose decisions are published
# and carried out by `order-station` runs (one per decision, started in the publishing commit): kill points include
# the moment after a publishing commit is durable and before its station runs start, and the check adds one station
# run per published event, each completed, and the ledger written by the stations.
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-50}"
swift build --product cairn >&2
exec python3 Scripts/crash_soak.py "$count" "$(swift build --show-bin-path)/cairn"
