"""Tie files: validation rules with their exact row and column, pairs, sponsorships, projects."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from orgbridge.errors import IngestError
from orgbridge.ingest import (
    newman_pairs,
    parse_pairs,
    parse_projects,
    parse_sponsorships,
    parse_ties,
    read_projects,
    read_ties,
)


def table(**columns: list[str | None]) -> pd.DataFrame:
    return pd.DataFrame(columns, dtype="str")


def test_every_tie_rule_names_file_row_and_column() -> None:
    frame = table(
        source=["a", None, "c", "d", "e", "f", "g", "h", "i"],
        target=["b", "b", "c", "x", "a", "a", "a", "a", "a"],
        weight=["1.5", "1", "1", "1", "-2", "heavy", None, "1", "1"],
        start=[None, None, None, None, None, None, "2024-13-45", "2024-05-01", None],
        end=[None, None, None, None, None, None, None, "2024-04-01", None],
    )
    known = list("abcdefghi")
    parsed = parse_ties(frame, file="ties.csv", layer="advice", known=known)
    assert [str(p) for p in parsed.report.problems] == [
        "ties.csv row 3, column source: is empty",
        "ties.csv row 4, column target: 'c' is the source too (a tie to oneself)",
        "ties.csv row 5, column target: 'x' is not a known person",
        "ties.csv row 6, column weight: '-2' is negative",
        "ties.csv row 7, column weight: 'heavy' is not a number",
        "ties.csv row 8, column start: '2024-13-45' is not a date (use YYYY-MM-DD)",
        "ties.csv row 9, column end: '2024-04-01' is before the start date",
    ]
    assert all(p.severity == "error" for p in parsed.report.problems)
    ties = parsed.ties
    assert ties.index.tolist() == [2, 10]
    assert ties[["source", "target", "layer", "weight"]].values.tolist() == [
        ["a", "b", "advice", 1.5],
        ["i", "a", "advice", 1.0],
    ]
    report = parsed.report
    assert (report.rows_in, report.rows_loaded, report.rows_rejected) == (9, 2, 7)


def test_a_row_with_two_problems_is_rejected_once() -> None:
    parsed = parse_ties(
        table(source=["a"], target=["zz"], weight=["-1"]), file="t.csv", layer="x", known=["a"]
    )
    assert len(parsed.report.problems) == 2
    assert (parsed.report.rows_loaded, parsed.report.rows_rejected) == (0, 1)


def test_missing_columns_are_a_file_error() -> None:
    with pytest.raises(IngestError, match="missing column"):
        parse_ties(table(source=["a"]), file="t.csv", layer="x")


def test_pairs_accept_each_header_style() -> None:
    for a, b in (("person_a", "person_b"), ("mentor_id", "mentee_id"), ("source", "target")):
        frame = table(
            **{
                a: ["m"],
                b: ["n"],
                "Program": ["RM 2024"],
                "start": ["2024-01-01"],
                "end": ["2024-12-31"],
            }
        )
        ties = parse_pairs(frame, file="pairs.csv").ties
        assert ties[["source", "target", "layer", "programme"]].values.tolist() == [
            ["m", "n", "mentoring", "RM 2024"]
        ]
        assert ties["start"].iloc[0] == pd.Timestamp("2024-01-01")
        assert ties["end"].iloc[0] == pd.Timestamp("2024-12-31")


def test_sponsorships_accept_each_header_style() -> None:
    for a, b in (("sponsor_id", "protege_id"), ("leader_id", "protégé_id"), ("source", "target")):
        ties = parse_sponsorships(table(**{a: ["L"], b: ["p"]}), file="s.csv").ties
        assert ties[["source", "target", "layer"]].values.tolist() == [["L", "p", "sponsorship"]]


def test_newman_weights_on_two_projects_by_hand() -> None:
    # P1 = {a, b, c}: each pair gets 1/(3-1) = 0.5. P2 = {a, b}: 1/(2-1) = 1.
    # So a-b = 1.5, a-c = 0.5, b-c = 0.5.
    frame = table(project_id=["P1", "P1", "P1", "P2", "P2"], person_id=["c", "a", "b", "b", "a"])
    parsed = parse_projects(frame, file="projects.csv")
    ties = parsed.ties
    assert ties[["source", "target", "layer", "weight"]].values.tolist() == [
        ["a", "b", "collaboration", 1.5],
        ["a", "c", "collaboration", 0.5],
        ["b", "c", "collaboration", 0.5],
    ]
    assert parsed.report.rows_loaded == 5


def test_projects_one_member_duplicates_unknown_people_and_dates() -> None:
    frame = table(
        project_id=["P", "P", "P", "Solo", "P", None],
        person_id=["a", "b", "a", "c", "zz", "b"],
        start=["2024-01-01", "2024-03-01", "2024-01-01", None, None, None],
        end=["2024-06-30", None, "2024-06-30", None, None, None],
    )
    parsed = parse_projects(frame, file="projects.csv", known=["a", "b", "c"])
    assert [(p.row, p.column, p.severity) for p in parsed.report.problems] == [
        (4, "person_id", "warning"),  # a listed twice in P
        (5, "project_id", "warning"),  # Solo has one member
        (6, "person_id", "error"),  # zz unknown
        (7, "project_id", "error"),  # empty project
    ]
    assert "one member, so it adds no tie" in parsed.report.problems[1].message
    [tie] = parsed.ties.to_dict("records")
    assert (tie["source"], tie["target"], tie["weight"]) == ("a", "b", 1.0)
    assert tie["start"] == pd.Timestamp("2024-03-01")  # both on the project from then
    assert pd.isna(tie["end"])  # b's membership is open-ended
    report = parsed.report
    assert (report.rows_in, report.rows_loaded, report.rows_rejected) == (6, 4, 2)


def test_newman_pairs_on_a_large_project_is_vectorised_and_exact() -> None:
    members = pd.DataFrame(
        {
            "project_id": ["big"] * 300 + ["small"] * 2,
            "person_id": [f"p{i:03d}" for i in range(300)] + ["p000", "p001"],
        }
    )
    ties = newman_pairs(members)
    assert len(ties) == 300 * 299 // 2
    assert ties["weight"].sum() == pytest.approx(300 * 299 / 2 / 299 + 1)
    top = ties.loc[(ties["source"] == "p000") & (ties["target"] == "p001"), "weight"]
    assert top.tolist() == [pytest.approx(1 / 299 + 1)]
    assert (ties["source"] < ties["target"]).all()


def test_read_projects_and_ties_from_files(tmp_path: Path) -> None:
    (tmp_path / "projects.csv").write_text("Project,Employee ID,Role\nX,a,lead\nX,b,\n")
    ties = read_projects(tmp_path / "projects.csv").ties
    assert ties[["source", "target", "weight"]].values.tolist() == [["a", "b", 1.0]]
    (tmp_path / "t.tsv").write_text("from\tto\tvalue\na\tb\t3\n")
    parsed = read_ties(tmp_path / "t.tsv", layer="email")
    assert parsed.ties[["source", "target", "layer", "weight"]].values.tolist() == [
        ["a", "b", "email", 3.0]
    ]
