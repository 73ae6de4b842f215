#!/usr/bin/env bash
# Integration test of the ratls command-line tool against the real corpus.
#
# Usage: test_cli.sh PATH/TO/ratls
# Environment: RATLS_CORPUS_DIR, the folder with cases.tsv (skips with exit
# status 77 when it is absent).
#
# Checks exit statuses and key output lines of every subcommand, walks the
# verify and parse rows of cases.tsv, and feeds bad inputs (missing file,
# garbage quote, unknown option, invalid --at).

set -u

RATLS=${1:?usage: test_cli.sh PATH/TO/ratls}
CORPUS=${RATLS_CORPUS_DIR:-}

if [ -z "$CORPUS" ] || [ ! -f "$CORPUS/cases.tsv" ]; then
	echo "SKIP: corpus folder not found (RATLS_CORPUS_DIR='$CORPUS' has no cases.tsv)"
	exit 77
fi
if [ ! -x "$RATLS" ]; then
	echo "FAIL: '$RATLS' is not an executable" >&2
	exit 1
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

OUT=$WORK/stdout
ERR=$WORK/stderr
RC=0
FAILURES=0
CHECKS=0

TDX_QUOTE=$CORPUS/Phala-Network__dcap-qvl/sample/tdx_quote
TDX_BUNDLE=$CORPUS/Phala-Network__dcap-qvl/sample/tdx_quote_collateral.json
TDX_AT=2025-07-19T10:00:34Z
TDX_MRTD=91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7
SGX_QUOTE=$CORPUS/Phala-Network__dcap-qvl/sample/sgx_quote
SGX_BUNDLE=$CORPUS/Phala-Network__dcap-qvl/sample/sgx_quote_collateral.json
SGX_AT=2025-07-19T10:01:17Z
PCS=$CORPUS/tinfoilsh__verifier/attestation/collateral

# Runs the tool with the given arguments, keeping stdout, stderr and the exit status.
run() {
	"$RATLS" "$@" >"$OUT" 2>"$ERR"
	RC=$?
}

# Runs the tool with standard input from the file named first.
run_stdin() {
	local input=$1
	shift
	"$RATLS" "$@" <"$input" >"$OUT" 2>"$ERR"
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

expect_no_out() {
	CHECKS=$((CHECKS + 1))
	if [ -s "$OUT" ]; then
		fail "$1: stdout is not empty"
	fi
}

# expect_json NAME REGEX: matches the JSON on stdout with all whitespace removed.
expect_json() {
	CHECKS=$((CHECKS + 1))
	if ! tr -d ' \n\t' <"$OUT" | grep -Eq -- "$2"; then
		fail "$1: JSON output does not match /$2/"
	fi
}

expect_err_lines() {
	local lines
	CHECKS=$((CHECKS + 1))
	lines=$(wc -l <"$ERR")
	if [ "$lines" -ne "$2" ]; then
		fail "$1: stderr has $lines lines, expected $2"
	fi
}

# Maps an error class of cases.tsv to "ERROR_NAME EXIT_STATUS", or nothing when unknown.
error_for_class() {
	case $1 in
	collateral-not-yet-valid) echo "RATLS_ERR_COLLATERAL_NOT_YET_VALID 14" ;;
	collateral-expired) echo "RATLS_ERR_COLLATERAL_EXPIRED 14" ;;
	collateral-mismatch) echo "RATLS_ERR_COLLATERAL_MISMATCH 14" ;;
	collateral-signature-invalid) echo "RATLS_ERR_COLLATERAL_SIGNATURE 14" ;;
	tcb-level-not-supported) echo "RATLS_ERR_TCB_NOT_SUPPORTED 15" ;;
	untrusted-root) echo "RATLS_ERR_UNTRUSTED_ROOT 13" ;;
	unsupported-certification-data) echo "RATLS_ERR_UNSUPPORTED_CERT_DATA 12" ;;
	*) echo "" ;;
	esac
}

# Sets COLLATERAL_ARGS from a cases.tsv collateral column (a bundle or key=file pairs).
collateral_args() {
	local spec=$1 pair key value option
	COLLATERAL_ARGS=()
	TCB_INFO_FILE=
	TCB_CHAIN_FILE=
	ROOT_CRL_FILE=

	if [ "$spec" = "-" ]; then
		return
	fi
	case $spec in
	*=*) ;;
	*)
		COLLATERAL_ARGS=(--collateral "$CORPUS/$spec")
		return
		;;
	esac

	IFS=';' read -r -a pairs <<<"$spec"
	for pair in "${pairs[@]}"; do
		key=${pair%%=*}
		value=$CORPUS/${pair#*=}
		case $key in
		tcb_info) option=--tcb-info TCB_INFO_FILE=$value ;;
		tcb_chain) option=--tcb-info-chain TCB_CHAIN_FILE=$value ;;
		qe_identity) option=--qe-identity ;;
		qe_chain) option=--qe-identity-chain ;;
		pck_crl) option=--pck-crl ;;
		pck_crl_chain) option=--pck-crl-chain ;;
		root_crl) option=--root-crl ROOT_CRL_FILE=$value ;;
		*)
			echo "note: collateral key '$key' is not known to this test; ignored"
			continue
			;;
		esac
		COLLATERAL_ARGS+=("$option" "$value")
	done
}

# A verify row whose verdict is a status: the tool must accept it once that status is allowed.
check_verify_status() {
	local id=$1 input=$2 at=$3 expect=$4 status advisories shown
	status=${expect#status=}
	status=${status%%;*}
	advisories=
	case $expect in
	*advisories=*) advisories=${expect##*advisories=} ;;
	esac
	shown=${advisories//,/, }
	[ -n "$shown" ] || shown=none

	run verify quote "$CORPUS/$input" "${COLLATERAL_ARGS[@]}" --at "$at" --allow-tcb "$status"
	expect_rc "$id" 0
	expect_out "$id" "^verdict: +accepted$"
	expect_out "$id" "^status: +$status$"
	expect_out "$id" "^advisory IDs: +$shown$"

	run verify quote "$CORPUS/$input" "${COLLATERAL_ARGS[@]}" --at "$at" --allow-tcb "$status" --json
	expect_rc "$id json" 0
	expect_json "$id json" '^\{"ok":true,'
	expect_json "$id json" "\"report\":\{\"status\":\"$status\""
}

check_verify_error() {
	local id=$1 input=$2 at=$3 class=$4 mapped name status
	mapped=$(error_for_class "$class")
	if [ -z "$mapped" ]; then
		echo "note: $id: error class '$class' is not known to this test; skipped"
		return
	fi
	name=${mapped% *}
	status=${mapped#* }

	if [ "$input" = "-" ]; then
		# No quote: the row checks a signed collateral document on its own.
		local crl_args=()
		[ -n "$ROOT_CRL_FILE" ] && crl_args=(--root-crl "$ROOT_CRL_FILE")
		run collateral check --tcb-info "$TCB_INFO_FILE" --chain "$TCB_CHAIN_FILE" \
			"${crl_args[@]}" --at "$at"
		expect_rc "$id" "$status"
		expect_err "$id" "^ratls: collateral check failed: $name: "
		return
	fi

	run verify quote "$CORPUS/$input" "${COLLATERAL_ARGS[@]}" --at "$at" --json
	expect_rc "$id" "$status"
	expect_err "$id" "^ratls: verification failed: $name: .+"
	expect_json "$id" "^\{\"ok\":false,\"error\":\"$name\",\"class\":\"[a-z]+\",\"message\":\""
}

check_parse_row() {
	local id=$1 input=$2 expect=$3 item key value mapped
	run inspect quote "$CORPUS/$input"
	expect_rc "$id" 0
	IFS=';' read -r -a items <<<"$expect"
	for item in "${items[@]}"; do
		key=${item%%=*}
		value=${item#*=}
		case $key in
		version) expect_json "$id version" "\"header\":\{\"version\":$value," ;;
		body) expect_json "$id body" "\"body\":\{\"type\":[0-9]+,\"type_name\":\"td_report${value#td}\"" ;;
		debug) expect_json "$id debug" "\"body\":\{[^}]*\"debug\":$value" ;;
		trailing) expect_json "$id trailing" "\"trailing\":\{\"size\":$value," ;;
		error)
			# Decoding succeeds; the verdict comes from verification, checked below.
			mapped=$(error_for_class "$value")
			if [ "$value" = "unsupported-certification-data" ]; then
				expect_json "$id no PCK chain" '"pck_chain_pem":\{"present":false\}'
				run verify quote "$CORPUS/$input" --collateral "$SGX_BUNDLE" --at "$SGX_AT"
				expect_rc "$id verify" "${mapped#* }"
				expect_err "$id verify" "^ratls: verification failed: ${mapped% *}: "
			else
				echo "note: $id: parse error class '$value' is not known to this test"
			fi
			;;
		*) echo "note: $id: expectation '$item' is not known to this test; skipped" ;;
		esac
	done
}

# cert rows: extraction and the key binding, through inspect cert (no collateral is given).
check_cert_row() {
	local id=$1 input=$2 expect=$3
	run inspect cert "$CORPUS/$input"
	case $expect in
	error=pubkey-mismatch)
		expect_rc "$id" 17
		expect_err "$id" "^ratls: key binding failed: RATLS_ERR_KEY_BINDING: "
		expect_json "$id" '"key_binding":"RATLS_ERR_KEY_BINDING"'
		;;
	error=quote-extension-missing)
		expect_rc "$id" 17
		expect_err "$id" "^ratls: inspect failed: RATLS_ERR_NOT_RATLS: "
		;;
	*) echo "note: $id: expectation '$expect' is not known to this test; skipped" ;;
	esac
}

# evidence rows: decoding and the RTMR replay, through inspect evidence.
check_evidence_row() {
	local id=$1 input=$2 log=$3 expect=$4 item key value
	if [ "$log" = "-" ]; then
		run inspect evidence "$CORPUS/$input"
	else
		run inspect evidence --event-log "$CORPUS/$log" "$CORPUS/$input"
	fi
	expect_rc "$id" 0
	IFS=';' read -r -a items <<<"$expect"
	for item in "${items[@]}"; do
		key=${item%%=*}
		value=${item#*=}
		case $key in
		envelope) expect_json "$id envelope" "\"format\":\"$value\"" ;;
		events) expect_json "$id events" "\"event_log_entries\":$value," ;;
		runtime_events)
			CHECKS=$((CHECKS + 1))
			[ "$(tr -d ' \n' <"$OUT" | grep -o '"event":"' | wc -l)" -eq "$value" ] ||
				fail "$id runtime_events: not $value runtime events"
			;;
		rtmr_replay)
			expect_json "$id rtmr_replay" '"rtmrs":\[\{"status":"match",'
			CHECKS=$((CHECKS + 1))
			[ "$(tr -d ' \n' <"$OUT" | grep -o '"status":"match"' | wc -l)" -eq 4 ] ||
				fail "$id rtmr_replay: not all four RTMRs match"
			;;
		rtmr3_replay)
			expect_json "$id rtmr3_replay" '"digests_recomputed":[1-9]'
			expect_json "$id rtmr3_replay" '"identity":\{'
			;;
		*) echo "note: $id: expectation '$item' is not known to this test; skipped" ;;
		esac
	done
}

walk_cases() {
	local id kind input collateral at expect _basis
	while IFS=$'\t' read -r id kind input collateral at expect _basis; do
		case $id in
		'#'* | '') continue ;;
		esac
		case $kind in
		verify)
			collateral_args "$collateral"
			case $expect in
			status=*) check_verify_status "$id" "$input" "$at" "$expect" ;;
			error=*) check_verify_error "$id" "$input" "$at" "${expect#error=}" ;;
			*) echo "note: $id: expectation '$expect' is not known to this test; skipped" ;;
			esac
			;;
		parse) check_parse_row "$id" "$input" "$expect" ;;
		cert) check_cert_row "$id" "$input" "$expect" ;;
		evidence) check_evidence_row "$id" "$input" "$collateral" "$expect" ;;
		*) echo "note: $id: kind '$kind' is not known to this test; skipped" ;;
		esac
	done <"$CORPUS/cases.tsv"
}

check_help() {
	run --help
	expect_rc "ratls --help" 0
	expect_out "ratls --help" "^  inspect quote "
	expect_out "ratls --help" "^  verify quote "
	expect_out "ratls --help" "^  collateral check "
	expect_out "ratls --help" "^  14  collateral"

	run help
	expect_rc "ratls help" 0
	expect_out "ratls help" "^  verify quote "

	run help verify quote
	expect_rc "ratls help verify quote" 0
	expect_out "ratls help verify quote" "--allow-tcb STATUS"

	for command in "inspect quote" "verify quote" "collateral check"; do
		# shellcheck disable=SC2086
		run $command --help
		expect_rc "$command --help" 0
		expect_out "$command --help" "^Usage: ratls $command"
		expect_out "$command --help" "^Exit status:"
	done

	run --version
	expect_rc "ratls --version" 0
	expect_out "ratls --version" "^ratls [0-9]"
}

check_usage_errors() {
	run
	expect_rc "no command" 2
	expect_err "no command" "^ratls: missing command"

	run bogus
	expect_rc "unknown command" 2
	expect_err "unknown command" "^ratls: unknown command 'bogus'"

	run verify bogus
	expect_rc "unknown subcommand" 2

	run verify quote "$TDX_QUOTE" --collateral "$TDX_BUNDLE" --bogus
	expect_rc "unknown option" 2
	expect_err "unknown option" "^ratls verify quote: unknown or ambiguous option '--bogus'; run 'ratls verify quote --help'"
	expect_err_lines "unknown option" 1
	expect_no_out "unknown option"

	run inspect quote -x "$TDX_QUOTE"
	expect_rc "unknown short option" 2
	expect_err "unknown short option" "unknown option '-x'"

	run verify quote "$TDX_QUOTE" --collateral "$TDX_BUNDLE" --json=yes
	expect_rc "value for a flag" 2
	expect_err "value for a flag" "option '--json' does not take a value"

	run verify quote "$TDX_QUOTE" --collateral
	expect_rc "option without value" 2
	expect_err "option without value" "option '--collateral' requires a value"

	for at in yesterday 2025-02-30T00:00:00Z 2025-07-19 2025-07-19T10:00:34 -5 12abc; do
		run verify quote "$TDX_QUOTE" --collateral "$TDX_BUNDLE" --at "$at"
		expect_rc "bad --at $at" 2
		expect_err "bad --at $at" "invalid --at value: time '$at'"
		expect_err_lines "bad --at $at" 1
	done

	run verify quote "$TDX_QUOTE"
	expect_rc "no collateral" 2
	expect_err "no collateral" "no collateral given"

	run verify quote --collateral "$TDX_BUNDLE"
	expect_rc "no quote" 2
	expect_err "no quote" "missing quote FILE"

	run verify quote "$TDX_QUOTE" --collateral "$TDX_BUNDLE" --at "$TDX_AT" --mrtd 00
	expect_rc "short --mrtd" 2
	expect_err "short --mrtd" "invalid --mrtd value"

	run verify quote "$TDX_QUOTE" --collateral "$TDX_BUNDLE" --at "$TDX_AT" --rtmr 4=00
	expect_rc "--rtmr index 4" 2

	run verify quote "$TDX_QUOTE" --collateral "$TDX_BUNDLE" --at "$TDX_AT" --allow-tcb Revoked
	expect_rc "--allow-tcb Revoked" 2

	run verify quote "$TDX_QUOTE" --collateral "$TDX_BUNDLE" --at "$TDX_AT" --allow-tcb uptodate
	expect_rc "--allow-tcb lowercase" 2

	run collateral check --tcb-info "$PCS/tcb_info_90c06f000000.json"
	expect_rc "collateral check without --chain" 2

	run collateral check --chain "$PCS/tcb_info_90c06f000000_chain.txt"
	expect_rc "collateral check without document" 2
}

check_bad_inputs() {
	run inspect quote "$WORK/missing"
	expect_rc "missing file" 2
	expect_err "missing file" "^ratls: inspect failed: RATLS_ERR_IO: cannot open quote file '.*missing': "

	run verify quote "$WORK/missing" --collateral "$TDX_BUNDLE" --at "$TDX_AT" --json
	expect_rc "missing file verify" 2
	expect_err "missing file verify" "^ratls: verification failed: RATLS_ERR_IO: "
	expect_json "missing file verify" '"ok":false,"error":"RATLS_ERR_IO","class":"usage"'

	run verify quote "$TDX_QUOTE" --collateral "$WORK/missing" --at "$TDX_AT"
	expect_rc "missing collateral" 2
	expect_err "missing collateral" "cannot open collateral bundle"

	run inspect quote "$WORK"
	expect_rc "directory as file" 2

	printf 'ratls\001\002\003garbage' >"$WORK/garbage.bin"
	run inspect quote "$WORK/garbage.bin"
	expect_rc "garbage binary quote" 12
	expect_err "garbage binary quote" "^ratls: inspect failed: RATLS_ERR_"

	printf 'this is not a quote!\n' >"$WORK/garbage.txt"
	run verify quote "$WORK/garbage.txt" --collateral "$TDX_BUNDLE" --at "$TDX_AT"
	expect_rc "garbage text quote" 12
	expect_err "garbage text quote" "RATLS_ERR_MALFORMED: .*neither hex nor base64"
	expect_no_out "garbage text quote"

	printf 'words are base64 text\n' >"$WORK/words.txt"
	run inspect quote "$WORK/words.txt"
	expect_rc "base64-like words" 12
	expect_err "base64-like words" "RATLS_ERR_MALFORMED: .*is not a quote: as base64"

	: >"$WORK/empty"
	run inspect quote "$WORK/empty"
	expect_rc "empty quote" 12

	head -c 100 "$TDX_QUOTE" >"$WORK/truncated"
	run inspect quote "$WORK/truncated"
	expect_rc "truncated quote" 12
	expect_err "truncated quote" "RATLS_ERR_TRUNCATED"

	od -An -v -tx1 "$TDX_QUOTE" | tr -d ' \n' | head -c 301 >"$WORK/odd.hex"
	run inspect quote "$WORK/odd.hex"
	expect_rc "odd hex digits" 12
	expect_err "odd hex digits" "odd number of digits"

	truncate -s 5000000 "$WORK/huge"
	run inspect quote "$WORK/huge"
	expect_rc "quote file over the limit" 12
	expect_err "quote file over the limit" "RATLS_ERR_LIMIT_EXCEEDED"

	run_stdin "$TDX_QUOTE" verify quote - --collateral - --at "$TDX_AT"
	expect_rc "stdin named twice" 2
	expect_err "stdin named twice" "pass at most one '-'"

	run verify quote "$TDX_QUOTE" --collateral "$TDX_BUNDLE" --pck-crl "$WORK/garbage.txt" --at "$TDX_AT"
	expect_rc "garbage CRL" 12
	expect_err "garbage CRL" "--pck-crl"
}

# check_quote_form FILE ENCODING: the tool detects the encoding and verifies the quote.
check_quote_form() {
	local file=$1 encoding=$2 name
	name=$(basename "$file")

	run inspect quote "$file"
	expect_rc "inspect $name" 0
	expect_json "inspect $name" "^\{\"encoding\":\"$encoding\",\"size\":5006,"

	run verify quote "$file" --collateral "$TDX_BUNDLE" --at "$TDX_AT"
	expect_rc "verify $name" 0
	expect_out "verify $name" "^status: +UpToDate$"
}

check_encodings() {
	base64 "$TDX_QUOTE" >"$WORK/quote.b64"
	od -An -v -tx1 "$TDX_QUOTE" >"$WORK/quote.hex"
	{
		printf '0x'
		od -An -v -tx1 "$TDX_QUOTE" | tr -d ' \n'
		printf '\n'
	} >"$WORK/quote0x.hex"

	check_quote_form "$WORK/quote.b64" base64
	check_quote_form "$WORK/quote.hex" hex
	check_quote_form "$WORK/quote0x.hex" hex

	run_stdin "$WORK/quote.b64" inspect quote -
	expect_rc "inspect stdin" 0
	expect_json "inspect stdin" '"encoding":"base64"'
}

check_verify_report() {
	run verify quote "$TDX_QUOTE" --collateral "$TDX_BUNDLE" --at "$TDX_AT"
	expect_rc "tdx report" 0
	expect_out "tdx report" "^verdict: +accepted$"
	expect_out "tdx report" "^status: +UpToDate$"
	expect_out "tdx report" "^advisory IDs: +none$"
	expect_out "tdx report" "^TDX module status: +UpToDate \(TDX_01\)$"
	expect_out "tdx report" "^FMSPC: +b0c06f000000$"
	expect_out "tdx report" "^CA type: +platform$"
	expect_out "tdx report" "^MRTD: +$TDX_MRTD$"
	expect_out "tdx report" "^RTMR3: +0{96}$"
	expect_out "tdx report" "^TD attributes: +0000001000000000 \(debug: no\)$"
	expect_out "tdx report" "^valid until: +2025-07-19T10:00:35Z \(.+\)$"
	expect_out "tdx report" "^trailing bytes: +70 \(all zero, not signed\)$"
	expect_err "tdx report" "^ratls: warning: no allowed MRTD"

	run verify quote "$TDX_QUOTE" --collateral "$TDX_BUNDLE" --at 1752919234 --mrtd "$TDX_MRTD"
	expect_rc "Unix seconds and pinned MRTD" 0
	expect_out "Unix seconds and pinned MRTD" "^verified at: +2025-07-19T10:00:34Z$"

	run verify quote "$TDX_QUOTE" --collateral "$TDX_BUNDLE" --at 2025-07-19T12:00:34+02:00 --mrtd "0x$TDX_MRTD"
	expect_rc "time with offset" 0
	expect_out "time with offset" "^verified at: +2025-07-19T10:00:34Z$"

	run verify quote "$TDX_QUOTE" --collateral "$TDX_BUNDLE" --at "$TDX_AT" --mrtd "${TDX_MRTD/91/81}" --json
	expect_rc "MRTD not allowed" 16
	expect_err "MRTD not allowed" "^ratls: verification failed: RATLS_ERR_MRTD_NOT_ALLOWED: "
	expect_json "MRTD not allowed" '"ok":false,"error":"RATLS_ERR_MRTD_NOT_ALLOWED","class":"policy"'
	expect_json "MRTD not allowed" "\"mr_td\":\"$TDX_MRTD\""

	run verify quote "$TDX_QUOTE" --collateral "$TDX_BUNDLE" --at "$TDX_AT" --mrtd "$TDX_MRTD" \
		--rtmr "3=$(printf '%095d1' 0)"
	expect_rc "RTMR mismatch" 16
	expect_out "RTMR mismatch" "^verdict: +rejected \(RATLS_ERR_MEASUREMENT_MISMATCH\)$"

	run verify quote "$TDX_QUOTE" --collateral "$TDX_BUNDLE" --at "$TDX_AT" --allow-tcb OutOfDate
	expect_rc "UpToDate not in allowed set" 15
	expect_err "UpToDate not in allowed set" "RATLS_ERR_TCB_STATUS"
	expect_err "UpToDate not in allowed set" "^ratls: warning: --allow-tcb OutOfDate"

	run verify quote "$TDX_QUOTE" --collateral "$TDX_BUNDLE" --at "$TDX_AT" --allow-debug --allow-seam-signer --allow-service-td
	expect_rc "weakening options" 0
	expect_err "weakening options" "^ratls: warning: --allow-debug"
	expect_err "weakening options" "^ratls: warning: --allow-seam-signer"
	expect_err "weakening options" "^ratls: warning: --allow-service-td"

	run verify quote "$SGX_QUOTE" --collateral "$SGX_BUNDLE" --at "$SGX_AT"
	expect_rc "sgx default policy" 15
	expect_out "sgx default policy" "^status: +ConfigurationAndSWHardeningNeeded$"

	run verify quote "$SGX_QUOTE" --collateral "$SGX_BUNDLE" --at "$SGX_AT" \
		--allow-tcb ConfigurationAndSWHardeningNeeded --mrtd "$TDX_MRTD"
	expect_rc "MRTD pin on SGX quote" 2
	expect_err "MRTD pin on SGX quote" "apply to TD quotes"

	run verify quote "$TDX_QUOTE" --collateral "$TDX_BUNDLE" --at 2025-07-19T10:00:36Z --json
	expect_rc "expired json" 14
	expect_json "expired json" '^\{"ok":false,"error":"RATLS_ERR_COLLATERAL_EXPIRED","class":"collateral","message":"'
}

check_trust_root() {
	local root=$CORPUS/Phala-Network__dcap-qvl/src/TrustedRootCA.der
	if [ ! -f "$root" ]; then
		echo "note: Intel root certificate not in the corpus; --trust-root checks skipped"
		return
	fi
	run verify quote "$TDX_QUOTE" --collateral "$TDX_BUNDLE" --at "$TDX_AT" --trust-root "$root"
	expect_rc "--trust-root DER" 0
	expect_err "--trust-root DER" "^ratls: warning: --trust-root"
	expect_out "--trust-root DER" "^trust root: +caller-supplied"

	{
		echo "-----BEGIN CERTIFICATE-----"
		base64 "$root"
		echo "-----END CERTIFICATE-----"
	} >"$WORK/root.pem"
	run verify quote "$TDX_QUOTE" --collateral "$TDX_BUNDLE" --at "$TDX_AT" --trust-root "$WORK/root.pem"
	expect_rc "--trust-root PEM" 0

	run verify quote "$TDX_QUOTE" --collateral "$TDX_BUNDLE" --at "$TDX_AT" --trust-root "$WORK/garbage.txt"
	expect_rc "--trust-root garbage" 12
}

check_collateral_check() {
	local tcb=$PCS/tcb_info_90c06f000000.json chain=$PCS/tcb_info_90c06f000000_chain.txt
	local qe=$PCS/qe_identity.json crl=$PCS/root_ca.crl

	run collateral check --tcb-info "$tcb" --chain "$chain" --root-crl "$crl" --at 2026-02-05T00:00:00Z
	expect_rc "tcb info valid" 0
	expect_out "tcb info valid" "^document: +TCB info$"
	expect_out "tcb info valid" "^id: +TDX$"
	expect_out "tcb info valid" "^FMSPC: +90c06f000000$"
	expect_out "tcb info valid" "^TDX module identities: +TDX_0[0-9]: "

	run collateral check --qe-identity "$qe" --chain "$chain" --root-crl "$crl" --at 2026-02-05T00:00:00Z --json
	expect_rc "qe identity valid" 0
	expect_json "qe identity valid" '^\{"ok":true,"checked_at":"2026-02-05T00:00:00Z","document":"qe_identity","qe_identity":\{"id":"TD_QE"'

	run collateral check --qe-identity "$qe" --chain "$chain" --at 2026-03-05T00:00:00Z
	expect_rc "qe identity expired" 14
	expect_err "qe identity expired" "^ratls: collateral check failed: RATLS_ERR_COLLATERAL_EXPIRED: "
	expect_err "qe identity expired" "^ratls: warning: no --root-crl"
	expect_no_out "qe identity expired"

	run verify quote "$CORPUS/google__go-tdx-guest/testing/testdata/quote_v5_sample.dat" \
		--tcb-info "$tcb" --qe-identity "$qe" --chain "$chain" \
		--pck-crl "$PCS/pck_crl_platform.crl" --pck-crl-chain "$PCS/pck_crl_platform_chain.txt" \
		--root-crl "$crl" --at 2026-02-05T00:00:00Z
	expect_rc "separate files with --chain" 0
	expect_out "separate files with --chain" "^quote: +version 5, TDX, TD report 1.5$"
}

# RA-TLS certificates: the corpus certificates, then one issued on a simulated platform and
# verified end to end, with each later step broken in turn.
check_cert_commands() {
	local dstack=$CORPUS/Dstack-TEE__dstack
	local platform=$WORK/platform
	local compose=abababababababababababababababababababababababababababababababab
	local other=cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd

	run inspect cert "$dstack/kms/assets/app-no-quote.cert"
	expect_rc "inspect cert without evidence" 17
	expect_err "inspect cert without evidence" "RATLS_ERR_NOT_RATLS: "

	run inspect cert "$dstack/kms/assets/app.cert"
	expect_rc "inspect cert with text report_data" 17
	expect_err "inspect cert with text report_data" "^ratls: key binding failed: RATLS_ERR_KEY_BINDING: "
	expect_json "inspect cert with text report_data" '"key_binding":"RATLS_ERR_KEY_BINDING"'

	run verify cert "$dstack/kms/assets/app-no-quote.cert"
	expect_rc "verify cert without evidence" 17
	expect_err "verify cert without evidence" "RATLS_ERR_NOT_RATLS"

	run verify cert --allow-simulator --json "$dstack/kms/assets/app-no-quote.cert"
	expect_rc "verify cert --allow-simulator" 0
	expect_err "verify cert --allow-simulator" "^ratls: warning: --allow-simulator"
	expect_json "verify cert --allow-simulator" '"evidence":\{"present":false\}'
	expect_json "verify cert --allow-simulator" '"attested":false'

	run verify cert --allow-simulator --mrtd "$TDX_MRTD" "$dstack/kms/assets/app-no-quote.cert"
	expect_rc "verify cert --allow-simulator with a pin" 0
	expect_out "verify cert --allow-simulator with a pin" "^verdict: +accepted without attestation"
	expect_err "verify cert --allow-simulator with a pin" "pins are not applied"

	run verify quote --allow-simulator "$TDX_QUOTE" --collateral "$TDX_BUNDLE"
	expect_rc "--allow-simulator on verify quote" 2

	run sim init "$platform"
	expect_rc "sim init for certificates" 0
	run sim cert --platform "$platform" --out "$WORK/cert.pem" --key-out "$WORK/key.pem" \
		--compose-hash "$compose" --dns db.example.com
	expect_rc "sim cert" 0
	run sim collateral --platform "$platform" --out "$WORK/cert-collateral.json"
	expect_rc "sim collateral for certificates" 0

	run verify cert --trust-root "$platform/root.pem" --collateral "$WORK/cert-collateral.json" \
		--compose-hash "$compose" "$WORK/cert.pem"
	expect_rc "verify cert" 0
	expect_out "verify cert" "^verdict: +accepted$"
	expect_out "verify cert" "^key binding: +ok$"
	expect_out "verify cert" "^RTMR3 replay: +match$"
	expect_out "verify cert" "^compose hash: +$compose$"

	run verify cert --trust-root "$platform/root.pem" --collateral "$WORK/cert-collateral.json" \
		--json "$WORK/cert.pem"
	expect_rc "verify cert --json" 0
	expect_json "verify cert --json" '"attested":true'

	run verify cert --collateral "$WORK/cert-collateral.json" "$WORK/cert.pem"
	expect_rc "verify cert without the simulated root" 13
	expect_err "verify cert without the simulated root" "RATLS_ERR_UNTRUSTED_ROOT"

	run verify cert --trust-root "$platform/root.pem" "$WORK/cert.pem"
	expect_rc "verify cert without collateral" 14
	expect_err "verify cert without collateral" "RATLS_ERR_COLLATERAL_MISSING"

	run verify cert --trust-root "$platform/root.pem" --collateral "$WORK/cert-collateral.json" \
		--compose-hash "$other" --json "$WORK/cert.pem"
	expect_rc "verify cert with another compose hash" 16
	expect_json "verify cert with another compose hash" '"error":"RATLS_ERR_MEASUREMENT_MISMATCH"'
	expect_json "verify cert with another compose hash" '"failed_step":"policy"'

	run verify cert --trust-root "$platform/root.pem" --collateral "$WORK/cert-collateral.json" \
		--app-id 1234 "$WORK/cert.pem"
	expect_rc "verify cert with a short app id" 2

	run inspect cert "$WORK/cert.pem"
	expect_rc "inspect cert" 0
	expect_json "inspect cert" '"format":"v0-scale"'
	expect_json "inspect cert" '"key_binding":"ok"'

	run sim cert --platform "$platform" --out "$WORK/debug.pem" --key-out "$WORK/debug-key.pem" \
		--debug --legacy
	expect_rc "sim cert --debug" 0
	run verify cert --trust-root "$platform/root.pem" --collateral "$WORK/cert-collateral.json" \
		"$WORK/debug.pem"
	expect_rc "verify cert of a debug TD" 16
	expect_err "verify cert of a debug TD" "RATLS_ERR_DEBUG"
	expect_out "verify cert of a debug TD" "^evidence: +v0-scale \(legacy .1.1/.1.2 cross-checked\)$"

	run sim cert --platform "$platform" --out "$WORK/x.pem" --key-out "$WORK/y.pem" --rtmr 3=00
	expect_rc "sim cert --rtmr 3" 2

	run sim cert --platform "$platform" --out "$WORK/same.pem" --key-out "$WORK/same.pem"
	expect_rc "sim cert with one file for both" 2
	expect_err "sim cert with one file for both" "replace the private key"
}

check_help
check_usage_errors
check_bad_inputs
check_encodings
check_verify_report
check_trust_root
check_collateral_check
check_cert_commands
walk_cases

echo "$CHECKS checks, $FAILURES failed"
[ "$FAILURES" -eq 0 ]
