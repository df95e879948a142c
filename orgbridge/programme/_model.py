"""Programmes, cycles, matches and their status history: four plain tables in one value.

A :class:`ProgrammeState` is immutable; every change (:func:`add_programme`,
:func:`add_cycle`, :func:`propose` and the status moves in ``_status``) returns a new one, so a
store can persist the four tables as they are (their columns are in :data:`SCHEMAS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from orgbridge.errors import ParameterError

__all__ = [
    "ACTIVE",
    "APPROVED",
    "COMPLETED",
    "DECLINED",
    "ENDED_EARLY",
    "PROGRAMME_KINDS",
    "PROPOSED",
    "SCHEMAS",
    "STATUSES",
    "ProgrammeState",
    "add_cycle",
    "add_programme",
    "match_id_of",
    "next_cycle",
    "timestamp",
]

PROPOSED = "proposed"
APPROVED = "approved"
DECLINED = "declined"
ACTIVE = "active"
COMPLETED = "completed"
ENDED_EARLY = "ended_early"
STATUSES: tuple[str, ...] = (PROPOSED, APPROVED, DECLINED, ACTIVE, COMPLETED, ENDED_EARLY)

#: Programme kind -> the kind of its matches (the recommender's ``pair`` / ``sponsorship``).
PROGRAMME_KINDS: dict[str, str] = {"pairs": "pair", "sponsorship": "sponsorship"}

_TEXT = "string"
_TIME = "datetime64[ns]"
#: Column -> dtype of every programme table, in column order.
SCHEMAS: dict[str, dict[str, str]] = {
    "programmes": {"programme_id": _TEXT, "name": _TEXT, "kind": _TEXT},
    "cycles": {"cycle_id": _TEXT, "programme_id": _TEXT, "start": _TIME, "end": _TIME},
    "matches": {
        "match_id": _TEXT,
        "programme_id": _TEXT,
        "cycle_id": _TEXT,
        "a": _TEXT,
        "b": _TEXT,
        "kind": _TEXT,
        "status": _TEXT,
        "reason": _TEXT,
        "explanation": _TEXT,
        "changed_by": _TEXT,
        "changed_at": _TIME,
    },
    "history": {
        "seq": "int64",
        "match_id": _TEXT,
        "event": _TEXT,
        "from_status": _TEXT,
        "to_status": _TEXT,
        "by": _TEXT,
        "at": _TIME,
        "note": _TEXT,
    },
}


def empty_table(name: str) -> pd.DataFrame:
    """An empty table of one schema, with its dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in SCHEMAS[name].items()})


def conform(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A table in its schema's column order and dtypes (missing columns raise)."""
    schema = SCHEMAS[name]
    missing = [c for c in schema if c not in frame.columns]
    if missing:
        raise ParameterError(f"the {name} table lacks the column(s) {missing}")
    out = frame[list(schema)].reset_index(drop=True)
    return out.astype(schema)


def timestamp(value: str | pd.Timestamp, what: str = "at") -> pd.Timestamp:
    """A date or time as a naive :class:`pandas.Timestamp`; ParameterError when unreadable.

    Example
    -------
    >>> timestamp("2026-01-05")
    Timestamp('2026-01-05 00:00:00')
    """
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ParameterError(f"{what} must be a date or time, got {value!r}") from exc
    if pd.isna(stamp):
        raise ParameterError(f"{what} must be a date or time, got {value!r}")
    return stamp.tz_convert(None) if stamp.tzinfo is not None else stamp


@dataclass(frozen=True)
class ProgrammeState:
    """Programmes, their cycles, their matches and every status change, as four tables.

    Attributes
    ----------
    programmes
        ``programme_id, name, kind`` (kind ``pairs`` or ``sponsorship``).
    cycles
        ``cycle_id, programme_id, start, end``.
    matches
        One row per match, its current status: ``match_id, programme_id, cycle_id, a, b,
        kind, status, reason, explanation, changed_by, changed_at``. ``a``/``b`` are person
        ids, sorted for a pair, sponsor first for a sponsorship; ``reason`` says why a match
        ended early; ``explanation`` why it was proposed.
    history
        Every status change in the order made: ``seq, match_id, event (propose | transition
        | undo), from_status, to_status, by, at, note``.

    Example
    -------
    >>> s = ProgrammeState.empty()
    >>> sorted(s.tables()), len(s.matches)
    (['cycles', 'history', 'matches', 'programmes'], 0)
    """

    programmes: pd.DataFrame
    cycles: pd.DataFrame
    matches: pd.DataFrame
    history: pd.DataFrame

    @classmethod
    def empty(cls) -> ProgrammeState:
        """A state with no programme."""
        return cls(*(empty_table(name) for name in SCHEMAS))

    @classmethod
    def from_tables(cls, tables: Mapping[str, pd.DataFrame]) -> ProgrammeState:
        """Rebuild from the four tables a store kept (columns as :data:`SCHEMAS`).

        Raises
        ------
        ParameterError
            A table or column is missing.
        """
        missing = [name for name in SCHEMAS if name not in tables]
        if missing:
            raise ParameterError(f"programme tables missing: {missing}")
        return cls(*(conform(name, tables[name]) for name in SCHEMAS))

    def tables(self) -> dict[str, pd.DataFrame]:
        """The four tables by name, ready to persist."""
        return {name: getattr(self, name) for name in SCHEMAS}

    def programme(self, programme_id: str) -> pd.Series:
        """One programme's row; ParameterError when unknown."""
        rows = self.programmes.loc[self.programmes["programme_id"] == programme_id]
        if rows.empty:
            raise ParameterError(f"programme {programme_id!r} does not exist")
        return rows.iloc[0]

    def cycle(self, cycle_id: str) -> pd.Series:
        """One cycle's row; ParameterError when unknown."""
        rows = self.cycles.loc[self.cycles["cycle_id"] == cycle_id]
        if rows.empty:
            raise ParameterError(f"cycle {cycle_id!r} does not exist")
        return rows.iloc[0]


def add_programme(
    state: ProgrammeState, *, programme_id: str, name: str, kind: str
) -> ProgrammeState:
    """A new programme of kind ``pairs`` (reciprocal mentoring) or ``sponsorship``.

    Raises
    ------
    ParameterError
        The id is taken or empty, or the kind is unknown.

    Example
    -------
    >>> s = add_programme(ProgrammeState.empty(), programme_id="RM", name="Reverse", kind="pairs")
    >>> s.programmes.to_dict("records")
    [{'programme_id': 'RM', 'name': 'Reverse', 'kind': 'pairs'}]
    """
    if kind not in PROGRAMME_KINDS:
        raise ParameterError(f"kind must be one of {sorted(PROGRAMME_KINDS)}, got {kind!r}")
    if not str(programme_id).strip():
        raise ParameterError("programme_id must not be empty")
    if (state.programmes["programme_id"] == programme_id).any():
        raise ParameterError(f"programme {programme_id!r} already exists")
    row = pd.DataFrame({"programme_id": [programme_id], "name": [name], "kind": [kind]})
    programmes = conform("programmes", pd.concat([state.programmes, row], ignore_index=True))
    return ProgrammeState(programmes, state.cycles, state.matches, state.history)


def add_cycle(
    state: ProgrammeState,
    *,
    cycle_id: str,
    programme_id: str,
    start: str | pd.Timestamp,
    end: str | pd.Timestamp,
) -> ProgrammeState:
    """A new cycle of a programme; cycles of one programme never overlap.

    Raises
    ------
    ParameterError
        Unknown programme, taken id, end not after start, or an overlap.

    Example
    -------
    >>> s = add_programme(ProgrammeState.empty(), programme_id="RM", name="R", kind="pairs")
    >>> s = add_cycle(s, cycle_id="RM-1", programme_id="RM", start="2026-01-01", end="2026-12-31")
    >>> s.cycles["cycle_id"].tolist()
    ['RM-1']
    """
    state.programme(programme_id)
    first, last = timestamp(start, "start"), timestamp(end, "end")
    if not last > first:
        raise ParameterError(f"cycle {cycle_id!r}: end {last.date()} is not after start")
    if (state.cycles["cycle_id"] == cycle_id).any():
        raise ParameterError(f"cycle {cycle_id!r} already exists")
    same = state.cycles.loc[state.cycles["programme_id"] == programme_id]
    overlap = same.loc[(same["start"] <= last) & (same["end"] >= first)]
    if len(overlap):
        raise ParameterError(
            f"cycle {cycle_id!r} overlaps cycle {overlap['cycle_id'].iloc[0]!r} of {programme_id!r}"
        )
    row = pd.DataFrame(
        {"cycle_id": [cycle_id], "programme_id": [programme_id], "start": [first], "end": [last]}
    )
    cycles = conform("cycles", pd.concat([state.cycles, row], ignore_index=True))
    return ProgrammeState(state.programmes, cycles, state.matches, state.history)


def next_cycle(state: ProgrammeState, programme_id: str, at: str | pd.Timestamp) -> str:
    """The programme's first cycle starting after ``at``: where an approval becomes a commitment.

    Raises
    ------
    ParameterError
        The programme has no cycle starting after ``at``.
    """
    day = timestamp(at)
    state.programme(programme_id)
    later = state.cycles.loc[
        (state.cycles["programme_id"] == programme_id) & (state.cycles["start"] > day)
    ].sort_values("start")
    if later.empty:
        raise ParameterError(
            f"programme {programme_id!r} has no cycle starting after {day.date()}: add one first"
        )
    return str(later["cycle_id"].iloc[0])


def match_id_of(cycle_id: str, a: str, b: str) -> str:
    """The id of a match: cycle and the two people (already in stored order).

    Example
    -------
    >>> match_id_of("RM-1", "P1", "P2")
    'RM-1:P1:P2'
    """
    return f"{cycle_id}:{a}:{b}"


def append_history(
    history: pd.DataFrame,
    match_ids: list[str],
    event: str,
    from_status: list[str | None],
    to_status: str,
    by: str,
    at: pd.Timestamp,
    note: str | None,
) -> pd.DataFrame:
    """History with one event per match appended (``seq`` continues the count)."""
    start = int(history["seq"].max()) + 1 if len(history) else 1
    rows = pd.DataFrame(
        {
            "seq": range(start, start + len(match_ids)),
            "match_id": match_ids,
            "event": event,
            "from_status": from_status,
            "to_status": to_status,
            "by": by,
            "at": at,
            "note": note,
        }
    )
    if history.empty:
        return conform("history", rows)
    return conform("history", pd.concat([history, rows], ignore_index=True))
