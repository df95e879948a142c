"""Brokerage: who connects otherwise separate parts of the organisation.

Exact and weighted betweenness and Burt's constraint run in igraph's C code; sampled
unweighted betweenness advances all its sources at once in sparse products
(:mod:`orgbridge.metrics._dependency`); effective size is a chunked sparse
product; groups tied and single points of bridging are ``bincount``/sort passes over the edge
arrays. All work on the undirected view of the chosen layers (each pair once, self-loops
dropped). Values match networkx (``betweenness_centrality``, ``constraint``,
``effective_size``) on the same undirected graph; the tests cross-check them.
"""

from __future__ import annotations

import itertools
import random
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from orgbridge.errors import ParameterError
from orgbridge.graph import OrgGraph, normalise_layers
from orgbridge.graph._orggraph import LayerSpec
from orgbridge.metrics._dependency import source_dependencies
from orgbridge.metrics._grouping import GroupBy, grouping
from orgbridge.metrics._result import Result
from orgbridge.metrics._silos import metric_parameters

__all__ = [
    "betweenness",
    "bridging_points",
    "constraint",
    "default_samples",
    "effective_size",
    "groups_tied",
]

#: Default size bound: betweenness is exact up to this many people and sampled beyond.
EXACT_MAX = 5_000
#: The least number of source people (pivots) the default samples beyond the bound.
SAMPLES = 32
#: Beyond the bound the default samples as many sources as fit this much work, counted as the
#: people and adjacency entries one source visits (about 1-2 s on the 2-core machine at any
#: size): a 10,000-person organisation gets hundreds of sources, a million people the least.
SAMPLE_WORK = 100_000_000
#: ... and no more than keep the people x sources table of dependencies this small.
SAMPLE_CELLS = 20_000_000
#: bridging_points indexes group pairs directly (no sort) up to this many pair slots.
_DENSE_PAIR_SLOTS = 4_000_000
#: Effective size computes its sparse product in row chunks of about this many entries.
_CHUNK_ENTRIES = 20_000_000


def betweenness(
    graph: OrgGraph,
    *,
    layers: LayerSpec = None,
    weight: bool = False,
    normalized: bool = True,
    exact_max: int = EXACT_MAX,
    samples: int | None = None,
    seed: int = 0,
) -> Result:
    """Betweenness centrality: the share of shortest paths between others passing through a person.

    Exact (Brandes) when the organisation has at most ``exact_max`` people; beyond that,
    estimated from ``samples`` source people drawn at random (Brandes and Pich 2007), with an
    estimated standard error per person; by default as many as :func:`default_samples` fits
    in a fixed amount of work. The scaling is networkx's
    (``betweenness_centrality(G, k=samples, normalized=..., weight=..., seed=seed)`` with
    ``endpoints=False``): normalised values divide the count of ordered pairs by
    ``(n - 1)(n - 2)``, unnormalised values count each unordered pair once; a sampled estimate
    scales the sum over the sources other than the person by ``(n - 1) / k_v``, ``k_v`` being
    the number of such sources. The sources are ``random.Random(seed).sample(range(n), k)``,
    the draw networkx makes on a graph whose nodes are in people order, so the estimates are
    identical to networkx's for the same seed.

    The standard error is that of a mean over a sample drawn without replacement: the spread
    of the sampled sources' dependencies on the person, over the square root of their number,
    with the finite-population correction. Its size matches the actual seed-to-seed spread
    (within about 15% in the tests on random graphs), but dependencies are skewed (a few
    sources contribute most), so fewer people than a normal approximation suggests lie
    within two errors of their exact value (80-90% on sparse random graphs with 60 of 300
    sources). It is 0 for exact values and NaN with one sample.

    Parameters
    ----------
    graph
        The organisation.
    layers
        Tie layers (``None``: collaboration, mentoring and sponsorship).
    weight
        Use weighted shortest paths with length ``1 / weight`` (a stronger tie is a shorter
        step). ``False``: every tie is one step.
    normalized
        Divide by the number of pairs (networkx's ``normalized=True``).
    exact_max
        Compute exactly up to this many people.
    samples
        Number of sampled sources beyond ``exact_max`` (exact when ``samples >= n``);
        ``None``: :func:`default_samples` for this organisation and these layers.
    seed
        Seed of the source sample.

    Returns
    -------
    Result
        ``table``: ``person_id``, ``betweenness``, ``betweenness_se``. ``values``: ``exact``,
        ``samples`` (sources used; ``n`` when exact), ``max_se``, ``mean_se``,
        ``max_betweenness``.

    Raises
    ------
    ParameterError
        ``samples`` < 1 or ``exact_max`` < 0.

    Example
    -------
    >>> people = pd.DataFrame({"person_id": list("abcd")})
    >>> ties = pd.DataFrame({"source": ["a", "b", "c"], "target": ["b", "c", "d"],
    ...                      "layer": "collaboration"})
    >>> betweenness(OrgGraph.from_frames(people, ties)).table["betweenness"].round(3).tolist()
    [0.0, 0.667, 0.667, 0.0]
    """
    if (samples is not None and samples < 1) or exact_max < 0:
        raise ParameterError(
            f"betweenness needs samples >= 1 and exact_max >= 0; got samples={samples}, "
            f"exact_max={exact_max}"
        )
    n, asked = graph.n_people, samples
    if samples is None:
        samples = n if n <= exact_max else default_samples(n, graph.adjacency(layers).nnz)
    exact = n <= exact_max or samples >= n
    ig_graph: Any = graph.igraph(layers) if exact or weight else None
    lengths = 1.0 / np.asarray(ig_graph.es["weight"], dtype=np.float64) if weight else None
    if exact:
        raw = np.asarray(ig_graph.betweenness(directed=False, weights=lengths), dtype=np.float64)
        # igraph counts each unordered pair once; networkx sums over ordered pairs.
        value = raw * 2.0 / ((n - 1.0) * (n - 2.0)) if normalized and n > 2 else raw
        se = np.zeros(n)
        used = n
    else:
        pivots = random.Random(seed).sample(range(n), samples)
        if lengths is None:  # every tie one step: all sources at once, in sparse products
            dependencies = source_dependencies(graph.adjacency(layers), np.asarray(pivots))
        else:
            dependencies = _igraph_dependencies(ig_graph, lengths, pivots)
        value, se = _sampled(dependencies, pivots, normalized)
        used = samples
    table = pd.DataFrame(
        {"person_id": graph.ids.to_numpy(), "betweenness": value, "betweenness_se": se}
    )
    parameters: dict[str, Any] = {
        "layers": list(normalise_layers(layers, graph.layers)),
        "weight": weight,
        "normalized": normalized,
        "exact_max": exact_max,
        "samples": asked,
        "seed": seed,
        "method": "exact (Brandes)" if exact else "sampled sources (Brandes-Pich)",
    }
    values: dict[str, Any] = {
        "exact": exact,
        "samples": used,
        "max_se": _finite(np.max, se),
        "mean_se": _finite(np.mean, se),
        "max_betweenness": _finite(np.max, value),
    }
    return Result("betweenness", parameters, table, values)


def default_samples(n_people: int, entries: int) -> int:
    """The sources sampled by default beyond the exact bound: as many as fit ``SAMPLE_WORK``
    (each visits the ``n_people`` and the adjacency's ``entries``, two per tie) and keep the
    dependency table under ``SAMPLE_CELLS``, at least ``SAMPLES``, at most everyone.

    The standard error falls as one over the square root of the sources, so a mid-sized
    organisation's brokers are ranked from many sources while a million people still get
    an answer in seconds.

    Example
    -------
    >>> default_samples(10_000, 120_000), default_samples(100_000, 2_000_000)
    (769, 47)
    >>> default_samples(1_000_000, 20_000_000), default_samples(20, 40)
    (32, 20)
    """
    fits = min(SAMPLE_WORK // max(n_people + entries, 1), SAMPLE_CELLS // max(n_people, 1))
    return max(1, min(n_people, max(SAMPLES, int(fits))))


def _finite(statistic: Any, values: np.ndarray) -> float:
    """A statistic of the finite values; NaN when there are none (e.g. one sample, no error)."""
    finite = values[np.isfinite(values)]
    return float(statistic(finite)) if len(finite) else float("nan")


def _igraph_dependencies(ig_graph: Any, lengths: np.ndarray, pivots: list[int]) -> np.ndarray:
    """Each pivot's dependencies (columns) on weighted shortest paths, one igraph call each."""
    found = np.zeros((ig_graph.vcount(), len(pivots)))
    for column, source in enumerate(pivots):
        # igraph halves a source's dependency on an undirected graph; double it back.
        half = ig_graph.betweenness(directed=False, weights=lengths, sources=[source])
        found[:, column] = 2.0 * np.asarray(half, dtype=np.float64)
    return found


def _sampled(
    dependencies: np.ndarray, pivots: list[int], normalized: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Brandes-Pich estimate from the sampled sources' dependencies (one column each), with
    its standard error."""
    n, samples = dependencies.shape
    total = dependencies.sum(axis=1)
    total_sq = np.einsum("ij,ij->i", dependencies, dependencies)
    # A person is never a source of paths through themselves: k_v excludes them.
    k_v = np.full(n, float(samples))
    k_v[pivots] -= 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = total / k_v  # mean dependency over sources other than v
        variance = np.maximum(total_sq - k_v * mean * mean, 0.0) / (k_v - 1.0)
        fpc = np.clip(1.0 - k_v / (n - 1.0), 0.0, 1.0)
        se_mean = np.sqrt(variance / k_v * fpc)
    se_mean[k_v < 2] = np.nan  # one source: no spread to estimate an error from
    # mean * (n - 1) estimates the sum over all n - 1 sources (ordered pairs).
    scale = 1.0 / (n - 2.0) if normalized else (n - 1.0) / 2.0
    return mean * scale, se_mean * scale


def constraint(
    graph: OrgGraph,
    *,
    layers: LayerSpec = None,
    weight: bool = False,
) -> Result:
    """Burt's constraint: how much a person's contacts are tied to each other (low = broker).

    ``c_i = sum_j (p_ij + sum_q p_iq p_qj)^2`` over i's contacts j, where ``p_ij`` is the share
    of i's ties (or tie weight) that goes to j. Computed by igraph; equal to
    ``networkx.constraint`` on the undirected graph. NaN for a person without ties.

    Parameters
    ----------
    graph, layers
        As for :func:`betweenness`.
    weight
        Shares by tie weight instead of tie count.

    Returns
    -------
    Result
        ``table``: ``person_id``, ``constraint``. ``values``: ``mean_constraint``.

    Example
    -------
    >>> people = pd.DataFrame({"person_id": list("abcd")})
    >>> ties = pd.DataFrame({"source": ["a", "a", "a"], "target": ["b", "c", "d"],
    ...                      "layer": "collaboration"})
    >>> constraint(OrgGraph.from_frames(people, ties)).table["constraint"].round(3).tolist()
    [0.333, 1.0, 1.0, 1.0]
    """
    ig_graph = graph.igraph(layers)
    values = np.asarray(ig_graph.constraint(weights="weight" if weight else None), dtype=np.float64)
    values[graph.adjacency(layers).getnnz(axis=1) == 0] = np.nan
    table = pd.DataFrame({"person_id": graph.ids.to_numpy(), "constraint": values})
    parameters = {"layers": list(normalise_layers(layers, graph.layers)), "weight": weight}
    mean = float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
    return Result("constraint", parameters, table, {"mean_constraint": mean})


def effective_size(
    graph: OrgGraph,
    *,
    layers: LayerSpec = None,
    weight: bool = False,
) -> Result:
    """Burt's effective size: the number of a person's contacts, less their redundancy.

    ``ES_i = sum_j (1 - sum_q p_iq m_jq)`` over i's contacts j, where ``p_iq`` is the share of
    i's tie weight going to q and ``m_jq`` is j's tie weight to q divided by j's strongest tie.
    Unweighted this is ``d - 2 t / d`` (``d`` contacts with ``t`` ties among them). Equal to
    ``networkx.effective_size`` on the undirected graph (with ``weight="weight"`` when
    ``weight=True``); NaN for a person without ties. Weighted, a sparse product in row
    chunks, so memory stays bounded; unweighted, from igraph's triangle counts.

    Parameters
    ----------
    graph, layers
        As for :func:`betweenness`.
    weight
        Use tie weights (Burt's weighted formula) instead of counting ties.

    Returns
    -------
    Result
        ``table``: ``person_id``, ``effective_size``, ``efficiency`` (effective size divided by
        the number of contacts). ``values``: ``mean_effective_size``.

    Example
    -------
    >>> people = pd.DataFrame({"person_id": list("abcd")})
    >>> ties = pd.DataFrame({"source": ["a", "a", "a", "b"], "target": ["b", "c", "d", "c"],
    ...                      "layer": "collaboration"})
    >>> effective_size(OrgGraph.from_frames(people, ties)).table["effective_size"].round(3).tolist()
    [2.333, 1.0, 1.0, 1.0]
    """
    if not weight:
        return _effective_size_result(
            graph, layers, weight, _unweighted_effective_size(graph, layers)
        )
    strength = graph.adjacency(layers, weighted=weight)
    indicator = graph.adjacency(layers)
    degree = np.diff(indicator.indptr).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = sp.diags(1.0 / np.asarray(strength.sum(axis=1)).ravel()) @ strength
        strongest = strength.max(axis=1).toarray().ravel() if len(degree) else degree
        relative = sp.diags(1.0 / strongest) @ strength
    share, relative = sp.csr_matrix(share), sp.csr_matrix(relative)
    redundancy = np.zeros(len(degree))
    # Row i of indicator @ relative has at most sum of i's contacts' degrees entries.
    work = indicator @ degree
    for rows in _row_chunks(work) if len(degree) else []:
        block = (indicator[rows] @ relative).multiply(share[rows])
        redundancy[rows] = np.asarray(block.sum(axis=1)).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        size = np.where(degree > 0, degree - redundancy, np.nan)
    return _effective_size_result(graph, layers, weight, size)


def _unweighted_effective_size(graph: OrgGraph, layers: LayerSpec) -> np.ndarray:
    """``d - 2 t / d`` from igraph's triangle counts: ``t = C d (d - 1) / 2`` with ``C`` the
    local clustering coefficient (0 below two contacts). Linear in the triangles, where the
    sparse product walks every two-step path."""
    degree = np.diff(graph.adjacency(layers).indptr).astype(np.float64)
    clustering = np.asarray(
        graph.igraph(layers).transitivity_local_undirected(mode="zero"), dtype=np.float64
    )
    triangles = np.rint(clustering * degree * (degree - 1.0) / 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        size: np.ndarray = np.where(degree > 0, degree - 2.0 * triangles / degree, np.nan)
    return size


def _effective_size_result(
    graph: OrgGraph, layers: LayerSpec, weight: bool, size: np.ndarray
) -> Result:
    degree = np.diff(graph.adjacency(layers).indptr).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        efficiency = size / degree
    table = pd.DataFrame(
        {"person_id": graph.ids.to_numpy(), "effective_size": size, "efficiency": efficiency}
    )
    parameters = {"layers": list(normalise_layers(layers, graph.layers)), "weight": weight}
    mean = float(np.nanmean(size)) if np.isfinite(size).any() else float("nan")
    return Result("effective_size", parameters, table, {"mean_effective_size": mean})


def _row_chunks(work: np.ndarray) -> list[slice]:
    """Split rows into consecutive slices whose summed ``work`` stays near the chunk size."""
    bounds = np.searchsorted(
        np.cumsum(work), np.arange(_CHUNK_ENTRIES, work.sum() + _CHUNK_ENTRIES, _CHUNK_ENTRIES)
    )
    edges = np.unique(np.concatenate([[0], np.minimum(bounds + 1, len(work)), [len(work)]]))
    return [slice(int(a), int(b)) for a, b in itertools.pairwise(edges)]


def groups_tied(
    graph: OrgGraph,
    *,
    group_by: GroupBy = "department",
    layers: LayerSpec = None,
) -> Result:
    """Number of OTHER groups each person has at least one tie to.

    Parameters
    ----------
    graph
        The organisation.
    group_by
        People attribute (or Series of labels by person_id) defining the groups; missing
        values form the group ``"(missing)"``, which counts as a group.
    layers
        Tie layers (``None``: collaboration, mentoring and sponsorship).

    Returns
    -------
    Result
        ``table``: ``person_id``, ``group``, ``groups_tied``, ``external_ties`` (ties to people
        of other groups), ``ties``. ``values``: ``mean_groups_tied``, ``share_tied_to_none``
        (people with no tie outside their group), ``max_groups_tied``.

    Example
    -------
    >>> people = pd.DataFrame({"person_id": list("abcd"), "department": ["X", "X", "Y", "Z"]})
    >>> ties = pd.DataFrame({"source": ["a", "a", "a"], "target": ["b", "c", "d"],
    ...                      "layer": "collaboration"})
    >>> groups_tied(OrgGraph.from_frames(people, ties)).table["groups_tied"].tolist()
    [2, 0, 1, 1]
    """
    groups = grouping(graph, group_by)
    n = graph.n_people
    adjacency = graph.adjacency(layers)
    degree = np.diff(adjacency.indptr).astype(np.int64)
    own = np.repeat(groups.codes, np.diff(adjacency.indptr))
    alter = groups.codes[adjacency.indices]
    outside = alter != own
    external = np.add.reduceat(np.append(outside, False).astype(np.int64), adjacency.indptr[:-1])
    external[degree == 0] = 0
    tied = _groups_tied(external, alter[outside], n, groups.n_groups)
    table = pd.DataFrame(
        {
            "person_id": graph.ids.to_numpy(),
            "group": groups.label_array(),
            "groups_tied": tied,
            "external_ties": external,
            "ties": degree,
        }
    )
    values: dict[str, Any] = {
        "mean_groups_tied": float(tied.mean()) if n else float("nan"),
        "share_tied_to_none": float((tied == 0).mean()) if n else float("nan"),
        "max_groups_tied": int(tied.max()) if n else 0,
    }
    parameters = metric_parameters(graph, groups, layers, False)
    del parameters["weight"]
    return Result("groups_tied", parameters, table, values)


def _groups_tied(
    external: np.ndarray, alter_outside: np.ndarray, n: int, n_groups: int
) -> np.ndarray:
    """Distinct other groups per row: a CSR of the external entries only (rows stay in
    order), whose duplicate (row, group) entries collapse when summed (a per-row sort in C)."""
    indptr = np.concatenate([[0], np.cumsum(external)])
    by_group = sp.csr_matrix(
        (np.ones(len(alter_outside), dtype=np.int32), alter_outside, indptr),
        shape=(n, max(n_groups, 1)),
    )
    by_group.sum_duplicates()
    tied: np.ndarray = np.diff(by_group.indptr).astype(np.int64)
    return tied


def bridging_points(
    graph: OrgGraph,
    *,
    group_by: GroupBy = "department",
    layers: LayerSpec = None,
) -> Result:
    """Single points of bridging: group pairs whose direct ties hang on one tie or one person.

    A pair of groups is listed when the ties between them (ties with one end in each) are a
    single tie (``via="one tie"``: both its ends are bridging people), or several ties that all
    have the same person at one end (``via="one person"``: losing that person cuts every direct
    tie between the two groups). Group pairs with no direct tie at all are not single points
    (they are listed with 0 ties by :func:`group_ties`); paths through third groups are not
    considered.

    Parameters
    ----------
    graph, group_by, layers
        As for :func:`groups_tied`.

    Returns
    -------
    Result
        ``table`` (fewest ties first): ``group_a``, ``group_b``, ``ties``, ``via``,
        ``bridges`` (tuple of the bridging person ids). ``values``: ``tied_group_pairs``,
        ``single_tie_pairs``, ``single_person_pairs``.

    Example
    -------
    >>> people = pd.DataFrame({"person_id": list("abcd"), "department": ["X", "X", "Y", "Y"]})
    >>> ties = pd.DataFrame({"source": ["a", "a"], "target": ["c", "d"], "layer": "mentoring"})
    >>> bridging_points(OrgGraph.from_frames(people, ties)).table.to_dict(orient="records")
    [{'group_a': 'X', 'group_b': 'Y', 'ties': 2, 'via': 'one person', 'bridges': ('a',)}]
    """
    groups = grouping(graph, group_by)
    n_groups = groups.n_groups
    src, dst, _ = graph.edge_arrays(layers)
    cs, cd = groups.codes[src], groups.codes[dst]
    cross = cs != cd
    src, dst, cs, cd = src[cross], dst[cross], cs[cross], cd[cross]
    swap = cs > cd
    end_a = np.where(swap, dst, src).astype(np.int64)
    end_b = np.where(swap, src, dst).astype(np.int64)
    keys = np.minimum(cs, cd).astype(np.int64) * n_groups + np.maximum(cs, cd)
    if n_groups * n_groups <= _DENSE_PAIR_SLOTS:
        slot, n_slots = keys, n_groups * n_groups
        pair_keys = np.arange(n_slots)
    else:
        pair_keys, slot = np.unique(keys, return_inverse=True)
        n_slots = len(pair_keys)
    ties = np.bincount(slot, minlength=n_slots)
    # Does every tie of a group pair have the same person at its A end (B end)? Keep any one
    # end per pair, then count the ties whose end differs from it: no sort needed.
    bridge_a, one_a = _one_end(slot, end_a, n_slots)
    bridge_b, one_b = _one_end(slot, end_b, n_slots)
    single = (ties > 0) & (one_a | one_b)
    ids = graph.ids.to_numpy()
    labels = groups.labels
    records = []
    for k in np.flatnonzero(single):
        people = [
            str(ids[bridge[k]]) for bridge, one in ((bridge_a, one_a), (bridge_b, one_b)) if one[k]
        ]
        a, b = divmod(int(pair_keys[k]), n_groups)
        records.append(
            {
                "group_a": labels[a],
                "group_b": labels[b],
                "ties": int(ties[k]),
                "via": "one tie" if ties[k] == 1 else "one person",
                "bridges": tuple(people),
            }
        )
    columns = ["group_a", "group_b", "ties", "via", "bridges"]
    table = pd.DataFrame(records, columns=columns)
    if len(table):
        table = table.sort_values(["ties", "group_a", "group_b"], kind="stable")
        table = table.reset_index(drop=True)
    values = {
        "tied_group_pairs": int((ties > 0).sum()),
        "single_tie_pairs": int((ties[single] == 1).sum()),
        "single_person_pairs": int((ties[single] > 1).sum()),
    }
    parameters = metric_parameters(graph, groups, layers, False)
    del parameters["weight"]
    return Result("bridging_points", parameters, table, values)


def _one_end(slot: np.ndarray, ends: np.ndarray, n_slots: int) -> tuple[np.ndarray, np.ndarray]:
    """Per slot: one of its ends, and whether all of the slot's ends are that same person."""
    chosen = np.zeros(n_slots, dtype=np.int64)
    chosen[slot] = ends
    others = np.bincount(slot[ends != chosen[slot]], minlength=n_slots)
    return chosen, others == 0
