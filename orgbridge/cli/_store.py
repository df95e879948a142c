"""Where a command reads and writes: a DuckDB workspace folder or a Neo4j URI."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from orgbridge.errors import ParameterError
from orgbridge.graph import Store

__all__ = ["add_store_arguments", "open_store", "store_label"]


def add_store_arguments(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    """Add ``--workspace DIR`` and ``--store URI`` (one of them is needed)."""
    parser.add_argument("--workspace", metavar="DIR", help="embedded workspace folder (DuckDB)")
    parser.add_argument(
        "--store",
        metavar="URI",
        help="a Neo4j server, e.g. neo4j://127.0.0.1:7687; credentials come from "
        "ORGBRIDGE_NEO4J_USER/ORGBRIDGE_NEO4J_PASSWORD or --credentials FILE",
    )
    parser.add_argument(
        "--credentials",
        metavar="FILE",
        help='JSON file {"user": ..., "password": ...} for --store (never pass a password inline)',
    )
    parser.set_defaults(_store_required=required)


def store_label(args: argparse.Namespace) -> str:
    """A human name for the chosen store."""
    return str(args.store or args.workspace)


def _credentials(args: argparse.Namespace) -> tuple[str, str]:
    user = os.environ.get("ORGBRIDGE_NEO4J_USER", "neo4j")
    password = os.environ.get("ORGBRIDGE_NEO4J_PASSWORD")
    if args.credentials:
        data: dict[str, Any] = json.loads(Path(args.credentials).read_text(encoding="utf-8"))
        user = str(data.get("user", user))
        password = str(data["password"]) if "password" in data else password
    if password is None:
        raise ParameterError(
            "no Neo4j password: set ORGBRIDGE_NEO4J_PASSWORD or pass --credentials FILE"
        )
    return user, password


def open_store(args: argparse.Namespace) -> Store:
    """Open the store the arguments name.

    Raises
    ------
    ParameterError
        Neither or both of --workspace and --store were given.
    """
    if bool(args.workspace) == bool(args.store):
        raise ParameterError("give exactly one of --workspace DIR or --store URI")
    if args.store:
        from orgbridge.graph import Neo4jStore

        user, password = _credentials(args)
        return Neo4jStore.connect(args.store, user=user, password=password)
    from orgbridge.graph import Workspace

    return Workspace.open(args.workspace)
