"""Enrolment, meetings, check-ins and goals imports: every row loaded or rejected with a reason."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from orgbridge.errors import IngestError
from orgbridge.ingest import FileReport, Problem
from orgbridge.programme import (
    PERSONAL_COLUMNS,
    read_checkins,
    read_enrolment,
    read_goals,
    read_meetings,
)

MATCHES = pd.DataFrame({"match_id": ["C1:P1:P2", "C1:P3:P4"], "a": ["P1", "P3"], "b": ["P2", "P4"]})
KNOWN = ["P1", "P2", "P3", "P4", "P5"]


def errors(report: FileReport) -> list[Problem]:
    return [p for p in report.problems if p.severity == "error"]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_enrolment_csv_with_header_variants_and_bad_rows(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "enrol.csv",
        "Employee ID;Role preference;Max pairs;Skills offered;Wants to learn;Goals;"
        "Emerging talent\n"
        "P1;Mentor;2;python; sql;;Find a sponsor;yes\n"  # 8 fields: ragged
        "P1;Mentor;2;python, sql;data;Find a sponsor;yes\n"
        "P2;mentee;;;;;\n"
        "P3;both;0;;;;\n"
        "P9;either;1;;;;\n"
        "P4;coach;1.5;;;;maybe\n"
        "P1;mentee;1;;;;\n"
        ";mentor;1;;;;\n",
    )
    parsed = read_enrolment(path, cycle_id="C1", known=KNOWN)
    report = parsed.report
    assert report.rows_in == 8
    assert report.rows_loaded + report.rows_rejected == report.rows_in
    assert parsed.table["person_id"].tolist() == ["P1", "P2"]
    assert parsed.table["capacity"].tolist() == [2, 1]
    assert parsed.table["role"].tolist() == ["mentor", "mentee"]
    assert parsed.table["emerging_talent"].tolist() == [True, False]
    assert (parsed.table["cycle_id"] == "C1").all()
    messages = {(p.row, p.column) for p in errors(report)}
    assert {
        (2, None), (5, "capacity"), (6, "person_id"), (7, "role"), (7, "capacity"),
        (7, "emerging_talent"), (8, "person_id"), (9, "person_id"),
    } <= messages  # fmt: skip
    assert any("enrolled twice (first at row 3)" in str(p) for p in errors(report))
    assert all(p.file == "enrol.csv" for p in report.problems)


def test_enrolment_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "enrol.xlsx"
    pd.DataFrame(
        {"Person ID": ["P1", "P2"], "Role": ["either", "mentor"], "Capacity": [1, 3],
         "Skills wanted": ["a;b;a", None]}
    ).to_excel(path, index=False)  # fmt: skip
    parsed = read_enrolment(path, cycle_id="C1")
    assert parsed.table["capacity"].tolist() == [1, 3]
    assert parsed.table["skills_wanted"].tolist()[0] == "a;b"
    assert parsed.report.rows_rejected == 0


def test_checkins_as_a_form_tool_exports_them(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "form.csv",
        "Timestamp,Pair ID,Your ID,Rating (1-5),Comments\n"
        "2026-03-04 10:15:22,C1:P1:P2,P1,4,Great chat\n"
        "2026-03-05 09:00:00,C1:P1:P2,P2,0,\n"
        "2026-03-05 09:00:00,C1:P9:P8,P9,3,\n"
        "2026-03-06 11:00:00,C1:P3:P4,P1,3,\n"
        "soon,C1:P3:P4,P3,5,\n"
        "2026-03-07 08:00:00,C1:P3:P4,P4,five,\n",
    )
    parsed = read_checkins(path, matches=MATCHES)
    assert parsed.table[["match_id", "person_id", "rating"]].values.tolist() == [
        ["C1:P1:P2", "P1", 4]
    ]
    assert parsed.table["date"].tolist() == [pd.Timestamp("2026-03-04")]
    assert parsed.report.rows_in == 6 == parsed.report.rows_loaded + parsed.report.rows_rejected
    found = {(p.row, p.column) for p in errors(parsed.report)}
    assert found == {(3, "rating"), (4, "match_id"), (5, "person_id"), (6, "submitted_at"),
                     (7, "rating")}  # fmt: skip
    assert "comment" in PERSONAL_COLUMNS


def test_meetings_take_the_timestamp_when_no_date(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "meet.csv",
        "Timestamp,Pair,Meeting date,Duration (minutes)\n"
        "3/4/2026 10:15:22,C1:P1:P2,,45\n"
        "3/4/2026 10:15:22,C1:P1:P2,01/04/2026,\n"
        "3/4/2026 10:15:22,C1:P1:P2,,2000\n",
    )
    parsed = read_meetings(path, matches=MATCHES)
    assert parsed.table["date"].dt.strftime("%Y-%m-%d").tolist() == ["2026-04-03", "2026-04-01"]
    assert parsed.table["minutes"].isna().tolist() == [False, True]
    assert [(p.row, p.column) for p in errors(parsed.report)] == [(4, "minutes")]


def test_goals_and_a_missing_required_column(tmp_path: Path) -> None:
    good = write(
        tmp_path,
        "goals.csv",
        "Pair ID,Goal,Milestone,Due date,Reached on\n"
        "C1:P1:P2,Present to the board,Draft,2026-05-01,2026-04-20\n"
        "C1:P1:P2,Present to the board,Deliver,2026-06-01,\n"
        "C1:P1:P2,,Deliver,2026-06-01,\n"
        "C1:P1:P2,Present,Deliver,June,\n",
    )
    parsed = read_goals(good, matches=MATCHES)
    assert parsed.table["milestone"].tolist() == ["Draft", "Deliver"]
    assert [(p.row, p.column) for p in errors(parsed.report)] == [(4, "goal"), (5, "due")]
    bad = write(tmp_path, "nogoal.csv", "Pair ID,Milestone\nC1:P1:P2,Draft\n")
    with pytest.raises(IngestError, match=r"nogoal\.csv row 1: missing column"):
        read_goals(bad)


def test_a_formula_in_a_comment_is_kept_as_text(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "form.csv",
        "Timestamp,Pair ID,Your ID,Rating (1-5),Comments\n"
        '2026-03-04 10:15:22,C1:P1:P2,P1,4,"=HYPERLINK(""http://x"")"\n',
    )
    parsed = read_checkins(path, matches=MATCHES)
    assert parsed.table["comment"].tolist() == ['=HYPERLINK("http://x")']
