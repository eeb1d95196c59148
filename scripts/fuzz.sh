#!/usr/bin/env bash
# Builds the libFuzzer targets with clang into ./build-fuzz and runs each one
# for N seconds (default 30): ./scripts/fuzz.sh [seconds]
# Each run starts from the checked-in seeds (test/fuzz/corpus/<target>/) and
# keeps what it finds in build-fuzz/corpus/<target>/ (never in the repo).
# Exits non-zero if any target crashes, leaks, trips a sanitizer or breaks an
# invariant; the crashing input is left in build-fuzz/crashes/.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-30}
BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}

if ! command -v clang++ >/dev/null; then
  echo "fuzz.sh: clang++ not found (apt-get install clang)" >&2
  exit 1
fi

CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVA_FUZZ=ON -DVA_BUILD_TESTS=ON >/dev/null
ninja -C "$BUILD_DIR" -j"$(nproc)" fuzzers

TARGETS=()
for dir in test/fuzz/corpus/*/; do
  TARGETS+=("$(basename "$dir")")
done

mkdir -p "$BUILD_DIR/crashes"
failed=()
for target in "${TARGETS[@]}"; do
  bin="$BUILD_DIR/test/fuzz/$target"
  if [[ ! -x "$bin" ]]; then
    echo "fuzz.sh: $bin was not built" >&2
    failed+=("$target(missing)")
    continue
  fi
  work="$BUILD_DIR/corpus/$target"
  mkdir -p "$work"
  log="$BUILD_DIR/crashes/$target.log"
  echo "== $target: ${SECONDS_EACH}s"
  # The first corpus dir receives new inputs; the seeds are only read.
  if "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$BUILD_DIR/crashes/$target-" \
      "$work" "test/fuzz/corpus/$target" >"$log" 2>&1; then
    grep -E '^(Done|stat::number_of_executed_units)' "$log" || true
  else
    echo "!! $target FAILED; last lines of $log:"
    tail -40 "$log"
    failed+=("$target")
  fi
done

if ((${#failed[@]})); then
  echo "fuzz.sh: failures: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz.sh: ${#TARGETS[@]} targets, ${SECONDS_EACH}s each, no crashes"
