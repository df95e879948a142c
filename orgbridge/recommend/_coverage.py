"""Exposure as coverage: who has a leader within ``k`` hops, and the need-weighted objective.

A non-leader ``x`` is *covered* when ``d(x) <= k`` (``k`` the horizon, default 2). Group
coverage is ``C_g = c_g / n_g`` with ``c_g`` the covered non-leaders of group ``g`` and ``n_g``
its non-leaders; leaders are left out of every count (they are at distance 0 by definition).

The objective levels groups up: it raises the least-covered groups first, towards a *target*
coverage ``T``. It is the concave aggregation

.. math::

    E = \\sum_g n_g \\, U(C_g), \\qquad U(C) = -\\frac{\\max(T - C, 0)^{1 + \\alpha}}{1 + \\alpha}

with the *need exponent* ``alpha`` (default 2). Covering one more person of group ``g`` is worth
about ``U'(C_g) = max(T - C_g, 0)^alpha``: a group 20 points below the target counts 4 times one
10 points below, and a group at or above the target counts nothing. ``alpha = 0`` counts covered
people below the target; as ``alpha`` grows the objective tends to maximin.

- ``target="best"`` (default): ``T`` is the coverage of the best-covered group (groups of at
  least ``min_group`` non-leaders, the privacy threshold the gap is reported over), taken at
  every state: the objective closes the gap between groups and stops paying once every group
  is at the best one's level (or cannot be raised further). A tie that lifts the best group
  raises ``T`` for all the others, so it costs what it widens (its gain may be negative).
  When there is nothing to level at the start (fewer than two such groups, or all equally
  covered) ``T = 1``.
- ``target="full"``: ``T = 1``, every group is raised towards full coverage, the least-covered
  first (raising the best-covered group too, so the gap closes less per participant).

Gains are exact differences of ``E``, never a linearisation, so the greedy's scores add up.

Units: gains are divided by ``max(T - C_org, 0.01)^alpha`` with ``T`` and the organisation's
coverage ``C_org`` at the start of the run, so one unit is one newly covered person of a group
covered like the organisation (the scale the silo and complementarity terms are weighed
against).

A new tie lowers distances only along the pruned BFS of
:class:`~orgbridge.recommend._state.DistanceState`; the people it newly covers are those whose
distance crosses from above ``k`` to at most ``k``. A tie from a leader covers the partner and
the partner's uncovered people out to ``k - 1`` hops; a tie from someone at distance ``j``
covers out to ``k - j - 1`` hops from the partner: leader capacity covers the most.
"""

from __future__ import annotations

import numpy as np

from orgbridge.errors import ParameterError
from orgbridge.recommend._state import Spread

__all__ = [
    "COVERAGE_TARGETS",
    "DEFAULT_HORIZON",
    "NEED_EXPONENT",
    "Coverage",
    "check_coverage_target",
    "check_horizon",
]

#: Default horizon ``k``: a person is covered with a leader within this many hops.
DEFAULT_HORIZON = 2
#: Default need exponent ``alpha`` of ``U(C) = -max(T - C, 0)^(1 + alpha) / (1 + alpha)``.
NEED_EXPONENT = 2.0
#: What the exposure objective raises groups towards: the best-covered group, or full coverage.
COVERAGE_TARGETS = ("best", "full")
#: Groups with fewer non-leaders than this neither set nor count in the ``"best"`` target.
TARGET_MIN_GROUP = 5
#: Floor of ``T - C_org`` in the unit, so a nearly levelled organisation keeps finite units.
UNIT_FLOOR = 0.01


def check_coverage_target(target: object) -> str:
    """The coverage target as one of :data:`COVERAGE_TARGETS`, or a :class:`ParameterError`.

    Example
    -------
    >>> check_coverage_target("full")
    'full'
    """
    if not isinstance(target, str) or target not in COVERAGE_TARGETS:
        raise ParameterError(f"coverage target must be one of {COVERAGE_TARGETS}, got {target!r}")
    return target


def check_horizon(horizon: object) -> int:
    """The horizon as an int in 1..10, or a :class:`ParameterError`.

    Example
    -------
    >>> check_horizon(2)
    2
    """
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)):
        raise ParameterError(f"horizon must be a whole number of hops, got {horizon!r}")
    if not 1 <= int(horizon) <= 10:
        raise ParameterError(f"horizon must be between 1 and 10 hops, got {horizon}")
    return int(horizon)


class Coverage:
    """Covered non-leaders per group, and the exact gain of covering more.

    Parameters
    ----------
    group
        Group code of each person (0..G-1).
    leaders
        Boolean mask of leaders (never counted).
    distance
        Hops to the nearest leader of each person (large when unreachable).
    horizon
        ``k``: covered means ``distance <= k``.
    alpha
        Need exponent (>= 0).
    target
        ``"best"`` (level up to the best-covered group) or ``"full"`` (towards full coverage).
    min_group
        Non-leaders a group needs to set the ``"best"`` target.

    Example
    -------
    Two groups of two non-leaders; group 0 fully covered, group 1 not at all (groups this
    small set no target, so it is full coverage):

    >>> cov = Coverage(np.array([0, 0, 1, 1, 0]), np.array([0, 0, 0, 0, 1], dtype=bool),
    ...                np.array([1, 2, 3, 5, 0]), horizon=2, min_group=1)
    >>> cov.coverage().tolist(), cov.organisation(), cov.target
    ([1.0, 0.0], 0.5, 1.0)
    >>> round(cov.gain_of_people(np.array([2])), 3), round(cov.gain_of_people(np.array([3])), 3)
    (2.333, 2.333)
    >>> round(cov.gain_of_people(np.array([2, 3])), 3)
    2.667

    With the best group at 50% the target is 50%: one person of the empty group brings it
    there; covering both lifts it above the other group, which is now 50 points short: the gap
    is as wide as before and the gain is nothing.

    >>> cov = Coverage(np.array([0, 0, 1, 1]), np.zeros(4, dtype=bool),
    ...                np.array([1, 5, 5, 5]), min_group=1)
    >>> one, both = np.array([2]), np.array([2, 3])
    >>> cov.target, round(cov.gain_of_people(one), 3), cov.gain_of_people(both)
    (0.5, 1.333, 0.0)
    """

    def __init__(
        self,
        group: np.ndarray,
        leaders: np.ndarray,
        distance: np.ndarray,
        *,
        horizon: int = DEFAULT_HORIZON,
        alpha: float = NEED_EXPONENT,
        target: str = "best",
        min_group: int = TARGET_MIN_GROUP,
    ) -> None:
        if not np.isfinite(alpha) or alpha < 0:
            raise ParameterError(f"need exponent must be a finite number >= 0, got {alpha}")
        target = check_coverage_target(target)
        self.horizon = check_horizon(horizon)
        self.alpha = float(alpha)
        self.group = np.asarray(group, dtype=np.int64)
        self.counted = ~np.asarray(leaders, dtype=bool)
        n_groups = int(self.group.max()) + 1 if self.group.size else 0
        members = self.group[self.counted]
        self.size = np.bincount(members, minlength=n_groups).astype(np.float64)
        covered = self.counted & (np.asarray(distance) <= self.horizon)
        self.covered = np.bincount(self.group[covered], minlength=n_groups).astype(np.float64)
        self._qualifies = self.size >= max(int(min_group), 1)
        self.start_target = self._target(target)
        #: ``T`` now: in a levelling run, the best qualifying group's current coverage.
        self.target = self.start_target
        self.levelling = self.start_target < 1.0
        self.unit = max(self.start_target - self.organisation(), UNIT_FLOOR) ** self.alpha
        self._size: list[float] = self.size.tolist()
        self._covered: list[float] = self.covered.tolist()
        self._qualify: list[bool] = self._qualifies.tolist()

    def _target(self, target: str) -> float:
        """``T`` at the start: the best qualifying group's coverage, or 1 (full, or level)."""
        if target == "full":
            return 1.0
        shares = self.coverage()[self._qualifies]
        if shares.size < 2 or shares.min() >= shares.max():
            return 1.0
        return float(shares.max())

    def _target_of(self, covered: np.ndarray) -> np.ndarray:
        """``T`` for covered counts (rows: sets): fixed, or the best qualifying share."""
        if not self.levelling:
            return np.full(covered.shape[:-1], self.target)
        shares = np.where(self._qualifies, covered / np.maximum(self.size, 1.0), 0.0)
        return np.asarray(np.maximum(shares.max(axis=-1), self.start_target))

    def coverage(self) -> np.ndarray:
        """``C_g`` for each group (NaN for a group with no non-leaders)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.size > 0, self.covered / np.maximum(self.size, 1), np.nan)

    def organisation(self) -> float:
        """Share of all non-leaders covered (1.0 when there are none)."""
        total = float(self.size.sum())
        return float(self.covered.sum()) / total if total else 1.0

    def _deficit_power(self, covered: np.ndarray) -> np.ndarray:
        """``n_g max(T - C_g, 0)^(1+alpha) / (1 + alpha)`` for covered counts (rows: sets)."""
        size = np.maximum(self.size, 1.0)
        target = self._target_of(covered)[..., None]
        share = np.clip(target - covered / size, 0.0, 1.0)
        return np.asarray(self.size * share ** (1.0 + self.alpha) / (1.0 + self.alpha))

    def gain_of_counts(self, newly: np.ndarray) -> np.ndarray:
        """Exact gain in units of covering ``newly[..., g]`` more people of each group."""
        newly = np.asarray(newly, dtype=np.float64)
        before = self._deficit_power(self.covered)
        after = self._deficit_power(self.covered + newly)
        return np.asarray((before - after).sum(axis=-1) / self.unit)

    def gain_of_people(self, people: np.ndarray) -> float:
        """Exact gain in units of covering the (uncovered, non-leader) ``people``."""
        return self.gain_of_group_counts(self.group_counts(people))

    def group_counts(self, people: np.ndarray) -> list[tuple[int, int]]:
        """``(group, count)`` of the given people (for a cached gain)."""
        if people.size == 0:
            return []
        if people.size == 1:
            return [(int(self.group[people[0]]), 1)]
        groups, counts = np.unique(self.group[people], return_counts=True)
        return list(zip(groups.tolist(), counts.tolist(), strict=True))

    def gain_of_group_counts(self, counts: list[tuple[int, int]]) -> float:
        """Exact gain in units of covering ``m`` more people of group ``g`` for each pair.

        In a levelling run a tie that lifts the best group above ``T`` raises the target for
        every other group, so its gain counts that loss too (it can be negative).
        """
        target = self.target
        if self.levelling:
            for g, m in counts:
                if self._qualify[g]:
                    target = max(target, (self._covered[g] + m) / self._size[g])
        if target != self.target:
            newly = np.zeros(self.size.size)
            for g, m in counts:
                newly[g] += m
            return float(self.gain_of_counts(newly))
        return sum(self._gain_one(g, m) for g, m in counts)

    def _gain_one(self, g: int, m: int) -> float:
        """Scalar fast path of :meth:`gain_of_counts` for ``m`` people of one group (``T``
        unchanged)."""
        n = self._size[g]
        if n <= 0:
            return 0.0
        c = self._covered[g]
        power = 1.0 + self.alpha
        before = max(self.target - c / n, 0.0) ** power
        after = max(self.target - (c + m) / n, 0.0) ** power
        return float(n * (before - after) / power / self.unit)

    def newly_covered(self, spread: Spread) -> np.ndarray:
        """People of a spread who cross into the horizon (leaders never move)."""
        k = self.horizon
        hit = (spread.before > k) & (spread.after <= k)
        people = spread.people[hit]
        return np.asarray(people[self.counted[people]], dtype=np.int64)

    def gain(self, spread: Spread) -> float:
        """Exact gain in units of a tie with this spread."""
        if spread.moved == 0:
            return 0.0
        return self.gain_of_people(self.newly_covered(spread))

    def add(self, spread: Spread) -> None:
        """Count the people a tie with this spread newly covers."""
        people = self.newly_covered(spread)
        if people.size:
            self.covered += np.bincount(self.group[people], minlength=self.size.size)
            self._covered = self.covered.tolist()
            self.target = float(self._target_of(self.covered))

    def person_weight(self) -> np.ndarray:
        """Marginal weight in units of covering each person now: ``(T - C_g)^alpha / unit``."""
        share = np.clip(np.nan_to_num(self.target - self.coverage(), nan=0.0), 0.0, None)
        need = np.where(share > 0, share**self.alpha, 0.0)  # 0 ** 0 would be 1
        return np.asarray(need[self.group] / self.unit * self.counted)
