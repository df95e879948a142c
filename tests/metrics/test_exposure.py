"""Leadership exposure: hops, leaders within k hops, personalised PageRank, cascade access."""

from __future__ import annotations

import csv
from collections import defaultdict

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from orgbridge.errors import GraphError, ParameterError
from orgbridge.graph import OrgGraph
from orgbridge.metrics import _exposure
from orgbridge.metrics._bfs import multi_source_bfs, neighbours_of
from orgbridge.metrics._exposure import (
    access_probability,
    exposure,
    leader_distance,
    leader_pagerank,
    leader_reach,
)
from tests.fixtures import DATA, krackhardt, star_leader


def random_org(n: int, m: int, leader_share: float, seed: int) -> OrgGraph:
    """n people, m random collaboration ties (loops and repeats allowed), random leaders."""
    rng = np.random.default_rng(seed)
    people = pd.DataFrame(
        {
            "person_id": [f"p{i}" for i in range(n)],
            "department": rng.choice(["A", "B", "C"], size=n),
            "is_leader": rng.random(n) < leader_share,
        }
    )
    if not people["is_leader"].any():
        people.loc[0, "is_leader"] = True
    ties = pd.DataFrame(
        {
            "source": rng.integers(0, n, m).astype(np.int32),
            "target": rng.integers(0, n, m).astype(np.int32),
            "layer": "collaboration",
        }
    )
    return OrgGraph(people, ties)


def nx_graph(graph: OrgGraph, layers: str | None = None) -> nx.Graph:
    """Undirected simple networkx graph of the chosen layers, built from the tie table."""
    g = nx.Graph()
    g.add_nodes_from(graph.ids)
    chosen = graph.tie_table(layers)
    g.add_edges_from(
        (s, t) for s, t in zip(chosen["source"], chosen["target"], strict=True) if s != t
    )
    return g


def leader_ids(graph: OrgGraph) -> list[str]:
    return list(graph.ids[graph.leader_mask()])


def four_person_org() -> OrgGraph:
    people = pd.DataFrame(
        {"person_id": ["ceo", "ana", "bo", "cy"], "is_leader": [True, False, False, False]}
    )
    ties = pd.DataFrame(
        {"source": ["ceo", "ana"], "target": ["ana", "bo"], "layer": "collaboration"}
    )
    return OrgGraph.from_frames(people, ties)


# ---- hops to the nearest leader ------------------------------------------------------------


def test_hops_on_a_path_with_an_isolate() -> None:
    result = leader_distance(four_person_org())
    table = result.table
    assert table["person_id"].tolist() == ["ceo", "ana", "bo", "cy"]
    assert table["hops_to_leader"].tolist()[:3] == [0, 1, 2]
    assert table["hops_to_leader"].isna().tolist() == [False, False, False, True]
    assert table["reachable"].tolist() == [True, True, True, False]
    assert str(table["hops_to_leader"].dtype) == "Int32"
    assert result.name == "leader_distance"
    assert result.parameters == {
        "layers": ["collaboration", "mentoring", "sponsorship"],
        "leaders": "is_leader",
    }
    # over non-leaders: ana (1) and bo (2) reach the ceo, cy does not
    assert result["n_reachable"] == 2
    assert result["mean_hops"] == pytest.approx(1.5)


@pytest.mark.parametrize("seed", range(6))
def test_hops_match_networkx_multi_source(seed: int) -> None:
    graph = random_org(300, 260 + 40 * seed, 0.03, seed)
    expected = nx.multi_source_dijkstra_path_length(nx_graph(graph), set(leader_ids(graph)))
    table = leader_distance(graph).table.set_index("person_id")
    for person in graph.ids:
        if person in expected:
            assert table.loc[person, "hops_to_leader"] == expected[person]
            assert table.loc[person, "reachable"]
        else:
            assert pd.isna(table.loc[person, "hops_to_leader"])
            assert not table.loc[person, "reachable"]


def test_bfs_both_step_kinds_match_scipy() -> None:
    # Dense enough that frontiers exceed the SpMV threshold, big enough for the no-sort dedupe.
    rng = np.random.default_rng(7)
    n, m = 20_000, 60_000
    s, t = rng.integers(0, n, m), rng.integers(0, n, m)
    a = sp.csr_matrix((np.ones(2 * m), (np.r_[s, t], np.r_[t, s])), shape=(n, n))
    a.setdiag(0)
    a.eliminate_zeros()
    sources = rng.choice(n, 5, replace=False)
    got = multi_source_bfs(a, sources)
    ref = sp.csgraph.shortest_path(a, unweighted=True, indices=sources).min(axis=0)
    np.testing.assert_array_equal(got, np.where(np.isinf(ref), -1, ref))
    assert got.max() >= 4  # several levels ran


@pytest.mark.parametrize("m", [300, 3000, 30_000])
def test_bfs_follows_entry_direction(m: int) -> None:
    # an asymmetric matrix (one cascade run's live tie directions): steps go u -> v only
    rng = np.random.default_rng(m)
    n = 2000
    a = sp.csr_matrix((np.ones(m), (rng.integers(0, n, m), rng.integers(0, n, m))), shape=(n, n))
    sources = rng.choice(n, 3, replace=False)
    ref = sp.csgraph.shortest_path(a, directed=True, unweighted=True, indices=sources).min(axis=0)
    got = multi_source_bfs(a, sources)
    np.testing.assert_array_equal(got, np.where(np.isinf(ref), -1, ref))


def test_bfs_on_a_long_path_and_max_depth() -> None:
    n = 5000
    a = sp.diags([np.ones(n - 1), np.ones(n - 1)], [1, -1], format="csr")
    assert multi_source_bfs(a, np.array([0])).tolist() == list(range(n))
    capped = multi_source_bfs(a, np.array([0]), max_depth=3)
    assert capped[:5].tolist() == [0, 1, 2, 3, -1]


def test_neighbours_of_concatenates_adjacency_lists() -> None:
    a = sp.csr_matrix(np.array([[0, 1, 1], [1, 0, 0], [1, 0, 0]]))
    assert sorted(neighbours_of(a.indptr, a.indices, np.array([0, 1])).tolist()) == [0, 1, 2]
    assert neighbours_of(a.indptr, a.indices, np.array([], dtype=np.int64)).size == 0


def test_reporting_line_only_when_asked() -> None:
    graph = star_leader()  # p5 has no mentoring tie but reports to L
    informal = leader_distance(graph).table.set_index("person_id")
    formal = leader_distance(graph, layers="mentoring,reports_to").table.set_index("person_id")
    assert not informal.loc["p5", "reachable"]
    assert formal.loc["p5", "hops_to_leader"] == 1


def test_leaders_by_id_override_the_attribute() -> None:
    table = leader_distance(four_person_org(), leaders=["bo"]).table
    assert table["hops_to_leader"].tolist()[:3] == [2, 1, 0]
    with pytest.raises(GraphError):
        leader_distance(four_person_org(), leaders=["nobody"])


def test_no_leaders_is_an_error() -> None:
    graph = four_person_org()
    with pytest.raises(ParameterError, match="no leaders"):
        exposure(graph, leaders=[])


# ---- distinct leaders within 1 and 2 hops -------------------------------------------------


def networkx_reach(g: nx.Graph, leaders: set[str], person: str, k: int) -> int:
    near = nx.single_source_shortest_path_length(g, person, cutoff=k)
    return len((set(near) - {person}) & leaders)


@pytest.mark.parametrize("seed", range(5))
def test_leaders_within_k_match_networkx(seed: int) -> None:
    graph = random_org(200, 300, 0.15, 100 + seed)
    g, leaders = nx_graph(graph), set(leader_ids(graph))
    table = leader_reach(graph).table.set_index("person_id")
    for person in graph.ids:
        assert table.loc[person, "leaders_within_1_hop"] == networkx_reach(g, leaders, person, 1)
        assert table.loc[person, "leaders_within_2_hops"] == networkx_reach(g, leaders, person, 2)


def test_leaders_within_2_hops_chunked_equals_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    graph = random_org(500, 1500, 0.1, 3)
    whole = leader_reach(graph).table
    monkeypatch.setattr(_exposure, "_CHUNK_NONZEROS", 7)
    fresh = OrgGraph(graph.people, graph.explicit_ties())
    chunked = leader_reach(fresh).table
    pd.testing.assert_frame_equal(whole, chunked)


def test_leader_does_not_count_themself() -> None:
    # two leaders joined by one tie: each has exactly one other leader within 1 and 2 hops
    people = pd.DataFrame({"person_id": ["x", "y", "z"], "is_leader": [True, True, False]})
    ties = pd.DataFrame({"source": ["x", "y"], "target": ["y", "z"], "layer": "mentoring"})
    table = leader_reach(OrgGraph.from_frames(people, ties)).table
    assert table["leaders_within_1_hop"].tolist() == [1, 1, 1]
    assert table["leaders_within_2_hops"].tolist() == [1, 1, 2]


def test_k_one_gives_one_column_and_k_three_is_refused() -> None:
    assert "leaders_within_2_hops" not in leader_reach(four_person_org(), k=1).table
    with pytest.raises(ParameterError):
        leader_reach(four_person_org(), k=3)


# ---- personalised PageRank -------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_pagerank_matches_networkx_personalised(seed: int) -> None:
    graph = random_org(150, 180, 0.05, 40 + seed)  # sparse: isolates (dangling) included
    leaders = leader_ids(graph)
    expected = nx.pagerank(
        nx_graph(graph),
        alpha=0.85,
        personalization={p: 1.0 for p in leaders},
        tol=1e-14,
        max_iter=2000,
    )
    result = leader_pagerank(graph)
    got = dict(zip(result.table["person_id"], result.table["exposure"], strict=True))
    for person, value in expected.items():
        assert got[person] == pytest.approx(value, abs=1e-9)
    assert result.table["exposure"].sum() == pytest.approx(1.0)
    assert result["iterations"] > 1


def test_pagerank_percentile_orders_scores() -> None:
    table = leader_pagerank(four_person_org()).table
    assert table["exposure_percentile"].tolist() == [75.0, 100.0, 50.0, 25.0]


def test_pagerank_parameter_checks() -> None:
    with pytest.raises(ParameterError, match="damping"):
        leader_pagerank(four_person_org(), damping=1.0)
    with pytest.raises(ParameterError, match="converge"):
        leader_pagerank(four_person_org(), max_iter=2)


# ---- independent cascade -----------------------------------------------------------------------


def test_cascade_on_a_path_matches_exact_probabilities() -> None:
    # leader - a - b: P(a) = p, P(b) = p^2
    people = pd.DataFrame({"person_id": ["L", "a", "b"], "is_leader": [True, False, False]})
    ties = pd.DataFrame({"source": ["L", "a"], "target": ["a", "b"], "layer": "collaboration"})
    graph = OrgGraph.from_frames(people, ties)
    p, runs = 0.3, 20_000
    table = access_probability(graph, p=p, runs=runs, seed=11).table.set_index("person_id")
    assert table.loc["L", "access_probability"] == 1.0
    assert table.loc["L", "access_se"] == 0.0
    for person, exact in (("a", p), ("b", p * p)):
        estimate, se = table.loc[person, ["access_probability", "access_se"]]
        assert se == pytest.approx(np.sqrt(estimate * (1 - estimate) / runs))
        assert abs(estimate - exact) < 4 * np.sqrt(exact * (1 - exact) / runs)


def test_cascade_batches_agree_with_single_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    graph = random_org(60, 90, 0.05, 12)
    batched = access_probability(graph, p=0.5, runs=4000, seed=8).table
    monkeypatch.setattr(_exposure, "_CASCADE_BATCH_ENTRIES", 1)  # one run per batch
    single = access_probability(graph, p=0.5, runs=4000, seed=8).table
    gap = (batched["access_probability"] - single["access_probability"]).abs()
    bound = 5 * np.hypot(batched["access_se"], single["access_se"]) + 1e-12
    assert (gap <= bound).all()
    assert (single["access_probability"] > 0).sum() > 3  # the cascade went somewhere


def test_cascade_triangle_two_routes() -> None:
    # L-a, L-b, a-b: b is reached directly (p) or via a (p*p), P(b) = 1 - (1-p)(1-p^2)
    people = pd.DataFrame({"person_id": ["L", "a", "b"], "is_leader": [True, False, False]})
    ties = pd.DataFrame(
        {"source": ["L", "L", "a"], "target": ["a", "b", "b"], "layer": "collaboration"}
    )
    p, runs = 0.5, 20_000
    table = access_probability(OrgGraph.from_frames(people, ties), p=p, runs=runs, seed=2).table
    exact = 1 - (1 - p) * (1 - p * p)
    for estimate in table["access_probability"].iloc[1:]:
        assert abs(estimate - exact) < 4 * np.sqrt(exact * (1 - exact) / runs)


def test_cascade_is_seeded_and_checked() -> None:
    graph = random_org(100, 150, 0.05, 9)
    first = access_probability(graph, p=0.4, runs=50, seed=5).table
    again = access_probability(graph, p=0.4, runs=50, seed=5).table
    pd.testing.assert_frame_equal(first, again)
    certain = access_probability(graph, p=1.0, runs=2).table["access_probability"]
    reachable = leader_distance(graph).table["reachable"]
    assert (certain.to_numpy() == reachable.to_numpy().astype(float)).all()
    with pytest.raises(ParameterError):
        access_probability(graph, p=1.5)
    with pytest.raises(ParameterError):
        access_probability(graph, runs=0)


# ---- the combined table -------------------------------------------------------------------------


def test_exposure_combines_every_column() -> None:
    graph = random_org(120, 200, 0.08, 21)
    result = exposure(graph, access_p=0.2, runs=30, seed=1)
    assert result.name == "exposure"
    assert list(result.table.columns) == [
        "person_id",
        "hops_to_leader",
        "reachable",
        "leaders_within_1_hop",
        "leaders_within_2_hops",
        "exposure",
        "exposure_percentile",
        "access_probability",
        "access_se",
    ]
    assert result.parameters["access_p"] == 0.2
    assert result.parameters["seed"] == 1
    pd.testing.assert_frame_equal(
        result.table[["person_id", "hops_to_leader", "reachable"]], leader_distance(graph).table
    )
    pd.testing.assert_frame_equal(
        result.table[["person_id", "exposure", "exposure_percentile"]],
        leader_pagerank(graph).table,
    )
    assert result["n_leaders"] == int(graph.leader_mask().sum())
    assert "access_probability" not in exposure(graph).table


def test_krackhardt_advice_hand_checked() -> None:
    """Leaders are the CEO (7) and the VPs (2, 14, 18, 21); checked against the raw arcs."""
    graph = krackhardt("advice")
    with open(DATA / "krackhardt_hightech" / "edges.csv", newline="") as handle:
        arcs = [
            (r["source"], r["target"]) for r in csv.DictReader(handle) if r["relation"] == "advice"
        ]
    nbrs: dict[str, set[str]] = defaultdict(set)
    for s, t in arcs:
        nbrs[s].add(t)
        nbrs[t].add(s)
    leaders = {"7", "2", "14", "18", "21"}
    assert set(leader_ids(graph)) == leaders
    table = exposure(graph).table.set_index("person_id")
    # manager 1 asks 2, 18 and 21 (all VPs) for advice; nobody else among leaders ties to 1
    assert nbrs["1"] & leaders == {"2", "18", "21"}
    assert table.loc["1", "leaders_within_1_hop"] == 3
    assert table.loc["1", "hops_to_leader"] == 1
    for person in ("1", "3", "10", "7"):
        within_1 = (nbrs[person] - {person}) & leaders
        two_hop = set().union(*(nbrs[x] for x in nbrs[person])) | nbrs[person]
        within_2 = (two_hop - {person}) & leaders
        assert table.loc[person, "leaders_within_1_hop"] == len(within_1)
        assert table.loc[person, "leaders_within_2_hops"] == len(within_2)
    # the advice network is dense: everyone is at most one hop from a leader
    assert table["hops_to_leader"].max() <= 1
    assert table.loc["7", "hops_to_leader"] == 0


# ---- properties ----------------------------------------------------------------------------------

edges = st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11)), max_size=30)


def org_from(edge_list: list[tuple[int, int]], leaders: list[bool]) -> OrgGraph:
    people = pd.DataFrame({"person_id": [f"q{i}" for i in range(12)], "is_leader": leaders})
    ties = pd.DataFrame(
        {
            "source": [s for s, _ in edge_list],
            "target": [t for _, t in edge_list],
            "layer": "collaboration",
        }
    )
    return OrgGraph(people, ties if edge_list else None)


leader_flags = st.lists(st.booleans(), min_size=12, max_size=12).filter(any)


@settings(max_examples=60, deadline=None)
@given(edges, leader_flags, st.permutations(list(range(12))))
def test_relabelling_people_permutes_results(
    edge_list: list[tuple[int, int]], leaders: list[bool], order: list[int]
) -> None:
    graph = org_from(edge_list, leaders)
    # the same organisation with people stored in another order
    position = {old: new for new, old in enumerate(order)}
    people = graph.people.iloc[order].reset_index(drop=True)
    moved = [(position[s], position[t]) for s, t in edge_list]
    ties = pd.DataFrame(
        {"source": [s for s, _ in moved], "target": [t for _, t in moved], "layer": "collaboration"}
    )
    shuffled = OrgGraph(people, ties if moved else None)
    before = exposure(graph, access_p=0.5, runs=20, seed=3).table.set_index("person_id")
    after = exposure(shuffled, access_p=0.5, runs=20, seed=3).table.set_index("person_id")
    after = after.loc[before.index]
    exact = ["hops_to_leader", "reachable", "leaders_within_1_hop", "leaders_within_2_hops"]
    pd.testing.assert_frame_equal(before[exact], after[exact])
    np.testing.assert_allclose(before["exposure"], after["exposure"], atol=1e-12)
    np.testing.assert_array_equal(before["exposure_percentile"], after["exposure_percentile"])


@settings(max_examples=60, deadline=None)
@given(edges, leader_flags, st.integers(0, 11), st.integers(0, 11))
def test_adding_a_tie_never_increases_hops(
    edge_list: list[tuple[int, int]], leaders: list[bool], u: int, v: int
) -> None:
    before = leader_distance(org_from(edge_list, leaders)).table
    after = leader_distance(org_from([*edge_list, (u, v)], leaders)).table
    assert (after["reachable"] | ~before["reachable"]).all()
    both = before["reachable"].to_numpy()
    hops_before = before["hops_to_leader"].to_numpy(dtype=float)[both]
    hops_after = after["hops_to_leader"].to_numpy(dtype=float)[both]
    assert (hops_after <= hops_before).all()
