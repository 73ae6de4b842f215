#!/usr/bin/env bash
# Integration test of the "ratls sim" subcommands: creates simulated
# platforms, issues quotes and collateral with the built tool, and verifies
# them with "ratls verify quote" and "ratls inspect quote".
#
# Usage: test_sim_cli.sh PATH/TO/ratls
# Needs no corpus: every input is made by the simulated platform.

set -u

RATLS=${1:?usage: test_sim_cli.sh PATH/TO/ratls}

if [ ! -x "$RATLS" ]; then
	echo "FAIL: '$RATLS' is not an executable" >&2
	exit 1
fi

# A fixed umask makes the modes of created files predictable.
umask 022
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

OUT=$WORK/stdout
ERR=$WORK/stderr
RC=0
FAILURES=0
CHECKS=0

# Fixed times make every run the same. The platform is created at CREATED,
# and the collateral is issued at ISSUED and verified at AT, inside its window.
SEED=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
CREATED=2025-01-01T00:00:00Z
ISSUED=2025-06-01T00:00:00Z
AT=2025-06-02T00:00:00Z
EXPIRED_AT=2025-08-01T00:00:00Z

MRTD=$(printf 'ab%.0s' $(seq 48))
RTMR0=$(printf '10%.0s' $(seq 48))
RTMR3=$(printf '33%.0s' $(seq 48))
REPORT_DATA=$(printf 'cd%.0s' $(seq 64))
MR_CONFIG_ID=$(printf 'c1%.0s' $(seq 48))
MR_OWNER=$(printf '0e%.0s' $(seq 48))
MR_SERVICETD=$(printf '5d%.0s' $(seq 48))
MR_ENCLAVE=$(printf 'e1%.0s' $(seq 32))
MR_SIGNER=$(printf '51%.0s' $(seq 32))

P=$WORK/platform
Q=$WORK/quote.bin
C=$WORK/collateral.json

# Runs the tool with the given arguments, keeping stdout, stderr and the exit status.
run() {
	"$RATLS" "$@" >"$OUT" 2>"$ERR"
	RC=$?
}

fail() {
	FAILURES=$((FAILURES + 1))
	echo "FAIL: $1"
	echo "  command output (stdout):"
	sed -e 's/^/    /' "$OUT" | head -n 20
	echo "  command output (stderr):"
	sed -e 's/^/    /' "$ERR" | head -n 20
}

expect_rc() {
	CHECKS=$((CHECKS + 1))
	if [ "$RC" -ne "$2" ]; then
		fail "$1: exit status $RC, expected $2"
	fi
}

# expect_out NAME REGEX: an extended regular expression that some stdout line must match.
expect_out() {
	CHECKS=$((CHECKS + 1))
	if ! grep -Eq -- "$2" "$OUT"; then
		fail "$1: no stdout line matches /$2/"
	fi
}

expect_err() {
	CHECKS=$((CHECKS + 1))
	if ! grep -Eq -- "$2" "$ERR"; then
		fail "$1: no stderr line matches /$2/"
	fi
}

# expect_json NAME REGEX: matches the JSON on stdout with all whitespace removed.
expect_json() {
	CHECKS=$((CHECKS + 1))
	if ! tr -d ' \n\t' <"$OUT" | grep -Eq -- "$2"; then
		fail "$1: JSON output does not match /$2/"
	fi
}

expect_file() {
	CHECKS=$((CHECKS + 1))
	if [ ! -s "$2" ]; then
		fail "$1: file '$2' is missing or empty"
	fi
}

expect_no_file() {
	CHECKS=$((CHECKS + 1))
	if [ -e "$2" ]; then
		fail "$1: file '$2' exists"
	fi
}

expect_mode() {
	local mode
	CHECKS=$((CHECKS + 1))
	mode=$(stat -c '%a' "$2")
	if [ "$mode" != "$3" ]; then
		fail "$1: '$2' has mode $mode, expected $3"
	fi
}

# Every sim subcommand warns that its output is simulated.
expect_sim_warning() {
	expect_err "$1 warning" "^ratls: warning: simulated platform: .*--trust-root .*root\.pem"
}

# verify_ok NAME QUOTE COLLATERAL [verify options]: verification with the sim root passes.
verify_ok() {
	local name=$1 quote=$2 collateral=$3
	shift 3
	run verify quote --trust-root "$P/root.pem" --collateral "$collateral" --at "$AT" "$@" "$quote"
	expect_rc "$name" 0
	expect_out "$name" "^verdict: +accepted$"
}

# verify_fails NAME STATUS ERROR QUOTE COLLATERAL [verify options]
verify_fails() {
	local name=$1 status=$2 error=$3 quote=$4 collateral=$5
	shift 5
	run verify quote --trust-root "$P/root.pem" --collateral "$collateral" --at "$AT" "$@" "$quote"
	expect_rc "$name" "$status"
	expect_err "$name" "^ratls: verification failed: $error: "
}

check_help() {
	run --help
	expect_rc "ratls --help" 0
	expect_out "ratls --help" "^  sim init "
	expect_out "ratls --help" "^  sim quote "
	expect_out "ratls --help" "^  sim collateral "

	run help sim
	expect_rc "ratls help sim" 0
	expect_out "ratls help sim" "^  sim collateral "

	for command in "sim init" "sim quote" "sim collateral"; do
		# shellcheck disable=SC2086
		run $command --help
		expect_rc "$command --help" 0
		expect_out "$command --help" "^Usage: ratls $command"
		expect_out "$command --help" "^  14  collateral"
	done
	run sim quote --help
	expect_out "sim quote --help" "--mr-servicetd HEX +MRSERVICETD, 96 hex digits"
	expect_out "sim quote --help" "tdx-v5-td15 +version 5, TD report 1.5"
	run sim collateral --help
	expect_out "sim collateral --help" "--tcb-status STATUS"
	expect_out "sim collateral --help" "--advisory ID"
	run sim init --help
	expect_out "sim init --help" "private key material"
}

check_init() {
	run sim init "$P" --seed "$SEED" --at "$CREATED"
	expect_rc "init" 0
	expect_sim_warning "init"
	expect_out "init" "^Created a simulated platform in '$P' at $CREATED \(given seed\):"
	expect_out "init" "platform\.json +the seed and the creation time"
	expect_out "init" "ratls verify quote --trust-root $P/root\.pem"
	for file in platform.json root.pem root.der pck_chain.pem; do
		expect_file "init $file" "$P/$file"
	done
	expect_mode "init folder" "$P" 700
	expect_mode "init platform.json" "$P/platform.json" 600
	expect_mode "init root.pem" "$P/root.pem" 644
	expect_no_file "init temporary file" "$P/platform.json.tmp"
	CHECKS=$((CHECKS + 1))
	grep -q "\"seed\": \"$SEED\"" "$P/platform.json" || fail "init: platform.json lacks the seed"
	CHECKS=$((CHECKS + 1))
	grep -q "\"created_at\": \"$CREATED\"" "$P/platform.json" ||
		fail "init: platform.json lacks the creation time"
	CHECKS=$((CHECKS + 1))
	[ "$(grep -c 'BEGIN CERTIFICATE' "$P/pck_chain.pem")" -eq 3 ] ||
		fail "init: pck_chain.pem does not hold 3 certificates"
	CHECKS=$((CHECKS + 1))
	[ "$(head -c 1 "$P/root.der" | od -An -tx1 | tr -d ' ')" = 30 ] ||
		fail "init: root.der does not start with a DER SEQUENCE"

	cp "$P/root.der" "$WORK/root-before.der"
	run sim init "$P" --seed "$SEED" --at "$CREATED"
	expect_rc "init over a platform" 2
	expect_err "init over a platform" "already contains a simulated platform.*pass --force"
	CHECKS=$((CHECKS + 1))
	cmp -s "$P/root.der" "$WORK/root-before.der" || fail "init over a platform: root.der changed"

	run sim init "$P" --seed "$SEED" --at "$CREATED" --force
	expect_rc "init --force" 0
	expect_mode "init --force platform.json" "$P/platform.json" 600

	run sim init "$WORK/random" --at "$CREATED"
	expect_rc "init random seed" 0
	expect_out "init random seed" "\(random seed\)"
	CHECKS=$((CHECKS + 1))
	grep -Eq '"seed": "[0-9a-f]{64}"' "$WORK/random/platform.json" ||
		fail "init random seed: platform.json lacks a 32-byte seed"
}

check_quote_formats() {
	local format version body
	for row in "tdx-v4 4 td_report10" "tdx-v5 5 td_report10" "tdx-v5-td15 5 td_report15"; do
		read -r format version body <<<"$row"
		run sim quote --platform "$P" --format "$format" --mrtd "$MRTD" --rtmr "0=$RTMR0" \
			--rtmr "3=$RTMR3" --report-data "0x$REPORT_DATA" --mr-config-id "$MR_CONFIG_ID" \
			--mr-owner "$MR_OWNER" --out "$WORK/$format.bin"
		expect_rc "quote $format" 0
		expect_sim_warning "quote $format"
		expect_out "quote $format" "^Wrote a $format quote \([0-9]+ bytes\) to '$WORK/$format.bin'"

		run inspect quote "$WORK/$format.bin"
		expect_rc "inspect $format" 0
		expect_json "inspect $format version" "\"header\":\{\"version\":$version,"
		expect_json "inspect $format body" "\"type_name\":\"$body\""
		expect_json "inspect $format MRTD" "\"mr_td\":\"$MRTD\""
		expect_json "inspect $format RTMR0" "\"rtmr0\":\"$RTMR0\""
		expect_json "inspect $format RTMR3" "\"rtmr3\":\"$RTMR3\""
		expect_json "inspect $format report_data" "\"report_data\":\"$REPORT_DATA\""
		expect_json "inspect $format MRCONFIGID" "\"mr_config_id\":\"$MR_CONFIG_ID\""
		expect_json "inspect $format MROWNER" "\"mr_owner\":\"$MR_OWNER\""
		expect_json "inspect $format debug" "\"debug\":false"
		expect_json "inspect $format PCK chain" "\"pck_chain_pem\":\{\"present\":true"

		verify_ok "verify $format" "$WORK/$format.bin" "$C" --mrtd "$MRTD" --rtmr "3=$RTMR3"
		expect_out "verify $format" "^status: +UpToDate$"
		expect_out "verify $format" "^MRTD: +$MRTD$"
		expect_out "verify $format" "^quote: +version $version, TDX"

		run verify quote --trust-root "$P/root.pem" --collateral "$C" --at "$AT" --json "$WORK/$format.bin"
		expect_rc "verify $format json" 0
		expect_json "verify $format json" '^\{"ok":true,'
		expect_json "verify $format json status" '"report":\{"status":"UpToDate"'
		expect_json "verify $format json MRTD" "\"mr_td\":\"$MRTD\""
		expect_json "verify $format json RTMR0" "\"rtmr0\":\"$RTMR0\""
		expect_json "verify $format json report_data" "\"report_data\":\"$REPORT_DATA\""
		expect_json "verify $format json custom root" '"custom_root":true'
	done

	run sim quote --platform "$P" --format sgx-v3 --mr-enclave "$MR_ENCLAVE" --mr-signer "$MR_SIGNER" \
		--report-data "$REPORT_DATA" --out "$WORK/sgx.bin"
	expect_rc "quote sgx-v3" 0
	run inspect quote "$WORK/sgx.bin"
	expect_rc "inspect sgx-v3" 0
	expect_json "inspect sgx-v3 version" '"header":\{"version":3,'
	expect_json "inspect sgx-v3 body" '"type_name":"sgx_enclave"'
	expect_json "inspect sgx-v3 MRENCLAVE" "\"mr_enclave\":\"$MR_ENCLAVE\""
	expect_json "inspect sgx-v3 MRSIGNER" "\"mr_signer\":\"$MR_SIGNER\""
	expect_json "inspect sgx-v3 report_data" "\"report_data\":\"$REPORT_DATA\""

	run sim collateral --platform "$P" --tee sgx --at "$ISSUED" --out "$WORK/sgx-collateral.json"
	expect_rc "collateral sgx" 0
	verify_ok "verify sgx-v3" "$WORK/sgx.bin" "$WORK/sgx-collateral.json"
	expect_out "verify sgx-v3" "^status: +UpToDate$"
	expect_out "verify sgx-v3" "^MRENCLAVE: +$MR_ENCLAVE$"
	expect_out "verify sgx-v3" "^MRSIGNER: +$MR_SIGNER$"
	verify_fails "verify sgx-v3 with TDX collateral" 14 RATLS_ERR_COLLATERAL_MISMATCH \
		"$WORK/sgx.bin" "$C"
}

check_end_to_end() {
	run sim quote --platform "$P" --mrtd "$MRTD" --out "$Q"
	expect_rc "quote" 0
	expect_mode "quote file" "$Q" 644
	run sim collateral --platform "$P" --at "$ISSUED" --out "$C"
	expect_rc "collateral" 0
	expect_sim_warning "collateral"
	expect_out "collateral" "^Wrote the TDX collateral bundle to '$C'"
	expect_out "collateral" "^The collateral is valid from 2025-05-31T23:00:00Z to 2025-07-01T00:00:00Z"

	verify_ok "verify" "$Q" "$C" --mrtd "$MRTD"
	expect_out "verify" "^status: +UpToDate$"
	expect_out "verify" "^MRTD: +$MRTD$"
	expect_err "verify" "^ratls: warning: --trust-root: "

	run verify quote --collateral "$C" --at "$AT" --mrtd "$MRTD" "$Q"
	expect_rc "verify without --trust-root" 13
	expect_err "verify without --trust-root" "^ratls: verification failed: RATLS_ERR_UNTRUSTED_ROOT: "

	run verify quote --trust-root "$P/root.der" --collateral "$C" --at "$AT" "$Q"
	expect_rc "verify with root.der" 0

	verify_fails "verify other MRTD" 16 RATLS_ERR_MRTD_NOT_ALLOWED "$Q" "$C" \
		--mrtd "$(printf '00%.0s' $(seq 48))"
	run verify quote --trust-root "$P/root.pem" --collateral "$C" --at "$EXPIRED_AT" "$Q"
	expect_rc "verify after expiry" 14
	expect_err "verify after expiry" "^ratls: verification failed: RATLS_ERR_COLLATERAL_EXPIRED: "

	# A second platform from the same seed and time has the same root key and name.
	run sim init "$WORK/same" --seed "$SEED" --at "$CREATED"
	expect_rc "init same seed" 0
	run verify quote --trust-root "$WORK/same/root.pem" --collateral "$C" --at "$AT" "$Q"
	expect_rc "verify with the root of the same seed" 0

	# The root CA CRL is checked against the trust root first, so the collateral fails.
	run verify quote --trust-root "$WORK/random/root.pem" --collateral "$C" --at "$AT" "$Q"
	expect_rc "verify with another platform's root" 14
	expect_err "verify with another platform's root" \
		"^ratls: verification failed: RATLS_ERR_COLLATERAL_SIGNATURE: root CA CRL"

	run sim quote --platform "$P" --mrtd "$MRTD" --hex --out "$WORK/quote.hex"
	expect_rc "quote --hex" 0
	CHECKS=$((CHECKS + 1))
	grep -Eq '^[0-9a-f]+$' "$WORK/quote.hex" || fail "quote --hex: output is not one line of hex"
	verify_ok "verify hex quote" "$WORK/quote.hex" "$C" --mrtd "$MRTD"

	"$RATLS" sim quote --platform "$P" --mrtd "$MRTD" >"$WORK/stdout.bin" 2>"$ERR"
	RC=$?
	expect_rc "quote to standard output" 0
	verify_ok "verify quote from standard output" "$WORK/stdout.bin" "$C"

	# A FIFO is a special file like /dev/null, which the tool writes in place instead of replacing.
	mkfifo "$WORK/fifo"
	timeout 20 cat "$WORK/fifo" >"$WORK/from-fifo.bin" &
	run sim quote --platform "$P" --out "$WORK/fifo"
	wait
	expect_rc "quote to a FIFO" 0
	CHECKS=$((CHECKS + 1))
	[ -p "$WORK/fifo" ] || fail "quote to a FIFO: the FIFO was replaced by a regular file"
	verify_ok "verify quote read from a FIFO" "$WORK/from-fifo.bin" "$C"

	mkdir "$WORK/folder"
	run sim quote --platform "$P" --out "$WORK/folder"
	expect_rc "quote to a folder" 2
	expect_err "quote to a folder" "^ratls: sim quote failed: RATLS_ERR_IO: cannot open '$WORK/folder' for writing"

	run sim quote --platform "$P" --debug --out "$WORK/debug.bin"
	expect_rc "quote --debug" 0
	run inspect quote "$WORK/debug.bin"
	expect_json "inspect --debug" '"td_attributes":"01[0-9a-f]{14}","debug":true'
	verify_fails "verify debug" 16 RATLS_ERR_DEBUG "$WORK/debug.bin" "$C"
	verify_ok "verify debug allowed" "$WORK/debug.bin" "$C" --allow-debug

	run sim quote --platform "$P" --format tdx-v5-td15 --mr-servicetd "$MR_SERVICETD" \
		--out "$WORK/servicetd.bin"
	expect_rc "quote --mr-servicetd" 0
	verify_fails "verify service TD" 16 RATLS_ERR_SERVICE_TD "$WORK/servicetd.bin" "$C"
	verify_ok "verify service TD allowed" "$WORK/servicetd.bin" "$C" --allow-service-td
	expect_out "verify service TD allowed" "^MR_SERVICETD: +$MR_SERVICETD$"
}

check_pcs_dir() {
	local d=$WORK/pcs
	run sim collateral --platform "$P" --at "$ISSUED" --out "$WORK/pcs-bundle.json" --pcs-dir "$d"
	expect_rc "collateral --pcs-dir" 0
	expect_out "collateral --pcs-dir" "^Wrote the PCS files to '$d'"
	for file in tcb_info.json qe_identity.json pck_crl.der root_crl.der TCB-Info-Issuer-Chain \
		SGX-Enclave-Identity-Issuer-Chain SGX-PCK-CRL-Issuer-Chain; do
		expect_file "pcs $file" "$d/$file"
	done
	CHECKS=$((CHECKS + 1))
	grep -q '^-----BEGIN%20CERTIFICATE-----%0A' "$d/TCB-Info-Issuer-Chain" ||
		fail "pcs: TCB-Info-Issuer-Chain is not URL-encoded PEM"
	CHECKS=$((CHECKS + 1))
	grep -q '^{"tcbInfo":{"id":"TDX",' "$d/tcb_info.json" ||
		fail "pcs: tcb_info.json is not a TDX TCB info response body"

	run verify quote --trust-root "$P/root.pem" --at "$AT" \
		--tcb-info "$d/tcb_info.json" --qe-identity "$d/qe_identity.json" \
		--tcb-info-chain "$d/TCB-Info-Issuer-Chain" \
		--qe-identity-chain "$d/SGX-Enclave-Identity-Issuer-Chain" \
		--pck-crl "$d/pck_crl.der" --pck-crl-chain "$d/SGX-PCK-CRL-Issuer-Chain" \
		--root-crl "$d/root_crl.der" "$Q"
	expect_rc "verify with PCS files" 0
	expect_out "verify with PCS files" "^status: +UpToDate$"

	run collateral check --trust-root "$P/root.pem" --at "$AT" --tcb-info "$d/tcb_info.json" \
		--chain "$d/TCB-Info-Issuer-Chain" --root-crl "$d/root_crl.der"
	expect_rc "collateral check of the PCS TCB info" 0
}

check_shaped_collateral() {
	local c=$WORK/outofdate.json
	run sim collateral --platform "$P" --at "$ISSUED" --tcb-status OutOfDate \
		--advisory INTEL-SA-00837 --advisory INTEL-SA-00960 --out "$c"
	expect_rc "collateral --tcb-status OutOfDate" 0
	verify_fails "verify OutOfDate by default" 15 RATLS_ERR_TCB_STATUS "$Q" "$c"
	verify_ok "verify OutOfDate allowed" "$Q" "$c" --allow-tcb OutOfDate
	expect_out "verify OutOfDate allowed" "^status: +OutOfDate$"
	expect_out "verify OutOfDate allowed" "^advisory IDs: +INTEL-SA-00837, INTEL-SA-00960$"

	c=$WORK/swhardening.json
	run sim collateral --platform "$P" --at "$ISSUED" --tcb-status SWHardeningNeeded --out "$c"
	expect_rc "collateral --tcb-status SWHardeningNeeded" 0
	verify_ok "verify SWHardeningNeeded by default" "$Q" "$c"
	expect_out "verify SWHardeningNeeded by default" "^status: +SWHardeningNeeded$"

	c=$WORK/revoked-level.json
	run sim collateral --platform "$P" --at "$ISSUED" --tcb-status Revoked --out "$c"
	expect_rc "collateral --tcb-status Revoked" 0
	run verify quote --trust-root "$P/root.pem" --collateral "$c" --at "$AT" --allow-tcb OutOfDate "$Q"
	expect_rc "verify Revoked level" 15

	c=$WORK/qe-outofdate.json
	run sim collateral --platform "$P" --at "$ISSUED" --qe-status OutOfDate --out "$c"
	expect_rc "collateral --qe-status" 0
	verify_fails "verify QE OutOfDate" 15 RATLS_ERR_TCB_STATUS "$Q" "$c"
	run verify quote --trust-root "$P/root.pem" --collateral "$c" --at "$AT" --allow-tcb OutOfDate --json "$Q"
	expect_rc "verify QE OutOfDate allowed" 0
	expect_json "verify QE OutOfDate allowed" '"qe_status":"OutOfDate"'

	c=$WORK/module-outofdate.json
	run sim collateral --platform "$P" --at "$ISSUED" --module-status OutOfDate --out "$c"
	expect_rc "collateral --module-status" 0
	verify_fails "verify module OutOfDate" 15 RATLS_ERR_TCB_STATUS "$Q" "$c"
	run verify quote --trust-root "$P/root.pem" --collateral "$c" --at "$AT" --allow-tcb OutOfDate --json "$Q"
	expect_rc "verify module OutOfDate allowed" 0
	expect_json "verify module OutOfDate allowed" '"module_status":"OutOfDate"'

	c=$WORK/revoked-pck.json
	run sim collateral --platform "$P" --at "$ISSUED" --revoke-pck --out "$c"
	expect_rc "collateral --revoke-pck" 0
	verify_fails "verify revoked PCK" 13 RATLS_ERR_CERT_REVOKED "$Q" "$c"

	run sim collateral --platform "$P" --at "$ISSUED"
	expect_rc "collateral to standard output" 0
	expect_json "collateral to standard output" '^\{.*"tcb_info":'
	expect_err "collateral to standard output" "^The collateral is valid from "

	run sim collateral --platform "$P" --at 2024-01-01T00:00:00Z --out "$WORK/early.json"
	expect_rc "collateral before the certificates" 0
	expect_err "collateral before the certificates" "outside the validity of the platform's certificates"
}

check_bad_inputs() {
	run sim quote --platform "$WORK/absent" --out "$WORK/x.bin"
	expect_rc "quote missing platform folder" 2
	expect_err "quote missing platform folder" "platform folder '$WORK/absent' cannot be opened: .*ratls sim init"
	expect_no_file "quote missing platform folder output" "$WORK/x.bin"

	mkdir "$WORK/empty"
	run sim collateral --platform "$WORK/empty"
	expect_rc "collateral folder without platform" 2
	expect_err "collateral folder without platform" "is not a simulated platform: .*platform\.json"

	run sim quote --out "$WORK/x.bin"
	expect_rc "quote without --platform" 2
	expect_err "quote without --platform" "missing --platform DIR"

	run sim quote --platform "$P" --mrtd "${MRTD:2}" --out "$WORK/x.bin"
	expect_rc "quote short MRTD" 2
	expect_err "quote short MRTD" "--mrtd value '[0-9a-f]+' has 94 hex digits; MRTD is 48 bytes, so pass exactly 96 hex digits"

	run sim quote --platform "$P" --mrtd "${MRTD}ab" --out "$WORK/x.bin"
	expect_rc "quote long MRTD" 2
	expect_err "quote long MRTD" "has 98 hex digits"

	run sim quote --platform "$P" --report-data abc --out "$WORK/x.bin"
	expect_rc "quote odd report data" 2
	expect_err "quote odd report data" "--report-data value 'abc' has 3 hex digits; REPORTDATA is 64 bytes"

	run sim quote --platform "$P" --xfam 00000000000000zz --out "$WORK/x.bin"
	expect_rc "quote non-hex XFAM" 2
	expect_err "quote non-hex XFAM" "contains 'z' at position 15, which is not a hex digit"

	run sim quote --platform "$P" --rtmr "4=$RTMR0" --out "$WORK/x.bin"
	expect_rc "quote RTMR index 4" 2
	expect_err "quote RTMR index 4" "is not N=HEX with N from 0 to 3"

	run sim quote --platform "$P" --rtmr "1=$RTMR0" --rtmr "1=$RTMR3" --out "$WORK/x.bin"
	expect_rc "quote RTMR twice" 2
	expect_err "quote RTMR twice" "RTMR1 is given twice"

	run sim quote --platform "$P" --format tdx-v6 --out "$WORK/x.bin"
	expect_rc "quote unknown format" 2
	expect_err "quote unknown format" "--format value 'tdx-v6' is not a quote format; use tdx-v4, tdx-v5, tdx-v5-td15 or sgx-v3"

	run sim quote --platform "$P" --mr-enclave "$MR_ENCLAVE" --out "$WORK/x.bin"
	expect_rc "quote MRENCLAVE on TDX" 2
	expect_err "quote MRENCLAVE on TDX" "--mr-enclave sets MRENCLAVE, which tdx-v4 quotes do not have"

	run sim quote --platform "$P" --format sgx-v3 --mrtd "$MRTD" --out "$WORK/x.bin"
	expect_rc "quote MRTD on SGX" 2
	expect_err "quote MRTD on SGX" "--mrtd sets MRTD, which sgx-v3 quotes do not have"

	run sim quote --platform "$P" --format sgx-v3 --rtmr "0=$RTMR0" --out "$WORK/x.bin"
	expect_rc "quote RTMR on SGX" 2

	run sim quote --platform "$P" --format tdx-v5 --mr-servicetd "$MR_SERVICETD" --out "$WORK/x.bin"
	expect_rc "quote MRSERVICETD on TD 1.0" 2
	expect_err "quote MRSERVICETD on TD 1.0" "applies to tdx-v5-td15"

	run sim quote --platform "$P" --out "$WORK/x.bin" extra
	expect_rc "quote extra argument" 2
	expect_no_file "quote bad inputs write nothing" "$WORK/x.bin"

	run sim init
	expect_rc "init without folder" 2
	expect_err "init without folder" "missing the platform folder DIR"

	run sim init "$WORK/odd" --seed abc
	expect_rc "init odd seed" 2
	expect_err "init odd seed" "--seed value has 3 hex digits; the seed is 1 to 1024 bytes"
	CHECKS=$((CHECKS + 1))
	if grep -q abc "$ERR"; then
		fail "init odd seed: the message quotes the seed"
	fi
	expect_no_file "init odd seed folder" "$WORK/odd"

	run sim init "$WORK/long" --seed "$(printf '00%.0s' $(seq 1025))"
	expect_rc "init seed over 1024 bytes" 2

	run sim init "$WORK/no-parent/platform"
	expect_rc "init without parent folder" 2
	expect_err "init without parent folder" "cannot create folder .*check that its parent folder exists"

	run sim init "$WORK/bad-at" --at yesterday
	expect_rc "init invalid --at" 2
	expect_err "init invalid --at" "invalid --at value: time 'yesterday'"

	run sim collateral --platform "$P" --tee tdx --module-status OutOfDate --tee sgx
	expect_rc "collateral --tee twice" 2

	run sim collateral --platform "$P" --tee sgx --module-status OutOfDate
	expect_rc "collateral --module-status on SGX" 2
	expect_err "collateral --module-status on SGX" "--module-status applies to TDX collateral"

	run sim collateral --platform "$P" --tee amd
	expect_rc "collateral unknown TEE" 2
	expect_err "collateral unknown TEE" "--tee value 'amd' is not a TEE; use tdx or sgx"

	run sim collateral --platform "$P" --tcb-status Fine
	expect_rc "collateral unknown status" 2
	expect_err "collateral unknown status" "--tcb-status value 'Fine' is not a TCB status"

	run sim collateral --platform "$P" --advisory 'INTEL SA'
	expect_rc "collateral advisory with a space" 2
	run sim collateral --platform "$P" --advisory "$(printf 'A%.0s' $(seq 32))"
	expect_rc "collateral advisory too long" 2
	# shellcheck disable=SC2046
	run sim collateral --platform "$P" $(printf -- '--advisory A%s ' 1 2 3 4 5 6 7 8 9)
	expect_rc "collateral nine advisories" 2
	expect_err "collateral nine advisories" "more than 8 --advisory values"

	cp -r "$P" "$WORK/broken"
	printf '{"format":"ratls-sim-platform","version":1,"created_at":"%s","seed":"0g"}\n' \
		"$CREATED" >"$WORK/broken/platform.json"
	run sim quote --platform "$WORK/broken" --out "$WORK/x.bin"
	expect_rc "quote with an invalid seed" 12
	expect_err "quote with an invalid seed" "\"seed\" in .* is not 1 to 1024 bytes of hex"

	printf '{"format":"ratls-sim-platform","version":2,"created_at":"%s","seed":"00"}\n' \
		"$CREATED" >"$WORK/broken/platform.json"
	run sim quote --platform "$WORK/broken" --out "$WORK/x.bin"
	expect_rc "quote with platform version 2" 12
	expect_err "quote with platform version 2" "has \"version\" 2, but this ratls reads version 1"

	printf 'not json' >"$WORK/broken/platform.json"
	run sim collateral --platform "$WORK/broken"
	expect_rc "collateral with a non-JSON platform file" 12
	expect_err "collateral with a non-JSON platform file" "is not valid JSON"
}

check_help
check_init
check_end_to_end
check_quote_formats
check_pcs_dir
check_shaped_collateral
check_bad_inputs

echo "$CHECKS checks, $FAILURES failures"
if [ "$FAILURES" -ne 0 ]; then
	exit 1
fi
exit 0
