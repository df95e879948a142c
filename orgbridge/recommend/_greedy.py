"""Greedy search with lazy (CELF) evaluation over a b-matching.

Candidates sit in a max-heap by their last computed gain. The top is popped and, if its gain
was computed against an older state, recomputed and pushed back; a candidate whose gain is
current and still tops the heap is accepted, the state is updated exactly (pruned BFS for
distances, one cell of the group tie counts) and both people use one unit of capacity.

Lazy evaluation is exact for the silo and additive parts (their gains only fall as ties are
added). The exposure gain is not submodular (two ties can form a shortcut neither forms alone),
so a stale value may understate a gain that rose: for exposure the greedy is a heuristic, whose
quality the exact solvers in ``_exact`` measure on small cohorts.

A candidate scored ``-inf`` (no exposure gain under the exposure preset) is dropped, and so is
one whose score is negative (it would widen the gap between groups more than it adds): the
search counts both so the run can say what ran out rather than blame capacity.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np

from orgbridge.recommend._gains import Evaluation, Gains

__all__ = ["Accepted", "Search", "greedy"]


@dataclass(frozen=True)
class Accepted:
    """One accepted tie, with its breakdown against the state just before it was added."""

    a: int
    b: int
    evaluation: Evaluation


@dataclass
class Search:
    """What the greedy accepted, and how many candidates it dropped and why."""

    accepted: list[Accepted]
    #: dropped for bringing no exposure gain (the exposure preset)
    without_exposure: int = 0
    #: dropped for a negative score (widening the gap more than they add)
    harmful: int = 0

    def keeps(self, score: float) -> bool:
        """Whether a candidate with this score stays in the search (counting those dropped)."""
        if score == -math.inf:
            self.without_exposure += 1
        elif score < 0.0:
            self.harmful += 1
        else:
            return True
        return False


def greedy(
    gains: Gains,
    a: np.ndarray,
    b: np.ndarray,
    capacity_left: np.ndarray,
    *,
    count: int,
    seed: int,
) -> Search:
    """Accept up to ``count`` candidate ties, best marginal score first (CELF).

    ``gains`` and ``capacity_left`` are updated in place. Ties in score are broken by a
    seed-shuffled order of the candidates, so a run is deterministic for a given seed.
    """
    search = Search([])
    accepted = search.accepted
    if count <= 0 or a.size == 0:
        return search
    additive = gains.additive(a, b)
    rank = np.random.default_rng(seed).permutation(a.size)
    a_list, b_list, add_list = a.tolist(), b.tolist(), additive.tolist()
    heap: list[tuple[float, int, int, int]] = []
    for i in range(a.size):
        score = gains.score(a_list[i], b_list[i], add_list[i])
        if search.keeps(score):
            heap.append((-score, int(rank[i]), i, 0))
    heapq.heapify(heap)
    version = 0
    while heap and len(accepted) < count:
        _, r, i, seen = heapq.heappop(heap)
        u, v = a_list[i], b_list[i]
        if capacity_left[u] <= 0 or capacity_left[v] <= 0:
            continue
        if seen != version:
            score = gains.score(u, v, add_list[i])
            if search.keeps(score):
                heapq.heappush(heap, (-score, r, i, version))
            continue
        evaluation = gains.evaluate(u, v)
        gains.apply(u, v)
        capacity_left[u] -= 1
        capacity_left[v] -= 1
        version += 1
        accepted.append(Accepted(u, v, evaluation))
    return search
