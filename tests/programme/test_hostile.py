"""Hostile and odd cells: every row is loaded or rejected, nothing else escapes."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from orgbridge.programme import parse_checkins, parse_enrolment, parse_goals, parse_meetings

odd = st.one_of(
    st.none(),
    st.text(max_size=8),
    st.sampled_from(
        ["", " ", "=1+1", "-1", "0", "6", "3.5", "nan", "1e999", "31/02/2024", "2026-02-30",
         "3/4/2026 10:15:22", "yes", "maybe", "C1:a:b", "a", "b", "either", "MENTOR"]
    ),
)  # fmt: skip


def tables(columns: list[str]) -> st.SearchStrategy[pd.DataFrame]:
    rows = st.lists(st.tuples(*[odd for _ in columns]), min_size=1, max_size=12)
    return rows.map(lambda r: pd.DataFrame(r, columns=columns, dtype=object))


MATCHES = pd.DataFrame({"match_id": ["C1:a:b"], "a": ["a"], "b": ["b"]})


@settings(max_examples=60, deadline=None)
@given(tables(["Employee ID", "Role", "Capacity", "Skills offered", "Emerging talent"]))
def test_enrolment_accounts_for_every_row(table: pd.DataFrame) -> None:
    parsed = parse_enrolment(table, file="e.csv", cycle_id="C1", known=["a", "b", "=1+1"])
    report = parsed.report
    assert report.rows_in == len(table) == report.rows_loaded + report.rows_rejected
    assert len(parsed.table) == report.rows_loaded
    rejected_rows = {p.row for p in report.problems if p.severity == "error"}
    assert len(rejected_rows) == report.rows_rejected
    assert parsed.table["person_id"].is_unique
    assert parsed.table["capacity"].between(1, 20).all()


@settings(max_examples=60, deadline=None)
@given(tables(["Timestamp", "Pair ID", "Your ID", "Rating (1-5)", "Duration", "Goal", "Due"]))
def test_form_imports_account_for_every_row(table: pd.DataFrame) -> None:
    for parse in (parse_checkins, parse_meetings, parse_goals):
        parsed = parse(table, file="f.csv", matches=MATCHES)
        report = parsed.report
        assert report.rows_in == report.rows_loaded + report.rows_rejected == len(table)
        rejected_rows = {p.row for p in report.problems if p.severity == "error"}
        assert len(rejected_rows) == report.rows_rejected
    ratings = parse_checkins(table, file="f.csv", matches=MATCHES).table["rating"]
    assert ratings.isin([1, 2, 3, 4, 5]).all()
