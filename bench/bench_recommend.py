"""Recommender benchmark: speed at 100k and 1M people, quality against baselines, optimum share.

Run ``python -m bench.bench_recommend [--quick]``; writes bench/results/recommend.json.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from orgbridge.graph import OrgGraph
from orgbridge.recommend import (
    BASELINES,
    baseline_pairs,
    recommend_pairs,
    score_proposals,
    simulate,
)

RESULTS = Path(__file__).parent / "results" / "recommend.json"


def numpy_org(n: int, *, seed: int, departments: int = 40, degree: float = 6.0) -> OrgGraph:
    """A quick synthetic organisation: a manager tree, levels, homophilous collaboration."""
    rng = np.random.default_rng(seed)
    ids = np.char.add("P", np.arange(n).astype(str)).astype(object)
    parent = np.full(n, -1)
    parent[1:] = (np.arange(1, n) - 1) // 7  # spans of 7
    level = np.clip(8 - np.floor(np.log(np.arange(n) * 6 + 1) / np.log(7)), 1, 8).astype(int)
    dept = np.where(np.arange(n) < 50, 0, rng.integers(1, departments, n))
    people = pd.DataFrame(
        {
            "person_id": ids,
            "department": np.char.add("D", dept.astype(str)).astype(object),
            "level": level,
            "location": rng.choice(np.array(["Leeds", "Lyon", "Lima", "Oslo"], dtype=object), n),
            "manager_id": np.where(parent >= 0, ids[np.maximum(parent, 0)], None),
            "is_leader": level >= 7,
            "opt_in": rng.random(n) < 0.3,
            "capacity": rng.integers(1, 3, n),
        }
    )
    m = int(n * degree / 2)
    src = rng.integers(0, n, m)
    order = np.argsort(dept, kind="stable")
    starts = np.searchsorted(dept[order], dept[src])
    sizes = np.bincount(dept, minlength=departments)[dept[src]]
    same = order[starts + (rng.random(m) * sizes).astype(np.int64)]
    dst = np.where(rng.random(m) < 0.85, same, rng.integers(0, n, m))
    ties = pd.DataFrame(
        {"source": src.astype(np.int32), "target": dst.astype(np.int32), "layer": "collaboration"}
    )
    ties = ties[ties["source"] != ties["target"]]
    return OrgGraph(people, ties)


def speed(n: int, count: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    graph = numpy_org(n, seed=1)
    built = time.perf_counter() - t0
    t1 = time.perf_counter()
    rec = recommend_pairs(graph, count=count, seed=0, simulate_metrics=False)
    took = time.perf_counter() - t1
    t2 = time.perf_counter()
    simulate(graph, rec.proposals)
    sim = time.perf_counter() - t2
    return {
        "people": n,
        "pairs": len(rec.proposals),
        "build_graph_s": round(built, 2),
        "recommend_s": round(took, 2),
        "simulate_s": round(sim, 2),
        "candidates": rec.quality["candidates"],
    }


def quality(graph: OrgGraph, count: int) -> dict[str, Any]:
    out: dict[str, Any] = {"people": graph.n_people, "count": count}
    rec = recommend_pairs(graph, count=count, seed=0, simulate_metrics=False)
    sets = {"greedy": rec.proposals[["a", "b"]]}
    for method in BASELINES:
        sets[method] = baseline_pairs(graph, method=method, count=count, seed=0)
    for name, pairs in sets.items():
        sim = simulate(graph, pairs)
        out[name] = {
            "pairs": len(pairs),
            "gain": {k: round(v, 3) for k, v in score_proposals(graph, pairs).items()},
            "after": {k: sim["after"][k] for k in ("ei_index", "modularity", "equity_gap")},
            "share_within_2_hops": sim["after"]["share_within_2_hops"]["overall"],
        }
    out["before"] = {
        k: simulate(graph, [])["before"][k] for k in ("ei_index", "modularity", "equity_gap")
    }
    return out


def optimum_shares() -> dict[str, Any]:
    from tests.recommend.strategies import random_org

    additive, full = [], []
    for seed in range(10):
        g = random_org(seed, 40, departments=4, tie_share=0.05)
        rec = recommend_pairs(
            g,
            count=8,
            seed=seed,
            simulate_metrics=False,
            compare_optimum=True,
            objective={"exposure": 0.0, "silo": 1.0, "complementarity": 0.5, "fit": 0.5},
        )
        additive.append(rec.quality["additive_silo"]["share"])
        tiny = random_org(seed, 16, departments=3, tie_share=0.1)
        rec = recommend_pairs(
            tiny, count=3, seed=seed, simulate_metrics=False, compare_optimum=True
        )
        if "full" in rec.quality:
            full.append(rec.quality["full"]["share"])
    return {
        "additive_silo_40": {"min": min(additive), "mean": float(np.mean(additive))},
        "full_16_people_3_pairs": {
            "min": min(full),
            "mean": float(np.mean(full)),
            "runs": len(full),
        },
    }


def main() -> None:
    quick = "--quick" in sys.argv
    results: dict[str, Any] = {"speed": [], "quality": []}
    for n in [100_000] if quick else [100_000, 1_000_000]:
        results["speed"].append(speed(n, 1_000))
        print(results["speed"][-1], flush=True)
    for n, count in ((500, 25), (5_000, 100)):
        results["quality"].append(quality(numpy_org(n, seed=2), count))
        print(json.dumps(results["quality"][-1]), flush=True)
    results["optimum"] = optimum_shares()
    print(results["optimum"])
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
