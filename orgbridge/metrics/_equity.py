"""Exposure equity: is access to leadership spread fairly across groups?

**Leaders are left out of every share, mean, Gini and gap**: they are at 0 hops from a leader
by definition, and counting them would make the leaders' own department the "best" group and
move every figure with the number of leaders, not with access.

Per group of any people attribute (department by default; a missing value is the explicit
group ``"(missing)"``): its size, how many of its people are leaders and how many are not
(``non_leaders``), and over its non-leaders: the share within 1 and within 2 hops of a leader
(the coverage), the mean exposure score (and that mean relative to the mean over every
non-leader, 1 = average), the mean hops among those who can reach a leader, and the share who
cannot reach one at all. Groups with fewer non-leaders than the privacy threshold keep their
row with every aggregate blanked.

Across groups, over the groups that are shown (never over suppressed ones): the best-worst gap
of the coverage within 2 hops and of the mean exposure, and the worst group's coverage with its
gap to the organisation's coverage (the share of every non-leader within 2 hops). Across people:
the Gini coefficient of the non-leaders' exposure scores.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from orgbridge.errors import ParameterError
from orgbridge.graph import OrgGraph
from orgbridge.graph._orggraph import LayerSpec
from orgbridge.metrics._bfs import UNREACHED
from orgbridge.metrics._exposure import (
    _parameters,
    hops_to_leader,
    leader_positions,
    personalised_pagerank,
)
from orgbridge.metrics._grouping import GroupBy, grouping
from orgbridge.metrics._privacy import DEFAULT_MIN_GROUP, check_min_group, suppress_small_groups
from orgbridge.metrics._result import Result

__all__ = ["exposure_equity", "gini"]

_GROUP_COLUMNS = (
    "group",
    "size",
    "leaders",
    "non_leaders",
    "share_within_1_hop",
    "share_within_2_hops",
    "mean_exposure",
    "exposure_ratio",
    "mean_hops",
    "share_unreachable",
)


def exposure_equity(
    graph: OrgGraph,
    *,
    group_by: GroupBy = "department",
    layers: LayerSpec = None,
    leaders: Iterable[str] | None = None,
    min_group: int = DEFAULT_MIN_GROUP,
    damping: float = 0.85,
    tol: float = 1e-10,
    per_person: Result | None = None,
) -> Result:
    """Leadership exposure per group, the best-worst gaps, and the Gini across people.

    Parameters
    ----------
    graph
        The organisation.
    group_by
        A people attribute (``"department"``, ``"level"``, ``"location"``, ...) or a Series
        of labels indexed by person_id.
    layers, leaders, damping, tol
        As in :func:`orgbridge.metrics.exposure`.
    min_group
        Privacy threshold: groups with fewer people are shown blank (at least 5).
    per_person
        A result of :func:`orgbridge.metrics.exposure` on the same graph, to reuse instead
        of recomputing (its layers, leaders and PageRank settings then apply).

    Returns
    -------
    Result
        ``exposure_equity``; table (one row per group, none dropped) ``group, size,
        leaders, non_leaders, share_within_1_hop, share_within_2_hops, mean_exposure,
        exposure_ratio, mean_hops, share_unreachable, suppressed, note`` (every share and
        mean over the group's non-leaders); values ``gini`` (non-leaders),
        ``gap_share_within_2_hops`` with ``best_share_within_2_hops`` and
        ``worst_share_within_2_hops`` (group names), ``worst_group_share_within_2_hops``
        (the worst group's coverage) and ``worst_gap_to_overall_within_2_hops`` (the
        organisation's coverage minus it), ``gap_mean_exposure`` with
        ``best_mean_exposure`` and ``worst_mean_exposure``, ``share_within_1_hop``,
        ``share_within_2_hops`` (over every non-leader), ``n_groups``, ``n_suppressed``.
        A gap is ``None`` when fewer than two groups are shown.

    Raises
    ------
    PrivacyError
        ``min_group`` is below 5.
    ParameterError
        No leaders, an unknown grouping attribute, or a ``per_person`` result that does not
        fit the graph.

    Example
    -------
    >>> from orgbridge.metrics._exposure import _four_person_org
    >>> r = exposure_equity(_four_person_org())
    >>> r.table[["group", "size", "suppressed"]].to_numpy().tolist()
    [['Board', <NA>, True], ['Ops', <NA>, True], ['Sales', <NA>, True]]
    >>> round(r["gini"], 3), r["share_within_2_hops"], r["gap_share_within_2_hops"] is None
    (0.468, 0.6666666666666666, True)
    """
    min_group = check_min_group(min_group)
    if per_person is None:
        adjacency = graph.adjacency(layers)
        leader_pos = leader_positions(graph, leaders)
        hops = hops_to_leader(adjacency, leader_pos)
        scores, _ = personalised_pagerank(adjacency, leader_pos, damping=damping, tol=tol)
        is_leader = np.zeros(graph.n_people, dtype=bool)
        is_leader[leader_pos] = True
        parameters = {**_parameters(graph, layers, leaders), "damping": damping, "tol": tol}
    else:
        hops, scores, is_leader = _unpack(graph, per_person)
        parameters = {
            key: per_person.parameters[key]
            for key in ("layers", "leaders", "damping", "tol")
            if key in per_person.parameters
        }
    groups = grouping(graph, group_by)
    table = _group_table(groups.labels, groups.codes, hops, scores, is_leader)
    table = suppress_small_groups(table, size_column="non_leaders", min_group=min_group)
    member = ~is_leader
    overall_2 = _share(hops[member], 2)
    coverage_gap = _gap(table, "share_within_2_hops")
    worst = coverage_gap["worst_share_within_2_hops"]
    worst_share = (
        None
        if worst is None
        else float(table.loc[table["group"] == worst, "share_within_2_hops"].iloc[0])
    )
    values = {
        "gini": gini(scores[member]),
        **coverage_gap,
        "worst_group_share_within_2_hops": worst_share,
        "worst_gap_to_overall_within_2_hops": (
            None if worst_share is None or overall_2 is None else overall_2 - worst_share
        ),
        **_gap(table, "mean_exposure"),
        "share_within_1_hop": _share(hops[member], 1),
        "share_within_2_hops": overall_2,
        "n_groups": len(table),
        "n_suppressed": int(table["suppressed"].sum()),
    }
    parameters = {**parameters, "group_by": groups.name, "min_group": min_group}
    return Result("exposure_equity", parameters, table, values)


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values: 0 when all equal, near 1 when one holds all.

    ``sum_i sum_j |x_i - x_j| / (2 n^2 mean)``, computed from the sorted values in
    O(n log n). Zero for an empty or all-zero input.

    Raises
    ------
    ParameterError
        A value is negative or not finite.

    Example
    -------
    >>> gini(np.array([1.0, 1.0, 1.0])), gini(np.array([0.0, 0.0, 3.0]))
    (0.0, 0.6666666666666666)
    """
    x = np.sort(np.asarray(values, dtype=np.float64))
    n = len(x)
    if n == 0:
        return 0.0
    if not np.isfinite(x).all() or x[0] < 0:
        raise ParameterError("the Gini coefficient needs finite, non-negative values")
    total = x.sum()
    if total == 0:
        return 0.0
    rank = np.arange(1, n + 1, dtype=np.float64)
    return float(np.dot(2.0 * rank - n - 1.0, x) / (n * total))


def _group_table(
    labels: tuple[str, ...],
    codes: np.ndarray,
    hops: np.ndarray,
    scores: np.ndarray,
    is_leader: np.ndarray,
) -> pd.DataFrame:
    """Per-group figures over each group's non-leaders (sizes count everyone)."""
    n_groups = len(labels)
    member = ~is_leader

    def per_group(weights: np.ndarray | None = None, *, only: np.ndarray = member) -> np.ndarray:
        w = only.astype(np.float64) if weights is None else np.where(only, weights, 0.0)
        counts: np.ndarray = np.bincount(codes, weights=w, minlength=n_groups)
        return counts

    size = np.bincount(codes, minlength=n_groups).astype(np.int64)
    others = per_group().astype(np.int64)
    reachable = hops != UNREACHED
    n_reachable = per_group(reachable.astype(np.float64))
    mean_score = scores[member].mean() if member.any() else 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_exposure = per_group(scores) / others
        table = pd.DataFrame(
            {
                "group": pd.Series(labels, dtype="string"),
                "size": size,
                "leaders": size - others,
                "non_leaders": others,
                "share_within_1_hop": per_group((reachable & (hops <= 1)).astype(float)) / others,
                "share_within_2_hops": per_group((reachable & (hops <= 2)).astype(float)) / others,
                "mean_exposure": mean_exposure,
                "exposure_ratio": mean_exposure / mean_score if mean_score > 0 else np.nan,
                "mean_hops": per_group(np.where(reachable, hops, 0).astype(float)) / n_reachable,
                "share_unreachable": 1.0 - n_reachable / others,
            }
        )
    return table[list(_GROUP_COLUMNS)]


def _gap(table: pd.DataFrame, column: str) -> dict[str, Any]:
    """Best minus worst value of ``column`` over shown groups, with the groups' names."""
    shown = table.loc[~table["suppressed"].to_numpy() & table[column].notna().to_numpy()]
    if len(shown) < 2:
        return {f"gap_{column}": None, f"best_{column}": None, f"worst_{column}": None}
    values = shown[column].to_numpy(dtype=np.float64)
    best, worst = int(np.argmax(values)), int(np.argmin(values))
    return {
        f"gap_{column}": float(values[best] - values[worst]),
        f"best_{column}": str(shown["group"].iloc[best]),
        f"worst_{column}": str(shown["group"].iloc[worst]),
    }


def _share(hops: np.ndarray, k: int) -> float | None:
    if len(hops) == 0:
        return None
    return float(((hops != UNREACHED) & (hops <= k)).mean())


def _unpack(graph: OrgGraph, per_person: Result) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hops, scores and leader mask (by position) from an ``exposure`` result."""
    table = per_person.table
    needed = {"person_id", "hops_to_leader", "exposure"}
    if per_person.name != "exposure" or not needed <= set(table.columns):
        raise ParameterError("per_person must be a result of orgbridge.metrics.exposure")
    if len(table) != graph.n_people or not pd.Index(table["person_id"]).equals(graph.ids):
        raise ParameterError("per_person was computed on a different set of people")
    hops = table["hops_to_leader"].fillna(UNREACHED).to_numpy(dtype=np.int64)
    scores = table["exposure"].to_numpy(dtype=np.float64)
    is_leader = hops == 0
    return hops, scores, is_leader
