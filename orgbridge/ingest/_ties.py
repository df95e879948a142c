"""Tie files: generic tie lists, mentoring pairs and sponsorships.

Each row is one tie. A row is rejected (an *error*) when an end is missing, both ends are
the same person, an end is not a known person (when the known people are given), the
weight is not a number or is negative, a date cannot be read, or the end date is before
the start date. A blank weight means 1.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from orgbridge.graph._schema import MENTORING, SPONSORSHIP
from orgbridge.ingest._columns import TIE_ALIASES, map_columns, require_columns
from orgbridge.ingest._parsed import ParsedTies, absorb_raw
from orgbridge.ingest._report import FileReport, Problem
from orgbridge.ingest._table import read_table
from orgbridge.ingest._values import isin, line_numbers, parse_dates, parse_numbers, text

__all__ = [
    "parse_pairs",
    "parse_sponsorships",
    "parse_ties",
    "read_pairs",
    "read_sponsorships",
    "read_ties",
    "tie_rows",
]

PAIR_ALIASES: dict[str, tuple[str, ...]] = {
    **TIE_ALIASES,
    "source": ("person_a", "mentor_id", "mentor", "person 1", "from", "mentor person id"),
    "target": ("person_b", "mentee_id", "mentee", "person 2", "to", "mentee person id"),
}
SPONSOR_ALIASES: dict[str, tuple[str, ...]] = {
    **TIE_ALIASES,
    "source": ("sponsor_id", "sponsor", "leader_id", "leader", "from"),
    "target": ("protege_id", "protégé_id", "protege", "protégé", "to", "talent_id"),
}

Known = Collection[str] | pd.Index | None


def parse_ties(table: pd.DataFrame, *, file: str, layer: str, known: Known = None) -> ParsedTies:
    """Parse a generic tie list: ``source, target[, weight, start, end, programme]``.

    Parameters
    ----------
    table
        Cells as strings; index ``row`` holds row numbers (else 2, 3, ...).
    file
        The file name used in problems.
    layer
        The layer every tie of this file belongs to.
    known
        Person ids ties may name; when given, a tie to anyone else is rejected.

    Returns
    -------
    ParsedTies

    Raises
    ------
    IngestError
        The source or target column is missing.

    Example
    -------
    >>> table = pd.DataFrame({"source": ["a", "b", "c"], "target": ["b", "b", "a"],
    ...                       "weight": ["2", "1", "-1"]})
    >>> parsed = parse_ties(table, file="t.csv", layer="advice")
    >>> parsed.ties[["source", "target", "weight"]].to_dict("list")
    {'source': ['a'], 'target': ['b'], 'weight': [2.0]}
    >>> [str(p) for p in parsed.report.problems]
    ["t.csv row 3, column target: 'b' is the source too (a tie to oneself)", "t.csv row 4, column weight: '-1' is negative"]
    """  # noqa: E501
    return tie_rows(table, file=file, kind="ties", layer=layer, aliases=TIE_ALIASES, known=known)


def parse_pairs(table: pd.DataFrame, *, file: str, known: Known = None) -> ParsedTies:
    """Parse mentoring pairs: ``person_a, person_b`` (or ``mentor_id, mentee_id`` or
    ``source, target``), optional ``programme, start, end``; layer ``mentoring``.

    Example
    -------
    >>> table = pd.DataFrame({"mentor_id": ["a"], "mentee_id": ["b"], "programme": ["2024"]})
    >>> parse_pairs(table, file="pairs.csv").ties[["source", "target", "layer", "programme"]]
    ...     # doctest: +NORMALIZE_WHITESPACE
      source target      layer programme
    row
    2        a      b  mentoring      2024
    """
    return tie_rows(
        table, file=file, kind="pairs", layer=MENTORING, aliases=PAIR_ALIASES, known=known
    )


def parse_sponsorships(table: pd.DataFrame, *, file: str, known: Known = None) -> ParsedTies:
    """Parse sponsorships: ``sponsor_id``/``leader_id``/``source`` -> ``protege_id``/``target``,
    optional ``programme, start, end``; layer ``sponsorship`` (directed).

    Example
    -------
    >>> table = pd.DataFrame({"leader_id": ["a"], "protege_id": ["b"]})
    >>> parse_sponsorships(table, file="s.csv").ties[["source", "target", "layer"]].values.tolist()
    [['a', 'b', 'sponsorship']]
    """
    return tie_rows(
        table,
        file=file,
        kind="sponsorships",
        layer=SPONSORSHIP,
        aliases=SPONSOR_ALIASES,
        known=known,
    )


def read_ties(path: str | Path, *, layer: str, known: Known = None) -> ParsedTies:
    """Read a generic tie file (CSV or XLSX) with :func:`parse_ties`."""
    raw = read_table(path)
    parsed = parse_ties(raw.frame, file=raw.file, layer=layer, known=known)
    absorb_raw(raw, parsed.report)
    return parsed


def read_pairs(path: str | Path, *, known: Known = None) -> ParsedTies:
    """Read a mentoring-pairs file with :func:`parse_pairs`."""
    raw = read_table(path)
    parsed = parse_pairs(raw.frame, file=raw.file, known=known)
    absorb_raw(raw, parsed.report)
    return parsed


def read_sponsorships(path: str | Path, *, known: Known = None) -> ParsedTies:
    """Read a sponsorships file with :func:`parse_sponsorships`."""
    raw = read_table(path)
    parsed = parse_sponsorships(raw.frame, file=raw.file, known=known)
    absorb_raw(raw, parsed.report)
    return parsed


def tie_rows(
    table: pd.DataFrame,
    *,
    file: str,
    kind: str,
    layer: str,
    aliases: Mapping[str, tuple[str, ...]],
    known: Known = None,
    explicit: Mapping[str, str] | None = None,
) -> ParsedTies:
    """Validate a table of one tie per row (the shared core of every tie parser)."""
    report = FileReport(file=file, kind=kind, rows_in=len(table))
    lines = line_numbers(table)
    renames, _ = map_columns([str(c) for c in table.columns], aliases, explicit)
    frame = table.rename(columns=renames)
    require_columns(list(frame.columns), ("source", "target"), found=list(table.columns), file=file)
    n = len(frame)
    bad = np.zeros(n, dtype=bool)
    problems: list[tuple[int, str, str]] = []

    def flag(mask: np.ndarray, column: str, values: pd.Series | None, message: str) -> None:
        nonlocal bad
        for pos in np.flatnonzero(mask):
            shown = f"{values.iloc[pos]!r} " if values is not None else ""
            problems.append((int(pos), column, f"{shown}{message}"))
        bad |= mask

    source = text(frame["source"])
    target = text(frame["target"])
    flag(source.isna().to_numpy(), "source", None, "is empty")
    flag(target.isna().to_numpy(), "target", None, "is empty")
    same = (source == target).fillna(False).to_numpy(dtype=bool)
    flag(same, "target", target, "is the source too (a tie to oneself)")
    if known is not None:
        index = known if isinstance(known, pd.Index) else pd.Index(list(known))
        for column, values in (("source", source), ("target", target)):
            unknown = values.notna().to_numpy() & ~isin(values, index)
            flag(unknown, column, values, "is not a known person")
    out = pd.DataFrame({"source": source, "target": target, "layer": layer}, index=frame.index)
    if "weight" in frame.columns:
        weight, wrong = parse_numbers(frame["weight"])
        flag(wrong.mask, "weight", frame["weight"], wrong.reason)
        flag((weight < 0).to_numpy(), "weight", frame["weight"], "is negative")
        out["weight"] = weight.fillna(1.0)
    else:
        out["weight"] = np.ones(n)
    for column in ("start", "end"):
        if column in frame.columns:
            dates, wrong = parse_dates(frame[column])
            flag(wrong.mask, column, frame[column], wrong.reason)
            if wrong.note:
                report.problems.append(Problem(file, None, column, wrong.note, "warning"))
            out[column] = dates
        else:
            out[column] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    backwards = (out["end"] < out["start"]).to_numpy(dtype=bool)
    flag(
        backwards,
        "end",
        frame["end"] if "end" in frame.columns else None,
        "is before the start date",
    )
    if "programme" in frame.columns:
        out["programme"] = text(frame["programme"])
    problems.sort(key=lambda item: item[0])
    report.problems.extend(
        Problem(file, int(lines[pos]), column, message) for pos, column, message in problems
    )
    report.rows_rejected = int(bad.sum())
    report.rows_loaded = n - report.rows_rejected
    report.check_balance()
    ties = out.loc[~bad]
    ties.index = pd.Index(lines[~bad], name="row")
    return ParsedTies(ties, report)
