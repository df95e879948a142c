"""Which attributes may group people: never identifiers, free text, dates or near-unique
columns; special categories only when an admin enabled them (and then aggregate-only).

A grouping is itself a disclosure: grouping by ``name`` makes every "group" one person, and
grouping by a near-unique column does the same with extra steps. So the allowed groupings are
decided here, from the data, for every caller (app, CLI, report), and a client's choice is
checked against that list before anything is computed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from orgbridge.errors import ParameterError
from orgbridge.graph import OrgGraph
from orgbridge.ingest._staff import SPECIAL_NAMES

__all__ = [
    "OPERATIONAL_COLUMNS",
    "AttributeKinds",
    "attribute_kinds",
    "check_group_by",
    "groupable_attributes",
    "special_columns",
]

#: Columns that say who someone is (or who their manager is): never a grouping, never shown
#: to roles that see no names.
IDENTIFIER_NAMES = frozenset(
    {"person_id", "name", "manager_id", "email", "mail", "upn", "first_name", "last_name"}
)
#: Columns that steer the programme rather than describe a group of people.
OPERATIONAL_COLUMNS = frozenset(
    {"is_leader", "opt_in", "capacity", "level_label", "skills_offered", "skills_wanted", "goals"}
)
#: The preferred groupings, in this order, when present.
PREFERRED = ("department", "division", "level", "location")
#: More distinct values than this and a column is no grouping (a chart cannot show it either).
MAX_GROUPS = 200
#: Text longer than this on average is free text (comments, notes, addresses).
FREE_TEXT_LENGTH = 40

_ID_PATTERN = re.compile(r"(^|_)(id|ids|email|e_mail|mail|upn|name|names|ssn|phone)$")


def _key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


@dataclass(frozen=True)
class AttributeKinds:
    """Every people column sorted by what it is (see :func:`attribute_kinds`)."""

    groupable: tuple[str, ...]
    special: tuple[str, ...]
    refused: dict[str, str]


def special_columns(graph: OrgGraph) -> frozenset[str]:
    """Special-category columns: declared ones plus any whose name is a known category
    (also under a prefix, as Viva Insights writes ``PrimaryCollaborator_Gender``).

    Example
    -------
    >>> g = OrgGraph(pd.DataFrame({"person_id": ["a"], "HR_Gender": ["f"], "dept": ["x"]}))
    >>> sorted(special_columns(g))
    ['HR_Gender']
    """
    found = set(graph.special)
    for column in graph.people.columns:
        key = _key(str(column))
        tokens = key.split("_")
        tails = {"_".join(tokens[i:]) for i in range(len(tokens))}
        if tails & SPECIAL_NAMES:
            found.add(str(column))
    return frozenset(found)


def attribute_kinds(graph: OrgGraph, *, min_group: int = 5) -> AttributeKinds:
    """Sort the people columns into groupable, special (groupable only when enabled) and
    refused (with the reason).

    A column is refused when it identifies people (``person_id``, ``name``, ``manager_id``,
    ``email``, any ``*_id``/``*_name``), is operational (``is_leader``, ``opt_in``,
    ``capacity``, skills, goals), holds dates, holds free text (mean length over 40), has
    more than 200 distinct values, or is near-unique: more than half of the people who have a
    value sit in groups under the privacy threshold.

    Example
    -------
    >>> people = pd.DataFrame({"person_id": [f"p{i}" for i in range(20)],
    ...                        "department": ["A"] * 10 + ["B"] * 10,
    ...                        "desk": [f"d{i}" for i in range(20)]})
    >>> kinds = attribute_kinds(OrgGraph(people))
    >>> kinds.groupable, kinds.refused["desk"]
    (('department',), 'it is near-unique: most people would be in groups under 5')
    """
    people = graph.people
    special = special_columns(graph)
    groupable: list[str] = []
    special_ok: list[str] = []
    refused: dict[str, str] = {}
    for column in people.columns:
        name = str(column)
        reason = _refusal(people[column], name, min_group)
        if reason is not None:
            refused[name] = reason
        elif name in special:
            special_ok.append(name)
        else:
            groupable.append(name)
    order = {c: i for i, c in enumerate(PREFERRED)}
    groupable.sort(key=lambda c: (order.get(c, len(order)), c))
    return AttributeKinds(tuple(groupable), tuple(sorted(special_ok)), refused)


def _refusal(values: pd.Series, name: str, min_group: int) -> str | None:
    key = _key(name)
    if key in IDENTIFIER_NAMES or _ID_PATTERN.search(key):
        return "it identifies people"
    if key in OPERATIONAL_COLUMNS:
        return "it is a programme setting, not a group"
    if pd.api.types.is_datetime64_any_dtype(values.dtype) or "date" in key.split("_"):
        return "it holds dates"
    present = values.dropna()
    if len(present) == 0:
        return "it has no values"
    if pd.api.types.is_object_dtype(present.dtype) or pd.api.types.is_string_dtype(present.dtype):
        text = present.astype(str)
        if float(text.str.len().mean()) > FREE_TEXT_LENGTH:
            return "it holds free text"
    counts = present.astype(str).value_counts(sort=False).to_numpy()
    if len(counts) > MAX_GROUPS:
        return f"it has more than {MAX_GROUPS} distinct values"
    in_small = int(counts[counts < min_group].sum())
    if len(counts) > 1 and in_small * 2 > len(present):
        return f"it is near-unique: most people would be in groups under {min_group}"
    return None


def groupable_attributes(
    graph: OrgGraph, *, allow_special: bool = False, min_group: int = 5
) -> list[str]:
    """The attributes a caller may group by, preferred ones first; special categories (after
    the others) only when ``allow_special``.

    Example
    -------
    >>> people = pd.DataFrame({"person_id": [f"p{i}" for i in range(10)],
    ...                        "name": [f"N{i}" for i in range(10)],
    ...                        "gender": ["f", "m"] * 5, "location": ["x"] * 10})
    >>> g = OrgGraph(people, special=["gender"])
    >>> groupable_attributes(g), groupable_attributes(g, allow_special=True)
    (['location'], ['location', 'gender'])
    """
    kinds = attribute_kinds(graph, min_group=min_group)
    return [*kinds.groupable, *(kinds.special if allow_special else ())]


def check_group_by(
    graph: OrgGraph,
    group_by: object,
    *,
    allow_special: bool = False,
    min_group: int = 5,
    allowed: Iterable[str] | None = None,
) -> str:
    """``group_by`` if it is an allowed grouping, else raise ParameterError saying why.

    ``allowed`` (the result of :func:`groupable_attributes`, when the caller has it) saves
    sorting the columns again.

    Raises
    ------
    ParameterError
        Not a string, not a column, or a column that may not group people.

    Example
    -------
    >>> people = pd.DataFrame({"person_id": list("abcdef"), "name": list("ABCDEF"),
    ...                        "department": ["x"] * 6})
    >>> check_group_by(OrgGraph(people), "department")
    'department'
    >>> check_group_by(OrgGraph(people), "name")
    Traceback (most recent call last):
    ...
    orgbridge.errors.ParameterError: cannot group by 'name': it identifies people
    """
    if not isinstance(group_by, str) or not group_by:
        raise ParameterError(f"group by one of the offered attributes (got {group_by!r})")
    chosen = (
        list(allowed)
        if allowed is not None
        else groupable_attributes(graph, allow_special=allow_special, min_group=min_group)
    )
    if group_by in chosen:
        return group_by
    if group_by not in graph.people.columns:
        shown = group_by if len(group_by) <= 40 else group_by[:40] + "..."
        raise ParameterError(f"cannot group by {shown!r}: no such attribute")
    kinds = attribute_kinds(graph, min_group=min_group)
    if group_by in kinds.special:
        raise ParameterError(
            f"cannot group by {group_by!r}: it is a special category, used for aggregates "
            "only when an admin enables it"
        )
    reason = kinds.refused.get(group_by, "not an offered grouping")
    raise ParameterError(f"cannot group by {group_by!r}: {reason}")
