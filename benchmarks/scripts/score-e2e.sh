#!/usr/bin/env bash
# End-to-end benchmark of the real `riskgate score` binary: generate a deterministic JSONL file of
# applications, build riskgate in release mode, check it answers every line, then time it with hyperfine
# (or a plain timing loop when hyperfine is missing: `apt-get install -y hyperfine`).
#
#   benchmarks/scripts/score-e2e.sh [COUNT [SEED]]          defaults: 200000 applications, seed 42
#
# Environment:
#   RISKGATE_ROOT  the checkout to build and whose rules/ to use (default: this repository)
#   RISKGATE_BIN   an already built riskgate binary (skips the build)
#   RUNS           timed runs per command (default 10), after 2 warm-up runs
#   WORK           where the data, decisions and results go (default: benchmarks/.build/e2e)
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
root=${RISKGATE_ROOT:-$(cd "$here/.." && pwd)}
count=${1:-200000}
seed=${2:-42}
runs=${RUNS:-10}
work=${WORK:-$here/.build/e2e}
mkdir -p "$work"

echo "== machine"
echo "nproc: $(nproc)   cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')   load:$(uptime | sed 's/.*load average://')"

echo "== generate $count applications (seed $seed)"
swift build -c release --package-path "$here" --product generate-applications >/dev/null
generator="$(swift build -c release --package-path "$here" --show-bin-path)/generate-applications"
data="$work/applications-$count-$seed.jsonl"
"$generator" --count "$count" --seed "$seed" --output "$data"
bytes=$(stat -c %s "$data")
echo "$data: $bytes bytes"

if [ -n "${RISKGATE_BIN:-}" ]; then
    riskgate=$RISKGATE_BIN
else
    echo "== build riskgate (release) in $root"
    (cd "$root" && swift build -c release --product riskgate)
    riskgate="$(cd "$root" && swift build -c release --show-bin-path)/riskgate"
fi
rules="$root/rules"

echo "== check: one decision per application"
decisions="$work/decisions-$count-$seed.jsonl"
"$riskgate" score --quiet --rules "$rules" "$data" > "$decisions"
lines=$(wc -l < "$decisions")
if [ "$lines" -ne "$count" ]; then
    echo "riskgate wrote $lines decisions for $count applications" >&2
    exit 1
fi
for outcome in approved declined referred invalid; do
    n=$(grep -c "\"outcome\":\"$outcome\"" "$decisions" || true)
    awk -v o="$outcome" -v n="$n" -v c="$count" 'BEGIN { printf "  %-9s %7d  %5.1f%%\n", o, n, 100 * n / c }'
done
printf '  malformed %7d\n' "$(grep -c MALFORMED_JSON "$decisions" || true)"

echo "== measure ($runs runs each)"
startup="$riskgate score --quiet --rules $rules /dev/null > /dev/null"
to_null="$riskgate score --quiet --rules $rules $data > /dev/null"
to_file="$riskgate score --quiet --rules $rules $data > $work/out.jsonl"
one_thread="$riskgate score --quiet --threads 1 --rules $rules $data > /dev/null"
from_pipe="cat $data | $riskgate score --quiet --rules $rules - > /dev/null"
names=("startup (empty input)" "file -> /dev/null" "file -> file" "file -> /dev/null, --threads 1" "cat | stdin -> /dev/null")
commands=("$startup" "$to_null" "$to_file" "$one_thread" "$from_pipe")

results="$work/results-$count-$seed.json"
if command -v hyperfine >/dev/null; then
    args=()
    for k in "${!commands[@]}"; do args+=(--command-name "${names[$k]}" "${commands[$k]}"); done
    hyperfine --warmup 2 --runs "$runs" --export-json "$results" "${args[@]}"
else
    echo "(hyperfine not found: plain timing loop; apt-get install -y hyperfine for statistics)"
    python3 - "$results" "$runs" "${#commands[@]}" "${names[@]}" "${commands[@]}" <<'EOF'
import json, subprocess, sys, time
out, runs, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
names, commands = sys.argv[4:4 + n], sys.argv[4 + n:4 + 2 * n]
results = []
for name, command in zip(names, commands):
    for _ in range(2):
        subprocess.run(command, shell=True, check=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, shell=True, check=True)
        times.append(time.perf_counter() - start)
    times.sort()
    results.append({"command": name, "mean": sum(times) / len(times), "min": times[0], "max": times[-1],
                    "median": times[len(times) // 2], "stddev": 0.0, "times": times})
    print(f"{name}: mean {results[-1]['mean']:.4f} s, min {times[0]:.4f} s")
json.dump({"results": results}, open(out, "w"), indent=1)
EOF
fi

echo "== applications per second ($count applications, $bytes bytes)"
python3 - "$results" "$count" "$bytes" <<'EOF'
import json, sys
results, count, size = json.load(open(sys.argv[1]))["results"], int(sys.argv[2]), int(sys.argv[3])
startup = results[0]["median"]
print(f"{'command':34} {'median s':>9} {'min s':>8} {'apps/s (median)':>16} {'MB/s in':>8} {'apps/s excl. startup':>21}")
for r in results:
    if r["command"].startswith("startup"):
        print(f"{r['command']:34} {r['median']:9.4f} {r['min']:8.4f}")
        continue
    median = r["median"]
    print(f"{r['command']:34} {median:9.4f} {r['min']:8.4f} {count / median:16,.0f} {size / median / 1e6:8.1f} "
          f"{count / max(1e-9, median - startup):21,.0f}")
EOF
