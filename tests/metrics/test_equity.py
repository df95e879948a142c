"""Exposure equity per group: shares, means, gaps over shown groups, Gini across people."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orgbridge.errors import ParameterError, PrivacyError
from orgbridge.graph import OrgGraph
from orgbridge.metrics._equity import exposure_equity, gini
from orgbridge.metrics._exposure import exposure, leader_pagerank
from tests.fixtures import krackhardt


def gini_pairs(x: np.ndarray) -> float:
    """The textbook O(n^2) definition: mean absolute difference over twice the mean."""
    n = len(x)
    if n == 0 or x.sum() == 0:
        return 0.0
    return float(np.abs(x[:, None] - x[None, :]).sum() / (2 * n * n * x.mean()))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 1e3, allow_nan=False), max_size=40))
def test_gini_matches_the_pairwise_formula(values: list[float]) -> None:
    x = np.array(values)
    assert gini(x) == pytest.approx(gini_pairs(x), abs=1e-12)


def test_gini_bounds_and_checks() -> None:
    assert gini(np.full(7, 2.5)) == 0.0
    assert gini(np.array([0.0, 0.0, 0.0, 8.0])) == pytest.approx(0.75)
    assert gini(np.array([])) == 0.0
    with pytest.raises(ParameterError):
        gini(np.array([1.0, -1.0]))


def three_departments() -> OrgGraph:
    """Sales (6: leader s0 tied to s1, s2; s3 tied to s1; s4, s5 isolated),
    Ops (5: o0 tied to s0, o1..o4 a chain from o0), Legal (2, one tied to the leader),
    plus one person with no department.

    hops: s0 0, s1 1, s2 1, s3 2, s4 -, s5 -; o0 1, o1 2, o2 3, o3 4, o4 5; g0 1, g1 -; m0 2
    """
    people = pd.DataFrame(
        {
            "person_id": [f"s{i}" for i in range(6)]
            + [f"o{i}" for i in range(5)]
            + ["g0", "g1", "m0"],
            "department": ["Sales"] * 6 + ["Ops"] * 5 + ["Legal"] * 2 + [None],
            "is_leader": [True] + [False] * 13,
        }
    )
    pairs = [("s0", "s1"), ("s0", "s2"), ("s3", "s1"), ("o0", "s0"), ("o0", "o1"), ("o1", "o2")]
    pairs += [("o2", "o3"), ("o3", "o4"), ("g0", "s0"), ("m0", "s1")]
    ties = pd.DataFrame(pairs, columns=["source", "target"]).assign(layer="collaboration")
    return OrgGraph.from_frames(people, ties)


def test_group_table_hand_checked() -> None:
    # every share and mean is over non-leaders: Sales is s1..s5 (s0 leads), Ops o0..o4
    graph = three_departments()
    result = exposure_equity(graph)
    table = result.table.set_index("group")
    assert list(table.index) == ["Legal", "Ops", "Sales", "(missing)"]
    sales, ops = table.loc["Sales"], table.loc["Ops"]
    assert sales["size"] == 6 and ops["size"] == 5
    assert sales["leaders"] == 1 and ops["leaders"] == 0
    assert sales["non_leaders"] == 5 and ops["non_leaders"] == 5
    assert sales["share_within_1_hop"] == pytest.approx(2 / 5)
    assert sales["share_within_2_hops"] == pytest.approx(3 / 5)
    assert sales["share_unreachable"] == pytest.approx(2 / 5)
    assert sales["mean_hops"] == pytest.approx((1 + 1 + 2) / 3)
    assert ops["share_within_1_hop"] == pytest.approx(1 / 5)
    assert ops["share_within_2_hops"] == pytest.approx(2 / 5)
    assert ops["mean_hops"] == pytest.approx((1 + 2 + 3 + 4 + 5) / 5)
    assert ops["share_unreachable"] == 0.0
    scores = leader_pagerank(graph).table.set_index("person_id")["exposure"]
    non_leaders = scores.drop("s0")
    sales_ids = [f"s{i}" for i in range(1, 6)]
    assert sales["mean_exposure"] == pytest.approx(scores[sales_ids].mean())
    assert sales["exposure_ratio"] == pytest.approx(scores[sales_ids].mean() / non_leaders.mean())
    # Legal (2 people) and (missing) (1 person) are shown blank, never dropped
    for small in ("Legal", "(missing)"):
        row = table.loc[small]
        assert row["suppressed"] and row["note"] == "fewer than 5 people"
        assert pd.isna(row["size"]) and pd.isna(row["share_within_2_hops"])
        assert pd.isna(row["mean_exposure"])
    assert not sales["suppressed"] and pd.isna(sales["note"])
    # gaps only over Sales and Ops
    assert result["gap_share_within_2_hops"] == pytest.approx(3 / 5 - 2 / 5)
    assert result["best_share_within_2_hops"] == "Sales"
    assert result["worst_share_within_2_hops"] == "Ops"
    assert result["worst_group_share_within_2_hops"] == pytest.approx(2 / 5)
    # non-leaders within 2 hops: s1 s2 s3, o0 o1, g0, m0 -> 7 of 13
    assert result["share_within_2_hops"] == pytest.approx(7 / 13)
    assert result["worst_gap_to_overall_within_2_hops"] == pytest.approx(7 / 13 - 2 / 5)
    assert result["gap_mean_exposure"] == pytest.approx(
        abs(sales["mean_exposure"] - ops["mean_exposure"])
    )
    assert result["n_groups"] == 4 and result["n_suppressed"] == 2
    assert result["gini"] == pytest.approx(gini(non_leaders.to_numpy()))
    assert result.parameters["group_by"] == "department"
    assert result.parameters["min_group"] == 5


def test_gap_ignores_suppressed_groups() -> None:
    # Legal's g0 sits next to the leader: its share would be the best, but it is suppressed;
    # with a threshold of 6 non-leaders no group remains (Sales has 5 besides its leader).
    graph = three_departments()
    assert exposure_equity(graph, min_group=6)["gap_share_within_2_hops"] is None
    assert exposure_equity(graph, min_group=6)["worst_group_share_within_2_hops"] is None
    assert exposure_equity(graph, min_group=6).table["suppressed"].tolist() == [True] * 4


def test_a_leaders_only_group_is_never_the_best_group() -> None:
    # an Executive Office of 5 leaders would be 100% covered if leaders counted
    graph = three_departments()
    people = graph.people.copy()
    extra = pd.DataFrame(
        {"person_id": [f"x{i}" for i in range(5)], "department": "Exec", "is_leader": True}
    )
    bigger = OrgGraph.from_frames(pd.concat([people, extra]), graph.tie_table())
    result = exposure_equity(bigger)
    exec_row = result.table.set_index("group").loc["Exec"]
    assert exec_row["suppressed"]  # no non-leaders: nothing to show
    assert result["best_share_within_2_hops"] == "Sales"


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(8, 40), share=st.sampled_from([0.05, 0.12]))
def test_coverage_matches_networkx_shortest_paths(seed: int, n: int, share: float) -> None:
    import networkx as nx

    from orgbridge.recommend import headline_metrics

    rng = np.random.default_rng(seed)
    ids = [f"p{i}" for i in range(n)]
    people = pd.DataFrame(
        {
            "person_id": ids,
            "department": rng.choice(["A", "B", "C"], n),
            "is_leader": rng.random(n) < 0.15,
        }
    )
    people.loc[0, "is_leader"] = True
    i, j = np.triu_indices(n, k=1)
    pick = rng.random(i.size) < share
    ties = pd.DataFrame(
        {"source": [ids[k] for k in i[pick]], "target": [ids[k] for k in j[pick]]}
    ).assign(layer="collaboration")
    graph = OrgGraph.from_frames(people, ties)
    # independent: networkx BFS from every leader, shares over non-leaders only
    g = nx.Graph()
    g.add_nodes_from(ids)
    g.add_edges_from(zip(ties["source"], ties["target"], strict=True))
    leaders = set(people.loc[people["is_leader"], "person_id"])
    hops = nx.multi_source_dijkstra_path_length(g, leaders)
    covered = {p for p, d in hops.items() if d <= 2 and p not in leaders}
    dept = dict(zip(ids, people["department"], strict=True))
    expected: dict[str, float] = {}
    for d in ("A", "B", "C"):
        members = [p for p in ids if dept[p] == d and p not in leaders]
        if len(members) >= 5:
            expected[d] = sum(p in covered for p in members) / len(members)
    overall = len(covered) / (n - len(leaders))
    result = exposure_equity(graph)
    table = result.table.set_index("group")
    shown = {str(g): float(r) for g, r in table["share_within_2_hops"].dropna().items()}
    assert shown == pytest.approx(expected)
    assert result["share_within_2_hops"] == pytest.approx(overall)
    headline = headline_metrics(graph)["share_within_2_hops"]
    assert headline["overall"] == pytest.approx(overall)
    assert {k: v for k, v in headline["by_group"].items() if v is not None} == pytest.approx(
        expected
    )
    if len(expected) >= 2:
        worst = min(expected.values())
        assert result["gap_share_within_2_hops"] == pytest.approx(max(expected.values()) - worst)
        assert result["worst_group_share_within_2_hops"] == pytest.approx(worst)
        assert result["worst_gap_to_overall_within_2_hops"] == pytest.approx(overall - worst)
        assert headline_metrics(graph)["worst_gap_to_overall"] == pytest.approx(overall - worst)


def test_threshold_below_five_is_refused() -> None:
    with pytest.raises(PrivacyError, match="cannot be below 5"):
        exposure_equity(three_departments(), min_group=4)


def test_per_person_result_is_reused() -> None:
    graph = three_departments()
    direct = exposure_equity(graph)
    reused = exposure_equity(graph, per_person=exposure(graph))
    pd.testing.assert_frame_equal(direct.table, reused.table)
    assert direct.values == reused.values
    with pytest.raises(ParameterError):
        exposure_equity(graph, per_person=leader_pagerank(graph))


def test_any_attribute_and_unknown_attribute() -> None:
    graph = krackhardt("advice")
    by_level = exposure_equity(graph, group_by="level").table
    assert by_level["group"].tolist() == ["1", "2", "3"]
    # levels 1 (CEO) and 2 (4 VPs) are under 5 people; the 16 managers are shown
    assert by_level["suppressed"].tolist() == [True, True, False]
    assert by_level.loc[2, "size"] == 16
    with pytest.raises(ParameterError):
        exposure_equity(graph, group_by="shoe_size")


@settings(max_examples=30, deadline=None)
@given(st.permutations(list(range(14))))
def test_relabelling_people_changes_nothing(order: list[int]) -> None:
    graph = three_departments()
    people = graph.people.iloc[order].reset_index(drop=True)
    shuffled = OrgGraph.from_frames(people, graph.tie_table())
    before, after = exposure_equity(graph), exposure_equity(shuffled)
    pd.testing.assert_frame_equal(before.table, after.table, atol=1e-12, rtol=0)
    assert before.values.keys() == after.values.keys()
    for key, value in before.values.items():
        if isinstance(value, float):
            assert after.values[key] == pytest.approx(value, abs=1e-12)
        else:
            assert after.values[key] == value
