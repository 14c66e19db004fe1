#!/usr/bin/env python3
"""The disk's own commit latency: what one synced commit of the store costs before any software.

Appends PAGES pages of 4 KiB to a file and calls fdatasync, COUNT times (as SQLite does for a WAL commit under
synchronous=FULL), then prints the latency percentiles in milliseconds. A request that waits for a group commit
pays at least one of these, and one more when it arrives while the previous commit is syncing, so the disk's
p99 here bounds the server's take-next/approve p99 from below.

    python3 benchmarks/scripts/fsync-latency.py [--count 5000] [--pages 3] [--dir /tmp]
"""
import argparse
import os
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--pages", type=int, default=3, help="4 KiB pages appended before each sync")
    parser.add_argument("--dir", default=tempfile.gettempdir(), help="a folder on the disk to measure")
    parser.add_argument("--wrap", type=int, default=4096, help="start the file over after this many pages (a WAL reset)")
    args = parser.parse_args()
    block = os.urandom(4096 * args.pages)
    fd, path = tempfile.mkstemp(prefix="fsync-latency-", dir=args.dir)
    latencies = []
    try:
        written = 0
        for _ in range(args.count):
            if written + args.pages > args.wrap:
                os.lseek(fd, 0, os.SEEK_SET)
                written = 0
            os.write(fd, block)
            written += args.pages
            start = time.perf_counter()
            os.fdatasync(fd)
            latencies.append((time.perf_counter() - start) * 1000)
    finally:
        os.close(fd)
        os.unlink(path)
    latencies.sort()

    def at(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))]

    print(f"fdatasync after {args.pages} × 4 KiB, {args.count} times in {args.dir} (ms): "
          f"p50 {at(0.5):.2f}, p90 {at(0.9):.2f}, p99 {at(0.99):.2f}, p99.9 {at(0.999):.2f}, max {latencies[-1]:.2f}, "
          f"mean {sum(latencies) / len(latencies):.2f}")


if __name__ == "__main__":
    main()
