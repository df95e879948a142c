"""The import pipeline: read every source, validate, and merge into one OrgGraph.

Nothing is written here: :func:`prepare_import` returns the graph to save and the report,
and the caller (CLI, app) saves both in one transaction, so an import never half-happens.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from orgbridge.errors import ImportRejected, IngestError, ParameterError
from orgbridge.graph._orggraph import OrgGraph
from orgbridge.graph._schema import PERSON_ID, REPORTS_TO
from orgbridge.ingest._columns import ColumnMapping, read_mapping
from orgbridge.ingest._guard import MAX_SHRINK, check_max_shrink, refusals
from orgbridge.ingest._limits import ReadLimits
from orgbridge.ingest._parsed import ParsedPeople, ParsedTies, absorb_raw
from orgbridge.ingest._projects import parse_projects
from orgbridge.ingest._report import FileReport, ImportReport, Problem
from orgbridge.ingest._rule import parse_leader_rule
from orgbridge.ingest._staff import parse_staff
from orgbridge.ingest._table import RawTable, read_table
from orgbridge.ingest._ties import parse_pairs, parse_sponsorships, parse_ties
from orgbridge.ingest._viva import parse_viva_p2p

__all__ = ["PreparedImport", "Sources", "prepare_import"]

PathLike = str | Path
Progress = Callable[[str, int, int], None]
MAX_ERRORS_SHOWN = 3


@dataclass
class Sources:
    """The files of one import. Every field is optional; ``ties`` pairs a file with its layer.

    ``mapping`` is a mapping file path (JSON or CSV) or a :class:`ColumnMapping`;
    ``leader_rule`` and ``level_order`` override the mapping's. ``sheet`` chooses the sheet
    of every XLSX file: a name (any case), an int 0-based position, or digits naming no
    sheet counted from 1 (``"2"`` is the second); default the first sheet.
    """

    staff: PathLike | None = None
    projects: PathLike | None = None
    pairs: PathLike | None = None
    sponsorships: PathLike | None = None
    ties: list[tuple[PathLike, str]] = field(default_factory=list)
    viva_p2p: PathLike | None = None
    graphml: PathLike | None = None
    gexf: PathLike | None = None
    mapping: PathLike | ColumnMapping | None = None
    leader_rule: str | None = None
    level_order: Sequence[str] | None = None
    sheet: str | int | None = None


@dataclass
class PreparedImport:
    """The merged graph to save and everything the import found."""

    graph: OrgGraph
    report: ImportReport


def prepare_import(
    sources: Sources,
    *,
    existing: OrgGraph | None = None,
    strict: bool = False,
    progress: Progress | None = None,
    allow_shrink: bool = False,
    max_shrink: float = MAX_SHRINK,
    limits: ReadLimits | None = None,
) -> PreparedImport:
    """Read, validate and merge the sources (and an existing graph) into one OrgGraph.

    Merge semantics:

    - A staff file is the full roster: it replaces the people of ``existing``. Ties kept
      from ``existing`` whose ends are no longer on the roster are dropped and counted in a
      warning on the staff file.
    - People in Viva, GraphML and GEXF files are added, or updated by id (their non-blank
      attributes overwrite; blanks keep the old value).
    - Each tie layer supplied by this import replaces that layer wholly (projects and Viva
      both supply ``collaboration``), so running the same import twice gives the same
      graph; layers not supplied are kept from ``existing``.
    - Ties may name people who are only in ``existing``; a tie to anyone else is rejected.
    - Without ``strict``, valid rows load and every rejected row is in the report; a file
      that cannot be read at all (empty, missing columns) is one file-level error with all
      its rows rejected. With ``strict``, any error raises :class:`ImportRejected`.
    - The import is refused (:class:`ImportRejected`, nothing to save) when a file could
      not be read or none of its rows loaded; and, unless ``allow_shrink``, when it would
      remove more than ``max_shrink`` of the people ``existing`` holds or empty a tie layer
      ``existing`` holds. The message says what would be removed, in numbers.
    - Every file is read within ``limits`` (size, rows, columns, cell length, workbook
      checks); a file over a limit is a file-level error, so the import is refused.

    Parameters
    ----------
    sources
        The files to read.
    existing
        The organisation already in the store, if any.
    strict
        Fail the whole import on any error.
    progress
        Called as ``progress(stage, done, total)`` as each file is read.
    allow_shrink
        Save an import that removes many people or empties a layer (a deliberate shrink).
    max_shrink
        Largest share of the stored people an import may remove without ``allow_shrink``
        (default 0.10).
    limits
        What the file readers accept (default :class:`ReadLimits`()).

    Returns
    -------
    PreparedImport

    Raises
    ------
    ImportRejected
        ``strict`` and at least one error, or the import is refused (see above);
        ``.report`` holds the full report and ``.reasons`` the refusal's reasons.
    IngestError
        The mapping file cannot be read.
    ParameterError
        The leader rule is malformed, or ``max_shrink`` is not a share from 0 to 1.

    Example
    -------
    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> _ = open(os.path.join(folder, "staff.csv"), "w").write(
    ...     "EmployeeID,Manager ID,Dept\\na,,Ops\\nb,a,Ops\\nc,a,Eng\\nd,c,Eng\\n")
    >>> _ = open(os.path.join(folder, "pairs.csv"), "w").write(
    ...     "mentor_id,mentee_id\\nb,d\\nb,zz\\n")
    >>> prepared = prepare_import(Sources(staff=os.path.join(folder, "staff.csv"),
    ...                                   pairs=os.path.join(folder, "pairs.csv")))
    >>> prepared.report.people, prepared.report.ties
    (4, {'mentoring': 1, 'reports_to': 3})
    >>> [str(p) for p in prepared.report.errors]
    ["pairs.csv row 3, column target: 'zz' is not a known person"]
    """
    share = check_max_shrink(max_shrink)
    limits = limits or ReadLimits()
    mapping = _mapping(sources.mapping)
    read = partial(_guarded, sheet=sources.sheet, limits=limits)
    steps = _count_files(sources)
    tick = _Ticker(progress, steps)
    reports: list[FileReport] = []
    metadata: dict[str, Any] = {"sources": []}
    special: set[str] = set(existing.special) if existing is not None else set()

    people = existing.people.copy() if existing is not None else pd.DataFrame({PERSON_ID: []})
    staff_report: FileReport | None = None
    if sources.staff is not None:
        tick(sources.staff)
        staff = read(
            sources.staff,
            "staff",
            reports,
            lambda raw: parse_staff(
                raw.frame,
                file=raw.file,
                mapping=mapping,
                leader_rule=sources.leader_rule,
                level_order=sources.level_order,
            ),
        )
        if isinstance(staff, ParsedPeople):
            people = staff.people
            staff_report = staff.report
            special |= set(staff.special)
            metadata.update(level_order=list(staff.level_order), leader_rule=staff.leader_rule)
    new_ties: list[pd.DataFrame] = []
    if sources.viva_p2p is not None:
        tick(sources.viva_p2p)
        viva = read(
            sources.viva_p2p,
            "viva_p2p",
            reports,
            lambda raw: parse_viva_p2p(raw.frame, file=raw.file),
        )
        if isinstance(viva, ParsedTies):
            people = _upsert(people, viva.people)
            new_ties.append(viva.ties)
    for path, reader_name in ((sources.graphml, "read_graphml"), (sources.gexf, "read_gexf")):
        if path is not None:
            tick(path)
            found = _read_graph_file(path, reader_name, reports, limits)
            if found is not None:
                people = _upsert(people, found[0])
                new_ties.append(found[1])
    people = _leaders_by_rule(people, sources, mapping, reports)
    known = pd.Index(people[PERSON_ID].astype(str))
    tie_sources: list[tuple[PathLike, str, Callable[[RawTable], ParsedTies]]] = []
    if sources.projects is not None:
        tie_sources.append(
            (
                sources.projects,
                "projects",
                lambda raw: parse_projects(raw.frame, file=raw.file, known=known),
            )
        )
    if sources.pairs is not None:
        tie_sources.append(
            (sources.pairs, "pairs", lambda raw: parse_pairs(raw.frame, file=raw.file, known=known))
        )
    if sources.sponsorships is not None:
        tie_sources.append(
            (
                sources.sponsorships,
                "sponsorships",
                lambda raw: parse_sponsorships(raw.frame, file=raw.file, known=known),
            )
        )
    for path, layer in sources.ties:
        tie_sources.append((path, "ties", _tie_parser(layer, known)))
    supplied: set[str] = {"collaboration"} if sources.viva_p2p is not None else set()
    for path, kind, parse in tie_sources:
        tick(path)
        parsed = read(path, kind, reports, parse)
        supplied |= _layer_of(kind, path, sources)
        if isinstance(parsed, ParsedTies):
            new_ties.append(parsed.ties)
    for frame in new_ties:
        supplied |= set(frame["layer"].astype(str).unique()) if len(frame) else set()
    if existing is not None:
        kept = _kept_ties(existing, supplied, known, staff_report)
        if kept is not None:
            new_ties.insert(0, kept)
    metadata["sources"] = [r.file for r in reports]
    tick.stage("building the graph")
    ties = _concat_ties(new_ties)
    graph = OrgGraph.from_frames(people, ties, special=sorted(special), metadata=metadata)
    report = ImportReport(files=reports, people=graph.n_people, ties=graph.tie_counts())
    for file_report in reports:
        file_report.check_balance()
    tick.stage("done", done=True)
    if strict and report.errors:
        errors = report.errors
        shown = "; ".join(str(p) for p in errors[:MAX_ERRORS_SHOWN])
        more = f" (and {len(errors) - MAX_ERRORS_SHOWN} more)" if len(errors) > 3 else ""
        rejected = ImportRejected(f"{len(errors)} error(s), so nothing was imported: {shown}{more}")
        rejected.report = report  # type: ignore[attr-defined]
        rejected.reasons = []  # type: ignore[attr-defined]
        raise rejected
    reasons = refusals(report, graph, existing, allow_shrink=allow_shrink, max_shrink=share)
    if reasons:
        raise _refused(reasons, report, graph, existing)
    return PreparedImport(graph, report)


def _refused(
    reasons: list[str], report: ImportReport, graph: OrgGraph, existing: OrgGraph | None
) -> ImportRejected:
    message = "the import was refused and nothing was saved: " + "; ".join(reasons)
    shrink = any(r.startswith("it would") for r in reasons)
    if shrink and existing is not None:
        before, after = existing.tie_counts(), graph.tie_counts()
        changes = [
            f"{layer} {before.get(layer, 0):,} -> {after.get(layer, 0):,}"
            for layer in sorted(set(before) | set(after))
            if before.get(layer, 0) != after.get(layer, 0)
        ]
        people = f"people {existing.n_people:,} -> {graph.n_people:,}"
        message += f" ({', '.join([people, *changes])})."
        message += " If that is intended, allow the shrink (--allow-shrink, allow_shrink=True)."
    refused = ImportRejected(message)
    refused.report = report  # type: ignore[attr-defined]
    refused.reasons = reasons  # type: ignore[attr-defined]
    return refused


def _leaders_by_rule(
    people: pd.DataFrame,
    sources: Sources,
    mapping: ColumnMapping | None,
    reports: list[FileReport],
) -> pd.DataFrame:
    """Apply the leader rule to people no file marked (Viva, GraphML, GEXF imports).

    A staff file applies the rule itself; people who came from other sources have no
    ``is_leader`` value, so the rule decides for them too. A rule on ``level`` reads grade
    labels (``level_label``) through the level order when there are no numeric levels.
    Without a rule, an import from those sources that leaves nobody a leader says so.
    """
    graph_sources = [sources.viva_p2p, sources.graphml, sources.gexf]
    if all(path is None for path in graph_sources) or len(people) == 0:
        return people
    rule_text = sources.leader_rule
    if rule_text is None and mapping is not None:
        rule_text = mapping.leader_rule
    flags = people["is_leader"] if "is_leader" in people.columns else None
    open_rows = np.ones(len(people), dtype=bool) if flags is None else flags.isna().to_numpy()
    last = reports[-1] if reports else None
    if rule_text is None:
        marked = flags is not None and flags.fillna(False).astype(bool).any()
        if not marked and last is not None:
            last.problems.append(
                Problem(
                    last.file,
                    None,
                    "is_leader",
                    "nobody is a leader: give a leader rule (e.g. --leader-rule "
                    '"level_label==Director") so exposure can be measured',
                    "warning",
                )
            )
        return people
    if not open_rows.any():
        return people
    rule = parse_leader_rule(rule_text)
    order = tuple(sources.level_order or (mapping.level_order if mapping is not None else ()))
    frame = people
    has_level = "level" in people.columns and people["level"].notna().any()
    if rule.column == "level" and not has_level and "level_label" in people.columns:
        if not order:
            raise ParameterError(
                f"leader rule {rule}: these people have grade labels (level_label), not "
                "numeric levels; give their order (level_order) or a rule on level_label"
            )
        rank = {label.casefold(): i + 1 for i, label in enumerate(order)}
        labels = people["level_label"].astype("string").str.casefold()
        frame = people.assign(level=labels.map(rank).astype("Float64"))
    flagged = rule.apply(frame, level_order=order).to_numpy(dtype=bool, na_value=False)
    out = people.copy()
    current = (
        pd.Series(pd.NA, index=out.index, dtype="boolean")
        if flags is None
        else out["is_leader"].astype("boolean")
    )
    current[open_rows] = flagged[open_rows]
    out["is_leader"] = current
    if last is not None:
        last.problems.append(
            Problem(
                last.file,
                None,
                "is_leader",
                f"leader rule {rule} marked {int(flagged[open_rows].sum()):,} of "
                f"{int(open_rows.sum()):,} people with no is_leader value as leaders",
                "warning",
            )
        )
    return out


def _tie_parser(layer: str, known: pd.Index) -> Callable[[RawTable], ParsedTies]:
    def parse(raw: RawTable) -> ParsedTies:
        return parse_ties(raw.frame, file=raw.file, layer=layer, known=known)

    return parse


class _Ticker:
    def __init__(self, progress: Progress | None, total: int) -> None:
        self._progress = progress
        self._total = total
        self._done = 0

    def __call__(self, path: PathLike) -> None:
        if self._progress is not None:
            self._progress(f"reading {Path(path).name}", self._done, self._total)
        self._done += 1

    def stage(self, name: str, *, done: bool = False) -> None:
        if self._progress is not None:
            self._progress(name, self._total if done else self._done, self._total)


def _count_files(sources: Sources) -> int:
    single = [
        sources.staff,
        sources.projects,
        sources.pairs,
        sources.sponsorships,
        sources.viva_p2p,
        sources.graphml,
        sources.gexf,
    ]
    return sum(p is not None for p in single) + len(sources.ties)


def _mapping(mapping: PathLike | ColumnMapping | None) -> ColumnMapping | None:
    if mapping is None or isinstance(mapping, ColumnMapping):
        return mapping
    return read_mapping(mapping)


def _layer_of(kind: str, path: PathLike, sources: Sources) -> set[str]:
    # A supplied file replaces its layer even when every row of it was rejected.
    fixed = {"projects": "collaboration", "pairs": "mentoring", "sponsorships": "sponsorship"}
    if kind in fixed:
        return {fixed[kind]}
    return {layer for p, layer in sources.ties if p == path}


def _guarded(
    path: PathLike,
    kind: str,
    reports: list[FileReport],
    parse: Callable[[RawTable], Any],
    *,
    sheet: str | int | None = None,
    limits: ReadLimits | None = None,
) -> Any:
    """Read and parse one file; an unreadable file becomes one file-level error."""
    name = Path(path).name
    try:
        raw = read_table(path, sheet=sheet, limits=limits)
    except IngestError as exc:
        reports.append(FileReport(name, kind, problems=[_problem(exc, name)]))
        return None
    try:
        parsed = parse(raw)
    except IngestError as exc:
        rows = len(raw.frame) + raw.rejected
        reports.append(
            FileReport(
                name,
                kind,
                rows_in=rows,
                rows_rejected=rows,
                problems=[*raw.problems, _problem(exc, name)],
            )
        )
        return None
    absorb_raw(raw, parsed.report)
    reports.append(parsed.report)
    return parsed


def _problem(exc: IngestError, name: str) -> Problem:
    return Problem(exc.file or name, exc.row, exc.column, exc.message)


def _read_graph_file(
    path: PathLike, reader_name: str, reports: list[FileReport], limits: ReadLimits
) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    from orgbridge.ingest import _graphml  # type: ignore[attr-defined]

    reader = getattr(_graphml, reader_name)
    try:
        people, ties, report = reader(path, limits=limits)
    except IngestError as exc:
        name = Path(path).name
        reports.append(
            FileReport(name, reader_name.removeprefix("read_"), problems=[_problem(exc, name)])
        )
        return None
    reports.append(report)
    return people, ties


def _upsert(people: pd.DataFrame, new: pd.DataFrame | None) -> pd.DataFrame:
    """Add new people and update known ones by id (non-blank values overwrite)."""
    if new is None or len(new) == 0:
        return people
    base = people.set_index(PERSON_ID, drop=True)
    incoming = new.assign(**{PERSON_ID: new[PERSON_ID].astype(str)}).set_index(PERSON_ID)
    known = incoming.index.isin(base.index)
    for column in incoming.columns:
        values = incoming.loc[known, column].dropna()
        if column not in base.columns:
            base[column] = pd.Series(pd.NA, index=base.index, dtype=incoming[column].dtype)
        if len(values) == 0:
            continue
        try:
            base.loc[values.index, column] = values
        except (TypeError, ValueError):
            # Different types in the two sources (e.g. numbers and labels): keep both as text.
            base[column] = base[column].astype(object)
            base.loc[values.index, column] = values.astype(object)
    merged = pd.concat([base, incoming.loc[~known]])
    merged.index.name = PERSON_ID
    return merged.reset_index()


def _kept_ties(
    existing: OrgGraph, supplied: set[str], known: pd.Index, staff_report: FileReport | None
) -> pd.DataFrame | None:
    old = existing.explicit_ties()
    old = old.loc[~old["layer"].isin(supplied | {REPORTS_TO})]
    if len(old) == 0:
        return None
    ids = existing.ids.to_numpy()
    old = old.assign(source=ids[old["source"].to_numpy()], target=ids[old["target"].to_numpy()])
    inside = (old["source"].isin(known) & old["target"].isin(known)).to_numpy()
    dropped = int((~inside).sum())
    if dropped and staff_report is not None:
        layers = ", ".join(sorted(old.loc[~inside, "layer"].astype(str).unique()))
        staff_report.problems.append(
            Problem(
                staff_report.file,
                None,
                None,
                f"{dropped} tie(s) already stored in layer(s) {layers} name people who are not"
                " on this roster; they were dropped",
                "warning",
            )
        )
    return old.loc[inside]


def _concat_ties(frames: list[pd.DataFrame]) -> pd.DataFrame | None:
    frames = [f for f in frames if len(f)]
    if not frames:
        return None
    ties = pd.concat([f.reset_index(drop=True) for f in frames], ignore_index=True)
    ties["source"] = ties["source"].astype(str)
    ties["target"] = ties["target"].astype(str)
    ties["weight"] = ties["weight"].astype(np.float64) if "weight" in ties else 1.0
    return ties
