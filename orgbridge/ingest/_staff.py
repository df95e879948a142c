"""Staff (HRIS) files: one row per person, canonical columns, validated manager line.

What rejects a row (an *error*): a missing person_id, and every occurrence of a person_id
after its first. What loads with a *warning* (the person is real staff, so the row is kept
and the doubtful cell cleared): an unknown manager, a manager cycle (broken by clearing the
manager of the cycle's row with the highest row number), and cells that cannot be read as
a level, yes/no value, capacity or date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from orgbridge.errors import IngestError
from orgbridge.graph._schema import PEOPLE_COLUMNS
from orgbridge.ingest._columns import STAFF_ALIASES, ColumnMapping, map_columns
from orgbridge.ingest._parsed import ParsedPeople, absorb_raw
from orgbridge.ingest._report import FileReport, Problem
from orgbridge.ingest._rule import parse_leader_rule
from orgbridge.ingest._table import read_table
from orgbridge.ingest._values import (
    Bad,
    line_numbers,
    parse_booleans,
    parse_dates,
    parse_numbers,
    text,
)

__all__ = ["find_manager_cycles", "parse_staff", "read_staff"]

MappingLike = ColumnMapping | Mapping[str, str] | None

#: Most pairs one person can be in; beyond it a capacity is a data error (and 1e19 would
#: not even fit a 64-bit integer).
MAX_CAPACITY = 1_000
#: Largest level magnitude; seniority scales are small, and levels must fit an integer.
MAX_LEVEL = 1_000_000_000


def read_staff(
    path: str | Path,
    *,
    mapping: MappingLike = None,
    leader_rule: str | None = None,
    level_order: Sequence[str] | None = None,
    sheet: str | None = None,
) -> ParsedPeople:
    """Read a staff file (CSV or XLSX) and parse it with :func:`parse_staff`.

    Raises
    ------
    IngestError
        The file is empty, unreadable or lacks a person id column.
    """
    raw = read_table(path, sheet=sheet)
    parsed = parse_staff(
        raw.frame,
        file=raw.file,
        mapping=mapping,
        leader_rule=leader_rule,
        level_order=level_order,
    )
    absorb_raw(raw, parsed.report)
    return parsed


def parse_staff(
    table: pd.DataFrame,
    *,
    file: str,
    mapping: MappingLike = None,
    leader_rule: str | None = None,
    level_order: Sequence[str] | None = None,
) -> ParsedPeople:
    """Turn a staff table of strings into the canonical people table.

    Parameters
    ----------
    table
        Cells as strings (NA for blank); index ``row`` holds row numbers (else 2, 3, ...).
    file
        The file name used in problems.
    mapping
        A :class:`ColumnMapping` or ``{header: name}``; common headers (Employee ID, Dept,
        Grade, Reports To, Hire Date, ...) are recognised without one.
    leader_rule
        Used when there is no is_leader column, e.g. ``"level>=7"``; overrides the mapping's.
    level_order
        Grade labels from junior to senior; ``level`` becomes the rank (1 = most junior) and
        ``level_label`` keeps the label. Overrides the mapping's.

    Returns
    -------
    ParsedPeople
        Columns ``person_id, name, department, division, level, manager_id, location,
        start_date, is_leader, opt_in, capacity`` (+ ``level_label``), then other columns.

    Raises
    ------
    IngestError
        No column can serve as person_id.
    ParameterError
        The leader rule is malformed or names a missing column.

    Example
    -------
    >>> table = pd.DataFrame({"Employee ID": ["a", "b", "c", "b"],
    ...                       "Reports To": [None, "a", "zz", "a"], "Grade": ["9", "3", "2", "1"]})
    >>> parsed = parse_staff(table, file="staff.csv", leader_rule="level>=7")
    >>> parsed.people[["person_id", "manager_id", "level", "is_leader"]].to_dict("list")
    {'person_id': ['a', 'b', 'c'], 'manager_id': [nan, 'a', nan], 'level': [9, 3, 2], 'is_leader': [True, False, False]}
    >>> [str(p) for p in parsed.report.problems]
    ["staff.csv row 4, column manager_id: 'zz' is not a known person; the manager was left empty", "staff.csv row 5, column person_id: 'b' appears again (first in row 3); this row was left out"]
    """  # noqa: E501
    explicit, rule_text, order, special = _settings(mapping, leader_rule, level_order)
    report = FileReport(file=file, kind="staff", rows_in=len(table))
    lines = line_numbers(table)
    renames, notes = map_columns([str(c) for c in table.columns], STAFF_ALIASES, explicit)
    for note in notes:
        report.problems.append(Problem(file, None, None, note, "warning"))
    frame = table.rename(columns=renames).reset_index(drop=True)
    if "person_id" not in frame.columns:
        raise IngestError(
            "no person id column (expected person_id or a header such as EmployeeID,"
            f" Employee ID, EmpID, Worker ID; found {', '.join(map(str, table.columns))})",
            file=file,
            row=1,
        )
    frame = frame.apply(text) if len(frame.columns) else frame
    keep = _reject_ids(frame, lines, report)
    frame = frame.loc[keep].reset_index(drop=True)
    lines = lines[keep]
    out = _typed_columns(frame, lines, order, report)
    _leaders(out, rule_text, order, report)
    _check_managers(out, lines, report)
    report.rows_loaded = len(out)
    report.rows_rejected = report.rows_in - report.rows_loaded
    report.check_balance()
    report.problems.sort(key=lambda p: (p.row is not None, p.row or 0))
    canonical = [c for c in (*PEOPLE_COLUMNS, "level_label") if c in out.columns]
    extras = [c for c in out.columns if c not in canonical]
    special = _with_detected_special(extras, special, report)
    return ParsedPeople(out[canonical + extras], report, special, tuple(order), rule_text)


#: Column names treated as special-category data even when the mapping does not declare them
#: (GDPR art. 9 categories, plus gender and age as protected characteristics): privacy by default.
SPECIAL_NAMES = frozenset(
    {
        "gender", "sex", "ethnicity", "ethnic_origin", "race", "religion", "belief",
        "disability", "health", "sexual_orientation", "orientation", "trade_union",
        "union_membership", "political_opinion", "pregnancy", "marital_status", "age",
        "date_of_birth", "birth_date", "nationality",
    }
)  # fmt: skip


def _with_detected_special(
    columns: Sequence[str], declared: tuple[str, ...], report: FileReport
) -> tuple[str, ...]:
    """Declared special-category columns (matched to the file's own header, ignoring case)
    plus any column whose name is a known special category."""

    def key(name: str) -> str:
        return str(name).strip().lower().replace(" ", "_").replace("-", "_")

    by_key = {key(c): str(c) for c in columns}
    resolved = [by_key.get(key(name), name) for name in declared]
    declared_keys = {key(name) for name in declared}
    for column in columns:
        if key(column) in SPECIAL_NAMES and key(column) not in declared_keys:
            resolved.append(str(column))
            report.problems.append(
                Problem(
                    report.file,
                    None,
                    str(column),
                    "looks like special-category data: it is kept for aggregates over groups"
                    " of at least the privacy threshold only, and never exported (declare it"
                    " under special_category in the mapping file to silence this)",
                    "warning",
                )
            )
    return tuple(dict.fromkeys(resolved))


def _settings(
    mapping: MappingLike, leader_rule: str | None, level_order: Sequence[str] | None
) -> tuple[dict[str, str], str | None, tuple[str, ...], tuple[str, ...]]:
    if isinstance(mapping, ColumnMapping):
        explicit = dict(mapping.columns)
        rule = leader_rule if leader_rule is not None else mapping.leader_rule
        order = tuple(level_order) if level_order is not None else mapping.level_order
        return explicit, rule, order, mapping.special_category
    return dict(mapping or {}), leader_rule, tuple(level_order or ()), ()


def _reject_ids(frame: pd.DataFrame, lines: np.ndarray, report: FileReport) -> np.ndarray:
    ids = frame["person_id"]
    missing = ids.isna().to_numpy()
    for row in lines[missing]:
        report.problems.append(
            Problem(report.file, int(row), "person_id", "is empty; this row was left out")
        )
    dup = ids.duplicated(keep="first").to_numpy() & ~missing
    if dup.any():
        first_pos = pd.Series(np.arange(len(ids)), index=ids.to_numpy()).groupby(level=0).min()
        for pos in np.flatnonzero(dup):
            value = ids.iloc[pos]
            first = lines[int(first_pos[value])]
            report.problems.append(
                Problem(
                    report.file,
                    int(lines[pos]),
                    "person_id",
                    f"{value!r} appears again (first in row {first}); this row was left out",
                )
            )
    keep: np.ndarray = ~(missing | dup)
    return keep


def _warn_cells(
    report: FileReport, lines: np.ndarray, values: pd.Series, bad: Bad, column: str, what: str
) -> None:
    for pos in np.flatnonzero(bad.mask):
        report.problems.append(
            Problem(
                report.file,
                int(lines[pos]),
                column,
                f"{values.iloc[pos]!r} {bad.reason}; {what}",
                "warning",
            )
        )


def _typed_columns(
    frame: pd.DataFrame, lines: np.ndarray, order: tuple[str, ...], report: FileReport
) -> pd.DataFrame:
    out = frame.copy()
    for column in PEOPLE_COLUMNS:
        if column not in out.columns:
            out[column] = pd.Series(
                pd.NA if column != "start_date" else pd.NaT,
                index=out.index,
                dtype=_EMPTY_DTYPES.get(column, "str"),
            )
    if "level" in frame.columns:
        out["level"], label = _levels(frame["level"], lines, order, report)
        if label is not None:
            out["level_label"] = label
    for column in ("is_leader", "opt_in"):
        if column in frame.columns:
            values, bad = parse_booleans(frame[column])
            _warn_cells(report, lines, frame[column], bad, column, "left empty")
            out[column] = values
    if "capacity" in frame.columns:
        numbers, bad = parse_numbers(frame["capacity"])
        amounts = numbers.to_numpy()
        wrong = numbers.notna().to_numpy() & (
            (amounts < 0) | (numbers.fillna(0).to_numpy() % 1 != 0) | (amounts > MAX_CAPACITY)
        )
        bad = Bad(bad.mask | wrong, f"is not a whole number of pairs (0 to {MAX_CAPACITY:,})")
        _warn_cells(report, lines, frame["capacity"], bad, "capacity", "left empty")
        out["capacity"] = numbers.where(~bad.mask).astype("Int64")
    if "start_date" in frame.columns:
        dates, bad = parse_dates(frame["start_date"])
        _warn_cells(report, lines, frame["start_date"], bad, "start_date", "left empty")
        if bad.note:
            report.problems.append(Problem(report.file, None, "start_date", bad.note, "warning"))
        out["start_date"] = dates
    return out


_EMPTY_DTYPES = {
    "level": "Int64",
    "is_leader": "boolean",
    "opt_in": "boolean",
    "capacity": "Int64",
    "start_date": "datetime64[ns]",
}


def _levels(
    values: pd.Series, lines: np.ndarray, order: tuple[str, ...], report: FileReport
) -> tuple[pd.Series, pd.Series | None]:
    present = values.notna().to_numpy()
    if order:
        ranks = {label.strip().casefold(): rank for rank, label in enumerate(order, start=1)}
        level = values.str.casefold().map(ranks).astype("Int64")
        unknown = present & level.isna().to_numpy()
        bad = Bad(unknown, f"is not in level_order ({', '.join(order)})")
        _warn_cells(report, lines, values, bad, "level", "level left empty, label kept")
        return level, values
    numbers, bad = parse_numbers(values)
    huge = (numbers.abs() > MAX_LEVEL).to_numpy(dtype=bool)
    if huge.any():
        reason = f"is not a level (a number from -{MAX_LEVEL:,} to {MAX_LEVEL:,})"
        bad = Bad(bad.mask | huge, reason)
        numbers = numbers.mask(huge)
    if bad.mask.sum() > present.sum() / 2:
        report.problems.append(
            Problem(
                report.file,
                None,
                "level",
                "holds grade labels, not numbers: kept as level_label with level empty;"
                ' give their order as "level_order" in a mapping file to rank them',
                "warning",
            )
        )
        return pd.Series(pd.NA, index=values.index, dtype="Int64"), values
    _warn_cells(report, lines, values, bad, "level", "left empty")
    whole = numbers.dropna()
    if (whole % 1 == 0).all():
        return numbers.astype("Int64"), None
    return numbers, None


def _leaders(
    people: pd.DataFrame, rule_text: str | None, order: tuple[str, ...], report: FileReport
) -> None:
    has_column = people["is_leader"].notna().any()
    if rule_text is None:
        if not has_column and len(people):
            report.problems.append(
                Problem(
                    report.file,
                    None,
                    "is_leader",
                    "there is no is_leader column and no leader rule, so nobody is a leader;"
                    ' give a rule such as "level>=7"',
                    "warning",
                )
            )
        return
    rule = parse_leader_rule(rule_text)
    if has_column:
        report.problems.append(
            Problem(
                report.file,
                None,
                "is_leader",
                f"the file has is_leader values, so the leader rule {rule} was not used",
                "warning",
            )
        )
        return
    people["is_leader"] = rule.apply(people, level_order=order)


def find_manager_cycles(manager: np.ndarray) -> list[list[int]]:
    """Cycles in a manager line given as positions (-1 for none), each once, in chain order.

    Leaves are peeled off level by level (vectorised), so only the people on cycles are
    visited one by one.

    Example
    -------
    >>> find_manager_cycles(np.array([1, 2, 0, -1, 3, 5]))
    [[0, 1, 2], [5]]
    """
    n = len(manager)
    has = manager >= 0
    indegree = np.bincount(manager[has], minlength=n)
    alive = np.ones(n, dtype=bool)
    frontier = np.flatnonzero(indegree == 0)
    while len(frontier):
        alive[frontier] = False
        parents = manager[frontier]
        parents = parents[parents >= 0]
        drop = np.bincount(parents, minlength=n)
        indegree -= drop
        frontier = np.flatnonzero((indegree == 0) & alive & (drop > 0))
    cycles: list[list[int]] = []
    seen = ~alive
    for start in np.flatnonzero(alive):
        if seen[start]:
            continue
        cycle = []
        node = int(start)
        while not seen[node]:
            seen[node] = True
            cycle.append(node)
            node = int(manager[node])
        cycles.append(cycle)
    return cycles


def _check_managers(people: pd.DataFrame, lines: np.ndarray, report: FileReport) -> None:
    managers = people["manager_id"]
    ids = pd.Index(people["person_id"])
    present = managers.notna().to_numpy()
    codes = np.full(len(people), -1, dtype=np.int64)
    codes[present] = ids.get_indexer(managers[present].to_numpy())
    unknown = present & (codes < 0)
    for pos in np.flatnonzero(unknown):
        report.problems.append(
            Problem(
                report.file,
                int(lines[pos]),
                "manager_id",
                f"{managers.iloc[pos]!r} is not a known person; the manager was left empty",
                "warning",
            )
        )
    clear = unknown.copy()
    for cycle in find_manager_cycles(codes):
        names = [str(ids[p]) for p in cycle]
        chain = " -> ".join([*names, names[0]])
        breaker = max(cycle, key=lambda p: int(lines[p]))
        for member in cycle:
            action = (
                f"; its manager {managers.iloc[member]!r} was cleared to break the cycle"
                if member == breaker
                else ""
            )
            report.problems.append(
                Problem(
                    report.file,
                    int(lines[member]),
                    "manager_id",
                    f"{ids[member]!r} is in a manager cycle {chain}{action}",
                    "warning",
                )
            )
        clear[breaker] = True
    if clear.any():
        people["manager_id"] = managers.mask(clear)
