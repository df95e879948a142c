"""Programme state on a date: current ties, history, commitments and each person's load.

A mentoring programme runs for years, so the recommender reads the organisation as of a date
(``as_of``), never as a flat list of ties:

- a tie is **current** when it has started (``start`` missing or on/before ``as_of``) and not
  ended (``end`` missing or on/after ``as_of``); only current ties count for distances to
  leaders, group tie counts and "already tied";
- a mentoring or sponsorship tie whose ``end`` is before ``as_of`` is **history**: it counts for
  rotation (past partners are not paired again unless ``allow_repeat``), nothing else;
- an **approved proposal** is a commitment (a pair or sponsorship with a start date) that has
  not been imported yet. It uses one unit of both people's capacity and is treated as a tie of
  the state, so the run does not spend effort on what it already brings. When the same pair
  later arrives as an imported tie it is recognised (it is counted once, as that tie); when a
  person left, or it started after ``as_of``, it is set aside with a note, never an error.

A person's **load** is their current pairs and sponsorships (either side) plus their pending
commitments of both kinds: one budget across pairs and sponsorships.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from orgbridge.errors import ParameterError
from orgbridge.graph import MENTORING, SPONSORSHIP, OrgGraph

__all__ = ["Commitment", "ProgrammeState", "programme_state"]

PAIR = "pair"
SPONSORSHIP_KIND = "sponsorship"
_LAYER = {PAIR: MENTORING, SPONSORSHIP_KIND: SPONSORSHIP}


@dataclass(frozen=True)
class Commitment:
    """An approved pair or sponsorship (``a`` is the sponsor) not necessarily imported yet.

    Parameters
    ----------
    a, b
        person_ids (for a sponsorship ``a`` is the leader).
    kind
        ``"pair"`` or ``"sponsorship"``.
    start
        When the commitment begins (the approval date by default); None: already begun.
    cycle
        The programme cycle it belongs to (free text, reported back).

    Example
    -------
    >>> Commitment("b", "a", start="2026-01-05").key
    ('a', 'b')
    """

    a: str
    b: str
    kind: str = PAIR
    start: str | None = None
    cycle: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "a", str(self.a))
        object.__setattr__(self, "b", str(self.b))
        if self.kind not in _LAYER:
            raise ParameterError(
                f"a commitment is a {PAIR!r} or a {SPONSORSHIP_KIND!r}, got {self.kind!r}"
            )
        if self.start is not None:
            try:
                day = pd.Timestamp(self.start)
            except (TypeError, ValueError) as error:
                raise ParameterError(
                    f"commitment ({self.a}, {self.b}): start {self.start!r} is not a date"
                ) from error
            if pd.isna(day):
                object.__setattr__(self, "start", None)
            else:
                object.__setattr__(self, "start", str(day.date()))

    @property
    def key(self) -> tuple[str, str]:
        """The unordered ids for a pair, ``(sponsor, protégé)`` for a sponsorship."""
        if self.kind == PAIR and self.b < self.a:
            return self.b, self.a
        return self.a, self.b

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "a": self.a,
            "b": self.b,
            "kind": self.kind,
            "start": self.start,
            "cycle": self.cycle,
        }


@dataclass(frozen=True)
class ProgrammeState:
    """The organisation as the recommender sees it on ``as_of``.

    Attributes
    ----------
    current
        The same people in the same positions, with only the ties current on ``as_of``.
    as_of
        The date (ISO) or None when no date was given (every tie is then current).
    history
        ``{kind: (k, 2) positions}`` of past pairs / sponsorships (ended before ``as_of``).
    load
        Current commitments of each person across pairs and sponsorships.
    pending
        Approved commitments still to be imported, as ``(a, b, kind)`` positions.
    commitments
        One row per commitment given: ``a, b, kind, start, cycle, status, note``; status is
        ``pending``, ``imported``, ``completed``, ``not started`` or ``set aside``.
    notes
        Plain-language notes for the run's output (nothing is set aside silently).
    """

    current: OrgGraph
    as_of: str | None
    history: dict[str, np.ndarray]
    load: np.ndarray
    pending: tuple[tuple[int, int, str], ...]
    commitments: pd.DataFrame
    notes: tuple[str, ...] = field(default=())


def _day(as_of: str | pd.Timestamp | None) -> pd.Timestamp | None:
    if as_of is None:
        return None
    try:
        day = pd.Timestamp(as_of)
    except (TypeError, ValueError) as error:
        raise ParameterError(f"as_of {as_of!r} is not a date") from error
    if pd.isna(day):
        raise ParameterError(f"as_of {as_of!r} is not a date")
    return day.tz_localize(None) if day.tzinfo is not None else day


def programme_state(
    graph: OrgGraph,
    *,
    as_of: str | pd.Timestamp | None = None,
    commitments: Iterable[Commitment] = (),
) -> ProgrammeState:
    """Split ``graph``'s ties into current and history on ``as_of``, and weigh commitments.

    Parameters
    ----------
    graph
        The organisation, with every tie it ever had (``start``/``end`` dates).
    as_of
        The day that decides what is current. None: the graph's ``metadata['as_of']`` if it is
        a snapshot, else every tie is current and none is history.
    commitments
        Approved pairs and sponsorships (e.g. from stored decisions).

    Example
    -------
    >>> people = pd.DataFrame({"person_id": ["a", "b", "c"]})
    >>> ties = pd.DataFrame({"source": ["a", "b"], "target": ["b", "c"],
    ...                      "layer": "mentoring", "end": ["2024-06-30", None]})
    >>> state = programme_state(OrgGraph.from_frames(people, ties), as_of="2025-01-01",
    ...                         commitments=[Commitment("a", "c", start="2024-12-01")])
    >>> state.current.tie_counts(), state.history["pair"].tolist(), state.load.tolist()
    ({'mentoring': 1}, [[0, 1]], [1, 1, 2])
    """
    day = _day(as_of if as_of is not None else graph.metadata.get("as_of"))
    ties = graph.explicit_ties()
    if day is None:
        current_mask = np.ones(len(ties), dtype=bool)
        ended = np.zeros(len(ties), dtype=bool)
    else:
        start = pd.to_datetime(ties["start"], errors="coerce")
        end = pd.to_datetime(ties["end"], errors="coerce")
        started = (start.isna() | (start <= day)).to_numpy()
        ended = (end.notna() & (end < day)).to_numpy()
        current_mask = started & ~ended
    layer = ties["layer"].astype(str).to_numpy()
    src = ties["source"].to_numpy(dtype=np.int64)
    dst = ties["target"].to_numpy(dtype=np.int64)
    history = {
        kind: np.column_stack([src[ended & (layer == name)], dst[ended & (layer == name)]])
        for kind, name in _LAYER.items()
    }
    meta = dict(graph.metadata)
    if day is not None:
        meta["as_of"] = str(day.date())
    current = (
        graph
        if day is None
        else OrgGraph(
            graph.people,
            ties.loc[current_mask].reset_index(drop=True),
            special=graph.special,
            metadata=meta,
        )
    )
    n = graph.n_people
    load = np.zeros(n, dtype=np.int64)
    live: dict[str, set[int]] = {}
    for kind, name in _LAYER.items():
        pick = current_mask & (layer == name) & (src != dst)
        keys = _keys(src[pick], dst[pick], n, directed=False)
        live[kind] = set(keys.tolist())
        past = history[kind]
        live[f"past-{kind}"] = set(_keys(past[:, 0], past[:, 1], n, directed=False).tolist())
        # each distinct partner counts once per person, whatever the duplicates in the file
        _, first = np.unique(keys, return_index=True)
        np.add.at(load, src[pick][first], 1)
        np.add.at(load, dst[pick][first], 1)
    pending, rows, notes = _commitments(graph, commitments, day, live, load)
    return ProgrammeState(
        current=current,
        as_of=None if day is None else str(day.date()),
        history=history,
        load=load,
        pending=tuple(pending),
        commitments=pd.DataFrame(
            rows, columns=["a", "b", "kind", "start", "cycle", "status", "note"]
        ),
        notes=tuple(notes),
    )


def _keys(a: np.ndarray, b: np.ndarray, n: int, *, directed: bool) -> np.ndarray:
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    if directed:
        return np.asarray(a * n + b)
    return np.asarray(np.minimum(a, b) * n + np.maximum(a, b))


def _commitments(
    graph: OrgGraph,
    commitments: Iterable[Commitment],
    day: pd.Timestamp | None,
    live: dict[str, set[int]],
    load: np.ndarray,
) -> tuple[list[tuple[int, int, str]], list[dict[str, Any]], list[str]]:
    n = graph.n_people
    pending: list[tuple[int, int, str]] = []
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    seen: set[tuple[str, int]] = set()
    index = graph.ids
    for item in commitments:
        status, note = "pending", ""
        pos = index.get_indexer(pd.Index([item.a, item.b]))
        label = f"approved {item.kind} ({item.a}, {item.b})"
        if (pos < 0).any():
            gone = [p for p, i in zip((item.a, item.b), pos, strict=True) if i < 0]
            status = "set aside"
            note = f"{' and '.join(gone)} is no longer in the organisation"
        else:
            u, v = int(pos[0]), int(pos[1])
            key = int(_keys(np.array([u]), np.array([v]), n, directed=False)[0])
            if u == v:
                status, note = "set aside", "it pairs a person with themself"
            elif (item.kind, key) in seen:
                status, note = "set aside", "it is listed twice"
            elif key in live[item.kind]:
                status, note = "imported", "now an imported tie; counted once, as that tie"
            elif key in live[f"past-{item.kind}"]:
                status, note = "completed", "it ran and has ended"
            elif day is not None and item.start is not None and pd.Timestamp(item.start) > day:
                status, note = "not started", f"it starts on {item.start}, after {day.date()}"
            else:
                pending.append((u, v, item.kind))
                load[u] += 1
                load[v] += 1
            seen.add((item.kind, key))
        if status == "set aside":
            notes.append(f"{label} was set aside: {note}")
        rows.append({**item.to_dict(), "status": status, "note": note})
    return pending, rows, notes
