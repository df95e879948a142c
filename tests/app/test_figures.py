"""Figure functions are pure: results in, figures, elements and rows out."""

from __future__ import annotations

import numpy as np
import pandas as pd

from orgbridge.app import figures
from orgbridge.app.network import NetworkView


def _view(colour: list[object], n: int = 3) -> NetworkView:
    nodes = pd.DataFrame(
        {
            "id": [f"n{i}" for i in range(n)],
            "label": [f"L{i}" for i in range(n)],
            "x": np.arange(n, dtype=float),
            "y": np.zeros(n),
            "colour": colour,
            "size": [1.0, 4.0, np.nan][:n],
            "hover": ["h"] * n,
        }
    )
    edges = pd.DataFrame({"source": ["n0", "n1"], "target": ["n1", "n2"], "weight": [1.0, 3.0]})
    return NetworkView("person", nodes, edges, "c", "s")


def test_cytoscape_elements_carry_positions_colours_and_sizes() -> None:
    elements = figures.cytoscape_elements(_view(["A", "B", "A"]))
    nodes, edges = elements[:3], elements[3:]
    assert [n["position"]["x"] for n in nodes] == [0.0, 1.0, 2.0]
    assert nodes[0]["data"]["colour"] == nodes[2]["data"]["colour"] != nodes[1]["data"]["colour"]
    assert nodes[1]["data"]["size"] > nodes[0]["data"]["size"]
    assert edges[1]["data"]["width"] > edges[0]["data"]["width"]
    assert figures.legend_items(_view(["A", "B", "A"])) == [
        (nodes[0]["data"]["colour"], "A"),
        (nodes[1]["data"]["colour"], "B"),
    ]


def test_numeric_colours_ramp_and_missing_is_grey() -> None:
    elements = figures.cytoscape_elements(_view([0.0, 1.0, np.nan]))
    colours = [e["data"]["colour"] for e in elements[:3]]
    assert colours[0] != colours[1] and colours[2] == figures.SUPPRESSED_COLOUR


def test_matrix_figure_labels_suppressed_cells() -> None:
    matrix = pd.DataFrame([[1.0, np.nan], [np.nan, np.nan]], index=["A", "B"], columns=["A", "B"])
    figure = figures.matrix_figure(matrix, title="t", suppressed=["B"])
    assert figure.data[0].text.tolist() == [["1", "suppressed"], ["suppressed", "suppressed"]]
    assert "B" in figure.layout.annotations[0].text


def test_ei_figure_shows_suppressed_groups_as_labelled_bars() -> None:
    table = pd.DataFrame(
        {
            "group": ["A", "B"],
            "ei_index": [0.2, np.nan],
            "ei_baseline": [0.5, np.nan],
            "suppressed": [False, True],
        }
    )
    figure = figures.ei_figure(table)
    assert list(figure.data[0].x) == ["A"] and list(figure.data[2].x) == ["B"]
    assert figure.data[2].name.startswith("suppressed")


def test_grid_rows_and_proposal_rows_are_json_safe() -> None:
    frame = pd.DataFrame(
        {
            "a": ["x"],
            "b": ["y"],
            "kind": ["pair"],
            "score": [np.float64(1.5)],
            "breakdown": ['{"exposure": 1.0, "silo": 0.5}'],
            "reason": ["r"],
            "decision": [pd.NA],
        }
    )
    rows = figures.proposal_rows(frame)
    assert rows == [
        {
            "id": "x|y",
            "a": "x",
            "b": "y",
            "person_a": "x",
            "person_b": "y",
            "kind": "pair",
            "score": 1.5,
            "gain_exposure": 1.0,
            "gain_silo": 0.5,
            "reason": "r",
            "decision": "",
        }
    ]


def test_before_after_uses_overall_values() -> None:
    figure = figures.before_after_figure(
        {
            "before": {"ei_index": -0.2, "share_within_2_hops": {"overall": 0.5}},
            "after": {"ei_index": -0.1, "share_within_2_hops": {"overall": 0.7}},
        }
    )
    assert list(figure.data[0].x) == ["E-I index", "Within 2 hops"]  # human names
    assert list(figure.data[1].y) == [-0.1, 0.7]


def test_headline_rows_show_change_in_points_for_shares() -> None:
    rows = figures.headline_rows(
        {
            "figures": [
                {
                    "key": "c",
                    "label": "Coverage",
                    "value": 0.3,
                    "baseline": None,
                    "previous": 0.25,
                    "format": "percent",
                    "note": None,
                }
            ]
        }
    )
    assert (
        rows[0]["value"] == "30%"
        and rows[0]["detail"] == "change since previous snapshot: +5 points"
    )
