"""Programme state written through the operations reads back equal from the real Neo4j server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from orgbridge.graph._neo4j import Neo4jStore
from orgbridge.graph._workspace import Workspace
from orgbridge.programme import decide, ensure_cycle, load_stored, record_proposals, undo_last
from orgbridge.programme._operations import close_cycle, start_cycle
from tests.neo4j_support import connect, empty_database
from tests.programme.test_operations import _people, _proposals

pytestmark = pytest.mark.neo4j


@pytest.fixture
def server() -> Iterator[Neo4jStore]:
    opened = connect()
    empty_database(opened)
    try:
        yield opened
    finally:
        opened.close()


def _run(store: object) -> None:
    graph = _people()
    _, cycle = ensure_cycle(store, "pair", at="2026-01-05")
    record_proposals(
        store, "r1", _proposals(("P0", "P1"), ("P2", "P3"), ("P4", "P5")),
        kind="pair", by="ana", at="2026-01-05",
    )  # fmt: skip
    decide(store, graph, [("P0", "P1"), ("P2", "P3")], kind="pair", decision="approve",
           by="ana", at="2026-01-06", note="fits")  # fmt: skip
    decide(store, graph, [("P4", "P5")], kind="pair", decision="decline", by="ana",
           at="2026-01-06")  # fmt: skip
    undo_last(store, by="ana", at="2026-01-07")
    start_cycle(store, cycle, by="ana", at="2026-01-07")
    close_cycle(store, cycle, by="ana", at="2026-12-31")


def test_programme_state_through_operations_reads_back_equal(
    server: Neo4jStore, tmp_path: Path
) -> None:
    server.save_graph(_people())
    _run(server)
    with Workspace.open(tmp_path) as ws:
        ws.save_graph(_people())
        _run(ws)
        expected = load_stored(ws).state
    got = load_stored(server).state
    for name, table in expected.tables().items():
        pd.testing.assert_frame_equal(got.tables()[name], table, check_like=False)
    assert sorted(got.matches["status"]) == ["completed", "completed", "proposed"]


def test_the_programme_command_line_runs_on_neo4j(
    server: Neo4jStore, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from orgbridge.cli import main
    from tests.neo4j_support import credentials

    creds = credentials()
    monkeypatch.setenv("ORGBRIDGE_NEO4J_USER", creds["user"])
    monkeypatch.setenv("ORGBRIDGE_NEO4J_PASSWORD", creds["password"])
    server.save_graph(_people())
    uri = ["--store", creds["uri"]]
    assert main(["programme", "create", "--id", "RM", "--name", "RM", "--cycle", "C1",
                 "--start", "2026-02-01", "--end", "2026-12-31", *uri]) == 0  # fmt: skip
    record_proposals(server, "r1", _proposals(("P0", "P1")), kind="pair", by="ana",
                     at="2026-01-05")  # fmt: skip
    assert main(["programme", "approve", "--pair", "P1", "P0", "--at", "2026-01-06", *uri]) == 0
    capsys.readouterr()
    assert main(["programme", "matches", "--json", *uri]) == 0
    register = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [(r["match_id"], r["status"], r["decided_by"]) for r in register] == [
        ("C1:P0:P1", "approved", "cli")
    ]
