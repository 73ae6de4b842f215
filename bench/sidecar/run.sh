#!/usr/bin/env bash
# Compares pgbench through ratls-sidecar with pgbench against PostgreSQL's
# own TLS, on the same server in the same run, and prints the tps ratio
# (sidecar / direct) for many short connections (pgbench -C) and for long
# sessions. A third target, relay.c (a plain TCP relay that passes
# PostgreSQL's own TLS through), shows what one extra process hop costs on
# the machine without any TLS work in the hop.
#
# Usage: bench/sidecar/run.sh [BUILDDIR [SECONDS [CLIENTS [ROUNDS]]]]
#   BUILDDIR  meson build folder (default: build-bench in the repository),
#             configured with --buildtype=release when it is new
#   SECONDS   length of each pgbench run (default 20)
#   CLIENTS   pgbench clients (-c; default 4), with 2 threads (-j 2)
#   ROUNDS    rounds of the four runs, in alternating order (default 3);
#             the table shows the median of the rounds
#
# Setup, all in a temporary folder removed at the end:
#   - initdb and postgres on a free loopback port and a Unix socket, with
#     ssl=on and a self-signed P-256 certificate (the key type of the
#     sidecar's RA-TLS certificate), fsync=off, max_connections=100; run as
#     "nobody" when the script runs as root, because PostgreSQL refuses root
#   - "ratls sim init" and ratls-sidecar --simulate on another loopback port,
#     upstream over PostgreSQL's Unix socket, default options (log level
#     info, so two log lines per connection, written to a file)
#   - relay.c compiled with cc -O2, relaying a third port to PG_PORT
#   - pgbench -i -s 10, then select-only runs (-S) with sslmode=require:
#       direct   pgbench -h 127.0.0.1 -p PG_PORT       (TLS in the backend)
#       sidecar  pgbench -h 127.0.0.1 -p SIDECAR_PORT  (TLS in the sidecar)
#       relay    pgbench -h 127.0.0.1 -p RELAY_PORT    (TLS in the backend,
#                                                       one more hop)
#     each with -C (a new connection and TLS handshake per transaction) and
#     without (one session per client for the whole run).
#
# Needs the PostgreSQL server and client packages (scripts/install-deps.sh),
# openssl and python3 (to find free ports). Not part of the test suite.

set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
builddir="${1:-$repo_root/build-bench}"
seconds="${2:-20}"
clients="${3:-4}"
rounds="${4:-3}"

if [ ! -f "$builddir/build.ninja" ]; then
    meson setup "$builddir" "$repo_root" --buildtype=release >/dev/null
fi
ninja -C "$builddir" tools/sidecar/ratls-sidecar tools/ratls/ratls >/dev/null
sidecar_bin="$builddir/tools/sidecar/ratls-sidecar"
ratls_bin="$builddir/tools/ratls/ratls"

bindir=$(pg_config --bindir 2>/dev/null || true)
if [ ! -x "$bindir/postgres" ]; then
    bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
fi
for program in initdb postgres pgbench; do
    if [ ! -x "$bindir/$program" ]; then
        echo "run.sh: $program not found in '$bindir'; install the PostgreSQL packages" >&2
        exit 1
    fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/ratls-bench-sidecar-XXXXXX")
pg_pid=
sidecar_pid=
relay_pid=
# Stops what the script started. wait returns the killed process's status,
# so errexit is off here, or the first kill would end the cleanup.
cleanup() {
    set +e
    for pid in $relay_pid $sidecar_pid; do
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    if [ -n "$pg_pid" ]; then
        kill -INT "$pg_pid" 2>/dev/null
        wait "$pg_pid" 2>/dev/null
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# Runs a command as the PostgreSQL user: nobody when we are root.
as_pg_user() {
    if [ "$(id -u)" -eq 0 ]; then
        setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

if [ "$(id -u)" -eq 0 ]; then
    chown nobody:nogroup "$work"
fi
chmod 700 "$work"
pg_port=$(free_port)
as_pg_user "$bindir/initdb" -D "$work/data" -U postgres -A trust --no-sync -E UTF8 \
    --locale=C >"$work/initdb.log"
as_pg_user openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj /CN=localhost -days 2 -keyout "$work/server.key" -out "$work/server.crt" 2>/dev/null
as_pg_user chmod 600 "$work/server.key"
pg_command=("$bindir/postgres" -D "$work/data" -p "$pg_port" -k "$work"
    -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100
    -c ssl=on -c ssl_cert_file="$work/server.crt" -c ssl_key_file="$work/server.key")
# Started without a shell function, so that $! is the postmaster itself
# (setpriv executes it) and cleanup can wait for its shutdown.
if [ "$(id -u)" -eq 0 ]; then
    setpriv --reuid=nobody --regid=nogroup --clear-groups "${pg_command[@]}" \
        >"$work/postgres.log" 2>&1 &
else
    "${pg_command[@]}" >"$work/postgres.log" 2>&1 &
fi
pg_pid=$!
for _ in $(seq 100); do
    "$bindir/pg_isready" -q -h "$work" -p "$pg_port" -U postgres && break
    sleep 0.1
done

"$ratls_bin" sim init "$work/sim" >/dev/null 2>&1
sidecar_log="$work/sidecar.log"
"$sidecar_bin" --simulate "$work/sim" --listen 127.0.0.1:0 --http-listen off \
    --upstream "$work/.s.PGSQL.$pg_port" \
    2>"$sidecar_log" &
sidecar_pid=$!
for _ in $(seq 100); do
    grep -q 'event=ready' "$sidecar_log" 2>/dev/null && break
    sleep 0.1
done
sidecar_port=$(grep -o 'pg_address=[^ ]*' "$sidecar_log" | sed 's/.*://')
if [ -z "$sidecar_port" ]; then
    echo "run.sh: ratls-sidecar did not start:" >&2
    cat "$sidecar_log" >&2
    exit 1
fi

cc -std=c11 -D_DEFAULT_SOURCE -O2 -pthread -o "$work/relay" "$repo_root/bench/sidecar/relay.c"
relay_port=$(free_port)
"$work/relay" "$relay_port" "$pg_port" &
relay_pid=$!

"$bindir/pgbench" -h "$work" -p "$pg_port" -U postgres -i -s 10 -q postgres >/dev/null 2>&1

# Prints the tps of one pgbench run: target port, then extra pgbench options.
run_pgbench() {
    local port=$1
    shift
    PGSSLMODE=require "$bindir/pgbench" -h 127.0.0.1 -p "$port" -U postgres -S -n \
        -T "$seconds" -c "$clients" -j 2 "$@" postgres 2>&1 |
        sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1
}

median() {
    sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

declare -A results
targets=(direct sidecar relay)
for round in $(seq "$rounds"); do
    # Rotates the order of the targets from round to round.
    shift_by=$(((round - 1) % 3))
    order="${targets[*]:$shift_by} ${targets[*]:0:$shift_by}"
    for mode in short long; do
        options=()
        [ "$mode" = short ] && options=(-C)
        for target in $order; do
            case $target in
            direct) port=$pg_port ;;
            sidecar) port=$sidecar_port ;;
            relay) port=$relay_port ;;
            esac
            tps=$(run_pgbench "$port" "${options[@]}")
            echo "round $round $mode $target: $tps tps" >&2
            results[$mode.$target]+="$tps "
        done
    done
done

echo "pgbench -S, $clients clients, -j 2, $seconds s per run, median of $rounds rounds"
echo "| workload | PostgreSQL TLS (tps) | through ratls-sidecar (tps) | ratio | plain TCP relay (tps) | ratio |"
echo "|---|---|---|---|---|---|"
for mode in short long; do
    direct=$(echo "${results[$mode.direct]}" | tr ' ' '\n' | grep . | median)
    sidecar=$(echo "${results[$mode.sidecar]}" | tr ' ' '\n' | grep . | median)
    relay=$(echo "${results[$mode.relay]}" | tr ' ' '\n' | grep . | median)
    sidecar_ratio=$(awk -v s="$sidecar" -v d="$direct" 'BEGIN { printf "%.2f", s / d }')
    relay_ratio=$(awk -v s="$relay" -v d="$direct" 'BEGIN { printf "%.2f", s / d }')
    label="many short connections (-C)"
    [ "$mode" = long ] && label="long sessions"
    printf '| %s | %.0f | %.0f | %s | %.0f | %s |\n' "$label" "$direct" "$sidecar" \
        "$sidecar_ratio" "$relay" "$relay_ratio"
done
