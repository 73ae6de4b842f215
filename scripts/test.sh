#!/usr/bin/env bash
# Runs the whole test suite: the unit, corpus and command-line tests in a
# release-like build and again under AddressSanitizer and
# UndefinedBehaviorSanitizer, then each libFuzzer target for a short time
# seeded from the corpus. Prints one "N passed, N failed" line at the end.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export RATLS_CORPUS_DIR="${RATLS_CORPUS_DIR:-$repo_root/../shared/corpus}"
fuzz_seconds="${RATLS_FUZZ_SECONDS:-10}"
out="${RATLS_TEST_BUILD_ROOT:-$repo_root/build-test}"
passed=0
failed=0

# Runs meson test in a build folder and adds its counts to the totals.
run_suite() {
    local dir=$1
    local log="$dir/meson-logs/testlog.json"
    local status=0

    meson test -C "$dir" --print-errorlogs || status=$?
    if [ -f "$log" ]; then
        passed=$((passed + $(grep -c '"result": "OK"' "$log" || true)))
        passed=$((passed + $(grep -c '"result": "SKIP"' "$log" || true)))
        failed=$((failed + $(grep -c -E '"result": "(FAIL|ERROR|TIMEOUT|UNEXPECTEDPASS)"' "$log" || true)))
    fi
    if [ "$status" -ne 0 ] && [ ! -f "$log" ]; then
        failed=$((failed + 1))
    fi
}

setup() {
    local dir=$1
    shift
    if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" "$repo_root" -Dbench=false "$@"
    fi
    ninja -C "$dir"
}

echo "== release build"
setup "$out/release"
run_suite "$out/release"

echo "== AddressSanitizer + UndefinedBehaviorSanitizer build"
setup "$out/sanitize" -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite "$out/sanitize"

echo "== libFuzzer targets, ${fuzz_seconds}s each"
CC=clang setup "$out/fuzz" -Dfuzz=true -Dtests=true -Db_sanitize=address,undefined \
    -Db_lundef=false -Dbuildtype=debug
seeds="$out/fuzz-seeds"
rm -rf "$seeds"
mkdir -p "$seeds"
if [ -d "$RATLS_CORPUS_DIR" ]; then
    find "$RATLS_CORPUS_DIR" -type f ! -name '*.md' ! -name '*.tsv' -exec cp {} "$seeds/" \;
fi
for target in "$out"/fuzz/tests/fuzz/fuzz_*; do
    [ -x "$target" ] || continue
    name=$(basename "$target")
    work="$out/fuzz-work/$name"
    mkdir -p "$work"
    if "$target" -max_total_time="$fuzz_seconds" -max_len=65536 -timeout=10 \
        -artifact_prefix="$work/" "$work" "$seeds" >"$work/log" 2>&1; then
        echo "fuzz $name: ok ($(grep -o 'Done [0-9]* runs' "$work/log" | tail -1))"
        passed=$((passed + 1))
    else
        echo "fuzz $name: FAILED; see $work/log"
        tail -30 "$work/log"
        failed=$((failed + 1))
    fi
done

echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
