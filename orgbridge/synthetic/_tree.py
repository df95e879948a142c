"""The management tree: chief executive, division heads, department heads, then teams.

Positions are in breadth-first order, so every manager comes before their reports; that lets
each step below run level by level on whole arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

#: Spans of control are 3 + Binomial(9, 4/9): between 3 and 12, mean 7.
_SPAN_MIN = 3
_SPAN_TRIALS = 9
_SPAN_P = 4 / 9
#: Share of people below a department head who lead no team even when there is room.
_IC_SHARE = 0.15


@dataclass(frozen=True)
class Tree:
    """A management forest with one root, and where each person sits in it.

    ``department`` is -1 for the executive office (the chief executive and division heads);
    ``division`` is -1 for the chief executive.
    """

    manager: IntArray
    depth: IntArray
    department: IntArray
    division: IntArray
    is_leader: BoolArray
    level: IntArray
    leader_level: int


def department_count(n_people: int) -> int:
    """How many departments an organisation of ``n_people`` has: 6 at 1,500, ~58 at 1M.

    Example
    -------
    >>> [department_count(n) for n in (50, 1_500, 1_000_000)]
    [2, 6, 58]
    """
    grown = round(6 * (n_people / 1_500) ** 0.35)
    return int(max(2, min(grown, (n_people - 1) // 8)))


def build_tree(
    n_people: int,
    department_division: IntArray,
    n_divisions: int,
    *,
    leader_share: float,
    rng: np.random.Generator,
) -> Tree:
    """Grow a tree of exactly ``n_people`` with departments as subtrees.

    Example
    -------
    >>> tree = build_tree(40, np.array([0, 1]), 2, leader_share=0.05, rng=np.random.default_rng(1))
    >>> len(tree.manager), int((tree.manager < 0).sum()), int(tree.is_leader.sum())
    (40, 1, 2)
    """
    n_departments = len(department_division)
    n_top = 1 + n_divisions + n_departments
    manager = np.full(n_people, -1, dtype=np.int64)
    depth = np.zeros(n_people, dtype=np.int64)
    department = np.full(n_people, -1, dtype=np.int64)
    division = np.full(n_people, -1, dtype=np.int64)

    heads = np.arange(1, 1 + n_divisions)
    manager[heads] = 0
    depth[heads] = 1
    division[heads] = np.arange(n_divisions)
    dept_heads = np.arange(1 + n_divisions, n_top)
    manager[dept_heads] = 1 + department_division
    depth[dept_heads] = 2
    department[dept_heads] = np.arange(n_departments)
    division[dept_heads] = department_division

    # Department sizes vary (Dirichlet shares); each department has at least two people.
    rest = n_people - n_top
    shares = rng.dirichlet(np.full(n_departments, 3.0))
    budget = rng.multinomial(rest - n_departments, shares).astype(np.int64) + 1

    frontier = dept_heads
    filled = n_top
    first = True
    while filled < n_people:
        spans = _SPAN_MIN + rng.binomial(_SPAN_TRIALS, _SPAN_P, len(frontier)).astype(np.int64)
        if not first:
            spans = np.where(rng.random(len(frontier)) < _IC_SHARE, 0, spans)
        fdept = department[frontier]
        wanted = np.bincount(fdept, weights=spans, minlength=n_departments)
        stuck = (wanted == 0) & (budget > 0)
        spans = np.where(stuck[fdept], _SPAN_MIN + 4, spans)
        parents = _fill_slots(frontier, spans, fdept, budget, rng)
        children = np.arange(filled, filled + len(parents))
        manager[children] = parents
        depth[children] = depth[parents] + 1
        department[children] = department[parents]
        division[children] = division[parents]
        budget -= np.bincount(department[children], minlength=n_departments)
        filled += len(children)
        frontier = children
        first = False

    is_leader, level, leader_level = _levels(manager, depth, leader_share, rng)
    return Tree(manager, depth, department, division, is_leader, level, leader_level)


def _fill_slots(
    frontier: IntArray,
    spans: IntArray,
    fdept: IntArray,
    budget: IntArray,
    rng: np.random.Generator,
) -> IntArray:
    """Parents of the next level: whole teams kept in random order until a department is full.

    Keeping whole teams (rather than single slots) leaves at most one short team per
    department and level, so spans stay realistic; the managers left out lead no team.
    """
    order = np.lexsort((rng.random(len(frontier)), fdept))
    sorted_dept = fdept[order]
    sorted_spans = spans[order]
    cum = np.cumsum(sorted_spans)
    dept_first = np.searchsorted(sorted_dept, sorted_dept, side="left")
    before = cum - sorted_spans - (cum[dept_first] - sorted_spans[dept_first])
    given = np.zeros(len(frontier), dtype=np.int64)
    given[order] = np.clip(budget[sorted_dept] - before, 0, sorted_spans)
    return np.repeat(frontier, given)


def _levels(
    manager: IntArray, depth: IntArray, leader_share: float, rng: np.random.Generator
) -> tuple[BoolArray, IntArray, int]:
    """Leaders are the top ``leader_share`` by depth, then by size of the team below them.

    Levels fall by one per step down the tree, and leaders sit one level above non-leaders at
    the same depth, so every manager outranks their reports and ``level >= leader_level``
    holds exactly for the leaders.
    """
    n = len(manager)
    below = np.ones(n, dtype=np.int64)
    for d in range(int(depth.max()), 0, -1):
        at = np.flatnonzero(depth == d)
        below += np.bincount(manager[at], weights=below[at], minlength=n).astype(np.int64)
    n_leaders = max(1, round(leader_share * n))
    order = np.lexsort((rng.random(n), -below, depth))
    is_leader = np.zeros(n, dtype=np.bool_)
    is_leader[order[:n_leaders]] = True
    max_depth = int(depth.max())
    level = (max_depth + 1 - depth + is_leader).astype(np.int64)
    leader_level = max_depth + 2 - int(depth[order[n_leaders - 1]])
    return is_leader, level, leader_level
