"""prepare_import: merging, replacing layers, strict mode, file-level errors, progress."""

from __future__ import annotations

from pathlib import Path

import pytest

import orgbridge.ingest as ingest
from orgbridge.errors import ImportRejected
from orgbridge.ingest import ColumnMapping, Sources, prepare_import

STAFF = "EmployeeID,Manager ID,Dept,Grade\na,,Exec,9\nb,a,Ops,5\nc,a,Eng,4\nd,c,Eng,2\n"


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "staff.csv").write_text(STAFF)
    (tmp_path / "projects.csv").write_text("project_id,person_id\nP,b\nP,c\nP,d\nQ,b\nQ,c\n")
    (tmp_path / "pairs.csv").write_text("mentor_id,mentee_id,programme\nb,d,RM\nd,zz,RM\n")
    (tmp_path / "sponsors.csv").write_text("sponsor_id,protege_id\na,d\n")
    (tmp_path / "advice.csv").write_text("source,target,weight\nb,c,2\nc\n")
    return tmp_path


def full(folder: Path, **extra: object) -> Sources:
    return Sources(
        staff=folder / "staff.csv",
        projects=folder / "projects.csv",
        pairs=folder / "pairs.csv",
        sponsorships=folder / "sponsors.csv",
        ties=[(folder / "advice.csv", "advice")],
        leader_rule="level>=7",
        **extra,  # type: ignore[arg-type]
    )


def test_full_import_counts_and_accounting(files: Path) -> None:
    stages: list[tuple[str, int, int]] = []
    prepared = prepare_import(full(files), progress=lambda *a: stages.append(a))
    report = prepared.report
    assert report.people == 4
    assert report.ties == {
        "advice": 1,
        "collaboration": 3,
        "mentoring": 1,
        "reports_to": 3,
        "sponsorship": 1,
    }
    assert [str(p) for p in report.errors] == [
        "pairs.csv row 3, column target: 'zz' is not a known person",
        "advice.csv row 3: has 1 field, expected 3 (source,target,weight)",
    ]
    assert report.rows_in == 4 + 5 + 2 + 1 + 2
    assert report.rows_in == report.rows_loaded + report.rows_rejected
    assert report.rows_rejected == 2
    assert prepared.graph.leader_mask().tolist() == [True, False, False, False]
    weights = prepared.graph.tie_table("collaboration").set_index(["source", "target"])["weight"]
    assert weights.to_dict() == {("b", "c"): 1.5, ("b", "d"): 0.5, ("c", "d"): 0.5}
    assert stages[0] == ("reading staff.csv", 0, 5)
    assert stages[-1] == ("done", 5, 5)
    assert report.to_dict()["rows_in"] == report.rows_in


def test_strict_rejects_with_the_report_attached(files: Path) -> None:
    with pytest.raises(ImportRejected, match=r"^2 error\(s\), so nothing was imported") as caught:
        prepare_import(full(files), strict=True)
    assert len(caught.value.report.errors) == 2  # type: ignore[attr-defined]


def test_reimport_is_idempotent_and_other_layers_are_kept(files: Path) -> None:
    first = prepare_import(full(files)).graph
    again = prepare_import(full(files), existing=first).graph
    assert again.tie_counts() == first.tie_counts()
    only_pairs = prepare_import(Sources(pairs=files / "pairs.csv"), existing=first).graph
    assert only_pairs.tie_counts() == first.tie_counts()
    assert only_pairs.n_people == 4


def test_a_new_roster_drops_ties_of_leavers_with_a_warning(files: Path) -> None:
    first = prepare_import(full(files)).graph
    (files / "staff2.csv").write_text("EmployeeID,Manager ID\na,\nb,a\nc,a\n")
    prepared = prepare_import(
        Sources(staff=files / "staff2.csv"), existing=first, allow_shrink=True
    )
    graph = prepared.graph
    assert graph.n_people == 3
    # b-c advice and b-c collaboration stay; every tie touching d goes.
    assert graph.tie_counts() == {"advice": 1, "collaboration": 1, "reports_to": 2}
    [warning] = [p for p in prepared.report.warnings if "roster" in p.message]
    assert warning.file == "staff2.csv"
    assert warning.message.startswith(
        "4 tie(s) already stored in layer(s) collaboration, mentoring, sponsorship"
    )


def test_ties_may_name_people_only_in_the_existing_graph(files: Path) -> None:
    existing = prepare_import(Sources(staff=files / "staff.csv")).graph
    prepared = prepare_import(Sources(pairs=files / "pairs.csv"), existing=existing)
    assert prepared.graph.tie_counts()["mentoring"] == 1


def test_unreadable_file_is_one_file_error_with_all_rows_rejected(files: Path) -> None:
    (files / "empty.csv").write_text("")
    (files / "wrong.csv").write_text("who,whom\na,b\nc,d\n")
    with pytest.raises(ImportRejected) as caught:
        prepare_import(
            Sources(
                staff=files / "staff.csv",
                ties=[(files / "empty.csv", "x"), (files / "wrong.csv", "y")],
            )
        )
    assert caught.value.reasons == [  # type: ignore[attr-defined]
        "empty.csv could not be read: the file is empty",
        "wrong.csv: none of its 2 rows could be loaded (first: wrong.csv row 1: missing"
        " column(s) source, target (found who, whom))",
    ]
    report = caught.value.report  # type: ignore[attr-defined]
    by_file = {f.file: f for f in report.files}
    assert [str(p) for p in by_file["empty.csv"].problems] == ["empty.csv: the file is empty"]
    wrong = by_file["wrong.csv"]
    assert (wrong.rows_in, wrong.rows_loaded, wrong.rows_rejected) == (2, 0, 2)
    assert wrong.problems[0].row == 1 and "missing column(s) source, target" in str(
        wrong.problems[0]
    )


def test_viva_people_are_added_and_updated_by_id(tmp_path: Path) -> None:
    (tmp_path / "staff.csv").write_text("person_id,department\nu1,HR\nu2,\n")
    (tmp_path / "p2p.csv").write_text(
        "PrimaryCollaborator_PersonId,SecondaryCollaborator_PersonId,"
        "PrimaryCollaborator_Organization,SecondaryCollaborator_Organization,StrongTieScore\n"
        "u1,u2,,Sales,0.5\nu2,u3,Sales,IT,0.25\n"
    )
    graph = prepare_import(
        Sources(staff=tmp_path / "staff.csv", viva_p2p=tmp_path / "p2p.csv")
    ).graph
    people = graph.people.set_index("person_id")
    assert people["department"].to_dict() == {"u1": "HR", "u2": "Sales", "u3": "IT"}
    assert graph.tie_counts() == {"collaboration": 2}


def test_mapping_object_and_file_are_accepted(files: Path, tmp_path: Path) -> None:
    (tmp_path / "odd.csv").write_text("Wrk,Boss\nx,\ny,x\n")
    mapping = ColumnMapping(columns={"Wrk": "person_id", "Boss": "manager_id"})
    graph = prepare_import(Sources(staff=tmp_path / "odd.csv", mapping=mapping)).graph
    assert graph.tie_counts() == {"reports_to": 1}
    (tmp_path / "map.csv").write_text("source,target\nWrk,person_id\nBoss,manager_id\n")
    graph = prepare_import(Sources(staff=tmp_path / "odd.csv", mapping=tmp_path / "map.csv")).graph
    assert graph.tie_counts() == {"reports_to": 1}


def test_public_names_are_pinned() -> None:
    assert sorted(ingest.__all__) == sorted(
        [
            "ColumnMapping",
            "FileReport",
            "ImportReport",
            "LeaderRule",
            "ParsedPeople",
            "ParsedTies",
            "PreparedImport",
            "Problem",
            "RawTable",
            "ReadLimits",
            "Sources",
            "find_manager_cycles",
            "newman_pairs",
            "parse_leader_rule",
            "parse_network",
            "parse_pairs",
            "parse_projects",
            "parse_sponsorships",
            "parse_staff",
            "parse_ties",
            "parse_viva_p2p",
            "prepare_import",
            "read_gexf",
            "read_graphml",
            "read_mapping",
            "read_pairs",
            "read_projects",
            "read_sponsorships",
            "read_staff",
            "read_table",
            "read_ties",
            "read_viva_p2p",
        ]
    )
    for name in ingest.__all__:
        assert getattr(ingest, name) is not None
