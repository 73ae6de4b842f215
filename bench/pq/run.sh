#!/usr/bin/env bash
# Measures the cost of attested connections on one machine, in one run:
#   1. connection set-up (connect + PQfinish) to one ratls-sidecar port:
#      ratls_pq_connectdb with a warm verification cache, and with a cold one,
#      against plain libpq with sslmode=require (bench_pq_connect);
#   2. pgbench select-only (-S) through "ratls proxy" (Unix socket, TLS in
#      the proxy) against pgbench straight to the sidecar with
#      sslmode=require (TLS in libpq), with one session per client and with
#      a new connection per transaction (-C).
#
# Usage: bench/pq/run.sh [BUILDDIR [SECONDS [CLIENTS [ROUNDS]]]]
#   BUILDDIR  meson build folder (default: build-bench in the repository),
#             configured with --buildtype=release when it is new
#   SECONDS   length of each pgbench run (default 15)
#   CLIENTS   pgbench clients (-c; default 4), with 2 threads (-j 2)
#   ROUNDS    rounds of the pgbench runs, alternating the order (default 3);
#             the table shows each round and the median
#
# Setup, in a temporary folder removed at the end: initdb and postgres on a
# Unix socket only (fsync=off, max_connections=100, run as "nobody" when
# the script runs as root), "ratls sim init" and "ratls sim collateral",
# ratls-sidecar --simulate in front of PostgreSQL's socket, and "ratls
# proxy" with the simulated root as its trust root. Every ratls connection
# runs the full check (cold) or the cache lookup (warm) under that root.
#
# Needs the PostgreSQL server and client packages (scripts/install-deps.sh)
# and python3 (for a free port). Not part of the test suite.

set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
builddir="${1:-$repo_root/build-bench}"
seconds="${2:-15}"
clients="${3:-4}"
rounds="${4:-3}"

if [ ! -f "$builddir/build.ninja" ]; then
    meson setup "$builddir" "$repo_root" --buildtype=release >/dev/null
fi
ninja -C "$builddir" tools/sidecar/ratls-sidecar tools/ratls/ratls bench/bench_pq_connect \
    >/dev/null
sidecar_bin="$builddir/tools/sidecar/ratls-sidecar"
ratls_bin="$builddir/tools/ratls/ratls"
connect_bin="$builddir/bench/bench_pq_connect"

bindir=$(pg_config --bindir 2>/dev/null || true)
if [ ! -x "$bindir/postgres" ]; then
    bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
fi
for program in initdb postgres pg_isready pgbench; do
    if [ ! -x "$bindir/$program" ]; then
        echo "run.sh: $program not found in '$bindir'; install the PostgreSQL packages" >&2
        exit 1
    fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/ratls-bench-pq-XXXXXX")
pg_pid=
sidecar_pid=
proxy_pid=
stop_all() {
    [ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null && wait "$proxy_pid" 2>/dev/null
    [ -n "$sidecar_pid" ] && kill "$sidecar_pid" 2>/dev/null && wait "$sidecar_pid" 2>/dev/null
    [ -n "$pg_pid" ] && kill -INT "$pg_pid" 2>/dev/null && wait "$pg_pid" 2>/dev/null
    rm -rf "$work"
}
trap stop_all EXIT

# PostgreSQL refuses to run as root, so as root it runs as the user
# "nobody". setpriv
# execs the program, so $! below is postgres itself and gets the SIGINT.
as_pg_user=()
if [ "$(id -u)" -eq 0 ]; then
    as_pg_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
fi

wait_for_line() {
    local file=$1 pattern=$2
    for _ in $(seq 200); do
        grep -q "$pattern" "$file" 2>/dev/null && return 0
        sleep 0.05
    done
    echo "run.sh: '$pattern' did not appear in $file:" >&2
    cat "$file" >&2
    exit 1
}

# PostgreSQL's user must reach its own folder; the platform's seed stays in a 0700 folder.
chmod 711 "$work"
mkdir "$work/pg"
if [ "$(id -u)" -eq 0 ]; then
    chown nobody:nogroup "$work/pg"
fi
"${as_pg_user[@]}" "$bindir/initdb" -D "$work/pg/data" -U postgres -A trust --no-sync -E UTF8 \
    --locale=C >"$work/initdb.log"
"${as_pg_user[@]}" "$bindir/postgres" -D "$work/pg/data" -p 5432 -k "$work/pg" \
    -c listen_addresses= -c fsync=off -c max_connections=100 \
    >"$work/postgres.log" 2>&1 &
pg_pid=$!
for _ in $(seq 100); do
    "$bindir/pg_isready" -q -h "$work/pg" -p 5432 -U postgres && break
    sleep 0.1
done

"$ratls_bin" sim init "$work/sim" >/dev/null 2>&1
"$ratls_bin" sim collateral --platform "$work/sim" --out "$work/collateral.json" \
    >/dev/null 2>&1
"$sidecar_bin" --simulate "$work/sim" --listen 127.0.0.1:0 --http-listen off \
    --upstream "$work/pg/.s.PGSQL.5432" 2>"$work/sidecar.log" &
sidecar_pid=$!
wait_for_line "$work/sidecar.log" 'event=ready'
sidecar_port=$(grep -o 'pg_address=[^ ]*' "$work/sidecar.log" | sed 's/.*://')

mkdir -m 700 "$work/proxy"
"$ratls_bin" proxy --listen "$work/proxy" --upstream "127.0.0.1:$sidecar_port" \
    --collateral "$work/collateral.json" --trust-root "$work/sim/root.pem" \
    2>"$work/proxy.log" &
proxy_pid=$!
wait_for_line "$work/proxy.log" 'proxy listening'

echo "== connection set-up: connect + PQfinish, microseconds =="
"$connect_bin" "$sidecar_port" "$work/collateral.json" "$work/sim/root.pem" 200 5

"$bindir/pgbench" -i -s 10 -q -h "$work/pg" -p 5432 -U postgres postgres >/dev/null 2>&1

# Prints the tps of one pgbench run.
tps() {
    "$bindir/pgbench" -n -S -T "$seconds" -c "$clients" -j 2 "$@" -U postgres postgres 2>&1 |
        sed -n 's/^tps = \([0-9.]*\).*/\1/p'
}
direct() { PGSSLMODE=require tps -h 127.0.0.1 -p "$sidecar_port" "$@"; }
proxied() { tps -h "$work/proxy" -p "$sidecar_port" "$@"; }

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

for mode in sessions connections; do
    flag=()
    [ "$mode" = connections ] && flag=(-C)
    : >"$work/direct.$mode"
    : >"$work/proxied.$mode"
    for round in $(seq "$rounds"); do
        if [ $((round % 2)) -eq 1 ]; then
            direct "${flag[@]}" >>"$work/direct.$mode"
            proxied "${flag[@]}" >>"$work/proxied.$mode"
        else
            proxied "${flag[@]}" >>"$work/proxied.$mode"
            direct "${flag[@]}" >>"$work/direct.$mode"
        fi
    done
    d=$(median <"$work/direct.$mode")
    p=$(median <"$work/proxied.$mode")
    echo "== pgbench -S, $mode ($([ "$mode" = connections ] && echo "-C, " || true)$clients clients, ${seconds}s x $rounds) =="
    echo "direct  (sslmode=require to the sidecar): $(tr '\n' ' ' <"$work/direct.$mode")-> median $d tps"
    echo "proxied (ratls proxy, Unix socket):       $(tr '\n' ' ' <"$work/proxied.$mode")-> median $p tps"
    awk -v p="$p" -v d="$d" 'BEGIN { printf "ratio proxied / direct: %.3f\n", p / d }'
done
echo "proxy sessions: $(grep -c 'verified' "$work/proxy.log") verified, $(grep -c 'rejected' "$work/proxy.log" || true) rejected"
