#!/usr/bin/env bash
# Installs the Debian 12 packages that building, testing and fuzzing ratls
# need. Run as root. Node.js and npm are needed only by bench/run.sh.
set -euo pipefail

packages=(
    build-essential
    clang
    libclang-rt-14-dev
    libcmocka-dev
    libcurl4-openssl-dev
    libevent-dev
    libjansson-dev
    libmsgpack-dev
    libpq-dev
    libssl-dev
    meson
    ninja-build
    pkg-config
    postgresql
    postgresql-client
)

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$package")
    fi
done
if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
