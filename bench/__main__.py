"""``python -m bench [NAME ...]``: run the benchmarks, each in its own process.

Each benchmark runs in a fresh interpreter so its peak-memory figure is its own.
``ORGBRIDGE_BENCH_FULL=1`` adds the million-person runs (minutes each).
"""

from __future__ import annotations

import subprocess
import sys
import time

BENCHMARKS = [
    "bench.bench_ingest",
    "bench.bench_exposure",
    "bench.bench_metrics",
    "bench.bench_betweenness",
    "bench.bench_analyze",
    "bench.bench_stores",
    "bench.bench_recommend",
    "bench.bench_quality",
    "bench.bench_app",
    "bench.bench_browser",
]


def main(argv: list[str]) -> int:
    chosen = [b for b in BENCHMARKS if not argv or b.rsplit("_", 1)[-1] in argv]
    failed = []
    for module in chosen:
        print(f"== {module}", flush=True)
        start = time.perf_counter()
        status = subprocess.call([sys.executable, "-m", module])
        print(f"== {module}: exit {status} in {time.perf_counter() - start:.1f} s", flush=True)
        if status:
            failed.append(module)
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
