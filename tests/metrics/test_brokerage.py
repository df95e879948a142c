"""Brokerage: betweenness, constraint, effective size, groups tied, single points of bridging.

Cross-checked against networkx on the Krackhardt managers (Krackhardt 1987), Lazega's law firm
(Lazega 2001) and G(n, p) graphs, and against hand counts on the tiny fixtures.
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
    _brokerage,
    betweenness,
    bridging_points,
    constraint,
    effective_size,
    grouping,
    groups_tied,
)
from orgbridge.metrics._dependency import source_dependencies
from tests.fixtures import (
    krackhardt,
    lazega,
    random_org,
    relabelled,
    simple_graph,
    star_leader,
    two_silos,
)

GRAPHS = {
    "krackhardt-advice": lambda: krackhardt("advice"),
    "krackhardt-friendship": lambda: krackhardt("friendship"),
    "lazega-advice": lambda: lazega("advice"),
    "lazega-friendship": lambda: lazega("friendship"),
    "two-silos": two_silos,
    "star-leader": star_leader,
    "gnp-30": lambda: random_org(30, 0.1, 1),
    "gnp-80": lambda: random_org(80, 0.05, 2),
    "gnp-50-dense": lambda: random_org(50, 0.3, 3),
}


def by_position(values: dict[int, float], n: int) -> np.ndarray:
    return np.array([values[i] for i in range(n)], dtype=float)


# ---- betweenness -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", GRAPHS)
@pytest.mark.parametrize("weight", [False, True])
@pytest.mark.parametrize("normalized", [True, False])
def test_exact_betweenness_matches_networkx(name: str, weight: bool, normalized: bool) -> None:
    graph = GRAPHS[name]()
    expected = nx.betweenness_centrality(
        simple_graph(graph), normalized=normalized, weight="length" if weight else None
    )
    r = betweenness(graph, weight=weight, normalized=normalized)
    assert r["exact"] and r["samples"] == graph.n_people
    assert np.allclose(r.table["betweenness"], by_position(expected, graph.n_people))
    assert (r.table["betweenness_se"] == 0).all()
    assert r.table["person_id"].tolist() == list(graph.ids)


def test_betweenness_by_hand_on_two_silos() -> None:
    # a1 and b1 carry every path between the silos: 3 * 4 pairs each through a1 (a2..a4 to
    # b1..b4), and the same for b1; normalised by (n - 1)(n - 2) / 2 = 21 unordered pairs.
    r = betweenness(two_silos(), normalized=False).table.set_index("person_id")["betweenness"]
    assert r["a1"] == r["b1"] == 12.0
    assert (r.drop(["a1", "b1"]) == 0).all()
    normal = betweenness(two_silos()).table.set_index("person_id")["betweenness"]
    assert normal["a1"] == pytest.approx(12 / 21)


@pytest.mark.parametrize("name", ["krackhardt-advice", "lazega-advice", "gnp-80", "star-leader"])
@pytest.mark.parametrize("normalized", [True, False])
@pytest.mark.parametrize("samples", [1, 4, 15])
def test_sampled_betweenness_equals_networkx_with_the_same_seed(
    name: str, normalized: bool, samples: int
) -> None:
    graph = GRAPHS[name]()
    samples = min(samples, graph.n_people - 1)
    expected = nx.betweenness_centrality(
        simple_graph(graph), k=samples, normalized=normalized, seed=11
    )
    r = betweenness(graph, exact_max=0, samples=samples, seed=11, normalized=normalized)
    assert not r["exact"]
    assert r.parameters["method"].startswith("sampled")
    assert r.parameters["seed"] == 11 and r.parameters["samples"] == samples
    got = r.table["betweenness"].to_numpy()
    assert np.allclose(got, by_position(expected, graph.n_people), equal_nan=True)


@pytest.mark.parametrize("name", ["krackhardt-advice", "gnp-80"])
def test_weighted_sampled_betweenness_equals_networkx_with_the_same_seed(name: str) -> None:
    graph = GRAPHS[name]()
    expected = nx.betweenness_centrality(simple_graph(graph), k=9, seed=3, weight="length")
    r = betweenness(graph, exact_max=0, samples=9, seed=3, weight=True)
    assert np.allclose(r.table["betweenness"], by_position(expected, graph.n_people))


def test_each_sources_dependencies_equal_a_plain_brandes_pass() -> None:
    """Many sources at once (more than one block, on a sparse graph in several pieces)
    against a plain single-source Brandes pass over networkx's adjacency."""
    graph = random_org(120, 0.02, 7)
    simple = simple_graph(graph)
    sources = np.arange(0, 120, 3)  # 40 sources: three blocks
    found = source_dependencies(graph.adjacency(), sources)
    assert found.shape == (120, 40)
    for column, source in enumerate(sources.tolist()):
        order, predecessors, paths = _shortest_paths(simple, source)
        delta = dict.fromkeys(order, 0.0)
        for w in reversed(order):
            for v in predecessors[w]:
                delta[v] += paths[v] / paths[w] * (1.0 + delta[w])
        expected = np.zeros(120)
        for v, value in delta.items():
            if v != source:
                expected[v] = value
        assert np.allclose(found[:, column], expected), source


def _shortest_paths(
    simple: nx.Graph, source: int
) -> tuple[list[int], dict[int, list[int]], dict[int, float]]:
    """BFS order, predecessors and shortest-path counts from ``source`` (Brandes 2001)."""
    order, predecessors, paths, level = [], {source: []}, {source: 1.0}, {source: 0}
    queue = [source]
    while queue:
        v = queue.pop(0)
        order.append(v)
        for w in simple[v]:
            if w not in level:
                level[w], paths[w], predecessors[w] = level[v] + 1, 0.0, []
                queue.append(w)
            if level[w] == level[v] + 1:
                paths[w] += paths[v]
                predecessors[w].append(v)
    return order, predecessors, paths


def test_sampled_betweenness_is_unbiased_and_its_error_matches_the_spread() -> None:
    graph = random_org(300, 0.03, 5)
    exact = betweenness(graph).table["betweenness"].to_numpy()
    runs = [betweenness(graph, exact_max=100, samples=60, seed=seed) for seed in range(20)]
    estimates = np.array([r.table["betweenness"].to_numpy() for r in runs])
    errors = np.array([r.table["betweenness_se"].to_numpy() for r in runs])
    assert all(r["max_se"] == pytest.approx(e.max()) for r, e in zip(runs, errors, strict=True))
    spread = estimates.std(axis=0, ddof=1)
    brokers = exact >= np.quantile(exact, 0.75)
    # The stated error is the size of the seed-to-seed spread...
    assert (spread[brokers] / errors.mean(axis=0)[brokers]).mean() == pytest.approx(1.0, abs=0.25)
    # ...and the estimates centre on the exact values.
    centred = np.abs(estimates.mean(axis=0) - exact) <= 4 * spread / np.sqrt(20) + 1e-12
    assert centred[exact > 0].mean() >= 0.95


def test_betweenness_uses_exact_values_when_the_sample_covers_everyone() -> None:
    graph = lazega("advice")
    r = betweenness(graph, exact_max=10, samples=500)
    assert r["exact"]
    assert np.allclose(r.table["betweenness"], betweenness(graph).table["betweenness"])


def test_by_default_beyond_the_bound_the_sources_fill_the_work_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The default draws as many sources as fit SAMPLE_WORK, and its estimate is networkx's
    with that many sources and the same seed."""
    graph = GRAPHS["gnp-80"]()
    visits = graph.n_people + graph.adjacency().nnz
    monkeypatch.setattr(_brokerage, "SAMPLE_WORK", 45 * visits + visits // 2)
    r = betweenness(graph, exact_max=0, seed=5)
    assert r["samples"] == 45 and not r["exact"] and r.parameters["samples"] is None
    expected = nx.betweenness_centrality(simple_graph(graph), k=45, seed=5)
    assert np.allclose(r.table["betweenness"], by_position(expected, graph.n_people))
    # a budget that covers everyone gives the exact values; a tiny one still SAMPLES sources
    monkeypatch.setattr(_brokerage, "SAMPLE_WORK", 10**12)
    exact = betweenness(graph, exact_max=0)
    assert exact["exact"] and exact["samples"] == graph.n_people
    assert np.allclose(
        exact.table["betweenness"],
        by_position(nx.betweenness_centrality(simple_graph(graph)), graph.n_people),
    )
    monkeypatch.setattr(_brokerage, "SAMPLE_WORK", 1)
    assert betweenness(graph, exact_max=0)["samples"] == _brokerage.SAMPLES


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 10**7), st.integers(0, 10**9))
def test_the_default_sample_fits_the_work_and_the_table_or_is_the_least(
    people: int, entries: int
) -> None:
    k = _brokerage.default_samples(people, entries)
    assert 1 <= k <= people
    least = min(people, _brokerage.SAMPLES)
    assert k >= least
    if k > least:  # more than the least only while it fits both bounds
        assert k * (people + entries) <= _brokerage.SAMPLE_WORK
        assert k * people <= _brokerage.SAMPLE_CELLS
    # more ties never means more sources
    assert _brokerage.default_samples(people, entries + people) <= k


def test_betweenness_checks_its_parameters() -> None:
    with pytest.raises(ParameterError, match="samples"):
        betweenness(two_silos(), samples=0)
    with pytest.raises(ParameterError, match="exact_max"):
        betweenness(two_silos(), exact_max=-1)


# ---- constraint and effective size -----------------------------------------------------------


@pytest.mark.parametrize("name", GRAPHS)
@pytest.mark.parametrize("weight", [False, True])
def test_constraint_matches_networkx(name: str, weight: bool) -> None:
    graph = GRAPHS[name]()
    expected = nx.constraint(simple_graph(graph), weight="weight" if weight else None)
    r = constraint(graph, weight=weight)
    assert np.allclose(r.table["constraint"], by_position(expected, graph.n_people), equal_nan=True)


@pytest.mark.parametrize("name", GRAPHS)
@pytest.mark.parametrize("weight", [False, True])
def test_effective_size_matches_networkx(name: str, weight: bool) -> None:
    graph = GRAPHS[name]()
    nxg = simple_graph(graph)
    # nodes=... selects networkx's per-node path: its whole-graph sparse path divides by the
    # wrong row maxima on weighted graphs (networkx PR #8906).
    expected = nx.effective_size(nxg, nodes=list(nxg), weight="weight" if weight else None)
    r = effective_size(graph, weight=weight)
    assert np.allclose(
        r.table["effective_size"], by_position(expected, graph.n_people), equal_nan=True
    )
    degree = np.array([nxg.degree(i) for i in range(graph.n_people)], dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        assert np.allclose(
            r.table["efficiency"], r.table["effective_size"] / degree, equal_nan=True
        )


def test_constraint_and_effective_size_by_hand() -> None:
    star = star_leader()
    es = effective_size(star).table.set_index("person_id")["effective_size"]
    c = constraint(star).table.set_index("person_id")["constraint"]
    assert es["L"] == 4.0 and es["p1"] == 1.0 and np.isnan(es["p5"])
    assert c["L"] == pytest.approx(4 * (1 / 4) ** 2) and c["p1"] == 1.0 and np.isnan(c["p5"])
    # In a clique of four each contact is fully redundant but one: 3 - 2 * 3 / 3 = 1.
    silo = effective_size(two_silos()).table.set_index("person_id")["effective_size"]
    assert silo["a2"] == pytest.approx(1.0)
    assert silo["a1"] == pytest.approx(4 - 2 * 3 / 4)


def test_unweighted_effective_size_from_triangles_matches_networkx() -> None:
    # Unweighted effective size comes from igraph's triangle counts, not the sparse product:
    # repeated ties, both directions, several layers, self-loops and isolated people must
    # count as one undirected contact each, as in networkx on the simple graph.
    rng = np.random.default_rng(11)
    n = 60
    src, dst = rng.integers(0, n - 5, 400), rng.integers(0, n - 5, 400)
    people = pd.DataFrame({"person_id": [f"p{i}" for i in range(n)]})
    ties = pd.DataFrame(
        {
            "source": [f"p{i}" for i in src],
            "target": [f"p{j}" for j in dst],
            "layer": rng.choice(["collaboration", "mentoring"], 400),
        }
    )
    graph = OrgGraph.from_frames(people, ties)
    nxg = nx.Graph()
    nxg.add_nodes_from(range(n))
    nxg.add_edges_from((int(i), int(j)) for i, j in zip(src, dst, strict=True) if i != j)
    expected = nx.effective_size(nxg, nodes=list(nxg))
    got = effective_size(graph).table["effective_size"].to_numpy()
    assert np.isnan(got[-5:]).all()
    assert np.allclose(got, by_position(expected, n), equal_nan=True, rtol=0, atol=1e-12)


def test_effective_size_is_the_same_in_small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    graph = random_org(120, 0.08, 7)
    whole = effective_size(graph, weight=True).table
    monkeypatch.setattr(_brokerage, "_CHUNK_ENTRIES", 50)
    assert len(_brokerage._row_chunks(np.full(120, 10.0))) > 10
    pd.testing.assert_frame_equal(effective_size(graph, weight=True).table, whole)


# ---- groups tied -----------------------------------------------------------------------------


def test_groups_tied_by_hand() -> None:
    r = groups_tied(star_leader()).table.set_index("person_id")
    assert r["groups_tied"].to_dict() == {"L": 2, "p1": 1, "p2": 1, "p3": 1, "p4": 1, "p5": 0}
    assert r.loc["L", "external_ties"] == 4 and r.loc["p5", "ties"] == 0
    silos = groups_tied(two_silos())
    assert silos["share_tied_to_none"] == 6 / 8
    assert silos.parameters == {
        "group_by": "department",
        "layers": ["collaboration", "mentoring", "sponsorship"],
    }


@pytest.mark.parametrize(
    "name", ["krackhardt-advice", "lazega-friendship", "gnp-80", "gnp-300-many-groups"]
)
def test_groups_tied_matches_a_direct_count(name: str) -> None:
    if name == "gnp-300-many-groups":
        graph = random_org(300, 0.05, 4, n_departments=200)
    else:
        graph = GRAPHS[name]()
    labels = grouping(graph).label_array()
    nxg = simple_graph(graph)
    r = groups_tied(graph)
    for i in range(graph.n_people):
        others = [labels[j] for j in nxg[i] if labels[j] != labels[i]]
        assert r.table.loc[i, "groups_tied"] == len(set(others))
        assert r.table.loc[i, "external_ties"] == len(others)
        assert r.table.loc[i, "ties"] == nxg.degree(i)


# ---- single points of bridging ---------------------------------------------------------------


def test_bridging_points_by_hand() -> None:
    silos = bridging_points(two_silos())
    assert silos.table.to_dict(orient="records") == [
        {"group_a": "A", "group_b": "B", "ties": 1, "via": "one tie", "bridges": ("a1", "b1")}
    ]
    star = bridging_points(star_leader()).table
    assert star[["group_a", "group_b", "ties", "via", "bridges"]].values.tolist() == [
        ["Exec", "Ops", 2, "one person", ("L",)],
        ["Exec", "Sales", 2, "one person", ("L",)],
    ]
    # The Krackhardt CEO (department "0") is the only person in his group.
    ceo = bridging_points(krackhardt("advice"))
    assert set(ceo.table["group_a"]) == {"0"}
    assert ceo["single_tie_pairs"] == 1 and ceo["single_person_pairs"] == 3


@pytest.mark.parametrize("seed", range(6))
def test_bridging_points_match_a_direct_search(seed: int) -> None:
    graph = random_org(40, 0.04, seed, n_departments=6)
    labels = grouping(graph).label_array()
    ids = list(graph.ids)
    between: dict[tuple[str, str], list[tuple[int, int]]] = {}
    order = list(grouping(graph).labels)
    for u, v in simple_graph(graph).edges():
        if labels[u] == labels[v]:
            continue
        if order.index(labels[u]) > order.index(labels[v]):
            u, v = v, u
        between.setdefault((labels[u], labels[v]), []).append((u, v))
    expected = {}
    for pair, ties in between.items():
        ends_a, ends_b = {a for a, _ in ties}, {b for _, b in ties}
        people = [ids[next(iter(e))] for e in (ends_a, ends_b) if len(e) == 1]
        if people:
            expected[pair] = (len(ties), tuple(people))
    r = bridging_points(graph)
    got = {(row.group_a, row.group_b): (row.ties, row.bridges) for row in r.table.itertuples()}
    assert got == expected
    assert r["tied_group_pairs"] == len(between)
    assert list(r.table["ties"]) == sorted(r.table["ties"])


def test_bridging_points_with_many_groups_use_the_sorted_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    graph = random_org(60, 0.05, 3, n_departments=8)
    dense = bridging_points(graph).table
    monkeypatch.setattr(_brokerage, "_DENSE_PAIR_SLOTS", 1)
    pd.testing.assert_frame_equal(bridging_points(graph).table, dense)


# ---- relabelling people permutes per-person results -----------------------------------------


@settings(max_examples=30, deadline=None)
@given(n=st.integers(3, 25), p=st.floats(0.0, 0.6), seed=st.integers(0, 10_000))
def test_relabelling_people_permutes_per_person_results(n: int, p: float, seed: int) -> None:
    graph = random_org(n, p, seed)
    other, order, rename = relabelled(graph, seed + 1)
    for metric, weight in (
        (betweenness, False),
        (betweenness, True),
        (constraint, True),
        (effective_size, False),
        (effective_size, True),
        (groups_tied, None),
    ):
        kwargs = {} if weight is None else {"weight": weight}
        a = metric(graph, **kwargs)  # type: ignore[operator]
        b = metric(other, **kwargs)  # type: ignore[operator]
        expected = a.table.iloc[order].reset_index(drop=True)
        expected["person_id"] = expected["person_id"].map(rename)
        pd.testing.assert_frame_equal(b.table, expected, check_exact=False)
        for key, value in a.values.items():
            assert b.values[key] == pytest.approx(value, nan_ok=True)
    a_bridges = bridging_points(graph).table
    b_bridges = bridging_points(other).table
    a_bridges["bridges"] = [tuple(sorted(rename[x] for x in t)) for t in a_bridges["bridges"]]
    b_bridges["bridges"] = [tuple(sorted(t)) for t in b_bridges["bridges"]]
    pd.testing.assert_frame_equal(a_bridges, b_bridges)


def test_metrics_record_their_parameters() -> None:
    graph: OrgGraph = lazega("advice")
    r = betweenness(graph, layers="collaboration", weight=True, seed=4)
    assert r.name == "betweenness"
    assert r.parameters["layers"] == ["collaboration"]
    assert r.parameters["weight"] is True and r.parameters["exact_max"] == 5_000
    assert constraint(graph).parameters == {
        "layers": ["collaboration", "mentoring", "sponsorship"],
        "weight": False,
    }
