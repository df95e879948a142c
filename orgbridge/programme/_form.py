"""Shared steps of the programme imports: form-tool headers, row flags and the row accounting.

Form tools (Microsoft Forms, Google Forms, survey exports) write headers such as
``Timestamp``, ``Pair ID`` or ``Rating (1-5)``: a hint in brackets is dropped before the
header is matched against the aliases, and ``Timestamp`` becomes ``submitted_at``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from orgbridge.ingest._columns import map_columns, require_columns
from orgbridge.ingest._report import FileReport, Problem
from orgbridge.ingest._values import line_numbers, parse_dates, text

__all__ = ["Parsed", "RowChecks", "form_dates", "mapped"]

_HINT = re.compile(r"\s*[\(\[][^\)\]]*[\)\]]\s*")
_TIME_PART = re.compile(r"^(\S+)[ T]\d{1,2}:\d{2}(:\d{2})?(\.\d+)?\s*([AaPp][Mm])?$")


@dataclass
class Parsed:
    """Rows an import loaded (index ``row``: the file's row numbers) and their FileReport."""

    table: pd.DataFrame
    report: FileReport


def mapped(
    table: pd.DataFrame,
    aliases: Mapping[str, tuple[str, ...]],
    *,
    file: str,
    required: tuple[str, ...],
) -> pd.DataFrame:
    """The table with its headers renamed to canonical names (hints in brackets dropped).

    Raises
    ------
    IngestError
        A required column is missing (the message lists the headers found).

    Example
    -------
    >>> t = pd.DataFrame({"Pair ID": ["x"], "Rating (1-5)": ["4"]})
    >>> mapped(t, {"match_id": ("pair id",), "rating": ()}, file="f.csv",
    ...        required=("match_id",)).columns.tolist()
    ['match_id', 'rating']
    """
    stripped = {str(c): _HINT.sub(" ", str(c)).strip() or str(c) for c in table.columns}
    renames, _ = map_columns(list(stripped.values()), aliases)
    frame = table.rename(columns={c: renames[s] for c, s in stripped.items()})
    require_columns(list(frame.columns), required, found=list(table.columns), file=file)
    return frame


def form_dates(values: pd.Series) -> pd.Series:
    """Cell text with any time of day dropped ("3/4/2026 10:15:22" -> "3/4/2026").

    Example
    -------
    >>> form_dates(pd.Series(["3/4/2026 10:15:22", "2026-03-04T09:00", None])).tolist()
    ['3/4/2026', '2026-03-04', nan]
    """
    cleaned = text(values)
    return cleaned.str.replace(_TIME_PART, r"\1", regex=True)


@dataclass
class RowChecks:
    """Bad rows of one file: a mask and a sentence per problem, reported in row order."""

    file: str
    kind: str
    frame: pd.DataFrame
    bad: np.ndarray = field(init=False)
    problems: list[tuple[int, str, str]] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.bad = np.zeros(len(self.frame), dtype=bool)

    def flag(self, mask: np.ndarray, column: str, values: pd.Series | None, message: str) -> None:
        """Reject the rows in ``mask``, quoting the value when ``values`` is given."""
        mask = np.asarray(mask, dtype=bool)
        for pos in np.flatnonzero(mask):
            shown = f"{values.iloc[pos]!r} " if values is not None else ""
            self.problems.append((int(pos), column, f"{shown}{message}"))
        self.bad |= mask

    def dates(self, column: str, *, fallback: str | None = None, required: bool) -> pd.Series:
        """Parse a date column (time of day dropped), else the ``fallback`` column's dates."""
        source = column if column in self.frame.columns else fallback
        if source is None or source not in self.frame.columns:
            if required:
                self.flag(np.ones(len(self.frame), dtype=bool), column, None, "is missing")
            return pd.Series(pd.NaT, index=self.frame.index, dtype="datetime64[ns]")
        raw = self.frame[source]
        out, wrong = parse_dates(form_dates(raw))
        self.flag(wrong.mask, source, raw, wrong.reason)
        if wrong.note:
            self.notes.append(Problem(self.file, None, source, wrong.note, "warning"))
        if fallback is not None and source == column and fallback in self.frame.columns:
            later, _ = parse_dates(form_dates(self.frame[fallback]))
            out = out.fillna(later)
        if required:
            self.flag(out.isna().to_numpy() & ~wrong.mask, column, None, "is empty")
        return out

    def finish(self, out: pd.DataFrame) -> Parsed:
        """The loaded rows (index ``row``) and the report; ``rows_in == loaded + rejected``."""
        lines = line_numbers(self.frame)
        report = FileReport(file=self.file, kind=self.kind, rows_in=len(self.frame))
        report.problems.extend(self.notes)
        self.problems.sort(key=lambda item: item[0])
        report.problems.extend(
            Problem(self.file, int(lines[pos]), column, message)
            for pos, column, message in self.problems
        )
        report.rows_rejected = int(self.bad.sum())
        report.rows_loaded = len(self.frame) - report.rows_rejected
        report.check_balance()
        table = out.loc[~self.bad].copy()
        table.index = pd.Index(lines[~self.bad], name="row")
        return Parsed(table, report)
