"""The group map's layout (cached per grouping and data, deterministic) and its palette."""

from __future__ import annotations

import colorsys
from typing import Any

import numpy as np
import pytest

from orgbridge.app import _layout
from orgbridge.app._layout import (
    QUALITATIVE,
    group_layout,
    qualitative_palette,
    relative_density,
)
from orgbridge.app.auth import User
from orgbridge.app.services import Services
from tests.app.org import DEPARTMENTS, small_org

EXEC = User("eve", "executive")


def _rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)


@pytest.mark.parametrize("n", [10, 11, 23, 30, 60])
def test_palette_is_distinct_past_ten_groups(n: int) -> None:
    colours = qualitative_palette(n)
    assert len(colours) == n and len(set(colours)) == n
    rgb = np.array([_rgb(c) for c in colours])
    gap = np.sqrt(((rgb[:, None] - rgb[None]) ** 2).sum(-1))
    np.fill_diagonal(gap, np.inf)
    # far enough apart to tell at a glance (the closest fixed pair is about 38 apart)
    assert gap.min() >= 35, gap.min()
    grey = _rgb("#d0d0d0")  # suppressed groups keep their own colour
    assert np.sqrt(((rgb - grey) ** 2).sum(-1)).min() >= 35


def test_palette_starts_with_the_fixed_colours_and_is_stable() -> None:
    assert qualitative_palette(30)[: len(QUALITATIVE)] == list(QUALITATIVE)
    assert qualitative_palette(30) == qualitative_palette(30)
    assert qualitative_palette(12) == qualitative_palette(30)[:12]
    # every colour is a valid colour of the wheel
    for colour in qualitative_palette(30):
        colorsys.rgb_to_hls(*(_rgb(colour) / 255))


def test_relative_density_is_ties_per_possible_pair() -> None:
    # hand-worked: 6 ties between groups of 3 and 2 is every pair; 1 tie among 3 x 10 is 1/30
    found = relative_density(np.array([6.0, 1.0, 2.0]), np.array([3, 3, 0]), np.array([2, 10, 4]))
    assert found.tolist() == pytest.approx([1.0, 1 / 30, 0.0])


def test_layout_is_deterministic_and_pulls_dense_pairs_together() -> None:
    # two dense pairs (0-1 and 2-3) weakly tied by 1-2
    src, dst = np.array([0, 2, 1]), np.array([1, 3, 2])
    weight = np.array([1.0, 1.0, 0.05])
    first = group_layout(4, src, dst, weight)
    assert np.array_equal(first, group_layout(4, src, dst, weight))
    distance = np.linalg.norm(first[src] - first[dst], axis=1)
    assert distance[0] < distance[2] and distance[1] < distance[2]
    assert group_layout(1, src[:0], dst[:0], weight[:0]).tolist() == [[0.0, 0.0]]


def test_group_layout_is_computed_once_per_grouping_and_data(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = _layout.group_layout

    def counting(n: int, *args: Any, **kwargs: Any) -> np.ndarray:
        calls.append(n)
        return real(n, *args, **kwargs)

    monkeypatch.setattr("orgbridge.app._services_silos.group_layout", counting)
    first = services.network(EXEC, view="groups", group_by="department")
    again = services.network(EXEC, view="groups", group_by="department", colour_by="size")
    hidden = services.network(EXEC, view="groups", group_by="department", min_share=100)
    assert len(calls) == 1
    # the slider hides ties but never moves a group
    assert np.array_equal(first.nodes[["x", "y"]], again.nodes[["x", "y"]])
    assert np.array_equal(first.nodes[["x", "y"]], hidden.nodes[["x", "y"]])
    services.network(EXEC, view="groups", group_by="location")
    assert len(calls) == 2
    services.store.save_graph(small_org(seed=8), log={"rows_in": 51, "rows_loaded": 51})
    services._reset()  # what a confirmed import does
    services.network(EXEC, view="groups", group_by="department")
    assert len(calls) == 3


def test_edges_are_weighted_by_relative_density_and_weak_ones_hidden(services: Services) -> None:
    graph = services.graph()
    shown = services.network(EXEC, view="groups", group_by="department")
    labels = dict(zip(shown.nodes["id"], shown.nodes["label"], strict=True))
    sizes = DEPARTMENTS
    adjacency = graph.adjacency()
    department = graph.people["department"].astype(str).to_numpy()
    for edge in shown.edges.itertuples():
        a, b = labels[edge.source], labels[edge.target]
        ties = adjacency[np.flatnonzero(department == a)][:, np.flatnonzero(department == b)].nnz
        assert edge.ties == ties
        assert edge.weight == pytest.approx(ties / (sizes[a] * sizes[b]))
    strongest = shown.edges["weight"].max()
    cut = services.network(EXEC, view="groups", group_by="department", min_share=80)
    assert (cut.edges["weight"] >= 0.8 * strongest).all()
    assert len(cut.edges) == int((shown.edges["weight"] >= 0.8 * strongest).sum())
    assert cut.note is not None and "weaker tie" in cut.note
