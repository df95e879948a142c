"""The map never sends more than MAX_ELEMENTS elements, and positions are deterministic."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from orgbridge.app.network import cap_selection, ego_positions, layout_positions


def _random_graph(n: int, density: float) -> sp.csr_matrix:
    a = sp.random(n, n, density=density, format="csr", random_state=3)
    return ((a + a.T) > 0).astype(float).tocsr()


def test_cap_keeps_the_centre_and_fits_the_budget() -> None:
    adjacency = _random_graph(4000, 0.004)
    chosen = np.r_[17, np.setdiff1d(np.arange(4000), [17])]
    kept, src, dst, _ = cap_selection(adjacency, chosen, max_elements=1500)
    assert kept[0] == 17 or 17 in kept
    assert len(kept) + len(src) <= 1500 and len(kept) > 100
    assert src.max() < len(kept) and dst.max() < len(kept)


def test_small_selections_are_not_capped() -> None:
    adjacency = _random_graph(50, 0.1)
    kept, src, _, _ = cap_selection(adjacency, np.arange(50))
    assert len(kept) == 50 and len(src) == sp.triu(adjacency, k=1).nnz


def test_ego_positions_by_steps() -> None:
    path = sp.diags([np.ones(5), np.ones(5)], [-1, 1], shape=(6, 6), format="csr")
    assert ego_positions(path, 0, 1).tolist() == [0, 1]
    assert ego_positions(path, 2, 2).tolist() == [2, 1, 3, 0, 4]


def test_layout_is_deterministic() -> None:
    src, dst = np.array([0, 1, 2, 3]), np.array([1, 2, 3, 0])
    assert np.allclose(layout_positions(4, src, dst), layout_positions(4, src, dst))
    assert layout_positions(1, src[:0], dst[:0]).tolist() == [[0.0, 0.0]]
