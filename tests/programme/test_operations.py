"""Programme operations on a real workspace: the one place status changes go through."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from orgbridge.errors import ParameterError
from orgbridge.graph import OrgGraph
from orgbridge.graph._workspace import Workspace
from orgbridge.programme import (
    ALLOWED,
    decide,
    end_early,
    ensure_cycle,
    load_stored,
    recommender_inputs,
    record_proposals,
    save_stored,
    undo_last,
)
from orgbridge.programme._operations import close_cycle, start_cycle
from orgbridge.recommend import Constraints, recommend_pairs
from tests.recommend.strategies import random_org


def _people(n: int = 8, capacity: int = 2) -> OrgGraph:
    ids = [f"P{i}" for i in range(n)]
    return OrgGraph(
        pd.DataFrame(
            {
                "person_id": ids,
                "department": ["x", "y"] * (n // 2),
                "level": [2] * n,
                "capacity": [capacity] * n,
            }
        )
    )


def _proposals(*pairs: tuple[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {"a": [a for a, _ in pairs], "b": [b for _, b in pairs], "reason": "because"}
    )


def _replayed_moves(history: pd.DataFrame) -> list[tuple[str, str]]:
    moves = history.loc[history["event"] == "transition", ["from_status", "to_status"]]
    return [(str(f), str(t)) for f, t in moves.to_numpy()]


def test_statuses_move_only_through_allowed_transitions(tmp_path: Path) -> None:
    graph = _people()
    with Workspace.open(tmp_path) as ws:
        _, cycle = ensure_cycle(ws, "pair", at="2026-01-05")
        assert record_proposals(
            ws, "r1", _proposals(("P1", "P0"), ("P2", "P3"), ("P4", "P5")),
            kind="pair", by="ana", at="2026-01-05",
        ) == 3  # fmt: skip
        # idempotent per pair: the same run again adds nothing
        assert (
            record_proposals(
                ws, "r1", _proposals(("P0", "P1")), kind="pair", by="ana", at="2026-01-05"
            )
            == 0
        )
        first = decide(
            ws, graph, [("P1", "P0"), ("P2", "P3")], kind="pair", decision="approve",
            by="ana", at="2026-01-06", note="good fit",
        )  # fmt: skip
        assert first == [f"{cycle}:P0:P1", f"{cycle}:P2:P3"]
        decide(ws, graph, [("P4", "P5")], kind="pair", decision="decline", by="ana",
               at="2026-01-06")  # fmt: skip
        with pytest.raises(ParameterError, match=r"only proposals can be decided.*approved"):
            decide(ws, graph, [("P0", "P1")], kind="pair", decision="decline", by="ana",
                   at="2026-01-07")  # fmt: skip
        with pytest.raises(ParameterError, match="nobody proposed it"):
            decide(ws, graph, [("P6", "P7")], kind="pair", decision="approve", by="ana",
                   at="2026-01-07")  # fmt: skip
        text = undo_last(ws, by="ana", at="2026-01-07")
        assert "decline of P4 and P5" in text and "proposed again" in text
        with pytest.raises(ParameterError, match="already undone"):
            undo_last(ws, by="ana", at="2026-01-07")
        start = load_stored(ws).state.cycle(cycle)["start"]
        assert "2 approved" in start_cycle(ws, cycle, by="ana", at=start)
        end_early(ws, f"{cycle}:P2:P3", "moved abroad", by="ana", at=start + pd.Timedelta(days=9))
        with pytest.raises(ParameterError, match="cannot go from ended_early"):
            end_early(ws, f"{cycle}:P2:P3", "again", by="ana", at=start)
        assert "1 active" in close_cycle(ws, cycle, by="ana", at=start + pd.Timedelta(days=300))
        state = load_stored(ws).state
        audit = ws.audit_log()["action"].tolist()
    statuses = state.matches.set_index("match_id")["status"].to_dict()
    assert statuses == {
        f"{cycle}:P0:P1": "completed",
        f"{cycle}:P2:P3": "ended_early",
        f"{cycle}:P4:P5": "proposed",
    }
    for before, after in _replayed_moves(state.history):
        assert after in ALLOWED[before], (before, after)
    approvals = state.history.loc[state.history["to_status"] == "approved"]
    assert set(approvals["by"]) == {"ana"} and set(approvals["note"]) == {"good fit"}
    assert state.matches.set_index("match_id").at[f"{cycle}:P2:P3", "reason"] == "moved abroad"
    assert {"programme:approve", "programme:undo", "programme:end_early"} <= set(audit)


def test_capacity_counts_commitments_and_the_batch_itself(tmp_path: Path) -> None:
    graph = _people(capacity=1)
    with Workspace.open(tmp_path) as ws:
        record_proposals(
            ws, "r1", _proposals(("P0", "P1"), ("P0", "P3"), ("P2", "P5")),
            kind="pair", by="ana", at="2026-01-05",
        )  # fmt: skip
        # both name P0, whose capacity is 1: the batch counts against itself, nothing is stored
        with pytest.raises(ParameterError, match="P0 has no capacity left"):
            decide(ws, graph, [("P0", "P1"), ("P0", "P3")], kind="pair", decision="approve",
                   by="ana", at="2026-01-06")  # fmt: skip
        assert set(load_stored(ws).state.matches["status"]) == {"proposed"}
        decide(ws, graph, [("P0", "P1")], kind="pair", decision="approve", by="ana",
               at="2026-01-06")  # fmt: skip
        # an approval held in the programme counts on a later day
        with pytest.raises(ParameterError, match="P0 has no capacity left"):
            decide(ws, graph, [("P0", "P3")], kind="pair", decision="approve", by="ana",
                   at="2026-01-08")  # fmt: skip
        inputs = recommender_inputs(ws, "pair", as_of="2026-01-08")
    assert [(c.a, c.b, c.kind) for c in inputs["commitments"]] == [("P0", "P1", "pair")]


def test_enrolled_capacity_is_a_limit_too(tmp_path: Path) -> None:
    graph = _people(capacity=3)
    with Workspace.open(tmp_path) as ws:
        _, cycle = ensure_cycle(ws, "pair", at="2026-01-05")
        enrolment = pd.DataFrame(
            {"cycle_id": cycle, "person_id": ["P0", "P1", "P3"], "role": "either",
             "capacity": [1, 1, 1]}
        )  # fmt: skip
        save_stored(ws, load_stored(ws).state, enrolment=enrolment)
        record_proposals(
            ws, "r1", _proposals(("P0", "P1"), ("P0", "P3")), kind="pair", by="ana",
            at="2026-01-05",
        )  # fmt: skip
        decide(ws, graph, [("P0", "P1")], kind="pair", decision="approve", by="ana",
               at="2026-01-06")  # fmt: skip
        with pytest.raises(ParameterError, match="over their capacity of 1"):
            decide(ws, graph, [("P0", "P3")], kind="pair", decision="approve", by="ana",
                   at="2026-01-06")  # fmt: skip
        inputs = recommender_inputs(ws, "pair", as_of="2026-01-06")
    assert inputs["cohort"] == ("P0", "P1", "P3") and inputs["cycle_id"] == cycle


def test_rotation_never_repairs_across_three_cycles(tmp_path: Path) -> None:
    graph = random_org(11, 40, departments=3, tie_share=0.05)
    days = ["2026-01-05", "2027-01-10", "2028-01-15"]
    with Workspace.open(tmp_path) as ws:
        for number, day in enumerate(days):
            inputs = recommender_inputs(ws, "pair", as_of=day)
            constraints = Constraints(
                commitments=inputs["commitments"],
                declined=inputs["declined"],
                previous=inputs["previous"],
                cohort=inputs["cohort"],
            )
            run = recommend_pairs(graph, count=8, constraints=constraints, seed=number, as_of=day)
            assert len(run.proposals) >= 4
            record_proposals(ws, f"r{number}", run.proposals, kind="pair", by="ana", at=day)
            _, cycle = ensure_cycle(ws, "pair", at=day)
            keys = list(zip(run.proposals["a"], run.proposals["b"], strict=True))
            decide(ws, graph, keys[:-1], kind="pair", decision="approve", by="ana", at=day)
            decide(ws, graph, keys[-1:], kind="pair", decision="decline", by="ana", at=day)
            cycle_row = load_stored(ws).state.cycle(cycle)
            start_cycle(ws, cycle, by="ana", at=cycle_row["start"])
            close_cycle(ws, cycle, by="ana", at=cycle_row["end"])
        matches = load_stored(ws).state.matches
    assert matches["cycle_id"].nunique() == 3
    partnered = matches.loc[matches["status"] == "completed"]
    pairs = list(zip(partnered["a"], partnered["b"], strict=True))
    assert len(pairs) == len(set(pairs)) >= 9
    declined = set(
        zip(*matches.loc[matches["status"] == "declined", ["a", "b"]].T.values, strict=True)
    )
    proposed_pairs = list(zip(matches["a"], matches["b"], strict=True))
    assert len(proposed_pairs) == len(set(proposed_pairs))  # declined ones never come back either
    assert len(declined) == 3


def test_old_decisions_are_imported_once(tmp_path: Path) -> None:
    with Workspace.open(tmp_path) as ws:
        ws.record_decision("P1", "P0", kind="pair", decision="approve", by="old")
        ws.record_decision("P2", "P3", kind="pair", decision="decline", by="old")
        ws.record_decision("L0", "P4", kind="sponsorship", decision="lock", by="old")
        at = pd.Timestamp.now() + pd.Timedelta(days=1)
        first = recommender_inputs(ws, "pair", as_of=at)
        ensure_cycle(ws, "pair", at=at)
        ensure_cycle(ws, "pair", at=at)
        matches = load_stored(ws).state.matches
    assert first["declined"] == (("P2", "P3"),)
    assert {(c.a, c.b, c.kind) for c in first["commitments"]} == {
        ("P0", "P1", "pair"),
        ("L0", "P4", "sponsorship"),
    }
    assert sorted(matches["status"]) == ["approved", "approved", "declined"]
    assert set(matches["programme_id"]) == {"RM", "SP"}


def test_the_report_says_too_small_and_shows_no_figures() -> None:
    from orgbridge.report._html import _impact

    small = {"parameters": {"cycle_id": "C1"}, "table": [],
             "values": {"n_participants": 3, "n_matched": 3, "note": "fewer than 5"}}  # fmt: skip
    big = {
        "parameters": {"cycle_id": "C2"},
        "values": {"n_participants": 40, "n_matched": 38, "n_controls": 300, "note": None},
        "table": [{"outcome": "cross_department_ties", "participants_before": 1.0,
                   "participants_after": 3.0, "controls_before": 1.0, "controls_after": 1.1,
                   "estimate": 1.9, "ci_low": 1.5, "ci_high": 2.3}],
    }  # fmt: skip
    text = _impact([small, big])
    assert "Cycle C1" in text and "too small" in text
    c1 = text[text.index("Cycle C1") : text.index("Cycle C2")]
    assert "<table" not in c1
    assert "Cross-department ties" in text and "1.50 to 2.30" in text
