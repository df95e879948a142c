"""Programme health: is each cycle running? Participation, meetings, stalls, ratings, goals.

Definitions (the tests recount each one independently from the imported files):

- **enrolled**: people in the cycle's enrolment; **matched**: people in a match of the cycle
  that was approved (approved, active, completed or ended early as of ``as_of``);
  **match rate**: enrolled people who are matched / enrolled.
- **started pairs**: matches of the cycle that became active. A pair's *active window* runs
  from the day it became active to the day it completed or ended early (or ``as_of``).
- **meetings per active pair per month**: distinct (pair, day) meetings inside the pairs'
  active windows / the windows' total length in months (30.4375 days).
- **stalled**: pairs active at ``as_of`` whose last meeting (or, without one, their start) is
  more than ``stall_weeks`` weeks before ``as_of``.
- **rating**: mean check-in rating (1-5) up to ``as_of``; per month for the trend, with the
  least-squares slope (rating points per month) over the months shown. A mean over fewer than
  ``min_group`` distinct raters is blank.
- **milestones**: goals' milestones of the cycle's pairs, and those reached by ``as_of``.
- **ended early**: started pairs that ended early / started pairs, with the reasons; reasons
  given for fewer than ``min_group`` pairs are pooled as "other reasons".
- **by group** (optional, any person attribute): enrolled, matched, match rate and mean rating
  per group, through the disclosure policy (groups under ``min_group`` unlabelled and pooled,
  complementary suppression).

Comments are never read here, so no health figure can carry their text.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from orgbridge.disclosure import disclose_groups, suppression_plan
from orgbridge.errors import ParameterError
from orgbridge.metrics import check_min_group
from orgbridge.programme._activity import CHECKIN_COLUMNS, GOAL_COLUMNS, MEETING_COLUMNS
from orgbridge.programme._enrolment import ENROLMENT_COLUMNS
from orgbridge.programme._model import (
    ACTIVE,
    COMPLETED,
    ENDED_EARLY,
    STATUSES,
    ProgrammeState,
    timestamp,
)
from orgbridge.programme._recommender import PARTNERED, statuses_as_of

__all__ = ["DAYS_PER_MONTH", "OTHER_REASONS", "active_windows", "health", "stalled_pairs"]

DAYS_PER_MONTH = 30.4375
OTHER_REASONS = "other reasons"


def active_windows(state: ProgrammeState, as_of: str | pd.Timestamp) -> pd.DataFrame:
    """Every match that became active by ``as_of``, with the window it was active in.

    Returns
    -------
    pandas.DataFrame
        ``match_id, cycle_id, a, b, kind, status, reason, active_from, active_until`` where
        ``status`` is as of ``as_of`` and ``active_until`` is when it completed or ended
        early (else ``as_of``).
    """
    day = timestamp(as_of, "as_of")
    events = state.history.loc[state.history["at"] <= day]
    began = events.loc[events["to_status"] == ACTIVE].groupby("match_id")["at"].max()
    ended = (
        events.loc[events["to_status"].isin([COMPLETED, ENDED_EARLY])]
        .groupby("match_id")["at"]
        .max()
    )
    current = statuses_as_of(state, day)
    # A start that was undone (the match is approved again) is no start.
    started = current["status"].isin([ACTIVE, COMPLETED, ENDED_EARLY])
    out = current.loc[started & current["match_id"].isin(began.index)].copy()
    keys = out["match_id"].astype(object)
    out["active_from"] = began.reindex(keys).to_numpy(dtype="datetime64[ns]")
    finished = out["status"].isin([COMPLETED, ENDED_EARLY])
    until = pd.Series(ended.reindex(keys).to_numpy(dtype="datetime64[ns]"), index=out.index)
    out["active_until"] = until.where(finished, day).astype("datetime64[ns]")
    columns = ["match_id", "cycle_id", "a", "b", "kind", "status", "reason"]
    return out[[*columns, "active_from", "active_until"]].reset_index(drop=True)


def stalled_pairs(
    state: ProgrammeState,
    meetings: pd.DataFrame,
    *,
    as_of: str | pd.Timestamp,
    stall_weeks: float = 6,
    cycle_id: str | None = None,
) -> pd.DataFrame:
    """Active pairs with no meeting for more than ``stall_weeks`` weeks (for the export).

    Parameters
    ----------
    state
        The programme state.
    meetings
        The meetings table (:data:`MEETING_COLUMNS`).
    as_of
        The day to judge at; later meetings are ignored.
    stall_weeks
        Weeks without a meeting after which an active pair counts as stalled (> 0).
    cycle_id
        Only this cycle's pairs (default: all).

    Returns
    -------
    pandas.DataFrame
        ``match_id, cycle_id, a, b, kind, active_from, last_meeting, weeks_since`` (person
        ids: show it to roles that may see people), most stalled first.

    Raises
    ------
    ParameterError
        ``stall_weeks`` is not positive.
    """
    day = timestamp(as_of, "as_of")
    if not stall_weeks > 0:
        raise ParameterError(f"stall_weeks must be positive, got {stall_weeks}")
    windows = active_windows(state, day)
    live = windows.loc[windows["status"] == ACTIVE]
    if cycle_id is not None:
        live = live.loc[live["cycle_id"] == cycle_id]
    met = meetings.loc[meetings["date"] <= day].groupby("match_id")["date"].max()
    last = pd.Series(
        met.reindex(live["match_id"].astype(object)).to_numpy(dtype="datetime64[ns]"),
        index=live.index,
    )
    since = last.where(last.notna(), live["active_from"])
    weeks = (day - since).dt.total_seconds() / (7 * 86400)
    out = live.assign(last_meeting=last, weeks_since=weeks.round(1))
    out = out.loc[(weeks > stall_weeks).to_numpy()]
    columns = ["match_id", "cycle_id", "a", "b", "kind", "active_from", "last_meeting"]
    out = out[[*columns, "weeks_since"]]
    ordered: pd.DataFrame = out.sort_values(
        ["weeks_since", "match_id"], ascending=[False, True], ignore_index=True
    )
    return ordered


def health(
    state: ProgrammeState,
    *,
    as_of: str | pd.Timestamp,
    enrolment: pd.DataFrame | None = None,
    meetings: pd.DataFrame | None = None,
    checkins: pd.DataFrame | None = None,
    goals: pd.DataFrame | None = None,
    stall_weeks: float = 6,
    people: pd.DataFrame | None = None,
    group_by: str | None = None,
    min_group: int = 5,
    programme_id: str | None = None,
) -> dict[str, Any]:
    """How every cycle of the programme(s) is running, as a JSON-ready dict.

    Parameters
    ----------
    state
        The programme state.
    as_of
        The day the figures are for; later events, meetings and check-ins are ignored.
    enrolment, meetings, checkins, goals
        The imported tables (see the ``*_COLUMNS`` schemas); missing ones count as empty.
    stall_weeks
        Weeks without a meeting after which an active pair is stalled.
    people
        ``person_id`` and attributes, for ``group_by``.
    group_by
        A person attribute to break participation and ratings down by.
    min_group
        The privacy threshold (at least 5).
    programme_id
        Only this programme's cycles (default: all).

    Returns
    -------
    dict
        ``{"as_of", "parameters", "cycles": [...]}``, one entry per cycle (by start date)
        with the figures defined in the module docstring.

    Raises
    ------
    ParameterError
        A bad threshold or parameter, or ``group_by`` without ``people`` or not a column.
    PrivacyError
        ``min_group`` is under 5.

    Example
    -------
    >>> from orgbridge.programme import ProgrammeState, add_programme, add_cycle, propose
    >>> s = add_programme(ProgrammeState.empty(), programme_id="RM", name="R", kind="pairs")
    >>> s = add_cycle(s, cycle_id="C1", programme_id="RM", start="2026-02-01", end="2026-12-31")
    >>> s = propose(s, programme_id="RM", a="P1", b="P2", by="u", at="2026-01-05")
    >>> h = health(s, as_of="2026-03-01")
    >>> h["cycles"][0]["statuses"]["proposed"], h["cycles"][0]["match_rate"]
    (1, None)
    """
    day = timestamp(as_of, "as_of")
    k = check_min_group(min_group)
    if not stall_weeks > 0:
        raise ParameterError(f"stall_weeks must be positive, got {stall_weeks}")
    if group_by is not None and (people is None or group_by not in people.columns):
        raise ParameterError(f"group_by {group_by!r} needs a people table with that column")
    enrolment = _or_empty(enrolment, ENROLMENT_COLUMNS)
    meetings = _or_empty(meetings, MEETING_COLUMNS)
    checkins = _or_empty(checkins, CHECKIN_COLUMNS)
    goals = _or_empty(goals, GOAL_COLUMNS)
    cycles = state.cycles.sort_values(["start", "cycle_id"])
    if programme_id is not None:
        state.programme(programme_id)
        cycles = cycles.loc[cycles["programme_id"] == programme_id]
    current = statuses_as_of(state, day)
    windows = active_windows(state, day)
    stalled = stalled_pairs(
        state, meetings.loc[meetings["date"] <= day], as_of=day, stall_weeks=stall_weeks
    )
    rated = checkins.loc[checkins["date"] <= day]
    out = []
    for cycle in cycles.itertuples(index=False):
        cycle_id = str(cycle.cycle_id)
        mine = current.loc[current["cycle_id"] == cycle_id]
        started = windows.loc[windows["cycle_id"] == cycle_id]
        enrolled = set(enrolment.loc[enrolment["cycle_id"] == cycle_id, "person_id"].astype(str))
        partnered = mine.loc[mine["status"].isin(PARTNERED)]
        matched = set(partnered["a"].astype(str)) | set(partnered["b"].astype(str))
        ids = set(mine["match_id"].astype(str))
        entry: dict[str, Any] = {
            "cycle_id": cycle_id,
            "programme_id": str(cycle.programme_id),
            "start": _iso(cycle.start),
            "end": _iso(cycle.end),
            "enrolled": len(enrolled),
            "matched": len(matched),
            "match_rate": _ratio(len(enrolled & matched), len(enrolled)),
            "statuses": {s: int((mine["status"] == s).sum()) for s in STATUSES},
            "pairs_started": len(started),
            **_meeting_rate(started, meetings),
            "stalled": int((stalled["cycle_id"] == cycle_id).sum()),
            "stall_weeks": stall_weeks,
            **_ratings(rated.loc[rated["match_id"].isin(ids)], k),
            **_milestones(goals.loc[goals["match_id"].isin(ids)], day),
            **_ended_early(started, k),
        }
        if group_by is not None and people is not None:
            entry["by_group"] = _by_group(
                people, group_by, enrolled, matched, rated.loc[rated["match_id"].isin(ids)], k
            )
        out.append(entry)
    return {
        "as_of": _iso(day),
        "parameters": {
            "stall_weeks": stall_weeks,
            "min_group": k,
            "group_by": group_by,
            "programme_id": programme_id,
        },
        "cycles": out,
    }


def _or_empty(table: pd.DataFrame | None, schema: dict[str, str]) -> pd.DataFrame:
    if table is None:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in schema.items()})
    missing = [c for c in schema if c not in table.columns and c != "comment"]
    if missing:
        raise ParameterError(f"a programme table lacks the column(s) {missing}")
    return table


def _meeting_rate(started: pd.DataFrame, meetings: pd.DataFrame) -> dict[str, Any]:
    if started.empty:
        return {"meetings": 0, "meetings_per_pair_month": None}
    joined = meetings[["match_id", "date"]].merge(
        started[["match_id", "active_from", "active_until"]], on="match_id"
    )
    inside = joined.loc[
        (joined["date"] >= joined["active_from"].dt.normalize())
        & (joined["date"] <= joined["active_until"])
    ]
    count = len(inside.drop_duplicates(["match_id", "date"]))
    days = (started["active_until"] - started["active_from"]).dt.total_seconds().sum() / 86400
    months = days / DAYS_PER_MONTH
    return {
        "meetings": count,
        "meetings_per_pair_month": _round(count / months) if months > 0 else None,
    }


def _ratings(rated: pd.DataFrame, k: int) -> dict[str, Any]:
    raters = rated["person_id"].nunique()
    mean = float(rated["rating"].mean()) if raters >= k else None
    months = rated.assign(month=rated["date"].dt.strftime("%Y-%m"))
    trend = []
    for month, group in months.groupby("month", sort=True):
        n = int(group["person_id"].nunique())
        trend.append(
            {
                "month": str(month),
                "ratings": len(group) if n >= k else None,
                "mean_rating": _round(float(group["rating"].mean())) if n >= k else None,
            }
        )
    shown = [(i, t["mean_rating"]) for i, t in enumerate(trend) if t["mean_rating"] is not None]
    slope = None
    if len(shown) >= 2:
        x = np.array([i for i, _ in shown], dtype=float)
        y = np.array([v for _, v in shown], dtype=float)
        slope = _round(float(np.polyfit(x, y, 1)[0]))
    return {
        "ratings": len(rated) if raters >= k else None,
        "raters": int(raters) if raters >= k else None,
        "mean_rating": _round(mean),
        "rating_trend": trend,
        "rating_slope_per_month": slope,
    }


def _milestones(goals: pd.DataFrame, day: pd.Timestamp) -> dict[str, Any]:
    total = len(goals)
    reached = int((goals["reached"] <= day).sum())
    return {
        "milestones": total,
        "milestones_reached": reached,
        "milestone_share": _ratio(reached, total),
    }


def _ended_early(started: pd.DataFrame, k: int) -> dict[str, Any]:
    ended = started.loc[started["status"] == ENDED_EARLY]
    return {
        "ended_early": len(ended),
        "ended_early_rate": _ratio(len(ended), len(started)),
        "ended_early_reasons": _reasons(ended, k) if len(ended) else {},
    }


def _reasons(ended: pd.DataFrame, k: int) -> dict[str, int]:
    # The reason lives on the matches table (via the match id), not in the windows.
    counts = (
        ended["reason"].fillna("(none)").astype(str).value_counts() if "reason" in ended else None
    )
    if counts is None:
        return {}
    shown = {str(r): int(n) for r, n in counts.items() if n >= k}
    pooled = int(counts[counts < k].sum())
    if pooled:
        shown[OTHER_REASONS] = pooled
    return shown


def _by_group(
    people: pd.DataFrame,
    group_by: str,
    enrolled: set[str],
    matched: set[str],
    rated: pd.DataFrame,
    k: int,
) -> list[dict[str, Any]]:
    groups = people.assign(person_id=people["person_id"].astype(str)).set_index("person_id")[
        group_by
    ]
    groups = groups.astype("string").fillna("(missing)")
    frame = pd.DataFrame({"person_id": sorted(enrolled)})
    frame["group"] = frame["person_id"].map(groups).fillna("(missing)")
    frame["matched"] = frame["person_id"].isin(matched)
    rater_group = rated.assign(group=rated["person_id"].astype(str).map(groups).fillna("(missing)"))
    rows = []
    for label, members in frame.groupby("group", sort=True):
        votes = rater_group.loc[rater_group["group"] == label]
        rows.append(
            {
                "group": str(label),
                "size": len(members),
                "matched": int(members["matched"].sum()),
                "match_rate": float(members["matched"].mean()),
                "raters": int(votes["person_id"].nunique()),
                "mean_rating": float(votes["rating"].mean()) if len(votes) else np.nan,
            }
        )
    table = pd.DataFrame(
        rows, columns=["group", "size", "matched", "match_rate", "raters", "mean_rating"]
    )
    plan = suppression_plan(table.set_index("group")["size"], min_group=k)
    shown = disclose_groups(table, min_group=k, plan=plan, denominators={"mean_rating": "raters"})
    return [
        {str(key): _plain(value) for key, value in row.items()} for row in shown.to_dict("records")
    ]


def _ratio(part: int, whole: int) -> float | None:
    return _round(part / whole) if whole else None


def _round(value: float | None) -> float | None:
    if value is None or not np.isfinite(value):
        return None
    return round(float(value), 4)


def _iso(value: Any) -> str | None:
    stamp = pd.Timestamp(value)
    return None if pd.isna(stamp) else stamp.date().isoformat()


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (float, np.floating)):
        return _round(float(value))
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    return value
