"""Search: exact incremental distances, greedy vs exact optima, explanations, simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import shortest_path

from orgbridge.graph import OrgGraph
from orgbridge.recommend import (
    Constraints,
    baseline_pairs,
    recommend_pairs,
    score_proposals,
    simulate,
)
from orgbridge.recommend._state import UNREACHABLE, DistanceState
from tests.recommend.strategies import orgs, random_org


def _full_bfs(adjacency: sp.csr_matrix, leaders: np.ndarray) -> np.ndarray:
    hops = shortest_path(adjacency, unweighted=True, directed=False, indices=leaders)
    d = hops.min(axis=0) if leaders.size else np.full(adjacency.shape[0], np.inf)
    return np.where(np.isinf(d), UNREACHABLE, d).astype(np.int64)


@settings(max_examples=40, deadline=None)
@given(graph=orgs, data=st.data())
def test_incremental_distances_equal_a_full_recompute(graph: OrgGraph, data: st.DataObject) -> None:
    n = graph.n_people
    adjacency = graph.adjacency()
    leaders = np.flatnonzero(graph.leader_mask())
    state = DistanceState(adjacency, graph.leader_mask(), np.ones(n))
    edges = data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=8))
    current = adjacency.tolil()
    for u, v in edges:
        if u == v:
            continue
        predicted = state.spread(u, v)
        state.add(u, v)
        current[u, v] = current[v, u] = 1
        expected = _full_bfs(current.tocsr(), leaders)
        np.testing.assert_array_equal(state.distance, expected)
        assert np.all(predicted.after < predicted.before)


def test_greedy_reaches_95_percent_of_the_milp_optimum() -> None:
    shares = []
    for seed in range(6):
        graph = random_org(seed, 40, departments=4, tie_share=0.05)
        rec = recommend_pairs(
            graph,
            count=8,
            seed=seed,
            simulate_metrics=False,
            compare_optimum=True,
            objective={"exposure": 0.0, "silo": 1.0, "complementarity": 0.5, "fit": 0.5},
        )
        part = rec.quality["additive_silo"]
        assert part["greedy"] <= part["optimum"] + 1e-9
        shares.append(part["share"])
    assert min(shares) >= 0.95, shares


def test_greedy_against_brute_force_on_tiny_cohorts() -> None:
    shares = []
    for seed in range(5):
        graph = random_org(seed, 14, departments=3, tie_share=0.12)
        rec = recommend_pairs(
            graph, count=2, seed=seed, simulate_metrics=False, compare_optimum=True
        )
        full = rec.quality["full"]
        assert full["greedy"] <= full["optimum"] + 1e-9
        # the greedy's own scores add up to the set's value
        assert rec.proposals["score"].sum() == pytest.approx(full["greedy"])
        shares.append(full["share"])
    assert min(shares) >= 0.8, shares


def test_exposure_objective_beats_every_baseline() -> None:
    graph = random_org(11, 120, departments=5, tie_share=0.02)
    rec = recommend_pairs(graph, count=10, seed=0, simulate_metrics=False)
    ours = score_proposals(graph, rec.proposals)["score"]
    assert ours == pytest.approx(rec.proposals["score"].sum())
    for method in ("random", "similarity", "senior_junior"):
        base = baseline_pairs(graph, method=method, count=10, seed=0)
        assert score_proposals(graph, base)["score"] < ours


def test_reason_names_people_only_when_asked() -> None:
    people = pd.DataFrame(
        {
            "person_id": ["L", "m", "x", "y", "z"],
            "name": ["Lee", "Mo", "Xi", "Yan", "Zoe"],
            "is_leader": [True, False, False, False, False],
            "department": ["Board", "Finance", "Eng", "Eng", "Eng"],
        }
    )
    ties = pd.DataFrame(
        {"source": ["L", "x", "y"], "target": ["m", "y", "z"], "layer": "collaboration"}
    )
    graph = OrgGraph.from_frames(people, ties)
    c = Constraints(cohort=["m", "x", "y", "z"], cross_department=True)
    plain = recommend_pairs(graph, count=1, constraints=c, simulate_metrics=False)
    named = recommend_pairs(graph, count=1, constraints=c, show_names=True, simulate_metrics=False)
    # covering y (the Eng group's first covered person) outweighs the first Finance-Eng tie
    assert plain.proposals["reason"].iloc[0].startswith("Brings y from no path to 2 hops")
    assert "bridges Finance and Eng (0 ties today)" in plain.proposals["reason"].iloc[0]
    assert "2 colleagues move closer too" in plain.proposals["reason"].iloc[0]
    assert "Yan" in named.proposals["reason"].iloc[0]
    assert "Yan" not in plain.proposals["reason"].iloc[0]
    payload = plain.to_dict()
    assert set(payload) >= {"parameters", "proposals", "simulation"}
    assert set(payload["proposals"][0]["breakdown"]) == {
        "exposure",
        "silo",
        "complementarity",
        "fit",
    }


def test_simulation_matches_a_recomputation_on_the_edited_graph() -> None:
    # A: leader p0 and five non-leaders; B: six non-leaders. Leaders are left out of shares.
    people = pd.DataFrame(
        {
            "person_id": [f"p{i}" for i in range(12)],
            "department": ["A"] * 6 + ["B"] * 6,
            "is_leader": [True] + [False] * 11,
        }
    )
    ties = pd.DataFrame(
        {
            "source": ["p0", "p1", "p6", "p7"],
            "target": ["p1", "p2", "p7", "p8"],
            "layer": "collaboration",
        }
    )
    graph = OrgGraph.from_frames(people, ties)
    result = simulate(graph, [("p0", "p6")])
    assert result == simulate(graph, [("p0", "p6")], incremental=False) | {"added_ties": 1}
    before, after = result["before"], result["after"]
    assert before["share_within_2_hops"]["by_group"] == {"A": 0.4, "B": 0.0}
    assert before["share_within_2_hops"]["overall"] == pytest.approx(2 / 11)
    assert after["share_within_2_hops"]["by_group"] == {"A": 0.4, "B": pytest.approx(2 / 6)}
    assert after["share_within_2_hops"]["overall"] == pytest.approx(4 / 11)
    assert before["ei_index"] == -1.0
    assert after["ei_index"] == pytest.approx((1 - 4) / 5)
    assert after["equity_gap"] == pytest.approx(0.4 - 2 / 6)
    assert (after["best_group"], after["worst_group"]) == ("A", "B")
    assert after["worst_share"] == pytest.approx(2 / 6)
    assert after["worst_gap_to_overall"] == pytest.approx(4 / 11 - 2 / 6)


def test_vectorised_brute_force_equals_scoring_every_set() -> None:
    import itertools

    from orgbridge.recommend._constraints import compile_rules
    from orgbridge.recommend._exact import brute_force_optimum, set_value
    from orgbridge.recommend._gains import Gains
    from orgbridge.recommend._objective import PRESETS

    for seed in range(3):
        graph = random_org(seed, 12, departments=3, tie_share=0.1)
        rules = compile_rules(graph, Constraints())
        gains = Gains(graph, rules, PRESETS["balanced"])
        i, j = np.triu_indices(graph.n_people, k=1)
        keep = rules.valid(i, j)
        a, b = i[keep][:14], j[keep][:14]
        assert rules.budget is not None  # budgets before current pairs: enough sets to try
        best, chosen = brute_force_optimum(gains, a, b, rules.budget, count=3)
        values = []
        for combo in itertools.combinations(range(a.size), 3):
            idx = np.array(combo)
            used = np.bincount(np.r_[a[idx], b[idx]], minlength=graph.n_people)
            if (used <= rules.budget).all():
                values.append(set_value(gains, a[idx], b[idx]))
        assert best == pytest.approx(max(values))
        assert set_value(gains, a[chosen], b[chosen]) == pytest.approx(best)


def test_group_tie_count_fast_path_matches_the_vectorised_count() -> None:
    from orgbridge.recommend._state import GroupTies

    rng = np.random.default_rng(0)
    group = rng.integers(0, 5, 60)
    src, dst = rng.integers(0, 60, 200), rng.integers(0, 60, 200)
    ties = GroupTies(group, src, dst)
    for x, y in rng.integers(0, 5, (10, 2)).tolist():
        ties.add(x, y)
    ga, gb = rng.integers(0, 5, 30), rng.integers(0, 5, 30)
    fast = [ties.count_one(int(x), int(y)) for x, y in zip(ga, gb, strict=True)]
    assert fast == ties.count(ga, gb).tolist()
