"""Brandes' dependencies of many sources at once, as dense sparse-matrix products.

For a source ``s`` and a person ``v``, the dependency ``delta_s(v)`` is the share of the
shortest paths from ``s`` to everyone else that pass through ``v``, summed over the targets
(Brandes 2001): betweenness is the sum of the dependencies over all sources, and the sampled
estimate (Brandes and Pich 2007) their mean over a sample of sources.

All sources of a block advance together, one column each of ``n x k`` dense arrays: each BFS
level is one ``A @ frontier`` product (the number of shortest paths reaching the next level),
and the backward pass one ``A @ coefficients`` per level. Only Python loops over levels run,
so a block of 16 sources at a million people and ten million ties costs about as much as two
single-source passes in igraph, which also rebuilds its adjacency lists on every call.
Unweighted ties only (every tie one step).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["source_dependencies"]

#: Sources per block: the dense ``n x k`` arrays (about six of them) bound the memory.
BLOCK = 16


def source_dependencies(adjacency: sp.csr_matrix, sources: np.ndarray) -> np.ndarray:
    """``delta_s(v)`` for every person ``v`` (rows) and each source ``s`` (columns).

    ``adjacency``: the symmetric 0/1 adjacency (self-loops dropped). A source's dependency on
    itself, and on anyone it does not reach, is 0.

    Example
    -------
    >>> path = sp.csr_matrix(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=float))
    >>> source_dependencies(path, np.array([0, 1])).tolist()  # the middle carries 0 -> 2
    [[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]]
    """
    sources = np.asarray(sources, dtype=np.int64)
    n = adjacency.shape[0]
    found = np.zeros((n, len(sources)))
    matrix = sp.csr_matrix(adjacency, dtype=np.float64)
    for start in range(0, len(sources), BLOCK):
        block = sources[start : start + BLOCK]
        found[:, start : start + len(block)] = _block(matrix, block)
    return found


def _block(matrix: sp.csr_matrix, sources: np.ndarray) -> np.ndarray:
    n, k = matrix.shape[0], len(sources)
    columns = np.arange(k)
    level = np.full((n, k), -1, dtype=np.int32)
    paths = np.zeros((n, k))  # sigma: the number of shortest paths from the source
    level[sources, columns] = 0
    paths[sources, columns] = 1.0
    frontier = paths.copy()
    depth = 0
    while True:
        reaching = matrix @ frontier
        new = (reaching > 0) & (level < 0)
        if not new.any():
            break
        depth += 1
        level[new] = depth
        paths[new] = reaching[new]
        frontier = np.where(new, reaching, 0.0)
    del frontier
    dependency = np.zeros((n, k))
    for d in range(depth, 0, -1):
        at = level == d
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(at, (1.0 + dependency) / paths, 0.0)
        pulled = matrix @ share
        before = level == d - 1
        dependency[before] += paths[before] * pulled[before]
    dependency[sources, columns] = 0.0
    return dependency
