# Process bookkeeping for the benchmark scripts (sourced by bench/run.sh and
# bench/boulder-side-by-side.sh, one copy instead of two): every process a
# script starts goes into PIDS and is stopped on exit, and the work directory
# $WORK goes too unless KEEP=1. The caller defines die() and sets WORK_PREFIX.
# shellcheck shell=bash

WORK=$(mktemp -d "/tmp/${WORK_PREFIX:-vabench}.XXXXXX")
PIDS=()
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    # Bounded wait: SIGKILL whatever is still there after ~5 s.
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  if ((${KEEP:-0})); then echo "work dir kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stop() {  # stop one recorded process and forget it (its PID may be reused)
  local pid=$1 p rest=()
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for p in "${PIDS[@]}"; do [[ $p == "$pid" ]] || rest+=("$p"); done
  PIDS=("${rest[@]}")
}

wait_tcp() {  # port: bounded wait (30 s) until 127.0.0.1:port accepts
  for _ in $(seq 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  die "nothing listens on 127.0.0.1:$1"
}

# Starts NSD ($NSD) on 127.0.0.1:$2 serving zone `bench` from file $1, with
# response rate limiting off: Debian's NSD limits identical answers (RRL,
# 200/s per /24), and all the NODATA answers of a zone count as one, which
# would cap CAA at ~1000/s. The caller waits for it to answer.
start_nsd() {
  local zone=$1 port=$2
  mkdir -p "$WORK/nsd"
  [[ $zone -ef $WORK/nsd/bench.zone ]] || cp "$zone" "$WORK/nsd/bench.zone"
  cat >"$WORK/nsd/nsd.conf" <<NSDCONF
server:
  ip-address: 127.0.0.1@$port  do-ip6: no  username: ""  chroot: ""  database: ""  server-count: 1
  zonesdir: "$WORK/nsd"  zonelistfile: "$WORK/nsd/zone.list"  xfrdfile: "$WORK/nsd/xfrd.state"
  xfrdir: "$WORK/nsd"  pidfile: "$WORK/nsd/nsd.pid"  logfile: "$WORK/nsd/nsd.log"  verbosity: 0
  rrl-ratelimit: 0  rrl-whitelist-ratelimit: 0
remote-control: control-enable: no
zone: name: bench  zonefile: bench.zone
NSDCONF
  "$NSD" -d -c "$WORK/nsd/nsd.conf" >"$WORK/nsd.out" 2>&1 &
  PIDS+=($!)
}
