"""Exact optima on small cohorts, to measure how far the greedy is from the best.

- :func:`milp_optimum`: the additive and silo parts form a max-weight b-matching with a concave
  bonus per group pair. With ``x_i`` the choice of candidate ``i`` and ``y_{AB,k}`` the ``k``-th
  new tie between groups A and B (worth ``phi(t+k) - phi(t+k-1)``, falling in ``k``), the
  programme ``max sum w_i x_i + sum g_{AB,k} y_{AB,k}`` subject to ``sum_k y_{AB,k} = sum_{i in AB}
  x_i``, capacities and ``sum x <= N`` is exact (falling increments fill in order). Solved with
  ``scipy.optimize.milp``; fine for cohorts up to about 40 people.
- :func:`brute_force_optimum`: the exposure part (coverage or closeness) is not modular (nor
  submodular), so for the full objective tiny cohorts enumerate every set of N valid pairs,
  scoring each set exactly from an all-pairs hop matrix (distances after adding a set relax
  through its new ties).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse.csgraph import shortest_path

from orgbridge.recommend._gains import Gains
from orgbridge.recommend._state import UNREACHABLE, exposure_value

__all__ = ["brute_force_optimum", "milp_optimum", "set_value"]


def _silo_units(t: float, k: int) -> float:
    return (math.log1p(t + k) - math.log1p(t)) / math.log(2.0)


def set_value(gains: Gains, a: np.ndarray, b: np.ndarray, *, exposure: bool = True) -> float:
    """Objective gain of adding all ties ``(a[i], b[i])`` at once to the state of ``gains``.

    Uses an all-pairs hop matrix: only for small organisations.
    """
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    return _SetScorer(gains, np.r_[a, b]).value(a, b, exposure=exposure)


class _SetScorer:
    def __init__(self, gains: Gains, endpoints: np.ndarray) -> None:
        self.gains = gains
        self.d = gains.distance.distance.astype(np.float64)
        self.d[self.d >= UNREACHABLE] = np.inf
        self.weight = gains.distance.weight
        added = gains.distance.added
        adjacency = gains.graph.adjacency(gains.layers).tocsr().copy()
        if added:
            extra_a, extra_b = np.array(added).T
            n = adjacency.shape[0]
            extra = sp.csr_matrix(
                (np.ones(2 * len(added)), (np.r_[extra_a, extra_b], np.r_[extra_b, extra_a])),
                shape=(n, n),
            )
            adjacency = adjacency + extra
        self.people = np.unique(np.asarray(endpoints, dtype=np.int64))
        # hops from each endpoint to everyone (rows in the order of self.people)
        self.hops = np.atleast_2d(
            shortest_path(adjacency, unweighted=True, directed=False, indices=self.people)
        )
        self.base = exposure_value(gains.distance.distance)

    def _rows(self, nodes: np.ndarray) -> np.ndarray:
        return np.asarray(self.hops[np.searchsorted(self.people, nodes)])

    def exposure_batch(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Weighted exposure gain of each set ``(a[s, k], b[s, k])`` (rows are sets)."""
        sets, size = a.shape
        ends = np.concatenate([a, b], axis=1)
        # hops among the endpoints, then settle the endpoints' new distances
        rows = np.searchsorted(self.people, ends)
        local = self.hops[rows[:, :, None], ends[:, None, :]]
        de = self.d[ends]
        for _ in range(size):
            for k in range(size):
                du, dv = de[:, k : k + 1], de[:, size + k : size + k + 1]
                via = np.minimum(du + 1 + local[:, size + k, :], dv + 1 + local[:, k, :])
                de = np.minimum(de, via)
        d = np.broadcast_to(self.d, (sets, self.d.size))
        for k in range(size):
            du, dv = de[:, k : k + 1], de[:, size + k : size + k + 1]
            d = np.minimum(d, du + 1 + self._rows(b[:, k]))
            d = np.minimum(d, dv + 1 + self._rows(a[:, k]))
        if not self.gains.closeness:
            return self._coverage_gain(d)
        finite = np.isfinite(d)
        after = np.where(finite, 1.0 / np.maximum(np.where(finite, d, 1.0), 1.0), 0.0)
        return np.asarray((after - self.base) @ self.weight)

    def _coverage_gain(self, d: np.ndarray) -> np.ndarray:
        """Coverage gain of distances ``d`` (rows: sets) against the current state."""
        coverage = self.gains.coverage
        k = coverage.horizon
        newly = (np.atleast_2d(d) <= k) & (self.d > k) & coverage.counted
        onehot = np.zeros((self.d.size, coverage.size.size))
        onehot[np.arange(self.d.size), coverage.group] = 1.0
        return coverage.gain_of_counts(newly.astype(np.float64) @ onehot)

    def value(self, a: np.ndarray, b: np.ndarray, *, exposure: bool = True) -> float:
        gains = self.gains
        w = gains.weights
        total = float(gains.additive(a, b).sum())
        ga, gb = gains.group[a], gains.group[b]
        cross = ga != gb
        if w.silo and cross.any():
            lo, hi = np.minimum(ga, gb)[cross], np.maximum(ga, gb)[cross]
            pairs, k = np.unique(np.c_[lo, hi], axis=0, return_counts=True)
            today = gains.ties.count(pairs[:, 0], pairs[:, 1])
            total += w.silo * sum(
                _silo_units(float(t), int(c)) for t, c in zip(today, k, strict=True)
            )
        if exposure and w.exposure:
            d = self.d.copy()
            for _ in range(len(a)):
                for u, v in zip(a.tolist(), b.tolist(), strict=True):
                    d = np.minimum(
                        d,
                        np.minimum(
                            d[u] + 1 + self._rows(np.array([v]))[0],
                            d[v] + 1 + self._rows(np.array([u]))[0],
                        ),
                    )
            if not gains.closeness:
                total += w.exposure * float(self._coverage_gain(d)[0])
            else:
                finite = np.where(np.isinf(d), UNREACHABLE, d).astype(np.int64)
                total += w.exposure * float(np.dot(self.weight, exposure_value(finite) - self.base))
        return total


def milp_optimum(
    gains: Gains, a: np.ndarray, b: np.ndarray, capacity: np.ndarray, *, count: int
) -> tuple[float, np.ndarray]:
    """Best additive + silo value of at most ``count`` candidates under capacities.

    Returns the value and the indices of the chosen candidates.
    """
    m = a.size
    if m == 0 or count <= 0:
        return 0.0, np.zeros(0, dtype=np.int64)
    w = gains.weights
    additive = gains.additive(a, b)
    ga, gb = gains.group[a], gains.group[b]
    lo, hi = np.minimum(ga, gb), np.maximum(ga, gb)
    cross = lo != hi
    group_pairs = sorted({(int(x), int(y)) for x, y in zip(lo[cross], hi[cross], strict=True)})
    # y variables: K increments per group pair
    y_gain: list[float] = []
    y_owner: list[int] = []
    for p, (x, y) in enumerate(group_pairs):
        t = float(gains.ties.count(np.array([x]), np.array([y]))[0])
        members = int(((lo == x) & (hi == y)).sum())
        for k in range(1, min(members, count) + 1):
            y_gain.append(w.silo * (_silo_units(t, k) - _silo_units(t, k - 1)))
            y_owner.append(p)
    n_y = len(y_gain)
    c = -np.r_[additive, np.asarray(y_gain)]
    rows: list[sp.csr_matrix] = []
    lower: list[np.ndarray] = []
    upper: list[np.ndarray] = []
    people = np.unique(np.r_[a, b])
    incidence = sp.csr_matrix(
        (
            np.ones(2 * m),
            (
                np.r_[np.searchsorted(people, a), np.searchsorted(people, b)],
                np.r_[np.arange(m), np.arange(m)],
            ),
        ),
        shape=(people.size, m),
    )
    rows.append(sp.hstack([incidence, sp.csr_matrix((people.size, n_y))]).tocsr())
    lower.append(np.zeros(people.size))
    upper.append(capacity[people].astype(np.float64))
    rows.append(sp.csr_matrix(np.r_[np.ones(m), np.zeros(n_y)][None, :]))
    lower.append(np.zeros(1))
    upper.append(np.array([float(count)]))
    if group_pairs:
        index = {gp: p for p, gp in enumerate(group_pairs)}
        x_rows = [index[(int(x), int(y))] for x, y in zip(lo[cross], hi[cross], strict=True)]
        link = sp.csr_matrix(
            (
                np.r_[np.ones(int(cross.sum())), -np.ones(n_y)],
                (np.r_[x_rows, y_owner], np.r_[np.flatnonzero(cross), m + np.arange(n_y)]),
            ),
            shape=(len(group_pairs), m + n_y),
        )
        rows.append(link)
        lower.append(np.zeros(len(group_pairs)))
        upper.append(np.zeros(len(group_pairs)))
    constraint = LinearConstraint(
        sp.vstack(rows).tocsr(), np.concatenate(lower), np.concatenate(upper)
    )
    result = milp(
        c,
        constraints=[constraint],
        integrality=np.ones(m + n_y),
        bounds=Bounds(np.zeros(m + n_y), np.ones(m + n_y)),
    )
    if result.x is None:
        return 0.0, np.zeros(0, dtype=np.int64)
    chosen = np.flatnonzero(result.x[:m] > 0.5)
    return float(-result.fun), chosen


def brute_force_optimum(
    gains: Gains,
    a: np.ndarray,
    b: np.ndarray,
    capacity: np.ndarray,
    *,
    count: int,
) -> tuple[float, np.ndarray]:
    """Best full-objective value over every feasible set of exactly ``min(count, ...)`` pairs.

    Exponential: for tiny cohorts only (about 16 people and ``count <= 3``). Sets are scored in
    vectorised batches: after adding a set, a person's hops are ``min(d(x), d'(u) + 1 +
    hops(v, x))`` over its new ties ``u - v`` (both ways), where ``d'`` of the few endpoints is
    first settled by relaxing the new ties among themselves.
    """
    m = a.size
    size = min(count, m)
    if size <= 0:
        return 0.0, np.zeros(0, dtype=np.int64)
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    scorer = _SetScorer(gains, np.r_[a, b])
    w = gains.weights
    additive = gains.additive(a, b)
    ga, gb = gains.group[a], gains.group[b]
    today = gains.ties.count(ga, gb).astype(np.float64)
    cross = ga != gb
    gpair = np.minimum(ga, gb) * max(gains.ties.n_groups, 1) + np.maximum(ga, gb)
    combos = np.fromiter(
        itertools.chain.from_iterable(itertools.combinations(range(m), size)), dtype=np.int64
    ).reshape(-1, size)
    best, best_set = -math.inf, np.zeros(0, dtype=np.int64)
    batch = max(256, 4_000_000 // max(gains.graph.n_people, 1))
    for lo in range(0, len(combos), batch):
        idx = combos[lo : lo + batch]
        ends = np.concatenate([a[idx], b[idx]], axis=1)
        used = (ends[:, :, None] == ends[:, None, :]).sum(axis=2)
        idx = idx[(used <= capacity[ends]).all(axis=1)]
        if idx.size == 0:
            continue
        value = additive[idx].sum(axis=1)
        if w.silo:
            pairs = gpair[idx]
            rank = 1 + np.stack(
                [(pairs[:, :k] == pairs[:, k : k + 1]).sum(axis=1) for k in range(size)], axis=1
            )
            t = today[idx]
            step = (np.log1p(t + rank) - np.log1p(t + rank - 1)) / math.log(2.0)
            value = value + w.silo * np.where(cross[idx], step, 0.0).sum(axis=1)
        if w.exposure:
            value = value + w.exposure * scorer.exposure_batch(a[idx], b[idx])
        top = int(np.argmax(value))
        if value[top] > best + 1e-12:
            best, best_set = float(value[top]), idx[top]
    return (0.0 if best == -math.inf else best), best_set
