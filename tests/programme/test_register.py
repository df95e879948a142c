"""The match register replays who decided what; introductions are safe to open in Excel."""

from __future__ import annotations

import pandas as pd

from orgbridge.programme import (
    ProgrammeState,
    add_cycle,
    add_programme,
    introductions,
    match_register,
    propose_many,
    start_cycle,
    transition,
    undo,
)


def programme() -> ProgrammeState:
    s = add_programme(ProgrammeState.empty(), programme_id="SP", name="S", kind="sponsorship")
    s = add_cycle(s, cycle_id="S1", programme_id="SP", start="2026-02-01", end="2026-12-31")
    pairs = pd.DataFrame(
        {"a": ["L1", "L2", "L3"], "b": ["P1", "P2", "P3"],
         "explanation": ["+widens reach", "same interests", "@mention"]}
    )  # fmt: skip
    s = propose_many(s, pairs, programme_id="SP", by="ann", at="2026-01-05")
    s = transition(s, ["S1:L1:P1", "S1:L2:P2"], "approved", by="bob", at="2026-01-06")
    s = transition(s, ["S1:L3:P3"], "approved", by="cy", at="2026-01-07")
    s = undo(s, by="cy", at="2026-01-07")
    s = transition(s, ["S1:L3:P3"], "declined", by="ann", at="2026-01-08")
    s = start_cycle(s, "S1", by="ann", at="2026-02-01")
    return transition(s, ["S1:L2:P2"], "ended_early", by="bob", at="2026-05-01", note="moved")


def test_register_shows_the_standing_decisions() -> None:
    register = match_register(programme()).set_index("match_id")
    assert register["status"].to_dict() == {
        "S1:L1:P1": "active", "S1:L2:P2": "ended_early", "S1:L3:P3": "declined",
    }  # fmt: skip
    assert register["decided_by"].to_dict() == {
        "S1:L1:P1": "bob", "S1:L2:P2": "bob", "S1:L3:P3": "ann",
    }  # fmt: skip
    assert register.at["S1:L3:P3", "decided_at"] == pd.Timestamp("2026-01-08")
    assert register.at["S1:L2:P2", "ended_at"] == pd.Timestamp("2026-05-01")
    assert register.at["S1:L2:P2", "reason"] == "moved"
    assert pd.isna(register.at["S1:L3:P3", "started_at"])
    # Sponsorships keep the sponsor first.
    assert register.at["S1:L1:P1", "a"] == "L1"
    earlier = match_register(programme(), as_of="2026-01-07").set_index("match_id")
    assert earlier.at["S1:L3:P3", "status"] == "proposed"
    assert pd.isna(earlier.at["S1:L3:P3", "decided_by"])


def test_introductions_list_approved_and_active_pairs_with_goals() -> None:
    enrolment = pd.DataFrame(
        {"cycle_id": "S1", "person_id": ["L1", "P1", "L2", "P2"],
         "goals": ["Open doors", "=cmd|' /C calc'!A0", "x", "y"]}
    )  # fmt: skip
    people = pd.DataFrame({"person_id": ["L1", "P1"], "department": ["Exec", "Sales"]})
    out = introductions(programme(), "S1", enrolment=enrolment, people=people)
    assert out["match_id"].tolist() == ["S1:L1:P1"]  # L2-P2 ended early, L3-P3 declined
    assert out.columns.tolist() == [
        "match_id", "person_a", "person_b", "department_a", "department_b", "goals_a",
        "goals_b", "reason",
    ]  # fmt: skip
    assert out.iloc[0]["goals_b"] == "'=cmd|' /C calc'!A0"
    assert out.iloc[0]["reason"] == "'+widens reach"
