"""The ``store`` fixture: one fresh, empty store per test, for every store implementation.

Add a store by adding a param here (the Neo4j store joins as ``pytest.param("neo4j",
marks=pytest.mark.neo4j)``) and a branch in :func:`store` that yields it empty.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from orgbridge.graph._store import Store
from orgbridge.graph._workspace import Workspace


@pytest.fixture(params=["duckdb", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store of the kind named by the param, closed after the test."""
    if request.param == "duckdb":
        opened: Store = Workspace.open(tmp_path / "workspace")
    elif request.param == "neo4j":
        from tests.neo4j_support import connect, empty_database

        neo4j_store = connect()
        empty_database(neo4j_store)
        opened = neo4j_store
    else:  # pragma: no cover - a param without a branch is a mistake in this file
        raise ValueError(f"no store fixture for {request.param!r}")
    try:
        yield opened
    finally:
        opened.close()
