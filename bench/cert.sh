#!/usr/bin/env bash
# Times the full RA-TLS certificate check (ratls_verify_cert) against the
# DCAP verification of the same quote with a prepared context, side by side
# in one process, on a certificate from the simulated platform. Prints the
# JSON lines of bench_cert and the ratio of the medians.
#
# Usage: bench/cert.sh [BUILDDIR]
#   BUILDDIR  meson build folder (default: build-bench in the repository),
#             configured with --buildtype=release -Dbench=true when new.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builddir="${1:-$repo_root/build-bench}"

if [ ! -f "$builddir/build.ninja" ]; then
    meson setup "$builddir" "$repo_root" --buildtype=release -Dbench=true >&2
fi
meson compile -C "$builddir" bench_cert >&2
"$builddir/bench/bench_cert" | tee "$builddir/bench-cert.jsonl"
python3 - "$builddir/bench-cert.jsonl" <<'PY'
import json, sys
cases = {c["case"]: c for c in map(json.loads, open(sys.argv[1]))}
ratio = cases["cert_check_over_quote_warm"]
print(f"full certificate check / DCAP verification of its quote: "
      f"{ratio['median_ratio']:.3f} (p10 {ratio['p10_ratio']:.3f})")
PY
