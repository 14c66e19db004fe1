#!/usr/bin/env bash
# Issue 4's approve benchmark against a yardstick: `riskgate serve`, then floor/floor-server.c (the same
# architecture, durable replies after a group fdatasync, and no store work at all), then the floor again with
# N µs of CPU per action on its writer, in turn, ROUNDS times. One line per run with the VM's steal time during it,
# so that the product and the floor are compared in the same minutes.
#
#   benchmarks/scripts/approve-floor.sh [ROUNDS] [RISKGATE]
#
# ROUNDS defaults to 2; RISKGATE to server-bench's default binary (../.build-benchserver/release/riskgate, then
# ../.build/release/riskgate, seen from benchmarks/). FLOOR_WORKS (default "0 100 400") lists the µs of writer CPU
# per action of the floor runs. Needs the bench built (`swift build -c release --product server-bench` in
# benchmarks/) and a C compiler (`cc`); the floor server is compiled into .build/floor-server.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}
riskgate=${2:-}
works=${FLOOR_WORKS:-0 100 400}
bench=.build/release/server-bench
floor=.build/floor-server
mkdir -p .build
cc -O2 -Wall -Wextra -pthread -o "$floor" floor/floor-server.c

# shellcheck source=steal.sh
source scripts/steal.sh

# run LABEL BINARY [VAR=VALUE…]: one approve run, one line.
run() {
    local label=$1 binary=$2
    shift 2
    local ticks out binary_option=()
    [ -n "$binary" ] && binary_option=(--riskgate "$binary")
    ticks=$(cpu_ticks)
    out=$(env "$@" "$bench" approve --cases 10000 --approvers 200 --think-ms 500 "${binary_option[@]}" 2>&1)
    local steal next approve cpu
    steal=$(steal_since "$ticks")
    next=$(sed -nE 's/.*NEXT \(.*\): p50 ([0-9.]+), p90 [0-9.]+, p99 ([0-9.]+), p99.9 ([0-9.]+),.*/p50 \1 p99 \2 p99.9 \3/p' <<<"$out")
    approve=$(sed -nE 's/.*APPROVE \(.*\): p50 ([0-9.]+), p90 [0-9.]+, p99 ([0-9.]+), p99.9 ([0-9.]+),.*/p50 \1 p99 \2 p99.9 \3/p' <<<"$out")
    cpu=$(sed -nE 's/.*CPU during the run: server ([0-9.]+) s.*/\1/p' <<<"$out")
    [ -n "$next" ] || { echo "$label: the run failed:"; echo "$out"; exit 1; }
    printf '%s %-13s NEXT %s | APPROVE %s ms | server CPU %s s | %s\n' "$(date -u +%H:%M:%S)" "$label" \
        "$next" "$approve" "$cpu" "$steal"
}

echo "$(date -u +%H:%M) $(uptime | sed 's/.*load/load/')"
for _ in $(seq "$rounds"); do
    run riskgate "$riskgate"
    for work in $works; do run "floor +${work}µs" "$floor" FLOOR_WORK_US="$work"; done
done
