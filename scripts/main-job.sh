#!/usr/bin/env bash
# End-to-end demo of an attested PostgreSQL connection, on loopback only:
#   1. installs what is missing (scripts/install-deps.sh, as root) and builds
#      ratls, ratls-sidecar and examples/attested_query;
#   2. starts a throwaway PostgreSQL on a Unix socket in a temporary folder
#      (as "nobody" when run as root, because PostgreSQL refuses root);
#   3. creates a simulated TDX platform ("ratls sim init") and its collateral,
#      and starts ratls-sidecar in simulated mode in front of PostgreSQL, on
#      a free 127.0.0.1 port, with a chosen MRTD and compose hash;
#   4. connects with ratls_pq_connectdb (examples/attested_query): the full
#      check (quote, key binding, event log replay, policy with the MRTD and
#      compose hash pinned) under the simulated root, then runs a query and
#      prints the verified attestation;
#   5. shows that a different pinned MRTD is refused before any PostgreSQL
#      byte is sent;
#   6. stops everything and removes the folder.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# RATLS_BUILD_DIR selects another meson build folder.
build="${RATLS_BUILD_DIR:-$repo_root/build}"

# The simulated TD's identity, pinned on both sides.
demo_mrtd=$(printf 'a1%.0s' $(seq 48))
demo_compose_hash=$(printf 'ratls demo app-compose.json' | sha256sum | cut -d' ' -f1)
other_mrtd=$(printf 'b2%.0s' $(seq 48))

say() { printf '\n== %s\n' "$*"; }

find_pg_bindir() {
    local dir
    dir=$(pg_config --bindir 2>/dev/null || true)
    if [ -z "$dir" ] || [ ! -x "$dir/postgres" ]; then
        dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
    fi
    printf '%s' "$dir"
}

# ---- 1. dependencies and build ----
pg_bindir=$(find_pg_bindir)
if ! command -v meson >/dev/null || ! command -v ninja >/dev/null ||
    [ -z "$pg_bindir" ] || [ ! -x "$pg_bindir/initdb" ] ||
    ! pkg-config --exists libpq libevent_openssl cmocka 2>/dev/null; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "main-job.sh: build tools or PostgreSQL are missing; run 'sudo bash scripts/install-deps.sh'" >&2
        exit 1
    fi
    say "Installing the Debian packages ratls needs"
    bash "$repo_root/scripts/install-deps.sh"
    pg_bindir=$(find_pg_bindir)
fi

say "Building ratls"
if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" "$repo_root" >/dev/null
elif meson introspect "$build" --buildoptions 2>/dev/null | grep -q '"name": "tests", "value": false'; then
    # The example program is built with the tests.
    meson configure "$build" -Dtests=true >/dev/null
fi
ninja -C "$build" tools/ratls/ratls tools/sidecar/ratls-sidecar examples/attested_query >/dev/null
ratls="$build/tools/ratls/ratls"
sidecar="$build/tools/sidecar/ratls-sidecar"
client="$build/examples/attested_query"

# ---- 2. PostgreSQL ----
work=$(mktemp -d "${TMPDIR:-/tmp}/ratls-demo-XXXXXX")
pg_pid=
sidecar_pid=
cleanup() {
    [ -n "$sidecar_pid" ] && kill "$sidecar_pid" 2>/dev/null && wait "$sidecar_pid" 2>/dev/null
    # SIGINT is PostgreSQL's fast shutdown.
    [ -n "$pg_pid" ] && kill -INT "$pg_pid" 2>/dev/null && wait "$pg_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# PostgreSQL refuses to run as root, so as root it runs as the user
# "nobody". setpriv
# execs the program, so $! below is postgres itself and gets the SIGINT.
as_pg_user=()
if [ "$(id -u)" -eq 0 ]; then
    as_pg_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
fi

say "Starting a throwaway PostgreSQL in $work (Unix socket only)"
if [ "$(id -u)" -eq 0 ]; then
    chown nobody:nogroup "$work"
fi
chmod 700 "$work"
"${as_pg_user[@]}" "$pg_bindir/initdb" -D "$work/data" -U postgres -A trust --no-sync -E UTF8 \
    --locale=C >"$work/initdb.log"
"${as_pg_user[@]}" "$pg_bindir/postgres" -D "$work/data" -p 5432 -k "$work" -c listen_addresses= \
    -c fsync=off >"$work/postgres.log" 2>&1 &
pg_pid=$!
for _ in $(seq 150); do
    "$pg_bindir/pg_isready" -q -h "$work" -p 5432 -U postgres && break
    sleep 0.2
done
if ! "$pg_bindir/pg_isready" -q -h "$work" -p 5432 -U postgres; then
    echo "main-job.sh: PostgreSQL did not start:" >&2
    cat "$work/postgres.log" >&2
    exit 1
fi

# ---- 3. the simulated platform and the sidecar ----
say "Creating a simulated TDX platform and starting ratls-sidecar on 127.0.0.1"
"$ratls" sim init "$work/sim" >/dev/null 2>&1
"$ratls" sim collateral --platform "$work/sim" --out "$work/collateral.json" >/dev/null 2>&1
"$sidecar" --simulate "$work/sim" --simulate-mrtd "$demo_mrtd" \
    --simulate-compose-hash "$demo_compose_hash" \
    --listen 127.0.0.1:0 --http-listen off --upstream "$work/.s.PGSQL.5432" \
    2>"$work/sidecar.log" &
sidecar_pid=$!
for _ in $(seq 100); do
    grep -q 'event=ready' "$work/sidecar.log" 2>/dev/null && break
    sleep 0.1
done
port=$(grep -o 'pg_address=[^ ]*' "$work/sidecar.log" | sed 's/.*://' || true)
if [ -z "$port" ]; then
    echo "main-job.sh: ratls-sidecar did not start:" >&2
    cat "$work/sidecar.log" >&2
    exit 1
fi
echo "ratls-sidecar: RA-TLS port 127.0.0.1:$port, upstream $work/.s.PGSQL.5432"

# ---- 4. the attested connection ----
conninfo="host=127.0.0.1 port=$port user=postgres dbname=postgres
 ratls_collateral=$work/collateral.json ratls_trust_root=$work/sim/root.pem
 ratls_mrtd=$demo_mrtd ratls_compose_hash=$demo_compose_hash"
say "Connecting with ratls_pq_connectdb (examples/attested_query), full verification"
echo "conninfo: $conninfo"
"$client" "$conninfo" \
    "SELECT 'attested query ran on ' || split_part(version(), ' on ', 1) AS result"

# ---- 5. a pin that does not match ----
say "The same server with another MRTD pinned is refused before any PostgreSQL byte"
if "$client" "host=127.0.0.1 port=$port user=postgres dbname=postgres ratls_collateral=$work/collateral.json ratls_trust_root=$work/sim/root.pem ratls_mrtd=$other_mrtd" \
    "SELECT 1" 2>"$work/refused.log"; then
    echo "main-job.sh: a connection with a wrong MRTD was accepted" >&2
    exit 1
fi
grep -E 'connection failed|error class' "$work/refused.log"

say "Done; stopping ratls-sidecar and PostgreSQL and removing $work"
