#!/usr/bin/env bash
# Checks that the stack's configuration files agree with each other, without
# Docker or the built programs:
#   - docker-compose.yml is valid (docker-compose config -q) and has a
#     service, command, address and published port for what deploy/stack.env
#     describes;
#   - deploy/unbound/unbound.conf passes unbound-checkconf, stubs its zones
#     to DNSTESTSRV_IP:DNSTESTSRV_DNS_PORT, and every stub zone is
#     domain-insecure and not a built-in local zone in policy.conf;
#   - the perspectives are a valid MPIC set (>= 3 remotes, >= 2 RIRs);
#   - every demo record is inside a stub zone;
#   - deploy/launch.sh builds a command line for every service, both modes.
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
if command -v docker-compose >/dev/null; then
  if docker-compose -f "$repo/docker-compose.yml" --profile tools config -q 2>"$tmp/err"; then
    ok "docker-compose config -q"
    docker-compose -f "$repo/docker-compose.yml" --profile tools config >"$tmp/compose.yml"
  else
    bad "docker-compose config -q: $(cat "$tmp/err")"
  fi
else
  echo "skip docker-compose not installed; reading docker-compose.yml as plain YAML"
  cp "$repo/docker-compose.yml" "$tmp/compose.yml"
fi

# 2. unbound configs: the compose one (include path mapped to the repo) and
#    the loopback one local-stack.sh writes.
sed "s|/etc/unbound/acme-va/|$here/unbound/|" "$here/unbound/unbound.conf" >"$tmp/unbound.conf"
if out=$(unbound-checkconf "$tmp/unbound.conf" 2>&1); then
  ok "unbound-checkconf deploy/unbound/unbound.conf"
else
  bad "unbound-checkconf deploy/unbound/unbound.conf: $out"
fi

# 3. cross-file consistency, in Python for the YAML.
STACK_ENV_FILE=${STACK_ENV:-$here/stack.env} DEPLOY=$here COMPOSE=$tmp/compose.yml \
  UNBOUND_CONF=$here/unbound/unbound.conf POLICY_CONF=$here/unbound/policy.conf \
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

def ip_of(name):
    nets = services.get(name, {}).get("networks") or {}
    return ((nets.get("stack") or {}) if isinstance(nets, dict) else {}).get("ipv4_address")
check(ip_of("unbound") == env["UNBOUND_IP"], f"compose unbound IP = UNBOUND_IP {env['UNBOUND_IP']}")
check(ip_of("dnstestsrv") == env["DNSTESTSRV_IP"], f"compose dnstestsrv IP = DNSTESTSRV_IP {env['DNSTESTSRV_IP']}")
subnets = [c.get("subnet") for c in compose.get("networks", {}).get("stack", {})
           .get("ipam", {}).get("config", [])]
check(subnets == [env["STACK_SUBNET"]], f"compose subnet = STACK_SUBNET {env['STACK_SUBNET']}")
net = ipaddress.ip_network(env["STACK_SUBNET"])
check(ipaddress.ip_address(env["UNBOUND_IP"]) in net and ipaddress.ip_address(env["DNSTESTSRV_IP"]) in net,
      "static IPs inside STACK_SUBNET")

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

# unbound.conf: stub zones, addresses, access.
conf = open(os.environ["UNBOUND_CONF"]).read()
policy = open(os.environ["POLICY_CONF"]).read()
clauses = re.split(r"^(?=[a-z-]+:)", conf, flags=re.M)
stubs = []
for c in clauses:
    if c.startswith("stub-zone:"):
        name = re.search(r'^\s+name:\s*"?([^"\s]+)"?', c, re.M).group(1)
        addrs = re.findall(r"^\s+stub-addr:\s*(\S+)", c, re.M)
        stubs.append((name, addrs))
check(bool(stubs), "unbound.conf has stub zones")
want = f"{env['DNSTESTSRV_IP']}@{env['DNSTESTSRV_DNS_PORT']}"
for name, addrs in stubs:
    check(addrs == [want], f"stub-zone {name} -> {want}")
    check(re.search(rf'^\s*domain-insecure:\s*"{re.escape(name)}"', policy, re.M) is not None,
          f"policy.conf: domain-insecure {name} (dnstestsrv does not sign)")
    check(re.search(rf'^\s*local-zone:\s*"{re.escape(name)}"\s+(transparent|nodefault)', policy, re.M)
          is not None, f"policy.conf: local-zone {name} transparent (not a built-in NXDOMAIN zone)")
check(re.search(rf"^\s*access-control:\s*{re.escape(env['STACK_SUBNET'])}\s+allow", conf, re.M)
      is not None, "unbound.conf allows STACK_SUBNET")
check(re.search(rf"^\s*port:\s*{env['UNBOUND_PORT']}\s*$", conf, re.M) is not None,
      "unbound.conf port = UNBOUND_PORT")
check('module-config: "validator iterator"' in conf and "trust-anchor-file:" in conf,
      "unbound.conf validates DNSSEC with a trust anchor")

# Demo records must be asked of dnstestsrv, i.e. be inside a stub zone.
records_path = os.path.join(os.environ["DEPLOY"], "dnstestsrv", "demo-records.json")
if os.path.exists(records_path):
    try:
        records = json.load(open(records_path))
        hosts = {e["host"].rstrip(".").lower() for v in records.values() if isinstance(v, list)
                 for e in v if isinstance(e, dict) and "host" in e}
        zones = [z.rstrip(".") for z, _ in stubs]
        outside = sorted(h for h in hosts if not any(h == z or h.endswith("." + z) for z in zones))
        check(not outside, f"demo records ({len(hosts)} names) inside stub zones {outside or ''}")
    except ValueError as e:
        check(False, f"deploy/dnstestsrv/demo-records.json is JSON: {e}")
else:
    print("skip deploy/dnstestsrv/demo-records.json not written yet")
sys.exit(1 if failed else 0)
EOF

# 4. launch.sh builds every command line, in both modes.
services=$(STACK_MODE=compose bash -c "source '$here/stack-lib.sh'; stack_load_env; stack_services" | grep -vx unbound)
for mode in compose local; do
  n=0
  for svc in $services; do
    if STACK_MODE=$mode STACK_DATA_DIR=$tmp "$here/launch.sh" "$svc" --print >/dev/null; then
      n=$((n + 1))
    else
      bad "launch.sh $svc --print ($mode)"
    fi
  done
  ok "launch.sh --print for $n services ($mode)"
done

# 5. the loopback unbound config local-stack.sh writes passes unbound-checkconf.
if out=$("$here/local-stack.sh" check "$tmp/run" 2>&1); then
  ok "local-stack.sh check (loopback unbound.conf, command lines)"
else
  bad "local-stack.sh check: $out"
fi

exit $failed
