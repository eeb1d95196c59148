# shellcheck shell=bash
# Shared by deploy/launch.sh (compose and local) and deploy/local-stack.sh:
# reads deploy/stack.env and turns it into addresses and command lines, so
# the containers and the loopback stack run the programs with the same flags.
# Source it; it defines functions only (plus STACK_DEPLOY_DIR).
#
# Inputs (environment):
#   STACK_MODE      compose (default) | local
#   STACK_ENV       the settings file (default: deploy/stack.env)
#   STACK_DATA_DIR  certs/ and ra/ live here (compose: /var/lib/acme-va)
#   STACK_BUILD_DIR programs are STACK_BUILD_DIR/cmd/NAME/NAME (local);
#                   unset: found on PATH (the image)
#   LOCAL_PORT_BASE (local) shifts every port

STACK_DEPLOY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Loads stack.env without overriding variables already in the environment:
# compose's `environment:` and the caller's exports win over the file, as
# they do for compose's env_file.
stack_load_env() {
  local file=${STACK_ENV:-$STACK_DEPLOY_DIR/stack.env} line key value
  [[ -r $file ]] || { echo "stack: cannot read $file" >&2; return 1; }
  while IFS= read -r line || [[ -n $line ]]; do
    [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
    if [[ ! $line =~ ^([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]]; then
      echo "stack: $file: bad line: $line" >&2
      return 1
    fi
    key=${BASH_REMATCH[1]}
    value=${BASH_REMATCH[2]}
    [[ -n ${!key+x} ]] || export "$key=$value"
  done <"$file"
  STACK_MODE=${STACK_MODE:-compose}
  case $STACK_MODE in
    compose) STACK_DATA_DIR=${STACK_DATA_DIR:-/var/lib/acme-va} ;;
    local) : "${STACK_DATA_DIR:?STACK_DATA_DIR must be set in local mode}" ;;
    *) echo "stack: STACK_MODE must be compose or local" >&2; return 1 ;;
  esac
}

# Remote VA services, one per line: SERVICE PERSPECTIVE RIR INDEX(1-based).
stack_remotes() {
  local i=0 entry
  local -a entries
  IFS=, read -ra entries <<<"$REMOTE_VAS"
  for entry in "${entries[@]}"; do
    i=$((i + 1))
    IFS=: read -r svc persp rir <<<"$entry"
    echo "$svc $persp $rir $i"
  done
}

stack_remote_names() { stack_remotes | cut -d' ' -f1; }

# All long-running services of the stack, in start order.
stack_services() {
  echo dnstestsrv
  echo unbound
  stack_remote_names
  echo "$PRIMARY_VA"
  echo ra
}

_local_port() { echo $((LOCAL_PORT_BASE + $1)); }

_remote_index() {
  local svc=$1 s p r i
  while read -r s p r i; do
    [[ $s == "$svc" ]] && { echo "$i"; return 0; }
  done < <(stack_remotes)
  return 1
}

# stack_port SERVICE KIND -> the port. KIND: grpc, metrics, dns, management.
stack_port() {
  local svc=$1 kind=$2 idx
  if [[ $STACK_MODE == compose ]]; then
    case $svc:$kind in
      dnstestsrv:dns) echo "$DNSTESTSRV_DNS_PORT" ;;
      dnstestsrv:management) echo "$DNSTESTSRV_MANAGEMENT_PORT" ;;
      unbound:dns) echo "$UNBOUND_PORT" ;;
      ra:grpc) echo "$RA_GRPC_PORT" ;;
      *:grpc) echo "$VA_GRPC_PORT" ;;
      *:metrics) echo "$VA_METRICS_PORT" ;;
      *) echo "stack: no $kind port for $svc" >&2; return 1 ;;
    esac
    return 0
  fi
  case $svc:$kind in
    dnstestsrv:dns) _local_port "$LOCAL_OFFSET_DNSTESTSRV_DNS" ;;
    dnstestsrv:management) _local_port "$LOCAL_OFFSET_DNSTESTSRV_MANAGEMENT" ;;
    unbound:dns) _local_port "$LOCAL_OFFSET_UNBOUND" ;;
    ra:grpc) _local_port "$LOCAL_OFFSET_RA_GRPC" ;;
    "$PRIMARY_VA":grpc) _local_port "$LOCAL_OFFSET_PRIMARY_VA_GRPC" ;;
    "$PRIMARY_VA":metrics) _local_port "$LOCAL_OFFSET_PRIMARY_VA_METRICS" ;;
    *:grpc | *:metrics)
      idx=$(_remote_index "$svc") || { echo "stack: unknown service $svc" >&2; return 1; }
      if [[ $kind == grpc ]]; then
        _local_port $((LOCAL_OFFSET_REMOTE_VA_GRPC + idx))
      else
        _local_port $((LOCAL_OFFSET_REMOTE_VA_METRICS + idx))
      fi
      ;;
    *) echo "stack: no $kind port for $svc" >&2; return 1 ;;
  esac
}

# Where SERVICE listens (what to pass to --listen and friends).
stack_listen() {
  local port
  port=$(stack_port "$1" "$2") || return 1
  if [[ $STACK_MODE == compose ]]; then echo "0.0.0.0:$port"; else echo "127.0.0.1:$port"; fi
}

# How other services dial SERVICE. In compose the host part is the service
# name, which is also the SAN gRPC verifies; locally it is 127.0.0.1 (the
# loopback certificates carry IP:127.0.0.1).
stack_dial() {
  local port
  port=$(stack_port "$1" "$2") || return 1
  if [[ $STACK_MODE == compose ]]; then echo "$1:$port"; else echo "127.0.0.1:$port"; fi
}

# ip:port of a DNS server: c-ares takes no host names, so the compose
# addresses are the static IPs from stack.env.
_dns_server() {
  local name=$1
  case $name in
    unbound | dnstestsrv)
      if [[ $STACK_MODE == compose ]]; then
        local ip_var=${name^^}_IP
        echo "${!ip_var}:$(stack_port "$name" dns)"
      else
        echo "127.0.0.1:$(stack_port "$name" dns)"
      fi
      ;;
    *:*) echo "$name" ;;
    *) echo "stack: bad resolver entry: $name" >&2; return 1 ;;
  esac
}

# The --dns-resolvers value for a VA service.
stack_resolvers() {
  local svc=$1 var list entry out=""
  var=DNS_RESOLVERS_${svc//-/_}
  list=${!var:-$DNS_RESOLVERS_DEFAULT}
  IFS=, read -ra entries <<<"$list"
  for entry in "${entries[@]}"; do
    out+=${out:+,}$(_dns_server "$entry") || return 1
  done
  echo "$out"
}

stack_cert_dir() { echo "$STACK_DATA_DIR/certs"; }

stack_program() {
  local name=$1
  if [[ -n ${STACK_BUILD_DIR:-} ]]; then
    echo "$STACK_BUILD_DIR/cmd/$name/$name"
  else
    command -v "$name" || echo "$name"
  fi
}

# TLS flags for SERVICE (its own certificate), or --plaintext.
_tls_args() {
  local svc=$1 certs
  certs=$(stack_cert_dir)
  if [[ ${STACK_PLAINTEXT:-0} == 1 ]]; then
    STACK_ARGS+=(--plaintext)
  else
    STACK_ARGS+=(--tls-cert "$certs/$svc/cert.pem" --tls-key "$certs/$svc/key.pem"
      --tls-ca "$certs/ca.pem")
  fi
}

# Fills the array STACK_ARGS with the full command line of SERVICE.
stack_args() {
  local svc=$1 s p r i
  STACK_ARGS=()
  case $svc in
    dnstestsrv)
      STACK_ARGS=("$(stack_program dnstestsrv)"
        --dns01 "$(stack_listen dnstestsrv dns)"
        --management "$(stack_listen dnstestsrv management)"
        --records "${STACK_RECORDS:-$STACK_DEPLOY_DIR/dnstestsrv/demo-records.json}")
      ;;
    ra)
      STACK_ARGS=("$(stack_program ra)"
        --listen "$(stack_listen ra grpc)"
        --va "$(stack_dial "$PRIMARY_VA" grpc)"
        --db "$STACK_DATA_DIR/ra/ra.db")
      _tls_args ra
      if [[ ${STACK_PLAINTEXT:-0} != 1 && -n ${RA_CLIENTS:-} ]]; then
        STACK_ARGS+=(--tls-client-names "$RA_CLIENTS")
      fi
      ;;
    *)
      local perspective rir clients
      if [[ $svc == "$PRIMARY_VA" ]]; then
        perspective=$PRIMARY_PERSPECTIVE rir=$PRIMARY_RIR clients=$PRIMARY_VA_CLIENTS
      else
        i=$(_remote_index "$svc") || { echo "stack: unknown service $svc" >&2; return 1; }
        read -r s perspective rir i < <(stack_remotes | sed -n "${i}p")
        clients=$REMOTE_VA_CLIENTS
      fi
      STACK_ARGS=("$(stack_program va)"
        --listen "$(stack_listen "$svc" grpc)"
        --metrics-listen "$(stack_listen "$svc" metrics)"
        --dns-resolvers "$(stack_resolvers "$svc")"
        --dns-timeout "$DNS_TIMEOUT"
        --dns-tries "$DNS_TRIES"
        --issuer-domain "$ISSUER_DOMAIN"
        --account-uri-prefixes "$ACCOUNT_URI_PREFIXES"
        --perspective "$perspective"
        --rir "$rir")
      if [[ -n ${DNSSEC_CANARY:-} ]]; then
        STACK_ARGS+=(--dnssec-canary "$DNSSEC_CANARY")
      fi
      _tls_args "$svc"
      if [[ ${STACK_PLAINTEXT:-0} != 1 ]]; then
        STACK_ARGS+=(--tls-client-names "$clients")
      fi
      if [[ $svc == "$PRIMARY_VA" ]]; then
        while read -r s p r i; do
          STACK_ARGS+=(--remote-va "$(stack_dial "$s" grpc),$p,$r")
        done < <(stack_remotes)
        if [[ -n ${MIN_REMOTE_PERSPECTIVES:-} ]]; then
          STACK_ARGS+=(--min-remote-perspectives "$MIN_REMOTE_PERSPECTIVES")
        fi
      fi
      ;;
  esac
}
