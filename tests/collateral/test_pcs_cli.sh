#!/usr/bin/env bash
# Tests the command line against the PCS look-alike: a simulated platform
# made by "ratls sim init", its collateral served by pcs_serve on 127.0.0.1,
# then "ratls collateral fetch" into a bundle that verifies offline, and
# "ratls verify quote|cert --pccs-url" fetching what they need.
#
# Usage: test_pcs_cli.sh PATH/TO/ratls PATH/TO/pcs_serve

set -u

RATLS=${1:?usage: test_pcs_cli.sh PATH/TO/ratls PATH/TO/pcs_serve}
SERVE=${2:?usage: test_pcs_cli.sh PATH/TO/ratls PATH/TO/pcs_serve}

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

OUT=$WORK/stdout
ERR=$WORK/stderr
RC=0
FAILURES=0
CHECKS=0

run() {
	"$RATLS" "$@" >"$OUT" 2>"$ERR"
	RC=$?
}

fail() {
	FAILURES=$((FAILURES + 1))
	echo "FAIL: $1"
	sed -e 's/^/    stdout: /' "$OUT" | head -n 10
	sed -e 's/^/    stderr: /' "$ERR" | head -n 10
}

expect_rc() {
	CHECKS=$((CHECKS + 1))
	[ "$RC" -eq "$2" ] || fail "$1: exit status $RC, expected $2"
}

expect_out() {
	CHECKS=$((CHECKS + 1))
	grep -Eq -- "$2" "$OUT" || fail "$1: no stdout line matches /$2/"
}

expect_err() {
	CHECKS=$((CHECKS + 1))
	grep -Eq -- "$2" "$ERR" || fail "$1: no stderr line matches /$2/"
}

SEED=0011223344556677
CREATED=$(date -u +%s)
NOW=$CREATED
PLATFORM=$WORK/platform
ROOT=$PLATFORM/root.pem

# Starts pcs_serve in MODE and sets URL and ROOT_CRL_URL from its first line.
start_server() {
	"$SERVE" "$SEED" "$CREATED" "$NOW" "$1" >"$WORK/server.out" 2>"$WORK/server.err" &
	SERVER_PID=$!
	for _ in $(seq 1 100); do
		[ -s "$WORK/server.out" ] && break
		sleep 0.05
	done
	read -r URL ROOT_CRL_URL <"$WORK/server.out" || true
	if [ -z "${URL:-}" ]; then
		echo "FAIL: pcs_serve did not start"
		cat "$WORK/server.err"
		exit 1
	fi
}

stop_server() {
	kill "$SERVER_PID"
	wait "$SERVER_PID" 2>/dev/null
	SERVER_PID=
}

run sim init "$PLATFORM" --seed "$SEED" --at "$CREATED"
expect_rc "sim init" 0
run sim quote --platform "$PLATFORM" --out "$WORK/quote.bin"
expect_rc "sim quote" 0
run sim cert --platform "$PLATFORM" --out "$WORK/cert.pem" --key-out "$WORK/key.pem"
expect_rc "sim cert" 0

start_server pccs

# A bundle fetched online verifies offline, after the server has stopped.
run collateral fetch --quote "$WORK/quote.bin" --pccs-url "$URL" --trust-root "$ROOT" \
	--out "$WORK/bundle.json"
expect_rc "collateral fetch --quote" 0
expect_err "collateral fetch --quote" "fetched the collateral for FMSPC 53494d000000, ca=platform, tdx"

run collateral fetch --fmspc 53494D000000 --ca platform --tee sgx --pccs-url "$URL" \
	--trust-root "$ROOT" -o "$WORK/sgx-bundle.json"
expect_rc "collateral fetch --fmspc" 0

run verify quote --pccs-url "$URL" --trust-root "$ROOT" "$WORK/quote.bin"
expect_rc "verify quote --pccs-url" 0
expect_out "verify quote --pccs-url" "^verdict: +accepted$"

run verify cert --pccs-url "$URL" --trust-root "$ROOT" "$WORK/cert.pem"
expect_rc "verify cert --pccs-url" 0
expect_out "verify cert --pccs-url" "^RTMR3 replay: +match$"

# Without the simulated root the fetched collateral is rejected.
run collateral fetch --quote "$WORK/quote.bin" --pccs-url "$URL" -o "$WORK/x.json"
expect_rc "collateral fetch without the root" 13
expect_err "collateral fetch without the root" "RATLS_ERR_UNTRUSTED_ROOT"

# An unknown FMSPC: the PCCS returns 404.
run collateral fetch --fmspc 000000000000 --ca platform --tee tdx --pccs-url "$URL" \
	--trust-root "$ROOT" -o "$WORK/x.json"
expect_rc "collateral fetch unknown FMSPC" 18
expect_err "collateral fetch unknown FMSPC" "RATLS_ERR_SERVICE"

stop_server

run verify quote --collateral "$WORK/bundle.json" --trust-root "$ROOT" "$WORK/quote.bin"
expect_rc "bundle verifies offline" 0

run verify quote --pccs-url "$URL" --trust-root "$ROOT" "$WORK/quote.bin"
expect_rc "verify quote with the server down" 18
expect_err "verify quote with the server down" "RATLS_ERR_NETWORK"

# Intel's PCS layout: DER CRLs and the root CA CRL at its own URL.
start_server intel
run collateral fetch --quote "$WORK/quote.bin" --pcs-url "$URL" --root-crl-url "$ROOT_CRL_URL" \
	--trust-root "$ROOT" -o "$WORK/intel-bundle.json"
expect_rc "collateral fetch --pcs-url" 0
stop_server

# Usage errors.
run collateral fetch --quote "$WORK/quote.bin"
expect_rc "collateral fetch without a service" 2
run collateral fetch --pccs-url "$URL"
expect_rc "collateral fetch without a platform" 2
run collateral fetch --quote "$WORK/quote.bin" --fmspc 53494d000000 --pccs-url "$URL"
expect_rc "collateral fetch with two platforms" 2
run collateral fetch --fmspc 53494d00 --ca platform --tee tdx --pccs-url "$URL"
expect_rc "collateral fetch with a short FMSPC" 2
run collateral fetch --quote "$WORK/quote.bin" --pccs-url "http://192.0.2.1/" -o "$WORK/x.json"
expect_rc "collateral fetch over http to another host" 2
expect_err "collateral fetch over http to another host" "loopback"
run verify quote --pccs-url "$URL" --pcs-url "$URL" "$WORK/quote.bin"
expect_rc "verify quote with two services" 2
run verify quote --update sometimes --pccs-url "$URL" "$WORK/quote.bin"
expect_rc "verify quote with a bad --update" 2

echo "$CHECKS checks, $FAILURES failed"
[ "$FAILURES" -eq 0 ]
