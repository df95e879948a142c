"""Programme operations services: the register, health, check-ins, exports and roles.

Every health figure is recounted here independently from the tables the fixture wrote.
"""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from orgbridge.app.auth import User
from orgbridge.app.services import Services
from orgbridge.errors import AccessDenied, ParameterError
from orgbridge.programme import (
    ProgrammeState,
    add_cycle,
    add_programme,
    load_stored,
    propose,
    save_stored,
    start_cycle,
    transition,
)

COORDINATOR = User("cora", "coordinator")
EXECUTIVE = User("eve", "executive")
ANALYST = User("ann", "analyst")
TODAY = pd.Timestamp.now().normalize()
PAIRS = [
    ("fin01", "eng01"),
    ("fin02", "eng02"),
    ("fin03", "ope03"),
    ("sal04", "eng04"),
    ("sal05", "ope05"),
    ("sal06", "fin06"),
]
ENDED = ("sal05", "ope05")
DECLINED = ("sal06", "fin06")


def _days(n: int) -> pd.Timestamp:
    return TODAY - pd.Timedelta(days=n)


def _key(a: str, b: str) -> str:
    return "C1:" + ":".join(sorted((a, b)))


@pytest.fixture
def programme(services: Services) -> Services:
    s = add_programme(ProgrammeState.empty(), programme_id="RM", name="Reverse", kind="pairs")
    s = add_cycle(s, cycle_id="C1", programme_id="RM", start=_days(120), end=_days(-120))
    for a, b in PAIRS:
        s = propose(
            s,
            programme_id="RM",
            cycle_id="C1",
            a=a,
            b=b,
            by="cora",
            at=_days(130),
            explanation="=SUM(A1) shared interest",
        )
    approved = [_key(a, b) for a, b in PAIRS if (a, b) != DECLINED]
    s = transition(s, approved, "approved", by="dan", at=_days(125))
    s = transition(s, [_key(*DECLINED)], "declined", by="dan", at=_days(125))
    s = start_cycle(s, "C1", by="cora", at=_days(100))
    s = transition(s, [_key(*ENDED)], "ended_early", by="cora", at=_days(30), note="moved")
    enrolled = sorted({p for pair in PAIRS for p in pair} | {"leg01", "leg02"})
    enrolment = pd.DataFrame(
        {
            "cycle_id": "C1",
            "person_id": enrolled,
            "role": "either",
            "capacity": 1,
            "goals": [f"=goal of {p}" for p in enrolled],
        }
    )
    meetings = pd.DataFrame(
        {
            "match_id": [_key("fin01", "eng01")] * 3
            + [_key("fin02", "eng02"), _key("sal05", "ope05")],
            "date": [_days(90), _days(60), _days(10), _days(95), _days(50)],
            "minutes": [30.0, 45.0, 60.0, 30.0, 20.0],
        }
    )
    raters = [("fin01", "eng01"), ("fin02", "eng02"), ("fin03", "ope03"), ("sal04", "eng04")]
    checkins = pd.DataFrame(
        [
            {
                "match_id": _key(a, b),
                "person_id": p,
                "date": _days(40),
                "rating": r,
                "comment": f"comment by {p}" if p == "fin01" else None,
            }
            for (a, b), rs in zip(raters, [(5, 4), (3, 4), (2, 5), (4, 4)], strict=True)
            for p, r in zip((a, b), rs, strict=True)
        ]
    )
    goals = pd.DataFrame(
        {
            "match_id": [_key("fin01", "eng01")] * 2 + [_key("fin02", "eng02")],
            "goal": ["g1", "g1", "g2"],
            "milestone": ["m1", "m2", "m3"],
            "due": [_days(0)] * 3,
            "reached": [_days(20), pd.NaT, _days(5)],
        }
    )
    save_stored(
        services.store, s, enrolment=enrolment, meetings=meetings, checkins=checkins, goals=goals
    )
    return services


def test_matches_named_with_who_decided_and_filters(programme: Services) -> None:
    table = programme.matches(COORDINATOR)
    assert len(table) == 5  # the declined proposal is not listed
    row = table.loc[table["match_id"] == _key("fin01", "eng01")].iloc[0]
    assert {row["name_a"], row["name_b"]} == {"Name-fin01", "Name-eng01"}
    assert row["decided_by"] == "dan" and row["status"] == "active"
    assert pd.Timestamp(row["decided_at"]).normalize() == _days(125)
    ended = programme.matches(COORDINATOR, "C1", "ended_early")
    assert ended["match_id"].tolist() == [_key(*ENDED)] and ended["reason"].iloc[0] == "moved"
    with pytest.raises(ParameterError):
        programme.matches(COORDINATOR, "C9")
    with pytest.raises(ParameterError):
        programme.matches(COORDINATOR, None, "proposed'; drop")
    for user in (EXECUTIVE, ANALYST, None):
        with pytest.raises(AccessDenied):
            programme.matches(user)


def test_health_figures_equal_an_independent_count(programme: Services) -> None:
    stored = load_stored(programme.store)
    report = programme.programme_health(EXECUTIVE, 6)
    (cycle,) = report["cycles"]
    enrolled = set(stored.table("enrolment")["person_id"])
    partnered = {p for pair in PAIRS if pair != DECLINED for p in pair}
    assert cycle["enrolled"] == len(enrolled) == 14
    assert cycle["matched"] == len(partnered) == 10
    assert cycle["match_rate"] == pytest.approx(10 / 14, abs=1e-4)
    assert cycle["pairs_started"] == 5
    assert cycle["ended_early"] == 1 and cycle["ended_early_rate"] == pytest.approx(0.2)
    # stalled: active pairs (4) whose last meeting (or start, 100 days ago) is over 6 weeks old
    last = {_key("fin01", "eng01"): 10, _key("fin02", "eng02"): 95}
    active = [_key(a, b) for a, b in PAIRS if (a, b) not in (ENDED, DECLINED)]
    assert cycle["stalled"] == sum(last.get(m, 100) > 42 for m in active) == 3
    # meetings inside active windows / total window months
    months = (4 * 100 + 70) / 30.4375
    assert cycle["meetings"] == 5
    assert cycle["meetings_per_pair_month"] == pytest.approx(5 / months, abs=1e-4)
    assert cycle["mean_rating"] == pytest.approx((5 + 4 + 3 + 4 + 2 + 5 + 4 + 4) / 8, abs=1e-4)
    assert cycle["milestones"] == 3 and cycle["milestones_reached"] == 2
    # "moved" was given for one pair, under the threshold: pooled
    assert cycle["ended_early_reasons"] == {"other reasons": 1}
    text = json.dumps(report)
    for secret in ("Name-", "fin01", "comment by", "C1:"):
        assert secret not in text


def test_health_by_group_goes_through_the_disclosure_policy(programme: Services) -> None:
    report = programme.programme_health(EXECUTIVE, 6, "department")
    groups = report["cycles"][0]["by_group"]
    labels = {g["group"] for g in groups}
    assert "Legal" not in labels  # two enrolled people: under the threshold
    with pytest.raises((ParameterError, AccessDenied)):
        programme.programme_health(EXECUTIVE, 6, "name")
    with pytest.raises(ParameterError):
        programme.programme_health(EXECUTIVE, "0")


def test_pair_activity_and_stalled_export(programme: Services) -> None:
    everyone = programme.pair_activity(COORDINATOR, 6, False)
    assert len(everyone) == 4
    stalled = programme.pair_activity(COORDINATOR, 6, True)
    assert set(stalled["match_id"]) == set(everyone.loc[everyone["stalled"], "match_id"])
    assert len(stalled) == 3 and _key("fin01", "eng01") not in set(stalled["match_id"])
    assert (stalled["weeks_since"] > 6).all()
    name, payload = programme.export_stalled(COORDINATOR, 6)
    frame = pd.read_csv(io.BytesIO(payload))
    assert name.endswith(".csv") and len(frame) == 3
    assert "export" in set(programme.store.audit_log()["action"])
    with pytest.raises(AccessDenied):
        programme.pair_activity(EXECUTIVE, 6, True)
    with pytest.raises(AccessDenied):
        programme.export_stalled(ANALYST, 6)


def test_introductions_are_named_and_formula_safe(programme: Services) -> None:
    name, payload = programme.export_introductions(COORDINATOR, "C1")
    frame = pd.read_csv(io.BytesIO(payload), dtype=str)
    assert name == "orgbridge-introductions-C1.csv"
    assert len(frame) == 4  # active pairs (the one ended early is not introduced)
    assert "Name-fin01" in set(frame["name_a"]) | set(frame["name_b"])
    for column in ("goals_a", "goals_b", "reason"):
        assert not frame[column].str.startswith(("=", "+", "-", "@")).any()
    with pytest.raises(AccessDenied):
        programme.export_introductions(EXECUTIVE, "C1")
    with pytest.raises(ParameterError):
        programme.export_introductions(COORDINATOR, "../C1")


def test_record_checkin_is_stored_and_counted(programme: Services) -> None:
    match = _key("fin03", "ope03")
    before = programme.programme_health(COORDINATOR, 6)["cycles"][0]
    message = programme.record_checkin(
        COORDINATOR,
        match,
        date=str(_days(1).date()),
        minutes=40,
        ratings={"a": {"rating": 5, "comment": "=great"}, "b": {"rating": "4"}},
        milestone="first project",
    )
    assert match in message
    stored = load_stored(programme.store)
    assert stored.table("meetings")["match_id"].tolist().count(match) == 1
    mine = stored.table("checkins").loc[lambda t: t["match_id"] == match]
    assert sorted(mine["rating"].tolist()) == [2, 4, 5, 5]
    after = programme.programme_health(COORDINATOR, 6)["cycles"][0]
    assert after["meetings"] == before["meetings"] + 1
    assert after["stalled"] == before["stalled"] - 1
    assert after["milestones_reached"] == before["milestones_reached"] + 1
    comments = programme.checkin_comments(COORDINATOR)
    assert "=great" in set(comments["comment"]) and "Name-fin03" in set(comments["person"])
    with pytest.raises(AccessDenied):
        programme.checkin_comments(EXECUTIVE)


@pytest.mark.parametrize(
    ("user", "match", "fields", "error"),
    [
        (EXECUTIVE, "C1:eng01:fin01", {"date": "2026-01-01", "minutes": 3}, AccessDenied),
        (ANALYST, "C1:eng01:fin01", {"date": "2026-01-01", "minutes": 3}, AccessDenied),
        (None, "C1:eng01:fin01", {"date": "2026-01-01", "minutes": 3}, AccessDenied),
        (COORDINATOR, "C1:fin06:sal06", {"date": "2026-01-01", "minutes": 3}, ParameterError),
        (COORDINATOR, "C1:eng01:fin01", {"date": "not a date", "minutes": 3}, ParameterError),
        (COORDINATOR, "C1:eng01:fin01", {"date": "2999-01-01", "minutes": 3}, ParameterError),
        (COORDINATOR, "C1:eng01:fin01", {"date": "2026-01-01"}, ParameterError),
        (
            COORDINATOR,
            "C1:eng01:fin01",
            {"date": "2026-01-01", "ratings": {"a": {"rating": 6}}},
            ParameterError,
        ),
        (COORDINATOR, "C1:eng01:fin01", {"date": "2026-01-01", "minutes": -5}, ParameterError),
    ],
)
def test_record_checkin_refuses_bad_requests(
    programme: Services, user: User | None, match: str, fields: dict, error: type
) -> None:
    before = load_stored(programme.store)
    with pytest.raises(error):
        programme.record_checkin(user, match, **fields)
    after = load_stored(programme.store)
    assert len(after.table("meetings")) == len(before.table("meetings"))
    assert len(after.table("checkins")) == len(before.table("checkins"))


def test_impact_for_executives_is_aggregate(programme: Services) -> None:
    result = programme.programme_impact(EXECUTIVE)
    assert result["cycle_id"] == "C1"
    # eight participants: too few for an interval; the note says so
    assert result["note"]
    text = json.dumps(result, default=str)
    for secret in ("Name-", "fin01", "comment by"):
        assert secret not in text
    with pytest.raises(ParameterError):
        programme.programme_impact(EXECUTIVE, "C2")


def test_review_decide_with_note_undo_and_start_a_cycle(services: Services) -> None:
    run = services.recommend(COORDINATOR, kind="pairs", count=3)
    services.save_run(COORDINATOR, run)
    review = services.review(COORDINATOR)
    assert len(review) == len(run["proposals"]) > 0
    first = review.iloc[0]
    people = services.graph().people.set_index("person_id")
    assert first["department_a"] == people.loc[first["a"], "department"]
    assert int(first["level_b"]) == int(people.loc[first["b"], "level"])
    assert set(review["decision"]) == {""}  # proposed
    pair = (str(first["a"]), str(first["b"]))
    services.decide(COORDINATOR, [pair], kind="pair", decision="decline", note="same team")
    stored = load_stored(services.store).state
    last = stored.history.sort_values("seq").iloc[-1]
    assert last["to_status"] == "declined" and last["note"] == "same team"
    assert services.review(COORDINATOR)["decision"].iloc[0] == "declined"
    assert "proposed again" in services.undo_decision(COORDINATOR)
    assert services.review(COORDINATOR)["decision"].iloc[0] == ""
    with pytest.raises(ParameterError):
        services.undo_decision(COORDINATOR)  # one level only
    services.decide(COORDINATOR, [pair], kind="pair", decision="approve")
    cycle = str(load_stored(services.store).state.matches["cycle_id"].iloc[0])
    for user in (EXECUTIVE, ANALYST):
        with pytest.raises(AccessDenied):
            services.change_cycle(user, cycle, action="start")
        with pytest.raises(AccessDenied):
            services.undo_decision(user)
    with pytest.raises(ParameterError):
        services.change_cycle(COORDINATOR, cycle, action="delete")
    assert "1 approved match" in services.change_cycle(COORDINATOR, cycle, action="start")
    (active,) = services.matches(COORDINATOR, cycle, "active")["match_id"]
    assert set(active.split(":")[1:]) == set(pair)
    assert "1 active match" in services.change_cycle(COORDINATOR, cycle, action="close")
    assert len(services.matches(COORDINATOR, cycle, "completed")) == 1


def test_health_rows_and_trend_figure(programme: Services) -> None:
    from orgbridge.app.pages._health import health_figure, health_rows

    report = programme.programme_health(EXECUTIVE, 6)
    (row,) = health_rows(report)
    assert row["enrolled"] == 14 and row["ended_early_reasons"] == "other reasons: 1"
    figure = health_figure(report)
    assert figure.layout.xaxis.type == "date"
    month = _days(40).strftime("%Y-%m")
    assert list(figure.data[0].x) == [f"{month}-01"]
    assert figure.data[0].y[0] == pytest.approx(31 / 8, abs=1e-3)


def test_end_early_from_the_app_goes_through_the_operations(programme: Services) -> None:
    live = {o["value"] for o in programme.live_match_options(COORDINATOR)}
    target = _key("fin01", "eng01")
    assert target in live and _key(*ENDED) not in live  # only approved or active matches
    for bad in ({"match": target}, "C1", _key(*ENDED), None):  # forged, or not live
        with pytest.raises(ParameterError):
            programme.end_match(COORDINATOR, bad, "left the firm")
    with pytest.raises(ParameterError):
        programme.end_match(COORDINATOR, target, "   ")  # a reason is required
    for user in (EXECUTIVE, ANALYST, None):
        with pytest.raises(AccessDenied):
            programme.end_match(user, target, "left the firm")
    assert "early" in programme.end_match(COORDINATOR, target, "left the firm")
    ended = programme.matches(COORDINATOR, "C1", "ended_early")
    row = ended.loc[ended["match_id"] == target].iloc[0]
    assert row["reason"] == "left the firm"
    assert target not in {o["value"] for o in programme.live_match_options(COORDINATOR)}
    audit = programme.store.audit_log()
    assert (audit["action"] == "programme:end_early").sum() == 1
