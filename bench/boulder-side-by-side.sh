#!/usr/bin/env bash
# This VA and Boulder's VA side by side, in one run on this machine:
#   1. builds va and vabench (Release, build-release/) unless --build-dir;
#   2. gets Boulder at release-2023-02-13a into a cache outside the
#      repository (--cache, default ~/.cache/acme-va-bench) with
#      `git clone --depth 1 --branch` (or `git archive` from a local git
#      directory, --boulder-git), checks the tag's commit, makes two one-line
#      changes (below) and builds `boulder` with Go from its vendor/ folder;
#   3. serves one generated namespace (50,000 names, 10% with a CAA set)
#      from one NSD on 127.0.0.1, as bench/run.sh does, and starts both VAs
#      on 127.0.0.1 with mutual TLS (scripts/make-certs.sh), both resolving
#      through that NSD and both logging every validation;
#   4. drives each with vabench in turn, --rounds times (ours, Boulder, ours,
#      Boulder, ...), dns-01 + CAA at --concurrency 64, after a warm-up of
#      each; every validation of every run must come back valid;
#   5. prints validations/s, VA CPU per validation (utime + stime of the VA
#      process from /proc/PID/stat over the run) and each round's ratios,
#      with the date and load average.
# The APIs differ: this VA takes DoDCV then DoCAA (two calls, as an RA makes
# them); Boulder's VA of that release takes one /va.VA/PerformValidation,
# which checks CAA inside (vabench --api=boulder-2023).
#
# The changes to Boulder, neither on the validation path: cmd/boulder-va
# finds its DNS server through SRV records and the system resolver (Consul
# in Boulder's set-up); here "dnsResolver" is the server's address
# (bdns.NewStaticProvider, as later releases' "dnsStaticResolvers"). And its
# gRPC server credentials (grpc/creds/creds.go) offer ALPN "h2", as grpc-go's
# own TLS credentials do; gRPC C++ (vabench) refuses a server without it.
# CAAValidationMethods and CAAAccountURI are on, so Boulder checks the same
# CAA parameters as this VA (the generated CAA sets carry accounturi).
#
# Not run by CI or scripts/test.sh. Needs nsd, git, openssl, python3 and Go
# at least the "go" line of Boulder's go.mod (1.18; Debian 12's golang-go,
# 1.19, is installed with apt-get when go is missing and we are root).
#
# Usage: bench/boulder-side-by-side.sh [--build-dir DIR] [--cache DIR]
#            [--boulder-git DIR] [--rounds N (2)] [--n N (60000)]
#            [--concurrency C (64)] [--out FILE] [--keep]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
USER_ARGS="$*"
BOULDER_TAG=release-2023-02-13a
BOULDER_COMMIT=fdfea0d469b61a915806943db5c1bddd0d417eb7
BOULDER_URL=${BOULDER_URL:-https://github.com/letsencrypt/boulder}
BUILD_DIR=""
CACHE=${BOULDER_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/acme-va-bench}
BOULDER_GIT=""
ROUNDS=2
N=60000
CONCURRENCY=64
WARMUP_N=5000
OUT=""
KEEP=0
while (($#)); do
  case "$1" in
    --build-dir) BUILD_DIR=$2; shift ;;
    --cache) CACHE=$2; shift ;;
    --boulder-git) BOULDER_GIT=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --n) N=$2; shift ;;
    --concurrency) CONCURRENCY=$2; shift ;;
    --out) OUT=$2; shift ;;
    --keep) KEEP=1 ;;
    -h | --help) sed -n '2,38p' "$0"; exit 0 ;;
    *) echo "boulder-side-by-side.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
log() { echo "== $*" >&2; }
die() { echo "boulder-side-by-side.sh: $*" >&2; exit 1; }

# --- this VA ---------------------------------------------------------------
if [[ -z $BUILD_DIR ]]; then
  BUILD_DIR=$ROOT/build-release
  log "building va vabench (Release) in $BUILD_DIR"
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    >/dev/null
  ninja -C "$BUILD_DIR" -j"$(nproc)" va vabench >&2
fi
VA=$BUILD_DIR/cmd/va/va
VABENCH=$BUILD_DIR/cmd/vabench/vabench
for b in "$VA" "$VABENCH"; do [[ -x $b ]] || die "missing $b (build it first)"; done
NSD=$(command -v nsd || true)
[[ -z $NSD && -x /usr/sbin/nsd ]] && NSD=/usr/sbin/nsd
[[ -n $NSD ]] || die "nsd is needed (apt-get install nsd)"

# --- Boulder's VA ----------------------------------------------------------
SRC=$CACHE/boulder-$BOULDER_TAG
# Named "boulder": the binary dispatches on its own name.
BOULDER=$CACHE/bin-$BOULDER_TAG/boulder
mkdir -p "$(dirname "$BOULDER")"
if [[ ! -f $SRC/go.mod ]]; then
  rm -rf "$SRC" "$SRC.tmp"
  if [[ -n $BOULDER_GIT ]]; then
    log "extracting Boulder $BOULDER_TAG from $BOULDER_GIT"
    got=$(git --git-dir="$BOULDER_GIT" rev-parse "$BOULDER_TAG^{commit}")
    mkdir -p "$SRC.tmp"
    git --git-dir="$BOULDER_GIT" archive "$BOULDER_TAG" | tar -x -C "$SRC.tmp"
  else
    log "cloning Boulder $BOULDER_TAG into $SRC"
    git -c advice.detachedHead=false clone -q --depth 1 --branch "$BOULDER_TAG" \
      "$BOULDER_URL" "$SRC.tmp"
    got=$(git -C "$SRC.tmp" rev-parse HEAD)
  fi
  [[ $got == "$BOULDER_COMMIT" ]] ||
    die "$BOULDER_TAG is $got here, expected $BOULDER_COMMIT"
  mv "$SRC.tmp" "$SRC"
fi
# patch_line FILE OLD NEW: replace the text OLD by NEW, once (idempotent:
# NEW may contain OLD, so a file that has NEW already is left alone, and its
# unchanged mtime keeps the cached binary).
patch_line() {
  local file=$SRC/$1 old=$2 new=$3
  if ! grep -qF -- "$new" "$file" && grep -qF -- "$old" "$file"; then
    log "Boulder: patching $1"
    OLD=$old NEW=$new $PY -c 'import os, sys
p = sys.argv[1]; s = open(p).read()
open(p, "w").write(s.replace(os.environ["OLD"], os.environ["NEW"], 1))' "$file"
  fi
  grep -qF -- "$new" "$file" || die "could not patch $file"
}
patch_line cmd/boulder-va/main.go \
  'servers, err = bdns.StartDynamicProvider(c.VA.DNSResolver, 60*time.Second)' \
  'servers, err = bdns.NewStaticProvider([]string{c.VA.DNSResolver})'
patch_line grpc/creds/creds.go \
  'return &serverTransportCredentials{serverConfig, acceptedSANs}, nil' \
  'serverConfig = serverConfig.Clone(); serverConfig.NextProtos = []string{"h2"}; return &serverTransportCredentials{serverConfig, acceptedSANs}, nil'

if ! command -v go >/dev/null; then
  if ((EUID != 0)) || ! command -v apt-get >/dev/null; then
    die "Go is needed (Debian: apt-get install golang-go)"
  fi
  log "installing golang-go"
  apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=600 \
    golang-go >&2
fi
want=$(awk '$1 == "go" {print $2; exit}' "$SRC/go.mod")
have=$(go env GOVERSION | sed 's/^go//')
[[ $(printf '%s\n%s\n' "$want" "$have" | sort -V | head -1) == "$want" ]] ||
  die "Boulder needs Go $want, this Go is $have"
if [[ ! -x $BOULDER || $SRC/cmd/boulder-va/main.go -nt $BOULDER ||
  $SRC/grpc/creds/creds.go -nt $BOULDER ]]; then
  log "building Boulder (go $have, vendored modules, offline)"
  (cd "$SRC" && GOFLAGS=-mod=vendor GOPROXY=off GOCACHE=$CACHE/go-build \
    GOPATH=$CACHE/gopath go build -o "$BOULDER.tmp" ./cmd/boulder) >&2
  mv "$BOULDER.tmp" "$BOULDER"
fi

# --- processes: every one we start is recorded and stopped on exit ---------
WORK_PREFIX=boulder-side-by-side
# shellcheck source=bench/lib/processes.sh
source "$ROOT/bench/lib/processes.sh"

read -r NSD_PORT VA_PORT BOULDER_PORT BOULDER_DEBUG < <($PY "$ROOT/bench/free_ports.py" 4)

log "certificates"
CERTS=$WORK/certs
"$ROOT/scripts/make-certs.sh" "$CERTS" --loopback --server va \
  --server boulder-va --client vabench 2>/dev/null

# The namespace and NSD as bench/run.sh has them.
NS_FLAGS=(--seed 1 --caa-share 0.1 --zones 200 --names-per-zone 250 --tld bench)
"$VABENCH" "${NS_FLAGS[@]}" --generate-zone "$WORK/bench.zone" 2>/dev/null
start_nsd "$WORK/bench.zone" "$NSD_PORT"
wait_tcp "$NSD_PORT"

log "starting this VA on 127.0.0.1:$VA_PORT"
"$VA" --listen "127.0.0.1:$VA_PORT" --dns-resolvers "127.0.0.1:$NSD_PORT" \
  --dns-timeout 1s --issuer-domain letsencrypt.org --dnssec-canary=off \
  --account-uri-prefixes https://acme.example/acct/ \
  --tls-cert "$CERTS/va/cert.pem" --tls-key "$CERTS/va/key.pem" \
  --tls-ca "$CERTS/ca.pem" --tls-client-names vabench >"$WORK/va.log" 2>&1 &
OUR_PID=$!
PIDS+=("$OUR_PID")

log "starting Boulder's VA on 127.0.0.1:$BOULDER_PORT"
cat >"$WORK/boulder-va.json" <<EOF
{
  "va": {
    "userAgent": "boulder",
    "debugAddr": "127.0.0.1:$BOULDER_DEBUG",
    "dnsTries": 3,
    "dnsResolver": "127.0.0.1:$NSD_PORT",
    "dnsTimeout": "1s",
    "dnsAllowLoopbackAddresses": true,
    "issuerDomain": "letsencrypt.org",
    "tls": {
      "caCertFile": "$CERTS/ca.pem",
      "certFile": "$CERTS/boulder-va/cert.pem",
      "keyFile": "$CERTS/boulder-va/key.pem"
    },
    "grpc": {"address": "127.0.0.1:$BOULDER_PORT", "clientNames": ["vabench"]},
    "features": {"CAAValidationMethods": true, "CAAAccountURI": true},
    "accountURIPrefixes": ["https://acme.example/acct/"]
  },
  "syslog": {"stdoutlevel": 6, "sysloglevel": -1},
  "beeline": {"mute": true, "serviceName": "boulder-va"}
}
EOF
"$BOULDER" boulder-va --config "$WORK/boulder-va.json" >"$WORK/boulder-va.log" 2>&1 &
BOULDER_PID=$!
PIDS+=("$BOULDER_PID")
wait_tcp "$VA_PORT"
wait_tcp "$BOULDER_PORT"

RUNS=$WORK/runs.jsonl
: >"$RUNS"
# run WHICH N LABEL: one vabench run against "ours" or "boulder"; every
# validation must be valid (a Boulder that failed them would be fast).
run() {
  local which=$1 n=$2 label=$3 out
  local flags=(--tls-cert "$CERTS/vabench/cert.pem" --tls-key "$CERTS/vabench/key.pem"
    --tls-ca "$CERTS/ca.pem" "${NS_FLAGS[@]}" --mode both --n "$n"
    --concurrency "$CONCURRENCY" --deadline 10s --json --label "$label")
  if [[ $which == ours ]]; then
    flags+=(--va "127.0.0.1:$VA_PORT" --tls-server-name va --va-pid "$OUR_PID")
  else
    flags+=(--va "127.0.0.1:$BOULDER_PORT" --tls-server-name boulder-va
      --va-pid "$BOULDER_PID" --api boulder-2023)
  fi
  out=$(timeout -k 5 600 "$VABENCH" "${flags[@]}" 2>>"$WORK/vabench.log") ||
    die "vabench $label failed: $(tail -3 "$WORK/vabench.log")"
  $PY - "$out" <<'EOF' || die "$label: not every validation was valid (logs: --keep)"
import json, sys
r = json.loads(sys.argv[1])
print("   %-12s %7.0f val/s  %6.1f us VA CPU/validation  p99 %6.2f ms  %s" % (
    r["label"], r["validations_per_second"], r["va_cpu_us_per_validation"] or 0,
    r["latency"]["p99_us"] / 1000, r["outcomes"]), file=sys.stderr)
sys.exit(0 if r["valid"] == r["completed"] == r["requested"] else 1)
EOF
  echo "$out" >>"$RUNS"
}

log "warm-up ($WARMUP_N validations each, not counted)"
run ours "$WARMUP_N" warmup-ours
run boulder "$WARMUP_N" warmup-boulder
: >"$RUNS"
log "$ROUNDS rounds of $N validations each, c=$CONCURRENCY"
for r in $(seq "$ROUNDS"); do
  run ours "$N" "ours-$r"
  run boulder "$N" "boulder-$r"
done

COMMAND="bench/boulder-side-by-side.sh${USER_ARGS:+ $USER_ARGS}"
REPORT=$($PY - "$RUNS" "$COMMAND" "$LOAD_AT_START" "$(cut -d' ' -f1-3 /proc/loadavg)" \
  "$(nproc)" "$BOULDER_TAG" "$N" "$CONCURRENCY" <<'EOF'
import json, sys, time
runs_file, command, load_start, load_end, cores, tag, n, c = sys.argv[1:]
runs = [json.loads(line) for line in open(runs_file)]
ours = [r for r in runs if r["label"].startswith("ours-")]
boulder = [r for r in runs if r["label"].startswith("boulder-")]
rate = lambda r: r["validations_per_second"]
cpu = lambda r: r["va_cpu_us_per_validation"]
def span(xs, f):
    lo, hi = f % min(xs), f % max(xs)
    return lo if lo == hi else "%s–%s" % (lo, hi)
print("Side by side on %s, one machine (%s cores), load average at start %s, at end %s" %
      (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), cores, load_start, load_end))
print("`%s`: dns-01 + CAA, %s validations per run, concurrency %s, mutual TLS, one NSD\n" %
      (command, n, c))
print("| run | validations/s | VA CPU µs per validation | p99 ms |")
print("|---|---|---|---|")
for r in runs:
    print("| %s | %.0f | %.1f | %.2f |" % (r["label"], rate(r), cpu(r),
                                          r["latency"]["p99_us"] / 1000))
# Each round's ours/Boulder ratio (alternating runs share the machine's state).
tput = [rate(o) / rate(b) for o, b in zip(ours, boulder)]
cost = [cpu(o) / cpu(b) for o, b in zip(ours, boulder)]
print("\nthis VA (DoDCV + DoCAA): %s validations/s at %s µs VA CPU each" %
      (span([rate(r) for r in ours], "%.0f"), span([cpu(r) for r in ours], "%.0f")))
print("Boulder %s (PerformValidation): %s validations/s at %s µs" %
      (tag, span([rate(r) for r in boulder], "%.0f"), span([cpu(r) for r in boulder], "%.0f")))
print("ratio per round: %s× the throughput at %s× the CPU per validation" %
      (span(tput, "%.2f"), span(cost, "%.2f")))
EOF
)
echo "$REPORT"
[[ -n $OUT ]] && echo "$REPORT" >"$OUT"
exit 0
