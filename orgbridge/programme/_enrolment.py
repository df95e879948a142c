"""Enrolment: who takes part in a cycle, in which role, with what capacity, skills and goals.

Columns (headers matched loosely, see :func:`~orgbridge.programme._form.mapped`):
``person_id`` (required), ``role`` (mentor, mentee or either; blank means either),
``capacity`` (whole number of matches, at least 1; blank means 1), ``skills_offered`` and
``skills_wanted`` (``;``-separated), ``goals`` (free text, personal data) and
``emerging_talent`` (yes/no, blank means no). A row is rejected when the id is empty,
repeated, or (when the organisation is given) not a known person, or when a role, capacity
or flag cannot be read.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import numpy as np
import pandas as pd

from orgbridge.ingest._parsed import absorb_raw
from orgbridge.ingest._table import read_table
from orgbridge.ingest._values import isin, line_numbers, parse_booleans, parse_numbers, text
from orgbridge.programme._form import Parsed, RowChecks, mapped

__all__ = ["ENROLMENT_COLUMNS", "ROLES", "parse_enrolment", "read_enrolment"]

ROLES: tuple[str, ...] = ("mentor", "mentee", "either")
_ROLE_WORDS = {
    "mentor": "mentor",
    "mentee": "mentee",
    "either": "either",
    "both": "either",
    "any": "either",
    "reciprocal": "either",
    "sponsor": "mentor",
    "protege": "mentee",
    "protégé": "mentee",
}
#: The enrolment table: column -> dtype.
ENROLMENT_COLUMNS: dict[str, str] = {
    "cycle_id": "string",
    "person_id": "string",
    "role": "string",
    "capacity": "int64",
    "skills_offered": "string",
    "skills_wanted": "string",
    "goals": "string",
    "emerging_talent": "bool",
}
_ALIASES: dict[str, tuple[str, ...]] = {
    "person_id": ("person id", "employee id", "participant id", "id", "staff id", "your id"),
    "role": ("role preference", "preferred role", "i would like to be", "role wanted"),
    "capacity": ("max pairs", "max matches", "how many pairs", "pairs"),
    "skills_offered": ("skills offered", "can offer", "offers", "skills to share"),
    "skills_wanted": ("skills wanted", "wants to learn", "wants", "skills to learn"),
    "goals": ("goal", "my goals", "objectives"),
    "emerging_talent": ("emerging talent", "high potential", "hipo", "talent"),
}


def parse_enrolment(
    table: pd.DataFrame, *, file: str, cycle_id: str, known: Collection[str] | None = None
) -> Parsed:
    """Validate an enrolment table of strings for one cycle.

    Parameters
    ----------
    table
        Cells as strings; index ``row`` holds row numbers (else 2, 3, ...).
    file
        The file name used in problems.
    cycle_id
        The cycle the people enrol in.
    known
        The organisation's person ids; when given, anyone else is rejected.

    Returns
    -------
    Parsed
        ``table`` with the columns of :data:`ENROLMENT_COLUMNS` and the report.

    Raises
    ------
    IngestError
        There is no person id column.

    Example
    -------
    >>> t = pd.DataFrame({"Employee ID": ["P1", "P2", "P1", "P9"],
    ...                   "Role preference": ["Mentor", "either", "mentee", "x"],
    ...                   "Skills offered": ["python; sql", None, None, None]})
    >>> p = parse_enrolment(t, file="e.csv", cycle_id="C1", known=["P1", "P2"])
    >>> p.table[["person_id", "role", "capacity", "skills_offered"]].values.tolist()
    [['P1', 'mentor', 1, 'python;sql'], ['P2', 'either', 1, <NA>]]
    >>> [str(x) for x in p.report.problems]
    ["e.csv row 4, column person_id: 'P1' is enrolled twice (first at row 2)", "e.csv row 5, column person_id: 'P9' is not a known person", "e.csv row 5, column role: 'x' is not a role (mentor, mentee or either)"]
    """  # noqa: E501
    frame = mapped(table, _ALIASES, file=file, required=("person_id",))
    checks = RowChecks(file, "enrolment", frame)
    n = len(frame)
    person = text(frame["person_id"])
    checks.flag(person.isna().to_numpy(), "person_id", None, "is empty")
    lines = line_numbers(frame)
    present = person.notna().to_numpy()
    repeat = person.duplicated(keep="first").to_numpy() & present
    first_seen = dict(zip(person[present & ~repeat], lines[present & ~repeat], strict=True))
    for pos in np.flatnonzero(repeat):
        checks.flag(
            _one(n, int(pos)),
            "person_id",
            person,
            f"is enrolled twice (first at row {int(first_seen[person.iloc[pos]])})",
        )
    if known is not None:
        index = pd.Index([str(k) for k in known])
        checks.flag(
            person.notna().to_numpy() & ~isin(person, index),
            "person_id",
            person,
            "is not a known person",
        )
    role = _roles(frame, checks)
    capacity = _capacity(frame, checks)
    talent = pd.Series(False, index=frame.index)
    if "emerging_talent" in frame.columns:
        flags, wrong = parse_booleans(frame["emerging_talent"])
        checks.flag(wrong.mask, "emerging_talent", frame["emerging_talent"], wrong.reason)
        talent = flags.fillna(False).astype(bool)
    out = pd.DataFrame(
        {
            "cycle_id": cycle_id,
            "person_id": person,
            "role": role,
            "capacity": capacity,
            "skills_offered": _skills(frame, "skills_offered"),
            "skills_wanted": _skills(frame, "skills_wanted"),
            "goals": _optional(frame, "goals"),
            "emerging_talent": talent,
        },
        index=frame.index,
    )
    parsed = checks.finish(out)
    parsed.table = parsed.table.astype(ENROLMENT_COLUMNS)
    return parsed


def read_enrolment(
    path: str | Path, *, cycle_id: str, known: Collection[str] | None = None
) -> Parsed:
    """Read an enrolment file (CSV or XLSX) with :func:`parse_enrolment`.

    Raises
    ------
    IngestError
        The file cannot be read or has no person id column.
    """
    raw = read_table(path)
    parsed = parse_enrolment(raw.frame, file=raw.file, cycle_id=cycle_id, known=known)
    absorb_raw(raw, parsed.report)
    return parsed


def _one(n: int, pos: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[pos] = True
    return mask


def _roles(frame: pd.DataFrame, checks: RowChecks) -> pd.Series:
    if "role" not in frame.columns:
        return pd.Series("either", index=frame.index, dtype="string")
    words = text(frame["role"]).str.lower()
    role = words.map(_ROLE_WORDS)
    checks.flag(
        (words.notna() & role.isna()).to_numpy(),
        "role",
        frame["role"],
        "is not a role (mentor, mentee or either)",
    )
    return role.fillna("either").astype("string")


def _capacity(frame: pd.DataFrame, checks: RowChecks) -> pd.Series:
    if "capacity" not in frame.columns:
        return pd.Series(1, index=frame.index, dtype="int64")
    numbers, wrong = parse_numbers(frame["capacity"])
    checks.flag(wrong.mask, "capacity", frame["capacity"], wrong.reason)
    whole = numbers.isna() | (numbers == numbers.round())
    checks.flag(~whole.to_numpy(), "capacity", frame["capacity"], "is not a whole number")
    checks.flag((numbers < 1).to_numpy(), "capacity", frame["capacity"], "is below 1")
    checks.flag((numbers > 20).to_numpy(), "capacity", frame["capacity"], "is above 20")
    return numbers.fillna(1).clip(1, 20).round().astype("int64")


def _skills(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    cells = text(frame[column])

    def tidy(cell: object) -> object:
        if not isinstance(cell, str):
            return pd.NA
        items = [s.strip() for s in cell.split(";")]
        kept = list(dict.fromkeys(s for s in items if s))
        return ";".join(kept) if kept else pd.NA

    return cells.map(tidy).astype("string")


def _optional(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    return text(frame[column]).astype("string")
