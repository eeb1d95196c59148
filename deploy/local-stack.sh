#!/usr/bin/env bash
# The docker-compose topology as plain processes on 127.0.0.1, from the same
# settings (deploy/stack.env, deploy/unbound/, deploy/dnstestsrv/): the test
# PKI, dnstestsrv, a validating unbound stubbing the test zones to it, the
# remote VAs, the primary VA and the RA.
#
#   local-stack.sh COMMAND [RUN_DIR] [OPTIONS]
#
# COMMAND
#   start   start everything, wait until each service accepts connections,
#           return (stop with `stop`; a failed start stops what it started)
#   run     start, then stay in the foreground; Ctrl-C/TERM stops everything
#   stop    stop what `start` started in RUN_DIR
#   status  each service: running or not, pid, address (exit 3 if any is down)
#   env     the addresses as KEY=VALUE lines, for tests and scripts
#   print   each service's command line, without starting anything
#   check   write the loopback unbound.conf, run unbound-checkconf on it,
#           print the command lines; starts nothing
# RUN_DIR   state, certificates, logs, the RA database
#           (default: <repo>/run/local-stack)
# OPTIONS
#   --port-base N    first port (default LOCAL_PORT_BASE from stack.env);
#                    a second stack needs another base
#   --build-dir DIR  where the programs are built (default: <repo>/build)
#   --only A,B       start only these services (names as in `print`)
#   --records FILE   dnstestsrv records (default deploy/dnstestsrv/demo-records.json)
#   --dnssec on|off|auto  unbound validation (default auto: on when
#                    /usr/share/dns/root.key exists, from dns-root-data)
#
# Only loopback addresses are used. Names outside the stub zones are
# forwarded to a closed loopback port, so this unbound never reaches the
# Internet: they get SERVFAIL.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=stack-lib.sh
source "$here/stack-lib.sh"

usage() {
  sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

[[ $# -ge 1 ]] || usage
command=$1
shift
run_dir=""
if [[ $# -gt 0 && $1 != --* ]]; then run_dir=$1; shift; fi
run_dir=${run_dir:-$repo/run/local-stack}
opt_port_base="" opt_build_dir="" opt_only="" opt_records="" opt_dnssec=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --port-base) opt_port_base=${2:?}; shift ;;
    --build-dir) opt_build_dir=${2:?}; shift ;;
    --only) opt_only=${2:?}; shift ;;
    --records) opt_records=${2:?}; shift ;;
    --dnssec) opt_dnssec=${2:?}; shift ;;
    -h | --help) usage ;;
    *) echo "local-stack: unknown option $1" >&2; usage ;;
  esac
  shift
done

mkdir -p "$run_dir"
run_dir=$(cd "$run_dir" && pwd)
settings=$run_dir/settings.env

# A pid file holds "PID STARTTIME" (field 22 of /proc/PID/stat), so a pid
# the kernel has since given to another process is never signalled.
start_time_of() { awk '{print $22}' "/proc/$1/stat" 2>/dev/null; }

any_running() {
  local file pid start
  for file in "$run_dir"/pids/*.pid; do
    [[ -f $file ]] || continue
    read -r pid start <"$file" || continue
    [[ -n $pid && $(start_time_of "$pid") == "$start" ]] && return 0
  done
  return 1
}

# `start` records its options in settings.env so that stop/status/env see
# the same stack; while the stack runs, its settings stay as they are.
# print/check use their own options and record nothing.
if [[ $command == start || $command == run ]] && any_running; then
  echo "local-stack: a stack is already running in $run_dir (stop it first)" >&2
  exit 1
fi
settings_from_options() {
  [[ -z $opt_port_base || $opt_port_base =~ ^[0-9]+$ ]] || {
    echo "local-stack: --port-base must be a number" >&2; exit 2; }
  [[ -z $opt_dnssec || $opt_dnssec =~ ^(on|off|auto)$ ]] || {
    echo "local-stack: --dnssec must be on, off or auto" >&2; exit 2; }
  # An explicit base (option, or LOCAL_PORT_BASE in the environment) is
  # kept for later commands; otherwise stack.env's applies.
  local base=${opt_port_base:-${LOCAL_PORT_BASE:-}}
  if [[ -n $base ]]; then echo "LOCAL_PORT_BASE=$base"; fi
  echo "STACK_BUILD_DIR=$(realpath -m "${opt_build_dir:-$repo/build}")"
  echo "STACK_ONLY=$opt_only"
  echo "STACK_RECORDS=$(realpath -m "${opt_records:-$here/dnstestsrv/demo-records.json}")"
  echo "UNBOUND_DNSSEC=${opt_dnssec:-auto}"
}
case $command in
  start | run)
    settings_from_options >"$settings.tmp"
    mv "$settings.tmp" "$settings"
    settings_text=$(cat "$settings")
    ;;
  print | check) settings_text=$(settings_from_options) ;;
  *)
    if [[ -f $settings ]]; then settings_text=$(cat "$settings"); else settings_text=$(settings_from_options); fi
    ;;
esac
while IFS= read -r line; do [[ -n $line ]] && export "${line?}"; done <<<"$settings_text"
export STACK_MODE=local STACK_DATA_DIR=$run_dir
stack_load_env

for svc in ${STACK_ONLY//,/ }; do
  if [[ $'\n'$(stack_services)$'\n' != *$'\n'$svc$'\n'* ]]; then
    echo "local-stack: --only: unknown service $svc (services: $(stack_services | tr '\n' ' '))" >&2
    exit 2
  fi
done

pid_dir=$run_dir/pids
log_dir=$run_dir/logs
mkdir -p "$pid_dir" "$log_dir" "$run_dir/ra" "$run_dir/unbound"

log() { echo "local-stack: $*" >&2; }

wanted_services() {
  local svc
  for svc in $(stack_services); do
    if [[ -z $STACK_ONLY || ,$STACK_ONLY, == *,$svc,* ]]; then echo "$svc"; fi
  done
}

# --- processes ----------------------------------------------------------
pid_of() {
  local file=$pid_dir/$1.pid pid start
  [[ -f $file ]] || return 1
  read -r pid start <"$file" || return 1
  [[ -n $pid && $(start_time_of "$pid") == "$start" ]] || return 1
  echo "$pid"
}

spawn() {
  local svc=$1
  shift
  local log_file=$log_dir/$svc.log
  echo "=== $(date -u +%FT%TZ) $*" >>"$log_file"
  "$@" >>"$log_file" 2>&1 </dev/null &
  local pid=$!
  echo "$pid $(start_time_of "$pid")" >"$pid_dir/$svc.pid"
  log "started $svc (pid $pid), log $log_file"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_ready() {
  local svc=$1 deadline=$((SECONDS + ${STACK_START_TIMEOUT:-30})) port pid
  for port in $(stack_ready_ports "$svc"); do
    until port_open "$port"; do
      if ! pid=$(pid_of "$svc") || ! kill -0 "$pid" 2>/dev/null; then
        log "$svc exited during start; last lines of $log_dir/$svc.log:"
        tail -n 20 "$log_dir/$svc.log" >&2
        return 1
      fi
      if ((SECONDS >= deadline)); then
        log "$svc not accepting connections on 127.0.0.1:$port after ${STACK_START_TIMEOUT:-30}s"
        tail -n 20 "$log_dir/$svc.log" >&2
        return 1
      fi
      sleep 0.1
    done
  done
  log "$svc ready"
}

stop_service() {
  local svc=$1 pid i
  if pid=$(pid_of "$svc"); then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$svc (pid $pid) ignored SIGTERM for 5s; SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    log "stopped $svc (pid $pid)"
  fi
  rm -f "$pid_dir/$svc.pid"
}

stop_all() {
  local svc
  # Reverse start order: callers before the services they call.
  for svc in $(stack_services | tac); do stop_service "$svc"; done
}

# --- unbound ------------------------------------------------------------
# The config launch.sh writes at start (stack_unbound_conf), checked.
write_unbound_conf() {
  local conf
  conf=$(stack_unbound_dir)/unbound.conf
  stack_unbound_conf "$conf" || return 1
  unbound-checkconf "$conf" >/dev/null || return 1
  local dnssec=off
  if grep -q 'module-config: "validator' "$conf"; then dnssec=on; fi
  log "unbound config $conf (DNSSEC validation $dnssec)"
}

# --- commands ----------------------------------------------------------
start_service() {
  local svc=$1
  if pid_of "$svc" >/dev/null; then
    log "$svc already running"
    return 0
  fi
  case $svc in
    unbound)
      write_unbound_conf || return 1
      spawn unbound "$here/launch.sh" unbound
      ;;
    *)
      stack_args "$svc" || return 1
      if [[ ! -x ${STACK_ARGS[0]} ]]; then
        log "$svc: ${STACK_ARGS[0]} is not built (--build-dir, or scripts/build.sh)"
        return 1
      fi
      spawn "$svc" "$here/launch.sh" "$svc"
      ;;
  esac
  wait_ready "$svc"
}

start_all() {
  local svc services
  services=$(wanted_services)
  if [[ $STACK_PLAINTEXT != 1 ]]; then
    "$repo/scripts/make-certs.sh" "$run_dir/certs" --loopback
  fi
  for svc in $services; do
    # A failed start leaves nothing running. (Called from `if`, so set -e is
    # off inside start_service: it checks every step itself.)
    if ! start_service "$svc"; then
      log "starting $svc failed; stopping the stack"
      stop_all
      exit 1
    fi
  done
  log "stack up in $run_dir"
}

status() {
  local svc pid rc=0 port
  for svc in $(wanted_services); do
    port=$(stack_ready_ports "$svc" | tr '\n' ' ')
    if pid=$(pid_of "$svc"); then
      printf '%-22s running  pid %-8s 127.0.0.1 port %s\n' "$svc" "$pid" "$port"
    else
      printf '%-22s stopped\n' "$svc"
      rc=3
    fi
  done
  return $rc
}

print_env() {
  local svc list=""
  echo "STACK_RUN_DIR=$run_dir"
  echo "STACK_CERT_DIR=$(stack_cert_dir)"
  echo "DNSTESTSRV_DNS_ADDR=$(stack_dial dnstestsrv dns)"
  echo "DNSTESTSRV_MANAGEMENT_ADDR=$(stack_dial dnstestsrv management)"
  echo "UNBOUND_ADDR=$(stack_dial unbound dns)"
  echo "VA_ADDR=$(stack_dial "$PRIMARY_VA" grpc)"
  echo "VA_METRICS_ADDR=$(stack_dial "$PRIMARY_VA" metrics)"
  for svc in $(stack_remote_names); do list+=${list:+,}$(stack_dial "$svc" grpc); done
  echo "REMOTE_VA_ADDRS=$list"
  echo "RA_ADDR=$(stack_dial ra grpc)"
  echo "RA_DB=$run_dir/ra/ra.db"
}

print_commands() {
  local svc
  for svc in $(wanted_services); do
    stack_args "$svc"
    echo "$svc: ${STACK_ARGS[*]}"
  done
}

case $command in
  start) start_all ;;
  run)
    trap 'stop_all' EXIT
    trap 'exit 0' INT TERM
    start_all
    log "running; Ctrl-C stops the stack"
    # Exit (and stop the rest) as soon as any service dies.
    while status >/dev/null; do sleep 1; done
    log "a service stopped:"
    status >&2 || true
    exit 1
    ;;
  stop) stop_all ;;
  status) status ;;
  env) print_env ;;
  print) print_commands ;;
  check)
    write_unbound_conf
    print_commands
    ;;
  *) usage ;;
esac
