"""The privacy threshold: never below 5, small groups blanked and labelled, never dropped."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orgbridge.errors import ParameterError, PrivacyError
from orgbridge.metrics._privacy import (
    check_min_group,
    suppress_small_cells,
    suppress_small_groups,
)


@pytest.mark.parametrize("k", [5, 6, 100, np.int64(7)])
def test_allowed_thresholds(k: int) -> None:
    assert check_min_group(k) == k


@pytest.mark.parametrize("k", [4, 1, 0, -5])
def test_thresholds_below_five_are_refused(k: int) -> None:
    with pytest.raises(PrivacyError, match="the privacy threshold cannot be below 5"):
        check_min_group(k)


@pytest.mark.parametrize("k", [5.5, "5", True, None])
def test_threshold_must_be_a_whole_number(k: object) -> None:
    with pytest.raises(PrivacyError):
        check_min_group(k)  # type: ignore[arg-type]
    assert issubclass(PrivacyError, ParameterError)


def group_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "group": ["A", "B", "C"],
            "size": [12, 4, 5],
            "ties": [30, 2, 9],
            "share": [0.25, 1.0, 0.6],
            "flag": [True, False, True],
            "top": ["x", "y", "z"],
        }
    )


def test_small_groups_are_blanked_and_labelled() -> None:
    out = suppress_small_groups(group_table())
    assert out["group"].tolist() == ["A", "B", "C"]
    assert out["suppressed"].tolist() == [False, True, False]
    assert out["note"].isna().tolist() == [True, False, True]
    assert out.loc[1, "note"] == "fewer than 5 people"
    for column in ("size", "ties", "share", "flag", "top"):
        assert out[column].isna().tolist() == [False, True, False], column
    assert out["ties"].tolist()[0] == 30 and out["share"].tolist()[2] == 0.6
    assert str(out["size"].dtype) == "Int64" and str(out["flag"].dtype) == "boolean"


def test_label_follows_the_threshold() -> None:
    out = suppress_small_groups(group_table(), min_group=10)
    assert out["suppressed"].tolist() == [False, True, True]
    assert out.loc[2, "note"] == "fewer than 10 people"


def test_only_named_value_columns_are_blanked() -> None:
    out = suppress_small_groups(group_table(), value_columns=["share"])
    assert pd.isna(out.loc[1, "share"]) and pd.isna(out.loc[1, "size"])
    assert out.loc[1, "ties"] == 2


def test_schema_does_not_depend_on_the_data() -> None:
    none_small = suppress_small_groups(group_table(), min_group=5).dtypes
    all_small = suppress_small_groups(group_table(), min_group=50).dtypes
    pd.testing.assert_series_equal(none_small, all_small)


def test_suppressing_twice_changes_nothing() -> None:
    once = suppress_small_groups(group_table())
    twice = suppress_small_groups(once)
    pd.testing.assert_frame_equal(once, twice)


def test_suppression_refuses_a_low_threshold() -> None:
    with pytest.raises(PrivacyError):
        suppress_small_groups(group_table(), min_group=3)
    with pytest.raises(PrivacyError):
        suppress_small_cells(pd.DataFrame(), pd.Series(dtype=float), min_group=2)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(0, 40), min_size=0, max_size=25),
    st.integers(5, 30),
)
def test_suppression_never_drops_a_group(sizes: list[int], k: int) -> None:
    table = pd.DataFrame(
        {
            "group": [f"g{i}" for i in range(len(sizes))],
            "size": pd.Series(sizes, dtype="int64"),
            "value": np.arange(len(sizes), dtype=float),
        }
    )
    out = suppress_small_groups(table, min_group=k)
    assert out["group"].tolist() == table["group"].tolist()
    small = np.array(sizes, dtype=int) < k
    assert out["suppressed"].to_numpy(dtype=bool).tolist() == small.tolist()
    assert out["value"].isna().to_numpy().tolist() == small.tolist()
    assert out["size"].isna().to_numpy().tolist() == small.tolist()


def test_matrix_cells_of_small_groups_are_blanked() -> None:
    groups = ["A", "B", "C"]
    matrix = pd.DataFrame(np.arange(9).reshape(3, 3), index=groups, columns=groups)
    out = suppress_small_cells(matrix, pd.Series({"A": 10, "B": 3, "C": 7}))
    assert out.index.tolist() == groups and out.columns.tolist() == groups
    blank = out.isna().to_numpy()
    assert blank.tolist() == [
        [False, True, False],
        [True, True, True],
        [False, True, False],
    ]
    assert out.loc["C", "A"] == 6.0
