#!/usr/bin/env bash
# Before/after comparison of two builds on one machine in one run:
#
#   bench/ab.sh BUILD_A BUILD_B [ROUNDS] [N]
#
# BUILD_A and BUILD_B are build directories (same CMAKE_BUILD_TYPE) holding
# cmd/va/va, cmd/dnstestsrv/dnstestsrv and cmd/vabench/vabench, e.g. a
# worktree of the old revision built with
#   git worktree add --detach /tmp/before REV && cmake -S /tmp/before \
#     -B /tmp/before/build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo && \
#   ninja -C /tmp/before/build va dnstestsrv vabench
# Each round runs bench/profile.sh's dcv, caa and both scenarios (N
# validations at concurrency 64, default 30000) and the outage scenario
# (2,000 DoCAA under a dead TLD, 2 s deadline) on A, then on B, so that a
# change in the machine's load hits both sides alike. Prints one row per run
# and, per scenario, the median of each side and the ratio B/A.
set -euo pipefail
A=$1; B=$2; ROUNDS=${3:-3}; N=${4:-30000}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(mktemp -d /tmp/va-ab.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

run() {  # side build scenario...
  local side=$1 build=$2
  shift 2
  PROFILE_DIR=$OUT/$side "$HERE/profile.sh" "$build" "$@" 2>&1
}

rows=$OUT/rows.tsv
for round in $(seq "$ROUNDS"); do
  for side in A B; do
    build=$A; [[ $side == B ]] && build=$B
    for mode in dcv caa both; do
      text=$(run "$side" "$build" load "$mode" 64 "$N")
      rate=$(sed -n 's/.* = \([0-9.]*\)\/s.*/\1/p' <<<"$text" | head -1)
      cpu=$(sed -n 's/.*, \([0-9.]*\) us per validation.*/\1/p' <<<"$text" | head -1)
      rss=$(sed -n 's/.*peak RSS \([0-9.]*\) MiB.*/\1/p' <<<"$text" | head -1)
      p99=$(sed -n 's/^  latency: .*p99 \([0-9.]*\) ms.*/\1/p' <<<"$text" | head -1)
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$side" "$mode" \
        "${rate:-?}" "${cpu:-?}" "${rss:-?}" "${p99:-?}" | tee -a "$rows"
    done
    text=$(run "$side" "$build" outage 2000 2s)
    outcomes=$(sed -n 's/^  outcomes: //p' <<<"$text" | head -1)
    rss=$(sed -n 's/.*peak RSS \([0-9.]*\) MiB.*/\1/p' <<<"$text" | head -1)
    p99=$(sed -n 's/^  latency: .*p99 \([0-9.]*\) ms.*/\1/p' <<<"$text" | head -1)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$side" outage - - \
      "${rss:-?}" "${p99:-?}" "$outcomes" | tee -a "$rows"
  done
done

echo
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$rows" <<'EOF'
import statistics
import sys

rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
cols = ["validations/s", "VA CPU us/validation", "VA peak RSS MiB",
        "p99 ms"]
print("| scenario | figure | A (median) | B (median) | B/A |")
print("|---|---|---|---|---|")
for mode in ["dcv", "caa", "both", "outage"]:
    for i, name in enumerate(cols):
        vals = {}
        for side in "AB":
            xs = [float(r[3 + i]) for r in rows
                  if r[1] == side and r[2] == mode and
                  r[3 + i] not in ("-", "?")]
            vals[side] = statistics.median(xs) if xs else None
        if vals["A"] is None or vals["B"] is None:
            continue
        ratio = vals["B"] / vals["A"] if vals["A"] else float("nan")
        print(f"| {mode} | {name} | {vals['A']:.1f} | {vals['B']:.1f} "
              f"| {ratio:.2f} |")
EOF
