"""A programme as a store keeps it: the state's four tables and the activity tables.

Stores persist plain tables (``Store.save_programme`` / ``load_programme``); this module
names them and rebuilds the typed values, so the CLI and the app read and write a programme
the same way. A store is passed in; this module opens nothing itself.

Tables: ``programmes``, ``cycles``, ``matches``, ``history`` (:data:`SCHEMAS`), and the
activity tables ``enrolment`` (with a ``cycle_id`` column), ``meetings``, ``checkins`` and
``goals`` (the columns of :data:`ENROLMENT_COLUMNS`, :data:`MEETING_COLUMNS`,
:data:`CHECKIN_COLUMNS`, :data:`GOAL_COLUMNS`).

Example
-------
>>> import tempfile
>>> from orgbridge.graph import Workspace
>>> with Workspace.open(tempfile.mkdtemp()) as ws:
...     stored = load_stored(ws)
...     save_stored(ws, stored.state)
...     len(load_stored(ws).state.matches), sorted(load_stored(ws).activity)
(0, ['checkins', 'enrolment', 'goals', 'meetings'])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import pandas as pd

from orgbridge.programme._activity import CHECKIN_COLUMNS, GOAL_COLUMNS, MEETING_COLUMNS
from orgbridge.programme._enrolment import ENROLMENT_COLUMNS
from orgbridge.programme._model import SCHEMAS, ProgrammeState

__all__ = ["ACTIVITY_COLUMNS", "StoredProgramme", "load_stored", "save_stored"]

#: The activity tables a store keeps beside the state, with their columns.
ACTIVITY_COLUMNS: dict[str, dict[str, str]] = {
    "enrolment": {"cycle_id": "string", **ENROLMENT_COLUMNS},
    "meetings": dict(MEETING_COLUMNS),
    "checkins": dict(CHECKIN_COLUMNS),
    "goals": dict(GOAL_COLUMNS),
}


class _ProgrammeStore(Protocol):
    def save_programme(self, tables: dict[str, pd.DataFrame]) -> None: ...

    def load_programme(self) -> dict[str, pd.DataFrame]: ...


@dataclass
class StoredProgramme:
    """The state and the activity tables (empty tables of the right columns when none)."""

    state: ProgrammeState
    activity: dict[str, pd.DataFrame] = field(default_factory=dict)

    def table(self, name: str) -> pd.DataFrame:
        """One activity table (``enrolment``, ``meetings``, ``checkins``, ``goals``)."""
        return self.activity[name]


def _empty(columns: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})


def _typed(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    out = frame.copy()
    for column, dtype in columns.items():
        if column not in out.columns:
            out[column] = pd.Series(dtype=dtype, index=out.index)
    return out[list(columns)].astype(columns)


def load_stored(store: Any) -> StoredProgramme:
    """The programme in ``store`` (an empty one when nothing was saved)."""
    tables = store.load_programme()
    state = (
        ProgrammeState.from_tables(tables)
        if all(name in tables for name in SCHEMAS)
        else ProgrammeState.empty()
    )
    activity = {
        name: _typed(tables[name], columns) if name in tables else _empty(columns)
        for name, columns in ACTIVITY_COLUMNS.items()
    }
    return StoredProgramme(state, activity)


def save_stored(store: _ProgrammeStore, state: ProgrammeState, **activity: pd.DataFrame) -> None:
    """Save the state and any activity tables given (by name), in one transaction.

    Raises
    ------
    ValueError
        An unknown activity table name.
    """
    unknown = set(activity) - set(ACTIVITY_COLUMNS)
    if unknown:
        raise ValueError(f"unknown programme tables {sorted(unknown)}")
    tables = dict(state.tables())
    tables.update({k: _typed(v, ACTIVITY_COLUMNS[k]) for k, v in activity.items()})
    store.save_programme(tables)
