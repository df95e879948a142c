"""Programme state written through the operations reads back equal from the real Neo4j server."""

from __future__ import annotations

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
