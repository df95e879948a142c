"""Disclosed group tables: no hidden group's size or value can be worked out.

The yardstick is written apart from the policy: for every group the policy hides, a linear
programme (scipy's ``linprog``) finds the smallest and largest size that group can have given
everything the table shows (the shown sizes, the organisation's total, and what a reader
knows anyway: a group under the threshold has 1 to k - 1 people, any other group at least k).
A size is disclosed when the smallest equals the largest.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from orgbridge.disclosure import (
    OTHER_GROUPS,
    disclose_groups,
    disclose_matrix,
    disclosed_gap,
    suppression_plan,
)

K = 5


def size_bounds(sizes: dict[str, int], shown: set[str], k: int) -> dict[str, tuple[int, int]]:
    """Feasible range of each hidden group's size given the shown sizes and the total."""
    hidden = [g for g in sizes if g not in shown]
    total = sum(sizes.values()) - sum(sizes[g] for g in shown)
    bounds = [(1, k - 1) if sizes[g] < k else (k, total) for g in hidden]
    ranges = {}
    for i, g in enumerate(hidden):
        c = np.zeros(len(hidden))
        c[i] = 1.0
        eq = np.ones((1, len(hidden)))
        low = linprog(c, A_eq=eq, b_eq=[total], bounds=bounds, method="highs")
        high = linprog(-c, A_eq=eq, b_eq=[total], bounds=bounds, method="highs")
        assert low.success and high.success
        ranges[g] = (round(low.fun), round(-high.fun))
    return ranges


group_sizes = st.dictionaries(
    st.sampled_from([f"g{i}" for i in range(14)]),
    st.integers(min_value=1, max_value=40),
    min_size=1,
    max_size=14,
)


@settings(max_examples=300, deadline=None)
@given(group_sizes)
def test_no_hidden_size_can_be_worked_out_from_the_shown_sizes_and_the_total(
    sizes: dict[str, int],
) -> None:
    plan = suppression_plan(sizes, min_group=K)
    assert plan.small == {g for g, n in sizes.items() if n < K}
    shown = set(sizes) - plan.hidden
    if not plan.small:
        assert not plan.protecting
        return
    if not shown:
        return  # everything hidden: the table shows no group at all
    for group, (low, high) in size_bounds(sizes, shown, K).items():
        if group in plan.small:
            assert high > low, f"{group} ({sizes[group]} people) pinned by {sizes}"


@settings(max_examples=200, deadline=None)
@given(group_sizes, st.integers(min_value=0, max_value=2**31 - 1))
def test_disclosed_table_shows_no_small_label_and_blanks_every_hidden_figure(
    sizes: dict[str, int], seed: int
) -> None:
    rng = np.random.default_rng(seed)
    labels = list(sizes)
    counts = [int(rng.integers(0, n + 1)) for n in sizes.values()]
    table = pd.DataFrame(
        {
            "group": labels,
            "size": list(sizes.values()),
            "covered": counts,
            "share": [c / n for c, n in zip(counts, sizes.values(), strict=True)],
        }
    )
    out = disclose_groups(table, min_group=K)
    plan = suppression_plan(sizes, min_group=K)
    assert set(out["group"]) & plan.small == set()
    assert (OTHER_GROUPS in set(out["group"])) == bool(plan.small)
    hidden_rows = out["group"].isin(plan.protecting | {OTHER_GROUPS})
    assert out.loc[hidden_rows, ["size", "covered", "share"]].isna().all().all()
    assert out.loc[hidden_rows, "suppressed"].all()
    shown = out.loc[~hidden_rows].set_index("group")
    for label in shown.index:
        assert shown.loc[label, "size"] == sizes[label]
    # the hidden set is never a single group: a total minus the shown rows is a sum over
    # two or more groups, never one group's count
    if plan.small:
        assert len(plan.hidden) >= 2 or not shown.size


def test_protecting_group_is_the_smallest_other_group() -> None:
    plan = suppression_plan({"A": 40, "B": 12, "C": 9, "D": 3}, min_group=K)
    assert plan.small == {"D"} and plan.protecting == {"C"}


def test_means_over_fewer_than_k_people_are_blank() -> None:
    table = pd.DataFrame(
        {"group": ["A", "B"], "size": [30, 20], "reachable": [30, 3], "mean_hops": [2.0, 1.5]}
    )
    out = disclose_groups(table, min_group=K, denominators={"mean_hops": "reachable"})
    assert out["mean_hops"].tolist()[0] == 2.0 and pd.isna(out["mean_hops"].tolist()[1])


def test_matrix_pools_small_groups_and_blanks_protecting_ones() -> None:
    labels = ["A", "B", "C", "D"]
    matrix = pd.DataFrame(np.arange(16.0).reshape(4, 4), index=labels, columns=labels)
    plan = suppression_plan({"A": 40, "B": 12, "C": 9, "D": 3}, min_group=K)
    out = disclose_matrix(matrix, plan)
    assert "D" not in out.index and "D" not in out.columns
    assert out.loc["C"].isna().all() and out["C"].isna().all()
    assert out.loc[OTHER_GROUPS].isna().all() and out[OTHER_GROUPS].isna().all()
    assert out.loc["A", "B"] == matrix.loc["A", "B"]


def test_gap_is_over_shown_groups_only() -> None:
    table = pd.DataFrame(
        {
            "group": ["A", "B", "C", OTHER_GROUPS],
            "share": [0.9, 0.5, None, None],
            "suppressed": [False, False, True, True],
        }
    )
    assert disclosed_gap(table, "share") == pytest.approx({"gap": 0.4, "best": "A", "worst": "B"})
    assert disclosed_gap(table.iloc[[0, 2, 3]], "share")["gap"] is None


def test_already_suppressed_rows_stay_hidden_and_unlabelled() -> None:
    # a metric's own table (labels kept, figures blank) becomes unlabelled here
    table = pd.DataFrame(
        {
            "group": ["A", "B", "Tiny"],
            "size": pd.array([30, 20, None], dtype="Int64"),
            "share": [0.5, 0.4, None],
            "suppressed": [False, False, True],
        }
    )
    out = disclose_groups(table, min_group=K)
    assert "Tiny" not in set(out["group"]) and OTHER_GROUPS in set(out["group"])
