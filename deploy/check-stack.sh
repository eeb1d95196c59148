#!/usr/bin/env bash
# Checks that the stack's configuration files agree with each other, without
# Docker or the built programs:
#   - docker-compose.yml is valid (docker-compose config -q), alone and with
#     deploy/docker-compose.host-network.yml, and has a service, command,
#     health check and published port for what deploy/stack.env describes;
#   - the unbound configuration launch.sh writes passes unbound-checkconf
#     for every mode (compose network, host network, loopback), and every
#     zone in DNSTESTSRV_ZONES is domain-insecure and not a built-in local
#     zone in deploy/unbound/policy.conf;
#   - the perspectives are a valid MPIC set (>= 3 remotes, >= 2 RIRs);
#   - every demo record is inside a DNSTESTSRV_ZONES zone;
#   - deploy/launch.sh builds a command line for every service, every mode;
#   - deploy/Dockerfile's default base image is the one compose passes, and
#     its build stage copies every folder the top-level CMakeLists.txt adds.
# Prints one line per check; exits 1 if any fails.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
py=/usr/bin/python3 # Debian's, with python3-yaml (a docker-compose dependency)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; failed=1; }

# 1. compose syntax, then the resolved model as JSON for the checks below.
host_override=$here/docker-compose.host-network.yml
if command -v docker-compose >/dev/null; then
  # Without -f: docker-compose.yml and docker-compose.override.yml, as a
  # user's `docker-compose up` reads them.
  if (cd "$repo" && docker-compose --profile tools config -q) 2>"$tmp/err"; then
    ok "docker-compose config -q (with docker-compose.override.yml)"
    (cd "$repo" && docker-compose --profile tools config) >"$tmp/compose.yml"
  else
    bad "docker-compose config -q: $(cat "$tmp/err")"
  fi
  if docker-compose -f "$repo/docker-compose.yml" -f "$host_override" --profile tools \
    config >"$tmp/compose-host.yml" 2>"$tmp/err"; then
    ok "docker-compose config with deploy/docker-compose.host-network.yml"
  else
    bad "docker-compose config with the host-network override: $(cat "$tmp/err")"
  fi
else
  echo "skip docker-compose not installed; reading the compose files as plain YAML"
  cp "$repo/docker-compose.yml" "$tmp/compose.yml"
  : >"$tmp/compose-host.yml"
fi

# 2. the unbound configuration launch.sh writes, in each mode (an address
#    stands in for dnstestsrv's on the compose network).
for mode in compose:bridge compose:host local:bridge; do
  if out=$(STACK_MODE=${mode%:*} STACK_NETWORK=${mode#*:} STACK_DATA_DIR=$tmp \
    STACK_UNBOUND_DIR=$tmp/unbound-$mode bash -c '
      source "$1/stack-lib.sh" && stack_load_env
      stack_service_ip() { echo 10.0.0.88; }
      mkdir -p "$(stack_unbound_dir)"
      stack_unbound_conf "$(stack_unbound_dir)/unbound.conf"
      unbound-checkconf "$(stack_unbound_dir)/unbound.conf"' _ "$here" 2>&1); then
    ok "unbound-checkconf on the generated config ($mode)"
  else
    bad "unbound config ($mode): $out"
  fi
done

# 3. cross-file consistency, in Python for the YAML.
STACK_ENV_FILE=${STACK_ENV:-$here/stack.env} DEPLOY=$here COMPOSE=$tmp/compose.yml \
  COMPOSE_HOST=$tmp/compose-host.yml DOCKERFILE=$here/Dockerfile \
  POLICY_CONF=$here/unbound/policy.conf \
  "$py" - <<'EOF' || failed=1
import ipaddress, json, os, re, sys, yaml

failed = False
def check(cond, what):
    global failed
    print(("ok   " if cond else "FAIL ") + what)
    failed |= not cond

env = {}
for line in open(os.environ["STACK_ENV_FILE"]):
    line = line.strip()
    if line and not line.startswith("#"):
        k, _, v = line.partition("=")
        env[k] = v
compose = yaml.safe_load(open(os.environ["COMPOSE"]))
services = compose.get("services", {})

remotes = [e.split(":") for e in env["REMOTE_VAS"].split(",")]
check(all(len(r) == 3 for r in remotes), "REMOTE_VAS entries are SERVICE:PERSPECTIVE:RIR")
rirs = {"ARIN", "RIPE", "APNIC", "LACNIC", "AFRINIC"}
check(all(r[2] in rirs for r in remotes) and env["PRIMARY_RIR"] in rirs,
      "every RIR is one of " + ",".join(sorted(rirs)))
check(len(remotes) >= 3, f"at least 3 remote VAs ({len(remotes)})")
check(len({r[2] for r in remotes}) >= 2, f"at least 2 RIRs ({sorted({r[2] for r in remotes})})")
check(len({r[1] for r in remotes} | {env["PRIMARY_PERSPECTIVE"]}) == len(remotes) + 1,
      "perspective names are unique")
min_remote = env.get("MIN_REMOTE_PERSPECTIVES", "")
check(min_remote == "" or int(min_remote) <= len(remotes),
      "MIN_REMOTE_PERSPECTIVES <= number of remote VAs")

vas = [env["PRIMARY_VA"]] + [r[0] for r in remotes]
for name in ["dnstestsrv", "unbound", "ra", "certs"] + vas:
    check(name in services, f"compose service {name}")
for name in ["dnstestsrv", "ra"] + vas:
    if name in services:
        check(services[name].get("command") == [name],
              f"compose {name}: command [{name}] (launch.sh picks its settings)")
for name in vas:
    s = services.get(name, {})
    deps = s.get("depends_on", {})
    check(isinstance(deps, dict) and deps.get("certs", {}).get("condition") ==
          "service_completed_successfully", f"compose {name}: waits for certs")
primary_deps = services.get(env["PRIMARY_VA"], {}).get("depends_on", {})
check(all(primary_deps.get(r[0], {}).get("condition") == "service_healthy" for r in remotes),
      "compose primary VA waits for every remote VA to be healthy")
extra = [n for n, s in services.items() if s.get("command") and s["command"][0].startswith("va-remote")
         and n not in vas]
check(not extra, f"no remote VA service missing from REMOTE_VAS {extra or ''}")

for name in ["dnstestsrv", "unbound", "ra"] + vas:
    test = (services.get(name, {}).get("healthcheck") or {}).get("test")
    check(test == ["CMD", "/opt/acme-va/deploy/launch.sh", name, "--health"],
          f"compose {name}: health check is launch.sh {name} --health")
base_services = yaml.safe_load(open(os.path.join(os.environ["DEPLOY"], "..", "docker-compose.yml")))["services"]
for name, s in base_services.items():
    check(not s.get("networks") and not s.get("ports"),
          f"docker-compose.yml {name}: no networks, no ports (the host-network override needs that)")

# The host-network override: every long-running service on the host network.
host_compose = yaml.safe_load(open(os.environ["COMPOSE_HOST"])) or {}
host_services = host_compose.get("services", {})
if host_services:
    for name in ["dnstestsrv", "unbound", "ra", "vactl"] + vas:
        s = host_services.get(name, {})
        check(s.get("network_mode") == "host"
              and (s.get("environment") or {}).get("STACK_NETWORK") == "host",
              f"host-network override: {name} on the host network, STACK_NETWORK=host")
        hosts = s.get("extra_hosts") or []
        if isinstance(hosts, dict):
            hosts = [f"{k}:{v}" for k, v in hosts.items()]
        missing = sorted(n for n in ["ra"] + vas if f"{n}:127.0.0.1" not in hosts)
        check(not missing, f"host-network override: {name} maps every dialled name to 127.0.0.1 {missing or ''}")

# One default base image: deploy/Dockerfile's ARG and compose's fallback.
m = re.search(r"^ARG BASE_IMAGE=(\S+)", open(os.environ["DOCKERFILE"]).read(), re.M)
base_args = {(s.get("build") or {}).get("args", {}).get("BASE_IMAGE") for s in services.values()
             if s.get("build")}
check(m is not None and base_args == {m.group(1)},
      f"compose builds pass BASE_IMAGE = deploy/Dockerfile's default ({sorted(base_args)})")

# The image's build stage has every folder the top-level CMakeLists.txt adds
# (tests excepted: the image builds with VA_BUILD_TESTS=OFF), so a new folder
# fails here rather than minutes into the image build.
dockerfile_text = open(os.environ["DOCKERFILE"]).read()
top = os.path.join(os.path.dirname(os.environ["DOCKERFILE"]), "..", "CMakeLists.txt")
subdirs = re.findall(r"^\s*add_subdirectory\((\w+)\)", open(top).read(), re.M)
not_copied = sorted(d for d in set(subdirs) - {"test"}
                    if not re.search(rf"^COPY {d}/ /src/{d}/$", dockerfile_text, re.M))
check(subdirs and not not_copied,
      f"deploy/Dockerfile copies every CMake folder {not_copied or ''}")

published = {}
for n, s in services.items():
    for p in s.get("ports", []) or []:
        if isinstance(p, dict):
            published.setdefault(n, []).append((p.get("host_ip"), str(p.get("target"))))
        else:
            parts = str(p).split("/")[0].split(":")
            published.setdefault(n, []).append((parts[0] if len(parts) == 3 else None, parts[-1]))
check(all(ip == "127.0.0.1" for v in published.values() for ip, _ in v),
      "published ports bind 127.0.0.1 only")
for n, port in [(env["PRIMARY_VA"], env["VA_GRPC_PORT"]), ("ra", env["RA_GRPC_PORT"]),
                ("dnstestsrv", env["DNSTESTSRV_MANAGEMENT_PORT"])]:
    check(any(t == port for _, t in published.get(n, [])), f"compose {n} publishes container port {port}")

# Test zones: asked of dnstestsrv, which does not sign them.
policy = open(os.environ["POLICY_CONF"]).read()
zones = [z.rstrip(".") + "." for z in env.get("DNSTESTSRV_ZONES", "").split(",") if z]
check(bool(zones), "DNSTESTSRV_ZONES names the test zones")
for name in zones:
    check(re.search(rf'^\s*domain-insecure:\s*"{re.escape(name)}"', policy, re.M) is not None,
          f"policy.conf: domain-insecure {name} (dnstestsrv does not sign)")
    check(re.search(rf'^\s*local-zone:\s*"{re.escape(name)}"\s+(transparent|nodefault)', policy, re.M)
          is not None, f"policy.conf: local-zone {name} transparent (not a built-in NXDOMAIN zone)")

# Demo records must be asked of dnstestsrv, i.e. be inside a stub zone.
records_path = os.path.join(os.environ["DEPLOY"], "dnstestsrv", "demo-records.json")
if os.path.exists(records_path):
    try:
        records = json.load(open(records_path))
        hosts = {e["host"].rstrip(".").lower() for v in records.values() if isinstance(v, list)
                 for e in v if isinstance(e, dict) and "host" in e}
        zones = [z.rstrip(".") for z in zones]
        outside = sorted(h for h in hosts if not any(h == z or h.endswith("." + z) for z in zones))
        check(not outside, f"demo records ({len(hosts)} names) inside DNSTESTSRV_ZONES {outside or ''}")
    except ValueError as e:
        check(False, f"deploy/dnstestsrv/demo-records.json is JSON: {e}")
else:
    print("skip deploy/dnstestsrv/demo-records.json not written yet")
sys.exit(1 if failed else 0)
EOF

# 4. launch.sh builds every command line, in every mode.
services=$(STACK_MODE=compose bash -c "source '$here/stack-lib.sh'; stack_load_env; stack_services")
for mode in compose:bridge compose:host local:bridge; do
  n=0
  for svc in $services vactl; do
    if STACK_MODE=${mode%:*} STACK_NETWORK=${mode#*:} STACK_DATA_DIR=$tmp \
      bash -c 'source "$1/stack-lib.sh" && stack_load_env
        stack_service_ip() { echo 10.0.0.88; }
        stack_args "$2"' _ "$here" "$svc" >/dev/null; then
      n=$((n + 1))
    else
      bad "stack_args $svc ($mode)"
    fi
  done
  ok "command lines for $n services ($mode)"
done

# 5. the loopback unbound config local-stack.sh writes passes unbound-checkconf.
if out=$("$here/local-stack.sh" check "$tmp/run" 2>&1); then
  ok "local-stack.sh check (loopback unbound.conf, command lines)"
else
  bad "local-stack.sh check: $out"
fi

exit $failed
