"""How well sampled betweenness ranks brokers: ``python -m bench.bench_betweenness``.

Beyond 5,000 people betweenness is sampled. On synthetic organisations just past that bound
(default 6,000, 10,000 and 20,000 people, mean degree 12), each estimate is judged against
igraph's exact Brandes pass, code apart from the sampled sparse-product path:

- how many of the exact top 50 brokers the estimate's top 50 holds;
- Spearman's rank correlation over the exact top 500;
- the median relative error over the exact top 50;

for the former fixed default (32 sources) and for today's default (as many sources as fit
``SAMPLE_WORK``), each over three seeds, with the median wall time of each beside the exact
pass in the same run. What the default costs a whole ``analyze`` at 100,000 people and
1,000,000 ties (where it draws 47 sources) is timed against the former 32, alternated three
times. Writes ``bench/results/betweenness.json``; takes about four minutes.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import numpy as np
from scipy.stats import spearmanr

from bench._common import peak_rss_gib, write_results
from orgbridge.graph import OrgGraph
from orgbridge.metrics import analyze, betweenness
from orgbridge.synthetic import generate_organisation

SIZES = (6_000, 10_000, 20_000)
ANALYZE_PEOPLE = 100_000
ANALYZE_MEAN_DEGREE = 20.0  # 1,000,000 ties at 100,000 people
SEEDS = (0, 1, 2)
TOP = 50
RANKED = 500
FORMER_SAMPLES = 32


def _judge(exact: np.ndarray, estimate: np.ndarray) -> dict[str, float]:
    ranked = np.argsort(-exact, kind="stable")[:RANKED]
    top = ranked[:TOP]
    found = np.argsort(-estimate, kind="stable")[:TOP]
    return {
        "top_found": len(set(top.tolist()) & set(found.tolist())),
        "spearman_top": float(spearmanr(exact[ranked], estimate[ranked])[0]),
        "median_relative_error_top": float(np.median(np.abs(estimate[top] / exact[top] - 1))),
    }


def _runs(graph: OrgGraph, exact: np.ndarray, samples: int | None) -> dict[str, Any]:
    seconds, judged, used = [], [], 0
    for seed in SEEDS:
        start = time.perf_counter()
        result = betweenness(graph, exact_max=0, samples=samples, seed=seed)
        seconds.append(time.perf_counter() - start)
        used = int(result["samples"])
        judged.append(_judge(exact, result.table["betweenness"].to_numpy()))
    return {
        "samples": used,
        "median_s": round(float(np.median(seconds)), 3),
        **{
            key: round(float(np.median([j[key] for j in judged])), 3)
            for key in ("top_found", "spearman_top", "median_relative_error_top")
        },
        "top_found_per_seed": [j["top_found"] for j in judged],
    }


def measure(n_people: int) -> dict[str, Any]:
    org = generate_organisation(n_people, seed=1)
    graph = OrgGraph.from_frames(org.staff, org.collaboration.assign(layer="collaboration"))
    graph.adjacency(), graph.igraph()  # built once, outside every timing
    start = time.perf_counter()
    exact = betweenness(graph, exact_max=n_people).table["betweenness"].to_numpy()
    exact_s = time.perf_counter() - start
    former = _runs(graph, exact, FORMER_SAMPLES)
    default = _runs(graph, exact, None)
    record = {
        "people": n_people,
        "ties": int(graph.adjacency().nnz // 2),
        "exact_s": round(exact_s, 2),
        "former_32": former,
        "default": default,
        "default_time_vs_exact": round(default["median_s"] / exact_s, 3),
    }
    print(
        f"{n_people:>7}: top {TOP} found {former['top_found']:.0f} -> "
        f"{default['top_found']:.0f} ({default['samples']} sources, {default['median_s']} s; "
        f"exact {exact_s:.1f} s)",
        flush=True,
    )
    return record


def analyze_cost(n_people: int) -> dict[str, Any]:
    """``analyze`` with the former 32 sources and with the default, alternated."""
    org = generate_organisation(n_people, seed=1, mean_degree=ANALYZE_MEAN_DEGREE)
    graph = OrgGraph.from_frames(org.staff, org.collaboration.assign(layer="collaboration"))
    analyze(graph, seed=0, samples=FORMER_SAMPLES)  # views built, caches warm
    seconds: dict[str, list[float]] = {"former_32": [], "default": []}
    for _ in SEEDS:
        for key, samples in (("former_32", FORMER_SAMPLES), ("default", None)):
            start = time.perf_counter()
            done = analyze(graph, seed=0, samples=samples)
            seconds[key].append(round(time.perf_counter() - start, 2))
    used = int(done.results["betweenness"]["samples"])  # the last run is the default's
    medians = {key: float(np.median(values)) for key, values in seconds.items()}
    print(f"analyze at {n_people}: {medians} ({used} sources)", flush=True)
    return {
        "people": n_people,
        "ties": int(graph.adjacency().nnz // 2),
        "default_samples": used,
        "runs_s": seconds,
        "median_s": medians,
        "default_vs_former": round(medians["default"] / medians["former_32"], 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, nargs="*", default=list(SIZES))
    parser.add_argument("--analyze-people", type=int, default=ANALYZE_PEOPLE)
    args = parser.parse_args(argv)
    runs = [measure(n) for n in args.people]
    cost = analyze_cost(args.analyze_people)
    write_results(
        "betweenness",
        {
            "yardstick": "igraph exact Brandes betweenness (not the sampled sparse path)",
            "seeds": list(SEEDS),
            "top": TOP,
            "ranked": RANKED,
            "runs": runs,
            "analyze_cost": cost,
            "peak_rss_gib": round(peak_rss_gib(), 2),
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
