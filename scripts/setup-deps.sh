#!/usr/bin/env bash
# Installs the Debian packages crmrules needs, and only those that are missing.
# Safe to run repeatedly; does nothing (and needs no network) when all are present.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config git
  libboost-graph-dev libboost-date-time-dev
  libfmt-dev catch2 libbenchmark-dev nlohmann-json3-dev
  libsqlite3-dev libphonenumber-dev libcli11-dev libutf8proc-dev
)
# Extra tools for the sanitizer/fuzz presets and formatting checks.
if [[ "${CRMRULES_DEV_TOOLS:-0}" == 1 ]]; then
  packages+=(clang clang-format clang-tidy libclang-rt-dev)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "setup-deps: installing ${missing[*]}" >&2
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >&2
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
