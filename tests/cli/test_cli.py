"""The orgbridge command end to end: demo -> validate -> ingest -> summary/analyze/export."""

from __future__ import annotations

import json
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
