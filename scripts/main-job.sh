#!/usr/bin/env bash
# Builds ratls and verifies the real Intel-signed TDX v4 sample quote against
# its real Intel collateral at a time inside the collateral's validity
# window, printing the verified report.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
corpus="${RATLS_CORPUS_DIR:-$repo_root/../shared/corpus}"
build="$repo_root/build"

if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" "$repo_root" >/dev/null
fi
ninja -C "$build" tools/ratls/ratls >/dev/null

sample="$corpus/Phala-Network__dcap-qvl/sample"
exec "$build/tools/ratls/ratls" verify quote "$sample/tdx_quote" \
    --collateral "$sample/tdx_quote_collateral.json" \
    --at 2025-07-19T10:00:34Z
