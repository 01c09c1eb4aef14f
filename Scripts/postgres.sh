#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the tests, under .build/postgres, on a free loopback port, with a password, and
# TLS on with a self-signed certificate for 127.0.0.1 (clients choose: the tests connect with and without it).
#   eval "$(Scripts/postgres.sh start)"   # installs Debian's postgresql when missing, starts the cluster, sets
#                                         # CAIRN_TEST_POSTGRES and CAIRN_TEST_POSTGRES_CA (the certificate, to trust)
#   eval "$(Scripts/postgres.sh start --durable)"  # the same, flushing to disk as a production server does (benchmarks)
#   Scripts/postgres.sh stop              # stops it (its files stay under .build/postgres until the next start)
# `start` prints the one line to evaluate on stdout, and what it did on stderr.
# Without --durable the cluster does not flush to disk (fsync=off): nothing here survives a crash of the server, and
# the tests create and drop a database each — with fsync on, every DROP DATABASE's checkpoint flushed every database
# created since the last, and under a loaded disk the suite's tests waited on that for tens of seconds.
# initdb refuses to run as root: as root, the cluster belongs to the `postgres` user the Debian package creates.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cluster="$root/.build/postgres"

as_owner() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

pg_bin() {
    local bin
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    [[ -n "$bin" ]] || return 1
    echo "$bin"
}

start() {
    local durability="-c fsync=off -c full_page_writes=off"
    case "${1:-}" in
        --durable) durability="-c fsync=on" ;;
        "") ;;
        *) echo "postgres.sh: unknown option '$1'; the one option of start is --durable" >&2; exit 64 ;;
    esac
    local need=()
    pg_bin > /dev/null || need+=(postgresql)
    command -v openssl > /dev/null || need+=(openssl)
    if ((${#need[@]})); then
        echo "installing: ${need[*]}" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" > /dev/null
    fi
    local bin port password
    bin=$(pg_bin)
    stop 2> /dev/null || true
    rm -rf "$cluster"
    mkdir -p "$cluster/sockets"
    password="cairn-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
    echo "$password" > "$cluster/password"
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
        -keyout "$cluster/server.key" -out "$cluster/server.crt" 2> "$cluster/openssl.log"
    chmod 600 "$cluster/server.key"
    [[ $(id -u) == 0 ]] && chown -R postgres "$cluster"
    chmod 700 "$cluster"
    as_owner "$bin/initdb" -D "$cluster/data" -U cairn --pwfile="$cluster/password" --auth=scram-sha-256 -E UTF8 > "$cluster/initdb.log"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$bin/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w -o "-p $port -k $cluster/sockets -c listen_addresses=127.0.0.1 $durability \
        -c ssl=on -c ssl_cert_file=$cluster/server.crt -c ssl_key_file=$cluster/server.key" start > /dev/null
    PGPASSWORD="$password" "$bin/createdb" -h 127.0.0.1 -p "$port" -U cairn cairn_test
    echo "postgresql: a throw-away cluster on 127.0.0.1:$port ($("$bin/postgres" --version)), data under .build/postgres" >&2
    echo "export CAIRN_TEST_POSTGRES='postgres://cairn:$password@127.0.0.1:$port/cairn_test' CAIRN_TEST_POSTGRES_CA='$cluster/server.crt'"
}

stop() {
    local bin
    bin=$(pg_bin) || return 0
    [[ -d "$cluster/data" ]] && as_owner "$bin/pg_ctl" -D "$cluster/data" -m fast -w stop > /dev/null
}

case "${1:-}" in
    start) start "${2:-}" ;;
    stop) stop ;;
    *) echo "usage: eval \"\$(Scripts/postgres.sh start [--durable])\" | Scripts/postgres.sh stop" >&2; exit 64 ;;
esac
