#!/usr/bin/env bash
# Creates the test PKI for the stack's mutual TLS: one CA and, per name, a
# leaf certificate whose SAN DNS name is that name (the compose service name,
# which is also the host part gRPC checks and the client name the VAs
# allowlist).
#
#   make-certs.sh DIR [--loopback] [--owner UID:GID]
#                     [--server NAME]... [--client NAME]...
#
# Without --server/--client the names come from deploy/stack.env (or
# $STACK_ENV): "ra", PRIMARY_VA and every REMOTE_VAS service as servers
# (serverAuth + clientAuth, because each is also a caller), CERT_CLIENTS as
# client-only identities.
#
#   --loopback  also put DNS:localhost, IP:127.0.0.1 and IP:::1 in server
#               certificates, for the stack on loopback (local-stack.sh),
#               where clients dial 127.0.0.1:port.
#   --owner     chown everything to UID:GID (when run as root for a
#               non-root service user).
#
# Layout: DIR/ca.pem, DIR/ca.key, DIR/NAME/cert.pem, DIR/NAME/key.pem.
# Idempotent: an existing leaf is kept if it chains to DIR/ca.pem, has the
# wanted SANs and is valid for 30 more days; otherwise it is (re)issued.
# Keys are mode 0600, readable only by their owner.
set -euo pipefail

usage() {
  sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

[[ $# -ge 1 && $1 != -* ]] || usage
dir=$1
shift
loopback=0
owner=""
servers=()
clients=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --loopback) loopback=1 ;;
    --owner) owner=${2:?--owner needs UID:GID}; shift ;;
    --server) servers+=("${2:?--server needs a name}"); shift ;;
    --client) clients+=("${2:?--client needs a name}"); shift ;;
    -h | --help) usage ;;
    *) echo "make-certs.sh: unknown argument: $1" >&2; usage ;;
  esac
  shift
done

if ((${#servers[@]} == 0 && ${#clients[@]} == 0)); then
  stack_env=${STACK_ENV:-$(dirname "$0")/../deploy/stack.env}
  # shellcheck source-path=SCRIPTDIR source=../deploy/stack.env
  source "$stack_env"
  servers=(ra "$PRIMARY_VA")
  IFS=, read -ra remotes <<<"$REMOTE_VAS"
  for r in "${remotes[@]}"; do servers+=("${r%%:*}"); done
  IFS=, read -ra clients <<<"${CERT_CLIENTS:-}"
fi

for name in "${servers[@]}" "${clients[@]}"; do
  # The name becomes a file name and a SAN: keep it a plain DNS label list.
  if [[ ! $name =~ ^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$ ]]; then
    echo "make-certs.sh: bad certificate name: $name" >&2
    exit 2
  fi
done

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
umask 077
# Two stacks (or a stack and a test) may share DIR: one writer at a time.
exec 9>"$dir/.lock"
flock 9

days_ca=3650
days_leaf=825
ca_cert=$dir/ca.pem
ca_key=$dir/ca.key

log() { echo "make-certs: $*" >&2; }

# Writes to a temp file and renames, so an interrupted run never leaves a
# half-written key or certificate behind.
make_ca() {
  log "creating CA in $dir"
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$ca_key.tmp" -out "$ca_cert.tmp" -days "$days_ca" -sha256 \
    -subj "/O=acme-va test stack/CN=acme-va test CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" 2>/dev/null
  mv "$ca_key.tmp" "$ca_key"
  mv "$ca_cert.tmp" "$ca_cert"
}

# The SAN extension value for a leaf.
san_for() {
  local name=$1 kind=$2
  local san="DNS:$name"
  if [[ $kind == server && $loopback == 1 ]]; then
    san+=",DNS:localhost,IP:127.0.0.1,IP:::1"
  fi
  echo "$san"
}

# Keep an existing leaf only if it is still right for this CA and these SANs.
leaf_ok() {
  local name=$1 kind=$2 cert=$dir/$1/cert.pem key=$dir/$1/key.pem
  [[ -s $cert && -s $key ]] || return 1
  openssl verify -CAfile "$ca_cert" "$cert" >/dev/null 2>&1 || return 1
  openssl x509 -in "$cert" -noout -checkend $((30 * 86400)) >/dev/null || return 1
  # The key must belong to the certificate.
  [[ $(openssl x509 -in "$cert" -noout -pubkey) == \
     $(openssl pkey -in "$key" -pubout 2>/dev/null) ]] || return 1
  local want have
  want=$(san_for "$name" "$kind" | tr ',' '\n' | sed 's/^IP:/IP Address:/' |
    sed 's/^IP Address:::1$/IP Address:0:0:0:0:0:0:0:1/' | sort)
  have=$(openssl x509 -in "$cert" -noout -ext subjectAltName |
    tail -n +2 | tr ',' '\n' | sed 's/^ *//' | sed '/^$/d' | sort)
  [[ $want == "$have" ]]
}

make_leaf() {
  local name=$1 kind=$2 eku
  if [[ $kind == server ]]; then eku="serverAuth,clientAuth"; else eku="clientAuth"; fi
  local out=$dir/$name
  mkdir -p "$out"
  log "issuing $kind certificate for $name"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$out/key.pem.tmp" -out "$out/csr.pem.tmp" \
    -subj "/O=acme-va test stack/CN=$name" 2>/dev/null
  openssl x509 -req -in "$out/csr.pem.tmp" -CA "$ca_cert" -CAkey "$ca_key" \
    -CAcreateserial -CAserial "$dir/ca.srl" -days "$days_leaf" -sha256 \
    -out "$out/cert.pem.tmp" -extfile <(printf '%s\n' \
      "basicConstraints=critical,CA:FALSE" \
      "keyUsage=critical,digitalSignature" \
      "extendedKeyUsage=$eku" \
      "subjectAltName=$(san_for "$name" "$kind")" \
      "authorityKeyIdentifier=keyid" \
      "subjectKeyIdentifier=hash") 2>/dev/null
  rm -f "$out/csr.pem.tmp"
  mv "$out/key.pem.tmp" "$out/key.pem"
  mv "$out/cert.pem.tmp" "$out/cert.pem"
}

if [[ ! -s $ca_cert || ! -s $ca_key ]] ||
  ! openssl x509 -in "$ca_cert" -noout -checkend $((365 * 86400)) >/dev/null; then
  make_ca
fi

for name in "${servers[@]}"; do
  leaf_ok "$name" server || make_leaf "$name" server
done
for name in "${clients[@]}"; do
  leaf_ok "$name" client || make_leaf "$name" client
done

# Certificates are public; keys are for their owner only.
find "$dir" \( -name ca.pem -o -name cert.pem \) -exec chmod 0644 {} +
find "$dir" \( -name ca.key -o -name key.pem \) -exec chmod 0600 {} +
find "$dir" -mindepth 1 -type d -exec chmod 0755 {} +
chmod 0755 "$dir"
if [[ -n $owner ]]; then chown -R "$owner" "$dir"; fi
log "certificates ready in $dir"
