#!/usr/bin/env bash
# Issue 4's two server benchmarks, several times each, every run preceded by a measure of the disk's own
# synced-commit latency (scripts/fsync-latency.py, 1,000 syncs), one line per run. On this VM both the disk and
# the CPU change speed from one hour to the next; the probe says which kind of hour a run came from, and each line
# ends with the VM's steal time during the run (CPU time the host gave to others; see scripts/approve-steal.py).
#
#   benchmarks/scripts/server-series.sh [RUNS] [RISKGATE]
#
# RUNS defaults to 3 (of each benchmark); RISKGATE to ../.build/release/riskgate seen from benchmarks/ (build it
# with `swift build -c release --product riskgate` in the root). Needs the bench built:
# `swift build -c release --product server-bench` in benchmarks/.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
riskgate=${2:-../.build/release/riskgate}
bench=.build/release/server-bench

probe() {
    python3 scripts/fsync-latency.py --count 1000 | sed -E 's/.*\(ms\): p50 ([0-9.]+), p90 [0-9.]+, p99 ([0-9.]+), p99.9 [0-9.]+, max ([0-9.]+).*/disk fsync p50 \1 p99 \2 max \3 ms/'
}

# shellcheck source=steal.sh
source scripts/steal.sh

echo "$(date -u +%H:%M) $(uptime | sed 's/.*load/load/')"
for _ in $(seq "$runs"); do
    disk=$(probe)
    ticks=$(cpu_ticks)
    out=$("$bench" submit --count 100000 --connections 8 --depth 1024 --riskgate "$riskgate" 2>&1)
    steal=$(steal_since "$ticks")
    seconds=$(sed -nE 's/^submit: .*: ([0-9.]+) s$/\1/p' <<<"$out")
    cpu=$(sed -nE 's/.*\(([0-9.]+% of one core), ([0-9.]+µs per request)\).*/\2/p' <<<"$out")
    echo "submit   $(awk -v s="$seconds" 'BEGIN { printf "%6.0f/s", 100000 / s }')  $cpu  | $disk | $steal"
done
for _ in $(seq "$runs"); do
    disk=$(probe)
    ticks=$(cpu_ticks)
    out=$("$bench" approve --cases 10000 --approvers 200 --think-ms 500 --riskgate "$riskgate" 2>&1)
    steal=$(steal_since "$ticks")
    next=$(sed -nE 's/.*NEXT \(.*\): p50 ([0-9.]+), p90 [0-9.]+, p99 ([0-9.]+),.*/p50 \1 p99 \2/p' <<<"$out")
    approve=$(sed -nE 's/.*APPROVE \(.*\): p50 ([0-9.]+), p90 [0-9.]+, p99 ([0-9.]+),.*/p50 \1 p99 \2/p' <<<"$out")
    echo "approve  NEXT $next  APPROVE $approve ms  | $disk | $steal"
done
