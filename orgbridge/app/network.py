"""What the network map shows: a capped subgraph with server-computed positions.

The browser never receives more than :data:`MAX_ELEMENTS` nodes plus edges: a person-level view
keeps the best-connected people of the selection and says how many it left out. Positions come
from igraph's Kamada-Kawai layout on the shown subgraph only (never the whole
organisation), started from a circle so the same selection always draws the same way.

Example
-------
>>> import numpy as np
>>> src, dst = np.array([0, 1, 2]), np.array([1, 2, 0])
>>> xy = layout_positions(3, src, dst)
>>> xy.shape
(3, 2)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

__all__ = [
    "MAX_ELEMENTS",
    "NetworkView",
    "cap_selection",
    "ego_positions",
    "induced_edges",
    "layout_positions",
]

#: Most nodes plus edges a map sends to the browser (cytoscape stays fluid below this).
MAX_ELEMENTS = 1500


@dataclass(frozen=True)
class NetworkView:
    """A map ready to draw: nodes with positions and display values, edges, and a note.

    ``nodes`` has columns ``id, label, x, y, colour, size, hover`` (``colour`` a category or a
    number, ``size`` a number); ``edges`` has ``source, target, weight`` referring to node ids.
    ``level`` is ``"group"`` or ``"person"``.
    """

    level: str
    nodes: pd.DataFrame
    edges: pd.DataFrame
    colour_by: str
    size_by: str
    note: str | None = None
    shown: int = 0
    total: int = 0
    extra: dict[str, str] = field(default_factory=dict)


def ego_positions(adjacency: sp.csr_matrix, centre: int, steps: int) -> np.ndarray:
    """Positions within ``steps`` hops of ``centre`` (the centre first, then by distance).

    Example
    -------
    >>> a = sp.csr_matrix(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]]))
    >>> ego_positions(a, 0, 1).tolist()
    [0, 1]
    """
    seen = np.zeros(adjacency.shape[0], dtype=bool)
    seen[centre] = True
    order = [np.array([centre], dtype=np.int64)]
    frontier = order[0]
    for _ in range(steps):
        if len(frontier) == 0:
            break
        neighbours = np.unique(adjacency[frontier].indices)
        frontier = neighbours[~seen[neighbours]]
        seen[frontier] = True
        order.append(frontier.astype(np.int64))
    return np.concatenate(order)


def induced_edges(
    adjacency: sp.csr_matrix, chosen: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edges among ``chosen`` as local indices ``(source, target, weight)`` with source < target."""
    sub = sp.triu(adjacency[chosen][:, chosen], k=1).tocoo()
    return sub.row.astype(np.int64), sub.col.astype(np.int64), sub.data.astype(np.float64)


def cap_selection(
    adjacency: sp.csr_matrix, chosen: np.ndarray, *, max_elements: int = MAX_ELEMENTS
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shrink a selection until nodes plus edges fit in ``max_elements``.

    Keeps the first position (an ego network's centre) and then people by degree inside the
    selection; drops the weakest edges last if edges alone overflow.

    Returns
    -------
    tuple
        ``(kept positions, local source, local target, weight)``.
    """
    chosen = np.asarray(chosen, dtype=np.int64)
    src, dst, w = induced_edges(adjacency, chosen)
    if len(chosen) + len(src) <= max_elements:
        return chosen, src, dst, w
    degree = np.bincount(src, minlength=len(chosen)) + np.bincount(dst, minlength=len(chosen))
    degree[0] = np.iinfo(np.int64).max  # the centre always stays
    order = np.argsort(-degree, kind="stable")
    low, high = 1, min(len(chosen), max_elements)
    # the largest prefix (by degree) whose nodes plus edges fit
    while low < high:
        mid = (low + high + 1) // 2
        keep = np.sort(order[:mid])
        s, _, _ = induced_edges(adjacency, chosen[keep])
        if mid + len(s) <= max_elements:
            low = mid
        else:
            high = mid - 1
    keep = np.sort(order[:low])
    kept = chosen[keep]
    src, dst, w = induced_edges(adjacency, kept)
    room = max_elements - len(kept)
    if len(src) > room:
        strongest = np.sort(np.argsort(-w, kind="stable")[: max(room, 0)])
        src, dst, w = src[strongest], dst[strongest], w[strongest]
    return kept, src, dst, w


def layout_positions(
    n: int, source: np.ndarray, target: np.ndarray, *, scale: float = 400.0
) -> np.ndarray:
    """Kamada-Kawai positions (n x 2) for a small graph, deterministic.

    Isolated nodes end up on the layout's rim as usual; a single node sits at the origin.
    """
    if n == 0:
        return np.zeros((0, 2))
    if n == 1:
        return np.zeros((1, 2))
    import igraph as ig

    graph = ig.Graph(n=n, edges=np.column_stack([source, target]).tolist())
    angle = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    start = np.column_stack([np.cos(angle), np.sin(angle)]) * np.sqrt(n)
    # Kamada-Kawai from a fixed circle is deterministic (Fruchterman-Reingold draws random
    # displacements from igraph's global generator) and takes about 0.2 s at 1,500 elements.
    coords = np.asarray(graph.layout_kamada_kawai(seed=start.tolist()).coords, dtype=np.float64)
    coords -= coords.mean(axis=0)
    extent = float(np.abs(coords).max()) or 1.0
    result: np.ndarray = coords / extent * scale
    return result
