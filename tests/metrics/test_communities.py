"""Leiden communities and their comparison with the formal grouping (NMI, ARI).

NMI and ARI are cross-checked against scikit-learn (installed with vivainsights, used here only),
community modularity against networkx.
"""

from __future__ import annotations

import random

import igraph as ig
import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from orgbridge.errors import ParameterError
from orgbridge.metrics import (
    adjusted_rand_index,
    communities,
    modularity,
    normalized_mutual_information,
)
from tests.fixtures import krackhardt, lazega, random_org, simple_graph, star_leader, two_silos

labelings = st.integers(1, 60).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 6), min_size=n, max_size=n),
        st.lists(st.integers(0, 9), min_size=n, max_size=n),
    )
)


@settings(max_examples=200, deadline=None)
@given(labelings)
def test_nmi_and_ari_match_scikit_learn(pair: tuple[list[int], list[int]]) -> None:
    a, b = pair
    assert normalized_mutual_information(a, b) == pytest.approx(
        normalized_mutual_info_score(a, b), abs=1e-12
    )
    assert adjusted_rand_index(a, b) == pytest.approx(adjusted_rand_score(a, b), abs=1e-12)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ([0, 0, 0], [1, 1, 1]),  # one cluster each
        ([0, 1, 2], [5, 6, 7]),  # all singletons
        ([0, 0, 1, 1], [0, 1, 2, 3]),
        (["x", "y", "x", "y"], ["p", "p", "q", "q"]),
    ],
)
def test_nmi_and_ari_degenerate_cases_follow_scikit_learn(a: list[object], b: list[object]) -> None:
    assert normalized_mutual_information(a, b) == pytest.approx(normalized_mutual_info_score(a, b))
    assert adjusted_rand_index(a, b) == pytest.approx(adjusted_rand_score(a, b))


def test_ari_does_not_overflow_on_a_million_people() -> None:
    rng = np.random.default_rng(0)
    a = rng.integers(0, 50, 1_000_000)
    b = np.where(rng.random(1_000_000) < 0.9, a, rng.integers(0, 50, 1_000_000))
    assert adjusted_rand_index(a, b) == pytest.approx(adjusted_rand_score(a, b))
    assert normalized_mutual_information(a, b) == pytest.approx(normalized_mutual_info_score(a, b))


def test_labelings_of_different_length_are_refused() -> None:
    with pytest.raises(ParameterError, match="differ in length"):
        adjusted_rand_index([0, 1], [0, 1, 2])


def test_two_silos_are_found_exactly() -> None:
    r = communities(two_silos(), seed=3)
    assert r["count"] == 2 and r["sizes"] == [4, 4]
    assert r["nmi"] == 1.0 and r["ari"] == 1.0
    assert r["modularity"] == pytest.approx(modularity(two_silos())["modularity"])
    assert r.table["community"].tolist() == [0, 0, 0, 0, 1, 1, 1, 1]


def test_isolates_are_communities_of_one() -> None:
    r = communities(star_leader())
    assert r["singletons"] == 1 and r["count"] == 2 and r["sizes"] == [5, 1]
    assert r.table.set_index("person_id").loc["p5", "community"] == 1


@pytest.mark.parametrize(
    ("graph", "group_by"),
    [
        (lazega("advice"), "office"),
        (lazega("friendship"), "office"),
        (krackhardt("advice"), "department"),
        (random_org(120, 0.05, 3), "department"),
    ],
)
@pytest.mark.parametrize("weight", [False, True])
def test_communities_are_consistent_with_networkx_and_scikit_learn(
    graph: object, group_by: str, weight: bool
) -> None:
    r = communities(graph, group_by=group_by, weight=weight, seed=5)  # type: ignore[arg-type]
    table = r.table
    parts = [set(np.flatnonzero(table["community"] == c)) for c in range(r["count"])]
    assert [len(p) for p in parts] == r["sizes"] == sorted(r["sizes"], reverse=True)
    nxg = simple_graph(graph)  # type: ignore[arg-type]
    expected_q = nx.community.modularity(nxg, parts, weight="weight" if weight else None)
    assert r["modularity"] == pytest.approx(expected_q)
    formal = modularity(graph, group_by=group_by, weight=weight)  # type: ignore[arg-type]
    # Leiden optimises modularity: it beats the formal partition on these graphs.
    assert r["modularity"] > formal["modularity"]
    assert r["nmi"] == pytest.approx(
        normalized_mutual_info_score(table["group"], table["community"])
    )
    assert r["ari"] == pytest.approx(adjusted_rand_score(table["group"], table["community"]))
    assert r.parameters["seed"] == 5 and r.parameters["group_by"] == group_by


def test_the_seed_decides_the_result_and_igraph_gets_its_generator_back() -> None:
    graph = random_org(150, 0.04, 8)
    first = communities(graph, seed=1)
    random.seed(12345)  # communities must not depend on the global state...
    again = communities(graph, seed=1)
    assert first.table.equals(again.table) and first.values == again.values
    # ...and afterwards igraph draws from Python's random module again.
    random.seed(7)
    a = ig.Graph.Erdos_Renyi(n=30, p=0.2).get_edgelist()
    random.seed(7)
    b = ig.Graph.Erdos_Renyi(n=30, p=0.2).get_edgelist()
    assert a == b
