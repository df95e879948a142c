"""Connecting the tests to the local Neo4j server (``make neo4j-start``) and emptying it.

The server is never skipped: a test marked ``neo4j`` that cannot reach it FAILS with a
sentence saying how to start it, because a skipped Neo4j suite is a failed goal.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from orgbridge.errors import StoreUnavailable
from orgbridge.graph._neo4j import Neo4jStore

ROOT = Path(__file__).resolve().parent.parent
CREDENTIALS = ROOT / ".neo4j" / "credentials.json"

__all__ = ["CREDENTIALS", "connect", "credentials", "empty_database"]


def credentials() -> dict[str, str]:
    """URI, user and password: environment first, then ``.neo4j/credentials.json``."""
    stored: dict[str, Any] = {}
    if CREDENTIALS.exists():
        stored = json.loads(CREDENTIALS.read_text(encoding="utf-8"))
    port = os.environ.get("ORGBRIDGE_NEO4J_PORT")
    uri = stored.get("uri", "bolt://127.0.0.1:7687")
    if port:
        uri = f"bolt://127.0.0.1:{port}"
    return {
        "uri": os.environ.get("ORGBRIDGE_NEO4J_URI", uri),
        "user": os.environ.get("ORGBRIDGE_NEO4J_USER", str(stored.get("user", "neo4j"))),
        "password": os.environ.get(
            "ORGBRIDGE_NEO4J_PASSWORD", str(stored.get("password", "orgbridge-dev-pw"))
        ),
    }


def connect(**kwargs: Any) -> Neo4jStore:
    """A store on the test server, or a test failure that says how to start the server."""
    creds = credentials()
    try:
        return Neo4jStore.connect(
            creds["uri"], user=creds["user"], password=creds["password"], **kwargs
        )
    except StoreUnavailable as err:
        pytest.fail(
            f"the Neo4j tests need the local server: run `make neo4j-start` "
            f"(or `.venv/bin/python tools/neo4j_server.py start`) first. {err}",
            pytrace=False,
        )


def empty_database(store: Neo4jStore) -> None:
    """Delete every node and relationship in batches; constraints and indexes stay."""
    store._implicit("MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS")
    store._implicit("MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS OF 20000 ROWS")
    store._prepare()
