#!/usr/bin/env bash
# Benchmarks the VA end to end on this machine (everything on 127.0.0.1):
#   1. builds va, dnstestsrv and vabench (Release) unless --build-dir is given;
#   2. generates one namespace (tens of thousands of names) and loads it into
#      dnstestsrv (--history=false) and NSD;
#   3. measures each DNS server's ceiling with dnsperf, using the query mix
#      the VA sends (TXT _acme-challenge.*, CAA for every suffix);
#   4. runs vabench against a VA pointed at each server, modes dcv/caa/both at
#      several concurrencies, then at half the peak rate (tail latency);
#   5. an outage run (every name under a TLD dropped), a lossy run (one
#      query in three dropped) and a slow-TXT run (every TXT answer 300 ms
#      late) against dnstestsrv instances with faults;
#   6. writes a Markdown report (bench/results-<date>.md, and stdout).
# --smoke does all of that with tiny sizes in a few seconds, checks the
# results, and writes nothing into the source tree (CI runs it via ctest).
# --resilience runs only step 5 and the loss-free baseline of the lossy run
# (query counts and % valid, which a loaded machine does not change).
#
# Usage: bench/run.sh [--smoke] [--resilience] [--build-dir DIR] [--out FILE]
#                     [--no-nsd] [--keep] [--concurrency "16 64 256 1024"]
#                     [--n N]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
USER_ARGS="$*"
SMOKE=0
RESILIENCE=0
BUILD_DIR=""
OUT=""
USE_NSD=1
KEEP=0
CONCURRENCY=""
N=""
while (($#)); do
  case "$1" in
    --smoke) SMOKE=1 ;;
    --resilience) RESILIENCE=1; USE_NSD=0 ;;
    --build-dir) BUILD_DIR=$2; shift ;;
    --build-dir=*) BUILD_DIR=${1#*=} ;;
    --out) OUT=$2; shift ;;
    --out=*) OUT=${1#*=} ;;
    --no-nsd) USE_NSD=0 ;;
    --keep) KEEP=1 ;;
    --concurrency) CONCURRENCY=$2; shift ;;
    --n) N=$2; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3

# Sizes. The full run's namespace is 200 zones x 250 names = 50,000 names.
if ((SMOKE)); then
  ZONES=5; PER_ZONE=20; CONCURRENCY=${CONCURRENCY:-"16"}; N=${N:-200}
  DNSPERF_SECONDS=1; RUN_SECONDS=20; MODES="dcv caa both"
  OUTAGE_ZONES=5; OUTAGE_PER_ZONE=10; LOSSY_ZONES=5; LOSSY_PER_ZONE=20
  HALF_RATE_SECONDS=1
else
  ZONES=200; PER_ZONE=250; CONCURRENCY=${CONCURRENCY:-"16 64 256 1024"}
  N=${N:-20000}; DNSPERF_SECONDS=10; RUN_SECONDS=20; MODES="dcv caa both"
  OUTAGE_ZONES=100; OUTAGE_PER_ZONE=100; LOSSY_ZONES=50; LOSSY_PER_ZONE=100
  HALF_RATE_SECONDS=10
fi
CAA_SHARE=0.1
SEED=1
# The VA's default (cmd/va --dns-tries); the outage bound is tries x pairs.
DNS_TRIES=${DNS_TRIES:-10}
OUTAGE_N=$((OUTAGE_ZONES * OUTAGE_PER_ZONE))
LOSSY_N=$((LOSSY_ZONES * LOSSY_PER_ZONE))

LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
log() { echo "== $*" >&2; }
die() { echo "run.sh: $*" >&2; exit 1; }

# --- build -------------------------------------------------------------------
if [[ -z $BUILD_DIR ]]; then
  ((SMOKE)) && die "--smoke needs --build-dir (it never builds)"
  BUILD_DIR=$ROOT/build-release
  log "building va dnstestsrv vabench (Release) in $BUILD_DIR"
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    >/dev/null
  ninja -C "$BUILD_DIR" -j"$(nproc)" va dnstestsrv vabench >&2
fi
VA=$BUILD_DIR/cmd/va/va
DNSTESTSRV=$BUILD_DIR/cmd/dnstestsrv/dnstestsrv
VABENCH=$BUILD_DIR/cmd/vabench/vabench
for b in "$VA" "$DNSTESTSRV" "$VABENCH"; do
  [[ -x $b ]] || die "missing $b (build it first)"
done
HAVE_DNSPERF=0; command -v dnsperf >/dev/null && HAVE_DNSPERF=1
NSD=$(command -v nsd || true)
[[ -z $NSD && -x /usr/sbin/nsd ]] && NSD=/usr/sbin/nsd
[[ -z $NSD ]] && USE_NSD=0

# --- processes: every one we start is recorded and killed on exit ------------
WORK_PREFIX=vabench
# shellcheck source=bench/lib/processes.sh
source "$ROOT/bench/lib/processes.sh"

# Loopback ports free for both TCP and UDP, chosen now.
free_ports() { $PY "$ROOT/bench/free_ports.py" "$1"; }

# Waits (bounded) until a DNS server at port $1 answers TXT $2 (without dig:
# until its TCP port accepts connections).
wait_dns() {
  if ! command -v dig >/dev/null; then wait_tcp "$1"; return; fi
  for _ in $(seq 100); do
    if dig @127.0.0.1 -p "$1" +tries=1 +time=1 +short TXT "$2" 2>/dev/null | grep -q .; then
      return 0
    fi
    sleep 0.1
  done
  die "DNS server on port $1 never answered $2"
}

GEN_FLAGS=(--seed "$SEED" --caa-share "$CAA_SHARE")

start_dnstestsrv() {  # name records-file -> sets DNS_PORT, DNS_PID
  local name=$1 records=$2 ports
  ports=($(free_ports 2))
  DNS_PORT=${ports[0]}
  "$DNSTESTSRV" --dns01 "127.0.0.1:$DNS_PORT" --management "127.0.0.1:${ports[1]}" \
    --records "$records" --history=false >"$WORK/$name.log" 2>&1 &
  DNS_PID=$!
  PIDS+=("$DNS_PID")
}

start_va() {  # name dns-port [va flags...] -> sets VA_ADDR, VA_METRICS, VA_PID
  local name=$1 dns_port=$2 ports
  shift 2
  ports=($(free_ports 2))
  VA_ADDR=127.0.0.1:${ports[0]}
  VA_METRICS=127.0.0.1:${ports[1]}
  "$VA" --listen "$VA_ADDR" --plaintext --dns-resolvers "127.0.0.1:$dns_port" \
    --dns-timeout 1s --dns-tries "$DNS_TRIES" --issuer-domain letsencrypt.org \
    --dnssec-canary=off \
    --account-uri-prefixes https://acme.example/acct/ \
    --metrics-listen "$VA_METRICS" "$@" >"$WORK/va-$name.log" 2>&1 &
  VA_PID=$!
  PIDS+=("$VA_PID")
  wait_tcp "${ports[0]}"
  wait_tcp "${ports[1]}"
}

RUNS=$WORK/runs.jsonl
: >"$RUNS"

# The kernel's count of UDP datagrams dropped because a socket's receive
# buffer was full (all sockets in this network namespace).
udp_rcvbuf_errors() {
  awk '/^Udp:/ && $2 ~ /^[0-9]+$/ {print $6}' /proc/net/snmp
}

# vabench LABEL [vabench flags...]: one run, its JSON appended to $RUNS with
# the UDP receive-buffer drops seen during it.
bench_run() {
  local label=$1; shift
  local out drops_before
  drops_before=$(udp_rcvbuf_errors)
  out=$(timeout -k 5 $((RUN_SECONDS * 3 + 60)) "$VABENCH" --va "$VA_ADDR" \
    --plaintext --va-pid "$VA_PID" --va-metrics "$VA_METRICS" \
    --max-duration "${RUN_SECONDS}s" --label "$label" --json "$@") ||
    die "vabench $label failed"
  out=$($PY -c 'import json,sys; r=json.loads(sys.argv[1]); r["udp_rcvbuf_drops"]=int(sys.argv[2]); print(json.dumps(r))' \
    "$out" $(($(udp_rcvbuf_errors) - drops_before)))
  echo "$out" >>"$RUNS"
  $PY -c 'import json,sys; r=json.loads(sys.argv[1]); print("   %-22s %-4s c=%-5d %8.0f val/s  p99 %7.2f ms  udp drops %-6d %s" % (r["label"], r["mode"], r["concurrency"], r["validations_per_second"], r["latency"]["p99_us"]/1000, r["udp_rcvbuf_drops"], r["outcomes"]))' "$out" >&2
}

# --- data --------------------------------------------------------------------
log "generating $((ZONES * PER_ZONE)) names in $WORK"
NS_FLAGS=("${GEN_FLAGS[@]}" --zones "$ZONES" --names-per-zone "$PER_ZONE" --tld bench)
"$VABENCH" "${NS_FLAGS[@]}" --generate-records "$WORK/bench.json" \
  --generate-zone "$WORK/bench.zone" 2>/dev/null
for mode in dcv caa both; do
  "$VABENCH" "${NS_FLAGS[@]}" --mode "$mode" --generate-queries "$WORK/queries.$mode" 2>/dev/null
done
PROBE=_acme-challenge.n0.z0.bench

SERVERS=(dnstestsrv)
start_dnstestsrv dnstestsrv "$WORK/bench.json"
DNSTESTSRV_PORT=$DNS_PORT
wait_dns "$DNSTESTSRV_PORT" "$PROBE"
declare -A SERVER_PORT=([dnstestsrv]=$DNSTESTSRV_PORT)

if ((USE_NSD)); then
  NSD_PORT=$(free_ports 1)
  start_nsd "$WORK/bench.zone" "$NSD_PORT"
  wait_dns "$NSD_PORT" "$PROBE"
  SERVERS+=(nsd)
  SERVER_PORT[nsd]=$NSD_PORT
fi

# --- DNS ceilings --------------------------------------------------------------
CEILINGS=$WORK/ceilings.tsv
: >"$CEILINGS"
if ((HAVE_DNSPERF && !RESILIENCE)); then
  for server in "${SERVERS[@]}"; do
    for mode in $MODES; do
      out=$(timeout -k 5 $((DNSPERF_SECONDS + 30)) dnsperf -s 127.0.0.1 \
        -p "${SERVER_PORT[$server]}" -d "$WORK/queries.$mode" \
        -l "$DNSPERF_SECONDS" -c 8 -q 500 2>&1) || die "dnsperf failed: $out"
      qps=$(awk '/Queries per second:/ {print $4}' <<<"$out")
      lost=$(awk '/Queries lost:/ {print $3}' <<<"$out")
      echo -e "$server\t$mode\t$qps\t$lost" >>"$CEILINGS"
      log "dnsperf $server $mode: $qps qps ($lost lost)"
    done
  done
else
  log "dnsperf not installed: no ceilings"
fi

# --- throughput matrix ---------------------------------------------------------
PEAK_SERVER=""; PEAK_RATE=0
for server in "${SERVERS[@]}"; do
  log "VA -> $server"
  start_va "$server" "${SERVER_PORT[$server]}"
  for mode in $MODES; do
    ((RESILIENCE)) && break
    for c in $CONCURRENCY; do
      bench_run "matrix/$server" "${NS_FLAGS[@]}" --mode "$mode" --n "$N" \
        --concurrency "$c" --deadline 10s
    done
  done
  # Tail latency at half the peak rate of "both" against this server (open
  # loop: validations start at a fixed rate, whatever the latency).
  peak=$($PY -c '
import json, sys
best = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    # The peak is the best rate at which (nearly) everything succeeded.
    if (r["label"] == "matrix/" + sys.argv[2] and r["mode"] == "both"
            and r["valid"] >= 0.99 * r["completed"]):
        best = max(best, r["validations_per_second"])
print(int(best))' "$RUNS" "$server")
  if ((peak > 0)); then
    half=$((peak / 2))
    bench_run "halfrate/$server" "${NS_FLAGS[@]}" --mode both \
      --n $((half * HALF_RATE_SECONDS > 10 ? half * HALF_RATE_SECONDS : 10)) \
      --rate "$half" --concurrency 4096 --deadline 10s
  fi
  if [[ $server == dnstestsrv ]]; then
    # The loss-free baseline for the lossy run: same names, same load.
    bench_run "lossfree/$server" "${GEN_FLAGS[@]}" --tld bench \
      --zones "$LOSSY_ZONES" --names-per-zone "$LOSSY_PER_ZONE" --mode both \
      --n "$LOSSY_N" --concurrency 256 --deadline 10s
  fi
  stop "$VA_PID"
done

# --- outage: every name under the TLD "outage" is dropped ---------------------
log "outage run: $OUTAGE_N DoCAA under a TLD that drops everything"
OUTAGE_FLAGS=("${GEN_FLAGS[@]}" --tld outage --zones "$OUTAGE_ZONES" --names-per-zone "$OUTAGE_PER_ZONE")
"$VABENCH" "${OUTAGE_FLAGS[@]}" --fault-mode drop --generate-records "$WORK/outage.json" \
  --mode caa --generate-queries "$WORK/outage.queries" 2>/dev/null
OUTAGE_PAIRS=$(sort -u "$WORK/outage.queries" | wc -l)
start_dnstestsrv outage "$WORK/outage.json"
# Nothing answers under "outage", so readiness is checked on another name.
wait_tcp "$DNS_PORT"
sleep 0.3
start_va outage "$DNS_PORT"
bench_run "outage/dnstestsrv" "${OUTAGE_FLAGS[@]}" --mode caa --n "$OUTAGE_N" \
  --concurrency "$OUTAGE_N" --deadline 30s
stop "$VA_PID"
# The same wave with a 2 s deadline (a fresh VA): every lookup runs until the
# VA's own deadline, so all answers are due at once; they must still arrive
# before the caller's deadline, as transient dns problems.
start_va outageshort "$DNS_PORT"
bench_run "outageshort/dnstestsrv" "${OUTAGE_FLAGS[@]}" --mode caa \
  --n "$OUTAGE_N" --concurrency "$OUTAGE_N" --deadline 2s
stop "$VA_PID"; stop "$DNS_PID"

# --- lossy: one query in three dropped ----------------------------------------
log "lossy run: dns-01 + CAA, 33% of queries dropped, 10 s deadline"
LOSSY_FLAGS=("${GEN_FLAGS[@]}" --tld bench --zones "$LOSSY_ZONES" --names-per-zone "$LOSSY_PER_ZONE")
"$VABENCH" "${LOSSY_FLAGS[@]}" --fault-mode drop --fault-probability 0.33 \
  --generate-records "$WORK/lossy.json" 2>/dev/null
start_dnstestsrv lossy "$WORK/lossy.json"
wait_tcp "$DNS_PORT"
sleep 0.3
start_va lossy "$DNS_PORT"
bench_run "lossy/dnstestsrv" "${LOSSY_FLAGS[@]}" --mode both --n "$LOSSY_N" \
  --concurrency 256 --deadline 10s
stop "$VA_PID"
# The same with the VA's retry budget off: what the budget costs under loss.
start_va lossy-nobudget "$DNS_PORT" --dns-retry-budget-ratio 0
bench_run "lossynobudget/dnstestsrv" "${LOSSY_FLAGS[@]}" --mode both \
  --n "$LOSSY_N" --concurrency 256 --deadline 10s
stop "$VA_PID"; stop "$DNS_PID"

# --- slow TXT: every TXT answer 300 ms late, CAA at once ------------------------
# An uncached _acme-challenge name behind a recursor among cached CAA answers
# (issue 12): the VA must neither time out nor flood the slow resolver.
log "slow-TXT run: dns-01 + CAA, every TXT answer 300 ms late"
"$VABENCH" "${LOSSY_FLAGS[@]}" --fault-mode delay --fault-type TXT \
  --fault-delay-ms 300 --generate-records "$WORK/slowtxt.json" 2>/dev/null
start_dnstestsrv slowtxt "$WORK/slowtxt.json"
wait_tcp "$DNS_PORT"
sleep 0.3
start_va slowtxt "$DNS_PORT"
bench_run "slowtxt/dnstestsrv" "${LOSSY_FLAGS[@]}" --mode both --n "$LOSSY_N" \
  --concurrency 256 --deadline 10s
stop "$VA_PID"; stop "$DNS_PID"

# --- report --------------------------------------------------------------------
if [[ -z $OUT ]]; then
  if ((SMOKE)); then OUT=$WORK/results.md; else OUT=$ROOT/bench/results-$(date +%F).md; fi
fi
COMMAND="bench/run.sh${USER_ARGS:+ $USER_ARGS}"
SUMMARY_ARGS=(--runs "$RUNS" --ceilings "$CEILINGS" --out "$OUT"
  --outage-pairs "$OUTAGE_PAIRS" --tries "$DNS_TRIES"
  --namespace "$((ZONES * PER_ZONE)) names ($ZONES zones x $PER_ZONE), caa-share $CAA_SHARE, seed $SEED"
  --command "$COMMAND"
  --load "at start $LOAD_AT_START, at end $(cut -d' ' -f1-3 /proc/loadavg)")
((SMOKE)) && SUMMARY_ARGS+=(--check-smoke)
$PY "$ROOT/bench/summarize.py" "${SUMMARY_ARGS[@]}"
((SMOKE)) || log "report written to $OUT"
