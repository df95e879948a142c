"""A three-cycle synthetic programme, written to files and read back: statuses, rotation,
capacity and health figures checked against plain counts from the imported files."""

from __future__ import annotations

import json
from collections import defaultdict

import pandas as pd
import pytest

from orgbridge.programme import (
    ProgrammeState,
    commitments,
    health,
    read_checkins,
    read_enrolment,
    read_goals,
    read_meetings,
    stalled_pairs,
)
from orgbridge.synthetic import generate_organisation, programme_activity, write_programme

LEGAL = {
    ("proposed", "approved"), ("proposed", "declined"), ("approved", "active"),
    ("approved", "ended_early"), ("active", "completed"), ("active", "ended_early"),
}  # fmt: skip
AS_OF = pd.Timestamp("2026-06-30")


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    org = generate_organisation(900, seed=11)
    programme = programme_activity(org.staff, reference_date="2026-06-30", seed=11)
    folder = tmp_path_factory.mktemp("programme")
    paths = write_programme(programme, folder)
    state = ProgrammeState.from_tables(
        {
            name: pd.read_csv(paths[table], dtype=str, keep_default_na=False).replace("", None)
            for name, table in (
                ("programmes", "programmes"),
                ("cycles", "cycles"),
                ("matches", "matches"),
                ("history", "history"),
            )
        }
    )
    known = org.staff["person_id"].tolist()
    enrolment_parts = []
    for cycle_id in state.cycles["cycle_id"]:
        parsed = read_enrolment(paths[f"enrolment:{cycle_id}"], cycle_id=cycle_id, known=known)
        assert parsed.report.rows_rejected == 0
        enrolment_parts.append(parsed.table)
    tables = {}
    for name, reader in (("meetings", read_meetings), ("checkins", read_checkins),
                         ("goals", read_goals)):  # fmt: skip
        parsed = reader(paths[name], matches=state.matches)
        assert parsed.report.rows_rejected == 0, parsed.report.problems[:3]
        assert parsed.report.rows_loaded == len(getattr(programme, name))
        tables[name] = parsed.table
    return {
        "org": org,
        "programme": programme,
        "state": state,
        "enrolment": pd.concat(enrolment_parts, ignore_index=True),
        **tables,
    }


def test_three_cycles_and_a_living_last_one(imported: dict) -> None:
    state = imported["state"]
    assert state.cycles["cycle_id"].tolist() == ["RM-2023", "RM-2024", "RM-2025"]
    statuses = {c: set(g) for c, g in state.matches.groupby("cycle_id")["status"]}
    assert statuses["RM-2023"] == {"completed", "ended_early", "declined"}
    assert {"active", "ended_early"} <= statuses["RM-2025"]
    # The files restore the state the generator built, table for table.
    for name, table in imported["programme"].state.tables().items():
        pd.testing.assert_frame_equal(getattr(state, name), table, check_dtype=False)


def test_statuses_moved_only_through_legal_moves(imported: dict) -> None:
    history = imported["state"].history.sort_values("seq")
    current: dict[str, str] = {}
    for row in history.itertuples():
        if row.event == "propose":
            assert row.match_id not in current and row.to_status == "proposed"
        else:
            assert row.event == "transition"
            assert (current[row.match_id], row.to_status) in LEGAL
            assert row.from_status == current[row.match_id]
        current[row.match_id] = row.to_status
    assert current == imported["state"].matches.set_index("match_id")["status"].to_dict()


def test_rotation_never_repairs_across_cycles(imported: dict) -> None:
    matches = imported["state"].matches
    partnered = matches.loc[matches["status"] != "declined"]
    cycles_of: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in partnered.itertuples():
        cycles_of[(min(row.a, row.b), max(row.a, row.b))].add(row.cycle_id)
    assert all(len(c) == 1 for c in cycles_of.values())
    assert len(set(partnered["cycle_id"])) == 3


def test_capacity_counts_commitments(imported: dict) -> None:
    state, enrolment = imported["state"], imported["enrolment"]
    history = state.history.sort_values("seq")
    rows = state.matches.set_index("match_id")
    for cycle in state.cycles.itertuples():
        day = cycle.start - pd.Timedelta(days=1)  # after the approvals, before the start
        status: dict[str, str] = {}
        for event in history.itertuples():
            if event.at <= day:
                status[event.match_id] = event.to_status
        plain: dict[str, int] = defaultdict(int)
        for match_id, value in status.items():
            if value in ("approved", "active"):
                plain[rows.at[match_id, "a"]] += 1
                plain[rows.at[match_id, "b"]] += 1
        got = commitments(state, day).set_index("person_id")["total"].to_dict()
        assert got == dict(plain)
        # Nobody holds more than the capacity of their latest enrolment.
        latest = enrolment.loc[enrolment["cycle_id"] <= cycle.cycle_id].drop_duplicates(
            "person_id", keep="last"
        )
        capacity = latest.set_index("person_id")["capacity"]
        assert all(total <= capacity[person] for person, total in plain.items())
        assert max(plain.values()) == 2  # some people hold two: the budget is really used


def test_health_equals_a_plain_count_of_the_imported_files(imported: dict) -> None:
    state = imported["state"]
    meetings, checkins, goals = imported["meetings"], imported["checkins"], imported["goals"]
    enrolment = imported["enrolment"]
    result = health(
        state,
        as_of=AS_OF,
        enrolment=enrolment,
        meetings=meetings,
        checkins=checkins,
        goals=goals,
        stall_weeks=6,
        people=imported["org"].staff,
        group_by="department",
    )
    history = state.history.sort_values("seq")
    for entry in result["cycles"]:
        cycle_id = entry["cycle_id"]
        mine = state.matches.loc[state.matches["cycle_id"] == cycle_id]
        ids = set(mine["match_id"])
        enrolled = set(enrolment.loc[enrolment["cycle_id"] == cycle_id, "person_id"])
        kept = mine.loc[mine["status"] != "declined"]
        matched = set(kept["a"]) | set(kept["b"])
        assert entry["enrolled"] == len(enrolled)
        assert entry["matched"] == len(matched)
        assert entry["match_rate"] == pytest.approx(
            len(enrolled & matched) / len(enrolled), abs=1e-4
        )
        # Active windows, from the history by hand.
        began, finished = {}, {}
        for event in history.itertuples():
            if event.match_id in ids and event.to_status == "active":
                began[event.match_id] = event.at
            if event.match_id in ids and event.to_status in ("completed", "ended_early"):
                finished[event.match_id] = event.at
        assert entry["pairs_started"] == len(began)
        count, days = 0, 0.0
        for match_id, first in began.items():
            last = finished.get(match_id, AS_OF)
            days += (last - first).total_seconds() / 86400
            dates = set(meetings.loc[meetings["match_id"] == match_id, "date"])
            count += sum(1 for d in dates if first.normalize() <= d <= last)
        assert entry["meetings"] == count
        assert entry["meetings_per_pair_month"] == pytest.approx(count / (days / 30.4375), abs=1e-4)
        ratings = checkins.loc[checkins["match_id"].isin(ids), "rating"]
        assert entry["mean_rating"] == pytest.approx(ratings.mean(), abs=1e-4)
        assert entry["ratings"] == len(ratings)
        milestones = goals.loc[goals["match_id"].isin(ids)]
        assert entry["milestones"] == len(milestones)
        assert entry["milestones_reached"] == int(milestones["reached"].notna().sum())
        early = mine.loc[mine["status"] == "ended_early"]
        assert entry["ended_early"] == len(early)
        assert entry["ended_early_rate"] == pytest.approx(len(early) / len(began), abs=1e-4)
        assert sum(entry["ended_early_reasons"].values()) == len(early)
        # Stalled: active pairs whose last meeting is more than six weeks old.
        stalled = 0
        for match_id in mine.loc[mine["status"] == "active", "match_id"]:
            dates = meetings.loc[meetings["match_id"] == match_id, "date"]
            last_met = dates.max() if len(dates) else began[match_id]
            stalled += (AS_OF - last_met) > pd.Timedelta(weeks=6)
        assert entry["stalled"] == stalled
        group_sizes = [g["size"] for g in entry["by_group"] if g["size"] is not None]
        assert all(size >= 5 for size in group_sizes)
    assert result["cycles"][-1]["stalled"] > 0  # the synthetic programme has stalling pairs
    listed = stalled_pairs(state, meetings, as_of=AS_OF, stall_weeks=6)
    assert len(listed) == sum(e["stalled"] for e in result["cycles"])
    assert (listed["weeks_since"] > 6).all()


def test_health_never_carries_comment_text(imported: dict) -> None:
    checkins = imported["checkins"]
    comments = [c for c in checkins["comment"].dropna().unique() if len(c) > 3]
    assert comments
    text = json.dumps(
        health(
            imported["state"],
            as_of=AS_OF,
            checkins=checkins,
            meetings=imported["meetings"],
            people=imported["org"].staff,
            group_by="department",
        )
    )
    assert not any(comment in text for comment in comments)
