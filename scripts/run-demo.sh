#!/usr/bin/env bash
# The README's main job: on a fresh Debian 12 machine, install what is missing,
# build, start dnstestsrv + va + ra on loopback (SQLite in ./run/demo), and
# validate authorizations end to end with vactl:
#   1. a dns-01 + CAA validation that succeeds;
#   2. one whose first attempt fails transiently (the authoritative server
#      drops every query for a while) and that the RA retries to success;
#   3. one that CAA forbids;
#   4. dns-persist-01: one persistent TXT record, published once, validates
#      two authorizations of the same account; another account's fails with
#      the accounturi mismatch.
# Everything listens on 127.0.0.1 only and is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

./scripts/install-deps.sh >&2
./scripts/build.sh >&2

BIN=$ROOT/build/cmd
RUN=$ROOT/run/demo
rm -rf "$RUN" && mkdir -p "$RUN"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

# Free loopback ports, picked at run time.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
DNS_PORT=$(free_port); MGMT_PORT=$(free_port); VA_PORT=$(free_port)
METRICS_PORT=$(free_port); RA_PORT=$(free_port)

wait_tcp() {  # port name
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "$2 did not start; see $RUN/$2.log" >&2
  exit 1
}

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "starting dnstestsrv (DNS 127.0.0.1:$DNS_PORT, API :$MGMT_PORT), va (:$VA_PORT), ra (:$RA_PORT)"
"$BIN/dnstestsrv/dnstestsrv" --dns01 "127.0.0.1:$DNS_PORT" \
  --management "127.0.0.1:$MGMT_PORT" >"$RUN/dnstestsrv.log" 2>&1 &
PIDS+=($!)
wait_tcp "$MGMT_PORT" dnstestsrv

"$BIN/va/va" --listen "127.0.0.1:$VA_PORT" --plaintext \
  --dns-resolvers "127.0.0.1:$DNS_PORT" --dns-timeout 500ms --dns-tries 3 \
  --dnssec-canary=off \
  --issuer-domain letsencrypt.org \
  --account-uri-prefixes https://acme.example/acme/acct/ \
  --metrics-listen "127.0.0.1:$METRICS_PORT" >"$RUN/va.log" 2>&1 &
PIDS+=($!)
wait_tcp "$VA_PORT" va

"$BIN/ra/ra" --listen "127.0.0.1:$RA_PORT" --plaintext --va "127.0.0.1:$VA_PORT" \
  --db "$RUN/ra.sqlite" --revalidation-initial-backoff 3s \
  >"$RUN/ra.log" 2>&1 &
PIDS+=($!)
wait_tcp "$RA_PORT" ra

vactl() { "$BIN/vactl/vactl" --ra "127.0.0.1:$RA_PORT" --plaintext "$@"; }
api() {  # path json
  curl -sf -X POST "http://127.0.0.1:$MGMT_PORT$1" -d "$2" >/dev/null
}
json_field() {  # json python-expression-on-d
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"
}
# The ACME client's side: key authorization = token "." JWK thumbprint, and
# the TXT record holds base64url(SHA-256(key authorization)).
THUMBPRINT=9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI
txt_for() {
  printf '%s' "$1" | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '='
}

# Creates an authorization for $1 and publishes the TXT record its challenge
# needs: sets ID and KA (key authorization).
new_authz_with_txt() {
  local authz token
  authz=$(vactl new-authz "$1" --account 1)
  ID=$(json_field "$authz" 'd["id"]')
  token=$(json_field "$authz" 'd["challenges"][0]["token"]')
  KA="$token.$THUMBPRINT"
  api /set-txt "{\"host\":\"_acme-challenge.$1\",\"value\":\"$(txt_for "$KA")\"}"
  echo "authorization $ID for $1; TXT published at _acme-challenge.$1"
}

# Validates authorization $ID and prints its final state, saved as $1.json.
validate_and_wait() {
  vactl validate "$ID" --key-authorization "$KA" >/dev/null
  vactl wait "$ID" --timeout "${2:-30s}" | tee "$RUN/$1.json"
}

final_status() { json_field "$(cat "$RUN/$1.json")" 'd["status"]'; }

# ---------------------------------------------------------------- 1. valid
step "1. a validation that succeeds: demo.example.com"
new_authz_with_txt demo.example.com
api /add-caa '{"host":"example.com","policies":[{"tag":"issue","value":"letsencrypt.org"}]}'
echo "published CAA 0 issue \"letsencrypt.org\" at example.com"
validate_and_wait valid
[[ $(final_status valid) == valid ]]

# ------------------------------------------- 2. transient, then retried
step "2. a transient failure, retried by the RA: flaky.example.com"
new_authz_with_txt flaky.example.com
# The authoritative server drops the next 3 TXT queries: the VA's 3 bounded
# tries all time out, so the first attempt fails with a transient problem.
api /set-fault '{"host":"_acme-challenge.flaky.example.com","type":"TXT","mode":"drop","count":3}'
echo "dnstestsrv now drops the next 3 queries for _acme-challenge.flaky.example.com"
vactl validate "$ID" --key-authorization "$KA" >/dev/null
for _ in $(seq 1 50); do
  STATE=$(vactl get "$ID")
  if [[ $(json_field "$STATE" '"error" in d["challenges"][0]') == True ]]; then break; fi
  sleep 0.2
done
echo "while the RA waits to retry (challenge processing, error recorded, retryAfter set):"
echo "$STATE" | tee "$RUN/processing.json"
vactl wait "$ID" --timeout 60s | tee "$RUN/retried.json"
[[ $(final_status retried) == valid ]]

# ------------------------------------------------------------ 3. CAA deny
step "3. CAA forbids: locked.example.org (CAA 0 issue \"other-ca.example\")"
new_authz_with_txt locked.example.org
api /add-caa '{"host":"example.org","policies":[{"tag":"issue","value":"other-ca.example"}]}'
validate_and_wait caa
[[ $(final_status caa) == invalid ]]

# ------------------------------------------------- 4. dns-persist-01
step "4. dns-persist-01: one standing record for account 1 at persist.example.com"
# vactl prints the record a subscriber publishes for a challenge type.
authz=$(vactl new-authz persist.example.com --account 1)
ID=$(json_field "$authz" 'd["id"]')
RECORD=$(vactl txt "$ID" --challenge dns-persist-01 --thumbprint "$THUMBPRINT" \
  --issuer-domain letsencrypt.org \
  --account-uri-prefix https://acme.example/acme/acct/)
echo "$RECORD"
api /set-txt "$(json_field "$RECORD" 'json.dumps({"host": d["name"], "value": d["value"]})')"
api /add-caa '{"host":"persist.example.com","policies":[{"tag":"issue","value":"letsencrypt.org"}]}'
persist_validate() {  # name
  vactl validate "$ID" --thumbprint "$THUMBPRINT" --challenge dns-persist-01 >/dev/null
  vactl wait "$ID" --timeout 30s | tee "$RUN/$1.json"
}
echo "first authorization ($ID) of account 1:"
persist_validate persist1
[[ $(final_status persist1) == valid ]]
ID=$(json_field "$(vactl new-authz persist.example.com --account 1)" 'd["id"]')
echo "a second authorization ($ID) of account 1, same record, nothing republished:"
persist_validate persist2
[[ $(final_status persist2) == valid ]]
ID=$(json_field "$(vactl new-authz persist.example.com --account 2)" 'd["id"]')
echo "an authorization ($ID) of account 2: the record names account 1"
persist_validate persist3
[[ $(final_status persist3) == invalid ]]
json_field "$(cat "$RUN/persist3.json")" \
  '[c for c in d["challenges"] if c["type"] == "dns-persist-01"][0]["error"]["detail"]'

step "the VA's audit lines"
grep '"level":"audit"' "$RUN/va.log" | tail -n 6
step "done: logs and the SQLite database are in $RUN"
