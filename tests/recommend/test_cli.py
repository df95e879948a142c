"""The recommend / simulate / decide commands against a real DuckDB workspace."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from orgbridge.cli._recommend import register
from orgbridge.graph._workspace import Workspace
from tests.recommend.strategies import random_org


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    status: int = args.handler(args)
    return status


def test_decisions_shape_the_next_run(tmp_path: Path) -> None:
    graph = random_org(5, 30, departments=3, tie_share=0.08)
    folder = tmp_path / "ws"
    store = Workspace.open(folder)
    store.save_graph(graph)
    store.close()
    out = tmp_path / "run.json"
    ws = ["--workspace", str(folder)]
    assert (
        _run(
            [
                "recommend",
                *ws,
                "--kind",
                "pairs",
                "--count",
                "5",
                "--json",
                str(out),
                "--csv",
                str(tmp_path / "run.csv"),
            ]
        )
        == 0
    )
    first = json.loads(out.read_text())
    assert len(first["proposals"]) == 5
    assert set(first["simulation"]) >= {"before", "after"}
    keep, drop = first["proposals"][0], first["proposals"][1]
    assert _run(["decide", *ws, "--lock", keep["a"], keep["b"], "--by", "ana"]) == 0
    assert _run(["decide", *ws, "--decline", drop["a"], drop["b"], "--by", "ana"]) == 0
    assert _run(["recommend", *ws, "--count", "5", "--seed", "3", "--json", str(out)]) == 0
    second = json.loads(out.read_text())
    pairs = {frozenset((p["a"], p["b"])) for p in second["proposals"]}
    assert frozenset((keep["a"], keep["b"])) in pairs
    assert frozenset((drop["a"], drop["b"])) not in pairs
    sim = tmp_path / "sim.json"
    assert _run(["simulate", *ws, "--proposals", str(out), "--json", str(sim)]) == 0
    assert json.loads(sim.read_text())["added_ties"] == 5
    store = Workspace.open(folder)
    try:
        actions = list(store.audit_log()["action"])
        assert actions.count("recommend") == 2
        assert len(store.load_proposals()) == 5
    finally:
        store.close()
