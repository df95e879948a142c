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
    # rows reached at each depth by some source (the frontier), and the paths reaching them
    rows_at = [np.unique(sources)]
    frontier = paths[rows_at[0]]
    while True:
        unvisited = np.flatnonzero((level < 0).any(axis=1))
        if not len(unvisited):
            break
        rows, reaching = _product(matrix, rows_at[-1], frontier, unvisited)
        new = (reaching > 0) & (level[rows] < 0)
        keep = new.any(axis=1)
        if not keep.any():
            break
        rows, new, reaching = rows[keep], new[keep], reaching[keep]
        depth = len(rows_at)
        level[rows] = np.where(new, depth, level[rows])
        paths[rows] = np.where(new, reaching, paths[rows])
        rows_at.append(rows)
        frontier = np.where(new, reaching, 0.0)
    dependency = np.zeros((n, k))
    for depth in range(len(rows_at) - 1, 0, -1):
        here, before = rows_at[depth], rows_at[depth - 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(level[here] == depth, (1.0 + dependency[here]) / paths[here], 0.0)
        rows, pulled = _product(matrix, here, share, before)
        on = level[rows] == depth - 1
        dependency[rows] += np.where(on, paths[rows] * pulled, 0.0)
    dependency[sources, columns] = 0.0
    return dependency


def _product(
    matrix: sp.csr_matrix, rows: np.ndarray, values: np.ndarray, wanted: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``A @ X`` on the ``wanted`` rows, where ``X`` is zero except ``X[rows] = values``.

    Returns ``(row ids, their products)``: pushed from ``rows`` (through their adjacency
    lists) or pulled into ``wanted``, whichever touches fewer ties (the symmetric matrix
    makes both the same product).
    """
    degree = np.diff(matrix.indptr)
    if degree[rows].sum() <= degree[wanted].sum():
        pushed = matrix[rows].T @ values  # every row: the wanted ones are picked out below
        return wanted, np.asarray(pushed[wanted])
    spread = np.zeros((matrix.shape[0], values.shape[1]))
    spread[rows] = values
    return wanted, np.asarray(matrix[wanted] @ spread)
