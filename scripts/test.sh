#!/usr/bin/env bash
# Runs every test: unit and integration tests (ctest), the docker-compose
# syntax check, short fuzzing smoke runs, and the sanitizer build of the unit
# tests. Installs what is missing first. Set QUICK=1 to skip fuzz/sanitizers.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

./scripts/install-deps.sh

echo "== build"
./scripts/build.sh

echo "== unit and integration tests"
# Integration tests start real processes on loopback ports picked at run time.
(cd build && ctest --output-on-failure -j"$(nproc)" --timeout 600)

echo "== docker-compose syntax and stack configuration"
# Parses docker-compose.yml with Debian's docker-compose (no engine needed)
# and checks it agrees with deploy/stack.env and the Unbound configuration.
deploy/check-stack.sh

if [[ "${QUICK:-0}" != 1 && -d test/fuzz ]]; then
  echo "== fuzz smoke"
  ./scripts/fuzz.sh "${FUZZ_SECONDS:-30}"
fi

if [[ "${QUICK:-0}" != 1 && "${SANITIZE:-1}" == 1 ]]; then
  echo "== AddressSanitizer + UndefinedBehaviorSanitizer (unit tests)"
  # The unit tests only: the integration tests already ran the real
  # programs, and building them twice would double CI's build time.
  BUILD_DIR=build-asan BUILD_TYPE=Debug ./scripts/build.sh -DVA_SANITIZE=ON \
    -DVA_BUILD_PROGRAMS=OFF
  (cd build-asan && ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --output-on-failure -j"$(nproc)" --timeout 900 -L unit)
fi
echo "== all tests passed"
