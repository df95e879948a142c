"""Recommender benchmark: quality against baselines, share of the exact optimum, and speed.

``python -m bench.bench_recommend`` writes ``bench/results/recommend.json``:

- **quality**: on synthetic organisations from :func:`orgbridge.synthetic.generate_organisation`
  (500, 5,000 and 50,000 people; N = 25, 100, 500 pairs) and on Lazega's law firm (cowork ties
  as collaboration, partners as leaders, practice or office as the group; N = 10), the gain of
  each objective component and the before/after headline metrics (E-I, modularity, share within
  2 hops of a leader overall and per group, equity gap) of the recommender's N pairs and of the
  baselines (random valid matching, similarity matching, senior-to-junior within a function, the
  targeted rule), all under the same hard constraints (the recommender's own score: the
  independent judgement of the exposure gap is ``bench_quality``);
- **optimum**: on cohorts of 40 people, the greedy's share of the exact optimum (scipy ``milp``)
  of the default objective's additive and silo parts; on cohorts of 16 people with N <= 3, its
  share of the brute-force optimum of the full objective, exposure included;
- **speed**: 1,000 pairs for a 100,000-person organisation (goal < 20 s) and, with
  ``ORGBRIDGE_BENCH_FULL=1``, for 1,000,000 people (goal < 3 min), plus the what-if simulation.

The default run takes a few minutes on 2 cores; the full run adds the million-person
organisation (about 3 minutes more, a few GiB).
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np
import pandas as pd

from bench._common import peak_rss_gib, write_results
from orgbridge.graph import OrgGraph
from orgbridge.recommend import (
    BASELINES,
    PRESETS,
    Constraints,
    Weights,
    baseline_pairs,
    recommend_pairs,
    score_proposals,
    simulate,
)
from orgbridge.synthetic import generate_organisation

FULL = os.environ.get("ORGBRIDGE_BENCH_FULL") == "1"
SPEED_GOAL_S = {100_000: 20.0, 1_000_000: 180.0}
#: The default (balanced) objective without its exposure part: what the MILP solves exactly.
ADDITIVE_SILO = Weights(**{**PRESETS["balanced"].to_dict(), "exposure": 0.0})


def synthetic_graph(n: int, *, seed: int) -> OrgGraph:
    """The generator's organisation as a graph: staff, collaboration, mentoring, sponsorship."""
    org = generate_organisation(n, seed=seed)
    ties = pd.concat(
        [
            pd.DataFrame(
                {
                    "source": org.collaboration["source"],
                    "target": org.collaboration["target"],
                    "layer": "collaboration",
                    "weight": org.collaboration["weight"],
                }
            ),
            pd.DataFrame(
                {
                    "source": org.pairs["person_a"],
                    "target": org.pairs["person_b"],
                    "layer": "mentoring",
                    "weight": 1.0,
                }
            ),
            pd.DataFrame(
                {
                    "source": org.sponsorships["sponsor_id"],
                    "target": org.sponsorships["protege_id"],
                    "layer": "sponsorship",
                    "weight": 1.0,
                }
            ),
        ],
        ignore_index=True,
    )
    return OrgGraph.from_frames(org.staff, ties, special=("gender",))


def lazega_graph() -> OrgGraph:
    """Lazega's law firm: cowork ties, partners as leaders; level 2 partner / 1 associate."""
    from tests.fixtures import lazega

    graph = lazega("cowork")
    people = graph.people.copy()
    people["level"] = np.where(people["status"] == "partner", 2, 1)
    people["location"] = people["office"]
    return graph.with_people(people)


def _headline(metrics: dict[str, Any]) -> dict[str, Any]:
    share = metrics["share_within_2_hops"]
    return {
        "ei_index": _round(metrics["ei_index"]),
        "modularity": _round(metrics["modularity"]),
        "share_within_2_hops": _round(share["overall"]),
        "share_within_2_hops_by_group": {k: _round(v) for k, v in share["by_group"].items()},
        "equity_gap": _round(metrics["equity_gap"]),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def quality(graph: OrgGraph, count: int, *, label: str, group_by: str = "department") -> dict:
    """The recommender's N pairs against the baselines, same constraints and N."""
    out: dict[str, Any] = {"org": label, "people": graph.n_people, "count": count}
    out["group_by"] = group_by
    start = time.perf_counter()
    rec = recommend_pairs(graph, count=count, seed=0, group_by=group_by, simulate_metrics=False)
    out["recommend_s"] = round(time.perf_counter() - start, 2)
    sets = {"recommender": rec.proposals[["a", "b"]]}
    for method in BASELINES:
        sets[method] = baseline_pairs(graph, method=method, count=count, seed=0, group_by=group_by)
    before: dict[str, Any] | None = None
    for name, pairs in sets.items():
        sim = simulate(graph, pairs, group_by=group_by)
        before = before or _headline(sim["before"])
        gain = score_proposals(graph, pairs, group_by=group_by)
        out[name] = {
            "pairs": len(pairs),
            "gain": {k: round(v, 3) for k, v in gain.items()},
            "after": _headline(sim["after"]),
        }
    out["before"] = before
    return out


def _cohorts(graph: OrgGraph, size: int, runs: int, seed: int) -> list[tuple[str, ...]]:
    rng = np.random.default_rng(seed)
    ids = np.asarray(graph.ids, dtype=object)
    return [tuple(sorted(rng.choice(ids, size=size, replace=False))) for _ in range(runs)]


def optimum_shares(graph: OrgGraph, *, label: str, runs: int, seed: int) -> dict[str, Any]:
    """Greedy's share of the exact optimum on random cohorts of 40 (MILP) and 16 (brute force)."""
    milp_shares, in_full_run, brute = [], [], []
    start = time.perf_counter()
    for cohort in _cohorts(graph, 40, runs, seed):
        c = Constraints(cohort=cohort)
        # the greedy on exactly the part the MILP solves: its approximation quality
        rec = recommend_pairs(
            graph,
            count=8,
            objective=ADDITIVE_SILO,
            constraints=c,
            seed=seed,
            simulate_metrics=False,
            compare_optimum=True,
        )
        milp_shares.append(rec.quality["additive_silo"]["share"])
        # the default objective's greedy: what its additive and silo parts give up for exposure
        rec = recommend_pairs(
            graph, count=8, constraints=c, seed=seed, simulate_metrics=False, compare_optimum=True
        )
        in_full_run.append(rec.quality["additive_silo"]["share"])
    milp_s = time.perf_counter() - start
    start = time.perf_counter()
    for i, cohort in enumerate(_cohorts(graph, 16, max(runs // 2, 1), seed + 1)):
        count = 2 + i % 2
        rec = recommend_pairs(
            graph,
            count=count,
            constraints=Constraints(cohort=cohort),
            seed=seed,
            simulate_metrics=False,
            compare_optimum=True,
        )
        if "full" in rec.quality:
            full = rec.quality["full"]
            brute.append({"count": count, **{k: round(v, 4) for k, v in full.items()}})
    brute_s = time.perf_counter() - start
    return {
        "org": label,
        "additive_silo_cohort_40": _summary(milp_shares) | {"goal": 0.95, "seconds": milp_s},
        "additive_silo_part_of_balanced_greedy_cohort_40": _summary(in_full_run),
        "full_objective_cohort_16": _summary([b["share"] for b in brute])
        | {"runs_detail": brute, "seconds": round(brute_s, 1)},
    }


def _summary(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"runs": 0}
    return {
        "runs": len(values),
        "min": round(min(values), 4),
        "mean": round(float(np.mean(values)), 4),
    }


def speed(n: int, count: int) -> dict[str, Any]:
    """Time to generate, build, recommend ``count`` pairs and simulate them at ``n`` people."""
    out: dict[str, Any] = {"people": n}
    start = time.perf_counter()
    graph = synthetic_graph(n, seed=1)
    graph.adjacency()
    out["build_graph_s"] = round(time.perf_counter() - start, 2)
    start, cpu = time.perf_counter(), time.process_time()
    rec = recommend_pairs(graph, count=count, seed=0, simulate_metrics=False)
    out["recommend_s"] = round(time.perf_counter() - start, 2)
    out["recommend_cpu_s"] = round(time.process_time() - cpu, 2)
    out["pairs"] = len(rec.proposals)
    out["candidates"] = rec.quality["candidates"]
    start, cpu = time.perf_counter(), time.process_time()
    simulate(graph, rec.proposals)
    out["simulate_s"] = round(time.perf_counter() - start, 2)
    out["simulate_cpu_s"] = round(time.process_time() - cpu, 2)
    out["goal_recommend_s"] = SPEED_GOAL_S.get(n)
    out["peak_rss_gib"] = round(peak_rss_gib(), 2)
    return out


def main() -> None:
    """Run the benchmark and write ``bench/results/recommend.json``."""
    results: dict[str, Any] = {"full": FULL, "quality": [], "optimum": [], "speed": []}
    for n, count in ((500, 25), (5_000, 100), (50_000, 500)):
        results["quality"].append(quality(synthetic_graph(n, seed=2), count, label=f"synth-{n}"))
        print(_brief(results["quality"][-1]), flush=True)
    law = lazega_graph()
    for group_by in ("department", "office"):
        results["quality"].append(quality(law, 10, label="lazega-cowork", group_by=group_by))
        print(_brief(results["quality"][-1]), flush=True)
    results["optimum"].append(
        optimum_shares(synthetic_graph(500, seed=3), label="synth-500", runs=10, seed=0)
    )
    print(results["optimum"][-1], flush=True)
    results["optimum"].append(optimum_shares(law, label="lazega-cowork", runs=6, seed=1))
    print(results["optimum"][-1], flush=True)
    for n in [100_000, 1_000_000] if FULL else [100_000]:
        results["speed"].append(speed(n, 1_000))
        print(results["speed"][-1], flush=True)
    write_results("recommend", results)


def _brief(row: dict[str, Any]) -> str:
    parts = [f"{row['org']} ({row['group_by']}) N={row['count']}:"]
    for name in ("recommender", *BASELINES):
        item = row[name]
        parts.append(
            f"{name} score={item['gain']['score']:.2f} "
            f"EI={item['after']['ei_index']} gap={item['after']['equity_gap']}"
        )
    before = row["before"]
    parts.append(f"before EI={before['ei_index']} gap={before['equity_gap']}")
    return " | ".join(parts)


if __name__ == "__main__":
    main()
