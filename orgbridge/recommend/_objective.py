"""The objective: weights, presets and the per-pair (additive) components.

Every component is brought to comparable units before weighting:

- **exposure** (``measure="coverage"``, the default): the gain of the need-weighted coverage
  objective ``E = sum_g n_g U(C_g)``, ``U(C) = -max(T - C, 0)^(1+alpha) / (1+alpha)``, where
  ``C_g`` is the share of group g's non-leaders with a leader within ``horizon`` hops and ``T``
  the best-covered group's share (or 1; see :mod:`orgbridge.recommend._coverage`). One unit is
  one newly covered person of a group covered like the organisation; a person of a less-covered
  group is worth more, and a tie that lifts the best group costs what it widens the gap.
- **exposure** (``measure="closeness"``, the ``"closeness"`` preset, kept as an option): the
  former ``sum_g (1/|g|) sum_{x in g} (f(d'(x)) - f(d(x)))``, ``f(d) = 1/d``, times the mean group
  size ``n/G``. It weighs people by how small their group is, not how little it is exposed, and
  pays for moving someone from 2 hops to 1: not the default.
- **silo**: ``(log(1 + t + 1) - log(1 + t)) / log 2`` for a pair joining two groups that share ``t``
  ties (0 within a group). One unit is the first tie between two groups; the tenth is worth 0.13.
- **complementarity**: the share of {different department, level gap inside the allowed band
  and at least 1, different location} that the pair meets (0..1).
- **fit**: ``k / (1 + k)`` for ``k = |offers(a) & wants(b)| + |offers(b) & wants(a)|`` from the
  ``skills_offered``/``skills_wanted`` columns (';'-separated); 0 when the columns are absent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from orgbridge.errors import ParameterError
from orgbridge.graph import OrgGraph
from orgbridge.recommend._constraints import Rules, codes

__all__ = [
    "COMPONENTS",
    "MEASURES",
    "PRESETS",
    "Weights",
    "additive_components",
    "silo_gain",
    "weights_for",
]

COMPONENTS = ("exposure", "silo", "complementarity", "fit")
#: How the exposure component measures access to leadership.
MEASURES = ("coverage", "closeness")

LOG2 = math.log(2.0)


@dataclass(frozen=True)
class Weights:
    """Weights of the objective's components (each component is already in comparable units).

    ``measure`` says how the exposure component is measured: ``"coverage"`` (default: the
    need-weighted share of each group with a leader within the horizon) or ``"closeness"``
    (the former ``1/d`` term, kept as an option).

    Example
    -------
    >>> weights_for("silo").silo
    1.0
    >>> weights_for("closeness").measure
    'closeness'
    """

    exposure: float = 1.0
    silo: float = 1.0
    complementarity: float = 0.5
    fit: float = 0.5
    measure: str = "coverage"
    #: Propose only ties with an exposure gain (the ``exposure`` preset): once no eligible tie
    #: covers anyone new in a group below the target, the run stops and says so.
    exposure_required: bool = False

    def __post_init__(self) -> None:
        if self.measure not in MEASURES:
            raise ParameterError(
                f"exposure measure must be one of {MEASURES}, got {self.measure!r}"
            )
        for name in COMPONENTS:
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ParameterError(f"weight {name} must be a finite number >= 0, got {value}")

    def to_dict(self) -> dict[str, float]:
        """The weights by component."""
        return {name: float(getattr(self, name)) for name in COMPONENTS}


PRESETS: dict[str, Weights] = {
    "balanced": Weights(exposure=1.0, silo=1.0, complementarity=0.5, fit=0.5),
    "exposure": Weights(
        exposure=1.0, silo=0.2, complementarity=0.2, fit=0.2, exposure_required=True
    ),
    "silo": Weights(exposure=0.2, silo=1.0, complementarity=0.2, fit=0.2),
    "closeness": Weights(exposure=1.0, silo=0.2, complementarity=0.2, fit=0.2, measure="closeness"),
}


def weights_for(objective: str | Weights | dict[str, Any]) -> Weights:
    """A preset by name, a :class:`Weights`, or a dict of weights (missing ones default).

    Raises
    ------
    ParameterError
        An unknown preset or component name.
    """
    if isinstance(objective, Weights):
        return objective
    if isinstance(objective, str):
        if objective not in PRESETS:
            raise ParameterError(
                f"objective must be one of {sorted(PRESETS)} or a dict of weights, "
                f"got {objective!r}"
            )
        return PRESETS[objective]
    options = {"measure", "exposure_required"}
    unknown = set(objective) - {*COMPONENTS, *options}
    if unknown:
        raise ParameterError(f"unknown objective component(s) {sorted(unknown)}; use {COMPONENTS}")
    required = objective.get("exposure_required", False)
    if not isinstance(required, bool):
        raise ParameterError(f"exposure_required must be true or false, got {required!r}")
    values: dict[str, float] = {}
    for name, value in objective.items():
        if name in options:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ParameterError(f"weight {name} must be a number, got {value!r}")
        values[name] = float(value)
    return Weights(
        **values, measure=str(objective.get("measure", "coverage")), exposure_required=required
    )


def silo_gain(ties_today: np.ndarray, same_group: np.ndarray) -> np.ndarray:
    """Scaled silo gain of one more tie between groups sharing ``ties_today`` ties.

    Example
    -------
    >>> silo_gain(np.array([0, 1, 9, 0]), np.array([False, False, False, True])).round(3).tolist()
    [1.0, 0.585, 0.138, 0.0]
    """
    t = np.asarray(ties_today, dtype=np.float64)
    gain = (np.log1p(t + 1.0) - np.log1p(t)) / LOG2
    return np.where(same_group, 0.0, gain)


def _skill_sets(values: pd.Series) -> list[frozenset[str]]:
    return [
        frozenset(s.strip().lower() for s in str(v).split(";") if s.strip())
        if pd.notna(v)
        else frozenset()
        for v in values.astype(object)
    ]


@dataclass(frozen=True)
class Profiles:
    """Per-person attributes the additive components read, as arrays."""

    department: np.ndarray
    location: np.ndarray
    offers: list[frozenset[str]] | None
    wants: list[frozenset[str]] | None

    @classmethod
    def of(cls, graph: OrgGraph) -> Profiles:
        """Read department, location and skills from the people table."""
        people = graph.people
        has_skills = "skills_offered" in people.columns and "skills_wanted" in people.columns
        return cls(
            department=codes(graph, "department"),
            location=codes(graph, "location"),
            offers=_skill_sets(people["skills_offered"]) if has_skills else None,
            wants=_skill_sets(people["skills_wanted"]) if has_skills else None,
        )


def additive_components(
    a: np.ndarray, b: np.ndarray, rules: Rules, profiles: Profiles
) -> tuple[np.ndarray, np.ndarray]:
    """Complementarity (0..1) and fit (0..1) of each pair ``(a[i], b[i])``.

    Unknown attributes (missing department, level or location) count as not complementary.
    """
    c = rules.constraints
    da, db = profiles.department[a], profiles.department[b]
    diff_dept = (da >= 0) & (db >= 0) & (da != db)
    gap = np.abs(rules.level[a] - rules.level[b])
    in_band = ~np.isnan(gap) & (gap >= max(c.min_level_gap, 1))
    if c.max_level_gap is not None:
        in_band &= gap <= c.max_level_gap
    la, lb = profiles.location[a], profiles.location[b]
    diff_loc = (la >= 0) & (lb >= 0) & (la != lb)
    complementarity = (diff_dept.astype(float) + in_band + diff_loc) / 3.0
    fit = np.zeros(len(a))
    if profiles.offers is not None and profiles.wants is not None:
        offers, wants = profiles.offers, profiles.wants
        k = np.fromiter(
            (
                len(offers[x] & wants[y]) + len(offers[y] & wants[x])
                for x, y in zip(a.tolist(), b.tolist(), strict=True)
            ),
            dtype=np.float64,
            count=len(a),
        )
        fit = k / (1.0 + k)
    return np.asarray(complementarity, dtype=np.float64), fit
