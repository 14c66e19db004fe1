#!/usr/bin/env python3
"""Runs `server-bench approve` once while sampling the VM's steal time, and splits the round trips by whether the
hypervisor was taking CPU from this machine when they were sent.

    benchmarks/scripts/approve-steal.py [--riskgate PATH] [--cases N] [--approvers A] [--think-ms T]
                                        [--window-ms W] [--keep-trace FILE]

A guest's "steal" time (the 8th value of the `cpu` line of /proc/stat, in clock ticks) is time a vCPU wanted to
run but the host ran something else. Every round trip waits for the store's one writer thread and an event loop;
when the host takes the vCPU one of them runs on, every request in flight waits. The script samples /proc/stat
every 5 ms, cuts the run into windows of W ms (default 50), and reports the latency percentiles of the round trips
sent in windows where neither that window nor the one before had a steal tick, and of the others.

Needs the bench built (`swift build -c release --product server-bench` in benchmarks/) and `riskgate` built in
release mode (without --riskgate, where server-bench looks: ../.build-benchserver/release/riskgate, then
../.build/release/riskgate, seen from benchmarks/).
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCHMARKS = os.path.dirname(HERE)


def sample_steal(stop, samples):
    """Appends (CLOCK_MONOTONIC seconds, cumulative steal ticks) every 5 ms until `stop` is set."""
    while not stop.is_set():
        with open("/proc/stat") as f:
            fields = f.readline().split()
        samples.append((time.monotonic(), int(fields[8])))
        time.sleep(0.005)


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, int(round(p / 100 * len(sorted_values) + 0.5)) - 1)
    return sorted_values[max(0, index)]


def describe(name, latencies):
    values = sorted(latencies)
    if not values:
        return f"  {name}: none"
    slow = sum(1 for v in values if v > 5)
    return (f"  {name}: {len(values)} round trips, p50 {percentile(values, 50):.2f}, p90 {percentile(values, 90):.2f}, "
            f"p99 {percentile(values, 99):.2f}, max {values[-1]:.2f} ms; over 5 ms: {slow} ({100 * slow / len(values):.2f}%)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--riskgate", help="the riskgate binary (default: server-bench's)")
    parser.add_argument("--cases", type=int, default=10000)
    parser.add_argument("--approvers", type=int, default=200)
    parser.add_argument("--think-ms", type=int, default=500)
    parser.add_argument("--window-ms", type=float, default=50)
    parser.add_argument("--keep-trace", help="keep the bench's round-trip trace in this file")
    options = parser.parse_args()

    if options.keep_trace:
        trace = options.keep_trace
    else:
        with tempfile.NamedTemporaryFile(prefix="approve-trace-", suffix=".txt", delete=False) as f:
            trace = f.name
    environment = dict(os.environ, SERVER_BENCH_TRACE=trace)
    command = [os.path.join(BENCHMARKS, ".build/release/server-bench"), "approve", "--cases", str(options.cases),
               "--approvers", str(options.approvers), "--think-ms", str(options.think_ms)]
    if options.riskgate:
        command += ["--riskgate", os.path.abspath(options.riskgate)]
    stop, samples = threading.Event(), []
    sampler = threading.Thread(target=sample_steal, args=(stop, samples), daemon=True)
    sampler.start()
    run = subprocess.run(command, cwd=BENCHMARKS, env=environment, capture_output=True, text=True)
    stop.set()
    sampler.join()
    if run.returncode != 0:
        sys.stderr.write(run.stdout + run.stderr)
        sys.exit(f"approve-steal: server-bench exited with {run.returncode}")
    for line in run.stdout.splitlines():
        if re.match(r"^  (NEXT|APPROVE|CPU)", line):
            print(line)

    with open(trace) as f:
        lines = f.read().splitlines()
    if not options.keep_trace:
        os.unlink(trace)
    first = float(re.search(r"CLOCK_MONOTONIC ([0-9.]+) s", lines[0]).group(1))
    trips = []
    for line in lines[1:]:
        sent_ms, _kind, latency = line.split()
        trips.append((first + float(sent_ms) / 1000, float(latency)))

    window = options.window_ms / 1000
    start = trips[0][0]
    steal_by_window = {}
    end = trips[-1][0]
    for (_, before), (at, after) in zip(samples, samples[1:]):
        if start <= at <= end and after > before:
            key = int((at - start) // window)
            steal_by_window[key] = steal_by_window.get(key, 0) + after - before
    clear, stolen = [], []
    for sent, latency in trips:
        key = int((sent - start) // window)
        (stolen if steal_by_window.get(key) or steal_by_window.get(key - 1) else clear).append(latency)

    run_seconds = end - start
    windows = int(run_seconds // window) + 1
    stolen_seconds = sum(steal_by_window.values()) / os.sysconf("SC_CLK_TCK")
    cpus = os.cpu_count()
    print(f"  steal: {stolen_seconds * 1000:.0f} ms of {cpus} × {run_seconds:.1f} s ({100 * stolen_seconds / (cpus * run_seconds):.1f}% of the CPU), "
          f"in {len(steal_by_window)} of {windows} windows of {options.window_ms:g} ms")
    print(describe("all", clear + stolen))
    print(describe("sent where no steal (window and the one before)", clear))
    print(describe("sent during or just after steal", stolen))


if __name__ == "__main__":
    main()
