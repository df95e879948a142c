"""Leadership exposure: how close each person is to the organisation's leaders.

Measured over an undirected view of the chosen layers (by default the informal ones:
collaboration, mentoring, sponsorship; the reporting line only when asked, because it joins
everyone to a leader trivially). A tie in either direction in any chosen layer joins two
people (OR-symmetrised, self-loops dropped, unweighted).

Per person:

- ``hops_to_leader``: hops to the nearest leader (0 for a leader); missing, with
  ``reachable`` False, when no leader can be reached at all, never a large number.
- ``leaders_within_1_hop``, ``leaders_within_2_hops``: distinct leaders at most 1 or 2 hops
  away. A leader is not counted as within reach of themself; other leaders are.
- ``exposure``: personalised PageRank restarting uniformly at the leaders (damping 0.85):
  the long-run share of time a random walk that keeps returning to a leader spends at the
  person. Scores sum to 1; ``exposure_percentile`` ranks them (0-100].
- optionally ``access_probability``: the chance information from the leaders reaches the
  person under an independent cascade where every tie passes it on with probability ``p``
  (Fish et al. 2019, "Gaps in information access in social networks"), by seeded Monte
  Carlo, with its standard error ``access_se``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.stats import rankdata

from orgbridge.errors import ParameterError
from orgbridge.graph import OrgGraph, normalise_layers
from orgbridge.graph._orggraph import LayerSpec
from orgbridge.metrics._bfs import UNREACHED, multi_source_bfs
from orgbridge.metrics._result import Result

__all__ = [
    "access_probability",
    "exposure",
    "leader_distance",
    "leader_pagerank",
    "leader_reach",
]

# Row-chunk budget (upper bound on nonzeros) of the 2-hop sparse product: about 200 MB.
_CHUNK_NONZEROS = 1 << 24

# Tie directions (or people) per batch of independent-cascade runs.
_CASCADE_BATCH_ENTRIES = 1 << 22


# ---- public metrics --------------------------------------------------------------------


def leader_distance(
    graph: OrgGraph, *, layers: LayerSpec = None, leaders: Iterable[str] | None = None
) -> Result:
    """Hops from every person to the nearest leader.

    Parameters
    ----------
    graph
        The organisation.
    layers
        Tie layers to walk (default: collaboration, mentoring, sponsorship).
    leaders
        person_ids of the leaders (default: ``is_leader``).

    Returns
    -------
    Result
        ``leader_distance``; table ``person_id, hops_to_leader (Int32, missing when
        unreachable), reachable``; values ``n_reachable``, ``share_reachable``,
        ``mean_hops`` (over non-leaders, among the reachable: leaders are at 0 hops by
        definition and are left out of every share and mean).

    Raises
    ------
    ParameterError
        There are no leaders.

    Example
    -------
    >>> g = _four_person_org()
    >>> leader_distance(g).table["hops_to_leader"].tolist()
    [0, 1, 2, <NA>]
    """
    adjacency = graph.adjacency(layers)
    leader_pos = leader_positions(graph, leaders)
    hops = hops_to_leader(adjacency, leader_pos)
    table = pd.DataFrame({"person_id": graph.ids.to_numpy(), **_hops_columns(hops)})
    return Result(
        "leader_distance",
        _parameters(graph, layers, leaders),
        table,
        _hops_values(hops, leader_pos),
    )


def leader_reach(
    graph: OrgGraph,
    *,
    layers: LayerSpec = None,
    leaders: Iterable[str] | None = None,
    k: int = 2,
) -> Result:
    """Number of distinct leaders within 1, ..., k hops of every person (k is 1 or 2).

    A leader does not count themself; other leaders within reach count.

    Returns
    -------
    Result
        ``leader_reach``; table ``person_id, leaders_within_1_hop[, leaders_within_2_hops]``.

    Raises
    ------
    ParameterError
        ``k`` is not 1 or 2, or there are no leaders.

    Example
    -------
    >>> leader_reach(_four_person_org()).table["leaders_within_2_hops"].tolist()
    [0, 1, 1, 0]
    """
    _check_k(k)
    adjacency = graph.adjacency(layers)
    leader_pos = leader_positions(graph, leaders)
    counts = leaders_within(adjacency, leader_pos, k)
    table = pd.DataFrame({"person_id": graph.ids.to_numpy(), **_reach_columns(counts)})
    return Result("leader_reach", {**_parameters(graph, layers, leaders), "k": k}, table, {})


def leader_pagerank(
    graph: OrgGraph,
    *,
    layers: LayerSpec = None,
    leaders: Iterable[str] | None = None,
    damping: float = 0.85,
    tol: float = 1e-10,
    max_iter: int = 1000,
) -> Result:
    """Exposure score: personalised PageRank restarting uniformly at the leaders.

    Power iteration on the column-stochastic matrix of the undirected graph. A person with
    no ties (a dangling vertex) sends their score back to the leaders, as networkx does
    with ``personalization`` set. Iteration stops when the L1 change falls below ``tol``.

    Returns
    -------
    Result
        ``leader_pagerank``; table ``person_id, exposure, exposure_percentile``; values
        ``iterations``.

    Raises
    ------
    ParameterError
        ``damping`` outside (0, 1), ``tol`` not positive, no leaders, or no convergence
        within ``max_iter`` iterations.

    Example
    -------
    >>> r = leader_pagerank(_four_person_org())
    >>> [round(x, 3) for x in r.table["exposure"]]
    [0.345, 0.459, 0.195, 0.0]
    """
    adjacency = graph.adjacency(layers)
    leader_pos = leader_positions(graph, leaders)
    scores, iterations = personalised_pagerank(
        adjacency, leader_pos, damping=damping, tol=tol, max_iter=max_iter
    )
    table = pd.DataFrame(
        {
            "person_id": graph.ids.to_numpy(),
            "exposure": scores,
            "exposure_percentile": percentile_rank(scores, tol),
        }
    )
    parameters = {
        **_parameters(graph, layers, leaders),
        "damping": damping,
        "tol": tol,
        "max_iter": max_iter,
    }
    return Result("leader_pagerank", parameters, table, {"iterations": iterations})


def access_probability(
    graph: OrgGraph,
    *,
    layers: LayerSpec = None,
    leaders: Iterable[str] | None = None,
    p: float = 0.1,
    runs: int = 1000,
    seed: int = 0,
) -> Result:
    """Independent-cascade probability that information from the leaders reaches each person.

    Each run draws every tie direction live with probability ``p`` and marks who a live path
    joins to a leader (the live-edge form of the independent cascade). The estimate is the
    share of runs; its standard error is ``sqrt(q (1 - q) / runs)``.

    Returns
    -------
    Result
        ``access_probability``; table ``person_id, access_probability, access_se``.

    Raises
    ------
    ParameterError
        ``p`` outside [0, 1], ``runs`` below 1, or no leaders.

    Example
    -------
    >>> r = access_probability(_four_person_org(), p=1.0, runs=3)
    >>> r.table["access_probability"].tolist()
    [1.0, 1.0, 1.0, 0.0]
    """
    adjacency = graph.adjacency(layers)
    leader_pos = leader_positions(graph, leaders)
    probability, se = cascade_access(adjacency, leader_pos, p=p, runs=runs, seed=seed)
    table = pd.DataFrame(
        {"person_id": graph.ids.to_numpy(), "access_probability": probability, "access_se": se}
    )
    parameters = {**_parameters(graph, layers, leaders), "p": p, "runs": runs, "seed": seed}
    return Result("access_probability", parameters, table, {})


def exposure(
    graph: OrgGraph,
    *,
    layers: LayerSpec = None,
    leaders: Iterable[str] | None = None,
    k: int = 2,
    damping: float = 0.85,
    tol: float = 1e-10,
    max_iter: int = 1000,
    access_p: float | None = None,
    runs: int = 1000,
    seed: int = 0,
) -> Result:
    """Every leadership-exposure measure per person, in one table.

    Parameters
    ----------
    graph
        The organisation.
    layers
        Tie layers (default: collaboration, mentoring, sponsorship; add ``reports_to``
        explicitly to include the manager line).
    leaders
        person_ids of the leaders (default: the ``is_leader`` attribute).
    k
        Count distinct leaders within 1..k hops (1 or 2).
    damping, tol, max_iter
        Personalised PageRank settings.
    access_p
        When given, also estimate the independent-cascade access probability with this
        per-tie transmission probability, over ``runs`` Monte Carlo runs seeded by ``seed``.

    Returns
    -------
    Result
        ``exposure``; table ``person_id, hops_to_leader, reachable, leaders_within_1_hop,
        leaders_within_2_hops, exposure, exposure_percentile[, access_probability,
        access_se]``; values ``n_people``, ``n_leaders``, ``n_reachable``,
        ``share_reachable``, ``mean_hops`` (these three over non-leaders),
        ``pagerank_iterations``.

    Raises
    ------
    ParameterError
        No leaders, or a parameter out of range.

    Example
    -------
    >>> t = exposure(_four_person_org()).table
    >>> t[["person_id", "hops_to_leader", "leaders_within_2_hops"]].to_numpy().tolist()
    [['ceo', 0, 0], ['ana', 1, 1], ['bo', 2, 1], ['cy', <NA>, 0]]
    """
    _check_k(k)
    adjacency = graph.adjacency(layers)
    leader_pos = leader_positions(graph, leaders)
    hops = hops_to_leader(adjacency, leader_pos)
    counts = leaders_within(adjacency, leader_pos, k)
    scores, iterations = personalised_pagerank(
        adjacency, leader_pos, damping=damping, tol=tol, max_iter=max_iter
    )
    columns: dict[str, Any] = {
        "person_id": graph.ids.to_numpy(),
        **_hops_columns(hops),
        **_reach_columns(counts),
        "exposure": scores,
        "exposure_percentile": percentile_rank(scores, tol),
    }
    parameters: dict[str, Any] = {
        **_parameters(graph, layers, leaders),
        "k": k,
        "damping": damping,
        "tol": tol,
        "max_iter": max_iter,
        "access_p": access_p,
    }
    if access_p is not None:
        probability, se = cascade_access(adjacency, leader_pos, p=access_p, runs=runs, seed=seed)
        columns["access_probability"] = probability
        columns["access_se"] = se
        parameters.update(runs=runs, seed=seed)
    values = {
        "n_people": graph.n_people,
        "n_leaders": len(leader_pos),
        **_hops_values(hops, leader_pos),
        "pagerank_iterations": iterations,
    }
    return Result("exposure", parameters, pd.DataFrame(columns), values)


# ---- array-level building blocks (positions in, numpy arrays out) -------------------------


def leader_positions(graph: OrgGraph, leaders: Iterable[str] | None = None) -> np.ndarray:
    """Sorted positions of the leaders: the given ids, else the ``is_leader`` attribute.

    Raises
    ------
    ParameterError
        There are no leaders.
    GraphError
        A given id is not a known person.
    """
    if leaders is None:
        positions = np.flatnonzero(graph.leader_mask())
    else:
        if isinstance(leaders, str):
            leaders = [leaders]
        positions = np.unique(graph.positions(leaders))
    if positions.size == 0:
        raise ParameterError(
            "no leaders: mark leaders in the is_leader attribute or pass leaders=[person ids]"
        )
    return positions.astype(np.int64)


def hops_to_leader(adjacency: sp.csr_matrix, leader_pos: np.ndarray) -> np.ndarray:
    """Hops to the nearest leader by multi-source BFS (int32, -1 where unreachable)."""
    return multi_source_bfs(adjacency, leader_pos)


def leaders_within(adjacency: sp.csr_matrix, leader_pos: np.ndarray, k: int) -> list[np.ndarray]:
    """Distinct leaders within 1, ..., k hops (k <= 2) of every vertex, self excluded.

    Within 1 hop: nonzeros per row of ``B = A[:, leaders]``. Within 2 hops: nonzeros per row
    of ``A @ B + B``, computed in row chunks whose size is bounded by an upper bound on the
    product's nonzeros, so a hub never makes the whole product materialise. Every leader
    with a tie reaches themself in two hops (there and back); that self is subtracted.
    """
    n = adjacency.shape[0]
    ones = np.ones(adjacency.nnz, dtype=np.float32)
    a = sp.csr_matrix((ones, adjacency.indices, adjacency.indptr), shape=adjacency.shape)
    b = a[:, leader_pos].tocsr()
    within_1 = np.diff(b.indptr).astype(np.int64)
    result = [within_1]
    if k < 2:
        return result
    # Row i of A @ B has at most sum over i's neighbours of their leader-neighbour counts.
    bound = a @ within_1.astype(np.float64) + within_1
    ends = np.cumsum(bound)
    within_2 = np.empty(n, dtype=np.int64)
    start = 0
    while start < n:
        offset = ends[start - 1] if start else 0.0
        stop = int(np.searchsorted(ends, offset + _CHUNK_NONZEROS, side="right"))
        stop = min(max(stop, start + 1), n)
        block = a[start:stop] @ b + b[start:stop]
        within_2[start:stop] = np.diff(block.indptr)
        start = stop
    degree = np.diff(adjacency.indptr)
    has_ties = degree[leader_pos] > 0
    within_2[leader_pos[has_ties]] -= 1
    result.append(within_2)
    return result


def personalised_pagerank(
    adjacency: sp.csr_matrix,
    leader_pos: np.ndarray,
    *,
    damping: float = 0.85,
    tol: float = 1e-10,
    max_iter: int = 1000,
) -> tuple[np.ndarray, int]:
    """PageRank with restart (and dangling mass) uniform over the leaders.

    Iterates ``x <- d A D^-1 x + (d * dangling(x) + 1 - d) v`` from ``x = v`` until the L1
    change is below ``tol``. Returns the scores (summing to 1) and the iteration count.
    """
    if not 0.0 < damping < 1.0:
        raise ParameterError(f"damping must lie strictly between 0 and 1 (got {damping})")
    if not tol > 0.0:
        raise ParameterError(f"tol must be positive (got {tol})")
    n = adjacency.shape[0]
    restart = np.zeros(n)
    restart[leader_pos] = 1.0 / len(leader_pos)
    degree = np.diff(adjacency.indptr).astype(np.float64)
    dangling = np.flatnonzero(degree == 0)
    inverse_degree = np.divide(1.0, degree, out=np.zeros(n), where=degree > 0)
    # Unit weights: A @ y costs one pass over the indices and the (all-ones) data.
    walk = sp.csr_matrix(
        (np.ones(adjacency.nnz), adjacency.indices, adjacency.indptr), shape=adjacency.shape
    )
    x = restart.copy()
    for iteration in range(1, max_iter + 1):
        nxt = walk @ (x * inverse_degree)
        nxt *= damping
        nxt += (damping * x[dangling].sum() + (1.0 - damping)) * restart
        change = float(np.abs(nxt - x).sum())
        x = nxt
        if change < tol:
            return x, iteration
    raise ParameterError(
        f"personalised PageRank did not converge in {max_iter} iterations; "
        "raise max_iter or lower damping"
    )


def cascade_access(
    adjacency: sp.csr_matrix,
    leader_pos: np.ndarray,
    *,
    p: float,
    runs: int,
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Monte Carlo independent-cascade reach from the leaders: (probability, standard error).

    Every stored entry of the symmetric CSR is one direction of a tie, drawn live
    independently in each run; reach is a BFS over the live entries.
    """
    if not 0.0 <= p <= 1.0:
        raise ParameterError(f"the transmission probability p must lie in [0, 1] (got {p})")
    if runs < 1:
        raise ParameterError(f"runs must be at least 1 (got {runs})")
    rng = np.random.default_rng(seed)
    n = adjacency.shape[0]
    indptr = adjacency.indptr.astype(np.int64)
    indices = adjacency.indices.astype(np.int64)
    nnz = len(indices)
    # Runs are batched as disjoint copies of the graph searched by one BFS, so small graphs
    # do not pay a Python round per run.
    batch = max(1, min(runs, _CASCADE_BATCH_ENTRIES // max(nnz, n, 1)))
    hits = np.zeros(n, dtype=np.int64)
    done = 0
    while done < runs:
        copies = min(batch, runs - done)
        shift = np.arange(copies, dtype=np.int64)
        all_indices = (indices[None, :] + (shift * n)[:, None]).ravel()
        all_indptr = np.concatenate(
            [(indptr[:-1][None, :] + (shift * nnz)[:, None]).ravel(), [copies * nnz]]
        )
        live = rng.random(copies * nnz) < p
        kept = np.concatenate([[0], np.cumsum(live)])
        live_graph = sp.csr_matrix(
            (np.ones(int(kept[-1]), dtype=np.float32), all_indices[live], kept[all_indptr]),
            shape=(copies * n, copies * n),
        )
        sources = (leader_pos[None, :] + (shift * n)[:, None]).ravel()
        reached = multi_source_bfs(live_graph, sources) != UNREACHED
        hits += reached.reshape(copies, n).sum(axis=0)
        done += copies
    probability = hits / runs
    return probability, np.sqrt(probability * (1.0 - probability) / runs)


def percentile_rank(scores: np.ndarray, tol: float = 1e-10) -> np.ndarray:
    """Percentile rank in (0, 100], ties averaged.

    Scores are compared on a grid of ``tol / n``: values that agree to the precision they
    were computed with tie, so reordering people never reorders equal scores.
    """
    n = len(scores)
    if n == 0:
        return np.zeros(0)
    grid = tol / n
    ranks: np.ndarray = rankdata(np.round(scores / grid), method="average") / n * 100.0
    return ranks


# ---- helpers -----------------------------------------------------------------------------


def _check_k(k: int) -> None:
    if k not in (1, 2):
        raise ParameterError(f"k must be 1 or 2 (got {k!r})")


def _parameters(
    graph: OrgGraph, layers: LayerSpec, leaders: Iterable[str] | None
) -> dict[str, Any]:
    chosen = list(normalise_layers(layers, graph.layers))
    given: Any = "is_leader" if leaders is None else sorted(str(x) for x in leaders)
    return {"layers": chosen, "leaders": given}


def _hops_columns(hops: np.ndarray) -> dict[str, pd.Series]:
    reachable = hops != UNREACHED
    column = pd.array(hops, dtype="Int32")
    column[~reachable] = pd.NA
    return {
        "hops_to_leader": pd.Series(column),
        "reachable": pd.Series(reachable),
    }


def _hops_values(hops: np.ndarray, leader_pos: np.ndarray) -> dict[str, Any]:
    """Reach figures over the non-leaders (leaders are at 0 hops by definition)."""
    member = np.ones(len(hops), dtype=bool)
    member[leader_pos] = False
    hops = hops[member]
    reachable = hops != UNREACHED
    n_reachable = int(reachable.sum())
    return {
        "n_reachable": n_reachable,
        "share_reachable": n_reachable / len(hops) if len(hops) else None,
        "mean_hops": float(hops[reachable].mean()) if n_reachable else None,
    }


def _reach_columns(counts: list[np.ndarray]) -> dict[str, np.ndarray]:
    names = ["leaders_within_1_hop", "leaders_within_2_hops"]
    return {name: count for name, count in zip(names, counts, strict=False)}


def _four_person_org() -> OrgGraph:
    """The docstring example: a CEO, ana who works with the CEO, bo who works with ana,
    and cy who works with nobody."""
    people = pd.DataFrame(
        {
            "person_id": ["ceo", "ana", "bo", "cy"],
            "department": ["Board", "Sales", "Sales", "Ops"],
            "is_leader": [True, False, False, False],
        }
    )
    ties = pd.DataFrame(
        {"source": ["ceo", "ana"], "target": ["ana", "bo"], "layer": "collaboration"}
    )
    return OrgGraph.from_frames(people, ties)
