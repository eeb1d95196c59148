#!/usr/bin/env bash
# One measured scenario against a fresh dnstestsrv + VA, for A/B comparisons
# and profilers (bench/run.sh is the full benchmark; this is one row of it):
#
#   bench/profile.sh BUILD_DIR load MODE CONCURRENCY N [DEADLINE]
#       N validations (MODE dcv|caa|both) over the 50,000-name namespace of
#       run.sh; prints vabench's report (VA CPU per validation and query).
#   bench/profile.sh BUILD_DIR outage N DEADLINE
#       N DoCAA at once under a TLD whose every query is dropped; prints the
#       outcomes, the VA's peak RSS, and how many "DNS try failed" lines and
#       audit lines the VA logged.
#   bench/profile.sh BUILD_DIR parse [N]
#       The VA's DNS codec alone, no VA and no sockets: N TXT and N CAA
#       answers parsed, N queries built (default 1,000,000), per second.
#
# METRICS_OUT=FILE saves the VA's /metrics once the run is over.
# VA_WRAP wraps the VA (e.g. "valgrind --tool=callgrind" or "heaptrack");
# VA_FLAGS adds VA flags (e.g. "--dns-timeout 5s" under valgrind). The VA's
# log is left in $PROFILE_DIR (default /tmp/va-profile).
set -euo pipefail
B=$1; SCENARIO=$2; shift 2
if [[ $SCENARIO == parse ]]; then
  exec "$B/bench/dns_parse_bench" "${1:-1000000}"
fi
W=${PROFILE_DIR:-/tmp/va-profile}
mkdir -p "$W"
VABENCH=$B/cmd/vabench/vabench
GEN=(--seed 1 --caa-share 0.1)
read -r DNS MGMT VA METRICS < <(python3 "$(dirname "$0")/free_ports.py" 4)
case "$SCENARIO" in
  load)
    MODE=$1; C=$2; N=$3; DEADLINE=${4:-10s}
    NS=("${GEN[@]}" --tld bench --zones 200 --names-per-zone 250)
    RECORDS=$W/bench.json
    BENCH_FLAGS=(--mode "$MODE" --n "$N" --concurrency "$C" --deadline "$DEADLINE")
    ;;
  outage)
    N=$1; DEADLINE=$2
    NS=("${GEN[@]}" --tld outage --zones 100 --names-per-zone $(((N + 99) / 100)))
    RECORDS=$W/outage-$N.json
    BENCH_FLAGS=(--mode caa --n "$N" --concurrency "$N" --deadline "$DEADLINE")
    ;;
  *) echo "profile.sh: unknown scenario $SCENARIO" >&2; exit 2 ;;
esac
if [[ ! -s $RECORDS ]]; then
  FAULT=()
  [[ $SCENARIO == outage ]] && FAULT=(--fault-mode drop)
  "$VABENCH" "${NS[@]}" "${FAULT[@]}" --generate-records "$RECORDS" 2>/dev/null
fi

PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true; wait 2>/dev/null || true' EXIT
"$B/cmd/dnstestsrv/dnstestsrv" --dns01 "127.0.0.1:$DNS" \
  --management "127.0.0.1:$MGMT" --records "$RECORDS" --history=false \
  >"$W/dnstestsrv.log" 2>&1 &
PIDS+=($!)
# It listens only once the records are loaded; queries sent earlier would be
# refused and show up as transient failures in the figures.
for _ in $(seq 300); do
  (exec 3<>"/dev/tcp/127.0.0.1/$DNS") 2>/dev/null && break
  sleep 0.1
done
# shellcheck disable=SC2086  # VA_WRAP and VA_FLAGS are word lists
${VA_WRAP:-} "$B/cmd/va/va" --listen "127.0.0.1:$VA" --plaintext \
  --dns-resolvers "127.0.0.1:$DNS" --dns-timeout 1s --dnssec-canary=off \
  --issuer-domain letsencrypt.org --account-uri-prefixes https://acme.example/acct/ \
  --metrics-listen "127.0.0.1:$METRICS" ${VA_FLAGS:-} >"$W/va.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 300); do
  (exec 3<>"/dev/tcp/127.0.0.1/$VA") 2>/dev/null && break
  sleep 0.1
done
# The VA itself, not a wrapper that started it (heaptrack's script, perf);
# under valgrind the VA's process is named after the tool.
VA_PID=$(pgrep -f -- "--listen 127.0.0.1:$VA" | while read -r p; do
  case $(cat "/proc/$p/comm" 2>/dev/null) in
    bash | sh | env | heaptrack | perf) ;;
    *) echo "$p" ;;
  esac
done | tail -1)
"$VABENCH" --va "127.0.0.1:$VA" --plaintext --va-pid "${VA_PID:-0}" \
  --va-metrics "127.0.0.1:$METRICS" "${NS[@]}" "${BENCH_FLAGS[@]}"
if [[ -n ${METRICS_OUT:-} ]]; then
  curl -sf "http://127.0.0.1:$METRICS/metrics" >"$METRICS_OUT"
fi
kill "$VA_PID" 2>/dev/null || true
for _ in $(seq 100); do kill -0 "$VA_PID" 2>/dev/null || break; sleep 0.1; done
echo "VA log: $(grep -c '"DNS try failed"' "$W/va.log") \"DNS try failed\" lines, $(grep -c '"level":"audit"' "$W/va.log") audit lines ($W/va.log)"
