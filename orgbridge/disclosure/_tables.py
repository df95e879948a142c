"""Group tables as a role may see them: small groups unlabelled, complementary suppression,
means and shares only over enough people.

Primary suppression blanks every group under the privacy threshold ``k``. That alone is not
enough when a total is shown beside the groups (the organisation's share, its headcount, a
row of the tie matrix): the total minus the shown groups gives the hidden one back. So the
hidden set is widened (*complementary suppression*) with groups at or above ``k`` until a
total reveals only the sum over the hidden set, never one group, and not even bounds tight
enough to name a size (see :func:`suppression_plan`). Which groups are hidden depends only on
the group sizes, so every table of one grouping hides the same groups.

One limit is stated rather than hidden: when the hidden set's total of a count is 0 (or all of
its people), every hidden group's share is 0 (or 1) too. Shares near such extremes are the
residual risk of showing an organisation-wide figure at all.

Hidden groups under ``k`` are pooled into one unlabelled row (:data:`OTHER_GROUPS`): their
names say who is in them (a three-person "Legal Ops" names its people). Groups hidden only to
protect them stay labelled, with blank figures and a note.

A mean or share whose own denominator (e.g. the members who can reach a leader) is under
``k`` is blank too, whatever the group's size.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from orgbridge.disclosure._threshold import check_min_group, small_group_note

__all__ = [
    "OTHER_GROUPS",
    "SuppressionPlan",
    "disclose_equity",
    "disclose_groups",
    "disclose_matrix",
    "disclosed_gap",
    "suppression_plan",
]

#: The label of the pooled row of groups under the threshold.
OTHER_GROUPS = "other groups"
#: The note on a group hidden only so that a smaller group cannot be worked out.
PROTECTING_NOTE = "withheld so that a smaller group cannot be worked out"


@dataclass(frozen=True)
class SuppressionPlan:
    """Which groups a grouping hides: ``small`` (under the threshold: unlabelled) and
    ``protecting`` (hidden so that totals reveal no small group)."""

    small: frozenset[str]
    protecting: frozenset[str]
    min_group: int

    @property
    def hidden(self) -> frozenset[str]:
        return self.small | self.protecting


def suppression_plan(sizes: Mapping[str, float] | pd.Series, *, min_group: int) -> SuppressionPlan:
    """The groups to hide, from the group sizes alone (deterministic).

    Small groups (fewer than ``min_group`` people, or an unknown size) are hidden. If any
    are, the smallest other groups are hidden with them until the hidden set holds at least
    one group at or above the threshold, ``2 * min_group`` people, and one person more than
    its smallest possible total (one per small group, ``min_group`` per other group): then
    neither a total nor the bounds on each size (a small group has 1 to k - 1 people) pin
    any hidden group's size. Every group is hidden when that cannot be reached.

    Example
    -------
    >>> p = suppression_plan({"A": 40, "B": 12, "C": 9, "D": 3}, min_group=5)
    >>> sorted(p.small), sorted(p.protecting)
    (['D'], ['C'])
    >>> sorted(suppression_plan({"A": 40, "B": 12}, min_group=5).hidden)
    []
    """
    k = check_min_group(min_group)
    series = pd.Series(sizes, dtype="object")
    numbers = pd.to_numeric(series, errors="coerce").astype(float)
    labels = [str(g) for g in series.index]
    values = numbers.to_numpy()
    small = {g for g, n in zip(labels, values, strict=True) if not (n >= k)}
    protecting: set[str] = set()
    if small:
        pooled = float(np.nansum([n for g, n in zip(labels, values, strict=True) if g in small]))
        others = sorted(
            ((float(n), g) for g, n in zip(labels, values, strict=True) if g not in small),
        )
        for n, g in others:
            # slack: how far the pool is above its smallest possible total (1 per small group,
            # k per protecting group); with slack >= 1 and a protecting group (no upper bound)
            # every small group's size could be 1 or 2 larger: bounds pin no size
            slack = pooled - len(small) - k * len(protecting)
            if protecting and pooled >= 2 * k and slack >= 1:
                break
            protecting.add(g)
            pooled += n
    return SuppressionPlan(frozenset(small), frozenset(protecting), k)


def disclose_groups(
    table: pd.DataFrame,
    *,
    min_group: int,
    group_column: str = "group",
    size_column: str = "size",
    plan: SuppressionPlan | None = None,
    denominators: Mapping[str, str] | None = None,
    keep_columns: Iterable[str] = (),
) -> pd.DataFrame:
    """One row per group as any role may see it.

    Parameters
    ----------
    table
        One row per group: a label column and a size column (the people the figures are
        over), other columns figures. Rows a metric already marked ``suppressed`` stay
        hidden.
    min_group
        The privacy threshold (at least 5).
    plan
        The grouping's :func:`suppression_plan`; by default made from this table's sizes.
    denominators
        ``{figure column: column holding the number of people that figure is over}``: a
        figure over fewer than ``min_group`` people is blank.
    keep_columns
        Columns never blanked (besides the label).

    Returns
    -------
    pandas.DataFrame
        The shown groups in their order, hidden protecting groups labelled but blank, then
        one row :data:`OTHER_GROUPS` (all blank) if any group is under the threshold;
        ``suppressed`` (bool) and ``note`` columns.

    Example
    -------
    >>> t = pd.DataFrame({"group": ["A", "B", "C", "Dee"], "size": [40, 12, 9, 3],
    ...                   "share": [0.5, 0.25, 0.3, 1.0]})
    >>> out = disclose_groups(t, min_group=5)
    >>> out["group"].tolist(), out["share"].tolist()
    (['A', 'B', 'C', 'other groups'], [0.5, 0.25, nan, nan])
    """
    k = check_min_group(min_group)
    labels = table[group_column].astype("string").fillna("(missing)").astype(str)
    sizes = pd.to_numeric(table[size_column], errors="coerce").astype(float)
    if "suppressed" in table.columns:
        already = table["suppressed"].astype("boolean").fillna(True).to_numpy(dtype=bool)
        sizes = sizes.mask(already)
    if plan is None:
        plan = suppression_plan(pd.Series(sizes.to_numpy(), index=labels.to_numpy()), min_group=k)
    small = labels.isin(plan.small).to_numpy() | ~(sizes.to_numpy() >= k)
    protecting = labels.isin(plan.protecting).to_numpy() & ~small
    keep = {group_column, *keep_columns, "suppressed", "note"}
    figures = [c for c in table.columns if c not in keep]
    out = table.loc[~small].copy()
    out[group_column] = labels[~small].to_numpy()
    hide = protecting[~small]
    for column in figures:
        out[column] = _blank(out[column], hide)
    for column, denominator in (denominators or {}).items():
        if column in out.columns and denominator in table.columns:
            few = ~(pd.to_numeric(table[denominator], errors="coerce").to_numpy()[~small] >= k)
            out[column] = _blank(out[column], few)
    out["suppressed"] = hide
    note = pd.Series(PROTECTING_NOTE, index=out.index, dtype="string")
    out["note"] = note.where(hide)
    if small.any():
        row = out.head(0).reindex(range(1))
        row[group_column] = OTHER_GROUPS
        row["suppressed"] = True
        row["note"] = pd.Series(
            [f"{int(small.sum())} group(s), each with {small_group_note(k)}"], dtype="string"
        )
        out = pd.concat([out, row], ignore_index=True)
    return out.reset_index(drop=True)


def disclose_equity(table: pd.DataFrame, *, min_group: int) -> pd.DataFrame:
    """An exposure-equity table (``orgbridge.metrics.exposure_equity``) as any role may see it.

    Its figures are over each group's non-leaders, so the suppression plan is made from
    ``non_leaders`` (or ``size`` when absent): a group with five people of whom two lead has
    three non-leaders, too few for a share. ``mean_hops`` is over the non-leaders who can reach
    a leader, so it is blank when they are fewer than ``min_group``.

    Example
    -------
    >>> t = pd.DataFrame({"group": ["A", "B", "C"], "size": [30, 20, 6],
    ...                   "non_leaders": [28, 19, 3], "share_within_2_hops": [0.5, 0.4, 1.0],
    ...                   "mean_hops": [2.0, 1.5, 1.0], "share_unreachable": [0.0, 0.9, 0.0]})
    >>> out = disclose_equity(t, min_group=5)
    >>> out["group"].tolist(), out["mean_hops"].isna().tolist()
    (['A', 'B', 'other groups'], [False, True, True])
    """
    population = "non_leaders" if "non_leaders" in table.columns else "size"
    work = table.copy()
    denominators: dict[str, str] = {}
    if "mean_hops" in work.columns and "share_unreachable" in work.columns:
        counted = pd.to_numeric(work[population], errors="coerce")
        unreachable = pd.to_numeric(work["share_unreachable"], errors="coerce")
        work["_reachable"] = (counted * (1.0 - unreachable)).round()
        denominators["mean_hops"] = "_reachable"
    out = disclose_groups(
        work, min_group=min_group, size_column=population, denominators=denominators
    )
    return out.drop(columns=[c for c in ("_reachable",) if c in out.columns])


def disclose_matrix(matrix: pd.DataFrame, plan: SuppressionPlan) -> pd.DataFrame:
    """A group x group matrix as any role may see it: rows and columns of groups under the
    threshold pooled into one blank :data:`OTHER_GROUPS` row and column, protecting groups
    blank.

    Example
    -------
    >>> m = pd.DataFrame([[4, 1, 2], [1, 6, 0], [2, 0, 1]], index=list("ABC"),
    ...                  columns=list("ABC"), dtype=float)
    >>> plan = suppression_plan({"A": 20, "B": 9, "C": 2}, min_group=5)
    >>> disclose_matrix(m, plan).index.tolist()
    ['A', 'B', 'other groups']
    >>> bool(disclose_matrix(m, plan).loc["A", "B"] != disclose_matrix(m, plan).loc["A", "B"])
    True
    """
    rows = [str(g) for g in matrix.index]
    columns = [str(g) for g in matrix.columns]
    values = matrix.to_numpy(dtype=np.float64, copy=True)
    known = set(plan.small) | set(plan.protecting)
    shown_rows = [i for i, g in enumerate(rows) if g not in plan.small]
    shown_cols = [j for j, g in enumerate(columns) if g not in plan.small]
    hidden_row = np.array([rows[i] in known for i in shown_rows], dtype=bool)
    hidden_col = np.array([columns[j] in known for j in shown_cols], dtype=bool)
    kept = values[np.ix_(shown_rows, shown_cols)]
    kept[hidden_row[:, None] | hidden_col[None, :]] = np.nan
    out = pd.DataFrame(
        kept, index=[rows[i] for i in shown_rows], columns=[columns[j] for j in shown_cols]
    )
    if len(shown_rows) < len(rows):
        out.loc[OTHER_GROUPS] = np.nan
    if len(shown_cols) < len(columns):
        out[OTHER_GROUPS] = np.nan
    return out


def disclosed_gap(
    table: pd.DataFrame, column: str, *, group_column: str = "group"
) -> dict[str, object]:
    """Best minus worst of ``column`` over the groups a disclosed table shows (never over a
    hidden one, whose value a gap would otherwise reveal).

    Example
    -------
    >>> t = pd.DataFrame({"group": ["A", "B", "other groups"], "share": [0.9, 0.4, None],
    ...                   "suppressed": [False, False, True]})
    >>> disclosed_gap(t, "share")["worst"]
    'B'
    """
    shown = table.loc[~table["suppressed"].astype(bool).to_numpy()]
    values = pd.to_numeric(shown[column], errors="coerce")
    shown, values = shown.loc[values.notna()], values.dropna()
    if len(values) < 2:
        return {"gap": None, "best": None, "worst": None}
    best, worst = int(np.argmax(values.to_numpy())), int(np.argmin(values.to_numpy()))
    return {
        "gap": float(values.iloc[best] - values.iloc[worst]),
        "best": str(shown[group_column].iloc[best]),
        "worst": str(shown[group_column].iloc[worst]),
    }


def _blank(column: pd.Series, mask: np.ndarray) -> pd.Series:
    """``column`` with ``mask`` rows missing, in a dtype that holds a missing value."""
    if pd.api.types.is_bool_dtype(column):
        column = column.astype("boolean")
    elif pd.api.types.is_integer_dtype(column):
        column = column.astype("Int64")
    elif pd.api.types.is_float_dtype(column):
        column = column.astype("float64")
    return column.mask(mask)
