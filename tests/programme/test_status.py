"""Statuses move only through the legal moves; undo, capacity and rotation hold."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orgbridge.errors import ParameterError
from orgbridge.programme import (
    ProgrammeState,
    active_windows,
    add_cycle,
    add_programme,
    close_cycle,
    commitments,
    past_partners,
    propose,
    propose_many,
    remaining_capacity,
    start_cycle,
    statuses_as_of,
    transition,
    undo,
)

# The legal moves, written out again here rather than read from the package.
LEGAL = {
    ("proposed", "approved"),
    ("proposed", "declined"),
    ("approved", "active"),
    ("approved", "ended_early"),
    ("active", "completed"),
    ("active", "ended_early"),
}
TARGETS = ["proposed", "approved", "declined", "active", "completed", "ended_early", "bogus"]
USERS = ["ann", "bob"]


def two_cycles() -> ProgrammeState:
    s = add_programme(ProgrammeState.empty(), programme_id="RM", name="R", kind="pairs")
    s = add_cycle(s, cycle_id="C1", programme_id="RM", start="2026-01-01", end="2026-06-30")
    return add_cycle(s, cycle_id="C2", programme_id="RM", start="2026-07-01", end="2026-12-31")


def four_matches() -> ProgrammeState:
    s = two_cycles()
    pairs = pd.DataFrame({"a": ["P1", "P3", "P6", "P7"], "b": ["P2", "P4", "P5", "P8"]})
    return propose_many(s, pairs, programme_id="RM", cycle_id="C1", by="ann", at="2025-12-01")


operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("move"),
            st.integers(0, 1),
            st.sampled_from(TARGETS),
            st.sampled_from(USERS),
            st.booleans(),
        ),
        st.tuples(
            st.just("undo"), st.integers(0, 1), st.just(""), st.sampled_from(USERS), st.booleans()
        ),
        st.tuples(
            st.sampled_from(["start", "close"]),
            st.just(0),
            st.just(""),
            st.sampled_from(USERS),
            st.just(False),
        ),
    ),
    min_size=4,
    max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(operations)
def test_random_event_sequences_follow_a_plain_model(
    ops: list[tuple[str, int, str, str, bool]],
) -> None:
    state = four_matches()
    ids = state.matches["match_id"].tolist()
    status = dict.fromkeys(ids, "proposed")
    log: list[tuple[str, str, str, str, str]] = []  # (match, from, to, by, "decision"|"undo")
    day = pd.Timestamp("2026-01-02")
    for op, i, to, user, with_note in ops:
        day += pd.Timedelta(days=1)
        match = ids[i]
        if op == "move":
            ok = (status[match], to) in LEGAL and (to != "ended_early" or with_note)
            try:
                state = transition(
                    state, [match], to, by=user, at=day, note="moved away" if with_note else None
                )
            except ParameterError:
                assert not ok
                continue
            assert ok
            log.append((match, status[match], to, user, "decision"))
            status[match] = to
        elif op == "undo":
            mine = [entry for entry in log if entry[3] == user]
            target = mine[-1] if mine else None
            ok = (
                target is not None
                and target[4] == "decision"
                and [entry for entry in log if entry[0] == target[0]][-1] is target
            )
            try:
                state = undo(state, by=user, at=day)
            except ParameterError:
                assert not ok
                continue
            assert ok and target is not None
            log.append((target[0], target[2], target[1], user, "undo"))
            status[target[0]] = target[1]
        else:
            before, after = ("approved", "active") if op == "start" else ("active", "completed")
            for match_id in ids:
                if status[match_id] == before:
                    log.append((match_id, before, after, user, "decision"))
                    status[match_id] = after
            state = (start_cycle if op == "start" else close_cycle)(state, "C1", by=user, at=day)
        assert state.matches.set_index("match_id")["status"].to_dict() == status
    history = state.history
    moves = history.loc[history["event"] == "transition"]
    assert set(zip(moves["from_status"], moves["to_status"], strict=True)) <= LEGAL
    replay = history.sort_values("seq").drop_duplicates("match_id", keep="last")
    assert replay.set_index("match_id")["to_status"].to_dict() == status


def test_undo_only_by_the_user_who_decided() -> None:
    s = four_matches()
    s = transition(s, ["C1:P1:P2"], "approved", by="ann", at="2025-12-02")
    with pytest.raises(ParameterError, match="made by ann, not bob"):
        undo(s, by="bob", at="2025-12-03", match_id="C1:P1:P2")
    with pytest.raises(ParameterError, match="bob has no decision"):
        undo(s, by="bob", at="2025-12-03")
    s = undo(s, by="ann", at="2025-12-03")
    assert s.matches.set_index("match_id").at["C1:P1:P2", "status"] == "proposed"
    assert s.history["event"].tolist()[-1] == "undo"
    with pytest.raises(ParameterError, match="already undone"):
        undo(s, by="ann", at="2025-12-04")


def test_ending_early_needs_a_reason_and_keeps_it() -> None:
    s = four_matches()
    s = transition(s, ["C1:P1:P2"], "approved", by="ann", at="2025-12-02")
    with pytest.raises(ParameterError, match="reason"):
        transition(s, ["C1:P1:P2"], "ended_early", by="ann", at="2025-12-03")
    s = transition(s, ["C1:P1:P2"], "ended_early", by="ann", at="2025-12-03", note="left")
    assert s.matches.set_index("match_id").at["C1:P1:P2", "reason"] == "left"


def test_bulk_moves_are_all_or_nothing() -> None:
    s = four_matches()
    s = transition(s, ["C1:P1:P2"], "declined", by="ann", at="2025-12-02")
    with pytest.raises(ParameterError, match="cannot go from declined to approved"):
        transition(s, ["C1:P3:P4", "C1:P1:P2"], "approved", by="ann", at="2025-12-03")
    assert s.matches.set_index("match_id").at["C1:P3:P4", "status"] == "proposed"


def test_approval_becomes_a_commitment_in_the_next_cycle_then_active_then_completed() -> None:
    s = two_cycles()
    s = propose(s, programme_id="RM", a="P2", b="P1", by="ann", at="2026-03-01")
    (match_id,) = s.matches["match_id"].tolist()
    assert s.matches["cycle_id"].tolist() == ["C2"]  # the next cycle after 1 March
    s = transition(s, [match_id], "approved", by="ann", at="2026-03-02")
    assert commitments(s, "2026-03-02")["total"].tolist() == [1, 1]
    s = start_cycle(s, "C2", by="ann", at="2026-07-01")
    assert s.matches["status"].tolist() == ["active"]
    s = close_cycle(s, "C2", by="ann", at="2026-12-31")
    assert s.matches["status"].tolist() == ["completed"]
    assert commitments(s, "2027-01-01").empty
    assert statuses_as_of(s, "2026-08-01")["status"].tolist() == ["active"]


def test_capacity_counts_commitments_across_kinds() -> None:
    s = two_cycles()
    s = add_programme(s, programme_id="SP", name="Sponsors", kind="sponsorship")
    s = add_cycle(s, cycle_id="S1", programme_id="SP", start="2026-01-01", end="2026-12-31")
    s = propose(s, programme_id="RM", a="P1", b="P2", by="ann", at="2025-12-01", cycle_id="C1")
    s = propose(s, programme_id="SP", a="L1", b="P1", by="ann", at="2025-12-01")
    s = propose(s, programme_id="RM", a="P1", b="P3", by="ann", at="2025-12-01", cycle_id="C1")
    capacity = {"P1": 2, "P2": 1, "P3": 1, "L1": 3}
    s = transition(s, ["C1:P1:P2"], "approved", by="ann", at="2025-12-02", capacity=capacity)
    s = transition(s, ["S1:L1:P1"], "approved", by="ann", at="2025-12-02", capacity=capacity)
    held = commitments(s, "2025-12-03").set_index("person_id")
    assert held.loc["P1"].tolist() == [1, 1, 2]  # pairs, sponsorships, total
    assert remaining_capacity(capacity, s, "2025-12-03").to_dict() == {
        "P1": 0, "P2": 0, "P3": 1, "L1": 2,
    }  # fmt: skip
    with pytest.raises(ParameterError, match="P1 would hold 3 commitments"):
        transition(s, ["C1:P1:P3"], "approved", by="ann", at="2025-12-03", capacity=capacity)
    # Ending a match early frees the capacity again.
    s = transition(s, ["S1:L1:P1"], "ended_early", by="ann", at="2025-12-04", note="moved")
    s = transition(s, ["C1:P1:P3"], "approved", by="ann", at="2025-12-05", capacity=capacity)
    assert commitments(s, "2025-12-05").set_index("person_id").at["P1", "total"] == 2


def test_rotation_refuses_past_partners_in_a_later_cycle() -> None:
    s = four_matches()
    s = transition(s, ["C1:P1:P2"], "approved", by="ann", at="2025-12-02")
    s = transition(s, ["C1:P3:P4"], "declined", by="ann", at="2025-12-02")
    assert past_partners(s.matches) == frozenset({("P1", "P2")})
    with pytest.raises(ParameterError, match="were partners before"):
        propose(s, programme_id="RM", a="P2", b="P1", by="ann", at="2026-03-01")
    # A declined proposal is not a partnership: it may be proposed again.
    s = propose(s, programme_id="RM", a="P3", b="P4", by="ann", at="2026-03-01")
    assert "C2:P3:P4" in set(s.matches["match_id"])


def test_bad_arguments_are_refused_with_a_clear_message() -> None:
    s = two_cycles()
    with pytest.raises(ParameterError, match="overlaps cycle 'C1'"):
        add_cycle(s, cycle_id="C3", programme_id="RM", start="2026-06-01", end="2026-07-31")
    with pytest.raises(ParameterError, match="kind must be one of"):
        add_programme(s, programme_id="X", name="X", kind="trios")
    with pytest.raises(ParameterError, match="two different people"):
        propose(s, programme_id="RM", a="P1", b="P1", by="ann", at="2025-12-01")
    with pytest.raises(ParameterError, match="no cycle starting after"):
        propose(s, programme_id="RM", a="P1", b="P2", by="ann", at="2027-01-01")
    with pytest.raises(ParameterError, match="unknown status"):
        transition(four_matches(), ["C1:P1:P2"], "paused", by="ann", at="2026-01-01")
    with pytest.raises(ParameterError, match="unknown match"):
        transition(s, ["C9:x:y"], "approved", by="ann", at="2026-01-01")


def test_state_round_trips_through_plain_tables() -> None:
    s = four_matches()
    s = transition(s, ["C1:P1:P2"], "approved", by="ann", at="2025-12-02")
    tables = {name: table.copy() for name, table in s.tables().items()}
    again = ProgrammeState.from_tables(tables)
    for name in tables:
        pd.testing.assert_frame_equal(getattr(again, name), getattr(s, name))


def test_an_undone_start_is_no_start() -> None:
    s = four_matches()
    s = transition(s, ["C1:P1:P2", "C1:P3:P4"], "approved", by="ann", at="2025-12-02")
    s = start_cycle(s, "C1", by="ann", at="2026-01-01")
    s = undo(s, by="ann", at="2026-01-02")  # the last match the start moved
    windows = active_windows(s, "2026-02-01")
    assert windows["match_id"].tolist() == ["C1:P1:P2"]
    assert windows["active_from"].tolist() == [pd.Timestamp("2026-01-01")]
