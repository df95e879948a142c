"""analyze: every headline metric of one organisation in one JSON-ready value.

This is what ``orgbridge analyze`` prints and what the HTML report and the app's Overview
read. The schema is documented in ``docs/analysis.md``; group aggregates over fewer than
``min_group`` people are suppressed and marked, never dropped. Exposure figures are over
non-leaders. An organisation without leaders still gets every silo and brokerage figure; its
exposure figures are ``null`` and ``notes`` says that exposure needs leaders.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from orgbridge.disclosure import (
    OTHER_GROUPS,
    disclose_equity,
    disclose_groups,
    disclose_matrix,
    disclosed_gap,
    suppression_plan,
)
from orgbridge.graph import OrgGraph
from orgbridge.graph._orggraph import LayerSpec, normalise_layers
from orgbridge.metrics._brokerage import (
    EXACT_MAX,
    betweenness,
    bridging_points,
    constraint,
    effective_size,
    groups_tied,
)
from orgbridge.metrics._communities import communities
from orgbridge.metrics._equity import exposure_equity
from orgbridge.metrics._exposure import exposure
from orgbridge.metrics._forked import Forked
from orgbridge.metrics._grouping import GroupBy
from orgbridge.metrics._privacy import (
    check_min_group,
    small_group_note,
)
from orgbridge.metrics._result import Result
from orgbridge.metrics._silos import assortativity, ei_index, group_ties, modularity, tie_matrix

__all__ = ["SCHEMA", "Analysis", "analyze"]

#: Version of the analysis JSON layout (docs/analysis.md).
SCHEMA = "orgbridge.analysis/1"

#: The note of an analysis of an organisation without leaders.
NO_LEADERS = (
    "exposure needs leaders: nobody is marked as a leader (an is_leader column, or a leader "
    "rule such as level>=7 at import), so every exposure and equity figure is null"
)

_EXPOSURE_KEYS = (
    "share_within_1_hop",
    "share_within_2_hops",
    "share_reachable",
    "mean_hops_to_leader",
    "equity_gap_within_2_hops",
    "best_group_within_2_hops",
    "worst_group_within_2_hops",
    "worst_group_share_within_2_hops",
    "worst_gap_to_overall_within_2_hops",
    "equity_gap_mean_exposure",
    "exposure_gini",
)

GROUP_COLUMNS = (
    "name",
    "size",
    "ei_index",
    "ei_baseline",
    "ei_difference",
    "weighted_ei_index",
    "share_within_1_hop",
    "share_within_2_hops",
    "mean_exposure",
    "mean_hops",
    "share_unreachable",
    "suppressed",
    "note",
)

PERSON_COLUMNS = (
    "person_id",
    "group",
    "hops_to_leader",
    "leaders_within_1_hop",
    "leaders_within_2_hops",
    "exposure",
    "betweenness",
    "constraint",
    "effective_size",
    "groups_tied",
    "community",
)


@dataclass(frozen=True)
class Analysis:
    """The analysis of one organisation: the JSON document plus the results behind it."""

    document: dict[str, Any]
    results: dict[str, Result]

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (docs/analysis.md)."""
        return self.document


def analyze(
    graph: OrgGraph,
    *,
    group_by: GroupBy = "department",
    layers: LayerSpec = None,
    min_group: int = 5,
    seed: int = 0,
    exact_max: int = EXACT_MAX,
    samples: int | None = None,
    include_people: bool = True,
    parallel: bool = False,
) -> Analysis:
    """Silos, brokerage, exposure and equity of ``graph`` in one value.

    Parameters
    ----------
    graph
        The organisation (take a snapshot first for an ``as_of`` analysis).
    group_by
        People attribute that defines groups (department by default).
    layers
        Tie layers (default: the informal layers; the reporting line only when named).
    min_group
        Privacy threshold: group aggregates over fewer people are suppressed (at least 5).
    seed
        Seeds Leiden and sampled betweenness.
    exact_max, samples
        Betweenness is exact up to ``exact_max`` people, sampled from ``samples`` sources
        beyond (``None``: as many as fit a fixed amount of work, at least 32; the estimate's
        standard error is reported).
    include_people
        Add the per-person table (``people[]``).
    parallel
        Compute betweenness and constraint in a forked child process meanwhile (same
        values; for the command line on large organisations: never from a threaded server).

    Returns
    -------
    Analysis

    Raises
    ------
    PrivacyError
        ``min_group`` below 5.

    Example
    -------
    >>> people = pd.DataFrame({"person_id": list("abcdef"), "department": list("xxxyyy"),
    ...                        "is_leader": [True] + [False] * 5})
    >>> ties = pd.DataFrame({"source": list("abcd"), "target": list("bcde"),
    ...                      "layer": ["collaboration"] * 4})
    >>> doc = analyze(OrgGraph.from_frames(people, ties)).to_dict()
    >>> round(doc["network"]["ei_index"], 3), doc["groups"][0]["suppressed"]
    (-0.5, True)
    """
    min_group = check_min_group(min_group)
    chosen = list(normalise_layers(layers, graph.layers))
    notes: list[str] = []
    results: dict[str, Result] = {}
    if graph.leader_mask().any():
        per_person = exposure(graph, layers=chosen)
        results["exposure"] = per_person
        results["equity"] = exposure_equity(
            graph, group_by=group_by, layers=chosen, min_group=min_group, per_person=per_person
        )
    else:
        notes.append(NO_LEADERS)

    def brokerage() -> tuple[Result, Result]:
        found = betweenness(graph, layers=chosen, exact_max=exact_max, samples=samples, seed=seed)
        return found, constraint(graph, layers=chosen)

    if parallel:  # the child inherits the built structures instead of building its own
        graph.igraph(chosen)
        graph.adjacency(chosen)
        pending = Forked.start(brokerage)
    results |= {
        "ei": ei_index(graph, group_by=group_by, layers=chosen),
        "ei_weighted": ei_index(graph, group_by=group_by, layers=chosen, weight=True),
        "modularity": modularity(graph, group_by=group_by, layers=chosen),
        "group_ties": group_ties(graph, group_by=group_by, layers=chosen),
        "communities": communities(graph, group_by=group_by, layers=chosen, seed=seed),
        "assortativity": assortativity(graph, group_by=group_by, layers=chosen),
        "effective_size": effective_size(graph, layers=chosen),
        "groups_tied": groups_tied(graph, group_by=group_by, layers=chosen),
        "bridging": bridging_points(graph, group_by=group_by, layers=chosen),
    }
    results["betweenness"], results["constraint"] = pending.result() if parallel else brokerage()
    parameters = {
        "group_by": results["ei"].parameters["group_by"],
        "layers": chosen,
        "min_group": min_group,
        "seed": seed,
        "betweenness": results["betweenness"].parameters
        | {k: results["betweenness"].values[k] for k in ("exact", "samples", "max_se")},
        "as_of": graph.metadata.get("as_of"),
    }
    document: dict[str, Any] = {
        "schema": SCHEMA,
        "parameters": parameters,
        "network": _network(graph, results, min_group),
        "groups": _groups(results, min_group),
        "group_ties": _group_ties(results["group_ties"], results["ei"].table, min_group),
        "communities": _communities(results["communities"]),
        "bridging": _bridging(results["bridging"], results["ei"].table, min_group),
        "notes": notes,
    }
    document = _jsonable(document)
    if include_people:  # already plain Python values: skip the per-value walk (100k+ rows)
        document["people"] = _people(graph, results)
    return Analysis(document=document, results=results)


def _network(graph: OrgGraph, results: dict[str, Result], min_group: int) -> dict[str, Any]:
    ei = results["ei"].values
    weighted = results["ei_weighted"].values
    out: dict[str, Any] = {
        "people": graph.n_people,
        "leaders": int(graph.leader_mask().sum()),
        "ties": graph.tie_counts(),
        "ei_index": ei["ei_index"],
        "ei_baseline": ei["ei_baseline"],
        "ei_difference": ei["ei_difference"],
        "weighted_ei_index": weighted["ei_index"],
        "internal_ties": ei["internal"],
        "external_ties": ei["external"],
        "modularity": results["modularity"].values["modularity"],
        "assortativity": results["assortativity"].values.get("assortativity"),
        **dict.fromkeys(_EXPOSURE_KEYS),
        "groups": ei["n_groups"],
        "suppressed_groups": None,
    }
    if "equity" not in results:
        return out
    equity = results["equity"].values
    reach = results["exposure"].values
    out.update(
        {
            "leaders": int(reach["n_leaders"]),
            "share_within_1_hop": equity["share_within_1_hop"],
            "share_within_2_hops": equity["share_within_2_hops"],
            "share_reachable": reach["share_reachable"],
            "mean_hops_to_leader": reach["mean_hops"],
            "equity_gap_within_2_hops": equity["gap_share_within_2_hops"],
            "best_group_within_2_hops": equity["best_share_within_2_hops"],
            "worst_group_within_2_hops": equity["worst_share_within_2_hops"],
            "worst_group_share_within_2_hops": equity["worst_group_share_within_2_hops"],
            "worst_gap_to_overall_within_2_hops": equity["worst_gap_to_overall_within_2_hops"],
            "equity_gap_mean_exposure": equity["gap_mean_exposure"],
            "exposure_gini": equity["gini"],
            "suppressed_groups": equity["n_suppressed"],
        }
    )
    # best, worst and gaps over the groups the disclosure policy shows: a hidden group's
    # value must not come back through a gap or a "worst group" figure
    shown = disclose_equity(results["equity"].table, min_group=min_group)
    share = disclosed_gap(shown, "share_within_2_hops")
    worst_share = None
    if share["worst"] is not None:
        row = shown.loc[shown["group"] == share["worst"], "share_within_2_hops"]
        worst_share = float(row.iloc[0])
    overall = equity["share_within_2_hops"]
    out.update(
        {
            "equity_gap_within_2_hops": share["gap"],
            "best_group_within_2_hops": share["best"],
            "worst_group_within_2_hops": share["worst"],
            "worst_group_share_within_2_hops": worst_share,
            "worst_gap_to_overall_within_2_hops": (
                None if worst_share is None or overall is None else float(overall) - worst_share
            ),
            "equity_gap_mean_exposure": disclosed_gap(shown, "mean_exposure")["gap"],
            "suppressed_groups": int(shown["suppressed"].astype(bool).sum()),
        }
    )
    return out


def _groups(results: dict[str, Result], min_group: int) -> list[dict[str, Any]]:
    """One row per group through the disclosure policy: E-I figures under the plan of the
    group sizes, exposure figures under the plan of the non-leaders they are over; groups
    under the threshold pooled into one unlabelled row."""
    ei = results["ei"].table
    weighted = results["ei_weighted"].table.set_index("group")["ei_index"]
    silo = pd.DataFrame(
        {
            "group": ei["group"].astype(str).to_numpy(),
            "size": ei["size"].to_numpy(),
            "ei_index": ei["ei_index"].to_numpy(),
            "ei_baseline": ei["ei_baseline"].to_numpy(),
            "ei_difference": ei["ei_difference"].to_numpy(),
            "weighted_ei_index": weighted.reindex(ei["group"]).to_numpy(),
        }
    )
    silo = disclose_groups(silo, min_group=min_group)
    equity_columns = [
        "share_within_1_hop",
        "share_within_2_hops",
        "mean_exposure",
        "mean_hops",
        "share_unreachable",
    ]
    table = silo.copy()
    if "equity" in results:
        shown = disclose_equity(results["equity"].table, min_group=min_group).set_index("group")
        for column in equity_columns:
            table[column] = pd.to_numeric(
                shown[column].reindex(table["group"]), errors="coerce"
            ).to_numpy()
        hidden = shown["suppressed"].reindex(table["group"]).fillna(True).to_numpy(dtype=bool)
        table["suppressed"] = table["suppressed"].to_numpy(dtype=bool) | hidden
        notes = shown["note"].reindex(table["group"]).to_numpy()
        table["note"] = [
            n if isinstance(n, str) else (e if isinstance(e, str) else None)
            for n, e in zip(table["note"].astype(object), notes, strict=True)
        ]
    else:
        for column in equity_columns:
            table[column] = np.nan
    table = table.rename(columns={"group": "name"})
    records: list[dict[str, Any]] = table[list(GROUP_COLUMNS)].to_dict(orient="records")  # type: ignore[assignment]
    return records


def _group_ties(result: Result, ei_table: pd.DataFrame, min_group: int) -> dict[str, Any]:
    sizes = ei_table.set_index("group")["size"]
    plan = suppression_plan(sizes, min_group=min_group)
    counts = disclose_matrix(tie_matrix(result, "ties"), plan)
    density = disclose_matrix(tie_matrix(result, "density"), plan)
    return {
        "groups": [str(g) for g in counts.index],
        "ties": counts.to_numpy().tolist(),
        "density": density.to_numpy().tolist(),
        "suppressed": [str(g) in plan.hidden or g == OTHER_GROUPS for g in counts.index],
        "note": (
            f"groups with {small_group_note(min_group)} are pooled as {OTHER_GROUPS!r}; "
            "their cells, and those of groups hidden to protect them, are null"
        ),
    }


def _communities(result: Result) -> dict[str, Any]:
    values = result.values
    return {
        "count": values["count"],
        "singletons": values.get("singletons"),
        "largest": values["sizes"][:10],
        "modularity": values["modularity"],
        "nmi": values["nmi"],
        "ari": values["ari"],
        "method": result.parameters.get("method"),
    }


def _bridging(result: Result, ei_table: pd.DataFrame, min_group: int) -> list[dict[str, Any]]:
    """Group pairs joined through one person or one tie, never a hidden group."""
    sizes = ei_table.set_index("group")["size"]
    hidden = suppression_plan(sizes, min_group=min_group).hidden
    table = result.table
    if table.empty:
        return []
    involved = table["group_a"].astype(str).isin(hidden) | table["group_b"].astype(str).isin(hidden)
    records: list[dict[str, Any]] = table.loc[~involved].to_dict(orient="records")  # type: ignore[assignment]
    return records


def _people(graph: OrgGraph, results: dict[str, Result]) -> list[dict[str, Any]]:
    reach = ["hops_to_leader", "leaders_within_1_hop", "leaders_within_2_hops", "exposure"]
    if "exposure" in results:
        frame = results["exposure"].table[["person_id", *reach]].copy()
    else:  # no leaders: every exposure column is null
        frame = pd.DataFrame({"person_id": graph.ids.to_numpy()})
        for column in reach:
            frame[column] = np.nan
    for key, column in (
        ("betweenness", "betweenness"),
        ("constraint", "constraint"),
        ("effective_size", "effective_size"),
    ):
        frame[column] = results[key].table[column].to_numpy()
    tied = results["groups_tied"].table
    frame["group"] = tied["group"].to_numpy()
    frame["groups_tied"] = tied["groups_tied"].to_numpy()
    frame["community"] = results["communities"].table["community"].to_numpy()
    frame = frame[list(PERSON_COLUMNS)]
    columns: dict[str, list[Any]] = {}
    for name in PERSON_COLUMNS:  # Python scalars, None for missing and non-finite values
        series = frame[name]
        values = np.array(series.astype(object).to_numpy(), dtype=object, copy=True)
        missing = np.array(series.isna().to_numpy(), dtype=bool, copy=True)
        if series.dtype.kind == "f":
            missing |= ~np.isfinite(series.to_numpy(dtype=np.float64))
        values[missing] = None
        columns[name] = values.tolist()
    return [
        dict(zip(PERSON_COLUMNS, row, strict=True)) for row in zip(*columns.values(), strict=True)
    ]


def _jsonable(value: Any) -> Any:
    """Plain JSON types: numpy scalars to Python, NaN/NA to None, tuples to lists."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        number = float(value)
        return None if math.isnan(number) or math.isinf(number) else number
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value
