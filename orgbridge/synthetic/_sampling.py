"""Vectorised draws of people from groups (a team, a department, everyone).

A :class:`GroupPool` sorts members by group once; each draw is then one uniform integer and
one lookup, so millions of draws cost a few array passes and no Python loop per draw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


#: Weighted draws use tickets: a person of average weight holds this many.
_TICKETS_PER_MEAN = 8


@dataclass(frozen=True)
class GroupPool:
    """Members grouped by an integer key, ready for weighted draws within a group.

    Weights are turned into whole tickets (at least one each, about eight for an average
    weight), so a draw is one uniform integer and one array lookup.

    Example
    -------
    >>> pool = GroupPool.build(np.array([0, 0, 1]), np.array([0, 1, 2]), n_groups=2)
    >>> pool.pick(np.array([1, 1]), np.random.default_rng(0)).tolist()
    [2, 2]
    """

    tickets: IntArray
    start: IntArray
    count: IntArray

    @classmethod
    def build(
        cls,
        group: IntArray,
        member: IntArray,
        *,
        n_groups: int,
        weight: FloatArray | None = None,
    ) -> GroupPool:
        """Pool ``member[i]`` into ``group[i]``, drawn with probability about ``weight[i]``."""
        order = np.argsort(group, kind="stable")
        if weight is None or len(weight) == 0:
            held = np.ones(len(member), dtype=np.int64)
        else:
            scale = _TICKETS_PER_MEAN / max(float(weight.mean()), 1e-12)
            held = np.maximum(np.rint(weight * scale), 1).astype(np.int64)
        tickets = np.repeat(member[order], held[order])
        count = np.bincount(group, weights=held, minlength=n_groups).astype(np.int64)
        start = np.cumsum(count) - count
        return cls(tickets, start, count)

    def pick(self, group: IntArray, rng: np.random.Generator) -> IntArray:
        """One member of each requested group; every requested group must be non-empty."""
        if len(self.count) == 1:
            return self.tickets[rng.integers(0, len(self.tickets), len(group))]
        count = self.count[group]
        offset = (rng.random(len(group)) * count).astype(np.int64)
        return self.tickets[self.start[group] + np.minimum(offset, count - 1)]


def team_pool(manager: IntArray) -> GroupPool:
    """Teams keyed by manager position: a manager's team is the manager and their reports.

    Example
    -------
    >>> pool = team_pool(np.array([-1, 0, 0]))
    >>> sorted(pool.tickets.tolist()), pool.count.tolist()
    ([0, 1, 2], [3, 0, 0])
    """
    n = len(manager)
    has_manager = manager >= 0
    reports = np.flatnonzero(has_manager)
    leads = np.flatnonzero(np.bincount(manager[has_manager], minlength=n) > 0)
    group = np.concatenate((manager[reports], leads))
    member = np.concatenate((reports, leads))
    return GroupPool.build(group, member, n_groups=n)


def leads_team(manager: IntArray) -> NDArray[np.bool_]:
    """Whether each person has at least one report.

    Example
    -------
    >>> leads_team(np.array([-1, 0, 1])).tolist()
    [True, True, False]
    """
    return np.bincount(manager[manager >= 0], minlength=len(manager)) > 0


def own_team(
    manager: IntArray,
    people: IntArray,
    rng: np.random.Generator,
    leads: NDArray[np.bool_] | None = None,
) -> IntArray:
    """The team each person works in: their manager's, or (half the time) the one they lead.

    Example
    -------
    >>> own_team(np.array([-1, 0, 0]), np.array([1, 2]), np.random.default_rng(0)).tolist()
    [0, 0]
    """
    if leads is None:
        leads = leads_team(manager)
    team = manager[people]
    use_own = leads[people] & ((rng.random(len(people)) < 0.5) | (team < 0))
    return np.where(use_own, people, team)
