"""Project memberships to weighted collaboration ties (Newman's collaboration weighting).

Each project of size s adds 1/(s-1) to every pair of its members (Newman 2001, "Scientific
collaboration networks. II", Phys. Rev. E 64, 016132); a pair's weights are summed over
projects into one tie. The pairs are generated with array arithmetic, never a Python loop.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from orgbridge.graph._schema import COLLABORATION
from orgbridge.ingest._columns import STAFF_ALIASES, map_columns, require_columns
from orgbridge.ingest._parsed import ParsedTies, absorb_raw
from orgbridge.ingest._report import FileReport, Problem
from orgbridge.ingest._table import read_table
from orgbridge.ingest._ties import Known
from orgbridge.ingest._values import isin, line_numbers, parse_dates, text

__all__ = ["newman_pairs", "parse_projects", "read_projects"]

PROJECT_ALIASES: dict[str, tuple[str, ...]] = {
    "project_id": ("project", "project code", "project name", "projectid", "team id"),
    "person_id": STAFF_ALIASES["person_id"] + ("member", "member id"),
    "role": ("project role", "member role"),
    "start": ("start date", "from", "start_date"),
    "end": ("end date", "to", "end_date", "until"),
}


def read_projects(path: str | Path, *, known: Known = None) -> ParsedTies:
    """Read a project-membership file (CSV or XLSX) with :func:`parse_projects`."""
    raw = read_table(path)
    parsed = parse_projects(raw.frame, file=raw.file, known=known)
    absorb_raw(raw, parsed.report)
    return parsed


def parse_projects(table: pd.DataFrame, *, file: str, known: Known = None) -> ParsedTies:
    """Turn project memberships into one collaboration tie per pair of co-members.

    Parameters
    ----------
    table
        ``project_id, person_id[, role, start, end]`` as strings; index ``row`` holds row
        numbers (else 2, 3, ...).
    file
        The file name used in problems.
    known
        Person ids memberships may name; when given, anyone else's row is rejected.

    Returns
    -------
    ParsedTies
        Layer ``collaboration``; ``weight`` is the sum over shared projects of 1/(s-1).
        A pair's ``start`` is the earliest date both were on a shared project and ``end``
        the latest (blank when any of its memberships is open-ended).

    Raises
    ------
    IngestError
        The project_id or person_id column is missing.

    Example
    -------
    >>> table = pd.DataFrame({"project_id": ["p", "p", "p", "q", "q", "r"],
    ...                       "person_id": ["a", "b", "c", "a", "b", "d"]})
    >>> parsed = parse_projects(table, file="projects.csv")
    >>> parsed.ties[["source", "target", "weight"]].values.tolist()
    [['a', 'b', 1.5], ['a', 'c', 0.5], ['b', 'c', 0.5]]
    >>> str(parsed.report.problems[0])
    "projects.csv row 7, column project_id: project 'r' has one member, so it adds no tie"
    """
    report = FileReport(file=file, kind="projects", rows_in=len(table))
    lines = line_numbers(table)
    renames, _ = map_columns([str(c) for c in table.columns], PROJECT_ALIASES)
    frame = table.rename(columns=renames)
    require_columns(
        list(frame.columns), ("project_id", "person_id"), found=list(table.columns), file=file
    )
    n = len(frame)
    project = text(frame["project_id"])
    person = text(frame["person_id"])
    bad = np.zeros(n, dtype=bool)
    found: list[Problem] = []

    def flag(mask: np.ndarray, column: str, values: pd.Series | None, message: str) -> None:
        nonlocal bad
        for pos in np.flatnonzero(mask):
            shown = f"{values.iloc[pos]!r} " if values is not None else ""
            found.append(Problem(file, int(lines[pos]), column, f"{shown}{message}"))
        bad |= mask

    flag(project.isna().to_numpy(), "project_id", None, "is empty")
    flag(person.isna().to_numpy(), "person_id", None, "is empty")
    if known is not None:
        index = known if isinstance(known, pd.Index) else pd.Index(list(known))
        flag(
            person.notna().to_numpy() & ~isin(person, index),
            "person_id",
            person,
            "is not a known person",
        )
    dates = {}
    for column in ("start", "end"):
        if column in frame.columns:
            parsed, wrong = parse_dates(frame[column])
            flag(wrong.mask, column, frame[column], wrong.reason)
            if wrong.note:
                found.append(Problem(file, None, column, wrong.note, "warning"))
            dates[column] = parsed
        else:
            dates[column] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    members = pd.DataFrame(
        {
            "project_id": project.to_numpy(dtype=object),
            "person_id": person.to_numpy(dtype=object),
            "start": dates["start"].to_numpy(),
            "end": dates["end"].to_numpy(),
            "line": lines,
        }
    ).loc[~bad]
    repeat = members.duplicated(["project_id", "person_id"], keep="first").to_numpy()
    for line, who, what in members.loc[repeat, ["line", "person_id", "project_id"]].itertuples(
        index=False
    ):
        found.append(
            Problem(
                file,
                int(line),
                "person_id",
                f"{who!r} is listed twice in project {what!r}; counted once",
                "warning",
            )
        )
    members = members.loc[~repeat]
    sizes = members.groupby("project_id", sort=False)["person_id"].transform("size")
    lonely = (sizes == 1).to_numpy()
    for line, what in members.loc[lonely, ["line", "project_id"]].itertuples(index=False):
        found.append(
            Problem(
                file,
                int(line),
                "project_id",
                f"project {what!r} has one member, so it adds no tie",
                "warning",
            )
        )
    ties = newman_pairs(members.loc[~lonely])
    found.sort(key=lambda p: (p.row is not None, p.row or 0))
    report.problems.extend(found)
    report.rows_rejected = int(bad.sum())
    report.rows_loaded = n - report.rows_rejected
    report.check_balance()
    return ParsedTies(ties, report)


def newman_pairs(members: pd.DataFrame) -> pd.DataFrame:
    """Collaboration ties from distinct ``project_id, person_id[, start, end]`` rows.

    Each project of size s adds 1/(s-1) to every member pair; pairs are stored once with
    ``source < target``. Vectorised: memory grows with the number of pairs generated.

    Example
    -------
    >>> members = pd.DataFrame({"project_id": ["p", "p", "p"], "person_id": ["c", "a", "b"]})
    >>> newman_pairs(members)[["source", "target", "weight"]].values.tolist()
    [['a', 'b', 0.5], ['a', 'c', 0.5], ['b', 'c', 0.5]]
    """
    columns = ["source", "target", "layer", "weight", "start", "end"]
    if len(members) == 0:
        return pd.DataFrame(
            {
                "source": pd.Series([], dtype="str"),
                "target": pd.Series([], dtype="str"),
                "layer": pd.Series([], dtype="str"),
                "weight": pd.Series([], dtype="float64"),
                "start": pd.Series([], dtype="datetime64[ns]"),
                "end": pd.Series([], dtype="datetime64[ns]"),
            }
        )
    project_codes, _ = pd.factorize(members["project_id"])
    person_codes, people = pd.factorize(members["person_id"])
    order = np.argsort(project_codes, kind="stable")
    proj = project_codes[order]
    who = person_codes[order]
    n_start = (
        members["start"].to_numpy(dtype="datetime64[ns]")[order]
        if "start" in members.columns
        else np.full(len(order), np.datetime64("NaT"), dtype="datetime64[ns]")
    )
    n_end = (
        members["end"].to_numpy(dtype="datetime64[ns]")[order]
        if "end" in members.columns
        else np.full(len(order), np.datetime64("NaT"), dtype="datetime64[ns]")
    )
    sizes = np.bincount(proj)
    first = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    rank = np.arange(len(proj)) - first[proj]
    size = sizes[proj]
    # Member k of a project pairs with members k+1..s-1 of the same project.
    count = size - 1 - rank
    total = int(count.sum())
    left = np.repeat(np.arange(len(proj)), count)
    block_start = np.repeat(np.cumsum(count) - count, count)
    right = left + 1 + (np.arange(total) - block_start)
    weight = np.repeat(1.0 / np.maximum(size - 1, 1), count)
    a, b = who[left], who[right]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    pair_start = np.maximum(n_start[left], n_start[right])
    pair_end = np.minimum(n_end[left], n_end[right])
    # An open-ended membership keeps the pair open: NaT is swapped for a sentinel that
    # wins the min (start) or max (end), then turned back into NaT.
    early, late = np.datetime64("1677-09-22", "ns"), np.datetime64("2262-04-10", "ns")
    pairs = pd.DataFrame(
        {
            "lo": lo,
            "hi": hi,
            "weight": weight,
            "start": np.where(np.isnat(pair_start), early, pair_start),
            "end": np.where(np.isnat(pair_end), late, pair_end),
        }
    )
    summed = pairs.groupby(["lo", "hi"], sort=True).agg(
        weight=("weight", "sum"), start=("start", "min"), end=("end", "max")
    )
    starts = summed["start"].to_numpy(dtype="datetime64[ns]", copy=True)
    ends = summed["end"].to_numpy(dtype="datetime64[ns]", copy=True)
    starts[starts == early] = np.datetime64("NaT")
    ends[ends == late] = np.datetime64("NaT")
    lo_ids = people.to_numpy(dtype=object)[summed.index.get_level_values(0).to_numpy()]
    hi_ids = people.to_numpy(dtype=object)[summed.index.get_level_values(1).to_numpy()]
    swap = lo_ids > hi_ids
    source = np.where(swap, hi_ids, lo_ids)
    target = np.where(swap, lo_ids, hi_ids)
    out = pd.DataFrame(
        {
            "source": pd.Series(source, dtype="str"),
            "target": pd.Series(target, dtype="str"),
            "layer": COLLABORATION,
            "weight": summed["weight"].to_numpy(dtype=np.float64),
            "start": starts,
            "end": ends,
        }
    )
    return out.sort_values(["source", "target"], ignore_index=True)[columns]
