#!/usr/bin/env bash
# Tests the command line against the ITA look-alike: a simulated platform
# made by "ratls sim init", a quote and a certificate from it, and
# "ratls verify quote|cert --verifier ita" against ita_serve on 127.0.0.1,
# with the API key from a file or from INTEL_TRUST_AUTHORITY_API_KEY.
#
# Usage: test_ita_cli.sh PATH/TO/ratls PATH/TO/ita_serve

set -u

RATLS=${1:?usage: test_ita_cli.sh PATH/TO/ratls PATH/TO/ita_serve}
SERVE=${2:?usage: test_ita_cli.sh PATH/TO/ratls PATH/TO/ita_serve}

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
# The key ita_server.h accepts.
API_KEY=test-api-key-0123456789

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

expect_no_key() {
	CHECKS=$((CHECKS + 1))
	if grep -q -- "$API_KEY" "$OUT" "$ERR"; then
		fail "$1: the API key was printed"
	fi
}

NOW=$(date -u +%s)
PLATFORM=$WORK/platform
KEY_FILE=$WORK/ita.key
printf '%s\n' "$API_KEY" >"$KEY_FILE"
unset INTEL_TRUST_AUTHORITY_API_KEY

run sim init "$PLATFORM" --seed 0011223344556677 --at "$NOW"
expect_rc "sim init" 0
run sim quote --platform "$PLATFORM" --out "$WORK/quote.bin"
expect_rc "sim quote" 0
run sim cert --platform "$PLATFORM" --out "$WORK/cert.pem" --key-out "$WORK/key.pem"
expect_rc "sim cert" 0

"$SERVE" "$NOW" >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER_PID=$!
for _ in $(seq 1 100); do
	[ -s "$WORK/server.out" ] && break
	sleep 0.05
done
read -r URL JWKS_URL <"$WORK/server.out" || true
if [ -z "${URL:-}" ]; then
	echo "FAIL: ita_serve did not start"
	cat "$WORK/server.err"
	exit 1
fi
ITA=(--verifier ita --ita-url "$URL" --ita-jwks-url "$JWKS_URL")

run verify cert "${ITA[@]}" --ita-api-key-file "$KEY_FILE" "$WORK/cert.pem"
expect_rc "verify cert --verifier ita" 0
expect_out "verify cert --verifier ita" "^verdict: +accepted$"
expect_out "verify cert --verifier ita" "^RTMR3 replay: +match$"
expect_err "verify cert --verifier ita" "instead of Intel's"
expect_no_key "verify cert --verifier ita"

run verify quote "${ITA[@]}" --ita-api-key-file "$KEY_FILE" --json "$WORK/quote.bin"
expect_rc "verify quote --verifier ita --json" 0
expect_out "verify quote --verifier ita --json" '"ok": *true'
expect_no_key "verify quote --verifier ita --json"

INTEL_TRUST_AUTHORITY_API_KEY=$API_KEY run verify quote "${ITA[@]}" "$WORK/quote.bin"
expect_rc "verify quote with the key in the environment" 0

# A wrong key: ITA returns 401, and the message points to the portal.
printf 'wrong-key\n' >"$WORK/wrong.key"
run verify cert "${ITA[@]}" --ita-api-key-file "$WORK/wrong.key" "$WORK/cert.pem"
expect_rc "verify cert with a wrong key" 18
expect_err "verify cert with a wrong key" "RATLS_ERR_SERVICE: .*HTTP status 401.*portal"
expect_no_key "verify cert with a wrong key"

# No key at all.
run verify cert "${ITA[@]}" "$WORK/cert.pem"
expect_rc "verify cert without a key" 2
expect_err "verify cert without a key" "INTEL_TRUST_AUTHORITY_API_KEY"

# The policy still applies: an MRTD pin that does not match.
run verify cert "${ITA[@]}" --ita-api-key-file "$KEY_FILE" --mrtd "$(printf '%096d' 0)" \
	"$WORK/cert.pem"
expect_rc "verify cert --verifier ita with an MRTD pin" 16
expect_err "verify cert --verifier ita with an MRTD pin" "RATLS_ERR_MRTD_NOT_ALLOWED"

# Usage errors.
run verify quote --ita-url "$URL" --collateral "$WORK/x.json" "$WORK/quote.bin"
expect_rc "--ita-url without --verifier ita" 2
run verify quote "${ITA[@]}" --ita-api-key-file "$KEY_FILE" --pccs-url "$URL" "$WORK/quote.bin"
expect_rc "--verifier ita with a collateral service" 2
run verify quote --verifier itta "$WORK/quote.bin"
expect_rc "--verifier with a bad value" 2
run verify quote --verifier ita --ita-url "http://192.0.2.1" --ita-api-key-file "$KEY_FILE" \
	"$WORK/quote.bin"
expect_rc "--ita-url over http to another host" 2
expect_err "--ita-url over http to another host" "loopback"

kill "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=

# The service is gone: a network failure after one retry.
run verify quote "${ITA[@]}" --ita-api-key-file "$KEY_FILE" "$WORK/quote.bin"
expect_rc "verify quote with the service down" 18
expect_err "verify quote with the service down" "RATLS_ERR_NETWORK"

echo "$CHECKS checks, $FAILURES failed"
[ "$FAILURES" -eq 0 ]
