#!/usr/bin/env bash
# Issue 17 item 5: the costs of cpp-httplib and prometheus-cpp (Debian 12)
# against common/http_server, bench/lib/http_get and common/metrics, on the
# VA's own /metrics (bench/RESULTS.md has the figures and the decision):
#
#   bench/library_costs.sh BUILD_DIR [VALIDATIONS]
#
# Runs bench/profile.sh (VALIDATIONS validations, default 5000, dcv and caa)
# to get a VA's /metrics after real work, then bench/metrics_costs and
# bench/http_costs on that scrape. metrics_costs is built only where
# prometheus-cpp-dev is installed (the project does not use it): apt-get
# install --no-install-recommends prometheus-cpp-dev, then ninja -C
# BUILD_DIR va dnstestsrv vabench metrics_costs http_costs.
set -euo pipefail
B=$1; N=${2:-5000}
W=${PROFILE_DIR:-/tmp/va-profile}
mkdir -p "$W"
SCRAPE=$W/metrics.txt
METRICS_OUT=$SCRAPE PROFILE_DIR=$W "$(dirname "$0")/profile.sh" "$B" load both 50 "$N" >/dev/null
echo "== VA /metrics after $N validations: $(grep -c '^# TYPE' "$SCRAPE") families, $(grep -vc '^#' "$SCRAPE") samples, $(wc -c <"$SCRAPE") bytes"
"$B/bench/metrics_costs" "$SCRAPE"
echo
"$B/bench/http_costs" "$SCRAPE"
