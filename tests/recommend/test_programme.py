"""Programme state over time: history, commitments, capacity, decisions, shortfall reasons."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from orgbridge.errors import ParameterError
from orgbridge.graph import OrgGraph
from orgbridge.recommend import (
    Commitment,
    Constraints,
    check_decision,
    commitments_from_decisions,
    programme_state,
    recommend_pairs,
    recommend_sponsorships,
    simulate,
)
from orgbridge.recommend._constraints import compile_rules

AS_OF = "2026-01-01"


def _pairs(rec: pd.DataFrame) -> set[frozenset[str]]:
    return {frozenset(p) for p in zip(rec["a"], rec["b"], strict=True)}


def ended_pair_org() -> OrgGraph:
    """Leader L (Exec) and a (X) were mentoring partners until mid-2025; b (X) still works
    with a; c, d (Y) work together; e (Y) starts a pair with c in 2027."""
    people = pd.DataFrame(
        {
            "person_id": ["L", "a", "b", "c", "d", "e"],
            "department": ["Exec", "X", "X", "Y", "Y", "Y"],
            "is_leader": [True, False, False, False, False, False],
        }
    )
    ties = pd.DataFrame(
        {
            "source": ["L", "a", "c", "e"],
            "target": ["a", "b", "d", "c"],
            "layer": ["mentoring", "collaboration", "collaboration", "mentoring"],
            "start": ["2024-07-01", None, None, "2027-01-01"],
            "end": ["2025-06-30", None, None, None],
        }
    )
    return OrgGraph.from_frames(people, ties)


def test_ended_ties_are_history_for_rotation_and_not_current() -> None:
    graph = ended_pair_org()
    state = programme_state(graph, as_of=AS_OF)
    assert state.current.tie_counts() == {"collaboration": 2}  # ended and future ties left out
    ids = list(graph.ids)
    assert [[ids[u], ids[v]] for u, v in state.history["pair"]] == [["L", "a"]]
    assert state.load.tolist() == [0] * 6
    # a is no longer one hop from a leader: nobody is
    rec = recommend_pairs(graph, count=2, as_of=AS_OF, simulate_metrics=False)
    assert frozenset(("L", "a")) not in _pairs(rec.proposals)
    hops = dict(zip(rec.proposals["a"], rec.proposals["a_hops"], strict=True))
    hops |= dict(zip(rec.proposals["b"], rec.proposals["b_hops"], strict=True))
    assert all(math.isinf(h) for p, h in hops.items() if p != "L")
    # the leader's past partner is not "already tied", but paired before: rotation only
    rules = compile_rules(graph, Constraints(), state=state)
    la = (ids.index("L"), ids.index("a"))
    assert rules.violations(*la, graph.ids) == [
        "they were paired before (pass allow_repeat to allow it)"
    ]
    # without a date every tie is current (the old reading): then they are "already tied"
    flat = compile_rules(graph, Constraints())
    assert "they are already tied" in flat.violations(*la, graph.ids)


def test_allow_repeat_pairs_past_partners_again_and_counts_real_ties_only() -> None:
    graph = ended_pair_org()
    c = Constraints(cohort=["L", "a"], allow_repeat=True)
    rec = recommend_pairs(graph, count=1, constraints=c, as_of=AS_OF, objective="silo")
    assert _pairs(rec.proposals) == {frozenset(("L", "a"))}
    # Exec and X have no tie today: the ended pair is history, not a current tie
    assert rec.proposals["ties_today"].tolist() == [0]
    assert "(0 ties today)" in rec.proposals["reason"].iloc[0]
    blocked = recommend_pairs(
        graph, count=1, constraints=Constraints(cohort=["L", "a"]), as_of=AS_OF
    )
    assert blocked.proposals.empty
    assert any(r.startswith("rotation (paired before)") for r in blocked.shortfall)


def test_simulate_and_analysis_as_of_see_the_same_current_ties() -> None:
    graph = ended_pair_org()
    result = simulate(graph, [("L", "c")], as_of=AS_OF)
    # non-leaders a b c d e: today nobody is within 2 hops; after L-c, c and d are
    # (e's pair with c has not started yet, so e is not)
    assert result["before"]["share_within_2_hops"]["overall"] == 0.0
    assert result["after"]["share_within_2_hops"]["overall"] == pytest.approx(2 / 5)
    # read without a date, the ended pair still counts: a (1 hop) and b (2 hops)
    old_reading = simulate(graph, [("L", "c")])
    assert old_reading["before"]["share_within_2_hops"]["overall"] == pytest.approx(2 / 5)


def capacity_org() -> OrgGraph:
    """p is in a current pair with q and is sponsored by L1: two commitments."""
    people = pd.DataFrame(
        {
            "person_id": ["L1", "L2", "p", "q", "r", "s", "t"],
            "is_leader": [True, True, False, False, False, False, False],
            "capacity": [3, None, 2, None, None, None, None],
            "department": ["E", "E", "X", "Y", "Z", "X", "Y"],
        }
    )
    ties = pd.DataFrame(
        {
            "source": ["p", "L1"],
            "target": ["q", "p"],
            "layer": ["mentoring", "sponsorship"],
            "start": ["2025-09-01", "2025-09-01"],
        }
    )
    return OrgGraph.from_frames(people, ties)


def test_capacity_is_one_budget_less_commitments_across_kinds() -> None:
    graph = capacity_org()
    pending = [Commitment("L2", "r", kind="sponsorship", start="2025-12-01")]
    c = Constraints(leader_capacity=1, commitments=pending)
    state = programme_state(graph, as_of=AS_OF, commitments=pending)
    rules = compile_rules(graph, c, kind="sponsorship", state=state)
    left = dict(zip(graph.ids, rules.capacity.tolist(), strict=True))
    # L1: the file's 3 (not --leader-capacity 1) less one sponsorship; L2: blank -> 1, less r
    # p: 2 less a pair and a sponsorship; q: 1 less the pair; r: 1 less the approval
    assert left == {"L1": 2, "L2": 0, "p": 0, "q": 0, "r": 0, "s": 1, "t": 1}
    pairs = recommend_pairs(graph, count=5, constraints=c, as_of=AS_OF, simulate_metrics=False)
    used = pd.concat([pairs.proposals["a"], pairs.proposals["b"]]).value_counts().to_dict()
    assert not {"p", "q", "r", "L2"} & set(used)
    assert all(used[x] <= left[x] for x in used)
    spons = recommend_sponsorships(
        graph, count=5, constraints=c, as_of=AS_OF, simulate_metrics=False
    )
    assert set(spons.proposals["a"]) <= {"L1"} and set(spons.proposals["b"]) <= {"s", "t"}
    assert any(r.startswith("capacity") for r in spons.shortfall) or len(spons.proposals) == 2


def test_an_approved_pair_later_imported_or_departed_never_breaks_a_run() -> None:
    graph = capacity_org()
    approved = [
        Commitment("q", "p", start="2025-08-15", cycle="2025 autumn"),  # now the imported tie
        Commitment("s", "gone", start="2025-08-15"),  # gone left the organisation
        Commitment("r", "t", start="2026-03-01"),  # not started on AS_OF
        Commitment("t", "s", start="2025-12-01"),
        Commitment("s", "t", start="2025-12-01"),  # listed twice (unordered)
    ]
    state = programme_state(graph, as_of=AS_OF, commitments=approved)
    assert state.commitments["status"].tolist() == [
        "imported",
        "set aside",
        "not started",
        "pending",
        "set aside",
    ]
    # the imported pair is counted once, as the tie: p has 2 commitments, q has 1
    load = dict(zip(graph.ids, state.load.tolist(), strict=True))
    assert load["p"] == 2 and load["q"] == 1 and load["s"] == 1 and load["t"] == 1
    rec = recommend_pairs(
        graph,
        count=3,
        constraints=Constraints(commitments=approved),
        as_of=AS_OF,
        simulate_metrics=False,
    )
    assert any("gone is no longer in the organisation" in note for note in rec.notes)
    document = rec.to_dict()
    assert document["commitments"][0]["status"] == "imported"
    assert document["commitments"][0]["cycle"] == "2025 autumn"


def test_decisions_are_checked_against_people_and_hard_constraints() -> None:
    graph = capacity_org()
    assert check_decision(graph, "t", "s", as_of=AS_OF) == ("s", "t")
    with pytest.raises(ParameterError, match="'zz' is not in the organisation"):
        check_decision(graph, "s", "zz", decision="decline")
    with pytest.raises(ParameterError, match="already tied"):
        check_decision(graph, "p", "q", as_of=AS_OF)
    with pytest.raises(ParameterError, match="p has no capacity left"):
        check_decision(graph, "p", "s", as_of=AS_OF)
    with pytest.raises(ParameterError, match="not an eligible sponsor"):
        check_decision(graph, "s", "t", kind="sponsorship", as_of=AS_OF)
    # a decline needs only two people of the organisation
    assert check_decision(graph, "q", "p", decision="decline") == ("p", "q")
    # approving the same pair again is not a capacity error; a third pair for s is
    pending = commitments_from_decisions(
        pd.DataFrame(
            {
                "a": ["s", "r"],
                "b": ["t", "s"],
                "kind": "pair",
                "decision": "approve",
                "at": ["2025-12-01", "2025-12-02"],
            }
        )
    )
    assert check_decision(graph, "s", "t", as_of=AS_OF, commitments=pending[:1]) == ("s", "t")
    with pytest.raises(ParameterError, match="s has no capacity left"):
        check_decision(graph, "s", "t", as_of=AS_OF, commitments=pending[1:])


def test_shortfall_names_the_constraint_that_ran_out() -> None:
    people = pd.DataFrame(
        {
            "person_id": list("Labcd"),
            "is_leader": [True, False, False, False, False],
            "level": [9, 1, 3, 5, 7],
        }
    )
    graph = OrgGraph(people)
    full = recommend_pairs(graph, count=10, simulate_metrics=False)
    assert len(full.proposals) < 10
    assert any(r.startswith("capacity") for r in full.shortfall)
    band = recommend_pairs(
        graph, count=1, constraints=Constraints(max_level_gap=1), simulate_metrics=False
    )
    assert band.proposals.empty and band.shortfall[0].startswith("level band")
    cohort = recommend_pairs(
        graph, count=1, constraints=Constraints(cohort=["a"]), simulate_metrics=False
    )
    assert cohort.proposals.empty and cohort.shortfall
    assert "only one eligible person" in cohort.shortfall[0]
    nobody = recommend_sponsorships(
        graph, count=1, constraints=Constraints(cohort=["L"]), simulate_metrics=False
    )
    assert nobody.shortfall == ("the cohort: no eligible protégés",)
    assert recommend_pairs(graph, count=2, simulate_metrics=False).shortfall == ()


def test_no_opt_in_column_or_a_blank_one_means_everyone_is_eligible() -> None:
    people = pd.DataFrame({"person_id": list("Labcd"), "is_leader": [1, 0, 0, 0, 0]})
    assert len(recommend_pairs(OrgGraph(people), count=2, simulate_metrics=False).proposals) == 2
    blank = people.assign(opt_in=pd.array([pd.NA] * 5, dtype="boolean"))
    rec = recommend_pairs(OrgGraph(blank), count=2, simulate_metrics=False)
    assert len(rec.proposals) == 2
    assert any("blank for everyone" in note for note in rec.notes)
    some = people.assign(opt_in=[True, True, False, None, True])
    rec = recommend_pairs(OrgGraph(some), count=5, simulate_metrics=False)
    assert set(rec.proposals["a"]) | set(rec.proposals["b"]) <= {"L", "a", "d"}


def test_sponsorship_proteges_default_to_emerging_talent() -> None:
    people = pd.DataFrame(
        {
            "person_id": ["L", "a", "b", "c", "d"],
            "is_leader": [True, False, False, False, False],
            "emerging_talent": ["yes", "no", "yes", None, "no"],
            "capacity": [4, 1, 1, 1, 1],
        }
    )
    graph = OrgGraph(people)
    rec = recommend_sponsorships(graph, count=4, simulate_metrics=False)
    assert set(rec.proposals["b"]) == {"b"}
    assert any("emerging talent" in note for note in rec.notes)
    assert rec.shortfall  # asked 4, only one flagged protégé
    everyone = recommend_sponsorships(
        graph, count=4, constraints=Constraints(emerging_only=False), simulate_metrics=False
    )
    assert set(everyone.proposals["b"]) == {"a", "b", "c", "d"}
    with pytest.raises(ParameterError, match="emerging_talent column"):
        recommend_sponsorships(
            OrgGraph(people.drop(columns="emerging_talent")),
            count=1,
            constraints=Constraints(emerging_only=True),
        )


def test_proposals_say_who_leads_with_departments_levels_and_rounded_scores() -> None:
    people = pd.DataFrame(
        {
            "person_id": ["L", "a", "b", "c"],
            "is_leader": [True, False, False, False],
            "department": ["Exec", "X", "Y", "Y"],
            "level": [9, 2, 3, 4],
        }
    )
    ties = pd.DataFrame({"source": ["b"], "target": ["c"], "layer": ["collaboration"]})
    rec = recommend_sponsorships(OrgGraph.from_frames(people, ties), count=1)
    row = rec.to_dict()["proposals"][0]
    assert row["a"] == "L" and row["leader"] == "a" and row["a_department"] == "Exec"
    assert row["a_level"] == 9 and row["a_hops"] == 0
    assert row["b"] in {"a", "b", "c"} and row["b_hops"] is None  # unreachable today
    for value in [row["score"], *row["breakdown"].values()]:
        if value:
            digits = f"{abs(value):.10e}".split("e")[0].replace(".", "").rstrip("0")
            assert len(digits) <= 3
    assert np.isfinite(rec.proposals["score"]).all()


def test_people_already_over_capacity_are_reported_and_left_alone() -> None:
    graph = capacity_org()
    c = Constraints(capacity=1)  # p holds a pair and a sponsorship: 2 of 1
    rec = recommend_pairs(graph, count=3, constraints=c, as_of=AS_OF, simulate_metrics=False)
    assert any("1 person already holds more" in n and "p: 2 of 1" in n for n in rec.notes)
    assert "p" not in set(rec.proposals["a"]) | set(rec.proposals["b"])


def test_people_who_start_after_the_date_are_not_proposed_yet() -> None:
    people = pd.DataFrame(
        {
            "person_id": ["L", "a", "b", "new"],
            "is_leader": [True, False, False, False],
            "start_date": ["2020-01-01", "2021-05-01", None, "2026-03-01"],
        }
    )
    c = Constraints(capacity=3)  # room for everyone: only the start date keeps "new" out
    rec = recommend_pairs(
        OrgGraph(people), count=6, constraints=c, as_of=AS_OF, simulate_metrics=False
    )
    assert "new" not in set(rec.proposals["a"]) | set(rec.proposals["b"])
    assert any("start after 2026-01-01" in n for n in rec.notes)
    later = recommend_pairs(
        OrgGraph(people), count=6, constraints=c, as_of="2026-06-01", simulate_metrics=False
    )
    assert "new" in set(later.proposals["a"]) | set(later.proposals["b"])


def test_a_coordinator_may_sponsor_someone_not_flagged_as_emerging_talent() -> None:
    people = pd.DataFrame(
        {
            "person_id": ["L", "a", "b"],
            "is_leader": [True, False, False],
            "emerging_talent": [None, "yes", "no"],
        }
    )
    graph = OrgGraph(people)
    assert check_decision(graph, "L", "b", kind="sponsorship") == ("L", "b")
    with pytest.raises(ParameterError, match="not an eligible protégé"):
        check_decision(graph, "L", "b", kind="sponsorship", constraints=Constraints())
