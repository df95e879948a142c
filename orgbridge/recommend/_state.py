"""The recommender's state: hops to the nearest leader and tie counts between groups.

Both change incrementally when a tie is added. Distances only fall, and only for people whose
new shortest path uses the new tie: if ``|d(u) - d(v)| <= 1`` nobody changes; otherwise a BFS
starts at the farther end with its new value and enters a person only when that lowers their
distance, so it costs the number of people who gain, not the size of the organisation.

The default exposure objective reads these distances as coverage (a leader within ``k`` hops,
:mod:`orgbridge.recommend._coverage`); ``spread(..., limit=k)`` stops the BFS at depth ``k`` for
it. The optional closeness objective uses ``f(d) = 1/d`` for ``d >= 1``, 0 when no leader is
reachable, and 1 for a leader (``d = 0``: a leader has full access to leadership, the same as one
hop; leaders' distances never change, so this choice only affects reported levels, never a
gain); ``DistanceState.gain`` and ``value`` compute it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = [
    "UNREACHABLE",
    "DistanceState",
    "GroupTies",
    "Spread",
    "exposure_value",
    "leader_distances",
]

#: Distance of a person who cannot reach any leader (large, and +1 still fits in int64).
UNREACHABLE = 1 << 40


def exposure_value(d: np.ndarray) -> np.ndarray:
    """``f(d)``: 1 for leaders and their direct ties, ``1/d`` beyond, 0 when unreachable.

    Example
    -------
    >>> exposure_value(np.array([0, 1, 2, 4, UNREACHABLE])).tolist()
    [1.0, 1.0, 0.5, 0.25, 0.0]
    """
    d = np.asarray(d, dtype=np.int64)
    out = np.zeros(d.shape, dtype=np.float64)
    reach = d < UNREACHABLE
    out[reach] = 1.0 / np.maximum(d[reach], 1)
    return out


def _gather(nodes: np.ndarray, indptr: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Concatenated CSR rows of ``nodes`` (no Python loop per node)."""
    if nodes.size == 1:
        node = int(nodes[0])
        return indices[indptr[node] : indptr[node + 1]]
    starts = indptr[nodes]
    lengths = indptr[nodes + 1] - starts
    total = int(lengths.sum())
    if total == 0:
        return indices[:0]
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(total)
    return indices[offsets]


def leader_distances(adjacency: sp.csr_matrix, sources: np.ndarray) -> np.ndarray:
    """Hops from every person to the nearest source (multi-source BFS, level-synchronous).

    Example
    -------
    >>> a = sp.csr_matrix(np.array([[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 0]]))
    >>> leader_distances(a, np.array([0])).tolist()[:3]
    [0, 1, 2]
    """
    n = adjacency.shape[0]
    indptr = adjacency.indptr.astype(np.int64)
    indices = adjacency.indices.astype(np.int64)
    dist = np.full(n, UNREACHABLE, dtype=np.int64)
    frontier = np.unique(np.asarray(sources, dtype=np.int64))
    dist[frontier] = 0
    level = 0
    while frontier.size:
        level += 1
        nxt = _gather(frontier, indptr, indices)
        nxt = nxt[dist[nxt] == UNREACHABLE]
        if nxt.size == 0:
            break
        nxt = np.unique(nxt)
        dist[nxt] = level
        frontier = nxt
    return dist


@dataclass(frozen=True)
class Spread:
    """Who a new tie brings closer to leadership.

    Attributes
    ----------
    people
        Positions whose distance falls.
    before, after
        Their distances before and after.
    start
        The endpoint the spread starts from (the farther one), -1 when nobody gains.
    """

    people: np.ndarray
    before: np.ndarray
    after: np.ndarray
    start: int

    @property
    def moved(self) -> int:
        """Number of people whose distance falls."""
        return int(self.people.size)


_NO_SPREAD = Spread(
    np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), -1
)


class DistanceState:
    """Hops to the nearest leader, updated exactly as ties are added.

    Parameters
    ----------
    adjacency
        Symmetric CSR adjacency of the layers exposure is measured over.
    leaders
        Boolean mask of leaders.
    weight
        Per-person weight of the exposure objective (e.g. ``1/|group|``).

    Example
    -------
    >>> a = sp.csr_matrix(np.array([[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0]]))
    >>> state = DistanceState(a, np.array([True, False, False, False]), np.ones(4))
    >>> round(state.gain(0, 3), 3), state.spread(0, 3).moved
    (0.667, 1)
    >>> state.add(0, 3).moved, state.distance.tolist()
    (1, [0, 1, 2, 1])
    """

    def __init__(self, adjacency: sp.csr_matrix, leaders: np.ndarray, weight: np.ndarray) -> None:
        self._indptr = adjacency.indptr.astype(np.int64)
        self._indices = adjacency.indices.astype(np.int64)
        self.leaders = np.asarray(leaders, dtype=bool)
        self.weight = np.asarray(weight, dtype=np.float64)
        self.distance = leader_distances(adjacency, np.flatnonzero(self.leaders))
        self._scratch = self.distance.copy()
        self._extra: dict[int, list[int]] = {}
        self._has_extra = np.zeros(len(self.distance), dtype=bool)

    @property
    def added(self) -> list[tuple[int, int]]:
        """Ties added so far, each once as ``(low, high)``."""
        return sorted({(min(u, v), max(u, v)) for u, vs in self._extra.items() for v in vs})

    def _neighbours(self, nodes: np.ndarray) -> np.ndarray:
        found = _gather(nodes, self._indptr, self._indices)
        extra_nodes = nodes[self._has_extra[nodes]]
        if extra_nodes.size:
            more = [v for u in extra_nodes.tolist() for v in self._extra[u]]
            found = np.concatenate([found, np.asarray(more, dtype=np.int64)])
        return found

    def spread(self, u: int, v: int, *, limit: int | None = None) -> Spread:
        """Who would move closer if the tie ``u - v`` were added (the state is unchanged).

        With ``limit``, only the people whose new distance is at most ``limit`` (the BFS stops
        there: what a coverage gain within ``limit`` hops needs, at a fraction of the cost).
        """
        return self._run(u, v, commit=False, limit=limit)

    def gain(self, u: int, v: int) -> float:
        """Exact exposure gain ``sum_x weight[x] (f(d'(x)) - f(d(x)))`` of adding ``u - v``."""
        return self.value(self._run(u, v, commit=False))

    def value(self, spread: Spread) -> float:
        """Weighted exposure gain of a spread."""
        if spread.moved == 0:
            return 0.0
        delta = exposure_value(spread.after) - exposure_value(spread.before)
        return float(np.dot(self.weight[spread.people], delta))

    def add(self, u: int, v: int) -> Spread:
        """Add the tie ``u - v`` and update every distance it lowers."""
        s = self._run(u, v, commit=True)
        for x, y in ((u, v), (v, u)):
            self._extra.setdefault(x, []).append(y)
            self._has_extra[x] = True
        return s

    def _run(self, u: int, v: int, *, commit: bool, limit: int | None = None) -> Spread:
        d = self.distance
        du, dv = int(d[u]), int(d[v])
        if abs(du - dv) <= 1:
            return _NO_SPREAD
        start, value = (v, du + 1) if du < dv else (u, dv + 1)
        stop = UNREACHABLE if limit is None or commit else limit
        if value > stop:
            return _NO_SPREAD
        scratch = self._scratch
        scratch[start] = value
        touched = [np.array([start], dtype=np.int64)]
        frontier = touched[0]
        level = value
        while level < stop:
            level += 1
            nxt = self._neighbours(frontier)
            nxt = nxt[scratch[nxt] > level]
            if nxt.size == 0:
                break
            if nxt.size > 1:
                nxt = np.unique(nxt)
            scratch[nxt] = level
            touched.append(nxt)
            frontier = nxt
        people = np.concatenate(touched) if len(touched) > 1 else touched[0]
        before = d[people].copy()
        after = scratch[people].copy()
        if commit:
            d[people] = after
        else:
            scratch[people] = before
        return Spread(people, before, after, start)


class GroupTies:
    """Tie counts between groups, ``t(A, B)``, with an overlay of the ties added so far.

    Parameters
    ----------
    group
        Group code of each person (0..G-1).
    source, target
        Distinct undirected ties of the measured layers.

    Example
    -------
    >>> ties = GroupTies(np.array([0, 0, 1, 2]), np.array([0, 1]), np.array([2, 3]))
    >>> ties.count(np.array([0, 0, 1]), np.array([1, 2, 2])).tolist()
    [1, 1, 0]
    >>> ties.add(1, 2); int(ties.count(np.array([1]), np.array([2]))[0])
    1
    """

    def __init__(self, group: np.ndarray, source: np.ndarray, target: np.ndarray) -> None:
        self.group = np.asarray(group, dtype=np.int64)
        self.n_groups = int(self.group.max()) + 1 if self.group.size else 0
        ga, gb = self.group[source], self.group[target]
        keys = self._key(np.minimum(ga, gb), np.maximum(ga, gb))
        self._keys, self._counts = np.unique(keys, return_counts=True)
        self._overlay: dict[int, int] = {}
        self._base: dict[int, int] | None = None

    def count_one(self, ga: int, gb: int) -> int:
        """Ties today between two groups (a scalar fast path of :meth:`count`)."""
        if self._base is None:
            self._base = dict(zip(self._keys.tolist(), self._counts.tolist(), strict=True))
        key = min(ga, gb) * max(self.n_groups, 1) + max(ga, gb)
        return self._base.get(key, 0) + self._overlay.get(key, 0)

    def _key(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.asarray(a, dtype=np.int64) * max(self.n_groups, 1) + np.asarray(b, np.int64)

    def count(self, ga: np.ndarray, gb: np.ndarray) -> np.ndarray:
        """Ties today between groups ``ga[i]`` and ``gb[i]`` (vectorised)."""
        ga, gb = np.asarray(ga, dtype=np.int64), np.asarray(gb, dtype=np.int64)
        keys = self._key(np.minimum(ga, gb), np.maximum(ga, gb))
        pos = np.searchsorted(self._keys, keys)
        pos = np.minimum(pos, max(len(self._keys) - 1, 0))
        found = self._keys[pos] == keys if len(self._keys) else np.zeros(len(keys), dtype=bool)
        out = np.where(found, self._counts[pos] if len(self._keys) else 0, 0).astype(np.int64)
        if self._overlay:
            extra = np.fromiter((self._overlay.get(int(k), 0) for k in keys), np.int64, len(keys))
            out = out + extra
        return out

    def add(self, ga: int, gb: int) -> None:
        """Count one more tie between groups ``ga`` and ``gb``."""
        key = int(self._key(np.array(min(ga, gb)), np.array(max(ga, gb))))
        self._overlay[key] = self._overlay.get(key, 0) + 1

    def matrix(self) -> np.ndarray:
        """The dense G x G symmetric matrix of counts (for small G: tests and simulation)."""
        g = self.n_groups
        out = np.zeros((g, g), dtype=np.int64)
        all_keys = dict(zip(self._keys.tolist(), self._counts.tolist(), strict=True))
        for key, extra in self._overlay.items():
            all_keys[key] = all_keys.get(key, 0) + extra
        for key, value in all_keys.items():
            a, b = divmod(key, max(g, 1))
            out[a, b] += value
            if a != b:
                out[b, a] += value
        return out
