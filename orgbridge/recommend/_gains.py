"""Marginal gains of a new tie against the current state, and applying accepted ties.

:class:`Gains` bundles the state the objective needs (hops to leaders, covered people per group,
group tie counts, profiles) with the weights, so the search, the exact solvers and the baselines
all score a tie the same way. The exposure gain is the need-weighted coverage gain of
:mod:`orgbridge.recommend._coverage` (default) or the former closeness gain
(``Weights.measure == "closeness"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from orgbridge.graph import OrgGraph
from orgbridge.recommend._constraints import Rules, codes
from orgbridge.recommend._coverage import (
    DEFAULT_HORIZON,
    NEED_EXPONENT,
    TARGET_MIN_GROUP,
    Coverage,
)
from orgbridge.recommend._objective import LOG2, Profiles, Weights, additive_components, silo_gain
from orgbridge.recommend._state import DistanceState, GroupTies, Spread, exposure_value

__all__ = ["Evaluation", "Gains", "group_codes"]


def group_codes(graph: OrgGraph, group_by: str) -> tuple[np.ndarray, list[str]]:
    """Group code of each person (missing values form the group ``"(unknown)"``) and the labels.

    Example
    -------
    >>> import pandas as pd
    >>> g = OrgGraph(pd.DataFrame({"person_id": ["a", "b", "c"],
    ...                            "department": ["X", None, "W"]}))
    >>> group_codes(g, "department")
    (array([1, 2, 0]), ['W', 'X', '(unknown)'])
    """
    raw = codes(graph, group_by)
    labels: list[str] = []
    if group_by in graph.people.columns:
        labels = sorted({str(v) for v in graph.people[group_by].dropna().astype(object)})
    out = raw.copy()
    if (raw < 0).any():
        out[raw < 0] = len(labels)
        labels.append("(unknown)")
    return out, labels


@dataclass(frozen=True)
class Evaluation:
    """One tie's marginal gain, by component, with what the explanation needs."""

    score: float
    breakdown: dict[str, float]
    spread: Spread
    ties_today: int
    groups: tuple[int, int]
    details: dict[str, float] = field(default_factory=dict)


class Gains:
    """Scores and applies new ties.

    Parameters
    ----------
    graph
        The organisation.
    rules
        Compiled hard constraints (for the level band of complementarity).
    weights
        Component weights.
    group_by
        Attribute defining groups for exposure weighting and silo counts.
    layers
        Layers the distances and group ties are measured over (None: informal layers).
    horizon
        ``k`` of the coverage measure: covered means a leader within ``k`` hops.
    alpha
        Need exponent of the coverage objective.
    target
        What the coverage objective raises groups towards: ``"best"`` (the best-covered
        group's coverage, default) or ``"full"``.
    min_group
        Non-leaders a group needs to set the ``"best"`` target (the privacy threshold).
    """

    def __init__(
        self,
        graph: OrgGraph,
        rules: Rules,
        weights: Weights,
        *,
        group_by: str = "department",
        layers: str | list[str] | tuple[str, ...] | None = None,
        horizon: int = DEFAULT_HORIZON,
        alpha: float = NEED_EXPONENT,
        target: str = "best",
        min_group: int = TARGET_MIN_GROUP,
    ) -> None:
        self.graph = graph
        self.rules = rules
        self.weights = weights
        self.layers = layers
        self.group, self.group_labels = group_codes(graph, group_by)
        n = graph.n_people
        sizes = np.bincount(self.group, minlength=len(self.group_labels)).astype(np.float64)
        n_groups = max(int((sizes > 0).sum()), 1)
        person_weight = (n / n_groups) / np.maximum(sizes[self.group], 1.0)
        self.adjacency = graph.adjacency(layers)
        leaders = graph.leader_mask()
        self.distance = DistanceState(self.adjacency, leaders, person_weight)
        self.coverage = Coverage(
            self.group,
            leaders,
            self.distance.distance,
            horizon=horizon,
            alpha=alpha,
            target=target,
            min_group=min_group,
        )
        self.closeness = weights.measure == "closeness"
        src, dst, _ = graph.edge_arrays(layers)
        self.ties = GroupTies(self.group, src, dst)
        self.profiles = Profiles.of(graph)
        # cached coverage gains: valid while no one in the tie's BFS region (or its two ends)
        # has changed distance or gained a tie since (see exposure())
        self._epoch = 0
        self._changed = np.zeros(n, dtype=np.int64)
        self._cache: dict[tuple[int, int], tuple[int, np.ndarray, list[tuple[int, int]]]] = {}

    @property
    def horizon(self) -> int:
        """``k`` of the coverage measure."""
        return self.coverage.horizon

    def exposure(self, u: int, v: int) -> float:
        """Exposure gain of the tie ``u - v`` in units (coverage or closeness).

        The people a tie newly covers depend only on the distances of its two ends and of the
        people its pruned BFS enters, and on their ties: distances only fall, so anyone the BFS
        did not enter stays out. While none of those has changed since the last evaluation,
        the cached people are reused and only their groups' current weights are applied (the
        lazy greedy re-evaluates the same candidates many times).
        """
        if self.closeness:
            return self.distance.gain(u, v)
        key = (u, v)
        hit = self._cache.get(key)
        if hit is not None:
            epoch, region, counts = hit
            if epoch == self._epoch or int(self._changed[region].max()) <= epoch:
                return self.coverage.gain_of_group_counts(counts)
        spread = self.distance.spread(u, v, limit=self.coverage.horizon)
        counts = self.coverage.group_counts(self.coverage.newly_covered(spread))
        region = np.concatenate([spread.people, np.array([u, v], dtype=np.int64)])
        self._cache[key] = (self._epoch, region, counts)
        return self.coverage.gain_of_group_counts(counts)

    def reach(self) -> tuple[np.ndarray, np.ndarray]:
        """Per person, the need-weighted exposure a tie could bring them now: ``(own, reach)``.

        Coverage: ``own[x]`` is x's marginal weight when x is uncovered (0 otherwise) and
        ``reach[x]`` adds that of x's uncovered neighbours, which is exactly the linearised gain
        of a tie from a leader to x at horizon 2. Closeness: both are ``weight * (1 - f(d))``.
        """
        d = self.distance.distance
        if self.closeness:
            need = self.distance.weight * (1.0 - exposure_value(d))
            return need, need
        own = self.coverage.person_weight() * (d > self.horizon)
        return own, np.asarray(own + self.adjacency @ own)

    def additive(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Weighted complementarity plus fit of each pair (state-independent)."""
        comp, fit = additive_components(a, b, self.rules, self.profiles)
        return np.asarray(self.weights.complementarity * comp + self.weights.fit * fit)

    def silo(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Weighted silo gain of each pair against the current tie counts."""
        ga, gb = self.group[a], self.group[b]
        return np.asarray(self.weights.silo * silo_gain(self.ties.count(ga, gb), ga == gb))

    def score(self, u: int, v: int, additive: float) -> float:
        """Marginal score of the tie ``u - v`` given its precomputed additive part.

        ``-inf`` when the weights require an exposure gain (the exposure preset) and the tie
        brings nobody new within the horizon of a group below the target: such a tie is never
        proposed.
        """
        value = additive
        if self.weights.silo:
            ga, gb = int(self.group[u]), int(self.group[v])
            if ga != gb:
                t = self.ties.count_one(ga, gb)
                value += self.weights.silo * (math.log1p(t + 1) - math.log1p(t)) / LOG2
        if self.weights.exposure:
            exposure = self.exposure(u, v)
            if self.weights.exposure_required and exposure <= 0.0:
                return -math.inf
            value += self.weights.exposure * exposure
        return float(value)

    def evaluate(self, u: int, v: int) -> Evaluation:
        """Full breakdown of the tie ``u - v`` against the current state."""
        a, b = np.array([u]), np.array([v])
        comp, fit = additive_components(a, b, self.rules, self.profiles)
        ga, gb = int(self.group[u]), int(self.group[v])
        t = int(self.ties.count(np.array([ga]), np.array([gb]))[0])
        silo = float(silo_gain(np.array([t]), np.array([ga == gb]))[0])
        spread = self.distance.spread(u, v)
        exposure = self.distance.value(spread) if self.closeness else self.coverage.gain(spread)
        w = self.weights
        breakdown = {
            "exposure": w.exposure * exposure,
            "silo": w.silo * silo,
            "complementarity": w.complementarity * float(comp[0]),
            "fit": w.fit * float(fit[0]),
        }
        details = {
            "exposure_units": exposure,
            "silo_units": silo,
            "complementarity_units": float(comp[0]),
            "fit_units": float(fit[0]),
            "newly_covered": float(self.coverage.newly_covered(spread).size),
        }
        return Evaluation(
            score=float(sum(breakdown.values())),
            breakdown=breakdown,
            spread=spread,
            ties_today=t,
            groups=(ga, gb),
            details=details,
        )

    def apply(self, u: int, v: int) -> None:
        """Add the tie ``u - v`` to the state (distances, coverage and group ties)."""
        spread = self.distance.add(u, v)
        self.coverage.add(spread)
        self._epoch += 1
        self._changed[spread.people] = self._epoch
        self._changed[[u, v]] = self._epoch
        self.ties.add(int(self.group[u]), int(self.group[v]))
