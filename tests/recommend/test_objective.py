"""Exposure as coverage: the known answer on a hand-built organisation, gains against recounts."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import shortest_path

from bench.yardstick import ei_index, hops_to_leaders, measure
from orgbridge.cli._recommend import register
from orgbridge.errors import ParameterError
from orgbridge.graph import OrgGraph
from orgbridge.graph._workspace import Workspace
from orgbridge.recommend import (
    Constraints,
    Recommendation,
    baseline_pairs,
    recommend_pairs,
    recommend_sponsorships,
)
from orgbridge.recommend._constraints import compile_rules
from orgbridge.recommend._gains import Gains
from orgbridge.recommend._objective import PRESETS, weights_for
from tests.recommend.strategies import orgs


def far_group() -> OrgGraph:
    """A leader L; Ops close to L; a far Field group reachable through its central person f0.

    ``L - o1 - o2 - o3 - f0`` and ``f0 - f1 .. f5``: f0 is 4 hops from L, f1..f5 are 5. A tie
    from L to f0 covers all six Field people (f0 at 1 hop, f1..f5 at 2) and o3; from L to any
    f_i or to o3 only two people; from o1 (one hop from L) to f0 only f0.
    """
    field = [f"f{i}" for i in range(6)]
    people = pd.DataFrame(
        {
            "person_id": ["L", "o1", "o2", "o3", *field],
            "is_leader": [True] + [False] * 9,
            "department": ["Board", "Ops", "Ops", "Ops"] + ["Field"] * 6,
        }
    )
    ties = pd.DataFrame(
        {
            "source": ["L", "o1", "o2", "o3", *(["f0"] * 5)],
            "target": ["o1", "o2", "o3", "f0", *field[1:]],
            "layer": "collaboration",
        }
    )
    return OrgGraph.from_frames(people, ties)


#: Everyone of far_group but o3 (one hop from f0): only L - f0 covers the Field group at once.
FAR_COHORT = ("L", "o1", "o2", "f0", "f1", "f2", "f3", "f4", "f5")


def far_pairs(count: int, objective: str) -> Recommendation:
    """``recommend_pairs`` on :func:`far_group` within :data:`FAR_COHORT`."""
    return recommend_pairs(
        far_group(),
        count=count,
        objective=objective,
        constraints=Constraints(cohort=FAR_COHORT),
        simulate_metrics=False,
    )


def test_exposure_sponsors_the_central_person_of_the_far_group() -> None:
    rec = recommend_sponsorships(far_group(), count=1, simulate_metrics=False)
    assert rec.proposals[["a", "b"]].to_numpy().tolist() == [["L", "f0"]]
    assert rec.parameters["horizon"] == 2
    assert rec.parameters["exposure_measure"] == "coverage"


def test_exposure_pairs_the_leader_with_the_central_person() -> None:
    rec = far_pairs(1, "exposure")
    assert sorted(rec.proposals[["a", "b"]].to_numpy().ravel().tolist()) == ["L", "f0"]


def test_proposals_that_cover_nobody_new_are_counted_in_the_notes() -> None:
    # L - f0 covers everyone left; any further pair covers nobody new and must be said so.
    rec = far_pairs(3, "balanced")
    assert len(rec.proposals) == 3
    assert any("2 of the 3 proposals bring nobody new within 2 hops" in n for n in rec.notes)
    one = far_pairs(1, "balanced")
    assert not any("bring nobody new" in n for n in one.notes)


def test_the_exposure_objective_stops_when_nobody_more_can_be_covered() -> None:
    # after L - f0 no pair covers anyone: the exposure objective proposes one pair and says
    # why, instead of spending the cohort on pairs that bring nobody closer to a leader
    rec = far_pairs(3, "exposure")
    assert rec.proposals[["a", "b"]].to_numpy().tolist() == [["L", "f0"]]
    assert rec.shortfall[0].startswith("exposure: no other eligible pair brings anyone new")
    assert not any(s.startswith("candidates:") for s in rec.shortfall)


def test_a_move_from_two_hops_to_one_is_worth_nothing() -> None:
    # b is 2 hops from L (covered) and a leaf: L - b changes no group's coverage. The old
    # closeness term paid for it.
    people = pd.DataFrame({"person_id": ["L", "a", "b"], "is_leader": [True, False, False]})
    ties = pd.DataFrame({"source": ["L", "a"], "target": ["a", "b"], "layer": "collaboration"})
    graph = OrgGraph.from_frames(people, ties)
    rules = compile_rules(graph, Constraints())
    assert Gains(graph, rules, PRESETS["exposure"]).exposure(0, 2) == 0.0
    assert Gains(graph, rules, PRESETS["closeness"]).exposure(0, 2) > 0.0


def test_horizon_changes_who_is_covered() -> None:
    graph = far_group()
    rules = compile_rules(graph, Constraints())
    leader, f0 = graph.positions(["L", "f0"]).tolist()
    k1 = Gains(graph, rules, PRESETS["exposure"], horizon=1)
    k2 = Gains(graph, rules, PRESETS["exposure"], horizon=2)
    assert k1.coverage.newly_covered(k1.distance.spread(leader, f0)).size == 1
    assert k2.coverage.newly_covered(k2.distance.spread(leader, f0)).size == 7
    with pytest.raises(ParameterError, match="horizon"):
        recommend_pairs(graph, count=1, horizon=0, simulate_metrics=False)


def test_weights_accept_the_measure() -> None:
    assert weights_for({"exposure": 1.0, "measure": "closeness"}).measure == "closeness"
    with pytest.raises(ParameterError, match="measure"):
        weights_for({"measure": "vibes"})
    for bad in ("lots", None, [1], True):
        with pytest.raises(ParameterError, match="weight silo must be a number"):
            weights_for({"silo": bad})
    with pytest.raises(ParameterError, match="exposure_required"):
        weights_for({"exposure_required": "yes"})


def _shares(graph: OrgGraph, group: np.ndarray, hops: np.ndarray, k: int) -> dict[int, float]:
    """Coverage of each group's non-leaders, from scratch."""
    leaders = graph.leader_mask()
    shares = {}
    for g in np.unique(group[~leaders]):
        members = (group == g) & ~leaders
        shares[int(g)] = float((members & (hops <= k)).sum() / members.sum())
    return shares


def _objective(
    graph: OrgGraph,
    group: np.ndarray,
    hops: np.ndarray,
    k: int,
    alpha: float,
    level: float | tuple[int, ...],
) -> float:
    """``sum_g n_g U(C_g)``, ``U(C) = -max(T - C, 0)^(1+alpha)/(1+alpha)``, from scratch.

    ``level`` is ``T`` itself, or the groups whose best coverage is ``T`` (a levelling run).
    """
    leaders = graph.leader_mask()
    shares = _shares(graph, group, hops, k)
    target = level if isinstance(level, float) else max(shares[g] for g in level)
    total = 0.0
    for g, c in shares.items():
        n = ((group == g) & ~leaders).sum()
        total += -n * max(target - c, 0.0) ** (1 + alpha) / (1 + alpha)
    return total


def _hops(graph: OrgGraph, extra: list[tuple[int, int]]) -> np.ndarray:
    adjacency = graph.adjacency().tolil()
    for u, v in extra:
        adjacency[u, v] = adjacency[v, u] = 1
    leaders = np.flatnonzero(graph.leader_mask())
    d = shortest_path(adjacency.tocsr(), unweighted=True, directed=False, indices=leaders)
    return np.asarray(d.min(axis=0))


@settings(max_examples=60, deadline=None)
@given(
    graph=orgs,
    data=st.data(),
    k=st.integers(1, 3),
    target=st.sampled_from(["best", "full"]),
    min_group=st.integers(1, 3),
)
def test_coverage_gains_equal_an_independent_recount(
    graph: OrgGraph, data: st.DataObject, k: int, target: str, min_group: int
) -> None:
    n = graph.n_people
    rules = compile_rules(graph, Constraints())
    gains = Gains(graph, rules, PRESETS["exposure"], horizon=k, target=target, min_group=min_group)
    group = gains.group
    alpha = gains.coverage.alpha
    hops0 = _hops(graph, [])
    leaders = graph.leader_mask()
    # the target: the best group's coverage among groups of at least min_group non-leaders,
    # full coverage when asked, or when fewer than two such groups differ
    sizes = {g: int(((group == g) & ~leaders).sum()) for g in np.unique(group)}
    shares0 = _shares(graph, group, hops0, k)
    big = tuple(g for g in shares0 if sizes[g] >= min_group)
    levelling = target == "best" and len(big) >= 2 and len({shares0[g] for g in big}) > 1
    start = max(shares0[g] for g in big) if levelling else 1.0
    assert gains.coverage.target == pytest.approx(start)
    level: float | tuple[int, ...] = big if levelling else 1.0
    org = ((hops0 <= k) & ~leaders).sum() / max((~leaders).sum(), 1)
    unit = max(start - org, 0.01) ** alpha
    pairs = st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=6)
    edges = data.draw(pairs)
    # probes are scored again after every added tie: their cached gains must stay exact
    probes = [(u, v) for u, v in data.draw(pairs) if u != v]
    added: list[tuple[int, int]] = []
    for u, v in edges:
        if u == v:
            continue
        before = _objective(graph, group, _hops(graph, added), k, alpha, level)
        for a, b in [*probes, (u, v)]:
            after = _objective(graph, group, _hops(graph, [*added, (a, b)]), k, alpha, level)
            assert gains.exposure(a, b) == pytest.approx((after - before) / unit, abs=1e-9)
        after = _objective(graph, group, _hops(graph, [*added, (u, v)]), k, alpha, level)
        assert gains.evaluate(u, v).details["exposure_units"] == pytest.approx(
            (after - before) / unit, abs=1e-9
        )
        gains.apply(u, v)
        added.append((u, v))
        hops = _hops(graph, added)
        recount = np.bincount(group[(hops <= k) & ~leaders], minlength=gains.coverage.size.size)
        np.testing.assert_array_equal(gains.coverage.covered, recount)


def two_groups() -> OrgGraph:
    """Leader L; group A covered 4 of 5 (a5 alone), group B 2 of 5 (b3, b4, b5 alone).

    Any of a1..a4, b1, b2 is one hop from L, so pairing a lone person with one of them covers
    that person (2 hops). Levelling B up to A's 80% takes two such pairs; a third, for b5 or
    a5, lifts one group above the other and widens the gap again.
    """
    a = [f"a{i}" for i in range(1, 6)]
    b = [f"b{i}" for i in range(1, 6)]
    people = pd.DataFrame(
        {
            "person_id": ["L", *a, *b],
            "is_leader": [True] + [False] * 10,
            "department": ["Board"] + ["A"] * 5 + ["B"] * 5,
        }
    )
    ties = pd.DataFrame(
        {"source": "L", "target": ["a1", "a2", "a3", "a4", "b1", "b2"], "layer": "collaboration"}
    )
    return OrgGraph.from_frames(people, ties)


def _coverage_after(graph: OrgGraph, proposals: pd.DataFrame) -> dict[str, float]:
    ids, leaders, ties = _yardstick_inputs(graph)
    extra = list(zip(proposals["a"].astype(str), proposals["b"].astype(str), strict=True))
    department = [str(v) for v in graph.people["department"]]
    return measure(ids, leaders, department, ties + extra, k=2, min_group=5).coverage


def test_the_exposure_objective_levels_up_to_the_best_group_and_stops() -> None:
    graph = two_groups()
    rec = recommend_pairs(graph, count=5, objective="exposure", simulate_metrics=False)
    # judged by the yardstick (plain BFS), not the objective: B is raised to A's level, no more
    assert _coverage_after(graph, rec.proposals) == {"A": 0.8, "B": 0.8}
    assert len(rec.proposals) == 2
    assert rec.parameters["target_coverage"] == 0.8
    assert rec.shortfall[0].startswith("exposure: no other eligible pair")
    assert "below 80.0% covered" in rec.shortfall[0]


def test_a_full_coverage_target_raises_every_group() -> None:
    graph = two_groups()
    rec = recommend_pairs(
        graph, count=5, objective="exposure", coverage_target="full", simulate_metrics=False
    )
    assert _coverage_after(graph, rec.proposals) == {"A": 1.0, "B": 1.0}
    assert len(rec.proposals) == 4
    with pytest.raises(ParameterError, match="coverage target"):
        recommend_pairs(graph, count=1, coverage_target="most", simulate_metrics=False)


def test_balanced_fills_the_count_without_widening_the_gap() -> None:
    graph = two_groups()
    rec = recommend_pairs(graph, count=5, objective="balanced", simulate_metrics=False)
    coverage = _coverage_after(graph, rec.proposals)
    assert coverage["A"] == coverage["B"] >= 0.8
    assert len(rec.proposals) >= 2


def test_without_leaders_the_shortfall_says_exposure_needs_them() -> None:
    people = pd.DataFrame({"person_id": list("abcdefgh"), "department": list("XXXXYYYY")})
    graph = OrgGraph(people)
    for recommend in (recommend_pairs, recommend_sponsorships):
        rec = recommend(graph, count=3, objective="exposure", simulate_metrics=False)
        assert len(rec.proposals) == 0
        assert rec.shortfall[0].startswith("leaders: the organisation has no leaders")
        assert not any(r.startswith("candidates:") for r in rec.shortfall)
    silo = recommend_pairs(graph, count=3, objective="silo", simulate_metrics=False)
    assert len(silo.proposals) == 3 and not silo.shortfall


def test_a_tie_that_lifts_the_best_group_costs_what_it_widens() -> None:
    graph = two_groups()
    rules = compile_rules(graph, Constraints())
    gains = Gains(graph, rules, PRESETS["exposure"])
    a1, a5, b1, b3 = graph.positions(["a1", "a5", "b1", "b3"]).tolist()
    assert gains.exposure(a1, b3) > 0  # raises the worst group
    assert gains.exposure(b1, a5) < 0  # lifts the best group: the gap widens
    assert gains.score(b1, a5, 0.0) == -np.inf  # the exposure preset never proposes it


def _yardstick_inputs(graph: OrgGraph) -> tuple[list[str], list[bool], list[tuple[str, str]]]:
    ids = [str(p) for p in graph.ids]
    ties = graph.select_ties(None)
    pairs = [(ids[s], ids[t]) for s, t in zip(ties["source"], ties["target"], strict=True)]
    return ids, [bool(x) for x in graph.leader_mask()], pairs


@settings(max_examples=40, deadline=None)
@given(graph=orgs)
def test_yardstick_agrees_with_networkx(graph: OrgGraph) -> None:
    ids, leaders, ties = _yardstick_inputs(graph)
    g = nx.Graph()
    g.add_nodes_from(ids)
    g.add_edges_from(ties)
    sources = [p for p, is_leader in zip(ids, leaders, strict=True) if is_leader]
    expected = nx.multi_source_dijkstra_path_length(g, sources) if sources else {}
    assert hops_to_leaders(ids, leaders, ties) == [expected.get(p) for p in ids]
    department = [str(v) for v in graph.people["department"]]
    of = dict(zip(ids, department, strict=True))
    external = sum(of[a] != of[b] for a, b in g.edges())
    internal = g.number_of_edges() - external
    ei = ei_index(ids, department, ties)
    if g.number_of_edges():
        assert ei == pytest.approx((external - internal) / (external + internal))
    else:
        assert ei is None
    result = measure(ids, leaders, department, ties, k=2, min_group=1)
    for name in result.coverage:
        members = [
            p for p, d, lead in zip(ids, department, leaders, strict=True) if d == name and not lead
        ]
        covered = [p for p in members if expected.get(p, 99) <= 2]
        assert result.coverage[name] == pytest.approx(len(covered) / len(members))
    shares = list(result.coverage.values())
    assert result.gap == pytest.approx(max(shares) - min(shares) if shares else 0.0)


def test_targeted_rule_helps_the_worst_group_first() -> None:
    graph = far_group()
    chosen = baseline_pairs(graph, method="targeted", count=1, seed=0)
    # the worst group (Field, 0 covered) gets the pair; its partner is next to the leader
    assert len(chosen) == 1
    pair = set(chosen.iloc[0][["a", "b"]])
    assert pair & {f"f{i}" for i in range(6)}
    assert pair & {"L", "o1"}


def test_targeted_rule_stops_when_every_group_is_covered() -> None:
    people = pd.DataFrame(
        {
            "person_id": ["L", *(f"p{i}" for i in range(12))],
            "is_leader": [True] + [False] * 12,
            "department": ["Board"] + ["A"] * 6 + ["B"] * 6,
        }
    )
    ties = pd.DataFrame(
        {"source": "L", "target": [f"p{i}" for i in range(12)], "layer": "collaboration"}
    )
    graph = OrgGraph.from_frames(people, ties)
    assert len(baseline_pairs(graph, method="targeted", count=5, seed=0)) == 0
    assert len(baseline_pairs(graph, method="random", count=5, seed=0)) == 5


def test_cli_passes_the_horizon_and_the_closeness_objective(tmp_path: Path) -> None:
    folder = tmp_path / "ws"
    store = Workspace.open(folder)
    store.save_graph(far_group())
    store.close()
    out = tmp_path / "run.json"
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command", required=True))
    common = ["recommend", "--workspace", str(folder), "--kind", "sponsorships", "--count", "1"]
    args = parser.parse_args([*common, "--horizon", "3", "--json", str(out)])
    assert args.handler(args) == 0
    run = json.loads(out.read_text())
    assert run["parameters"]["horizon"] == 3
    # at 3 hops any Field protégé covers all six Field people (o3 is covered already)
    [proposal] = run["proposals"]
    assert proposal["a"] == "L" and proposal["b"].startswith("f")
    args = parser.parse_args([*common, "--objective", "closeness", "--json", str(out)])
    assert args.handler(args) == 0
    assert json.loads(out.read_text())["parameters"]["exposure_measure"] == "closeness"
    args = parser.parse_args([*common, "--coverage-target", "full", "--json", str(out)])
    assert args.handler(args) == 0
    assert json.loads(out.read_text())["parameters"]["coverage_target"] == "full"
    with pytest.raises(SystemExit):
        parser.parse_args([*common, "--coverage-target", "most", "--json", str(out)])
