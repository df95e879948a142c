"""Viva Insights person-to-person (P2P) query exports, read as they come.

Columns ``PrimaryCollaborator_PersonId`` and ``SecondaryCollaborator_PersonId`` name the
two people; every other ``PrimaryCollaborator_<attr>``/``SecondaryCollaborator_<attr>``
column is a people attribute, taken by id (a later row's non-blank value wins). The tie
score becomes the collaboration weight and ``MetricDate`` (dd/mm/yyyy) the tie's start.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from orgbridge.errors import IngestError
from orgbridge.graph._schema import COLLABORATION
from orgbridge.ingest._columns import fold
from orgbridge.ingest._parsed import ParsedTies, absorb_raw
from orgbridge.ingest._report import Problem
from orgbridge.ingest._table import read_table
from orgbridge.ingest._ties import tie_rows
from orgbridge.ingest._values import text

__all__ = ["parse_viva_p2p", "read_viva_p2p"]

PRIMARY = "primarycollaborator"
SECONDARY = "secondarycollaborator"
#: Score columns tried in turn when none is named.
SCORE_COLUMNS: tuple[str, ...] = ("StrongTieScore", "Strong_tie_score", "Diverse_tie_score")
#: Viva attribute -> canonical people column.
VIVA_ATTRIBUTES: dict[str, str] = {
    "organization": "department",
    "leveldesignation": "level_label",
    "city": "location",
}


def snake_case(name: str) -> str:
    """``FunctionType`` -> ``function_type``; ``HR_Region`` -> ``hr_region``.

    Example
    -------
    >>> snake_case("FunctionType"), snake_case("HR_Region"), snake_case("IsManager")
    ('function_type', 'hr_region', 'is_manager')
    """
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name.strip())
    return re.sub(r"[^0-9a-zA-Z]+", "_", spaced).strip("_").lower()


def read_viva_p2p(path: str | Path, *, score_column: str | None = None) -> ParsedTies:
    """Read a Viva Insights P2P export with :func:`parse_viva_p2p`."""
    raw = read_table(path)
    parsed = parse_viva_p2p(raw.frame, file=raw.file, score_column=score_column)
    absorb_raw(raw, parsed.report)
    return parsed


def parse_viva_p2p(
    table: pd.DataFrame, *, file: str, score_column: str | None = None
) -> ParsedTies:
    """Parse a Viva Insights person-to-person export into people and collaboration ties.

    Parameters
    ----------
    table
        The export as strings; index ``row`` holds row numbers (else 2, 3, ...).
    file
        The file name used in problems.
    score_column
        The tie score to use as weight (default: the first present of StrongTieScore,
        Strong_tie_score, Diverse_tie_score; weight 1 with a warning when none is).

    Returns
    -------
    ParsedTies
        ``ties`` in layer ``collaboration``; ``people`` with ``person_id`` and the
        attributes (Organization -> department, LevelDesignation -> level_label, City ->
        location, others in snake_case) of everyone named in a loaded row.

    Raises
    ------
    IngestError
        A person id column or the named score column is missing.

    Example
    -------
    >>> table = pd.DataFrame({
    ...     "PrimaryCollaborator_PersonId": ["p1", "p2"],
    ...     "SecondaryCollaborator_PersonId": ["p2", "p3"],
    ...     "PrimaryCollaborator_Organization": ["Sales", "IT"],
    ...     "SecondaryCollaborator_Organization": ["IT", "HR"],
    ...     "StrongTieScore": ["0.5", "1"]})
    >>> parsed = parse_viva_p2p(table, file="p2p.csv")
    >>> parsed.people.to_dict("list")
    {'person_id': ['p1', 'p2', 'p3'], 'department': ['Sales', 'IT', 'HR']}
    >>> parsed.ties[["source", "target", "weight"]].values.tolist()
    [['p1', 'p2', 0.5], ['p2', 'p3', 1.0]]
    """
    by_fold = {fold(str(c)): str(c) for c in table.columns}
    ids = {}
    for side in (PRIMARY, SECONDARY):
        key = f"{side}personid"
        if key not in by_fold:
            raise IngestError(
                f"no {'Primary' if side == PRIMARY else 'Secondary'}Collaborator_PersonId column;"
                " is this a Viva Insights person-to-person export?",
                file=file,
                row=1,
            )
        ids[side] = by_fold[key]
    warnings: list[Problem] = []
    score = _score_column(by_fold, score_column, file)
    if score is None:
        warnings.append(
            Problem(
                file,
                None,
                None,
                "no tie score column (StrongTieScore, Strong_tie_score,"
                " Diverse_tie_score): every tie has weight 1",
                "warning",
            )
        )
    explicit = {ids[PRIMARY]: "source", ids[SECONDARY]: "target"}
    if score is not None:
        explicit[score] = "weight"
    if "metricdate" in by_fold:
        explicit[by_fold["metricdate"]] = "start"
    core = table[list(explicit)]
    parsed = tie_rows(
        core,
        file=file,
        kind="viva_p2p",
        layer=COLLABORATION,
        aliases={"source": (), "target": ()},
        explicit=explicit,
    )
    parsed.report.problems[:0] = warnings
    loaded = (
        table.loc[parsed.ties.index]
        if table.index.name == "row"
        else table.iloc[parsed.ties.index.to_numpy() - 2]
    )
    parsed.people = _people(loaded, by_fold, ids)
    return parsed


def _score_column(by_fold: dict[str, str], wanted: str | None, file: str) -> str | None:
    if wanted is not None:
        if fold(wanted) not in by_fold:
            raise IngestError(f"there is no tie score column {wanted!r}", file=file, row=1)
        return by_fold[fold(wanted)]
    for name in SCORE_COLUMNS:
        if fold(name) in by_fold:
            return by_fold[fold(name)]
    return None


def _people(table: pd.DataFrame, by_fold: dict[str, str], ids: dict[str, str]) -> pd.DataFrame:
    sides = []
    for side in (PRIMARY, SECONDARY):
        columns = {ids[side]: "person_id"}
        for key, original in by_fold.items():
            if key.startswith(side) and key != f"{side}personid":
                suffix = str(original).split("_", 1)[1] if "_" in str(original) else original
                columns[original] = VIVA_ATTRIBUTES.get(fold(suffix), snake_case(suffix))
        part = table[list(columns)].rename(columns=columns)
        sides.append(part.apply(text) if len(part) else part)
    stacked = pd.concat(sides, ignore_index=True)
    stacked = stacked.loc[stacked["person_id"].notna()]
    # groupby.last keeps each column's last non-blank value: a later row fills, never blanks.
    people = stacked.groupby("person_id", sort=False).last().reset_index()
    return people.astype({c: "str" for c in people.columns})
