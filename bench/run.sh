#!/usr/bin/env bash
# Compares the ratls verifier with the npm DCAP verifiers @phala/dcap-qvl
# (pure JS) and @phala/dcap-qvl-web (WASM) on the same quotes and prints the
# time ratios.
#
# Usage: bench/run.sh [BUILDDIR [ANCHOR_FLAGS...]]
#   BUILDDIR      meson build folder (default, also for an empty argument:
#                 build-bench in the repository). The script configures it
#                 with --buildtype=release if it is not configured yet.
#   ANCHOR_FLAGS  passed to bench/anchor/anchor.mjs, for example
#                 --iterations 200 --warmup 30 --rounds 5 (its defaults).
# RATLS_CORPUS_DIR selects the corpus folder (default: ../shared/corpus next
# to the repository) for both programs.
#
# Needs meson, ninja, a C toolchain with the ratls dependencies, node >= 20
# and npm. The first run needs the npm registry for `npm ci`.
#
# Contract for <BUILDDIR>/bench/bench_verify:
#   - run.sh starts it with no arguments and RATLS_CORPUS_DIR in its
#     environment, and treats a nonzero exit status as a failure.
#   - It prints to stdout one JSON object per line and nothing else, one
#     line per measured case:
#       {"case":"tdx_full","sample":"tdx_quote","median_ms":…,"p10_ms":…,
#        "p90_ms":…,"min_ms":…,"iterations":…}
#     Times are milliseconds per call. The cases are
#       tdx_full, sgx_full    the full verification of the sample quote
#                             (sample tdx_quote or sgx_quote),
#       tdx_warm, sgx_warm    the verification with the collateral checks
#                             cached by an earlier call, so that only the
#                             three ECDSA checks named below remain, and
#       ecdsa_p256_verify     one raw ECDSA P-256 signature verify (no
#                             "sample" field).
#   - The samples are Phala-Network__dcap-qvl/sample/{tdx_quote,sgx_quote}
#     in the corpus with their *_collateral.json, verified at Unix time
#     1752919234 (TDX) and 1752919277 (SGX), as anchor.mjs does.
#
# The table prints, for each case with a sample, the median of the faster
# anchor on that sample divided by the ratls median (and the same ratio of
# the p10 figures, which vary less on a busy machine). For each warm case it
# prints warm median / (3 x ecdsa_p256_verify median), where 3 counts the
# ECDSA signatures the warm path still checks: the PCK leaf certificate, the
# QE report and the quote. The warm-path target is a ratio of at most 1.5.

set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
anchor_dir="$repo_root/bench/anchor"

builddir="${1:-$repo_root/build-bench}"
if [ $# -gt 0 ]; then
    shift
fi

export RATLS_CORPUS_DIR="${RATLS_CORPUS_DIR:-$repo_root/../shared/corpus}"
if [ ! -d "$RATLS_CORPUS_DIR" ]; then
    echo "run.sh: corpus folder not found: $RATLS_CORPUS_DIR. Set RATLS_CORPUS_DIR to the corpus folder." >&2
    exit 1
fi

# Configures the build folder when it is new, so a given folder keeps its
# options, and builds bench_verify if bench/meson.build defines it. Sets
# bench_status to "built", "no-target" or "build-failed".
build_bench_verify() {
    if [ ! -f "$builddir/build.ninja" ]; then
        meson setup --buildtype=release "$builddir" "$repo_root" >&2 || return 1
    fi

    local buildtype
    buildtype=$(meson introspect --buildoptions "$builddir" |
        node -e 'const options = JSON.parse(require("fs").readFileSync(0, "utf8"));
                 process.stdout.write(options.find((option) => option.name === "buildtype").value);') || return 1
    if [ "$buildtype" != release ]; then
        echo "run.sh: warning: $builddir has buildtype $buildtype, not release, so the ratls figures are not comparable" >&2
    fi

    local has_target
    has_target=$(meson introspect --targets "$builddir" |
        node -e 'const targets = JSON.parse(require("fs").readFileSync(0, "utf8"));
                 process.stdout.write(String(targets.some((target) => target.name === "bench_verify")));') || return 1
    if [ "$has_target" != true ]; then
        bench_status=no-target
        return 0
    fi

    meson compile -C "$builddir" bench_verify >&2 || return 1
    bench_status=built
}

# A failed ratls build still lets the anchors run, but the script then exits
# with status 1 at the end.
exit_status=0
if ! build_bench_verify; then
    bench_status=build-failed
fi

results_dir="$builddir/bench-results"
mkdir -p "$results_dir"
ratls_results="$results_dir/ratls.jsonl"
anchor_results="$results_dir/anchor.jsonl"
rm -f "$ratls_results" "$anchor_results"

bench_verify="$builddir/bench/bench_verify"
table_args=(--anchor "$anchor_results")
case "$bench_status" in
    build-failed)
        echo "run.sh: the ratls build in $builddir failed (see the errors above), so only the anchors run" >&2
        exit_status=1
        ;;
    no-target)
        echo "run.sh: bench/meson.build defines no bench_verify target yet, so only the anchors run" >&2
        ;;
    built)
        if [ ! -x "$bench_verify" ]; then
            echo "run.sh: the bench_verify target built no executable at $bench_verify" >&2
            exit 1
        fi
        echo "Running $bench_verify" >&2
        "$bench_verify" > "$ratls_results" || {
            status=$?
            echo "run.sh: $bench_verify failed with exit status $status" >&2
            exit 1
        }
        table_args+=(--ratls "$ratls_results")
        ;;
esac

if [ ! -d "$anchor_dir/node_modules" ]; then
    (cd "$anchor_dir" && npm ci --no-audit --no-fund) >&2
fi

echo "Running bench/anchor/anchor.mjs $*" >&2
node "$anchor_dir/anchor.mjs" "$@" > "$anchor_results"

echo "Raw results: $results_dir" >&2
echo
node "$anchor_dir/table.mjs" "${table_args[@]}"

# The PCS provider benchmark, when bench/meson.build defines it: bench_pcs
# serves the real TDX sample's collateral from the tests' PCS look-alike on
# 127.0.0.1 and prints JSON lines like bench_verify (cases tdx_warm,
# tdx_pcs_hit, tdx_pcs_cold, and tdx_pcs_hit_over_warm with the ratios).
# The target: a verification served from the provider's cache costs at
# most 1.10 times the warm verification measured in the same run.
has_bench_pcs=false
if [ "$bench_status" = built ]; then
    has_bench_pcs=$(meson introspect --targets "$builddir" |
        node -e 'const targets = JSON.parse(require("fs").readFileSync(0, "utf8"));
                 process.stdout.write(String(targets.some((target) => target.name === "bench_pcs")));')
fi
if [ "$has_bench_pcs" = true ]; then
    pcs_results="$results_dir/pcs.jsonl"
    if meson compile -C "$builddir" bench_pcs >&2 && "$builddir/bench/bench_pcs" > "$pcs_results"; then
        echo
        node -e '
            const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n");
            const cases = Object.fromEntries(lines.map((line) => JSON.parse(line)).map((c) => [c.case, c]));
            const ms = (c) => `${c.median_ms.toFixed(3)} ms (p10 ${c.p10_ms.toFixed(3)} ms)`;
            const ratio = cases.tdx_pcs_hit_over_warm;
            console.log("PCS provider, real TDX sample, collateral over HTTP on 127.0.0.1");
            console.log(`  warm verification (tdx_warm)        ${ms(cases.tdx_warm)}`);
            console.log(`  served from the cache (tdx_pcs_hit) ${ms(cases.tdx_pcs_hit)}`);
            console.log(`  cache hit / warm                    ${ratio.median_ratio.toFixed(3)} (p10 ${ratio.p10_ratio.toFixed(3)}), target at most 1.10`);
            console.log(`  cold fetch and verify (tdx_pcs_cold) ${ms(cases.tdx_pcs_cold)}`);
        ' "$pcs_results"
    else
        echo "run.sh: bench_pcs failed; see the errors above" >&2
        exit_status=1
    fi
fi
exit "$exit_status"
