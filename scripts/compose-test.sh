#!/usr/bin/env bash
# Runs the docker-compose stack for real: builds the images, starts every
# service in containers, validates through it with vactl over mTLS, and
# removes everything it created (also when a step fails).
#
#   scripts/compose-test.sh        (as root, or through sudo: it starts a dockerd)
#
# What it does differently from a user's `docker-compose up -d --build`, and
# why (the machine reaches no image registry, and the test must leave the
# host's network configuration alone):
#   - its own dockerd on a private socket and data root under a temporary
#     directory, with --bridge=none --iptables=false --ip-forward=false
#     --ip-masq=false (changes nothing in the host's network) and the vfs
#     storage driver (works on any file system, no kernel module);
#   - the base image is built here: debootstrap --variant=minbase bookworm
#     (Debian's package mirror is reachable) and docker import, passed to
#     deploy/Dockerfile as ACME_VA_BASE_IMAGE; nothing is ever pulled;
#   - deploy/docker-compose.host-network.yml puts the containers on the host
#     network, each service on its own 127.0.0.1 port (no bridge exists).
# Then, from outside (docker-compose run vactl, the dnstestsrv management
# API on 127.0.0.1): a dns-01 authorization valid after corroboration by
# all five remote VAs, one forbidden by CAA, one failing transiently that
# the RA re-validates to valid, and the RA's database volume surviving
# `docker-compose restart ra`.
#
# Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian),
# COMPOSE_TEST_KEEP=1 keeps the temporary directory (logs) after a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
start_time=$SECONDS

log() { echo "compose-test: [$((SECONDS - start_time))s] $*" >&2; }
fail() {
  log "FAIL: $*"
  exit 1
}

# It starts its own dockerd: root (sudo, as scripts/install-deps.sh uses).
if [[ $(id -u) -ne 0 ]]; then exec sudo --preserve-env "$0" "$@"; fi

# --- packages ---------------------------------------------------------------
# docker.io is the engine (dockerd, containerd, runc, tini as docker-init);
# docker-compose and curl come with scripts/install-deps.sh.
packages=(docker.io debootstrap docker-compose curl python3)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Installing docker.io would start the system's dockerd, which makes a
  # bridge and iptables rules: a policy-rc.d for the install keeps every
  # service from starting (Debian's documented switch), unless one exists.
  policy=/usr/sbin/policy-rc.d
  made_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && made_policy=1
  fi
  install_status=0
  apt-get update -qq -o DPkg::Lock::Timeout=600 &&
    apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=600 \
      "${missing[@]}" >/dev/null || install_status=$?
  ((made_policy)) && rm -f "$policy"
  ((install_status == 0)) || fail "apt-get install ${missing[*]}"
fi
docker=/usr/bin/docker

# --- the private daemon -----------------------------------------------------
W=$(mktemp -d "${TMPDIR:-/tmp}/compose-test.XXXXXX")
export DOCKER_HOST=unix://$W/docker.sock
project=acmevatest$$
compose_files=(-f "$ROOT/docker-compose.yml" -f "$ROOT/deploy/docker-compose.host-network.yml")
compose() { docker-compose -p "$project" "${compose_files[@]}" "$@"; }
dockerd_pid=""

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  set +e # every step below is best effort
  if [[ -n $dockerd_pid ]] && kill -0 "$dockerd_pid" 2>/dev/null; then
    if ((status != 0)); then
      log "service states and last log lines:"
      compose --profile tools ps >&2 || true
      compose logs --no-color --tail=40 >&2 || true
    fi
    "$docker" rm -f "$project-vactl" >/dev/null 2>&1 || true
    log "docker-compose down -v"
    compose --profile tools down -v --remove-orphans --timeout 20 >/dev/null 2>&1 || true
    kill -TERM "$dockerd_pid" 2>/dev/null || true
    for _ in $(seq 1 60); do
      kill -0 "$dockerd_pid" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "$dockerd_pid" 2>/dev/null; then
      log "dockerd (pid $dockerd_pid) ignored SIGTERM for 30s; SIGKILL (and its containerd)"
      kill -KILL "$dockerd_pid" 2>/dev/null
      kill -KILL "$(cat "$W/exec/containerd/containerd.pid" 2>/dev/null)" 2>/dev/null
    fi
    wait "$dockerd_pid" 2>/dev/null || true
  fi
  # Whatever the daemon left mounted under its directories (deepest first).
  findmnt -rn -o TARGET | grep "^$W/" | sort -r | while read -r m; do
    umount -l "$m"
  done
  if ((status != 0)) && [[ ${COMPOSE_TEST_KEEP:-0} == 1 ]]; then
    log "kept $W (dockerd.log there)"
  else
    rm -rf "$W"
  fi
  log "done in $((SECONDS - start_time))s (exit $status)"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "starting dockerd in $W"
# Exactly as deploy/README.md describes: nothing in the host's network changes.
dockerd --data-root "$W/root" --exec-root "$W/exec" -H "$DOCKER_HOST" \
  --pidfile "$W/docker.pid" --storage-driver vfs --bridge=none \
  --iptables=false --ip-forward=false --ip-masq=false >"$W/dockerd.log" 2>&1 &
dockerd_pid=$!
for _ in $(seq 1 120); do
  "$docker" version >/dev/null 2>&1 && break
  kill -0 "$dockerd_pid" 2>/dev/null || { tail -n 20 "$W/dockerd.log" >&2; fail "dockerd exited"; }
  sleep 0.5
done
"$docker" version >/dev/null || fail "dockerd not answering on $DOCKER_HOST after 60s"

# --- the base image ---------------------------------------------------------
# Debian 12 minbase with the same package sources as the public image.
base_image=acme-va-base:bookworm
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
log "debootstrap --variant=minbase bookworm ($mirror)"
debootstrap --variant=minbase bookworm "$W/rootfs" "$mirror" >"$W/debootstrap.log" 2>&1 ||
  { tail -n 20 "$W/debootstrap.log" >&2; fail "debootstrap"; }
rm -f "$W/rootfs/etc/apt/sources.list"
cat >"$W/rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${mirror%/debian}/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
rm -rf "$W"/rootfs/var/cache/apt/archives/*.deb "$W"/rootfs/var/lib/apt/lists/*
tar -C "$W/rootfs" -c . | "$docker" import - "$base_image" >/dev/null
rm -rf "$W/rootfs"
export ACME_VA_BASE_IMAGE=$base_image

# --- ports --------------------------------------------------------------------
# On the host network every service has its own port: LOCAL_PORT_BASE plus
# the offsets in deploy/stack.env (up to +205). A block below the ephemeral
# range whose ports are all free now, for TCP and UDP.
LOCAL_PORT_BASE=$(python3 - <<'EOF'
import random, socket, sys
def free(base):
    held = []
    try:
        for port in range(base, base + 300):
            for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                s = socket.socket(socket.AF_INET, kind)
                held.append(s)
                s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        for s in held:
            s.close()
for base in random.sample(range(20000, 32000, 300), 40):
    if free(base):
        print(base)
        sys.exit(0)
sys.exit("no free block of 300 loopback ports")
EOF
)
export LOCAL_PORT_BASE
# port_of SERVICE KIND: where a service listens on 127.0.0.1.
port_of() {
  STACK_MODE=compose STACK_NETWORK=host bash -c \
    'source deploy/stack-lib.sh && stack_load_env && stack_port "$1" "$2"' _ "$1" "$2"
}
mgmt_port=$(port_of dnstestsrv management)
log "ports from $LOCAL_PORT_BASE (dnstestsrv management API on 127.0.0.1:$mgmt_port)"

# --- build and start -------------------------------------------------------
# The two images: every program service shares dnstestsrv's image and build
# settings, and docker-compose 1.29 would rebuild that image once per
# service (from cache, yet 20-30 s each here).
log "docker-compose build dnstestsrv unbound"
build_start=$SECONDS
compose build dnstestsrv unbound >"$W/build.log" 2>&1 ||
  { tail -n 40 "$W/build.log" >&2; fail "docker-compose build"; }
log "images built in $((SECONDS - build_start))s"

services=$(compose config --services | grep -vx -e certs -e vactl)
# Waits until every long-running service's container runs and is healthy.
wait_healthy() {
  local deadline=$((SECONDS + 240)) svc states pending
  local -a ids
  while :; do
    mapfile -t ids < <("$docker" ps -aq --filter "label=com.docker.compose.project=$project" \
      --filter label=com.docker.compose.oneoff=False)
    states=$( ((${#ids[@]} == 0)) || "$docker" inspect -f \
      '{{index .Config.Labels "com.docker.compose.service"}} {{.State.Status}}/{{if .State.Health}}{{.State.Health.Status}}{{end}}' "${ids[@]}")
    pending=""
    for svc in $services; do
      grep -qx "$svc running/healthy" <<<"$states" || pending+=" $svc"
    done
    [[ -z $pending ]] && return 0
    ((SECONDS < deadline)) || fail "not healthy after 240s:$pending"$'\n'"$states"
    sleep 1
  done
}

log "docker-compose up -d"
compose up -d >"$W/up.log" 2>&1 || { cat "$W/up.log" >&2; fail "docker-compose up -d"; }
wait_healthy
log "every service healthy: ${services//$'\n'/ }"

# --- validations through the stack ----------------------------------------
# vactl runs in one container of the tools service (its image, volumes,
# network and entrypoint), started once: each `docker-compose run` creates a
# container, and with vfs that copies the whole image (10-15 s here).
compose --profile tools run -d --no-deps --name "$project-vactl" --entrypoint sleep \
  vactl infinity >/dev/null 2>&1 || fail "docker-compose run vactl"
vactl() {
  "$docker" exec "$project-vactl" /opt/acme-va/deploy/launch.sh vactl "$@" 2>>"$W/vactl.err"
}
# field KEY...: a member of vactl's output (one ACME-shaped JSON object);
# a number as KEY indexes a list.
field() {
  python3 -c 'import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1:]:
    v = v[int(k)] if k.isdigit() else v[k]
print(v)' "$@"
}
dns() {
  curl -fsS --max-time 10 -X POST "http://127.0.0.1:$mgmt_port/$1" -d "$2" >/dev/null ||
    fail "dnstestsrv management API /$1"
}
thumbprint=bJ8bmYyKbX2ztV_PvH2rxLXE8RCbYfE6vwbKw39Nhf0

# new_authz NAME: creates an authorization and publishes the right TXT
# record; sets ID and KA.
new_authz() {
  local name=$1 out token digest
  out=$(vactl new-authz "$name" --account 7) || fail "vactl new-authz $name"
  ID=$(field id <<<"$out")
  token=$(field challenges 0 token <<<"$out")
  KA=$token.$thumbprint
  digest=$(printf %s "$KA" | openssl dgst -sha256 -binary | basenc --base64url | tr -d '=')
  dns set-txt "{\"host\":\"_acme-challenge.$name\",\"value\":\"$digest\"}"
}

# 1. valid, corroborated by all five remote perspectives.
new_authz www.example.test
valid_id=$ID
vactl validate "$ID" --key-authorization "$KA" >/dev/null || fail "vactl validate"
out=$(vactl wait "$ID" --timeout 60s) || fail "vactl wait $ID"
[[ $(field status <<<"$out") == valid ]] || fail "www.example.test not valid: $out"
# The primary VA's audit lines: every quorum for this name passed 5/5 (the
# line is written once every remote answered, maybe just after the RA has
# its answer).
quorum=""
for _ in $(seq 1 20); do
  quorum=$(compose logs --no-color va | grep '"quorumResult"' | grep '"identifier":"www.example.test"' || true)
  [[ -n $quorum ]] && break
  sleep 0.5
done
[[ -n $quorum ]] || fail "no quorum line for www.example.test in the primary VA's log"
if grep -v '"quorumResult":"5/5"' <<<"$quorum" >&2; then
  fail "a quorum for www.example.test was not 5/5 (above)"
fi
log "ok   www.example.test valid, corroborated 5/5"

# 2. CAA forbids this CA.
dns add-caa '{"host":"forbidden.example.test","policies":[{"tag":"issue","value":"ca.invalid"}]}'
new_authz forbidden.example.test
forbidden_id=$ID
vactl validate "$ID" --key-authorization "$KA" >/dev/null || fail "vactl validate"
out=$(vactl wait "$ID" --timeout 60s) || fail "vactl wait $ID"
[[ $(field status <<<"$out") == invalid && $out == *urn:ietf:params:acme:error:caa* ]] ||
  fail "forbidden.example.test not invalid for CAA: $out"
log "ok   forbidden.example.test invalid (caa)"

# 3. Transient: the TXT name SERVFAILs until the RA has recorded the
# failure and scheduled a retry; the retry finds it fixed.
new_authz transient.example.test
transient_id=$ID
dns set-servfail '{"host":"_acme-challenge.transient.example.test"}'
vactl validate "$ID" --key-authorization "$KA" >/dev/null || fail "vactl validate"
seen=""
for _ in $(seq 1 60); do
  out=$(vactl get "$ID") || fail "vactl get $ID"
  if [[ $(field status <<<"$out") != pending ]]; then
    fail "transient.example.test final before its retry: $out"
  fi
  if [[ $out == *'"transient":true'* ]]; then
    seen=$out
    break
  fi
  sleep 0.5
done
[[ -n $seen ]] || fail "no transient failure recorded for transient.example.test: $out"
dns clear-servfail '{"host":"_acme-challenge.transient.example.test"}'
# Unbound keeps an upstream SERVFAIL for a few seconds (message and
# infrastructure caches), longer than the RA's first backoff may be; the
# resolver forgets it as the DNS is repaired, so the retry sees the fix.
# (The configuration launch.sh wrote: stack_unbound_dir in compose mode.)
# shellcheck disable=SC2016 # expanded by the container's shell
compose exec -T unbound sh -c 'c=/run/acme-va-unbound/unbound.conf
  unbound-control -c $c flush_zone test. && unbound-control -c $c flush_infra all' >/dev/null ||
  fail "unbound-control flush"
out=$(vactl wait "$ID" --timeout 120s) || fail "vactl wait $ID"
[[ $(field status <<<"$out") == valid ]] || fail "transient.example.test not valid after the retry: $out"
attempts=$(field validationAttempts <<<"$out")
((attempts >= 2)) || fail "transient.example.test valid after $attempts attempt(s), want a retry"
log "ok   transient.example.test transient, then valid on attempt $attempts"

# 4. The RA's SQLite volume survives a restart.
# statuses ID...: their authorizations' statuses on one line.
statuses() {
  local id
  for id in "$@"; do vactl get "$id" | field status; done | paste -sd' '
}
before=$(statuses "$valid_id" "$forbidden_id" "$transient_id")
compose restart ra >/dev/null 2>&1 || fail "docker-compose restart ra"
wait_healthy
after=$(statuses "$valid_id" "$forbidden_id" "$transient_id")
[[ $before == "$after" && $after == "valid invalid valid" ]] ||
  fail "authorizations after restarting ra: $after (before: $before)"
# Once through `docker-compose run --rm vactl`, as deploy/README.md has it.
out=$(compose --profile tools run --rm --no-deps -T vactl get "$valid_id" 2>>"$W/vactl.err") ||
  fail "docker-compose run --rm vactl get $valid_id"
[[ $(field status <<<"$out") == valid ]] || fail "docker-compose run --rm vactl get: $out"
log "ok   authorizations intact after docker-compose restart ra"

log "all checks passed in $((SECONDS - start_time))s"
