#!/usr/bin/env bash
# Runs the whole test suite: the unit, corpus and command-line tests in a
# release-like build and again under AddressSanitizer and
# UndefinedBehaviorSanitizer, then each libFuzzer target for a short time
# seeded from the corpus. The last line counts the test cases:
# "tests: N passed, N failed, N skipped".
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export RATLS_CORPUS_DIR="${RATLS_CORPUS_DIR:-$repo_root/../shared/corpus}"
fuzz_seconds="${RATLS_FUZZ_SECONDS:-10}"
out="${RATLS_TEST_BUILD_ROOT:-$repo_root/build-test}"
passed=0
failed=0
skipped=0

# Runs meson test in a build folder and adds its counts to the totals: the
# cmocka cases each test program reports, or one failure for a program that
# failed without a cmocka summary (a crash or a sanitizer abort).
run_suite() {
    local dir=$1
    local counts

    meson test -C "$dir" --print-errorlogs || true
    counts=$(python3 - "$dir/meson-logs/testlog.json" <<'PY'
import json, re, sys
passed = failed = skipped = 0
try:
    lines = open(sys.argv[1]).read().splitlines()
except OSError:
    lines = []
    failed = 1
for line in lines:
    entry = json.loads(line)
    out = (entry.get("stdout") or "") + (entry.get("stderr") or "")
    run = sum(int(n) for n in re.findall(r"\[==========\] (\d+) test\(s\) run", out))
    skip = sum(int(n) for n in re.findall(r"\[  SKIPPED \] (\d+) test", out))
    bad = sum(int(n) for n in re.findall(r"\[  FAILED  \] (\d+) test", out))
    if run == 0:
        run = 1
        bad = 0 if entry["result"] in ("OK", "SKIP") else 1
    elif entry["result"] not in ("OK", "SKIP") and bad == 0:
        bad = 1
    passed += max(run - skip - bad, 0)
    skipped += skip
    failed += bad
print(passed, failed, skipped)
PY
)
    read -r suite_passed suite_failed suite_skipped <<<"$counts"
    passed=$((passed + suite_passed))
    failed=$((failed + suite_failed))
    skipped=$((skipped + suite_skipped))
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
# Inputs the corpus lacks: a msgpack (V1) attestation envelope and an RA-TLS
# certificate with every dstack extension, issued on the simulated platform.
cp "$repo_root"/tests/fuzz/seeds/* "$seeds/"
for target in "$out"/fuzz/tests/fuzz/fuzz_*; do
    [ -f "$target" ] && [ -x "$target" ] || continue
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

echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
