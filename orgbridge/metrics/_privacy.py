"""The privacy threshold: no aggregate over fewer than k people is ever shown.

Every group table a metric returns goes through :func:`suppress_small_groups`: a group under
the threshold keeps its row (so a reader sees that it exists and why it is blank), with every
aggregate, its size included, set to missing, ``suppressed`` True and a ``note`` saying
"fewer than k people". Group x group matrices go through :func:`suppress_small_cells`.
The threshold itself is checked by :func:`check_min_group`: it is never below 5.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from orgbridge.disclosure._threshold import DEFAULT_MIN_GROUP, check_min_group, small_group_note

__all__ = [
    "DEFAULT_MIN_GROUP",
    "check_min_group",
    "small_group_note",
    "suppress_small_cells",
    "suppress_small_groups",
]


def suppress_small_groups(
    table: pd.DataFrame,
    *,
    size_column: str = "size",
    min_group: int = DEFAULT_MIN_GROUP,
    value_columns: Iterable[str] | None = None,
    keep_columns: Iterable[str] = ("group",),
) -> pd.DataFrame:
    """Blank every aggregate of groups with fewer than ``min_group`` people; keep their rows.

    Parameters
    ----------
    table
        One row per group, with a size column. A missing size counts as small, and a row
        already marked ``suppressed`` stays suppressed (suppressing twice changes nothing).
    size_column
        The column holding the number of people in the group.
    min_group
        The privacy threshold (at least 5).
    value_columns
        Columns to blank. Default: every column except ``keep_columns`` (the size column
        included: a small group's exact size is itself a disclosure).
    keep_columns
        Columns never blanked (the group's name).

    Returns
    -------
    pandas.DataFrame
        A copy with the same rows in the same order, the blanked columns in nullable dtypes,
        plus ``suppressed`` (bool) and ``note`` (``"fewer than k people"`` or missing).

    Raises
    ------
    PrivacyError
        ``min_group`` is below 5.

    Example
    -------
    >>> t = pd.DataFrame({"group": ["A", "B"], "size": [12, 3], "share": [0.5, 1.0]})
    >>> out = suppress_small_groups(t)
    >>> out["suppressed"].tolist(), out["share"].isna().tolist(), out.loc[1, "note"]
    ([False, True], [False, True], 'fewer than 5 people')
    """
    min_group = check_min_group(min_group)
    sizes = pd.to_numeric(table[size_column]).to_numpy(dtype=np.float64)
    # an unknown size (e.g. a row blanked before) is treated as small, never as safe
    small = ~(sizes >= min_group)
    if "suppressed" in table.columns:
        small |= table["suppressed"].fillna(True).to_numpy(dtype=bool)
    out = table.copy()
    keep = set(keep_columns) | {"suppressed", "note"}
    columns = (
        [c for c in out.columns if c not in keep]
        if value_columns is None
        else [*value_columns, *([size_column] if size_column not in keep else [])]
    )
    columns = list(dict.fromkeys(columns))
    for column in columns:
        out[column] = _blank(out[column], small)
    out["suppressed"] = small
    note = pd.Series(small_group_note(min_group), index=out.index, dtype="string")
    out["note"] = note.where(small)
    return out


def suppress_small_cells(
    matrix: pd.DataFrame,
    sizes: pd.Series,
    *,
    min_group: int = DEFAULT_MIN_GROUP,
) -> pd.DataFrame:
    """Blank the cells of a group x group matrix whose row or column group is small.

    Parameters
    ----------
    matrix
        Rows and columns labelled by group.
    sizes
        Number of people per group, indexed by the same labels.
    min_group
        The privacy threshold (at least 5).

    Returns
    -------
    pandas.DataFrame
        Same labels, float values, missing where either group has fewer than ``min_group``
        people. Rows and columns are kept.

    Raises
    ------
    PrivacyError
        ``min_group`` is below 5.

    Example
    -------
    >>> m = pd.DataFrame([[4, 1], [1, 0]], index=["A", "B"], columns=["A", "B"])
    >>> suppress_small_cells(m, pd.Series({"A": 9, "B": 2})).isna().to_numpy().tolist()
    [[False, True], [True, True]]
    """
    min_group = check_min_group(min_group)
    row_small = sizes.reindex(matrix.index).fillna(0).to_numpy() < min_group
    col_small = sizes.reindex(matrix.columns).fillna(0).to_numpy() < min_group
    blank = row_small[:, None] | col_small[None, :]
    values = matrix.to_numpy(dtype=np.float64, copy=True)
    values[blank] = np.nan
    return pd.DataFrame(values, index=matrix.index, columns=matrix.columns)


def _blank(column: pd.Series, mask: np.ndarray) -> pd.Series:
    """The column with ``mask`` rows set missing, in a dtype that can hold a missing value.

    The dtype depends only on the input dtype, never on whether a row was blanked, so an
    output's schema is the same for every organisation.
    """
    if pd.api.types.is_bool_dtype(column):
        column = column.astype("boolean")
    elif pd.api.types.is_integer_dtype(column):
        column = column.astype("Int64")
    elif pd.api.types.is_float_dtype(column):
        column = column.astype("float64")
    return column.mask(mask)
