"""Map real-world column headers to orgbridge's canonical names, automatically or by a file.

Headers are compared after folding case and dropping spaces, underscores, hyphens and dots,
so ``Employee ID``, ``employee_id`` and ``EmployeeID`` are one header. An explicit mapping
(a :class:`ColumnMapping`, read from JSON or a two-column CSV by :func:`read_mapping`) wins
over the automatic one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from orgbridge.errors import IngestError

__all__ = ["ColumnMapping", "fold", "map_columns", "read_mapping", "require_columns"]

#: Canonical staff column -> the other headers real HRIS exports use for it.
STAFF_ALIASES: dict[str, tuple[str, ...]] = {
    "person_id": (
        "id",
        "employee id",
        "employeeid",
        "emp id",
        "empid",
        "employee number",
        "emp no",
        "worker id",
        "personid",
        "person",
        "staff id",
        "user id",
        "employee",
        "pid",
    ),
    "name": ("full name", "employee name", "display name", "worker name", "staff name"),
    "department": ("dept", "department name", "team", "dept name", "function"),
    "division": ("business unit", "organization", "organisation", "bu", "org"),
    "level": ("grade", "job level", "band", "career level", "pay grade", "seniority"),
    "manager_id": (
        "manager",
        "supervisor id",
        "supervisor",
        "reports to",
        "line manager id",
        "line manager",
        "manager person id",
        "manager employee id",
        "boss",
    ),
    "location": ("office", "site", "city", "work location", "country"),
    "start_date": ("hire date", "date of hire", "join date", "joining date", "start"),
    "is_leader": ("leader", "is leader", "leadership"),
    "opt_in": ("optin", "opted in", "mentoring opt in", "mentoring"),
    "capacity": ("mentoring capacity", "max pairs", "pairs"),
    "level_label": ("level name", "grade name", "title level"),
}

#: Tie-file headers: canonical -> alternatives, for each kind of tie file.
TIE_ALIASES: dict[str, tuple[str, ...]] = {
    "source": ("from", "source id", "person a", "person_a", "ego"),
    "target": ("to", "target id", "person b", "person_b", "alter"),
    "weight": ("value", "strength", "score"),
    "start": ("start date", "from date", "begin", "start_date"),
    "end": ("end date", "to date", "until", "end_date", "finish"),
    "programme": ("program", "programme name", "program name", "cohort"),
}


def fold(header: str) -> str:
    """The comparison key of a header: lower case without spaces, ``_``, ``-`` or ``.``.

    Example
    -------
    >>> fold("Employee ID"), fold("employee_id"), fold("EmployeeID")
    ('employeeid', 'employeeid', 'employeeid')
    """
    return re.sub(r"[\s_\-.]+", "", str(header).strip().lower())


@dataclass(frozen=True)
class ColumnMapping:
    """An explicit column mapping and the staff settings that travel with it.

    ``columns`` maps a file's header to a canonical (or any other) name; headers are matched
    as :func:`fold` does. ``level_order`` lists grade labels from junior to senior;
    ``special_category`` names attributes that are opt-in and aggregate-only.

    Example
    -------
    >>> ColumnMapping.from_dict({"columns": {"Wrk #": "person_id"}, "leader_rule": "level>=7"})
    ColumnMapping(columns={'Wrk #': 'person_id'}, level_order=(), special_category=(), leader_rule='level>=7')
    """  # noqa: E501

    columns: dict[str, str] = field(default_factory=dict)
    level_order: tuple[str, ...] = ()
    special_category: tuple[str, ...] = ()
    leader_rule: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, object], *, file: str = "mapping") -> ColumnMapping:
        """Build from the JSON shape; raises IngestError on a wrong shape."""
        unknown = set(data) - {"columns", "level_order", "special_category", "leader_rule"}
        if unknown:
            raise IngestError(
                f"unknown key(s) {sorted(unknown)}; expected columns, level_order,"
                " special_category, leader_rule",
                file=file,
            )
        columns = data.get("columns", {})
        if not isinstance(columns, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in columns.items()
        ):
            raise IngestError('"columns" must be an object of header -> name strings', file=file)
        rule = data.get("leader_rule")
        if rule is not None and not isinstance(rule, str):
            raise IngestError('"leader_rule" must be a string such as "level>=7"', file=file)
        return cls(
            columns=dict(columns),
            level_order=_strings(data.get("level_order", []), "level_order", file),
            special_category=_strings(data.get("special_category", []), "special_category", file),
            leader_rule=rule,
        )


def _strings(value: object, key: str, file: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise IngestError(f'"{key}" must be a list of strings', file=file)
    return tuple(value)


#: A mapping file names columns: a few kilobytes. Anything near this is not a mapping.
MAPPING_MAX_BYTES = 16 * 1024 * 1024


def read_mapping(path: str | Path) -> ColumnMapping:
    """Read a mapping file: JSON (see :class:`ColumnMapping`) or a CSV with columns source,target.

    Raises
    ------
    IngestError
        The file cannot be read or has the wrong shape.

    Example
    -------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "map.csv")
    >>> _ = open(path, "w").write("source,target\\nWrk #,person_id\\n")
    >>> read_mapping(path).columns
    {'Wrk #': 'person_id'}
    """
    from orgbridge.ingest._limits import check_file_size

    path = Path(path)
    name = path.name
    if path.suffix.lower() == ".json":
        check_file_size(path, MAPPING_MAX_BYTES)
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except OSError as exc:
            raise IngestError(f"cannot read the mapping file ({exc})", file=name) from exc
        except UnicodeDecodeError as exc:
            raise IngestError(
                f"the mapping file is not UTF-8 text (byte {exc.start})", file=name
            ) from exc
        except RecursionError as exc:
            raise IngestError(
                "the mapping file nests too deeply to be a mapping", file=name
            ) from exc
        except json.JSONDecodeError as exc:
            raise IngestError(
                f"not valid JSON: {exc.msg} (line {exc.lineno})", file=name, row=exc.lineno
            ) from exc
        if not isinstance(data, dict):
            raise IngestError("the mapping must be a JSON object", file=name)
        return ColumnMapping.from_dict(data, file=name)
    from orgbridge.ingest._table import read_table

    check_file_size(path, MAPPING_MAX_BYTES)
    raw = read_table(path)
    folded = {fold(c): c for c in raw.frame.columns}
    if "source" not in folded or "target" not in folded:
        raise IngestError("a CSV mapping needs the columns source and target", file=name)
    if raw.problems and any(p.severity == "error" for p in raw.problems):
        raise IngestError(str(raw.problems[0]), file=name)
    pairs = raw.frame[[folded["source"], folded["target"]]].dropna()
    return ColumnMapping(columns=dict(zip(pairs.iloc[:, 0], pairs.iloc[:, 1], strict=True)))


def map_columns(
    headers: Iterable[str],
    aliases: Mapping[str, tuple[str, ...]],
    explicit: Mapping[str, str] | None = None,
) -> tuple[dict[str, str], list[str]]:
    """Decide each header's name: explicit mapping, then canonical name, then alias.

    Returns ``(renames, notes)``: ``renames`` maps every header to its new name (extras keep
    theirs); ``notes`` are sentences about headers that were not mapped because the name
    was already taken.

    Example
    -------
    >>> map_columns(["Employee ID", "Dept", "Shoe size"], {"person_id": ("employee id",),
    ...             "department": ("dept",)})
    ({'Employee ID': 'person_id', 'Dept': 'department', 'Shoe size': 'Shoe size'}, [])
    """
    headers = list(headers)
    lookup: dict[str, str] = {}
    for canonical, others in aliases.items():
        for alias in (canonical, *others):
            lookup.setdefault(fold(alias), canonical)
    wanted = {fold(k): v for k, v in (explicit or {}).items()}
    renames: dict[str, str] = {}
    taken: dict[str, str] = {}
    notes: list[str] = []
    # Explicit names first, then exact canonical names, then aliases, so an alias never
    # steals a name the file already uses.
    for stage in ("explicit", "canonical", "alias"):
        for header in headers:
            if header in renames:
                continue
            key = fold(header)
            if stage == "explicit":
                target = wanted.get(key)
            elif stage == "canonical":
                target = lookup.get(key) if key == fold(lookup.get(key, "")) else None
            else:
                target = lookup.get(key)
            if target is None:
                continue
            if target in taken:
                if stage != "canonical":
                    notes.append(
                        f"column {header!r} was not used as {target} because column"
                        f" {taken[target]!r} already is"
                    )
                continue
            renames[header] = target
            taken[target] = header
    for header in headers:
        if header not in renames:
            name = header
            if name in taken:
                name = f"{header}_original"
            renames[header] = name
    return renames, notes


def require_columns(
    columns: Sequence[str], required: Sequence[str], *, found: Sequence[object], file: str
) -> None:
    """Raise a file-level IngestError naming the required columns that are absent.

    Example
    -------
    >>> require_columns(["source"], ["source", "target"], found=["src", "dst"], file="t.csv")
    Traceback (most recent call last):
    ...
    orgbridge.errors.IngestError: t.csv row 1: missing column(s) target (found src, dst)
    """
    missing = [c for c in required if c not in columns]
    if missing:
        raise IngestError(
            f"missing column(s) {', '.join(missing)} (found {', '.join(map(str, found))})",
            file=file,
            row=1,
        )
