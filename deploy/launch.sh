#!/usr/bin/env bash
# Runs one service of the stack with the command line derived from
# deploy/stack.env (see deploy/stack-lib.sh). The containers' entrypoint and
# health check, and what deploy/local-stack.sh runs for each program.
#
#   launch.sh SERVICE           exec the program (unbound: write its config first)
#   launch.sh SERVICE --print   print the command line, one argument a line
#   launch.sh SERVICE --health  exit 0 if SERVICE accepts TCP connections on
#                               every port it serves (on 127.0.0.1)
#   launch.sh vactl ARGS...     the operator CLI against the RA, with mTLS
#
# SERVICE: dnstestsrv, unbound, ra, PRIMARY_VA or a REMOTE_VAS service name.
# Environment: STACK_MODE (compose|local), STACK_NETWORK (bridge|host),
# STACK_DATA_DIR, STACK_BUILD_DIR, STACK_ENV, and any stack.env variable to
# override it.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=stack-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/stack-lib.sh"

[[ $# -ge 1 ]] || { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
service=$1
shift
stack_load_env
stack_args "$service"
if [[ $service == vactl ]]; then
  exec "${STACK_ARGS[@]}" "$@"
fi
case ${1:-} in
  --print)
    printf '%s\n' "${STACK_ARGS[@]}"
    exit 0
    ;;
  --health)
    # Listening on 0.0.0.0 (compose network) or 127.0.0.1 (loopback): both
    # answer on 127.0.0.1 inside the service's network namespace.
    for port in $(stack_ready_ports "$service"); do
      (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || exit 1
    done
    exit 0
    ;;
  "") ;;
  *) echo "launch: unknown option $1" >&2; exit 2 ;;
esac
if [[ $service == unbound ]]; then
  dir=$(stack_unbound_dir)
  mkdir -p "$dir"
  stack_unbound_conf "$dir/unbound.conf"
  unbound-checkconf "$dir/unbound.conf" >/dev/null
fi
echo "launch: ${STACK_ARGS[*]}" >&2
exec "${STACK_ARGS[@]}"
