#!/usr/bin/env bash
# Many workers on one PostgreSQL journal, killed and stopped while they drive the shipped monitors; then every run,
# the ledger and the fencing are checked, and the takeover latency after a kill is printed.
#   Scripts/failover-soak.sh [runs] [workers]      # defaults 200 4; uses CAIRN_TEST_POSTGRES, else starts a cluster
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${CAIRN_TEST_POSTGRES:-}" ]]; then eval "$(bash Scripts/postgres.sh start)"; fi
command -v psql > /dev/null || { echo "failover-soak needs psql (Debian's postgresql-client)"; exit 1; }
swift build --product cairn >&2
exec python3 Scripts/failover_soak.py "$(swift build --show-bin-path)/cairn" "${1:-200}" "${2:-4}"
