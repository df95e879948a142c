"""OrgGraph: construction, derived reports_to, views cross-checked against networkx, snapshots."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from orgbridge.errors import GraphError
from orgbridge.graph import OrgGraph


def four_person_org() -> OrgGraph:
    people = pd.DataFrame(
        {
            "person_id": ["a", "b", "c", "d"],
            "department": ["Ops", "Ops", "Eng", "Eng"],
            "manager_id": [None, "a", "a", "c"],
            "is_leader": [True, False, False, False],
        }
    )
    ties = pd.DataFrame(
        {
            "source": ["b", "c", "b", "d"],
            "target": ["c", "b", "d", "d"],
            "layer": ["collaboration", "collaboration", "mentoring", "collaboration"],
            "weight": [2.0, 1.0, 1.0, 5.0],
            "start": [None, None, "2024-01-01", None],
            "end": [None, None, "2024-12-31", None],
        }
    )
    return OrgGraph.from_frames(people, ties)


def test_reports_to_is_derived_from_manager_id() -> None:
    graph = four_person_org()
    reports = graph.tie_table("reports_to")
    assert sorted(zip(reports["source"], reports["target"], strict=True)) == [
        ("b", "a"),
        ("c", "a"),
        ("d", "c"),
    ]
    assert graph.tie_counts() == {"collaboration": 3, "mentoring": 1, "reports_to": 3}


def test_explicit_reports_to_ties_are_refused() -> None:
    people = pd.DataFrame({"person_id": ["a", "b"]})
    ties = pd.DataFrame({"source": [0], "target": [1], "layer": ["reports_to"]})
    with pytest.raises(GraphError, match=r"derived from people\.manager_id"):
        OrgGraph(people, ties)


@pytest.mark.parametrize(
    ("people", "message"),
    [
        (pd.DataFrame({"person_id": ["a", "a"]}), "not unique"),
        (pd.DataFrame({"person_id": ["a", None]}), "missing person_id"),
        (pd.DataFrame({"id": ["a"]}), "no person_id column"),
    ],
)
def test_bad_people_tables_raise(people: pd.DataFrame, message: str) -> None:
    with pytest.raises(GraphError, match=message):
        OrgGraph(people)


def test_unknown_tie_endpoint_raises() -> None:
    people = pd.DataFrame({"person_id": ["a", "b"]})
    ties = pd.DataFrame({"source": ["a"], "target": ["zz"], "layer": ["collaboration"]})
    with pytest.raises(GraphError, match="'zz' is not a known person"):
        OrgGraph.from_frames(people, ties)


def test_undirected_adjacency_matches_networkx() -> None:
    graph = four_person_org()
    matrix = graph.adjacency(["collaboration", "mentoring"])
    reference = nx.Graph()
    reference.add_nodes_from(graph.ids)
    for row in graph.tie_table(["collaboration", "mentoring"]).itertuples():
        if row.source != row.target:
            reference.add_edge(row.source, row.target)
    expected = nx.to_scipy_sparse_array(reference, nodelist=list(graph.ids)).toarray()
    np.testing.assert_array_equal(matrix.toarray(), expected)


def test_weighted_adjacency_sums_both_directions_and_drops_self_loops() -> None:
    graph = four_person_org()
    dense = graph.adjacency("collaboration", weighted=True).toarray()
    b, c, d = 1, 2, 3
    assert dense[b, c] == dense[c, b] == 3.0
    assert dense[d, d] == 0.0


def test_edge_arrays_list_each_pair_once() -> None:
    src, dst, weight = four_person_org().edge_arrays(["collaboration", "mentoring"])
    assert list(zip(src.tolist(), dst.tolist(), weight.tolist(), strict=True)) == [
        (1, 2, 3.0),
        (1, 3, 1.0),
    ]


def test_igraph_view_has_the_same_edges_and_is_cached() -> None:
    graph = four_person_org()
    view = graph.igraph("collaboration")
    assert view.vcount() == 4
    assert sorted(view.get_edgelist()) == [(1, 2)]
    assert view.es["weight"] == [3.0]
    assert graph.igraph("collaboration") is view


def test_networkx_view_keeps_attributes_and_layers() -> None:
    view = four_person_org().to_networkx()
    assert view.nodes["c"]["department"] == "Eng"
    assert view.has_edge("b", "a", key="reports_to")
    assert view.edges["b", "d", "mentoring"]["start"] == pd.Timestamp("2024-01-01")


def test_snapshot_keeps_only_active_ties_and_started_people() -> None:
    graph = four_person_org()
    assert graph.snapshot("2024-06-01").tie_counts()["mentoring"] == 1
    assert "mentoring" not in graph.snapshot("2025-06-01").tie_counts()
    people = pd.DataFrame(
        {
            "person_id": ["a", "b", "c"],
            "start_date": ["2020-01-01", "2026-01-01", None],
            "manager_id": [None, "a", "b"],
        }
    )
    ties = pd.DataFrame(
        {"source": ["a", "b"], "target": ["c", "c"], "layer": ["collaboration"] * 2}
    )
    early = OrgGraph.from_frames(people, ties).snapshot("2025-01-01")
    assert list(early.ids) == ["a", "c"]
    assert early.tie_table("all")[["source", "target"]].values.tolist() == [["a", "c"]]
    assert early.people["manager_id"].isna().all()


def test_with_ties_adds_proposed_pairs_without_changing_the_original() -> None:
    graph = four_person_org()
    more = graph.with_ties(pd.DataFrame({"source": ["a"], "target": ["d"], "layer": ["mentoring"]}))
    assert more.tie_counts()["mentoring"] == 2
    assert graph.tie_counts()["mentoring"] == 1


def test_leader_mask_treats_missing_as_not_a_leader() -> None:
    people = pd.DataFrame({"person_id": ["a", "b", "c"], "is_leader": [True, None, False]})
    assert OrgGraph(people).leader_mask().tolist() == [True, False, False]
    assert OrgGraph(people[["person_id"]]).leader_mask().tolist() == [False, False, False]
