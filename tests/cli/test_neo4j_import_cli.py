"""``orgbridge neo4j-import``: arguments, refusals, and one real import into a second,
stopped Neo4j home (the development server is not touched)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orgbridge.cli import main
from tools.neo4j_server import LocalServer


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("org")
    assert main(["demo", "--people", "60", "--seed", "5", "--out", str(folder)]) == 0
    return folder


def _files(org: Path) -> list[str]:
    return ["--staff", str(org / "staff.csv"), "--pairs", str(org / "pairs.csv")]


def _last_json(capsys: pytest.CaptureFixture[str]) -> dict:  # type: ignore[type-arg]
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_a_folder_without_neo4j_is_an_error(
    org: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["neo4j-import", "--neo4j-home", str(tmp_path), *_files(org), "--json"])
    assert status == 2
    assert "not a Neo4j installation" in _last_json(capsys)["error"]


def test_workspace_and_files_together_are_refused(
    org: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["neo4j-import", "--neo4j-home", str(tmp_path), "--workspace", str(tmp_path)]
    assert main([*argv, *_files(org)]) == 2
    assert "not both" in capsys.readouterr().err


def test_a_refused_import_lists_its_errors_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "staff.csv").write_text("person_id,manager_id\na,\nb,a\n")
    (tmp_path / "pairs.csv").write_text("mentor_id,mentee_id\na,zz\n")
    home = tmp_path / "home"
    (home / "lib").mkdir(parents=True)
    (home / "lib" / "neo4j.jar").write_bytes(b"")
    files = ["--staff", str(tmp_path / "staff.csv"), "--pairs", str(tmp_path / "pairs.csv")]
    assert main(["neo4j-import", "--neo4j-home", str(home), *files, "--strict"]) == 1
    assert "'zz' is not a known person" in capsys.readouterr().out
    assert not (home / "data").exists()


@pytest.mark.neo4j
def test_files_and_a_workspace_import_into_a_stopped_neo4j(
    org: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = LocalServer(tmp_path / "neo4j", port=7698)
    server.lay_out()
    home = ["--neo4j-home", str(server.home), "--neo4j-conf", str(server.conf)]
    temp = tmp_path / "temp"
    temp.mkdir()
    status = main(["neo4j-import", *home, *_files(org), "--temp-dir", str(temp), "--json"])
    shape = _last_json(capsys)
    assert status == 0, shape
    assert shape["people"] == 60 and shape["neo4j_import"]["people"] == 60
    assert shape["neo4j_import"]["ties"] == {"mentoring": shape["ties"]["mentoring"]}
    assert shape["neo4j_import"]["nodes"] == 60 + 2
    assert list(temp.iterdir()) == []
    # the database exists now: without --overwrite it is kept
    assert main(["neo4j-import", *home, *_files(org)]) == 2
    assert "already exists" in capsys.readouterr().err
    workspace = tmp_path / "ws"
    assert main(["ingest", "--workspace", str(workspace), *_files(org), "--json"]) == 0
    capsys.readouterr()
    argv = ["neo4j-import", *home, "--workspace", str(workspace), "--overwrite", "--threads", "1"]
    status = main(argv)
    out = capsys.readouterr().out
    assert status == 0
    assert f"Copied the organisation of {workspace}" in out
    assert "Imported 60 people" in out and "ties/s" in out
