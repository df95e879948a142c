"""Check-ins, feedback and goals, as form tools export them: meetings, ratings, milestones.

Three tables, each read from CSV or XLSX with tolerant headers (``Timestamp``, ``Pair ID``,
``Rating (1-5)``, ``Duration (minutes)`` ...; a hint in brackets is ignored):

- **meetings**: ``match_id, date, minutes`` (``date`` falls back to the form's timestamp;
  ``minutes`` may be blank). Both people may report the same meeting: health counts one
  meeting per pair and day.
- **check-ins**: ``match_id, person_id, date, rating, comment``; the rating is a whole number
  1-5 and the person one of the pair. ``comment`` is personal data (:data:`PERSONAL_COLUMNS`):
  for coordinators and admins only, never in an aggregate.
- **goals**: ``match_id, goal, milestone, due, reached`` (``reached`` is the date the
  milestone was reached, blank while open).

With ``matches`` given (the programme's matches table), a row naming an unknown match, or a
check-in by someone outside the pair, is rejected.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from orgbridge.ingest._parsed import absorb_raw
from orgbridge.ingest._table import read_table
from orgbridge.ingest._values import isin, parse_numbers, text
from orgbridge.programme._form import Parsed, RowChecks, mapped

__all__ = [
    "CHECKIN_COLUMNS",
    "GOAL_COLUMNS",
    "MEETING_COLUMNS",
    "PERSONAL_COLUMNS",
    "parse_checkins",
    "parse_goals",
    "parse_meetings",
    "read_checkins",
    "read_goals",
    "read_meetings",
]

#: Free-text columns that are personal data: shown to coordinators and admins only.
PERSONAL_COLUMNS: frozenset[str] = frozenset({"comment", "goals"})

MEETING_COLUMNS: dict[str, str] = {
    "match_id": "string",
    "date": "datetime64[ns]",
    "minutes": "float64",
}
CHECKIN_COLUMNS: dict[str, str] = {
    "match_id": "string",
    "person_id": "string",
    "date": "datetime64[ns]",
    "rating": "int64",
    "comment": "string",
}
GOAL_COLUMNS: dict[str, str] = {
    "match_id": "string",
    "goal": "string",
    "milestone": "string",
    "due": "datetime64[ns]",
    "reached": "datetime64[ns]",
}

_COMMON: dict[str, tuple[str, ...]] = {
    "match_id": ("pair id", "pair", "match", "match id", "pairing id", "pairing"),
    "submitted_at": ("timestamp", "submitted", "submitted at", "completion time", "start time"),
    "date": ("meeting date", "date of meeting", "date met", "when did you meet", "met on"),
}
_MEETING_ALIASES = {
    **_COMMON,
    "minutes": ("duration", "length", "duration minutes", "minutes met", "how long"),
}
_CHECKIN_ALIASES = {
    **_COMMON,
    "person_id": ("person id", "your id", "employee id", "respondent", "respondent id", "id"),
    "rating": ("score", "how was it", "how useful was it", "satisfaction"),
    "comment": ("comments", "feedback", "anything else", "notes", "remarks"),
}
_GOAL_ALIASES = {
    **_COMMON,
    "goal": ("goal name", "objective", "goal title"),
    "milestone": ("milestone name", "step", "checkpoint"),
    "due": ("due date", "target date", "deadline", "by when"),
    "reached": ("reached on", "completed on", "done on", "date reached", "achieved on"),
}


def parse_meetings(
    table: pd.DataFrame, *, file: str, matches: pd.DataFrame | None = None
) -> Parsed:
    """Validate meetings: ``match_id, date, minutes``.

    Raises
    ------
    IngestError
        There is no pair column.

    Example
    -------
    >>> t = pd.DataFrame({"Timestamp": ["2026-03-04 10:00", "2026-03-05 09:00"],
    ...                   "Pair ID": ["C1:a:b", "C1:a:b"], "Duration (minutes)": ["45", "-5"]})
    >>> p = parse_meetings(t, file="m.csv")
    >>> p.table["minutes"].tolist(), [str(x) for x in p.report.problems]
    ([45.0], ["m.csv row 3, column minutes: '-5' is negative"])
    """
    frame = mapped(table, _MEETING_ALIASES, file=file, required=("match_id",))
    checks = RowChecks(file, "meetings", frame)
    match = _match_ids(frame, checks, matches)
    date = checks.dates("date", fallback="submitted_at", required=True)
    minutes = pd.Series(np.nan, index=frame.index)
    if "minutes" in frame.columns:
        minutes, wrong = parse_numbers(frame["minutes"])
        checks.flag(wrong.mask, "minutes", frame["minutes"], wrong.reason)
        checks.flag((minutes < 0).to_numpy(), "minutes", frame["minutes"], "is negative")
        checks.flag(
            (minutes > 24 * 60).to_numpy(), "minutes", frame["minutes"], "is more than a day"
        )
    out = pd.DataFrame({"match_id": match, "date": date, "minutes": minutes}, index=frame.index)
    return _typed(checks.finish(out), MEETING_COLUMNS)


def parse_checkins(
    table: pd.DataFrame, *, file: str, matches: pd.DataFrame | None = None
) -> Parsed:
    """Validate check-ins: ``match_id, person_id, date, rating (1-5)[, comment]``.

    Raises
    ------
    IngestError
        The pair, person or rating column is missing.

    Example
    -------
    >>> t = pd.DataFrame({"Timestamp": ["3/4/2026 10:15:22"] * 3, "Pair ID": ["C1:a:b"] * 3,
    ...                   "Your ID": ["a", "b", "z"], "Rating (1-5)": ["5", "6", "3"],
    ...                   "Comments": ["great", None, None]})
    >>> m = pd.DataFrame({"match_id": ["C1:a:b"], "a": ["a"], "b": ["b"]})
    >>> p = parse_checkins(t, file="c.csv", matches=m)
    >>> p.table[["person_id", "rating"]].values.tolist()
    [['a', 5]]
    >>> [str(x) for x in p.report.problems if x.severity == "error"]
    ["c.csv row 3, column rating: '6' is not a whole number from 1 to 5", "c.csv row 4, column person_id: 'z' is not one of the pair C1:a:b"]
    """  # noqa: E501
    frame = mapped(table, _CHECKIN_ALIASES, file=file, required=("match_id", "person_id", "rating"))
    checks = RowChecks(file, "checkins", frame)
    match = _match_ids(frame, checks, matches)
    person = text(frame["person_id"])
    checks.flag(person.isna().to_numpy(), "person_id", None, "is empty")
    date = checks.dates("date", fallback="submitted_at", required=True)
    rating, _ = parse_numbers(frame["rating"])
    outside = ~(rating.isin([1, 2, 3, 4, 5]).to_numpy())
    checks.flag(
        outside & text(frame["rating"]).notna().to_numpy(),
        "rating",
        frame["rating"],
        "is not a whole number from 1 to 5",
    )
    checks.flag(text(frame["rating"]).isna().to_numpy(), "rating", None, "is empty")
    if matches is not None and len(frame):
        pairs = matches.set_index("match_id")
        a = match.map(pairs["a"].astype(str))
        b = match.map(pairs["b"].astype(str))
        known_match = match.isin(pairs.index).to_numpy()
        member = ((person == a) | (person == b)).fillna(False).to_numpy(dtype=bool)
        for pos in np.flatnonzero(known_match & person.notna().to_numpy() & ~member):
            one = np.zeros(len(frame), dtype=bool)
            one[pos] = True
            checks.flag(one, "person_id", person, f"is not one of the pair {match.iloc[pos]}")
    comment = (
        text(frame["comment"])
        if "comment" in frame.columns
        else pd.Series(pd.NA, index=frame.index)
    )
    out = pd.DataFrame(
        {
            "match_id": match,
            "person_id": person,
            "date": date,
            "rating": rating.fillna(0),
            "comment": comment,
        },
        index=frame.index,
    )
    return _typed(checks.finish(out), CHECKIN_COLUMNS)


def parse_goals(table: pd.DataFrame, *, file: str, matches: pd.DataFrame | None = None) -> Parsed:
    """Validate goals and milestones: ``match_id, goal, milestone[, due, reached]``.

    Raises
    ------
    IngestError
        The pair or goal column is missing.

    Example
    -------
    >>> t = pd.DataFrame({"Pair": ["C1:a:b", "C1:a:b"], "Goal": ["Speak at all-hands"] * 2,
    ...                   "Milestone": ["Draft", "Talk"], "Reached on": ["2026-03-01", None]})
    >>> parse_goals(t, file="g.csv").table["reached"].notna().tolist()
    [True, False]
    """
    frame = mapped(table, _GOAL_ALIASES, file=file, required=("match_id", "goal"))
    checks = RowChecks(file, "goals", frame)
    match = _match_ids(frame, checks, matches)
    goal = text(frame["goal"])
    checks.flag(goal.isna().to_numpy(), "goal", None, "is empty")
    milestone = text(frame["milestone"]) if "milestone" in frame.columns else goal
    due = checks.dates("due", required=False)
    reached = checks.dates("reached", required=False)
    out = pd.DataFrame(
        {
            "match_id": match,
            "goal": goal,
            "milestone": milestone.fillna(goal),
            "due": due,
            "reached": reached,
        },
        index=frame.index,
    )
    return _typed(checks.finish(out), GOAL_COLUMNS)


def read_meetings(path: str | Path, *, matches: pd.DataFrame | None = None) -> Parsed:
    """Read a meetings file (CSV or XLSX) with :func:`parse_meetings`."""
    raw = read_table(path)
    parsed = parse_meetings(raw.frame, file=raw.file, matches=matches)
    absorb_raw(raw, parsed.report)
    return parsed


def read_checkins(path: str | Path, *, matches: pd.DataFrame | None = None) -> Parsed:
    """Read a check-ins file (CSV or XLSX) with :func:`parse_checkins`."""
    raw = read_table(path)
    parsed = parse_checkins(raw.frame, file=raw.file, matches=matches)
    absorb_raw(raw, parsed.report)
    return parsed


def read_goals(path: str | Path, *, matches: pd.DataFrame | None = None) -> Parsed:
    """Read a goals file (CSV or XLSX) with :func:`parse_goals`."""
    raw = read_table(path)
    parsed = parse_goals(raw.frame, file=raw.file, matches=matches)
    absorb_raw(raw, parsed.report)
    return parsed


def _match_ids(frame: pd.DataFrame, checks: RowChecks, matches: pd.DataFrame | None) -> pd.Series:
    match = text(frame["match_id"])
    checks.flag(match.isna().to_numpy(), "match_id", None, "is empty")
    if matches is not None:
        index = pd.Index(matches["match_id"].astype(str))
        unknown = match.notna().to_numpy() & ~isin(match, index)
        checks.flag(unknown, "match_id", match, "is not a known match")
    return match


def _typed(parsed: Parsed, schema: dict[str, str]) -> Parsed:
    parsed.table = parsed.table.astype(schema)
    return parsed
