"""What-if simulation: the headline metrics before and after a set of proposed ties.

The headline metrics are the E-I index and the modularity of the groups (from
:mod:`orgbridge.metrics`, on undirected ties of the measured layers), and leadership exposure
as coverage, with the definitions of ``orgbridge analyze`` (docs/analysis.md): the share of each
group's **non-leaders** within 2 hops of a leader (leaders are left out of every share and gap:
they are at 0 hops by definition), the same share over every non-leader of the organisation,
the equity gap (best minus worst group share), the worst group with its share and its gap to the
organisation's share. Groups with fewer non-leaders than the privacy threshold are shown as
``None`` and left out of the gaps, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from orgbridge.errors import ParameterError
from orgbridge.graph import MENTORING, MIN_GROUP_FLOOR, SPONSORSHIP, OrgGraph, normalise_layers
from orgbridge.recommend._gains import group_codes
from orgbridge.recommend._programme import programme_state
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
    (0.0, 0.6666666666666666)
    """
    if min_group < MIN_GROUP_FLOOR:
        raise ParameterError(f"min_group must be at least {MIN_GROUP_FLOOR}, got {min_group}")
    ei, modularity = _silo_figures(graph, group_by=group_by, layers=layers)
    group, labels = group_codes(graph, group_by)
    leaders = graph.leader_mask()
    hops = leader_distances(graph.adjacency(layers), np.flatnonzero(leaders))
    return _exposure_figures(
        group, labels, hops, leaders, ei=ei, modularity=modularity, min_group=min_group
    )


def _exposure_figures(
    group: np.ndarray,
    labels: list[str],
    hops: np.ndarray,
    leaders: np.ndarray,
    *,
    ei: float | None,
    modularity: float | None,
    min_group: int,
) -> dict[str, Any]:
    """Coverage within 2 hops over non-leaders: per group, overall, best, worst and gaps."""
    out: dict[str, Any] = {"ei_index": ei, "modularity": modularity}
    if not leaders.any():
        out["share_within_2_hops"] = {"overall": None, "by_group": dict.fromkeys(labels)}
        out.update(equity_gap=None, best_group=None, worst_group=None, worst_share=None)
        out.update(worst_gap_to_overall=None, note="exposure needs leaders: none are marked")
        return out
    member = ~leaders
    near = (hops <= 2) & member
    sizes = np.bincount(group[member], minlength=len(labels))
    within = np.bincount(group[near], minlength=len(labels))
    shares: dict[str, float | None] = {}
    shown: dict[str, float] = {}
    for code, label in enumerate(labels):
        if sizes[code] < min_group:
            shares[label] = None
            continue
        shares[label] = shown[label] = float(within[code] / sizes[code])
    overall = float(near.sum() / member.sum()) if member.any() else None
    out["share_within_2_hops"] = {"overall": overall, "by_group": shares}
    if len(shown) >= 2:
        best = max(shown, key=lambda k: (shown[k], k))
        worst = min(shown, key=lambda k: (shown[k], k))
        out["equity_gap"] = shown[best] - shown[worst]
        out["best_group"], out["worst_group"] = best, worst
        out["worst_share"] = shown[worst]
        out["worst_gap_to_overall"] = None if overall is None else overall - shown[worst]
    else:
        out.update(equity_gap=None, best_group=None, worst_group=None, worst_share=None)
        out["worst_gap_to_overall"] = None
    return out


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
    as_of: str | pd.Timestamp | None = None,
) -> dict[str, Any]:
    """Headline metrics before and after adding ``proposals`` (any set, e.g. a user-edited one).

    By default the "after" figures are updated from the "before" state rather than recomputed:
    E-I and modularity change only through the added ties' group pairs and degrees, and hops to
    leaders fall only where the pruned BFS of :class:`DistanceState` reaches, so the cost is one
    pass over the organisation plus the people who gain. ``incremental=False`` rebuilds the
    graph with the new ties and recomputes everything (the two agree; tests check it).

    ``as_of`` reads the organisation on that day first (ties ended before it are history and
    do not count; see :func:`~orgbridge.recommend.programme_state`); None: every tie of
    ``graph`` counts, unless it is a snapshot.

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
    (0.0, 1.0)
    """
    if min_group < MIN_GROUP_FLOOR:
        raise ParameterError(f"min_group must be at least {MIN_GROUP_FLOOR}, got {min_group}")
    if as_of is not None or graph.metadata.get("as_of"):
        graph = programme_state(graph, as_of=as_of).current
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
    leaders = graph.leader_mask()
    distance = DistanceState(graph.adjacency(layers), leaders, np.ones(graph.n_people))
    before = state.figures(distance.distance, leaders, min_group=min_group)
    new_u, new_v = state.new_ties(u[counted], v[counted])
    state.add(new_u, new_v)
    for x, y in zip(new_u.tolist(), new_v.tolist(), strict=True):
        distance.add(x, y)
    after = state.figures(distance.distance, leaders, min_group=min_group)
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

    def figures(self, hops: np.ndarray, leaders: np.ndarray, *, min_group: int) -> dict[str, Any]:
        """The headline metrics from the counts and the hops to leaders."""
        m = self.m
        n_internal = int(self.internal.sum())
        ei = (m - 2 * n_internal) / m if m else None
        q = float((self.internal / m - (self.degree / (2.0 * m)) ** 2).sum()) if m else None
        return _exposure_figures(
            self.group, self.labels, hops, leaders, ei=ei, modularity=q, min_group=min_group
        )
