"""An independent yardstick for the recommender: coverage per group and E-I, from plain BFS.

Written apart from ``orgbridge.recommend`` on purpose (it imports nothing from it): the quality
benchmark judges every objective and baseline with this code, never with the recommender's own
score, so a greedy cannot look best merely by construction.

- **Hops to leadership**: one breadth-first search from all leaders at once over an adjacency
  list built from the given undirected ties (current ties plus proposals), with a deque.
- **Coverage**: a non-leader is covered when a leader is within ``k`` hops; a group's coverage is
  its covered non-leaders over its non-leaders (leaders are left out everywhere). The gap is best
  minus worst over groups with at least ``min_group`` non-leaders.
- **E-I index** (Krackhardt and Stern): ``(E - I) / (E + I)`` over distinct undirected ties
  between people with a known group, E between groups, I within.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

__all__ = ["Measure", "ei_index", "hops_to_leaders", "measure"]


def _adjacency(
    ids: Sequence[Hashable], ties: Iterable[tuple[Hashable, Hashable]]
) -> list[list[int]]:
    index = {p: i for i, p in enumerate(ids)}
    adjacency: list[list[int]] = [[] for _ in ids]
    for a, b in ties:
        i, j = index[a], index[b]
        if i != j:
            adjacency[i].append(j)
            adjacency[j].append(i)
    return adjacency


def hops_to_leaders(
    ids: Sequence[Hashable],
    leaders: Sequence[bool],
    ties: Iterable[tuple[Hashable, Hashable]],
) -> list[int | None]:
    """Hops from each person to the nearest leader (None when no leader is reachable).

    Example
    -------
    >>> hops_to_leaders(["L", "a", "b", "c"], [True, False, False, False], [("L", "a"), ("a", "b")])
    [0, 1, 2, None]
    """
    adjacency = _adjacency(ids, ties)
    hops: list[int | None] = [None] * len(ids)
    queue: deque[int] = deque()
    for i, is_leader in enumerate(leaders):
        if is_leader:
            hops[i] = 0
            queue.append(i)
    while queue:
        i = queue.popleft()
        step = hops[i]
        assert step is not None
        for j in adjacency[i]:
            if hops[j] is None:
                hops[j] = step + 1
                queue.append(j)
    return hops


def ei_index(
    ids: Sequence[Hashable],
    groups: Sequence[Hashable | None],
    ties: Iterable[tuple[Hashable, Hashable]],
) -> float | None:
    """E-I index over distinct undirected ties between people of known group (None if no tie).

    Example
    -------
    >>> ei_index(["a", "b", "c"], ["X", "X", "Y"], [("a", "b"), ("b", "c"), ("c", "b")])
    0.0
    """
    group = dict(zip(ids, groups, strict=True))
    seen: set[tuple[Hashable, Hashable]] = set()
    external = internal = 0
    for a, b in ties:
        if a == b:
            continue
        key = (a, b) if str(a) <= str(b) else (b, a)
        if key in seen:
            continue
        seen.add(key)
        ga, gb = group[a], group[b]
        if ga is None or gb is None:
            continue
        if ga == gb:
            internal += 1
        else:
            external += 1
    total = external + internal
    return (external - internal) / total if total else None


@dataclass(frozen=True)
class Measure:
    """Coverage within ``k`` hops per group, the gap and the E-I index of one tie set."""

    coverage: dict[str, float]
    size: dict[str, int]
    organisation: float
    best: str | None
    worst: str | None
    gap: float
    ei: float | None

    @property
    def worst_coverage(self) -> float:
        """Coverage of the worst group (among groups large enough to count)."""
        return self.coverage[self.worst] if self.worst is not None else float("nan")


def measure(
    ids: Sequence[Hashable],
    leaders: Sequence[bool],
    groups: Sequence[Hashable | None],
    ties: Iterable[tuple[Hashable, Hashable]],
    *,
    k: int = 2,
    min_group: int = 5,
) -> Measure:
    """Coverage per group (non-leaders with a leader within ``k`` hops), gap and E-I.

    People with no group value form the group ``"(unknown)"``. Only groups with at least
    ``min_group`` non-leaders take part in best, worst and gap.

    Example
    -------
    >>> m = measure(["L", "a", "b", "c", "d"], [True, False, False, False, False],
    ...             ["B", "X", "X", "Y", "Y"], [("L", "a"), ("a", "b"), ("b", "c"), ("c", "d")],
    ...             min_group=1)
    >>> m.coverage, m.gap, m.worst
    ({'X': 1.0, 'Y': 0.0}, 1.0, 'Y')
    """
    ties = list(ties)
    hops = hops_to_leaders(ids, leaders, ties)
    covered: dict[str, int] = {}
    size: dict[str, int] = {}
    for h, is_leader, g in zip(hops, leaders, groups, strict=True):
        if is_leader:
            continue
        name = "(unknown)" if g is None else str(g)
        size[name] = size.get(name, 0) + 1
        covered[name] = covered.get(name, 0) + int(h is not None and h <= k)
    coverage = {g: covered[g] / size[g] for g in sorted(size)}
    counted = [g for g in coverage if size[g] >= min_group]
    best = max(counted, key=lambda g: coverage[g]) if counted else None
    worst = min(counted, key=lambda g: coverage[g]) if counted else None
    gap = coverage[best] - coverage[worst] if best is not None and worst is not None else 0.0
    total = sum(size.values())
    organisation = sum(covered.values()) / total if total else 1.0
    return Measure(
        coverage=coverage,
        size={g: size[g] for g in sorted(size)},
        organisation=organisation,
        best=best,
        worst=worst,
        gap=gap,
        ei=ei_index(ids, groups, ties),
    )
