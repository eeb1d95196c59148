#!/usr/bin/env bash
# Runs every test: unit and integration tests (ctest), the docker-compose
# syntax check, the compose stack started in containers, short fuzzing smoke
# runs, then the whole suite again under
# AddressSanitizer + UndefinedBehaviorSanitizer (LeakSanitizer on) and the
# concurrency tests under ThreadSanitizer. Installs what is missing first.
# QUICK=1 skips the compose stack, fuzzing and sanitizers; SANITIZE=0 skips
# the sanitizers only, COMPOSE_TEST=0 the compose stack only.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

./scripts/install-deps.sh

# Warnings are errors here (hence in CI), not in a user's build: -DVA_WERROR.
# The suite runs on a Release build (-O3: GCC warns differently there, e.g.
# -Warray-bounds, and a user's Release build must build), in its own
# directory so that the demo's and the benchmarks' RelWithDebInfo ./build is
# left alone. Debug is built below (ASan, TSan). One build instead of a
# second one only for its warnings: 9 min on two cores.
echo "== build (Release, warnings as errors)"
BUILD_DIR=build-release BUILD_TYPE=Release ./scripts/build.sh -DVA_WERROR=ON

# Runs ctest in build dir $1 (further args go to ctest), and fails if a test
# suite's shared set-up failed: GoogleTest then skips its tests, and ctest
# (through gtest_discover_tests' "[  SKIPPED ]" rule) reports them as
# skipped, not failed. Tests that skip themselves for want of something on
# the machine (dig, IPv6 loopback, root) stay skipped.
run_ctest() {
  local build_dir=$1
  shift
  local status=0
  (cd "$build_dir" && ctest --output-on-failure "$@") || status=$?
  local last=$build_dir/Testing/Temporary/LastTest.log
  if grep -q 'SetUpTestSuite or TearDownTestSuite' "$last"; then
    echo "a test suite's set-up or tear-down failed (its tests show as" \
      "skipped); from $last:"
    grep -B30 'SetUpTestSuite or TearDownTestSuite' "$last" | head -n 120
    status=1
  fi
  return "$status"
}

echo "== unit and integration tests"
# Integration tests start real processes on loopback ports picked at run time.
run_ctest build-release -j"$(nproc)" --timeout 600

echo "== docker-compose syntax and stack configuration"
# Parses docker-compose.yml with Debian's docker-compose (no engine needed)
# and checks it agrees with deploy/stack.env and the Unbound configuration.
deploy/check-stack.sh

if [[ "${QUICK:-0}" != 1 && "${COMPOSE_TEST:-1}" == 1 ]]; then
  echo "== docker-compose stack in containers"
  # Builds the images (the programs compiled inside the build stage), starts
  # the stack on a private dockerd and validates through it; see the script.
  compose_start=$SECONDS
  ./scripts/compose-test.sh
  echo "docker-compose stage: $((SECONDS - compose_start)) s"
fi

if [[ "${QUICK:-0}" != 1 && -d test/fuzz ]]; then
  echo "== fuzz smoke"
  ./scripts/fuzz.sh "${FUZZ_SECONDS:-30}"
fi

# Runs ctest in build dir $1 (further args go to ctest) with every sanitizer
# report sent to a file, then fails if any report exists. Reports of the
# processes the integration tests start would otherwise only reach their
# logs: ASan/LSan/TSan write to log_path, and UBSan (which ignores log_path
# in GCC's ASan build) writes to stderr, which the harness puts in a log under
# TMPDIR (kept: RA_E2E_KEEP_LOGS), so both directories are searched.
sanitized_ctest() {
  local build_dir=$1
  shift
  local reports=$ROOT/$build_dir/sanitizer-reports
  rm -rf "$reports"
  mkdir -p "$reports/tmp"
  local status=0
  TMPDIR=$reports/tmp RA_E2E_KEEP_LOGS=1 \
    ASAN_OPTIONS=detect_leaks=1:log_path=$reports/asan:log_exe_name=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    TSAN_OPTIONS="log_path=$reports/tsan second_deadlock_stack=1" \
    run_ctest "$build_dir" -j"$(nproc)" --timeout 900 "$@" || status=$?
  local found
  found=$(grep -rlE 'ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer|runtime error: |SUMMARY: [A-Za-z]+Sanitizer' \
    "$reports" || true)
  if [[ -n "$found" ]]; then
    echo "sanitizer reports in $reports:"
    for f in $found; do
      echo "---- $f"
      head -n 60 "$f"
    done
    status=1
  fi
  return "$status"
}

if [[ "${QUICK:-0}" != 1 && "${SANITIZE:-1}" == 1 ]]; then
  echo "== AddressSanitizer + UndefinedBehaviorSanitizer (unit and integration tests)"
  # Everything, programs included: the integration tests run the sanitized
  # va, ra, dnstestsrv and vactl. -O0 with line tables only (-g1): on two
  # cores -O1 took twice as long to build for a run that is short anyway.
  # Tests labelled slow (load and latency targets) are skipped.
  BUILD_DIR=build-asan BUILD_TYPE=Debug ./scripts/build.sh -DVA_SANITIZE=ON \
    -DVA_BUILD_PROGRAMS=ON -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DVA_WERROR=ON
  sanitized_ctest build-asan -LE slow

  echo "== ThreadSanitizer (tests labelled concurrency)"
  # Only the threaded tests that do not run through gRPC: Debian's gRPC is
  # not instrumented and TSan reports false races inside it. Debian's absl
  # is not instrumented either; test/sanitizers/tsan_absl_sync_annotations.cc
  # makes its Mutex visible, and tsan_selftest checks that (see
  # test/sanitizers/README.md).
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DVA_TSAN=ON -DVA_BUILD_PROGRAMS=OFF \
    -DVA_WERROR=ON >/dev/null
  ninja -C build-tsan -j"$(nproc)" concurrency_tests
  sanitized_ctest build-tsan -L concurrency
fi
echo "== all tests passed"
