"""Baselines that show the recommender's gain is real, and a scorer for any proposal set.

- ``random``: a random valid matching;
- ``similarity``: the most similar valid pairs (same department, same location, close level), as
  mentoring platforms match;
- ``senior_junior``: within each function (department), the most senior with the most junior
  valid partner, as traditional mentoring does;
- ``targeted``: a simple rule aimed at the exposure gap: take the least-covered group (the share
  of its non-leaders with a leader within ``horizon`` hops, groups of at least 5 non-leaders),
  pair one of its uncovered people, or an eligible neighbour of theirs when they are not
  eligible, with a random eligible person next to a leader (a leader or one hop away); update
  the distances and repeat.

All four obey the same hard constraints and capacities as the recommender.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from orgbridge.errors import ParameterError
from orgbridge.graph import OrgGraph
from orgbridge.recommend._constraints import PAIR, Constraints, Rules, compile_rules, pair_keys
from orgbridge.recommend._coverage import DEFAULT_HORIZON, check_horizon
from orgbridge.recommend._gains import Gains, group_codes
from orgbridge.recommend._objective import COMPONENTS, Weights, weights_for
from orgbridge.recommend._state import DistanceState

__all__ = ["BASELINES", "baseline_pairs", "score_proposals"]

BASELINES = ("random", "similarity", "senior_junior", "targeted")
#: Smallest group (non-leaders) the targeted rule aims at, as the equity figures count it.
TARGET_MIN_GROUP = 5


def baseline_pairs(
    graph: OrgGraph,
    *,
    method: str,
    count: int,
    constraints: Constraints | None = None,
    seed: int = 0,
    function_by: str = "department",
    group_by: str = "department",
    layers: str | list[str] | tuple[str, ...] | None = None,
    horizon: int = DEFAULT_HORIZON,
) -> pd.DataFrame:
    """Up to ``count`` valid pairs chosen by a baseline ``method`` (columns ``a, b, kind``).

    ``group_by``, ``layers`` and ``horizon`` are read by the ``targeted`` rule only.

    Raises
    ------
    ParameterError
        An unknown method.

    Example
    -------
    >>> people = pd.DataFrame({"person_id": list("abcd"), "department": list("XXYY"),
    ...                        "level": [1, 3, 1, 3]})
    >>> chosen = baseline_pairs(OrgGraph(people), method="senior_junior", count=2)
    >>> chosen[["a", "b"]].to_numpy().tolist()
    [['b', 'a'], ['d', 'c']]
    """
    if method not in BASELINES:
        raise ParameterError(f"method must be one of {BASELINES}, got {method!r}")
    rules = compile_rules(graph, constraints or Constraints(), kind=PAIR)
    rng = np.random.default_rng(seed)
    people = np.flatnonzero(rules.side_a & (rules.capacity > 0))
    if method == "targeted":
        chosen = _targeted(
            graph, rules, group_by=group_by, layers=layers, horizon=horizon, count=count, rng=rng
        )
    else:
        if method == "random":
            a, b = _random_candidates(rules, people, count, rng)
            order = rng.permutation(a.size)
        else:
            a, b, score = (
                _similar_candidates(graph, rules, people, rng)
                if method == "similarity"
                else _senior_junior_candidates(graph, rules, people, function_by, rng)
            )
            order = np.lexsort((rng.random(a.size), -score))
        chosen = _take(a[order], b[order], rules.capacity.copy(), count)
    ids = graph.ids
    return pd.DataFrame(
        {
            "a": [str(ids[x]) for x, _ in chosen],
            "b": [str(ids[y]) for _, y in chosen],
            "kind": PAIR,
        }
    )


def _targeted(
    graph: OrgGraph,
    rules: Rules,
    *,
    group_by: str,
    layers: str | list[str] | tuple[str, ...] | None,
    horizon: int,
    count: int,
    rng: np.random.Generator,
) -> list[tuple[int, int]]:
    k = check_horizon(horizon)
    group, _ = group_codes(graph, group_by)
    adjacency = graph.adjacency(layers)
    leaders = graph.leader_mask()
    state = DistanceState(adjacency, leaders, np.ones(graph.n_people))
    capacity = rules.capacity.copy()
    members = ~leaders
    size = np.bincount(group[members], minlength=int(group.max()) + 1 if group.size else 0)
    exhausted = size < TARGET_MIN_GROUP
    chosen: list[tuple[int, int]] = []
    while len(chosen) < count and not exhausted.all():
        d = state.distance
        covered = np.bincount(group[members & (d <= k)], minlength=size.size)
        share = np.where(exhausted, np.inf, covered / np.maximum(size, 1))
        worst = int(np.argmin(share))
        pair = _targeted_pair(rules, adjacency, capacity, d, group == worst, leaders, k, rng)
        if pair is None:
            exhausted[worst] = True
            continue
        u, v = pair
        state.add(u, v)
        capacity[u] -= 1
        capacity[v] -= 1
        chosen.append((u, v))
    return chosen


def _targeted_pair(
    rules: Rules,
    adjacency: Any,
    capacity: np.ndarray,
    d: np.ndarray,
    in_group: np.ndarray,
    leaders: np.ndarray,
    k: int,
    rng: np.random.Generator,
) -> tuple[int, int] | None:
    """One pair for the worst group's uncovered people, or None when none can be helped."""
    open_ = rules.side_a & (capacity > 0)
    near = np.flatnonzero(open_ & (d <= 1))
    if near.size == 0:
        return None
    far = np.flatnonzero(in_group & ~leaders & (d > k))
    for x in far[rng.permutation(far.size)].tolist():
        candidates = [x] if open_[x] else []
        neighbours = adjacency.indices[adjacency.indptr[x] : adjacency.indptr[x + 1]]
        candidates += rng.permutation(neighbours[open_[neighbours]]).tolist()
        for mentee in candidates:
            partners = near[rng.permutation(near.size)]
            if mentee != x:
                # x is one hop past its neighbour: a leader partner covers x at horizon 2
                partners = partners[np.argsort(d[partners], kind="stable")]
            ok = partners[rules.valid(partners, np.full(partners.size, mentee))]
            if ok.size:
                return int(ok[0]), int(mentee)
    return None


def _take(a: np.ndarray, b: np.ndarray, capacity: np.ndarray, count: int) -> list[tuple[int, int]]:
    chosen: list[tuple[int, int]] = []
    seen: set[tuple[int, int]] = set()
    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        if len(chosen) >= count:
            break
        key = (min(x, y), max(x, y))
        if capacity[x] > 0 and capacity[y] > 0 and key not in seen:
            capacity[x] -= 1
            capacity[y] -= 1
            seen.add(key)
            chosen.append((x, y))
    return chosen


def _random_candidates(
    rules: Rules, people: np.ndarray, count: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    if people.size < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if people.size <= 300:
        i, j = np.triu_indices(people.size, k=1)
        a, b = people[i], people[j]
    else:
        size = max(30 * count, 2_000)
        a = people[rng.integers(0, people.size, size)]
        b = people[rng.integers(0, people.size, size)]
    keep = rules.valid(a, b)
    return a[keep], b[keep]


def _neighbour_pairs(order: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    parts_a, parts_b = [], []
    for offset in range(1, width + 1):
        parts_a.append(order[:-offset])
        parts_b.append(order[offset:])
    if not parts_a:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(parts_a), np.concatenate(parts_b)


def _similar_candidates(
    graph: OrgGraph, rules: Rules, people: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from orgbridge.recommend._constraints import codes

    dept = codes(graph, "department")
    loc = codes(graph, "location")
    level = np.nan_to_num(rules.level, nan=0.0)
    order = people[np.lexsort((rng.random(people.size), level[people], loc[people], dept[people]))]
    a, b = _neighbour_pairs(order, width=min(8, max(order.size - 1, 0)))
    keep = rules.valid(a, b)
    a, b = a[keep], b[keep]
    score = 2.0 * (dept[a] == dept[b]) + 1.0 * (loc[a] == loc[b]) - np.abs(level[a] - level[b])
    return a, b, score


def _senior_junior_candidates(
    graph: OrgGraph, rules: Rules, people: np.ndarray, function_by: str, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from orgbridge.recommend._constraints import codes

    function = codes(graph, function_by)
    level = np.nan_to_num(rules.level, nan=0.0)
    parts_a, parts_b = [], []
    for code in np.unique(function[people]):
        members = people[function[people] == code]
        ranked = members[np.lexsort((rng.random(members.size), -level[members]))]
        half = ranked.size // 2
        seniors, juniors = ranked[: max(half, 1)], ranked[::-1][: max(half, 1)]
        for offset in range(min(4, juniors.size)):
            rolled = np.roll(juniors, -offset)
            size = min(seniors.size, rolled.size)
            parts_a.append(seniors[:size])
            parts_b.append(rolled[:size])
    if not parts_a:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    a, b = np.concatenate(parts_a), np.concatenate(parts_b)
    keep = rules.valid(a, b) & (level[a] > level[b])
    a, b = a[keep], b[keep]
    _, first = np.unique(pair_keys(a, b, rules.n), return_index=True)
    a, b = a[first], b[first]
    return a, b, level[a] - level[b]


def score_proposals(
    graph: OrgGraph,
    proposals: pd.DataFrame,
    *,
    objective: str | Weights | dict[str, Any] = "balanced",
    constraints: Constraints | None = None,
    group_by: str = "department",
    layers: str | list[str] | tuple[str, ...] | None = None,
    horizon: int = DEFAULT_HORIZON,
) -> dict[str, float]:
    """Total objective gain of a proposal set, by component (ties added in the given order).

    Example
    -------
    >>> people = pd.DataFrame({"person_id": list("abcd"), "department": list("XXYY")})
    >>> score_proposals(OrgGraph(people), pd.DataFrame({"a": ["a"], "b": ["c"]}))["silo"]
    1.0
    """
    weights = weights_for(objective)
    rules = compile_rules(graph, constraints or Constraints(), kind=PAIR)
    gains = Gains(graph, rules, weights, group_by=group_by, layers=layers, horizon=horizon)
    totals = dict.fromkeys(("score", *COMPONENTS), 0.0)
    if len(proposals) == 0:
        return totals
    a = graph.positions(proposals["a"].astype(str))
    b = graph.positions(proposals["b"].astype(str))
    for u, v in zip(a.tolist(), b.tolist(), strict=True):
        evaluation = gains.evaluate(u, v)
        gains.apply(u, v)
        totals["score"] += evaluation.score
        for name in COMPONENTS:
            totals[name] += evaluation.breakdown[name]
    return totals
