"""Silo metrics over a grouping: E-I index, group tie matrix, modularity, assortativity.

All of them are linear passes over the undirected edge arrays of the chosen layers
(:meth:`OrgGraph.edge_arrays`: each pair of people once, OR-symmetrised across layers and
directions, self-loops dropped, weights summed) with ``np.bincount`` over group codes, so
nothing is quadratic in headcount: one million people and ten million ties take a fraction of
a second once the edge arrays exist.

``weight=False`` counts every tied pair once; ``weight=True`` sums the tie weights instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from orgbridge.errors import ParameterError
from orgbridge.graph import OrgGraph, normalise_layers
from orgbridge.graph._orggraph import LayerSpec
from orgbridge.metrics._grouping import GroupBy, Grouping, grouping
from orgbridge.metrics._result import Result

__all__ = [
    "assortativity",
    "ei_index",
    "group_ties",
    "modularity",
    "tie_matrix",
]

#: group_ties refuses to list every group pair beyond this many rows (ask for include_empty=False).
MAX_GROUP_PAIRS = 2_000_000


def ei_index(
    graph: OrgGraph,
    *,
    group_by: GroupBy = "department",
    layers: LayerSpec = None,
    weight: bool = False,
) -> Result:
    """Krackhardt and Stern's E-I index, whole network and per group, with its baseline.

    ``(E - I) / (E + I)`` where E counts external ties (between groups) and I internal ties
    (within a group). For a group, the ties counted are those incident to it. It runs from -1
    (all ties internal) to +1 (all external) and is shown with the value expected if ties fell
    at random between people, ``1 - 2 (n_g - 1) / (n - 1)`` for a group of ``n_g`` people out of
    ``n``, and ``1 - 2 sum_g n_g (n_g - 1) / (n (n - 1))`` for the whole network. A positive E-I
    can still be a strong silo when its baseline is much higher, so ``ei_difference`` (E-I minus
    baseline) is the figure to compare across groups of different size.

    Every person counts toward ``n`` and ``n_g``, isolates included. Missing attribute values
    form the group ``"(missing)"``, which is treated like any other group (so a person coded
    with a department of their own, such as a CEO, is a group of one whose ties are all
    external). The baseline does not depend on ``weight``: random mixing places weight as it
    places ties.

    Parameters
    ----------
    graph
        The organisation.
    group_by
        People attribute (or a Series of labels by person_id) defining the groups.
    layers
        Tie layers (``None``: collaboration, mentoring and sponsorship).
    weight
        Sum tie weights instead of counting ties.

    Returns
    -------
    Result
        ``values``: ``ei_index``, ``ei_baseline``, ``ei_difference``, ``internal``,
        ``external``, ``n_groups``. ``table`` per group: ``group``, ``size``, ``internal``,
        ``external``, ``ei_index``, ``ei_baseline``, ``ei_difference``. E-I is NaN where there
        is no tie; a baseline is NaN when ``n < 2``.

    Example
    -------
    >>> people = pd.DataFrame({"person_id": list("abcd"), "department": ["X", "X", "Y", "Y"]})
    >>> ties = pd.DataFrame({"source": ["a", "c", "a"], "target": ["b", "d", "c"],
    ...                      "layer": "collaboration"})
    >>> r = ei_index(OrgGraph.from_frames(people, ties))
    >>> round(r["ei_index"], 3), round(r["ei_baseline"], 3)
    (-0.333, 0.333)
    """
    groups = grouping(graph, group_by)
    src, dst, w = undirected_edges(graph, layers, weight)
    n_groups = groups.n_groups
    cs, cd = groups.codes[src], groups.codes[dst]
    inside = cs == cd
    internal_g = np.bincount(cs[inside], w[inside], minlength=n_groups)
    cross_w = w[~inside]
    external_g = np.bincount(cs[~inside], cross_w, minlength=n_groups) + np.bincount(
        cd[~inside], cross_w, minlength=n_groups
    )
    internal, external = float(internal_g.sum()), float(cross_w.sum())

    n = graph.n_people
    sizes = groups.sizes.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        group_ei = (external_g - internal_g) / (external_g + internal_g)
        group_base = 1.0 - 2.0 * (sizes - 1.0) / (n - 1.0) if n > 1 else np.full(n_groups, np.nan)
    network_ei = (external - internal) / (external + internal) if external + internal else np.nan
    network_base = (
        1.0 - 2.0 * float((sizes * (sizes - 1.0)).sum()) / (n * (n - 1.0)) if n > 1 else np.nan
    )
    table = pd.DataFrame(
        {
            "group": list(groups.labels),
            "size": groups.sizes,
            "internal": _count(internal_g, weight),
            "external": _count(external_g, weight),
            "ei_index": group_ei,
            "ei_baseline": group_base,
            "ei_difference": group_ei - group_base,
        }
    )
    values: dict[str, Any] = {
        "ei_index": float(network_ei),
        "ei_baseline": float(network_base),
        "ei_difference": float(network_ei - network_base),
        "internal": internal if weight else round(internal),
        "external": external if weight else round(external),
        "n_groups": n_groups,
    }
    return Result("ei_index", metric_parameters(graph, groups, layers, weight), table, values)


def group_ties(
    graph: OrgGraph,
    *,
    group_by: GroupBy = "department",
    layers: LayerSpec = None,
    weight: bool = False,
    include_empty: bool = True,
) -> Result:
    """Ties and tie density between every pair of groups (the group x group tie matrix).

    One row per unordered group pair ``(group_a, group_b)`` with ``group_a <= group_b`` in
    group order (a within-group row has ``group_a == group_b``). ``pairs`` is the number of
    possible ties: ``n_A n_B`` between groups, ``n_A (n_A - 1) / 2`` within one. ``density`` is
    ``ties / pairs`` (``tie_weight / pairs`` when ``weight=True``); NaN when ``pairs`` is 0.
    Both the tie count and the summed weight are always reported. Counted with one
    ``np.bincount`` over group-code pairs; use :func:`tie_matrix` for a square table.

    Parameters
    ----------
    graph, group_by, layers
        As for :func:`ei_index`.
    weight
        Base ``density`` on summed tie weights instead of tie counts.
    include_empty
        List group pairs without any tie too. With more than 2,000,000 group pairs (about
        2,000 groups) this is refused: pass ``include_empty=False``.

    Returns
    -------
    Result
        ``table``: ``group_a``, ``group_b``, ``size_a``, ``size_b``, ``pairs``, ``ties``,
        ``tie_weight``, ``density``. ``values``: ``n_groups``, ``ties``, ``tie_weight``,
        ``within_share`` (share of ties inside groups), ``group_pairs_without_ties``
        (between-group pairs of non-empty groups with no tie at all).

    Raises
    ------
    ParameterError
        Too many group pairs to list with ``include_empty=True``.

    Example
    -------
    >>> people = pd.DataFrame({"person_id": list("abcd"), "department": ["X", "X", "Y", "Y"]})
    >>> ties = pd.DataFrame({"source": ["a", "c", "a"], "target": ["b", "d", "c"],
    ...                      "layer": "collaboration"})
    >>> r = group_ties(OrgGraph.from_frames(people, ties))
    >>> for row in r.table[["group_a", "group_b", "ties", "density"]].itertuples(index=False):
    ...     print(*row)
    X X 1 1.0
    X Y 1 0.25
    Y Y 1 1.0
    """
    groups = grouping(graph, group_by)
    n_groups = groups.n_groups
    n_pairs = n_groups * (n_groups + 1) // 2
    if include_empty and n_pairs > MAX_GROUP_PAIRS:
        raise ParameterError(
            f"grouping by {groups.name!r} gives {n_groups} groups ({n_pairs} group pairs); "
            "pass include_empty=False to list only the pairs that have ties"
        )
    src, dst, w = graph.edge_arrays(layers)
    cs, cd = groups.codes[src], groups.codes[dst]
    low, high = np.minimum(cs, cd), np.maximum(cs, cd)
    keys = low * n_groups + high
    if include_empty:
        a, b = np.triu_indices(n_groups)
        wanted = a * n_groups + b
        counts = np.bincount(keys, minlength=n_groups * n_groups)[wanted]
        sums = np.bincount(keys, w, minlength=n_groups * n_groups)[wanted]
    else:
        wanted, inverse = np.unique(keys, return_inverse=True)
        counts = np.bincount(inverse, minlength=len(wanted))
        sums = np.bincount(inverse, w, minlength=len(wanted))
        a, b = np.divmod(wanted, n_groups)
    size_a, size_b = groups.sizes[a], groups.sizes[b]
    pairs = np.where(a == b, size_a * (size_a - 1) // 2, size_a * size_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        density = np.where(pairs > 0, (sums if weight else counts) / pairs, np.nan)
    labels = np.asarray(groups.labels, dtype=object)
    table = pd.DataFrame(
        {
            "group_a": labels[a].tolist(),
            "group_b": labels[b].tolist(),
            "size_a": size_a,
            "size_b": size_b,
            "pairs": pairs,
            "ties": counts.astype(np.int64),
            "tie_weight": sums,
            "density": density,
        }
    )
    within = a == b
    present = groups.sizes > 0
    all_between = int(present.sum()) * (int(present.sum()) - 1) // 2
    between_tied = int(((~within) & (counts > 0)).sum())
    total = int(counts.sum())
    values: dict[str, Any] = {
        "n_groups": n_groups,
        "ties": total,
        "tie_weight": float(sums.sum()),
        "within_share": float(counts[within].sum() / total) if total else float("nan"),
        "group_pairs_without_ties": all_between - between_tied,
    }
    parameters = metric_parameters(graph, groups, layers, weight)
    parameters["include_empty"] = include_empty
    return Result("group_ties", parameters, table, values)


def tie_matrix(result: Result, column: str = "ties") -> pd.DataFrame:
    """A square, symmetric group x group table of one column of a :func:`group_ties` result.

    Example
    -------
    >>> people = pd.DataFrame({"person_id": list("abc"), "department": ["X", "X", "Y"]})
    >>> ties = pd.DataFrame({"source": ["a", "a"], "target": ["b", "c"], "layer": "mentoring"})
    >>> tie_matrix(group_ties(OrgGraph.from_frames(people, ties))).to_dict()
    {'X': {'X': 1, 'Y': 1}, 'Y': {'X': 1, 'Y': 0}}
    """
    if result.name != "group_ties":
        raise ParameterError(f"tie_matrix needs a group_ties result, not {result.name!r}")
    table = result.table
    labels = list(dict.fromkeys([*table["group_a"], *table["group_b"]]))
    mirrored = pd.concat(
        [
            table[["group_a", "group_b", column]],
            table.loc[table["group_a"] != table["group_b"], ["group_b", "group_a", column]].rename(
                columns={"group_b": "group_a", "group_a": "group_b"}
            ),
        ]
    )
    matrix = mirrored.pivot(index="group_a", columns="group_b", values=column)
    matrix = matrix.reindex(index=labels, columns=labels)
    matrix.index.name = None
    matrix.columns.name = None
    return matrix


def modularity(
    graph: OrgGraph,
    *,
    group_by: GroupBy = "department",
    layers: LayerSpec = None,
    weight: bool = False,
    resolution: float = 1.0,
) -> Result:
    """Newman's modularity of the formal partition (groups of ``group_by``).

    ``Q = sum_c [ L_c / m - resolution * (d_c / 2m)^2 ]`` where ``m`` is the number (or total
    weight) of ties, ``L_c`` the ties inside group ``c`` and ``d_c`` the summed degree of its
    people; the same as ``networkx.algorithms.community.modularity`` on the undirected graph.

    Parameters
    ----------
    graph, group_by, layers, weight
        As for :func:`ei_index`.
    resolution
        Resolution parameter (1 is classic modularity).

    Returns
    -------
    Result
        ``values``: ``modularity`` (NaN when there is no tie). ``table`` per group: ``group``,
        ``size``, ``internal``, ``degree``, ``contribution`` (summing to the modularity).

    Example
    -------
    >>> people = pd.DataFrame({"person_id": list("abcd"), "department": ["X", "X", "Y", "Y"]})
    >>> ties = pd.DataFrame({"source": ["a", "c", "a"], "target": ["b", "d", "c"],
    ...                      "layer": "collaboration"})
    >>> round(modularity(OrgGraph.from_frames(people, ties))["modularity"], 4)
    0.1667
    """
    groups = grouping(graph, group_by)
    src, dst, w = undirected_edges(graph, layers, weight)
    internal, degree, contribution = partition_modularity(
        groups.codes, groups.n_groups, src, dst, w, resolution
    )
    table = pd.DataFrame(
        {
            "group": list(groups.labels),
            "size": groups.sizes,
            "internal": _count(internal, weight),
            "degree": _count(degree, weight),
            "contribution": contribution,
        }
    )
    q = float(contribution.sum()) if len(w) and w.sum() > 0 else float("nan")
    parameters = metric_parameters(graph, groups, layers, weight)
    parameters["resolution"] = resolution
    return Result("modularity", parameters, table, {"modularity": q})


def partition_modularity(
    codes: np.ndarray,
    n_groups: int,
    src: np.ndarray,
    dst: np.ndarray,
    w: np.ndarray,
    resolution: float = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-group internal weight, degree sum and modularity contribution of a partition.

    ``src, dst, w`` are undirected edges listed once. Used by :func:`modularity` and by the
    community comparison.
    """
    cs, cd = codes[src], codes[dst]
    inside = cs == cd
    internal = np.bincount(cs[inside], w[inside], minlength=n_groups)
    degree = np.bincount(cs, w, minlength=n_groups) + np.bincount(cd, w, minlength=n_groups)
    m = float(w.sum())
    if m <= 0:
        return internal, degree, np.full(n_groups, np.nan)
    contribution = internal / m - resolution * (degree / (2.0 * m)) ** 2
    return internal, degree, contribution


def assortativity(
    graph: OrgGraph,
    *,
    group_by: GroupBy = "department",
    layers: LayerSpec = None,
    weight: bool = False,
    numeric: bool = False,
) -> Result:
    """Attribute assortativity: do people tie to others with the same (or similar) value?

    Categorical (default): Newman's assortativity coefficient over the group mixing matrix,
    ``r = (sum_i e_ii - sum_i a_i^2) / (1 - sum_i a_i^2)``, as
    ``networkx.attribute_assortativity_coefficient`` (missing values are the group
    ``"(missing)"``). Numeric (``numeric=True``): the Pearson correlation of the attribute
    across the two ends of every tie, as ``networkx.numeric_assortativity_coefficient``; ties
    with a missing value at either end are left out (their number is reported). Each tie counts
    in both directions; with ``weight=True`` a tie counts with its weight (networkx has no
    weighted variant; this equals networkx on a multigraph with ``weight`` parallel edges).

    Parameters
    ----------
    graph, group_by, layers, weight
        As for :func:`ei_index`.
    numeric
        Treat the attribute as a number (e.g. ``level``) instead of as categories.

    Returns
    -------
    Result
        ``values``: ``assortativity`` (NaN when undefined, e.g. one category only),
        ``kind``, ``ties_used``; for categorical, ``table`` per group: ``group``, ``size``,
        ``end_share`` (a_i) and ``internal_share`` (e_ii).

    Raises
    ------
    ParameterError
        ``numeric=True`` and some value is not a number.

    Example
    -------
    >>> people = pd.DataFrame({"person_id": list("abcd"), "department": ["X", "X", "Y", "Y"]})
    >>> ties = pd.DataFrame({"source": ["a", "c", "a"], "target": ["b", "d", "c"],
    ...                      "layer": "collaboration"})
    >>> round(assortativity(OrgGraph.from_frames(people, ties))["assortativity"], 4)
    0.3333
    """
    src, dst, w = undirected_edges(graph, layers, weight)
    if numeric:
        return _numeric_assortativity(graph, group_by, layers, weight, src, dst, w)
    groups = grouping(graph, group_by)
    n_groups = groups.n_groups
    cs, cd = groups.codes[src], groups.codes[dst]
    total = 2.0 * float(w.sum())
    inside = cs == cd
    with np.errstate(divide="ignore", invalid="ignore"):
        e_ii = 2.0 * np.bincount(cs[inside], w[inside], minlength=n_groups) / total
        a_i = (np.bincount(cs, w, minlength=n_groups) + np.bincount(cd, w, minlength=n_groups)) / (
            total
        )
        sum_sq = float((a_i * a_i).sum())
        # One group only (sum_sq == 1): the coefficient is undefined.
        r = (float(e_ii.sum()) - sum_sq) / (1.0 - sum_sq) if total > 0 and sum_sq < 1 else np.nan
    table = pd.DataFrame(
        {
            "group": list(groups.labels),
            "size": groups.sizes,
            "end_share": a_i,
            "internal_share": e_ii,
        }
    )
    parameters = metric_parameters(graph, groups, layers, weight)
    parameters["numeric"] = False
    values = {"assortativity": float(r), "kind": "categorical", "ties_used": len(w)}
    return Result("assortativity", parameters, table, values)


def _numeric_assortativity(
    graph: OrgGraph,
    group_by: GroupBy,
    layers: LayerSpec,
    weight: bool,
    src: np.ndarray,
    dst: np.ndarray,
    w: np.ndarray,
) -> Result:
    if isinstance(group_by, pd.Series):
        raw = group_by.copy()
        raw.index = pd.Index(raw.index.astype(str))
        raw = raw.reindex(graph.ids)
        name = str(group_by.name) if group_by.name is not None else "group"
    else:
        if group_by not in graph.people.columns:
            raise ParameterError(f"cannot use {group_by!r}: no such people attribute")
        raw = graph.people[group_by]
        name = group_by
    numbers = pd.to_numeric(raw, errors="coerce")
    bad = numbers.isna() & raw.notna()
    if bad.any():
        raise ParameterError(
            f"numeric assortativity needs numbers in {name!r}; found {raw[bad].iloc[0]!r}"
        )
    x = numbers.to_numpy(dtype=np.float64)
    xs, xd = x[src], x[dst]
    keep = ~(np.isnan(xs) | np.isnan(xd))
    xs, xd, wk = xs[keep], xd[keep], w[keep]
    total = 2.0 * float(wk.sum())
    r = float("nan")
    if total > 0:
        mean = float((wk * (xs + xd)).sum()) / total
        var = float((wk * (xs * xs + xd * xd)).sum()) / total - mean * mean
        cov = float((wk * 2.0 * xs * xd).sum()) / total - mean * mean
        r = cov / var if var > 0 else float("nan")
    parameters: dict[str, Any] = {
        "group_by": name,
        "layers": list(normalise_layers(layers, graph.layers)),
        "weight": weight,
        "numeric": True,
    }
    values = {"assortativity": r, "kind": "numeric", "ties_used": int(keep.sum())}
    return Result("assortativity", parameters, pd.DataFrame(), values)


def undirected_edges(
    graph: OrgGraph, layers: LayerSpec, weight: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Undirected edges once each; weights are 1 unless ``weight``."""
    src, dst, w = graph.edge_arrays(layers)
    return src, dst, (w if weight else np.ones(len(src)))


def _count(values: np.ndarray, weight: bool) -> np.ndarray:
    return values if weight else np.rint(values).astype(np.int64)


def metric_parameters(
    graph: OrgGraph, groups: Grouping, layers: LayerSpec, weight: bool
) -> dict[str, Any]:
    return {
        "group_by": groups.name,
        "layers": list(normalise_layers(layers, graph.layers)),
        "weight": weight,
    }
