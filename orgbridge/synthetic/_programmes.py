"""Projects, existing mentoring pairs and sponsorships of a synthetic organisation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from orgbridge.synthetic._collaboration import Pools
from orgbridge.synthetic._tree import Tree

IntArray = NDArray[np.int64]
DayArray = NDArray[np.datetime64]

#: Project sizes are 2 + Binomial(13, 0.3): between 2 and 15, mean 5.9.
_SIZE_MIN = 2
_SIZE_TRIALS = 13
_SIZE_P = 0.3
_MEAN_SIZE = _SIZE_MIN + _SIZE_TRIALS * _SIZE_P
#: Partner mixes (team, department, division, anyone) for departmental and cross-functional work.
_DEPARTMENT_PROJECT = np.array([0.45, 0.5, 0.0, 0.05])
_CROSS_PROJECT = np.array([0.15, 0.2, 0.25, 0.4])
_ENDED_SHARE = 0.3


@dataclass(frozen=True)
class Projects:
    """Memberships (project index, person position, lead flag) and each project's dates."""

    project: IntArray
    person: IntArray
    lead: NDArray[np.bool_]
    start: DayArray
    end: DayArray


def projects(
    pools: Pools,
    *,
    per_person: float,
    cross_functional_share: float,
    reference_day: np.datetime64,
    rng: np.random.Generator,
) -> Projects:
    """Projects of 2-15 people, mostly inside a department, led by an active person.

    Example
    -------
    >>> from orgbridge.synthetic._tree import build_tree
    >>> rng = np.random.default_rng(0)
    >>> tree = build_tree(60, np.array([0, 1]), 2, leader_share=0.02, rng=rng)
    >>> pools = Pools.build(tree, np.ones(60))
    >>> p = projects(pools, per_person=1.0, cross_functional_share=0.2,
    ...              reference_day=np.datetime64("2026-06-30"), rng=rng)
    >>> bool((np.bincount(p.project) >= 2).all()), int(p.lead.sum()) == int(p.project.max()) + 1
    (True, True)
    """
    n = len(pools.manager)
    n_projects = max(1, round(n * per_person / _MEAN_SIZE))
    sizes = _SIZE_MIN + rng.binomial(_SIZE_TRIALS, _SIZE_P, n_projects).astype(np.int64)
    cross = rng.random(n_projects) < cross_functional_share
    lead = pools.active(n_projects, rng)

    slot_project = np.repeat(np.arange(n_projects, dtype=np.int64), sizes - 1)
    slot_person = np.empty(len(slot_project), dtype=np.int64)
    slot_cross = cross[slot_project]
    for flag, mix in ((False, _DEPARTMENT_PROJECT), (True, _CROSS_PROJECT)):
        at = np.flatnonzero(slot_cross == flag)
        slot_person[at] = pools.partners(lead[slot_project[at]], mix, rng)

    # Leads come first, so de-duplication keeps their row and role.
    project = np.concatenate((np.arange(n_projects, dtype=np.int64), slot_project))
    person = np.concatenate((lead, slot_person))
    _, first = np.unique(project * n + person, return_index=True)
    project, person = project[first], person[first]
    is_lead = first < n_projects

    # A project with a single distinct member is no collaboration: drop it and renumber.
    big = np.bincount(project, minlength=n_projects) >= 2
    keep = big[project]
    renumber = np.cumsum(big) - 1
    project, person, is_lead = renumber[project[keep]], person[keep], is_lead[keep]

    kept = int(big.sum())
    started = rng.integers(30, 1000, kept)
    ended = (rng.random(kept) < _ENDED_SHARE) & (started > 120)
    finished = rng.integers(10, np.maximum(started - 60, 11))
    day = np.timedelta64(1, "D")
    start = reference_day - started * day
    end = np.where(ended, reference_day - finished * day, np.datetime64("NaT"))
    return Projects(project, person, is_lead, start, end.astype("datetime64[D]"))


def mentoring_pairs(
    tree: Tree,
    opt_in: NDArray[np.bool_],
    start_day: DayArray,
    *,
    n_pairs: int,
    programme_start: np.datetime64,
    rng: np.random.Generator,
) -> tuple[IntArray, IntArray]:
    """Existing reciprocal pairs: opted-in people from different departments, one pair each."""
    eligible = np.flatnonzero(opt_in & (start_day < programme_start))
    shuffled = rng.permutation(eligible)
    half = len(shuffled) // 2
    a, b = shuffled[:half], shuffled[half : 2 * half]
    ok = tree.department[a] != tree.department[b]
    a, b = a[ok][:n_pairs], b[ok][:n_pairs]
    # The more senior person is listed first, as programmes usually record them.
    swap = tree.level[a] < tree.level[b]
    return np.where(swap, b, a), np.where(swap, a, b)


def sponsorships(
    tree: Tree,
    opt_in: NDArray[np.bool_],
    start_day: DayArray,
    *,
    n_sponsorships: int,
    programme_start: np.datetime64,
    rng: np.random.Generator,
) -> tuple[IntArray, IntArray]:
    """Leader -> protégé: each leader sponsors one opted-in non-leader outside their team."""
    leaders = rng.permutation(np.flatnonzero(tree.is_leader))
    proteges = rng.permutation(
        np.flatnonzero(opt_in & ~tree.is_leader & (start_day < programme_start))
    )
    size = min(len(leaders), len(proteges))
    sponsor, protege = leaders[:size], proteges[:size]
    ok = tree.manager[protege] != sponsor
    return sponsor[ok][:n_sponsorships], protege[ok][:n_sponsorships]
