#!/usr/bin/env bash
# Runs one service of the stack with the command line derived from
# deploy/stack.env (see deploy/stack-lib.sh). The container entrypoint, and
# what deploy/local-stack.sh runs for each program.
#
#   launch.sh SERVICE           exec the program
#   launch.sh SERVICE --print   print the command line, one argument a line
#
# SERVICE: dnstestsrv, ra, PRIMARY_VA or a REMOTE_VAS service name.
# Environment: STACK_MODE (compose|local), STACK_DATA_DIR, STACK_BUILD_DIR,
# STACK_ENV, and any stack.env variable to override it.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=stack-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/stack-lib.sh"

[[ $# -ge 1 ]] || { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
service=$1
stack_load_env
stack_args "$service"
if [[ ${2:-} == --print ]]; then
  printf '%s\n' "${STACK_ARGS[@]}"
  exit 0
fi
echo "launch: ${STACK_ARGS[*]}" >&2
exec "${STACK_ARGS[@]}"
