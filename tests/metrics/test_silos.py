"""Silo metrics: grouping, E-I index, group tie matrix, modularity, assortativity.

Known values come from the Krackhardt managers (Krackhardt 1987) and Lazega's law firm
(Lazega 2001); see tests/data/*/SOURCE.md. Everything else is cross-checked against networkx
or a direct count over the edges.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orgbridge.errors import ParameterError
from orgbridge.graph import OrgGraph
from orgbridge.metrics import (
    MISSING_GROUP,
    _silos,
    assortativity,
    ei_index,
    group_ties,
    grouping,
    modularity,
    tie_matrix,
)
from tests.fixtures import krackhardt, lazega, random_org, relabelled, simple_graph, two_silos

RANDOM = [(30, 0.15, 1), (60, 0.08, 2), (45, 0.3, 3), (12, 0.0, 4)]


def labels_of(graph: OrgGraph, group_by: str = "department") -> list[str]:
    return list(grouping(graph, group_by).label_array())


# ---- grouping --------------------------------------------------------------------------------


def test_grouping_makes_missing_values_an_explicit_last_group() -> None:
    people = pd.DataFrame(
        {"person_id": list("abcdef"), "department": ["Ops", None, " Ops", "", "Eng", np.nan]}
    )
    g = grouping(OrgGraph(people))
    assert g.labels == ("Eng", "Ops", MISSING_GROUP)
    assert g.codes.tolist() == [1, 2, 1, 2, 0, 2]
    assert g.sizes.tolist() == [1, 2, 3]


def test_grouping_orders_numbers_numerically_and_labels_whole_floats_as_integers() -> None:
    people = pd.DataFrame({"person_id": list("abcd"), "level": [10.0, 2.0, np.nan, 2.0]})
    g = grouping(OrgGraph(people), "level")
    assert g.labels == ("2", "10", MISSING_GROUP)
    assert g.codes.tolist() == [1, 0, 2, 0]


def test_grouping_by_a_series_keyed_by_person_id() -> None:
    graph = two_silos()
    series = pd.Series({"b4": "x", "a1": "y"} | {p: "z" for p in graph.ids[1:7]}, name="team")
    g = grouping(graph, series)
    assert g.name == "team"
    assert g.label_array().tolist() == ["y", "z", "z", "z", "z", "z", "z", "x"]


def test_grouping_errors_say_what_is_wrong() -> None:
    with pytest.raises(ParameterError, match="no such people attribute"):
        grouping(two_silos(), "division")
    with pytest.raises(ParameterError, match="no label for person"):
        grouping(two_silos(), pd.Series({"a1": "x"}))


# ---- E-I index -------------------------------------------------------------------------------


def test_ei_reproduces_published_values() -> None:
    friendship = ei_index(lazega("friendship"), group_by="office")
    advice = ei_index(lazega("advice"), group_by="office")
    managers = ei_index(krackhardt("advice"))
    assert round(friendship["ei_index"], 4) == -0.6892
    assert round(advice["ei_index"], 4) == -0.5481
    # The CEO (department "0") is a group of one, so all his ties are external.
    assert round(managers["ei_index"], 4) == 0.5172
    assert round(managers["ei_baseline"], 4) == 0.5524
    assert managers["ei_difference"] == pytest.approx(0.5172413793 - 0.5523809524)


def test_ei_two_silos_by_hand() -> None:
    r = ei_index(two_silos())
    assert (r["internal"], r["external"]) == (12, 1)
    assert r["ei_index"] == pytest.approx(-11 / 13)
    # n = 8, two groups of 4: 1 - 2 * (12 + 12) / 56 = 1/7; per group 1 - 2 * 3 / 7 = 1/7
    assert r["ei_baseline"] == pytest.approx(1 / 7)
    table = r.table.set_index("group")
    assert table.loc["A", "ei_index"] == pytest.approx(-5 / 7)
    assert table.loc["B", "ei_baseline"] == pytest.approx(1 / 7)
    weighted = ei_index(two_silos(), weight=True)
    assert (weighted["internal"], weighted["external"]) == (18.0, 3.0)
    assert weighted["ei_index"] == pytest.approx(-15 / 21)
    assert weighted["ei_baseline"] == r["ei_baseline"]
    assert r.parameters == {
        "group_by": "department",
        "layers": ["collaboration", "mentoring", "sponsorship"],
        "weight": False,
    }


@pytest.mark.parametrize(("n", "p", "seed"), RANDOM)
@pytest.mark.parametrize("weight", [False, True])
def test_ei_matches_a_direct_count(n: int, p: float, seed: int, weight: bool) -> None:
    graph = random_org(n, p, seed)
    labels = labels_of(graph)
    nxg = simple_graph(graph)
    internal: dict[str, float] = dict.fromkeys(labels, 0.0)
    external: dict[str, float] = dict.fromkeys(labels, 0.0)
    for u, v, w in nxg.edges(data="weight"):
        amount = w if weight else 1.0
        if labels[u] == labels[v]:
            internal[labels[u]] += amount
        else:
            external[labels[u]] += amount
            external[labels[v]] += amount
    r = ei_index(graph, weight=weight)
    i_total = sum(internal.values())
    e_total = sum(external.values()) / 2
    if i_total + e_total:
        assert r["ei_index"] == pytest.approx((e_total - i_total) / (e_total + i_total))
    else:
        assert np.isnan(r["ei_index"])
    sizes = pd.Series(labels).value_counts()
    base = 1 - 2 * sum(s * (s - 1) for s in sizes) / (n * (n - 1))
    assert r["ei_baseline"] == pytest.approx(base)
    for row in r.table.itertuples():
        assert row.internal == pytest.approx(internal[row.group])
        assert row.external == pytest.approx(external[row.group])
        assert row.ei_baseline == pytest.approx(1 - 2 * (sizes[row.group] - 1) / (n - 1))


# ---- group tie matrix ------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "p", "seed"), RANDOM)
def test_group_ties_match_a_direct_count(n: int, p: float, seed: int) -> None:
    graph = random_org(n, p, seed)
    labels = labels_of(graph)
    order = list(grouping(graph).labels)
    counts: dict[tuple[str, str], int] = {}
    weights: dict[tuple[str, str], float] = {}
    for u, v, w in simple_graph(graph).edges(data="weight"):
        key = tuple(sorted((labels[u], labels[v]), key=order.index))
        counts[key] = counts.get(key, 0) + 1  # type: ignore[index]
        weights[key] = weights.get(key, 0.0) + w  # type: ignore[index]
    sizes = pd.Series(labels).value_counts()
    r = group_ties(graph)
    assert len(r.table) == len(order) * (len(order) + 1) // 2
    for row in r.table.itertuples():
        key = (row.group_a, row.group_b)
        assert row.ties == counts.get(key, 0)
        assert row.tie_weight == pytest.approx(weights.get(key, 0.0))
        if row.group_a == row.group_b:
            pairs = sizes[row.group_a] * (sizes[row.group_a] - 1) // 2
        else:
            pairs = sizes[row.group_a] * sizes[row.group_b]
        assert row.pairs == pairs
        if pairs:
            assert row.density == pytest.approx(counts.get(key, 0) / pairs)
        else:
            assert np.isnan(row.density)
    assert r["ties"] == simple_graph(graph).number_of_edges()
    sparse = group_ties(graph, include_empty=False, weight=True)
    assert len(sparse.table) == len(counts)
    tied = r.table[r.table["ties"] > 0].reset_index(drop=True)
    columns = ["group_a", "group_b", "ties"]
    assert sparse.table[columns].to_numpy().tolist() == tied[columns].to_numpy().tolist()
    assert np.allclose(sparse.table["density"], tied["tie_weight"] / tied["pairs"])


def test_tie_matrix_is_square_and_symmetric() -> None:
    r = group_ties(krackhardt("advice"))
    matrix = tie_matrix(r)
    assert list(matrix.index) == ["0", "1", "2", "3", "4"] == list(matrix.columns)
    assert (matrix.to_numpy() == matrix.to_numpy().T).all()
    assert np.triu(matrix.to_numpy()).sum() == r["ties"] == 145
    assert matrix.loc["0", "4"] == 1
    with pytest.raises(ParameterError):
        tie_matrix(ei_index(two_silos()))


def test_group_ties_refuses_to_list_too_many_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_silos, "MAX_GROUP_PAIRS", 2)
    with pytest.raises(ParameterError, match="include_empty=False"):
        group_ties(krackhardt())
    assert len(group_ties(krackhardt(), include_empty=False).table) == 14


# ---- modularity ------------------------------------------------------------------------------


def test_modularity_reproduces_lazega_advice() -> None:
    assert round(modularity(lazega("advice"), group_by="office")["modularity"], 4) == 0.1809


@pytest.mark.parametrize(
    ("graph", "group_by"),
    [
        (krackhardt("advice"), "department"),
        (krackhardt("friendship"), "level"),
        (lazega("friendship"), "office"),
        (lazega("cowork"), "department"),
        *[(random_org(n, p, s), "department") for n, p, s in RANDOM[:3]],
    ],
)
@pytest.mark.parametrize("weight", [False, True])
@pytest.mark.parametrize("resolution", [1.0, 0.5])
def test_modularity_matches_networkx(
    graph: OrgGraph, group_by: str, weight: bool, resolution: float
) -> None:
    labels = labels_of(graph, group_by)
    parts = [
        {i for i, label in enumerate(labels) if label == group} for group in sorted(set(labels))
    ]
    expected = nx.community.modularity(
        simple_graph(graph), parts, weight="weight" if weight else None, resolution=resolution
    )
    r = modularity(graph, group_by=group_by, weight=weight, resolution=resolution)
    assert r["modularity"] == pytest.approx(expected, abs=1e-12)
    assert r.table["contribution"].sum() == pytest.approx(expected, abs=1e-12)


def test_modularity_without_ties_is_nan() -> None:
    assert np.isnan(modularity(random_org(5, 0.0, 1))["modularity"])


# ---- assortativity ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("graph", "group_by"),
    [
        (krackhardt("advice"), "department"),
        (lazega("friendship"), "office"),
        (lazega("advice"), "status"),
        (two_silos(), "location"),
        *[(random_org(n, p, s), "department") for n, p, s in RANDOM[:3]],
    ],
)
def test_categorical_assortativity_matches_networkx(graph: OrgGraph, group_by: str) -> None:
    nxg = simple_graph(graph)
    nx.set_node_attributes(nxg, dict(enumerate(labels_of(graph, group_by))), "group")
    expected = nx.attribute_assortativity_coefficient(nxg, "group")
    assert assortativity(graph, group_by=group_by)["assortativity"] == pytest.approx(expected)


@pytest.mark.parametrize(
    ("graph", "attribute"),
    [
        (krackhardt("advice"), "age"),
        (krackhardt("friendship"), "level"),
        (lazega("advice"), "years_with_firm"),
        *[(random_org(n, p, s), "level") for n, p, s in RANDOM[:3]],
    ],
)
def test_numeric_assortativity_matches_networkx(graph: OrgGraph, attribute: str) -> None:
    nxg = simple_graph(graph)
    values = graph.people[attribute].to_numpy()
    nx.set_node_attributes(nxg, {i: int(v) for i, v in enumerate(values)}, "x")
    expected = nx.numeric_assortativity_coefficient(nxg, "x")
    r = assortativity(graph, group_by=attribute, numeric=True)
    assert r["assortativity"] == pytest.approx(expected)
    assert r["kind"] == "numeric"


@pytest.mark.parametrize("numeric", [False, True])
def test_weighted_assortativity_equals_parallel_edges(numeric: bool) -> None:
    graph = random_org(40, 0.15, 9)
    multi = nx.MultiGraph()
    multi.add_nodes_from(range(graph.n_people))
    for u, v, w in simple_graph(graph).edges(data="weight"):
        multi.add_edges_from([(u, v)] * int(w))
    if numeric:
        nx.set_node_attributes(multi, dict(enumerate(graph.people["level"].tolist())), "x")
        expected = nx.numeric_assortativity_coefficient(multi, "x")
        got = assortativity(graph, group_by="level", weight=True, numeric=True)
    else:
        nx.set_node_attributes(multi, dict(enumerate(labels_of(graph))), "x")
        expected = nx.attribute_assortativity_coefficient(multi, "x")
        got = assortativity(graph, weight=True)
    assert got["assortativity"] == pytest.approx(expected)


def test_numeric_assortativity_skips_missing_and_refuses_text() -> None:
    graph = two_silos()
    people = graph.people.assign(score=[1.0, 2.0, None, 4.0, 5.0, 6.0, 7.0, 8.0])
    r = assortativity(graph.with_people(people), group_by="score", numeric=True)
    assert r["ties_used"] == 13 - 3  # a3 has three ties
    with pytest.raises(ParameterError, match="needs numbers"):
        assortativity(graph, group_by="department", numeric=True)


# ---- relabelling people changes nothing ------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(2, 25),
    p=st.floats(0.0, 0.6),
    seed=st.integers(0, 10_000),
    weight=st.booleans(),
)
def test_relabelling_people_changes_no_group_result(
    n: int, p: float, seed: int, weight: bool
) -> None:
    graph = random_org(n, p, seed)
    other, _, _ = relabelled(graph, seed + 1)
    for metric in (ei_index, group_ties, modularity, assortativity):
        a, b = metric(graph, weight=weight), metric(other, weight=weight)
        pd.testing.assert_frame_equal(a.table, b.table, check_exact=False)
        for key in a.values:
            assert a.values[key] == pytest.approx(b.values[key], nan_ok=True)
        assert a.parameters == b.parameters


# ---- every silo, brokerage and community metric, on every fixture ----------------------------


def all_metrics() -> dict[str, object]:
    from orgbridge import metrics

    names = [
        "ei_index",
        "group_ties",
        "modularity",
        "assortativity",
        "communities",
        "betweenness",
        "constraint",
        "effective_size",
        "groups_tied",
        "bridging_points",
    ]
    return {name: getattr(metrics, name) for name in names}


EMPTY = pd.DataFrame({"person_id": pd.Series([], dtype=str), "department": []})
NO_TIES = pd.DataFrame({"person_id": ["a", "b", "c"], "department": ["x", "y", None]})


@pytest.mark.parametrize("metric", list(all_metrics()))
@pytest.mark.parametrize(
    "graph",
    [two_silos(), krackhardt("friendship"), lazega("cowork"), OrgGraph(EMPTY), OrgGraph(NO_TIES)],
    ids=["two-silos", "krackhardt", "lazega", "empty", "no-ties"],
)
def test_every_metric_returns_a_named_result_keyed_by_person_or_group(
    metric: str, graph: OrgGraph
) -> None:
    result = all_metrics()[metric](graph)  # type: ignore[operator]
    assert result.name == metric
    assert "layers" in result.parameters
    table = result.table
    if "person_id" in table.columns:
        assert table["person_id"].tolist() == list(graph.ids)
    elif metric == "group_ties":
        assert {"group_a", "group_b"} <= set(table.columns)
    elif metric == "bridging_points":
        assert list(table.columns) == ["group_a", "group_b", "ties", "via", "bridges"]
    else:
        assert table["group"].tolist() == list(grouping(graph).labels)
    assert result.to_dict()["name"] == metric
