"""What-if simulation: the headline metrics before and after a set of proposed ties.

The headline metrics are the E-I index and the modularity of the groups (from
:mod:`orgbridge.metrics`, on undirected ties of the measured layers), and leadership exposure:
the share of each group within 2 hops of a leader (leaders count as within reach), the same share
for the whole organisation, and the equity gap (best minus worst group share). Groups under the
privacy threshold are shown as ``None`` and left out of the gap, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from orgbridge.errors import ParameterError
from orgbridge.graph import MENTORING, MIN_GROUP_FLOOR, SPONSORSHIP, OrgGraph, normalise_layers
from orgbridge.recommend._gains import group_codes
from orgbridge.recommend._state import DistanceState, leader_distances

__all__ = ["headline_metrics", "proposal_ties", "simulate"]


def headline_metrics(
    graph: OrgGraph,
    *,
    group_by: str = "department",
    layers: str | list[str] | tuple[str, ...] | None = None,
    min_group: int = MIN_GROUP_FLOOR,
) -> dict[str, Any]:
    """E-I index, modularity, share within 2 hops of a leader per group, and the equity gap.

    Example
    -------
    >>> people = pd.DataFrame({"person_id": list("abcd"), "department": ["X", "X", "Y", "Y"],
    ...                        "is_leader": [True, False, False, False]})
    >>> ties = pd.DataFrame({"source": ["a", "b"], "target": ["b", "c"], "layer": "mentoring"})
    >>> m = headline_metrics(OrgGraph.from_frames(people, ties), min_group=5)
    >>> m["ei_index"], m["share_within_2_hops"]["overall"]
    (0.0, 0.75)
    """
    if min_group < MIN_GROUP_FLOOR:
        raise ParameterError(f"min_group must be at least {MIN_GROUP_FLOOR}, got {min_group}")
    ei, modularity = _silo_figures(graph, group_by=group_by, layers=layers)
    group, labels = group_codes(graph, group_by)
    hops = leader_distances(graph.adjacency(layers), np.flatnonzero(graph.leader_mask()))
    return _exposure_figures(group, labels, hops, ei=ei, modularity=modularity, min_group=min_group)


def _exposure_figures(
    group: np.ndarray,
    labels: list[str],
    hops: np.ndarray,
    *,
    ei: float | None,
    modularity: float | None,
    min_group: int,
) -> dict[str, Any]:
    near = hops <= 2
    sizes = np.bincount(group, minlength=len(labels))
    within = np.bincount(group, weights=near.astype(float), minlength=len(labels))
    shares: dict[str, float | None] = {}
    shown: list[float] = []
    for code, label in enumerate(labels):
        if sizes[code] < min_group:
            shares[label] = None
            continue
        share = float(within[code] / sizes[code])
        shares[label] = share
        shown.append(share)
    overall = float(near.mean()) if group.size else None
    return {
        "ei_index": ei,
        "modularity": modularity,
        "share_within_2_hops": {"overall": overall, "by_group": shares},
        "equity_gap": float(max(shown) - min(shown)) if len(shown) >= 2 else None,
    }


def _silo_figures(
    graph: OrgGraph, *, group_by: str, layers: str | list[str] | tuple[str, ...] | None
) -> tuple[float | None, float | None]:
    try:
        from orgbridge.metrics import ei_index, modularity
    except ImportError:  # metrics not installed: the same definitions, computed here
        return _ei_and_modularity(graph, group_by=group_by, layers=layers)
    layer_list = list(layers) if isinstance(layers, (list, tuple)) else layers
    ei = ei_index(graph, group_by=group_by, layers=layer_list)["ei_index"]
    q = modularity(graph, group_by=group_by, layers=layer_list)["modularity"]
    return _number(ei), _number(q)


def _number(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if np.isnan(value) else value


def _ei_and_modularity(
    graph: OrgGraph, *, group_by: str, layers: str | list[str] | tuple[str, ...] | None
) -> tuple[float | None, float | None]:
    """E-I index and modularity on distinct undirected ties (unweighted)."""
    group, labels = group_codes(graph, group_by)
    src, dst, _ = graph.edge_arrays(layers)
    m = src.size
    if m == 0:
        return None, None
    internal = group[src] == group[dst]
    n_internal = int(internal.sum())
    ei = (m - 2 * n_internal) / m
    within = np.bincount(group[src][internal], minlength=len(labels))
    degree = np.bincount(group[src], minlength=len(labels)) + np.bincount(
        group[dst], minlength=len(labels)
    )
    q = float((within / m - (degree / (2.0 * m)) ** 2).sum())
    return float(ei), q


def proposal_ties(proposals: pd.DataFrame | Iterable[tuple[str, str]]) -> pd.DataFrame:
    """Ties (ids, layer) for a proposal set: pairs in ``mentoring``, sponsorships in
    ``sponsorship`` (column ``kind``; pairs when absent)."""
    if not isinstance(proposals, pd.DataFrame):
        proposals = pd.DataFrame(list(proposals), columns=["a", "b"])
    missing = {"a", "b"} - set(proposals.columns)
    if missing:
        raise ParameterError(f"proposals need columns a and b; missing {sorted(missing)}")
    kind = (
        proposals["kind"].astype(str).to_numpy()
        if "kind" in proposals.columns
        else np.full(len(proposals), "pair")
    )
    return pd.DataFrame(
        {
            "source": proposals["a"].astype(str).to_numpy(),
            "target": proposals["b"].astype(str).to_numpy(),
            "layer": np.where(kind == "sponsorship", SPONSORSHIP, MENTORING),
        }
    )


def simulate(
    graph: OrgGraph,
    proposals: pd.DataFrame | Iterable[tuple[str, str]],
    *,
    group_by: str = "department",
    layers: str | list[str] | tuple[str, ...] | None = None,
    min_group: int = MIN_GROUP_FLOOR,
    incremental: bool = True,
) -> dict[str, Any]:
    """Headline metrics before and after adding ``proposals`` (any set, e.g. a user-edited one).

    By default the "after" figures are updated from the "before" state rather than recomputed:
    E-I and modularity change only through the added ties' group pairs and degrees, and hops to
    leaders fall only where the pruned BFS of :class:`DistanceState` reaches, so the cost is one
    pass over the organisation plus the people who gain. ``incremental=False`` rebuilds the
    graph with the new ties and recomputes everything (the two agree; tests check it).

    Raises
    ------
    ParameterError
        The proposals lack columns ``a``/``b``, or ``min_group`` is below the privacy floor.
    GraphError
        A proposal names an unknown person.

    Example
    -------
    >>> people = pd.DataFrame({"person_id": list("abcdef"), "department": list("XXXYYY"),
    ...                        "is_leader": [True] + [False] * 5})
    >>> result = simulate(OrgGraph(people), [("a", "d")])
    >>> result["before"]["share_within_2_hops"]["overall"], result["after"]["ei_index"]
    (0.16666666666666666, 1.0)
    """
    if min_group < MIN_GROUP_FLOOR:
        raise ParameterError(f"min_group must be at least {MIN_GROUP_FLOOR}, got {min_group}")
    ties = proposal_ties(proposals)
    if not incremental:
        before = headline_metrics(graph, group_by=group_by, layers=layers, min_group=min_group)
        after_graph = graph.with_ties(ties) if len(ties) else graph
        after = headline_metrics(after_graph, group_by=group_by, layers=layers, min_group=min_group)
        return {"before": before, "after": after, "added_ties": len(ties)}
    u = graph.positions(ties["source"])
    v = graph.positions(ties["target"])
    measured = set(normalise_layers(layers, graph.layers))
    counted = ties["layer"].isin(measured).to_numpy() & (u != v)
    state = _SiloCounts.of(graph, group_by=group_by, layers=layers)
    distance = DistanceState(graph.adjacency(layers), graph.leader_mask(), np.ones(graph.n_people))
    before = state.figures(distance.distance, min_group=min_group)
    new_u, new_v = state.new_ties(u[counted], v[counted])
    state.add(new_u, new_v)
    for x, y in zip(new_u.tolist(), new_v.tolist(), strict=True):
        distance.add(x, y)
    after = state.figures(distance.distance, min_group=min_group)
    return {"before": before, "after": after, "added_ties": len(ties)}


class _SiloCounts:
    """Per-group internal tie counts and degree sums of the measured layers, updatable."""

    def __init__(
        self, group: np.ndarray, labels: list[str], src: np.ndarray, dst: np.ndarray
    ) -> None:
        self.group = group
        self.labels = labels
        g = len(labels)
        self.sizes = np.bincount(group, minlength=g)
        n = max(int(group.size), 1)
        self.n = n
        self.keys = np.sort(src.astype(np.int64) * n + dst.astype(np.int64))
        gs, gd = group[src], group[dst]
        inside = gs == gd
        self.internal = np.bincount(gs[inside], minlength=g).astype(np.int64)
        self.degree = (np.bincount(gs, minlength=g) + np.bincount(gd, minlength=g)).astype(np.int64)
        self.m = int(src.size)

    @classmethod
    def of(
        cls,
        graph: OrgGraph,
        *,
        group_by: str,
        layers: str | list[str] | tuple[str, ...] | None,
    ) -> _SiloCounts:
        group, labels = group_codes(graph, group_by)
        src, dst, _ = graph.edge_arrays(layers)
        return cls(group, labels, src, dst)

    def new_ties(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The distinct ties among ``(u, v)`` not present yet, as ``(low, high)``."""
        lo, hi = np.minimum(u, v).astype(np.int64), np.maximum(u, v).astype(np.int64)
        keys, first = np.unique(lo * self.n + hi, return_index=True)
        order = np.sort(first)
        lo, hi, keys = lo[order], hi[order], lo[order] * self.n + hi[order]
        if self.keys.size:
            pos = np.minimum(np.searchsorted(self.keys, keys), self.keys.size - 1)
            fresh = self.keys[pos] != keys
            lo, hi = lo[fresh], hi[fresh]
        return lo, hi

    def add(self, u: np.ndarray, v: np.ndarray) -> None:
        """Count new distinct ties ``(u[i], v[i])``."""
        gu, gv = self.group[u], self.group[v]
        inside = gu == gv
        g = len(self.labels)
        self.internal += np.bincount(gu[inside], minlength=g)
        self.degree += np.bincount(gu, minlength=g) + np.bincount(gv, minlength=g)
        self.m += int(u.size)

    def figures(self, hops: np.ndarray, *, min_group: int) -> dict[str, Any]:
        """The headline metrics from the counts and the hops to leaders."""
        m = self.m
        n_internal = int(self.internal.sum())
        ei = (m - 2 * n_internal) / m if m else None
        q = float((self.internal / m - (self.degree / (2.0 * m)) ** 2).sum()) if m else None
        return _exposure_figures(
            self.group, self.labels, hops, ei=ei, modularity=q, min_group=min_group
        )
