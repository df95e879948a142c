"""Homophilous collaboration: whom people work with, drawn as whole arrays.

Each tie starts at a person drawn in proportion to their activity (heavy-tailed, so degree is
too) and ends at someone from the same team, the same department, the same division or anyone,
by a mixture whose first two parts make the ties mostly internal to departments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from orgbridge.synthetic._sampling import GroupPool, leads_team, own_team, team_pool
from orgbridge.synthetic._tree import Tree

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

#: Within a department, the share of draws that stay in the person's own team.
_TEAM_SHARE = 0.45
#: Outside a department, the share of draws that stay in the person's division.
_DIVISION_SHARE = 0.4
_MAX_ROUNDS = 12
_EXPECTED_YIELD = 0.75


@dataclass(frozen=True)
class Pools:
    """Where partners are drawn from: team, department, division and the whole organisation."""

    manager: IntArray
    leads: NDArray[np.bool_]
    group: IntArray
    division: IntArray
    team: GroupPool
    department: GroupPool
    divisions: GroupPool
    everyone: GroupPool

    @classmethod
    def build(cls, tree: Tree, activity: FloatArray) -> Pools:
        """Pools for ``tree``; the executive office counts as one more department and division."""
        n = len(tree.manager)
        people = np.arange(n, dtype=np.int64)
        group = np.where(tree.department < 0, tree.department.max() + 1, tree.department)
        division = np.where(tree.division < 0, tree.division.max() + 1, tree.division)
        return cls(
            manager=tree.manager,
            leads=leads_team(tree.manager),
            group=group,
            division=division,
            team=team_pool(tree.manager),
            department=GroupPool.build(
                group, people, n_groups=int(group.max()) + 1, weight=activity
            ),
            divisions=GroupPool.build(
                division, people, n_groups=int(division.max()) + 1, weight=activity
            ),
            everyone=GroupPool.build(
                np.zeros(n, dtype=np.int64), people, n_groups=1, weight=activity
            ),
        )

    def active(self, size: int, rng: np.random.Generator) -> IntArray:
        """``size`` people drawn in proportion to their activity."""
        return self.everyone.pick(np.zeros(size, dtype=np.int64), rng)

    def partners(self, people: IntArray, mix: FloatArray, rng: np.random.Generator) -> IntArray:
        """A partner for each person; ``mix``: chances of team, department, division, anyone."""
        kind = np.searchsorted(np.cumsum(mix), rng.random(len(people)) * np.sum(mix), side="right")
        kind = np.minimum(kind, len(mix) - 1)
        out = np.empty(len(people), dtype=np.int64)
        for k in range(4):
            at = np.flatnonzero(kind == k)
            who = people[at]
            if k == 0:
                out[at] = self.team.pick(own_team(self.manager, who, rng, self.leads), rng)
            elif k == 1:
                out[at] = self.department.pick(self.group[who], rng)
            elif k == 2:
                out[at] = self.divisions.pick(self.division[who], rng)
            else:
                out[at] = self.everyone.pick(np.zeros(len(at), dtype=np.int64), rng)
        return out


def tie_mix(within_department: float) -> FloatArray:
    """Chances of team, department, division and anyone for a given within-department share.

    Example
    -------
    >>> tie_mix(0.8).round(2).tolist()
    [0.36, 0.44, 0.08, 0.12]
    """
    outside = 1.0 - within_department
    return np.array(
        [
            within_department * _TEAM_SHARE,
            within_department * (1 - _TEAM_SHARE),
            outside * _DIVISION_SHARE,
            outside * (1 - _DIVISION_SHARE),
        ]
    )


def collaboration_ties(
    pools: Pools, n_ties: int, *, within_department: float, rng: np.random.Generator
) -> tuple[IntArray, IntArray, FloatArray]:
    """``n_ties`` distinct undirected ties as ``(source, target, weight)``, source < target.

    A pair drawn more than once is one tie whose weight grows with the log of the repeats.
    """
    n = len(pools.manager)
    mix = tie_mix(within_department)
    keys = np.empty(0, dtype=np.int64)
    unique, repeats = keys, keys
    # About a quarter of draws repeat a pair (small teams), so draw enough for one round.
    yield_ = _EXPECTED_YIELD
    for _ in range(_MAX_ROUNDS):
        missing = n_ties - len(unique)
        if missing <= 0:
            break
        size = int(missing / yield_ * 1.1) + 16
        source = pools.active(size, rng)
        target = pools.partners(source, mix, rng)
        differ = source != target
        lo = np.minimum(source, target)[differ]
        hi = np.maximum(source, target)[differ]
        del source, target, differ
        keys = np.concatenate((keys, lo * n + hi))
        del lo, hi
        found = len(unique)
        unique, repeats = np.unique(keys, return_counts=True)
        yield_ = max((len(unique) - found) / size, 0.01)
    if len(unique) > n_ties:
        drop = rng.choice(len(unique), size=len(unique) - n_ties, replace=False)
        keep = np.ones(len(unique), dtype=np.bool_)
        keep[drop] = False
        unique, repeats = unique[keep], repeats[keep]
    strength = 1.0 + np.log(repeats)
    weight = np.maximum(np.round(strength * rng.gamma(2.0, 0.75, len(unique)), 2), 0.05)
    return unique // n, unique % n, weight
