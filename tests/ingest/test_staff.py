"""Staff files: header mapping, mapping files, levels, leader rules and manager validation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from orgbridge.errors import IngestError, ParameterError
from orgbridge.ingest import (
    ColumnMapping,
    find_manager_cycles,
    parse_staff,
    read_mapping,
    read_staff,
)


def table(**columns: list[str | None]) -> pd.DataFrame:
    return pd.DataFrame(columns, dtype="str")


def where(parsed: object) -> list[tuple[int | None, str | None, str, str]]:
    report = parsed.report  # type: ignore[attr-defined]
    return [(p.row, p.column, p.severity, p.message) for p in report.problems]


@pytest.mark.parametrize(
    ("header", "canonical"),
    [
        ("EmployeeID", "person_id"),
        ("Employee ID", "person_id"),
        ("EmpID", "person_id"),
        ("Worker ID", "person_id"),
        ("PersonId", "person_id"),
        ("employee_id", "person_id"),
        ("Manager ID", "manager_id"),
        ("ManagerID", "manager_id"),
        ("Supervisor ID", "manager_id"),
        ("Reports To", "manager_id"),
        ("Dept", "department"),
        ("Department Name", "department"),
        ("Team", "department"),
        ("Grade", "level"),
        ("Job Level", "level"),
        ("Band", "level"),
        ("Full Name", "name"),
        ("Employee Name", "name"),
        ("Office", "location"),
        ("Site", "location"),
        ("City", "location"),
        ("Hire Date", "start_date"),
        ("Start Date", "start_date"),
        ("Division", "division"),
        ("Business Unit", "division"),
        ("Organization", "division"),
    ],
)
def test_common_headers_are_mapped(header: str, canonical: str) -> None:
    base = {"person_id": ["a", "b"]} if canonical != "person_id" else {}
    values = ["a", "2024-01-02"] if canonical == "start_date" else ["a", "x"]
    if canonical == "level":
        values = ["3", "4"]
    frame = table(**base, **{header: values})
    people = parse_staff(frame, file="s.csv").people
    assert canonical in people.columns
    assert header not in people.columns


def test_canonical_columns_first_and_extras_kept() -> None:
    frame = table(**{"Shoe Size": ["40", "41"], "EmpID": ["a", "b"], "Dept": ["X", "Y"]})
    people = parse_staff(frame, file="s.csv").people
    assert list(people.columns) == [
        "person_id",
        "name",
        "department",
        "division",
        "level",
        "manager_id",
        "location",
        "start_date",
        "is_leader",
        "opt_in",
        "capacity",
        "Shoe Size",
    ]
    assert people["Shoe Size"].tolist() == ["40", "41"]


def test_missing_person_id_column_is_a_file_error() -> None:
    with pytest.raises(IngestError, match="no person id column") as caught:
        parse_staff(table(Dept=["a"]), file="s.csv")
    assert (caught.value.file, caught.value.row) == ("s.csv", 1)


def test_duplicate_and_empty_ids_are_rejected_naming_the_first_row() -> None:
    frame = table(person_id=["a", "b", "a", None, "a"])
    parsed = parse_staff(frame, file="staff.csv")
    assert parsed.people["person_id"].tolist() == ["a", "b"]
    errors = [(p.row, p.column, p.message) for p in parsed.report.problems if p.severity == "error"]
    assert errors == [
        (4, "person_id", "'a' appears again (first in row 2); this row was left out"),
        (5, "person_id", "is empty; this row was left out"),
        (6, "person_id", "'a' appears again (first in row 2); this row was left out"),
    ]
    assert (parsed.report.rows_in, parsed.report.rows_loaded, parsed.report.rows_rejected) == (
        5,
        2,
        3,
    )


def test_unknown_manager_is_cleared_with_a_warning() -> None:
    frame = table(person_id=["a", "b"], manager_id=[None, "E204"])
    parsed = parse_staff(frame, file="staff.csv")
    assert parsed.people["manager_id"].isna().all()
    [problem] = parsed.report.problems[1:]  # the first is the no-leader warning
    assert str(problem) == (
        "staff.csv row 3, column manager_id: 'E204' is not a known person;"
        " the manager was left empty"
    )
    assert problem.severity == "warning"
    assert parsed.report.rows_loaded == 2


def test_manager_cycle_is_reported_for_everyone_and_broken_at_the_last_row() -> None:
    # a -> b -> c -> a is a cycle; d reports into it; e manages itself.
    frame = table(person_id=["a", "b", "c", "d", "e"], manager_id=["b", "c", "a", "a", "e"])
    parsed = parse_staff(frame, file="staff.csv", leader_rule=None)
    cycle = [(r, c, m) for r, c, s, m in where(parsed) if "cycle" in m]
    assert [r for r, _, _ in cycle] == [2, 3, 4, 6]
    assert all(c == "manager_id" for _, c, _ in cycle)
    assert cycle[0][2] == "'a' is in a manager cycle a -> b -> c -> a"
    assert cycle[2][2] == (
        "'c' is in a manager cycle a -> b -> c -> a; its manager 'a' was cleared to break the cycle"
    )
    assert cycle[3][2].endswith("e -> e; its manager 'e' was cleared to break the cycle")
    assert parsed.people["manager_id"].tolist()[:4] == ["b", "c", None, "a"] or (
        parsed.people["manager_id"].isna().tolist() == [False, False, True, False, True]
    )
    assert parsed.people["manager_id"].isna().tolist() == [False, False, True, False, True]


def test_find_manager_cycles_on_a_long_chain_and_two_cycles() -> None:
    n = 10_000
    chain = np.arange(1, n + 1)
    chain[-1] = -1
    assert find_manager_cycles(chain) == []
    chain[-1] = 5000
    [cycle] = find_manager_cycles(chain)
    assert sorted(cycle) == list(range(5000, n))


def test_level_order_gives_rank_and_label() -> None:
    frame = table(person_id=["a", "b", "c", "d"], Grade=["VP", "associate", "Director", "Intern"])
    order = ["Associate", "Manager", "Director", "VP"]
    parsed = parse_staff(frame, file="s.csv", level_order=order, leader_rule="level>=Director")
    people = parsed.people
    assert people["level"].tolist()[:3] == [4, 1, 3]
    assert people["level"].isna().tolist() == [False, False, False, True]
    assert people["level_label"].tolist() == ["VP", "associate", "Director", "Intern"]
    assert people["is_leader"].tolist() == [True, False, True, False]
    [warning] = [p for p in parsed.report.problems if p.column == "level"]
    assert (warning.row, warning.severity) == (5, "warning")
    assert "'Intern' is not in level_order" in warning.message


def test_level_labels_without_order_are_kept_as_labels() -> None:
    parsed = parse_staff(table(person_id=["a", "b"], level=["Senior", "Junior"]), file="s.csv")
    assert parsed.people["level"].isna().all()
    assert parsed.people["level_label"].tolist() == ["Senior", "Junior"]
    assert any("level_order" in p.message for p in parsed.report.problems)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("level>=7", [True, False, True, False]),
        ("level > 7", [True, False, False, False]),
        ("level<=3", [False, True, False, False]),
        ("level<7", [False, True, False, False]),
        ("level==7", [False, False, True, False]),
        ("level!=7", [True, True, False, False]),
        ("department==executive", [True, False, False, False]),
        ("department != Executive", [False, True, True, False]),
    ],
)
def test_leader_rules(rule: str, expected: list[bool]) -> None:
    frame = table(
        person_id=list("abcd"),
        level=["9", "3", "7", None],
        department=["Executive", "Ops", "Ops", None],
    )
    people = parse_staff(frame, file="s.csv", leader_rule=rule).people
    assert people["is_leader"].tolist() == expected


@pytest.mark.parametrize(
    "rule", ["level>>7", "", "__import__('os')", "department>Ops", "height>=3", "level>=tall"]
)
def test_bad_leader_rules_raise_parameter_error(rule: str) -> None:
    frame = table(person_id=["a"], level=["3"], department=["Ops"])
    with pytest.raises(ParameterError):
        parse_staff(frame, file="s.csv", leader_rule=rule)


def test_is_leader_column_wins_over_a_rule() -> None:
    frame = table(person_id=["a", "b"], level=["9", "1"], is_leader=["no", "yes"])
    parsed = parse_staff(frame, file="s.csv", leader_rule="level>=7")
    assert parsed.people["is_leader"].tolist() == [False, True]
    assert any("was not used" in p.message for p in parsed.report.problems)


def test_booleans_capacity_and_bad_cells_are_cleared_with_warnings() -> None:
    frame = table(
        person_id=list("abcdefgh"),
        opt_in=["true", "False", "YES", "n", "Y", "1", "0", "perhaps"],
        capacity=["2", "0", "-1", "1.5", "x", None, "3", "1"],
    )
    parsed = parse_staff(frame, file="s.csv")
    people = parsed.people
    assert people["opt_in"].tolist()[:7] == [True, False, True, False, True, True, False]
    assert pd.isna(people["opt_in"].iloc[7])
    assert people["capacity"].tolist()[:2] == [2, 0]
    assert people["capacity"].isna().tolist() == [
        False,
        False,
        True,
        True,
        True,
        True,
        False,
        False,
    ]
    cells = [(p.row, p.column) for p in parsed.report.problems if p.row is not None]
    assert cells == [(4, "capacity"), (5, "capacity"), (6, "capacity"), (9, "opt_in")]
    assert parsed.report.rows_loaded == 8


def test_dates_say_which_order_was_assumed() -> None:
    frame = table(
        person_id=list("abcd"),
        **{"Hire Date": ["2024-03-31", "31/03/2024", "04/05/2023", "31/31/2020"]},
    )
    parsed = parse_staff(frame, file="s.csv")
    days = [d.date().isoformat() if pd.notna(d) else None for d in parsed.people["start_date"]]
    assert days == ["2024-03-31", "2024-03-31", "2023-05-04", None]
    notes = [p.message for p in parsed.report.problems if p.row is None]
    assert "dates like 31/03/2024 were read day first (dd/mm/yyyy)" in notes
    [bad] = [p for p in parsed.report.problems if p.row is not None]
    assert (bad.row, bad.column, bad.severity) == (5, "start_date", "warning")

    us = parse_staff(
        table(person_id=["a", "b"], start_date=["12/25/2024", "01/02/2024"]), file="s.csv"
    )
    assert us.people["start_date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-12-25", "2024-01-02"]
    assert any("month first" in p.message for p in us.report.problems)


def test_json_mapping_file(tmp_path: Path) -> None:
    mapping = {
        "columns": {"Wrk #": "person_id", "Boss": "manager_id", "Rank": "level"},
        "level_order": ["Associate", "Manager", "VP"],
        "special_category": ["gender"],
        "leader_rule": "level>=3",
    }
    (tmp_path / "map.json").write_text(json.dumps(mapping))
    (tmp_path / "staff.csv").write_text(
        "Wrk #,Boss,Rank,Gender\nw1,,VP,f\nw2,w1,Manager,m\nw3,w2,Associate,f\n"
    )
    parsed = read_staff(tmp_path / "staff.csv", mapping=read_mapping(tmp_path / "map.json"))
    people = parsed.people
    assert people["person_id"].tolist() == ["w1", "w2", "w3"]
    assert people["manager_id"].tolist()[1:] == ["w1", "w2"]
    assert people["level"].tolist() == [3, 2, 1]
    assert people["is_leader"].tolist() == [True, False, False]
    assert parsed.special == ("Gender",)  # the declared name, matched to the file's header
    assert parsed.leader_rule == "level>=3"
    assert not any("special-category" in p.message for p in parsed.report.problems)


def test_known_special_category_columns_are_special_by_default() -> None:
    parsed = parse_staff(
        pd.DataFrame({"person_id": ["a", "b"], "Ethnicity": ["x", "y"], "team": ["t", "t"]}),
        file="s.csv",
    )
    assert parsed.special == ("Ethnicity",)
    warning = next(p for p in parsed.report.problems if p.column == "Ethnicity")
    assert warning.severity == "warning" and "never exported" in warning.message


def test_csv_mapping_file(tmp_path: Path) -> None:
    (tmp_path / "map.csv").write_text("source,target\nWrk #,person_id\nUnit,department\n")
    mapping = read_mapping(tmp_path / "map.csv")
    assert mapping == ColumnMapping(columns={"Wrk #": "person_id", "Unit": "department"})
    people = parse_staff(
        table(**{"Wrk #": ["a"], "Unit": ["X"]}), file="s.csv", mapping=mapping
    ).people
    assert people[["person_id", "department"]].values.tolist() == [["a", "X"]]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not valid JSON"),
        ("[]", "must be a JSON object"),
        ('{"columns": ["a"]}', '"columns" must be an object'),
        ('{"level_order": "VP"}', '"level_order" must be a list of strings'),
        ('{"colums": {}}', "unknown key"),
    ],
)
def test_bad_mapping_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "map.json"
    path.write_text(content)
    with pytest.raises(IngestError, match=message):
        read_mapping(path)


def test_alias_does_not_steal_an_existing_canonical_column() -> None:
    frame = table(person_id=["a"], **{"Employee ID": ["E1"]})
    parsed = parse_staff(frame, file="s.csv")
    assert parsed.people["person_id"].tolist() == ["a"]
    assert parsed.people["Employee ID"].tolist() == ["E1"]
    assert any(
        "'Employee ID' was not used as person_id" in p.message for p in parsed.report.problems
    )
