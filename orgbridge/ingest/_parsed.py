"""What a parser returns: the rows it loaded and the :class:`FileReport` that accounts for them."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from orgbridge.ingest._report import FileReport
from orgbridge.ingest._table import RawTable

__all__ = ["ParsedPeople", "ParsedTies", "absorb_raw"]


@dataclass
class ParsedPeople:
    """People parsed from one file: one row per person, ``person_id`` unique.

    ``special`` names special-category attributes; ``level_order`` and ``leader_rule``
    record how ``level`` and ``is_leader`` were derived.
    """

    people: pd.DataFrame
    report: FileReport
    special: tuple[str, ...] = ()
    level_order: tuple[str, ...] = ()
    leader_rule: str | None = None


@dataclass
class ParsedTies:
    """Ties parsed from one file, with person ids in ``source``/``target``.

    Columns ``source, target, layer, weight, start, end`` (and ``programme`` when the file
    has one). ``people`` holds people attributes the file carries (Viva exports), if any.
    """

    ties: pd.DataFrame
    report: FileReport
    people: pd.DataFrame | None = None


def absorb_raw(raw: RawTable, report: FileReport) -> FileReport:
    """Add the rows the table reader left out (ragged rows) to a parser's report."""
    report.rows_in += raw.rejected
    report.rows_rejected += raw.rejected
    report.problems[:0] = raw.problems
    report.problems.sort(key=lambda p: (p.row is not None, p.row or 0))
    return report
