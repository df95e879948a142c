"""Impact: difference in differences recovers a planted effect and finds none where none is."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orgbridge.graph import OrgGraph
from orgbridge.programme import (
    ProgrammeState,
    add_cycle,
    add_programme,
    compare_snapshots,
    impact,
    outcomes,
    propose_many,
    start_cycle,
    transition,
)
from orgbridge.synthetic import generate_organisation

START, END = pd.Timestamp("2025-09-01"), pd.Timestamp("2026-08-31")


@pytest.fixture(scope="module")
def org() -> tuple[pd.DataFrame, pd.DataFrame]:
    made = generate_organisation(1500, seed=3)
    staff = made.staff.assign(start_date=pd.Timestamp("2015-01-01"))
    ties = made.collaboration.assign(layer="collaboration", start=pd.Timestamp("2020-01-01"))
    return staff, ties


def choose_participants(staff: pd.DataFrame, n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    pool = staff.loc[~staff["is_leader"], "person_id"].to_numpy()
    return sorted(rng.choice(pool, size=n, replace=False).tolist())


def ring(staff: pd.DataFrame, ties: pd.DataFrame, people: list[str], seed: int) -> pd.DataFrame:
    """A cycle through the people, every step across departments and a new tie."""
    rng = np.random.default_rng(seed)
    department = staff.set_index("person_id")["department"]
    existing = {tuple(sorted(t)) for t in ties[["source", "target"]].to_numpy().tolist()}

    def fits(a: str, b: str) -> bool:
        return department[a] != department[b] and tuple(sorted((a, b))) not in existing

    for _ in range(200):
        left = list(rng.permutation(people))
        order = [left.pop()]
        while left:
            options = [p for p in left if fits(order[-1], p)]
            if not options:
                break
            pick = options[int(rng.integers(len(options)))]
            order.append(pick)
            left.remove(pick)
        if not left and fits(order[-1], order[0]):
            return pd.DataFrame({"source": order, "target": np.roll(order, -1)})
    raise AssertionError("no ring found")


def noise(staff: pd.DataFrame, ties: pd.DataFrame, n_new: int, seed: int) -> pd.DataFrame:
    """What changes for everyone: some ties end, new ones start (mostly within departments)."""
    rng = np.random.default_rng(seed)
    ids = staff["person_id"].to_numpy()
    by_department = staff.groupby("department")["person_id"].apply(np.array).to_dict()
    department = staff["department"].to_numpy()
    a = rng.integers(0, len(ids), n_new)
    same = rng.random(n_new) < 0.6
    b = rng.integers(0, len(ids), n_new)
    partner = [
        rng.choice(by_department[department[i]]) if s else ids[j]
        for i, j, s in zip(a, b, same, strict=True)
    ]
    new = pd.DataFrame({"source": ids[a], "target": partner})
    new = new.loc[new["source"] != new["target"]]
    return new


def before_after(
    staff: pd.DataFrame, ties: pd.DataFrame, planted: pd.DataFrame | None, seed: int
) -> tuple[OrgGraph, OrgGraph]:
    rng = np.random.default_rng(seed)
    kept = ties.loc[rng.random(len(ties)) > 0.1]  # a tenth of the ties end during the cycle
    extra = [noise(staff, ties, 1500, seed)]
    if planted is not None:
        extra.append(planted)
    added = pd.concat(extra, ignore_index=True).assign(layer="collaboration")
    before = OrgGraph.from_frames(staff, ties)
    after = OrgGraph.from_frames(staff, pd.concat([kept, added], ignore_index=True))
    return before, after


def row(result, outcome: str) -> pd.Series:
    return result.table.set_index("outcome").loc[outcome]


def test_outcomes_match_a_plain_count(org) -> None:
    staff, ties = org
    graph = OrgGraph.from_frames(staff.head(300), ties.loc[
        ties["source"].isin(staff["person_id"].head(300))
        & ties["target"].isin(staff["person_id"].head(300))
    ])  # fmt: skip
    got = outcomes(graph).set_index("person_id")["cross_department_ties"]
    department = staff.set_index("person_id")["department"]
    neighbours: dict[str, set[str]] = {}
    for a, b in graph.to_networkx(["collaboration"]).edges():
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    for person, count in got.items():
        plain = sum(department[other] != department[person] for other in neighbours.get(person, ()))
        assert count == plain


def test_recovers_a_planted_effect(org) -> None:
    staff, ties = org
    participants = choose_participants(staff, 80, seed=5)
    planted = ring(staff, ties, participants, seed=5)
    before, after = before_after(staff, ties, planted, seed=5)
    result = compare_snapshots(before, after, participants, n_boot=1000, seed=7)
    cross = row(result, "cross_department_ties")
    assert result["interval"] is True
    assert result["n_matched"] >= 40
    assert cross["ci_low"] <= 2.0 <= cross["ci_high"]
    assert cross["ci_low"] > 0.5  # clearly not zero
    assert abs(cross["estimate"] - 2.0) < 0.6
    # Controls changed too (ties ended and started), and the estimate removed that trend.
    assert cross["controls_after"] != cross["controls_before"]


def test_finds_no_effect_where_none_was_planted(org) -> None:
    staff, ties = org
    participants = choose_participants(staff, 80, seed=6)
    before, after = before_after(staff, ties, None, seed=6)
    result = compare_snapshots(before, after, participants, n_boot=1000, seed=7)
    assert result["interval"] is True
    for outcome in ("cross_department_ties", "hops_to_leader", "leader_within_2_hops"):
        figures = row(result, outcome)
        assert figures["ci_low"] <= 0.0 <= figures["ci_high"], outcome


def test_small_groups_are_stated_honestly(org) -> None:
    staff, ties = org
    before, after = before_after(staff, ties, None, seed=3)
    few = compare_snapshots(before, after, choose_participants(staff, 12, seed=3))
    assert few["interval"] is False and "without an interval" in few["note"]
    assert few.table["ci_low"].isna().all() and few.table["estimate"].notna().all()
    tiny = compare_snapshots(before, after, choose_participants(staff, 3, seed=3))
    assert tiny.table["estimate"].isna().all() and "nothing shown" in tiny["note"]


def test_impact_of_a_cycle_takes_the_snapshots_itself(org) -> None:
    staff, ties = org
    participants = choose_participants(staff, 60, seed=4)
    planted = ring(staff, ties, participants, seed=4).assign(
        layer="collaboration", start=START + pd.Timedelta(days=60)
    )
    dated = pd.concat([ties, planted], ignore_index=True)
    graph = OrgGraph.from_frames(staff, dated)
    state = add_programme(ProgrammeState.empty(), programme_id="RM", name="R", kind="pairs")
    state = add_cycle(state, cycle_id="C", programme_id="RM", start=START, end=END)
    pairs = pd.DataFrame({"a": participants[0::2], "b": participants[1::2]})
    state = propose_many(state, pairs, programme_id="RM", cycle_id="C", by="u", at="2025-08-01")
    state = transition(state, state.matches["match_id"], "approved", by="u", at="2025-08-02")
    state = start_cycle(state, "C", by="u", at=START)
    result = impact(graph, state, "C", n_boot=500, seed=1)
    assert result.parameters["cycle_id"] == "C" and result.parameters["start"] == "2025-09-01"
    assert result["n_participants"] == 60
    cross = row(result, "cross_department_ties")
    # Nothing else changed, so every matched participant gains exactly 2, controls 0.
    assert cross["estimate"] == pytest.approx(2.0)
    assert cross["ci_low"] == pytest.approx(2.0) and cross["ci_high"] == pytest.approx(2.0)
    # A month into the cycle the new ties had not started yet.
    early = impact(graph, state, "C", as_of="2025-10-01", n_boot=200, seed=1)
    assert row(early, "cross_department_ties")["estimate"] == pytest.approx(0.0)
    assert early.parameters["end"] == "2025-10-01"


@pytest.mark.slow
def test_intervals_cover_the_truth_over_repeated_simulations(org) -> None:
    """Over 40 simulated cycles each, the 95% interval covers the planted effect (2) and the
    absence of one (0) in most runs, and the estimates centre on the truth."""
    staff, ties = org
    planted_hits, planted_estimates = [], []
    null_hits: dict[str, list[bool]] = {}
    for run in range(40):
        participants = choose_participants(staff, 80, seed=300 + run)
        planted = ring(staff, ties, participants, seed=run)
        before, after = before_after(staff, ties, planted, seed=300 + run)
        cross = row(compare_snapshots(before, after, participants, n_boot=400, seed=run),
                    "cross_department_ties")  # fmt: skip
        planted_hits.append(cross["ci_low"] <= 2.0 <= cross["ci_high"])
        planted_estimates.append(cross["estimate"])
        before, after = before_after(staff, ties, None, seed=400 + run)
        result = compare_snapshots(before, after, participants, n_boot=400, seed=run)
        for outcome, figures in result.table.set_index("outcome").iterrows():
            null_hits.setdefault(str(outcome), []).append(
                figures["ci_low"] <= 0.0 <= figures["ci_high"]
            )
    assert np.mean(planted_hits) >= 0.85
    assert abs(np.mean(planted_estimates) - 2.0) < 0.1
    # The binary coverage outcome changes for few people, so its interval runs a little narrow.
    assert {o: np.mean(h) >= 0.75 for o, h in null_hits.items()} == dict.fromkeys(null_hits, True)
