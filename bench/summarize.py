#!/usr/bin/python3
"""Turns bench/run.sh's measurements into the Markdown report.

Inputs: runs.jsonl (one `vabench --json` object per line, labelled
"<kind>/<server>") and ceilings.tsv (server, query mix, dnsperf qps, lost).
Writes the report to --out and stdout. With --check-smoke, exits non-zero
when the results show the pipeline is broken (what the CI smoke test asserts).
"""
import argparse
import datetime
import json
import os
import platform
import sys

# The targets the issue sets (2-core machine, VA and DNS server sharing it).
SHARE_TARGET = 0.5          # DNS queries/s >= half the dnsperf ceiling at c=256
CPU_PER_QUERY_TARGET = 30   # VA CPU us per DNS query
P99_TARGET_MS = 20          # at half the peak rate
RSS_TARGET_MIB = 64         # with 10,000 validations in flight
# No Boulder target: Boulder's figures mean something only when measured
# side by side on the same machine (bench/RESULTS.md, "Compared with
# Boulder"), not as a constant from another machine.


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%d cores (nproc), %s, Linux %s" % (os.cpu_count() or 0, model,
                                               platform.release())


def ms(us):
    return "%.2f" % (us / 1000.0)


def fmt(v, spec="%.0f"):
    return "n/a" if v is None else spec % v


def outcomes(r):
    return ", ".join("%s %d" % (k, v) for k, v in sorted(r["outcomes"].items()))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--runs", required=True)
    p.add_argument("--ceilings", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--outage-pairs", type=int, default=0)
    p.add_argument("--tries", type=int, default=3)
    p.add_argument("--namespace", default="")
    p.add_argument("--command", default="bench/run.sh")
    p.add_argument("--load", default="", help="load averages during the run")
    p.add_argument("--check-smoke", action="store_true")
    a = p.parse_args()

    runs = [json.loads(l) for l in open(a.runs) if l.strip()]
    ceilings = {}
    for line in open(a.ceilings):
        parts = line.rstrip("\n").split("\t")
        if len(parts) >= 3 and parts[2]:
            ceilings[(parts[0], parts[1])] = (float(parts[2]), parts[3] if len(parts) > 3 else "")

    def kind(r):
        return r["label"].split("/", 1)[0]

    def server(r):
        return r["label"].split("/", 1)[1]

    def share(r):
        c = ceilings.get((server(r), r["mode"]))
        q = r.get("dns_queries_per_second")
        if c is None or q is None or c[0] <= 0:
            return None
        return q / c[0]

    out = []
    w = out.append
    w("# vabench results, %s" % datetime.date.today().isoformat())
    w("")
    w("- Machine: %s. The VA, the DNS server and vabench share it." % machine())
    w("- Command: `%s`" % a.command)
    if a.load:
        w("- Load average (1/5/15 min) %s: anything else running on the "
          "2 cores takes CPU from the VA and the DNS server." % a.load)
    w("- Namespace: %s. VA: `--dns-timeout 1s --dns-tries %d`, defaults "
      "otherwise; DNS server with no faults unless stated." % (a.namespace, a.tries))
    w("- DNS timeouts: tries the VA gave up waiting for (`dns_timeout`). UDP drops: "
      "datagrams the kernel dropped on a full socket receive buffer during the run "
      "(`RcvbufErrors` in /proc/net/snmp, any socket on the machine).")
    w("- A validation is one DoDCV (mode dcv), one DoCAA (caa), or DoDCV then "
      "DoCAA (both). DNS queries are the VA's own count (`dns_query_time_count`), "
      "after it coalesces identical lookups in flight.")
    w("")
    if ceilings:
        w("## DNS server ceilings (dnsperf, same query mix as the VA)")
        w("")
        w("| server | query mix | queries/s | lost |")
        w("|---|---|---:|---:|")
        for (srv, mode), (qps, lost) in sorted(ceilings.items()):
            w("| %s | %s | %.0f | %s |" % (srv, mode, qps, lost))
        w("")

    matrix = [r for r in runs if kind(r) == "matrix"]
    if matrix:
        w("## Throughput")
        w("")
        w("| server | mode | concurrency | validations/s | DNS queries/s | share of ceiling "
          "| p50 ms | p90 ms | p99 ms | max ms | VA CPU µs/validation | VA CPU µs/DNS query "
          "| peak RSS MiB | vabench CPU µs/validation | DNS timeouts | UDP drops | outcomes |")
        w("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for r in matrix:
            s = share(r)
            w("| %s | %s | %d | %.0f | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                server(r), r["mode"], r["concurrency"], r["validations_per_second"],
                fmt(r.get("dns_queries_per_second")),
                "n/a" if s is None else "%.0f%%" % (100 * s),
                ms(r["latency"]["p50_us"]), ms(r["latency"]["p90_us"]),
                ms(r["latency"]["p99_us"]), ms(r["latency"]["max_us"]),
                fmt(r.get("va_cpu_us_per_validation")),
                fmt(r.get("va_cpu_us_per_dns_query"), "%.1f"),
                fmt(None if r.get("va_peak_rss_kib") is None else r["va_peak_rss_kib"] / 1024.0, "%.1f"),
                fmt(r.get("client_cpu_seconds", 0) * 1e6 / max(1, r["completed"])),
                fmt((r.get("dns") or {}).get("timeouts")),
                fmt(r.get("udp_rcvbuf_drops")),
                outcomes(r)))
        w("")

    half = [r for r in runs if kind(r) == "halfrate"]
    if half:
        w("## Latency at half the peak rate (mode both, open loop)")
        w("")
        w("| server | offered/s | achieved/s | p50 ms | p90 ms | p99 ms | max ms | outcomes |")
        w("|---|---:|---:|---:|---:|---:|---:|---|")
        for r in half:
            w("| %s | %.0f | %.0f | %s | %s | %s | %s | %s |" % (
                server(r), r["rate_limit"], r["validations_per_second"],
                ms(r["latency"]["p50_us"]), ms(r["latency"]["p90_us"]),
                ms(r["latency"]["p99_us"]), ms(r["latency"]["max_us"]), outcomes(r)))
        w("")

    outage = next((r for r in runs if kind(r) == "outage"), None)
    outage_short = next((r for r in runs if kind(r) == "outageshort"), None)
    bound = a.tries * a.outage_pairs
    if outage:
        q = outage["dns"]["queries"] if outage.get("dns") else None
        w("## Outage run (TLD `outage`: every query dropped)")
        w("")
        w("| deadline | validations (DoCAA) | max in flight | time until all answered | "
          "queries sent upstream | bound: tries × distinct (name,type) | "
          "timeouts | retries granted/denied | coalesced | peak RSS MiB | VA CPU s | outcomes |")
        w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for r, deadline in ((outage, "30 s"), (outage_short, "2 s")):
            if not r:
                continue
            d = r.get("dns") or {}
            w("| %s | %d | %d | %.2f s | %s | %d × %d = %d | %s | %s/%s | %s | %s | %s | %s |" % (
                deadline, r["completed"], r["max_in_flight"], r["elapsed_seconds"],
                fmt(d.get("queries")), a.tries, a.outage_pairs, bound, fmt(d.get("timeouts")),
                fmt(d.get("retries_granted")), fmt(d.get("retries_denied")),
                fmt(d.get("coalesced")),
                fmt(None if r.get("va_peak_rss_kib") is None else r["va_peak_rss_kib"] / 1024.0, "%.1f"),
                fmt(r.get("va_cpu_seconds"), "%.2f"), outcomes(r)))
        w("")

    lossy = next((r for r in runs if kind(r) == "lossy"), None)
    lossy_nobudget = next((r for r in runs if kind(r) == "lossynobudget"), None)
    lossfree = next((r for r in runs if kind(r) == "lossfree"), None)
    if lossy and lossfree:
        w("## Lossy run (one query in three dropped; dns-01 + CAA; 10 s deadline)")
        w("")
        w("| run | validations | valid | share valid | DNS queries | queries per validation "
          "| p50 ms | p99 ms | max ms | outcomes |")
        w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        rows = [("loss-free", lossfree), ("33% loss", lossy)]
        if lossy_nobudget:
            rows.append(("33% loss, retry budget off", lossy_nobudget))
        slowtxt = next((r for r in runs if kind(r) == "slowtxt"), None)
        if slowtxt:
            rows.append(("no loss, every TXT answer 300 ms late", slowtxt))
        for name, r in rows:
            q = r["dns"]["queries"] if r.get("dns") else None
            w("| %s | %d | %d | %.1f%% | %s | %s | %s | %s | %s | %s |" % (
                name, r["completed"], r["valid"], 100.0 * r["valid"] / max(1, r["completed"]),
                fmt(q), fmt(None if q is None else q / max(1, r["completed"]), "%.2f"),
                ms(r["latency"]["p50_us"]), ms(r["latency"]["p99_us"]),
                ms(r["latency"]["max_us"]), outcomes(r)))
        w("")
        for name, r in rows[1:]:
            if r.get("dns") and lossfree.get("dns") and lossfree["dns"]["queries"] > 0:
                ratio = (r["dns"]["queries"] / max(1, r["completed"])) / (
                    lossfree["dns"]["queries"] / max(1, lossfree["completed"]))
                w("- %s: %.1f%% valid; queries per validation %.2f× the loss-free run." % (
                    name, 100.0 * r["valid"] / max(1, r["completed"]), ratio))
        w("")

    # Targets.
    w("## Targets")
    w("")
    w("| target | measured | met |")
    w("|---|---|---|")

    def verdict(ok):
        return "n/a" if ok is None else ("yes" if ok else "**no**")

    for srv in sorted({server(r) for r in matrix}):
        for mode in ("both", "dcv"):
            r = next((r for r in matrix if server(r) == srv and r["mode"] == mode
                      and r["concurrency"] == 256), None)
            if r is None:
                continue
            s = share(r)
            w("| DNS queries/s ≥ ½ dnsperf ceiling, %s, c=256, %s | %s of %s = %s | %s |" % (
                mode, srv, fmt(r.get("dns_queries_per_second")),
                fmt(ceilings.get((srv, mode), (None,))[0]),
                "n/a" if s is None else "%.0f%%" % (100 * s),
                verdict(None if s is None else s >= SHARE_TARGET)))
        r = next((r for r in matrix if server(r) == srv and r["mode"] == "both"
                  and r["concurrency"] == 256), None)
        if r is not None:
            c = r.get("va_cpu_us_per_dns_query")
            w("| VA CPU ≤ %d µs per DNS query (both, c=256, %s) | %s µs | %s |" % (
                CPU_PER_QUERY_TARGET, srv, fmt(c, "%.1f"),
                verdict(None if c is None else c <= CPU_PER_QUERY_TARGET)))
    for r in half:
        p99 = r["latency"]["p99_us"] / 1000.0
        w("| p99 ≤ %d ms at half the peak rate (%s, %.0f/s) | %.2f ms | %s |" % (
            P99_TARGET_MS, server(r), r["rate_limit"], p99, verdict(p99 <= P99_TARGET_MS)))
    if outage:
        rss = outage.get("va_peak_rss_kib")
        w("| peak RSS ≤ %d MiB with %d validations in flight | %s MiB | %s |" % (
            RSS_TARGET_MIB, outage["max_in_flight"],
            fmt(None if rss is None else rss / 1024.0, "%.1f"),
            verdict(None if rss is None or outage["max_in_flight"] < 10000
                    else rss / 1024.0 <= RSS_TARGET_MIB)))
        q = outage["dns"]["queries"] if outage.get("dns") else None
        w("| outage: upstream queries ≤ tries × distinct (name,type) in flight | %s ≤ %d | %s |" % (
            fmt(q), bound, verdict(None if q is None else q <= bound)))
    for r, deadline in ((outage, "30 s"), (outage_short, "2 s")):
        if not r:
            continue
        late = sum(v for k, v in r["outcomes"].items() if k != "dns/transient")
        w("| outage, %s deadline: every validation answered in time, as a transient `dns` problem | %d of %d (max %.0f ms) | %s |" % (
            deadline, r["outcomes"].get("dns/transient", 0), r["completed"],
            r["latency"]["max_us"] / 1000.0, verdict(late == 0)))
    both = [r for r in matrix if r["mode"] == "both"]
    if both:
        best = max(both, key=lambda r: r["validations_per_second"])
        c = best.get("va_cpu_us_per_validation")
        w("| dns-01 + CAA, best row (no target; Boulder only side by side) | %.0f/s (%s, c=%d) at %s µs VA CPU each | – |" % (
            best["validations_per_second"], server(best), best["concurrency"], fmt(c)))
    w("")

    text = "\n".join(out) + "\n"
    with open(a.out, "w") as f:
        f.write(text)
    sys.stdout.write(text)

    if a.check_smoke:
        problems = []
        for r in runs:
            if r["completed"] != r["requested"]:
                problems.append("%s %s: %d of %d answered" % (
                    r["label"], r["mode"], r["completed"], r["requested"]))
        for r in matrix + half + ([lossfree] if lossfree else []):
            # Any outcome but valid or a transient DNS failure means the
            # records and the requests disagree (or the VA is broken); a few
            # transient timeouts are tolerated on a machine busy with builds.
            odd = {k: v for k, v in r["outcomes"].items()
                   if k not in ("valid", "dns/transient")}
            if odd or r["valid"] < 0.9 * r["completed"]:
                problems.append("%s %s c=%d: outcomes %s" % (
                    r["label"], r["mode"], r["concurrency"], r["outcomes"]))
            if not r.get("dns") or r["dns"]["queries"] <= 0:
                problems.append("%s: no DNS queries counted from /metrics" % r["label"])
            if r.get("va_cpu_seconds") is None:
                problems.append("%s: no VA CPU figure" % r["label"])
        if not outage:
            problems.append("no outage run")
        else:
            bad = {k: v for k, v in outage["outcomes"].items() if k != "dns/transient"}
            if bad:
                problems.append("outage: outcomes other than dns/transient: %s" % bad)
            q = outage["dns"]["queries"] if outage.get("dns") else None
            if q is None or q > bound:
                problems.append("outage: %s upstream queries > bound %d" % (q, bound))
        if outage_short:
            bad = {k: v for k, v in outage_short["outcomes"].items() if k != "dns/transient"}
            if bad:
                problems.append("outage, 2 s deadline: outcomes other than dns/transient: %s" % bad)
        if not lossy:
            problems.append("no lossy run")
        slowtxt = next((r for r in runs if kind(r) == "slowtxt"), None)
        if not slowtxt:
            problems.append("no slow-TXT run")
        elif slowtxt["valid"] != slowtxt["completed"]:
            problems.append("slow TXT: %d of %d valid (a slow answer is an answer)"
                            % (slowtxt["valid"], slowtxt["completed"]))
        if not ceilings and os.path.exists("/usr/bin/dnsperf"):
            problems.append("dnsperf installed but no ceiling measured")
        if problems:
            sys.stderr.write("smoke check FAILED:\n  " + "\n  ".join(problems) + "\n")
            return 1
        sys.stderr.write("smoke check passed: %d runs\n" % len(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
