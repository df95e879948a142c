"""Hard constraints hold for every proposal, checked independently of the compiled rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orgbridge.errors import ParameterError
from orgbridge.graph import OrgGraph
from orgbridge.recommend import Constraints, recommend_pairs, recommend_sponsorships
from orgbridge.recommend._chain import reporting_chains
from tests.recommend.strategies import orgs, random_org


def _chain_pairs(graph: OrgGraph) -> set[frozenset[str]]:
    """Every (manager above, report) pair, by walking the manager line."""
    manager = dict(zip(graph.people["person_id"], graph.people["manager_id"], strict=True))
    out: set[frozenset[str]] = set()
    for person in manager:
        seen = {person}
        boss = manager[person]
        while boss is not None and not pd.isna(boss) and boss not in seen:
            out.add(frozenset((person, boss)))
            seen.add(boss)
            boss = manager.get(boss)
    return out


def _broken(graph: OrgGraph, rec: pd.DataFrame, c: Constraints, kind: str) -> list[str]:
    people = graph.people.set_index("person_id")
    tied = {
        frozenset(p)
        for p in zip(*(graph.tie_table()[k] for k in ("source", "target")), strict=True)
        if graph.tie_table() is not None
    }
    informal = graph.tie_table(["collaboration", "mentoring", "sponsorship"])
    tied = {frozenset(p) for p in zip(informal["source"], informal["target"], strict=True)}
    history_layer = "sponsorship" if kind == "sponsorship" else "mentoring"
    hist = graph.tie_table(history_layer)
    previous = {frozenset(p) for p in zip(hist["source"], hist["target"], strict=True)}
    chains = _chain_pairs(graph)
    used: dict[str, int] = {}
    problems = []
    for row in rec.itertuples():
        a, b = row.a, row.b
        pair = frozenset((a, b))
        used[a] = used.get(a, 0) + 1
        used[b] = used.get(b, 0) + 1
        if a == b:
            problems.append(f"self pair {a}")
        if kind == "pair":
            if not (people.loc[a, "opt_in"] and people.loc[b, "opt_in"]):
                problems.append(f"not opted in {a} {b}")
        else:
            if not people.loc[a, "is_leader"] or people.loc[b, "is_leader"]:
                problems.append(f"bad roles {a} {b}")
            if not people.loc[b, "opt_in"]:
                problems.append(f"protege not opted in {b}")
        if pair in tied:
            problems.append(f"already tied {a} {b}")
        if pair in chains:
            problems.append(f"same chain {a} {b}")
        if pair in previous and not c.allow_repeat:
            problems.append(f"repeat {a} {b}")
        gap = abs(int(people.loc[a, "level"]) - int(people.loc[b, "level"]))
        if gap < c.min_level_gap or (c.max_level_gap is not None and gap > c.max_level_gap):
            problems.append(f"level gap {gap} {a} {b}")
        if c.cross_department and people.loc[a, "department"] == people.loc[b, "department"]:
            problems.append(f"same department {a} {b}")
        if pair in {frozenset(p) for p in c.exclusions + c.declined}:
            problems.append(f"excluded/declined {a} {b}")
    # one budget across pairs and sponsorships, less the current ones (distinct partners)
    programme = graph.tie_table(["mentoring", "sponsorship"])
    current: dict[str, set[str]] = {}
    for x, y in zip(programme["source"], programme["target"], strict=True):
        current.setdefault(x, set()).add(y)
        current.setdefault(y, set()).add(x)
    for person, n in used.items():
        if c.capacity is not None and not people.loc[person, "is_leader"]:
            cap = c.capacity
        else:
            cap = int(people.loc[person, "capacity"])
        cap -= len(current.get(person, set()))
        if n > cap:
            problems.append(f"capacity {person} {n} > {cap}")
    keys = [frozenset(p) for p in zip(rec["a"], rec["b"], strict=True)]
    if len(set(keys)) != len(keys):
        problems.append("duplicate proposal")
    return problems


@st.composite
def constraint_sets(draw: st.DrawFn, graph: OrgGraph) -> Constraints:
    ids = list(graph.ids)
    pairs = st.tuples(st.sampled_from(ids), st.sampled_from(ids)).filter(lambda p: p[0] != p[1])
    low = draw(st.integers(0, 2))
    return Constraints(
        capacity=draw(st.sampled_from([None, 1, 2])),
        min_level_gap=low,
        max_level_gap=draw(st.sampled_from([None, low + 1, low + 3])),
        cross_department=draw(st.booleans()),
        exclusions=draw(st.lists(pairs, max_size=4)),
        declined=draw(st.lists(pairs, max_size=4)),
        allow_repeat=draw(st.booleans()),
    )


@settings(max_examples=30, deadline=None)
@given(
    data=st.data(),
    graph=orgs,
    count=st.integers(0, 12),
    seed=st.integers(0, 3),
    objective=st.sampled_from(["balanced", "exposure", "silo"]),
)
def test_pairs_never_break_a_hard_constraint(
    data: st.DataObject, graph: OrgGraph, count: int, seed: int, objective: str
) -> None:
    c = data.draw(constraint_sets(graph))
    rec = recommend_pairs(
        graph, count=count, constraints=c, seed=seed, objective=objective, simulate_metrics=False
    )
    assert len(rec.proposals) <= count
    assert _broken(graph, rec.proposals, c, "pair") == []
    assert np.allclose(
        rec.proposals["score"],
        rec.proposals[["exposure", "silo", "complementarity", "fit"]].sum(axis=1),
    )


@settings(max_examples=20, deadline=None)
@given(data=st.data(), graph=orgs, count=st.integers(0, 8), seed=st.integers(0, 3))
def test_sponsorships_never_break_a_hard_constraint(
    data: st.DataObject, graph: OrgGraph, count: int, seed: int
) -> None:
    c = data.draw(constraint_sets(graph))
    rec = recommend_sponsorships(
        graph, count=count, constraints=c, seed=seed, simulate_metrics=False
    )
    assert _broken(graph, rec.proposals, c, "sponsorship") == []
    assert set(rec.proposals["kind"]) <= {"sponsorship"}


@settings(max_examples=20, deadline=None)
@given(graph=orgs, seed=st.integers(0, 5), count=st.integers(1, 10))
def test_approved_pairs_are_commitments_and_declined_never_appear(
    graph: OrgGraph, seed: int, count: int
) -> None:
    free = recommend_pairs(graph, count=count, seed=seed, simulate_metrics=False).proposals
    if len(free) < 2:
        return
    approved = (free["a"].iloc[-1], free["b"].iloc[-1])
    declined = (free["a"].iloc[0], free["b"].iloc[0])
    c = Constraints(locked=[approved], declined=[declined])
    rec = recommend_pairs(graph, count=count, constraints=c, seed=seed, simulate_metrics=False)
    pairs = {frozenset(p) for p in zip(rec.proposals["a"], rec.proposals["b"], strict=True)}
    # the approved pair is a commitment: listed, not proposed again, not counted in `count`
    assert frozenset(approved) not in pairs and frozenset(declined) not in pairs
    assert rec.commitments[["a", "b", "status"]].values.tolist() == [[*approved, "pending"]]
    assert len(rec.proposals) <= count
    # and it uses one unit of both people's capacity
    committed = graph.with_ties(
        pd.DataFrame({"source": [approved[0]], "target": [approved[1]], "layer": ["mentoring"]})
    )
    assert _broken(committed, rec.proposals, c, "pair") == []


@settings(max_examples=12, deadline=None)
@given(graph=orgs, seed=st.integers(0, 100))
def test_results_are_deterministic_by_seed(graph: OrgGraph, seed: int) -> None:
    first = recommend_pairs(graph, count=6, seed=seed, simulate_metrics=False)
    second = recommend_pairs(graph, count=6, seed=seed, simulate_metrics=False)
    pd.testing.assert_frame_equal(first.proposals, second.proposals)


def test_an_old_approval_that_breaks_a_rule_never_breaks_a_run() -> None:
    people = pd.DataFrame(
        {
            "person_id": ["a", "b", "c", "d"],
            "manager_id": [None, "a", "b", None],
            "department": ["X", "X", "Y", "Y"],
        }
    )
    graph = OrgGraph.from_frames(people)
    c = Constraints(locked=[("a", "c"), ("a", "b"), ("zed", "d")], cross_department=True)
    rec = recommend_pairs(graph, count=1, constraints=c, simulate_metrics=False)
    table = rec.commitments
    status = {(r.a, r.b): r.status for r in table.itertuples()}
    assert status == {("a", "c"): "pending", ("a", "b"): "pending", ("zed", "d"): "set aside"}
    assert any("zed is no longer in the organisation" in note for note in rec.notes)
    assert any("(a, c) no longer fits" in n and "reporting chain" in n for n in rec.notes)
    assert any("(a, b) no longer fits" in n and "different departments" in n for n in rec.notes)


def test_bad_parameters_are_refused() -> None:
    graph = random_org(0, 8)
    with pytest.raises(ParameterError, match="count"):
        recommend_pairs(graph, count=-1)
    with pytest.raises(ParameterError, match="objective"):
        recommend_pairs(graph, count=1, objective="fastest")
    with pytest.raises(ParameterError, match="max_level_gap"):
        Constraints(min_level_gap=3, max_level_gap=1)
    with pytest.raises(ParameterError, match="not a known person"):
        recommend_pairs(graph, count=1, constraints=Constraints(exclusions=[("P000", "nobody")]))


@settings(max_examples=30, deadline=None)
@given(graph=orgs)
def test_reporting_chain_intervals_match_a_walk(graph: OrgGraph) -> None:
    chains = reporting_chains(graph.ids, graph.people["manager_id"])
    expected = _chain_pairs(graph)
    n = graph.n_people
    i, j = np.triu_indices(n, k=1)
    found = chains.same_chain(i, j)
    ids = graph.ids
    got = {frozenset((ids[x], ids[y])) for x, y in zip(i[found], j[found], strict=True)}
    assert got == expected


def test_cohort_limits_eligibility() -> None:
    graph = random_org(3, 20)
    cohort = list(graph.ids[:6])
    rec = recommend_pairs(
        graph, count=10, constraints=Constraints(cohort=cohort), simulate_metrics=False
    )
    assert set(rec.proposals["a"]) | set(rec.proposals["b"]) <= set(cohort)
