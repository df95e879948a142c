"""The recommend / simulate / decide commands against a real DuckDB workspace."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd
import pytest

from orgbridge.cli._recommend import register
from orgbridge.errors import ParameterError
from orgbridge.graph._workspace import Workspace
from orgbridge.programme import load_stored, undo_last
from orgbridge.recommend import decision_key, locked_and_declined
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
    assert set(first) == {
        "parameters",
        "proposals",
        "simulation",
        "commitments",
        "notes",
        "shortfall",
    }
    assert len(first["proposals"]) == 5 and first["shortfall"] == []
    for proposal in first["proposals"]:
        assert set(proposal) == {
            "a",
            "b",
            "kind",
            "leader",
            "a_department",
            "b_department",
            "a_level",
            "b_level",
            "a_hops",
            "b_hops",
            "score",
            "breakdown",
            "reason",
        }
        assert set(proposal["breakdown"]) == {"exposure", "silo", "complementarity", "fit"}
        # rounded to 3 significant digits each, so the sum agrees to that precision
        assert proposal["score"] == pytest.approx(sum(proposal["breakdown"].values()), rel=0.01)
    assert set(first["simulation"]) == {"before", "after"}
    assert first["parameters"]["kind"] == "pair" and first["parameters"]["run_id"]
    keep, drop = first["proposals"][0], first["proposals"][1]
    assert _run(["decide", *ws, "--lock", keep["a"], keep["b"], "--by", "ana"]) == 0
    # declined the other way round: pairs are unordered
    assert _run(["decide", *ws, "--decline", drop["b"], drop["a"], "--by", "ana"]) == 0
    assert _run(["recommend", *ws, "--count", "5", "--seed", "3", "--json", str(out)]) == 0
    second = json.loads(out.read_text())
    pairs = {frozenset((p["a"], p["b"])) for p in second["proposals"]}
    # the locked pair is a commitment now: listed with its status, not proposed again
    assert frozenset((keep["a"], keep["b"])) not in pairs
    assert [(c["a"], c["b"], c["status"]) for c in second["commitments"]] == [
        (*sorted((keep["a"], keep["b"])), "pending")
    ]
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


def test_declining_b_a_blocks_a_b_and_an_undo_lets_it_be_locked(tmp_path: Path) -> None:
    graph = random_org(7, 24, departments=3, tie_share=0.05)
    folder = tmp_path / "ws"
    store = Workspace.open(folder)
    store.save_graph(graph)
    store.close()
    ws = ["--workspace", str(folder)]
    out = tmp_path / "run.json"
    args = ["recommend", *ws, "--count", "6", "--seed", "1", "--json", str(out)]
    assert _run(args) == 0
    proposals = json.loads(out.read_text())["proposals"]
    first = proposals[0]
    a, b = sorted((first["a"], first["b"]))
    # decline written as (b, a); it must block (a, b) on the same seed
    assert _run(["decide", *ws, "--decline", b, a]) == 0
    store = Workspace.open(folder)
    try:
        matches = load_stored(store).state.matches
    finally:
        store.close()
    declined = matches.loc[matches["status"] == "declined"]
    assert declined[["a", "b"]].to_numpy().tolist() == [[a, b]]
    assert _run(args) == 0
    again = {frozenset((p["a"], p["b"])) for p in json.loads(out.read_text())["proposals"]}
    assert frozenset((a, b)) not in again
    # a decided match is not decided again: the decline is undone first, then locked
    with pytest.raises(ParameterError, match="only proposals can be decided"):
        _run(["decide", *ws, "--lock", b, a])
    store = Workspace.open(folder)
    try:
        undo_last(store, by="cli", at=pd.Timestamp.now())
    finally:
        store.close()
    assert _run(["decide", *ws, "--lock", b, a]) == 0
    assert _run(args) == 0
    locked = json.loads(out.read_text())
    assert [(c["a"], c["b"]) for c in locked["commitments"]] == [(a, b)]
    assert frozenset((a, b)) not in {frozenset((p["a"], p["b"])) for p in locked["proposals"]}


def test_decisions_are_read_unordered_even_when_stored_reversed() -> None:
    rows = pd.DataFrame(
        {
            "a": ["Q", "P", "L", "X"],
            "b": ["P", "Q", "P", "Y"],
            "kind": ["pair", "pair", "sponsorship", "pair"],
            "decision": ["lock", "decline", "approve", "approve"],
        }
    )
    locked, declined = locked_and_declined(rows, "pair")
    assert declined == (("P", "Q"),) and locked == (("X", "Y"),)
    assert locked_and_declined(rows, "sponsorship") == ((("L", "P"),), ())
    assert decision_key("Z", "A", "sponsorship") == ("Z", "A")


def test_simulate_accepts_the_json_and_an_edited_csv(tmp_path: Path) -> None:
    graph = random_org(3, 30, departments=3, tie_share=0.05)
    folder = tmp_path / "ws"
    store = Workspace.open(folder)
    store.save_graph(graph)
    store.close()
    ws = ["--workspace", str(folder)]
    run = tmp_path / "run.json"
    table = tmp_path / "run.csv"
    assert _run(["recommend", *ws, "--count", "4", "--json", str(run), "--csv", str(table)]) == 0
    from_json = tmp_path / "sim_json.json"
    assert _run(["simulate", *ws, "--proposals", str(run), "--json", str(from_json)]) == 0
    recommended = json.loads(run.read_text())["simulation"]
    simulated = json.loads(from_json.read_text())
    assert simulated["after"] == recommended["after"]
    # the user keeps two rows of the CSV, swaps one pair's order and adds one by hand
    ids = list(graph.ids)
    rows = json.loads(run.read_text())["proposals"][:2]
    edited = tmp_path / "edited.csv"
    lines = ["a,b", f"{rows[0]['b']},{rows[0]['a']}", f" {rows[1]['a']} , {rows[1]['b']}"]
    lines.append(f"{ids[0]},{ids[-1]}")
    edited.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "sim_csv.json"
    assert _run(["simulate", *ws, "--proposals", str(edited), "--json", str(out)]) == 0
    assert json.loads(out.read_text())["added_ties"] == 3
    with_kind = tmp_path / "kind.csv"
    with_kind.write_text(f"a,b,kind\n{ids[0]},{ids[1]},sponsorships\n", encoding="utf-8")
    assert _run(["simulate", *ws, "--proposals", str(with_kind), "--json", str(out)]) == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="missing"):
        _run(["simulate", *ws, "--proposals", str(bad), "--json", str(out)])
