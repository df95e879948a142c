"""Grouping: turn any people attribute into integer group codes and display labels.

Every group-level metric (E-I index, tie matrix, modularity, equity...) partitions people by one
attribute: ``department`` by default, or ``division``, ``level``, ``location`` or any other
column. A missing value (NaN, None or an empty string) is never dropped: it becomes the explicit
group :data:`MISSING_GROUP`, so the people without a value stay visible and counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from orgbridge.errors import ParameterError
from orgbridge.graph import OrgGraph

__all__ = ["MISSING_GROUP", "GroupBy", "Grouping", "grouping"]

#: Label of the group of people whose grouping attribute is missing.
MISSING_GROUP = "(missing)"

#: A grouping: the name of a people attribute, or labels as a Series indexed by person_id.
GroupBy = str | pd.Series


@dataclass(frozen=True)
class Grouping:
    """People partitioned into groups.

    Attributes
    ----------
    name
        What the groups are (the attribute name, or the Series name).
    labels
        Display label of every group, in group-code order. Groups are ordered by their
        attribute value (numerically when the attribute is numeric, so level 2 comes before
        level 10); :data:`MISSING_GROUP`, when present, is last.
    codes
        Group code (index into ``labels``) of every person, by position (int64).
    sizes
        Number of people in every group (int64, same order as ``labels``).
    """

    name: str
    labels: tuple[str, ...]
    codes: np.ndarray
    sizes: np.ndarray

    @property
    def n_groups(self) -> int:
        """Number of groups."""
        return len(self.labels)

    def label_array(self) -> np.ndarray:
        """Group label of every person, by position (object array of str)."""
        labels: np.ndarray = np.asarray(self.labels, dtype=object)[self.codes]
        return labels


def grouping(graph: OrgGraph, group_by: GroupBy = "department") -> Grouping:
    """Partition the people of ``graph`` by an attribute.

    Parameters
    ----------
    graph
        The organisation.
    group_by
        A people column name (``"department"``, ``"division"``, ``"level"``, ``"location"``,
        ...), or a Series of labels indexed by ``person_id`` covering every person (e.g.
        community labels).

    Returns
    -------
    Grouping
        Codes, labels and sizes. Values are labelled by their text (``1.0`` in a float
        column that holds whole numbers is labelled ``"1"``); missing values form the group
        ``"(missing)"``.

    Raises
    ------
    ParameterError
        The people table has no such column, or a Series misses some people.

    Example
    -------
    >>> people = pd.DataFrame({"person_id": ["a", "b", "c", "d"],
    ...                        "department": ["Ops", "Sales", None, "Ops"]})
    >>> g = grouping(OrgGraph(people))
    >>> g.labels, g.codes.tolist(), g.sizes.tolist()
    (('Ops', 'Sales', '(missing)'), [0, 1, 2, 0], [2, 1, 1])
    """
    if isinstance(group_by, pd.Series):
        name = str(group_by.name) if group_by.name is not None else "group"
        keyed = group_by.copy()
        keyed.index = pd.Index(keyed.index.astype(str))
        if not keyed.index.is_unique:
            raise ParameterError(f"group_by Series {name!r} has duplicate person ids")
        values = keyed.reindex(graph.ids)
        unknown = ~graph.ids.isin(keyed.index)
        if unknown.any():
            raise ParameterError(
                f"group_by Series {name!r} has no label for person {graph.ids[unknown][0]!r}"
            )
        values = values.reset_index(drop=True)
    else:
        name = str(group_by)
        if group_by not in graph.people.columns:
            available = ", ".join(map(str, graph.people.columns))
            raise ParameterError(
                f"cannot group by {group_by!r}: no such people attribute; available: {available}"
            )
        values = graph.people[group_by].reset_index(drop=True)
    return _from_values(name, values)


def _from_values(name: str, values: pd.Series) -> Grouping:
    """Codes by hashing (``pd.factorize``); only the distinct values are then sorted."""
    dtype = values.dtype
    ordered = isinstance(dtype, pd.CategoricalDtype) and bool(dtype.ordered)
    numeric = not isinstance(values.dtype, pd.CategoricalDtype) and (
        pd.api.types.is_bool_dtype(values.dtype) or pd.api.types.is_numeric_dtype(values.dtype)
    )
    plain = values.astype(object) if isinstance(values.dtype, pd.CategoricalDtype) else values
    raw_codes, uniques = pd.factorize(plain, sort=False, use_na_sentinel=True)
    distinct = list(np.asarray(uniques, dtype=object))
    # One (sort key, label) per distinct value; text is stripped, so "Ops" and " Ops" merge
    # and a blank value counts as missing.
    entries: list[tuple[tuple[int, Any], str] | None] = []
    position: dict[Any, int] = {}
    if isinstance(dtype, pd.CategoricalDtype) and ordered:
        position = {c: i for i, c in enumerate(dtype.categories)}
    for value in distinct:
        if numeric:
            entries.append(((0, value), _label(value)))
            continue
        text = str(value).strip()
        if not text:
            entries.append(None)
        elif ordered:
            entries.append(((0, position[value]), text))
        else:
            entries.append(((1, text), text))
    keys = sorted({entry for entry in entries if entry is not None})
    labels = list(dict.fromkeys(label for _, label in keys))
    slot = {label: i for i, label in enumerate(labels)}
    n_present = len(labels)
    # lookup[-1] (factorize's code for NaN) and blank values map to the missing group.
    lookup = np.full(len(distinct) + 1, n_present, dtype=np.int64)
    for i, entry in enumerate(entries):
        if entry is not None:
            lookup[i] = slot[entry[1]]
    codes = lookup[np.asarray(raw_codes, dtype=np.int64)]
    if (codes == n_present).any():
        labels.append(MISSING_GROUP)
    sizes = np.bincount(codes, minlength=len(labels)).astype(np.int64)
    return Grouping(name=name, labels=tuple(labels), codes=codes, sizes=sizes)


def _label(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
