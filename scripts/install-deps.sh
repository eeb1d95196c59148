#!/usr/bin/env bash
# Installs the Debian 12 packages the build, the tests and the demo need.
# Skips apt entirely when everything is already there.
set -euo pipefail

PACKAGES=(
  # build
  cmake ninja-build pkg-config g++ libgrpc++-dev protobuf-compiler-grpc
  libprotobuf-dev protobuf-compiler libc-ares-dev libabsl-dev libssl-dev
  libgtest-dev libgmock-dev libsqlite3-dev zlib1g-dev libidn2-dev
  libcpp-httplib-dev
  # tests, fuzzing, benchmarks and the compose syntax check
  clang libclang-rt-14-dev unbound dns-root-data nsd dnsutils ldnsutils dnsperf
  docker-compose openssl
  python3 sqlite3 iproute2 procps curl ca-certificates
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "installing: ${missing[*]}" >&2
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq -o DPkg::Lock::Timeout=600
  # --no-install-recommends: without it docker-compose drags in the whole
  # Docker engine.
  $SUDO apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=600 \
    "${missing[@]}"
fi
