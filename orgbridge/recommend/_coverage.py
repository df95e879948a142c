"""Exposure as coverage: who has a leader within ``k`` hops, and the need-weighted objective.

A non-leader ``x`` is *covered* when ``d(x) <= k`` (``k`` the horizon, default 2). Group
coverage is ``C_g = c_g / n_g`` with ``c_g`` the covered non-leaders of group ``g`` and ``n_g``
its non-leaders; leaders are left out of every count (they are at distance 0 by definition).

The objective raises the least-covered groups first. It is the concave aggregation

.. math::

    E = \\sum_g n_g \\, U(C_g), \\qquad U(C) = -\\frac{(1 - C)^{1 + \\alpha}}{1 + \\alpha}

with the *need exponent* ``alpha`` (default 2). ``U`` is increasing and concave, so covering
one more person of group ``g`` is worth about ``U'(C_g) = (1 - C_g)^alpha``: a person of a group
at 60% coverage counts 16 times one of a group at 90%. ``alpha = 0`` counts covered people
(utilitarian); as ``alpha`` grows the objective tends to maximin (only the worst group counts).
Gains are exact differences of ``E``, never a linearisation, so the greedy's scores add up.

Units: gains are divided by ``(1 - C_org)^alpha`` of the organisation's coverage at the start
of the run, so one unit is one newly covered person of a group covered like the organisation
(the scale the silo and complementarity terms are weighed against).

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

__all__ = ["DEFAULT_HORIZON", "NEED_EXPONENT", "Coverage", "check_horizon"]

#: Default horizon ``k``: a person is covered with a leader within this many hops.
DEFAULT_HORIZON = 2
#: Default need exponent ``alpha`` of ``U(C) = -(1 - C)^(1 + alpha) / (1 + alpha)``.
NEED_EXPONENT = 2.0


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

    Example
    -------
    Two groups of two non-leaders; group 0 fully covered, group 1 not at all:

    >>> cov = Coverage(np.array([0, 0, 1, 1, 0]), np.array([0, 0, 0, 0, 1], dtype=bool),
    ...                np.array([1, 2, 3, 5, 0]), horizon=2)
    >>> cov.coverage().tolist(), cov.organisation()
    ([1.0, 0.0], 0.5)
    >>> round(cov.gain_of_people(np.array([2])), 3), round(cov.gain_of_people(np.array([3])), 3)
    (2.333, 2.333)
    >>> round(cov.gain_of_people(np.array([2, 3])), 3)
    2.667
    """

    def __init__(
        self,
        group: np.ndarray,
        leaders: np.ndarray,
        distance: np.ndarray,
        *,
        horizon: int = DEFAULT_HORIZON,
        alpha: float = NEED_EXPONENT,
    ) -> None:
        if not np.isfinite(alpha) or alpha < 0:
            raise ParameterError(f"need exponent must be a finite number >= 0, got {alpha}")
        self.horizon = check_horizon(horizon)
        self.alpha = float(alpha)
        self.group = np.asarray(group, dtype=np.int64)
        self.counted = ~np.asarray(leaders, dtype=bool)
        n_groups = int(self.group.max()) + 1 if self.group.size else 0
        members = self.group[self.counted]
        self.size = np.bincount(members, minlength=n_groups).astype(np.float64)
        covered = self.counted & (np.asarray(distance) <= self.horizon)
        self.covered = np.bincount(self.group[covered], minlength=n_groups).astype(np.float64)
        org = self.organisation()
        self.unit = (1.0 - org) ** self.alpha if org < 1.0 else 1.0
        self._size: list[float] = self.size.tolist()
        self._covered: list[float] = self.covered.tolist()

    def coverage(self) -> np.ndarray:
        """``C_g`` for each group (NaN for a group with no non-leaders)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.size > 0, self.covered / np.maximum(self.size, 1), np.nan)

    def organisation(self) -> float:
        """Share of all non-leaders covered (1.0 when there are none)."""
        total = float(self.size.sum())
        return float(self.covered.sum()) / total if total else 1.0

    def _deficit_power(self, covered: np.ndarray) -> np.ndarray:
        """``n_g (1 - C_g)^(1+alpha) / (1 + alpha)`` for covered counts (rows: sets)."""
        size = np.maximum(self.size, 1.0)
        share = np.clip(1.0 - covered / size, 0.0, 1.0)
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
        """Exact gain in units of covering ``m`` more people of group ``g`` for each pair."""
        return sum(self._gain_one(g, m) for g, m in counts)

    def _gain_one(self, g: int, m: int) -> float:
        """Scalar fast path of :meth:`gain_of_counts` for ``m`` people of one group."""
        n = self._size[g]
        if n <= 0:
            return 0.0
        c = self._covered[g]
        power = 1.0 + self.alpha
        before = (1.0 - c / n) ** power
        after = max(1.0 - (c + m) / n, 0.0) ** power
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

    def person_weight(self) -> np.ndarray:
        """Marginal weight in units of covering each person now: ``(1 - C_g)^alpha / unit``."""
        share = np.nan_to_num(1.0 - self.coverage(), nan=0.0)
        return np.asarray(share[self.group] ** self.alpha / self.unit * self.counted)
