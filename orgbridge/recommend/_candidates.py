"""Candidate pairs: the few worth scoring exactly, without the all-pairs blow-up.

Small cohorts (at most ``exhaustive_limit`` possible pairs) use every valid pair. Larger ones
draw candidates from three sources, then filter them through the hard constraints:

- **exposure**: a tie from a person at distance ``j`` covers the partner's uncovered people out
  to ``k - j - 1`` hops (``k`` the horizon). So the people whose own uncovered neighbourhood
  weighs most (need-weighted: central people in far regions of the least-covered groups,
  :meth:`Gains.reach`) are joined with leaders (sponsors, or leaders in the cohort), and the
  uncovered people themselves with people within ``k - 1`` hops of a leader. The neediest are
  taken overall and within every group, so the search can move on when a group catches up;
- **silo**: the group pairs with the fewest ties today, each joined through a few of their
  neediest members;
- **random** valid pairs, so complementarity and fit have a chance too.

Each candidate gets a cheap estimate (its exact additive and silo parts plus the linearised
coverage gain of the neighbourhood it can reach, exact for a leader tie at ``k = 2``); only each
person's best ``per_person`` candidates by that estimate are kept. The search then scores the
survivors exactly.
"""

from __future__ import annotations

import numpy as np

from orgbridge.recommend._constraints import SPONSORSHIP_KIND, Rules, pair_keys
from orgbridge.recommend._gains import Gains
from orgbridge.recommend._state import exposure_value

__all__ = ["candidate_pairs", "cheap_estimate"]


def _closeness_estimate(gains: Gains, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = gains.distance.distance
    da, db = d[a], d[b]
    far = np.where(da > db, a, b)
    near_d = np.minimum(da, db)
    far_d = np.maximum(da, db)
    endpoint = exposure_value(np.minimum(far_d, near_d + 1)) - exposure_value(far_d)
    return np.asarray(np.where(far_d - near_d >= 2, endpoint, 0.0) * gains.distance.weight[far])


def _coverage_estimate(gains: Gains, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = gains.distance.distance
    k = gains.horizon
    own, reach = gains.reach()
    best = np.zeros(a.size)
    for near, far in ((a, b), (b, a)):
        j = d[near]
        r = k - j - 1
        useful = (d[far] > j + 1) & (r >= 0)
        value = np.where(r >= 1, reach[far], own[far])
        best = np.maximum(best, np.where(useful, value, 0.0))
    return best


def cheap_estimate(gains: Gains, a: np.ndarray, b: np.ndarray, additive: np.ndarray) -> np.ndarray:
    """Additive + silo parts exactly, plus an estimate of the exposure gain.

    Coverage: the need-weighted uncovered people the tie can reach from its farther end
    (exact for a tie from a leader at horizon 2). Closeness: the farther endpoint's own gain.
    """
    exposure = (
        _closeness_estimate(gains, a, b) if gains.closeness else _coverage_estimate(gains, a, b)
    )
    return np.asarray(additive + gains.silo(a, b) + gains.weights.exposure * exposure)


def candidate_pairs(
    gains: Gains,
    rules: Rules,
    capacity_left: np.ndarray,
    *,
    count: int,
    seed: int,
    exhaustive_limit: int = 20_000,
    per_person: int = 6,
) -> tuple[np.ndarray, np.ndarray]:
    """Valid candidate pairs ``(a, b)`` (for sponsorships ``a`` is the leader).

    Example
    -------
    >>> import pandas as pd
    >>> from orgbridge.graph import OrgGraph
    >>> from orgbridge.recommend._constraints import Constraints, compile_rules
    >>> from orgbridge.recommend._objective import PRESETS
    >>> g = OrgGraph(pd.DataFrame({"person_id": list("abc"), "is_leader": [1, 0, 0]}))
    >>> rules = compile_rules(g, Constraints())
    >>> a, b = candidate_pairs(Gains(g, rules, PRESETS["balanced"]), rules, rules.capacity,
    ...                        count=1, seed=0)
    >>> sorted(zip(a.tolist(), b.tolist()))
    [(0, 1), (0, 2), (1, 2)]
    """
    directed = rules.kind == SPONSORSHIP_KIND
    side_a = np.flatnonzero(rules.side_a & (capacity_left > 0))
    side_b = np.flatnonzero(rules.side_b & (capacity_left > 0))
    if side_a.size == 0 or side_b.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    possible = side_a.size * side_b.size if directed else side_a.size * (side_a.size - 1) // 2
    rng = np.random.default_rng(seed)
    if possible <= exhaustive_limit:
        if directed:
            a = np.repeat(side_a, side_b.size)
            b = np.tile(side_b, side_a.size)
        else:
            i, j = np.triu_indices(side_a.size, k=1)
            a, b = side_a[i], side_a[j]
        keep = rules.valid(a, b)
        a, b = a[keep], b[keep]
        if a.size <= max(20 * count, 5_000):
            return a, b
    else:
        a, b = _generate(gains, side_a, side_b, count=count, rng=rng)
        if not directed:
            a, b = np.minimum(a, b), np.maximum(a, b)
        keys = pair_keys(a, b, rules.n)
        _, first = np.unique(keys, return_index=True)
        a, b = a[first], b[first]
        keep = rules.valid(a, b)
        a, b = a[keep], b[keep]
    return _best_per_person(gains, a, b, per_person=per_person, rng=rng)


def _best_per_person(
    gains: Gains, a: np.ndarray, b: np.ndarray, *, per_person: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    if a.size == 0:
        return a, b
    estimate = cheap_estimate(gains, a, b, gains.additive(a, b))
    tiebreak = rng.random(a.size)
    keep = np.zeros(a.size, dtype=bool)
    for end in (a, b):
        order = np.lexsort((tiebreak, -estimate, end))
        sorted_end = end[order]
        start = np.r_[True, sorted_end[1:] != sorted_end[:-1]]
        group_start = np.maximum.accumulate(np.where(start, np.arange(a.size), 0))
        rank = np.arange(a.size) - group_start
        keep[order[rank < per_person]] = True
    return a[keep], b[keep]


def _generate(
    gains: Gains,
    side_a: np.ndarray,
    side_b: np.ndarray,
    *,
    count: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    d = gains.distance.distance
    own, reach = gains.reach()
    tiebreak = rng.random(len(d))
    group = gains.group
    parts_a: list[np.ndarray] = []
    parts_b: list[np.ndarray] = []
    top = max(3 * count, 300)
    sample = 12

    def join(needy: np.ndarray, partners: np.ndarray) -> None:
        if needy.size == 0 or partners.size == 0:
            return
        if partners.size <= sample:
            parts_a.append(np.tile(partners, needy.size))
            parts_b.append(np.repeat(needy, partners.size))
        else:
            parts_a.append(partners[rng.integers(0, partners.size, size=needy.size * sample)])
            parts_b.append(np.repeat(needy, sample))

    if gains.closeness:
        close = side_a[d[side_a] <= max(1, int(d[side_a].min()))]
        if close.size < 50:
            close = side_a[np.argsort(d[side_a], kind="stable")][: max(4 * count, 50)]
        join(_neediest(side_b, own, tiebreak, group, top), close)
    else:
        # a tie from a leader reaches k - 1 hops past the partner: the partners whose reachable
        # uncovered people weigh most; a tie from distance 1..k-1 covers fewer, the partner first
        k = gains.horizon
        join(_neediest(side_b, reach, tiebreak, group, top), side_a[d[side_a] == 0])
        closer = side_a[(d[side_a] >= 1) & (d[side_a] <= k - 1)]
        join(_neediest(side_b, own, tiebreak, group, top), closer)

    # silo: the group pairs with the fewest ties, through their neediest members
    members_a = _members_by_group(side_a, group, reach, tiebreak)
    members_b = _members_by_group(side_b, group, reach, tiebreak)
    ga = np.array(sorted(members_a), dtype=np.int64)
    gb = np.array(sorted(members_b), dtype=np.int64)
    if ga.size * gb.size <= 250_000:
        pa, pb = np.repeat(ga, gb.size), np.tile(gb, ga.size)
        cross = pa != pb
        pa, pb = pa[cross], pb[cross]
        today = gains.ties.count(pa, pb)
        order = np.lexsort((rng.random(pa.size), today))[: max(2 * count, 100)]
        pointer_a: dict[int, int] = {}
        pointer_b: dict[int, int] = {}
        silo_a: list[int] = []
        silo_b: list[int] = []
        for x, y in zip(pa[order].tolist(), pb[order].tolist(), strict=True):
            left, right = members_a[x], members_b[y]
            for _ in range(2):
                i, j = pointer_a.get(x, 0), pointer_b.get(y, 0)
                silo_a.append(int(left[i % left.size]))
                silo_b.append(int(right[j % right.size]))
                pointer_a[x], pointer_b[y] = i + 1, j + 1
        parts_a.append(np.asarray(silo_a, dtype=np.int64))
        parts_b.append(np.asarray(silo_b, dtype=np.int64))

    # random valid pairs
    n_random = max(2 * count, 200)
    parts_a.append(side_a[rng.integers(0, side_a.size, size=n_random)])
    parts_b.append(side_b[rng.integers(0, side_b.size, size=n_random)])
    return np.concatenate(parts_a), np.concatenate(parts_b)


def _neediest(
    people: np.ndarray, need: np.ndarray, tiebreak: np.ndarray, group: np.ndarray, top: int
) -> np.ndarray:
    """The ``top`` neediest overall, plus the neediest of every group (so no group is starved)."""
    people = people[need[people] > 0]
    if people.size == 0:
        return people
    order = people[np.lexsort((tiebreak[people], -need[people]))]
    groups = group[order]
    n_groups = int(np.unique(groups).size)
    per_group = max(top // max(n_groups, 1), 10)
    rank = np.zeros(order.size, dtype=np.int64)
    by_group = np.lexsort((np.arange(order.size), groups))
    sorted_groups = groups[by_group]
    starts = np.r_[True, sorted_groups[1:] != sorted_groups[:-1]]
    first = np.maximum.accumulate(np.where(starts, np.arange(order.size), 0))
    rank[by_group] = np.arange(order.size) - first
    keep = (np.arange(order.size) < top) | (rank < per_group)
    return order[keep]


def _members_by_group(
    people: np.ndarray, group: np.ndarray, need: np.ndarray, tiebreak: np.ndarray
) -> dict[int, np.ndarray]:
    order = np.lexsort((tiebreak[people], -need[people], group[people]))
    ordered = people[order]
    groups = group[ordered]
    bounds = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1], True])
    return {
        int(groups[bounds[i]]): ordered[bounds[i] : bounds[i + 1]] for i in range(bounds.size - 1)
    }
