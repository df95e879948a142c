"""The standard analysis of a stored organisation, as ``orgbridge analyze`` and the app run it.

:func:`analyze_store` reads the store, analyses the organisation as of a day, adds the
impact of every programme cycle that has started, and saves the per-person metrics back
with what they were computed from (:func:`~orgbridge.metrics._saved.provenance`), so that
every app process serving the store reuses them while that still holds. The command line
and the app's analysis job both call it: one code path, one ``about`` record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd

__all__ = ["analyze_store", "summary_line"]


def analyze_store(
    store: Any,
    *,
    group_by: str = "department",
    layers: Any = None,
    as_of: str | None = None,
    min_group: int = 5,
    seed: int = 0,
    snapshot: bool = True,
    save: bool = True,
    parallel_from: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Any]:
    """Analyse the organisation in ``store`` and save its per-person metrics there.

    Parameters
    ----------
    store
        The workspace or Neo4j store.
    group_by, layers, min_group, seed
        As for :func:`~orgbridge.metrics.analyze`.
    as_of
        The day analysed (ISO date; default today): ties ended before it are history.
    snapshot
        False: analyse every stored tie, ended or not, as the app does (``as_of`` only
        dates the programme impact); the app then reuses the saved metrics whatever the
        day.
    save
        Save the per-person table under ``SAVED_METRICS`` with its provenance.
    parallel_from
        From this many people, compute brokerage in a forked process meanwhile (the
        command line; ``None``, never: a server's threads must not be forked).
    progress
        Called with ``(stage, done, total)`` between the steps (it may raise to stop the
        analysis before anything is saved).

    Returns
    -------
    dict
        The analysis document (``Analysis.to_dict()``) with its ``impact`` list.

    Raises
    ------
    ParameterError
        ``min_group`` is below 5, or a parameter names no attribute or layer.
    """
    from orgbridge.metrics import analyze, check_min_group
    from orgbridge.metrics._saved import SAVED_METRICS, person_table, provenance

    check_min_group(min_group)
    report = progress or (lambda stage, done, total: None)
    report("loading", 0, 4)
    stamp = store.data_stamp()
    stored = store.load_graph()
    day = as_of or dt.date.today().isoformat()
    graph = stored.snapshot(day) if snapshot else stored
    report("analysing", 1, 4)
    parallel = parallel_from is not None and graph.n_people >= parallel_from
    analysis = analyze(
        graph,
        group_by=group_by,
        layers=layers,
        min_group=min_group,
        seed=seed,
        parallel=parallel,
    )
    document: dict[str, Any] = analysis.to_dict()
    report("programme impact", 2, 4)
    document["impact"] = _impact(store, stored, day, min_group=min_group, seed=seed)
    if save:
        report("saving", 3, 4)
        # a snapshot only drops people and ties: same counts means the same data
        whole = graph.n_people == stored.n_people and graph.tie_counts() == stored.tie_counts()
        about = provenance(
            stamp,
            whole=whole,
            layers=document["parameters"]["layers"],
            seed=seed,
            as_of=day if snapshot else None,
        )
        store.save_metrics(person_table(analysis), name=SAVED_METRICS, about=about)
    return document


def _impact(store: Any, graph: Any, day: str, *, min_group: int, seed: int) -> list[dict[str, Any]]:
    """Impact of every programme cycle that has started (aggregates only; the core shows
    nothing for fewer than ``min_group`` matched participants and says so)."""
    from orgbridge.programme import impact, load_stored

    state = load_stored(store).state
    when = pd.Timestamp(day)
    started = state.cycles.loc[state.cycles["start"] <= when].sort_values("start")
    out = []
    for cycle in started["cycle_id"].astype(str):
        result = impact(graph, state, cycle, as_of=min(when, state.cycle(cycle)["end"]),
                        min_group=min_group, seed=seed)  # fmt: skip
        out.append(result.to_dict())
    return out


def summary_line(document: dict[str, Any], group_by: str) -> str:
    """The headline of an analysis document: people, groups, E-I with its baseline and
    modularity (aggregates only).

    Example
    -------
    >>> net = {"people": 1200, "groups": 4, "ei_index": -0.25, "ei_baseline": 0.5,
    ...        "modularity": 0.31}
    >>> summary_line({"network": net}, "department")
    '1,200 people, 4 groups by department: E-I -0.250 (random mixing +0.500), modularity +0.310'
    """
    net = document["network"]
    return (
        f"{net['people']:,} people, {net['groups']} groups by {group_by}: "
        f"E-I {_signed(net['ei_index'])} (random mixing {_signed(net['ei_baseline'])}), "
        f"modularity {_signed(net['modularity'])}"
    )


def _signed(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.3f}"
