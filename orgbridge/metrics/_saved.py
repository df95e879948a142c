"""Saved per-person metrics: what they were computed from, and whether they still hold.

``orgbridge analyze`` saves its per-person table (:func:`person_table`) with an ``about``
record (:func:`provenance`): the store's data stamp (content hash of the stored people and
ties), whether the analysed snapshot was the whole stored organisation, the layers, the
seed, the betweenness sampling, the as-of date and the code version (a hash of the metric
code). The app asks :func:`stale_reason` whether the record matches what it would compute
itself; when it does, :func:`saved_results` turns the table back into the results the app
would otherwise recompute (constraint, effective size, betweenness: seconds each at
100,000 people; communities: the saved partition, its comparison with the grouping redone).

Example
-------
>>> about = provenance("f00d", whole=True, layers=["collaboration"], seed=0, as_of=None)
>>> stale_reason(about, expected("f00d", layers=["collaboration"])) is None
True
>>> stale_reason(about, expected("beef", layers=["collaboration"]))
'the organisation changed since they were computed'
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from orgbridge.errors import ParameterError
from orgbridge.graph import OrgGraph
from orgbridge.metrics._analysis import Analysis
from orgbridge.metrics._brokerage import EXACT_MAX

__all__ = [
    "SAVED_METRICS",
    "SavedResults",
    "code_version",
    "expected",
    "person_table",
    "provenance",
    "saved_results",
    "stale_reason",
]

#: The name ``orgbridge analyze`` saves its per-person table under.
SAVED_METRICS = "analysis"

#: The keys of an ``about`` record that must match for the saved metrics to be reused,
#: each with what a mismatch means.
_CHECKS = {
    "data": "the organisation changed since they were computed",
    "whole": "they were computed on a dated snapshot that differs from the stored organisation",
    "layers": "they were computed over other tie layers",
    "seed": "they were computed with another seed",
    "exact_max": "betweenness was computed with another exact limit",
    "samples": "betweenness was computed with another sample size",
    "code": "the metric code changed since they were computed",
}
#: Columns :func:`saved_results` needs.
_NEEDED = ("person_id", "betweenness", "betweenness_se", "constraint", "effective_size")


@functools.cache
def code_version() -> str:
    """A hash of the metric code (this package and the graph view it runs on): results
    saved by another version of it are not reused."""
    here = Path(__file__).resolve().parent
    digest = hashlib.blake2b(digest_size=8)
    for path in [*sorted(here.glob("*.py")), here.parent / "graph" / "_orggraph.py"]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def provenance(
    data: str | None,
    *,
    whole: bool,
    layers: Sequence[str],
    seed: int,
    as_of: str | None,
    exact_max: int = EXACT_MAX,
    samples: int | None = None,
) -> dict[str, Any]:
    """The ``about`` record of metrics computed from the stored organisation whose data
    stamp is ``data`` (``whole``: the analysed snapshot was all of it)."""
    return {
        "data": data,
        "whole": bool(whole),
        "layers": sorted(str(layer) for layer in layers),
        "seed": int(seed),
        "as_of": as_of,
        "exact_max": int(exact_max),
        "samples": None if samples is None else int(samples),
        "code": code_version(),
    }


def expected(data: str | None, *, layers: Sequence[str], seed: int = 0) -> dict[str, Any]:
    """The record the app's own computation would have (the whole stored organisation,
    default betweenness sampling)."""
    return provenance(data, whole=True, layers=layers, seed=seed, as_of=None)


def stale_reason(about: dict[str, Any], wanted: dict[str, Any]) -> str | None:
    """Why metrics saved with ``about`` cannot stand in for ``wanted`` (None: they can)."""
    if not about:
        return "no record of what they were computed from"
    if wanted.get("data") is None:
        return "the store has no data stamp (saved by an older version; import again)"
    for key, meaning in _CHECKS.items():
        if about.get(key) != wanted.get(key):
            return meaning
    return None


def person_table(analysis: Analysis) -> pd.DataFrame:
    """The per-person table ``analyze`` saves: the document's ``people`` columns (without
    the group) plus the betweenness standard error and efficiency, as exact floats."""
    people = pd.DataFrame(analysis.document["people"]).drop(columns=["group"])
    results = analysis.results
    people["betweenness"] = results["betweenness"].table["betweenness"].to_numpy()
    people["betweenness_se"] = results["betweenness"].table["betweenness_se"].to_numpy()
    people["constraint"] = results["constraint"].table["constraint"].to_numpy()
    people["effective_size"] = results["effective_size"].table["effective_size"].to_numpy()
    people["efficiency"] = results["effective_size"].table["efficiency"].to_numpy()
    people["community"] = results["communities"].table["community"].to_numpy()
    return people


@dataclass(frozen=True)
class SavedResults:
    """Saved per-person results in the graph's people order, shaped as the metrics return
    their tables."""

    betweenness: pd.DataFrame
    constraint: pd.DataFrame
    effective_size: pd.DataFrame
    community: np.ndarray


def saved_results(graph: OrgGraph, table: pd.DataFrame) -> SavedResults:
    """The saved ``table`` as result tables of ``graph`` (rows reordered by person_id).

    Raises
    ------
    ParameterError
        A needed column is missing, or the table's people are not exactly the graph's.

    Example
    -------
    >>> people = pd.DataFrame({"person_id": ["a", "b"]})
    >>> saved = pd.DataFrame({"person_id": ["b", "a"], "betweenness": [0.5, 0.0],
    ...     "betweenness_se": 0.0, "constraint": [1.0, 1.0], "effective_size": [1.0, 1.0],
    ...     "efficiency": 1.0, "community": [1, 0]})
    >>> found = saved_results(OrgGraph(people), saved)
    >>> found.betweenness["betweenness"].tolist(), found.community.tolist()
    ([0.0, 0.5], [0, 1])
    """
    missing = [c for c in (*_NEEDED, "efficiency", "community") if c not in table.columns]
    if missing:
        raise ParameterError(f"the saved metrics lack the column(s) {missing}")
    ids = table["person_id"].astype(str)
    if len(ids) != graph.n_people or ids.duplicated().any():
        raise ParameterError("the saved metrics are not one row per person of the organisation")
    order = pd.Index(ids).get_indexer(graph.ids.astype(str))
    if (order < 0).any():
        raise ParameterError("the saved metrics are not one row per person of the organisation")
    rows = table.iloc[order].reset_index(drop=True)
    person_id = graph.ids.to_numpy()

    def floats(column: str) -> np.ndarray:
        values: np.ndarray = pd.to_numeric(rows[column], errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
        return values

    return SavedResults(
        betweenness=pd.DataFrame(
            {
                "person_id": person_id,
                "betweenness": floats("betweenness"),
                "betweenness_se": floats("betweenness_se"),
            }
        ),
        constraint=pd.DataFrame({"person_id": person_id, "constraint": floats("constraint")}),
        effective_size=pd.DataFrame(
            {
                "person_id": person_id,
                "effective_size": floats("effective_size"),
                "efficiency": floats("efficiency"),
            }
        ),
        community=pd.to_numeric(rows["community"]).to_numpy(dtype=np.int64),
    )
