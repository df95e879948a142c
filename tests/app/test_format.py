"""Numbers for people: hand-worked cases and properties of the formatter."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orgbridge.app._format import (
    column_kind,
    column_label,
    format_number,
    format_points,
    significant,
)


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        (0.0231, "percent", "2.31%"),
        (0.5, "percent", "50%"),
        (1.0, "percent", "100%"),
        (0.00012, "percent", "0.012%"),
        (0.999, "percent", "99.9%"),
        (0.99996, "percent", "100%"),
        (2090, "count", "2,090"),
        (1234567.4, "count", "1,234,567"),
        (0, "count", "0"),
        (-0.31, "signed", "-0.310"),
        (0.2, "signed", "+0.200"),
        (0.01234, "plain", "0.0123"),
        (123456.7, "plain", "123,000"),
        (12.3456, "plain", "12.3"),
        (-4.5678, "plain", "-4.57"),
        (None, "plain", "n/a"),
        (float("nan"), "percent", "n/a"),
        (float("inf"), "count", "n/a"),
    ],
)
def test_hand_worked_cases(value: float | None, kind: str, expected: str) -> None:
    assert format_number(value, kind) == expected


def test_points_and_labels() -> None:
    assert format_points(0.1234) == "+12.3 points"
    assert format_points(-0.05) == "-5 points"
    assert column_label("Effective_size") == "Effective size"
    assert column_label("group_a") == "Group A"
    assert column_label("share_within_2_hops") == "Within 2 hops"
    assert column_label("some_new_field") == "Some new field"
    assert column_kind("coverage") == "percent" and column_kind("ties") == "count"


def _parse(text: str) -> float:
    return float(text.replace(",", "").rstrip("%"))


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False).filter(lambda v: v != 0))
def test_significant_keeps_three_digits_and_the_value(value: float) -> None:
    """At most 3 significant digits, within half a unit of the third digit of the value."""
    text = significant(value)
    digits = re.sub(r"[^0-9]", "", text).lstrip("0")
    assert len(digits.rstrip("0")) <= 3
    shown = _parse(text)
    unit = 10 ** (math.floor(math.log10(abs(value))) - 2)
    assert abs(shown - value) <= unit / 2 * (1 + 1e-9) + 1e-300


@given(st.floats(min_value=0, max_value=1, allow_nan=False))
def test_shares_are_percentages_between_0_and_100(value: float) -> None:
    text = format_number(value, "percent")
    assert text.endswith("%")
    assert 0 <= _parse(text) <= 100
    assert abs(_parse(text) - 100 * value) <= max(0.005 * 100 * value, 1e-9)


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_counts_are_exact_with_thousands_separators(value: int) -> None:
    text = format_number(value, "count")
    assert int(text.replace(",", "")) == value
    assert re.fullmatch(r"-?\d{1,3}(,\d{3})*", text)
