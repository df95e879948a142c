"""Hypothesis properties: CSV round trips, and fuzzed CSV never escapes as a traceback."""

from __future__ import annotations

import io

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orgbridge.errors import IngestError
from orgbridge.ingest import parse_projects, parse_staff, parse_ties
from orgbridge.ingest._parsed import ParsedPeople, ParsedTies, absorb_raw
from orgbridge.ingest._table import parse_csv_bytes
from tests.strategies import csv_garbage, staff_tables, tie_tables

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def to_csv_bytes(frame: pd.DataFrame, delimiter: str, encoding: str) -> bytes:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, sep=delimiter, date_format="%Y-%m-%d")
    return buffer.getvalue().encode(encoding)


@FAST
@given(
    staff_tables(),
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
)
def test_staff_round_trip(frame: pd.DataFrame, delimiter: str, encoding: str) -> None:
    raw = parse_csv_bytes(to_csv_bytes(frame, delimiter, encoding), file="staff.csv")
    parsed = parse_staff(raw.frame, file="staff.csv")
    absorb_raw(raw, parsed.report)
    people = parsed.people
    assert [p for p in parsed.report.problems if p.severity == "error"] == []
    assert people["person_id"].tolist() == frame["person_id"].tolist()
    assert people["name"].tolist() == frame["name"].tolist()
    assert people["department"].tolist() == frame["department"].tolist()
    assert people["level"].tolist() == frame["level"].tolist()
    assert people["is_leader"].tolist() == frame["is_leader"].tolist()
    assert people["capacity"].tolist() == frame["capacity"].tolist()

    def blank(values: pd.Series) -> list[object]:
        return [None if pd.isna(v) else v for v in values]

    assert blank(people["manager_id"]) == blank(frame["manager_id"])
    assert people["start_date"].dt.date.tolist() == frame["start_date"].tolist()


@FAST
@given(tie_tables(), st.sampled_from([",", ";", "\t"]))
def test_tie_round_trip(frame: pd.DataFrame, delimiter: str) -> None:
    raw = parse_csv_bytes(to_csv_bytes(frame, delimiter, "utf-8"), file="ties.csv")
    parsed = parse_ties(raw.frame, file="ties.csv", layer="collaboration")
    assert parsed.report.problems == []
    ties = parsed.ties
    assert ties["source"].tolist() == frame["source"].tolist()
    assert ties["target"].tolist() == frame["target"].tolist()
    assert ties["weight"].tolist() == frame["weight"].tolist()  # repr round-trips floats
    assert ties["start"].tolist() == frame["start"].tolist()
    assert ties["end"].tolist() == frame["end"].tolist()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(csv_garbage(), st.sampled_from(["staff", "ties", "projects"]))
def test_fuzzed_csv_gives_a_report_or_an_ingest_error(data: bytes, kind: str) -> None:
    try:
        raw = parse_csv_bytes(data, file="f.csv")
        parsed: ParsedPeople | ParsedTies
        if kind == "staff":
            parsed = parse_staff(raw.frame, file="f.csv")
        elif kind == "ties":
            parsed = parse_ties(raw.frame, file="f.csv", layer="x", known=["a", "b"])
        else:
            parsed = parse_projects(raw.frame, file="f.csv")
    except IngestError as exc:
        assert str(exc)
        return
    report = absorb_raw(raw, parsed.report)
    assert report.rows_in == report.rows_loaded + report.rows_rejected
    report.check_balance()
    errors = [p for p in report.problems if p.severity == "error"]
    assert report.rows_rejected >= len({p.row for p in errors if p.row is not None})
    for problem in report.problems:
        assert problem.file == "f.csv" and str(problem).startswith("f.csv")
