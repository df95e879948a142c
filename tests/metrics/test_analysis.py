"""analyze(): the documented JSON document, consistent with the metrics and with networkx."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from orgbridge.errors import PrivacyError
from orgbridge.graph import OrgGraph
from orgbridge.metrics import analyze
from orgbridge.metrics._analysis import GROUP_COLUMNS, PERSON_COLUMNS
from orgbridge.report import render_html
from tests.fixtures import krackhardt, lazega, random_org, star_leader, two_silos


def test_document_has_the_documented_fields() -> None:
    doc = analyze(two_silos()).to_dict()
    json.dumps(doc, allow_nan=False)  # plain JSON: no NaN, no numpy types
    assert doc["schema"] == "orgbridge.analysis/1"
    for key in ("ei_index", "ei_baseline", "modularity", "share_within_2_hops"):
        assert key in doc["network"]
    assert set(doc["groups"][0]) == set(GROUP_COLUMNS)
    assert set(doc["people"][0]) == set(PERSON_COLUMNS)
    assert {"count", "nmi", "ari"} <= set(doc["communities"])
    assert doc["parameters"]["layers"] == ["collaboration", "mentoring", "sponsorship"]


def test_network_figures_match_a_hand_computation_on_two_silos() -> None:
    doc = analyze(two_silos(), min_group=5).to_dict()
    # 12 internal ties (two 4-cliques), 1 external: E-I = (1 - 12) / 13
    assert doc["network"]["ei_index"] == pytest.approx(-11 / 13)
    # baseline 1 - 2 * (4*3 + 4*3) / (8*7)
    assert doc["network"]["ei_baseline"] == pytest.approx(1 - 48 / 56)
    reference = nx.Graph()
    for u, v in zip(*two_silos().edge_arrays()[:2], strict=True):
        reference.add_edge(int(u), int(v))
    expected = nx.community.modularity(reference, [set(range(4)), set(range(4, 8))])
    assert doc["network"]["modularity"] == pytest.approx(expected)


def test_small_groups_are_pooled_unlabelled_and_never_dropped_silently() -> None:
    doc = analyze(two_silos(), min_group=5).to_dict()
    # two groups of 4: both under the threshold, pooled into one unlabelled row
    assert [g["name"] for g in doc["groups"]] == ["other groups"]
    (group,) = doc["groups"]
    assert (
        group["suppressed"] is True
        and "2 group(s), each with fewer than 5 people" in (group["note"])
    )
    assert group["size"] is None and group["share_within_2_hops"] is None
    assert doc["group_ties"]["groups"] == ["other groups"]
    assert all(cell is None for row in doc["group_ties"]["ties"] for cell in row)
    text = json.dumps(doc["groups"]) + json.dumps(doc["group_ties"])
    assert '"A"' not in text and '"B"' not in text


def test_threshold_below_five_is_refused() -> None:
    with pytest.raises(PrivacyError):
        analyze(two_silos(), min_group=4)


def test_unreachable_people_are_null_not_a_big_number() -> None:
    doc = analyze(star_leader()).to_dict()
    by_id = {p["person_id"]: p for p in doc["people"]}
    assert by_id["p5"]["hops_to_leader"] is None
    assert by_id["L"]["hops_to_leader"] == 0
    assert by_id["p1"]["hops_to_leader"] == 1


def test_known_values_on_the_real_firms() -> None:
    friendship = analyze(lazega("friendship"), group_by="office").to_dict()
    assert friendship["network"]["ei_index"] == pytest.approx(-0.6892, abs=5e-5)
    advice = analyze(lazega("advice"), group_by="office").to_dict()
    assert advice["network"]["ei_index"] == pytest.approx(-0.5481, abs=5e-5)
    assert advice["network"]["modularity"] == pytest.approx(0.1809, abs=5e-5)
    managers = analyze(krackhardt("advice")).to_dict()
    assert managers["network"]["ei_index"] == pytest.approx(0.5172, abs=5e-5)
    assert managers["network"]["ei_baseline"] == pytest.approx(0.5524, abs=5e-5)


def test_people_betweenness_matches_networkx_on_lazega() -> None:
    graph = lazega("cowork")
    doc = analyze(graph, group_by="office").to_dict()
    src, dst, _ = graph.edge_arrays()
    reference = nx.Graph()
    reference.add_nodes_from(range(graph.n_people))
    reference.add_edges_from(zip(src.tolist(), dst.tolist(), strict=True))
    expected = nx.betweenness_centrality(reference)
    got = np.array([p["betweenness"] for p in doc["people"]])
    np.testing.assert_allclose(got, [expected[i] for i in range(graph.n_people)], atol=1e-9)


def test_html_report_is_self_contained_and_shows_suppression() -> None:
    people = pd.DataFrame(
        {
            "person_id": [f"p{i}" for i in range(14)],
            "department": ["Big"] * 10 + ["Tiny"] * 4,
            "is_leader": [True] + [False] * 13,
        }
    )
    ties = pd.DataFrame(
        {
            "source": [f"p{i}" for i in range(13)],
            "target": [f"p{i + 1}" for i in range(13)],
            "layer": "collaboration",
        }
    )
    page = render_html(analyze(OrgGraph.from_frames(people, ties)).to_dict())
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "http" not in page
    assert "suppressed: 1 group(s), each with fewer than 5 people" in page
    assert "Tiny" not in page  # a small group's name says who is in it
    # Big is hidden too: the organisation's figures minus Big's would give Tiny's back
    assert "suppressed: withheld so that a smaller group cannot be worked out" in page
    assert "<svg" in page


def test_without_leaders_everything_else_is_computed_and_the_note_says_why() -> None:
    people = pd.DataFrame(
        {"person_id": [f"p{i}" for i in range(12)], "department": ["A"] * 6 + ["B"] * 6}
    )
    pairs = [(f"p{i}", f"p{i + 1}") for i in range(11)]
    graph = OrgGraph.from_frames(
        people, pd.DataFrame(pairs, columns=["source", "target"]).assign(layer="collaboration")
    )
    doc = analyze(graph).to_dict()
    json.dumps(doc, allow_nan=False)
    assert doc["network"]["leaders"] == 0
    assert doc["network"]["ei_index"] == pytest.approx((1 - 10) / 11)
    assert doc["network"]["share_within_2_hops"] is None
    assert doc["network"]["worst_group_share_within_2_hops"] is None
    assert any("exposure needs leaders" in note for note in doc["notes"])
    assert all(g["share_within_2_hops"] is None for g in doc["groups"])
    assert all(p["hops_to_leader"] is None for p in doc["people"])
    page = render_html(doc)
    assert "exposure needs leaders" in page


def test_leaders_are_left_out_and_the_worst_group_is_reported() -> None:
    # A: leader a0 + 5 non-leaders, 3 of them within 2 hops; B: 6 non-leaders, 1 within 2
    people = pd.DataFrame(
        {
            "person_id": [f"a{i}" for i in range(6)] + [f"b{i}" for i in range(6)],
            "department": ["A"] * 6 + ["B"] * 6,
            "is_leader": [True] + [False] * 11,
        }
    )
    pairs = [("a0", "a1"), ("a1", "a2"), ("a0", "a3"), ("a3", "b0"), ("b0", "b1")]
    ties = pd.DataFrame(pairs, columns=["source", "target"]).assign(layer="collaboration")
    net = analyze(OrgGraph.from_frames(people, ties)).to_dict()["network"]
    assert net["share_within_2_hops"] == pytest.approx(4 / 11)  # a1 a2 a3 b0
    assert net["best_group_within_2_hops"] == "A" and net["worst_group_within_2_hops"] == "B"
    assert net["equity_gap_within_2_hops"] == pytest.approx(3 / 5 - 1 / 6)
    assert net["worst_group_share_within_2_hops"] == pytest.approx(1 / 6)
    assert net["worst_gap_to_overall_within_2_hops"] == pytest.approx(4 / 11 - 1 / 6)


def test_analysis_with_brokerage_in_a_forked_process_gives_the_same_document() -> None:
    graph = random_org(400, 0.02, 9)
    inline = analyze(graph, exact_max=100, samples=20, seed=4).to_dict()
    forked = analyze(graph, exact_max=100, samples=20, seed=4, parallel=True).to_dict()
    assert json.dumps(forked, sort_keys=True, default=str) == json.dumps(
        inline, sort_keys=True, default=str
    )


def test_an_error_in_the_forked_process_reaches_the_caller() -> None:
    from orgbridge.metrics._forked import Forked

    def fails() -> None:
        raise PrivacyError("seen in the child")

    with pytest.raises(PrivacyError, match="seen in the child"):
        Forked.start(fails).result()
