"""No silent failures: Viva imports get leaders from the rule and proposals without opt_in;
the CLI reads the programme as of a date, checks decisions, neutralises its CSV and refuses
identifying groupings."""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from orgbridge.cli._recommend import register
from orgbridge.errors import ParameterError
from orgbridge.graph import OrgGraph
from orgbridge.graph._workspace import Workspace
from orgbridge.ingest import Sources, prepare_import
from orgbridge.metrics import analyze
from orgbridge.programme import load_stored
from orgbridge.recommend import recommend_pairs

VIVA = Path(__file__).parents[1] / "data" / "viva_p2p" / "p2p_sim_2000.csv"
ORDER = [f"Level {i}" for i in range(10)]


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    status: int = args.handler(args)
    return status


def test_leader_rule_applies_to_a_viva_import() -> None:
    prepared = prepare_import(Sources(viva_p2p=VIVA, leader_rule="level_label==Level 9"))
    people = prepared.graph.people
    expected = people["level_label"] == "Level 9"
    assert expected.any()
    assert people["is_leader"].astype(bool).tolist() == expected.tolist()
    messages = [str(p) for p in prepared.report.warnings]
    assert any("leader rule level_label==Level 9 marked" in m for m in messages)
    # a rule on level reads the grade labels through the level order
    rule = "level>=Level 9"
    ranked = prepare_import(Sources(viva_p2p=VIVA, leader_rule=rule, level_order=ORDER))
    assert ranked.graph.people["is_leader"].astype(bool).tolist() == expected.tolist()
    with pytest.raises(ParameterError, match="give their order"):
        prepare_import(Sources(viva_p2p=VIVA, leader_rule="level>=9"))
    # without a rule the import says nobody is a leader
    plain = prepare_import(Sources(viva_p2p=VIVA))
    assert any("nobody is a leader" in str(p) for p in plain.report.warnings)


def test_a_viva_import_without_opt_in_gives_proposals_and_an_analysis() -> None:
    graph = prepare_import(Sources(viva_p2p=VIVA, leader_rule="level_label==Level 9")).graph
    rec = recommend_pairs(graph, count=20, objective="exposure", simulate_metrics=False)
    assert len(rec.proposals) == 20 and rec.shortfall == ()
    doc = analyze(graph, include_people=False).to_dict()
    assert doc["network"]["leaders"] == int(graph.leader_mask().sum()) > 0
    assert doc["network"]["share_within_2_hops"] is not None


def _workspace(tmp_path: Path, graph: OrgGraph) -> list[str]:
    folder = tmp_path / "ws"
    store = Workspace.open(folder)
    store.save_graph(graph)
    store.close()
    return ["--workspace", str(folder)]


def _org() -> OrgGraph:
    ids = [f"P{i}" for i in range(12)]
    people = pd.DataFrame(
        {
            "person_id": ids,
            "name": [f'=HYPERLINK("x","{i}")' for i in range(12)],
            "department": ["=cmd|' /C calc'!A0"] * 6 + ["Ops"] * 6,
            "is_leader": [True] + [False] * 11,
            "capacity": [2] * 12,
        }
    )
    ties = pd.DataFrame(
        {
            "source": ["P0", "P1", "P2"],
            "target": ["P1", "P2", "P3"],
            "layer": ["mentoring", "collaboration", "collaboration"],
            "start": ["2024-01-01", None, None],
            "end": ["2024-12-31", None, None],
        }
    )
    return OrgGraph.from_frames(people, ties)


def test_recommend_cli_as_of_csv_and_group_by(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, _org())
    out, table = tmp_path / "run.json", tmp_path / "run.csv"
    argv = ["recommend", *ws, "--count", "4", "--json", str(out), "--csv", str(table)]
    assert _run([*argv, "--as-of", "2025-06-01"]) == 0
    run = json.loads(out.read_text())
    assert run["parameters"]["as_of"] == "2025-06-01"
    hops = {p["a"]: p["a_hops"] for p in run["proposals"]} | {
        p["b"]: p["b_hops"] for p in run["proposals"]
    }
    assert hops.get("P1", 99) != 1  # the 2024 pair has ended: P1 is not next to the leader
    with table.open(encoding="utf-8") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells if cell)
    assert any(cell.startswith("'=cmd") for cell in cells)
    with pytest.raises(ParameterError, match="cannot group by 'name'"):
        _run([*argv, "--group-by", "name"])


def test_decide_refuses_unknown_people_and_broken_pairs(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, _org())
    with pytest.raises(ParameterError, match="'ghost' is not in the organisation"):
        _run(["decide", *ws, "--approve", "P1", "ghost"])
    with pytest.raises(ParameterError, match="already tied"):
        _run(["decide", *ws, "--approve", "P2", "P1"])
    with pytest.raises(ParameterError, match="paired before"):
        _run(["decide", *ws, "--approve", "P1", "P0", "--as-of", "2025-06-01"])
    assert _run(["decide", *ws, "--approve", "P5", "P9", "--as-of", "2025-06-01"]) == 0
    store = Workspace.open(Path(ws[1]))
    try:
        matches = load_stored(store).state.matches  # the programme is the one truth
        assert matches[["a", "b", "status"]].values.tolist() == [["P5", "P9", "approved"]]
    finally:
        store.close()
