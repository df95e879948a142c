"""Programme operations services: the match register, health, check-ins and impact.

Read-only views load the programme with :func:`~orgbridge.programme.load_stored`; named views
(the register, stalled pairs, comments, the introduction file) are for coordinators and admins;
health and impact are aggregates every role may see (no name, comment, pair or person id in
them, groups through the disclosure policy).

Example
-------
>>> from orgbridge.app.auth import User
>>> from orgbridge.app._access import check_access
>>> check_access(User("eve", "executive"), "names")
Traceback (most recent call last):
...
orgbridge.errors.AccessDenied: the executive role may not see named people
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from orgbridge.app._access import requires
from orgbridge.app._services_recommend import RecommendServices
from orgbridge.app.auth import User
from orgbridge.disclosure import (
    neutralise_frame,
    parse_choice,
    parse_flag,
    parse_int,
    parse_text,
    safe_csv,
)
from orgbridge.errors import OrgbridgeError, ParameterError
from orgbridge.programme import (
    StoredProgramme,
    active_windows,
    health,
    impact,
    introductions,
    load_stored,
    match_register,
    save_stored,
    stalled_pairs,
)

__all__ = ["MATCH_STATUSES", "ProgrammeServices"]

#: Statuses the Matches page lists (decided and running pairs; proposals are on Recommend).
MATCH_STATUSES = ("approved", "active", "completed", "ended_early")
#: Columns of people shown beside each end of a match (names for coordinators only).
_PERSON_COLUMNS = ("name", "department", "level")
_MAX_TEXT = 500


class ProgrammeServices(RecommendServices):
    """Programme operations: register, introductions, health, stalled pairs, check-ins."""

    def _programme(self) -> StoredProgramme:
        return load_stored(self.store)

    def _cycle_ids(self, stored: StoredProgramme) -> list[str]:
        cycles = stored.state.cycles.sort_values(["start", "cycle_id"])
        return [str(c) for c in cycles["cycle_id"]]

    def _people_columns(self, ids: pd.Series, end: str) -> dict[str, np.ndarray]:
        people = self.graph().people
        table = people.assign(person_id=people["person_id"].astype(str)).set_index("person_id")
        keys = ids.astype(str)
        out: dict[str, np.ndarray] = {}
        for column in _PERSON_COLUMNS:
            if column in table.columns:
                out[f"{column}_{end}"] = keys.map(table[column]).astype(object).to_numpy()
        return out

    @requires("names")
    def programme_cycles(self, user: User | None) -> list[dict[str, str]]:
        """The cycles as dropdown options (latest last)."""
        stored = self._programme()
        cycles = stored.state.cycles.sort_values(["start", "cycle_id"])
        return [
            {
                "label": f"{c.cycle_id} ({str(c.start)[:10]} to {str(c.end)[:10]})",
                "value": str(c.cycle_id),
            }
            for c in cycles.itertuples(index=False)
        ]

    @requires("names")
    def matches(self, user: User | None, cycle: Any = None, status: Any = None) -> pd.DataFrame:
        """The match register with both people named: who decided, started and ended each.

        ``cycle`` and ``status`` filter (None or "" for all); proposals and declined matches
        are left to the Recommend page.
        """
        stored = self._programme()
        cycle_id = (
            None
            if cycle in (None, "")
            else parse_choice(cycle, self._cycle_ids(stored), what="the cycle")
        )
        chosen = (
            MATCH_STATUSES
            if status in (None, "")
            else (parse_choice(status, MATCH_STATUSES, what="the status"),)
        )
        register = match_register(stored.state)
        register = register.loc[register["status"].isin(chosen)]
        if cycle_id is not None:
            register = register.loc[register["cycle_id"] == cycle_id]
        out = register[["cycle_id", "match_id", "kind", "status"]].reset_index(drop=True)
        for end in ("a", "b"):
            for column, values in self._people_columns(register[end], end).items():
                out[column] = values
        for column in ("decided_by", "decided_at", "started_at", "ended_at", "reason"):
            out[column] = register[column].to_numpy()
        return out

    @requires("recommend")
    def review(self, user: User | None, run_id: Any = None) -> pd.DataFrame:
        """A run's proposals (latest by default) with both people's departments and levels
        beside their names, for the review grid."""
        assert user is not None
        table: pd.DataFrame = self.proposals(user, run_id)
        if len(table) == 0:
            return table
        graph = self.graph()
        known = set(graph.ids.astype(str))
        for end in ("a", "b"):
            ids = table[end].astype(str)
            inside = ids.isin(known).to_numpy()
            positions = graph.positions(ids[inside])
            for column in ("department", "level"):
                if column in graph.people.columns:
                    values = np.full(len(table), None, dtype=object)
                    values[inside] = self._person_attribute(user, column, positions)
                    table[f"{column}_{end}"] = values
        return table

    @requires("recommend")
    def undo_decision(self, user: User | None) -> str:
        """Undo this user's last decision (through the programme operations); what was undone."""
        assert user is not None
        from orgbridge.programme import undo_last

        return undo_last(self.store, by=user.username, at=_today())

    @requires("recommend")
    def change_cycle(self, user: User | None, cycle: Any, *, action: Any) -> str:
        """Start (approved matches become active) or close (active ones complete) a cycle."""
        assert user is not None
        from orgbridge.programme._operations import close_cycle, start_cycle

        cycle_id = parse_choice(cycle, self._cycle_ids(self._programme()), what="the cycle")
        move = parse_choice(action, ("start", "close"), what="the cycle action")
        operation = start_cycle if move == "start" else close_cycle
        return operation(self.store, cycle_id, by=user.username, at=_today())

    @requires("names")
    def export_introductions(self, user: User | None, cycle: Any) -> tuple[str, bytes]:
        """The introduction file of a cycle (CSV for a mail merge: both people named, their
        goals and why they were matched), formula-safe; the export is audited."""
        assert user is not None
        stored = self._programme()
        cycle_id = parse_choice(cycle, self._cycle_ids(stored), what="the cycle")
        people = self.graph().people
        shown = [c for c in ("person_id", *_PERSON_COLUMNS, "email") if c in people.columns]
        table = introductions(
            stored.state, cycle_id, enrolment=stored.table("enrolment"), people=people[shown]
        )
        payload = safe_csv(neutralise_frame(table))
        self.store.audit(
            "export",
            by=user.username,
            detail={"what": "introductions", "cycle_id": cycle_id, "rows": len(table)},
        )
        return f"orgbridge-introductions-{cycle_id}.csv", payload

    @requires("aggregates")
    def programme_health(
        self, user: User | None, stall_weeks: Any = 6, group_by: Any = None
    ) -> dict[str, Any]:
        """Health of every cycle as of today (participants, match rate, meetings per active
        pair per month, stalled pairs, ratings and trend, milestones, ended early).

        Aggregates only (no name, comment or pair); ``group_by`` breaks participation and
        ratings down by a permitted attribute through the disclosure policy.
        """
        weeks = parse_int(stall_weeks, what="the weeks without a meeting", low=1, high=104)
        grouping = None if group_by in (None, "") else self._group_by(group_by)
        stored = self._programme()
        today = _today()

        def compute() -> dict[str, Any]:
            return health(
                stored.state,
                as_of=today,
                enrolment=stored.table("enrolment"),
                meetings=stored.table("meetings"),
                checkins=stored.table("checkins").drop(columns=["comment"]),
                goals=stored.table("goals"),
                stall_weeks=weeks,
                people=self.graph().people if grouping else None,
                group_by=grouping,
                min_group=self.min_group,
            )

        # computed once per day and programme version (every change adds rows)
        key = ("programme_health", weeks, grouping, str(today), _version(stored))
        found: dict[str, Any] = self._cached(key, compute)
        return found

    @requires("names")
    def pair_activity(
        self, user: User | None, stall_weeks: Any = 6, stalled_only: Any = False
    ) -> pd.DataFrame:
        """Active pairs, named, with their last meeting, the weeks since it (or since the
        start) and whether that is more than ``stall_weeks`` weeks (``stalled_only``: just
        those)."""
        weeks = parse_int(stall_weeks, what="the weeks without a meeting", low=1, high=104)
        only = parse_flag(stalled_only)
        stored = self._programme()
        today = _today()
        if only:
            table = stalled_pairs(
                stored.state, stored.table("meetings"), as_of=today, stall_weeks=weeks
            )
        else:
            windows = active_windows(stored.state, today)
            table = windows.loc[windows["status"] == "active"].reset_index(drop=True)
            meetings = stored.table("meetings")
            met = meetings.loc[meetings["date"] <= today].groupby("match_id")["date"].max()
            last = pd.Series(
                met.reindex(table["match_id"].astype(object)).to_numpy(dtype="datetime64[ns]"),
                index=table.index,
            )
            since = last.where(last.notna(), table["active_from"])
            table["last_meeting"] = last
            table["weeks_since"] = ((today - since).dt.total_seconds() / (7 * 86400)).round(1)
        out = table[["cycle_id", "match_id"]].copy()
        for end in ("a", "b"):
            for column, values in self._people_columns(table[end], end).items():
                out[column] = values
        out["last_meeting"] = table["last_meeting"].to_numpy()
        out["weeks_since"] = table["weeks_since"].to_numpy()
        out["stalled"] = (table["weeks_since"] > weeks).to_numpy()
        ordered: pd.DataFrame = out.sort_values(
            ["weeks_since", "match_id"], ascending=[False, True], ignore_index=True
        )
        return ordered

    @requires("recommend")
    def active_pair_options(self, user: User | None) -> list[dict[str, str]]:
        """Active pairs as dropdown options, named (for the check-in form)."""
        matches = self._programme().state.matches
        live = matches.loc[matches["status"] == "active"].sort_values("match_id")
        names_a = self._people_columns(live["a"], "a").get("name_a", live["a"].to_numpy())
        names_b = self._people_columns(live["b"], "b").get("name_b", live["b"].to_numpy())
        return [
            {"label": f"{a} & {b} ({m})", "value": str(m)}
            for m, a, b in zip(live["match_id"], names_a, names_b, strict=True)
        ]

    @requires("recommend")
    def end_match(self, user: User | None, match: Any, reason: Any) -> str:
        """End an approved or active match early, with its reason (kept in the status history
        and audited), through the programme operations like the CLI's ``end-early``."""
        assert user is not None
        from orgbridge.programme._operations import end_early

        matches = self._programme().state.matches
        live = matches.loc[matches["status"].isin(("approved", "active")), "match_id"]
        match_id = parse_choice(match, sorted(live.astype(str)), what="the match to end")
        text = parse_text(reason, what="the reason", max_length=_MAX_TEXT)
        if not text:
            raise ParameterError("give the reason the match ended early")
        return end_early(self.store, match_id, text, by=user.username, at=_today())

    @requires("recommend")
    def live_match_options(self, user: User | None) -> list[dict[str, str]]:
        """Approved and active matches as dropdown options, named (to end one early)."""
        matches = self._programme().state.matches
        live = matches.loc[matches["status"].isin(("approved", "active"))]
        live = live.sort_values("match_id")
        names_a = self._people_columns(live["a"], "a").get("name_a", live["a"].to_numpy())
        names_b = self._people_columns(live["b"], "b").get("name_b", live["b"].to_numpy())
        return [
            {"label": f"{a} & {b} ({m}, {status})", "value": str(m)}
            for m, a, b, status in zip(
                live["match_id"], names_a, names_b, live["status"], strict=True
            )
        ]

    @requires("names")
    def export_stalled(self, user: User | None, stall_weeks: Any = 6) -> tuple[str, bytes]:
        """The stalled pairs as formula-safe CSV (audited)."""
        assert user is not None
        table = self.pair_activity(user, stall_weeks, True).drop(columns=["stalled"])
        self.store.audit(
            "export", by=user.username, detail={"what": "stalled pairs", "rows": len(table)}
        )
        return "orgbridge-stalled-pairs.csv", safe_csv(neutralise_frame(table))

    @requires("names")
    def checkin_comments(self, user: User | None) -> pd.DataFrame:
        """Check-ins that carry a comment, latest first, with the person named."""
        checkins = self._programme().table("checkins")
        rows = checkins.loc[checkins["comment"].notna() & (checkins["comment"] != "")]
        out = rows[["match_id", "date", "rating"]].reset_index(drop=True)
        out.insert(1, "person", self._people_columns(rows["person_id"], "x").get("name_x"))
        out["comment"] = rows["comment"].to_numpy()
        return out.sort_values(["date", "match_id"], ascending=[False, True], ignore_index=True)

    @requires("recommend")
    def record_checkin(
        self,
        user: User | None,
        match: Any,
        *,
        date: Any,
        minutes: Any = None,
        ratings: Any = None,
        milestone: Any = None,
    ) -> str:
        """Record a meeting of an active pair, each person's rating (1-5, optional comment)
        and an optional milestone reached; stored with the programme and audited.

        ``ratings`` maps "a"/"b" to ``{"rating": 1-5 or None, "comment": text}``.
        """
        assert user is not None
        stored = self._programme()
        matches = stored.state.matches
        live = matches.loc[matches["status"] == "active"]
        match_id = parse_choice(
            match, [str(m) for m in live["match_id"]], what="the pair (an active match)"
        )
        row = live.loc[live["match_id"] == match_id].iloc[0]
        day = _day(date)
        if day > _today():
            raise ParameterError("the meeting date cannot be in the future")
        meetings = stored.table("meetings")
        checkins = stored.table("checkins")
        goals = stored.table("goals")
        done = []
        if minutes not in (None, ""):
            length = parse_int(minutes, what="the minutes", low=1, high=24 * 60)
            meeting = pd.DataFrame({"match_id": [match_id], "date": [day], "minutes": [length]})
            meetings = pd.concat([meetings, meeting], ignore_index=True)
            done.append("meeting")
        given = ratings if isinstance(ratings, dict) else {}
        new = []
        for end in ("a", "b"):
            entry = given.get(end)
            if not isinstance(entry, dict) or entry.get("rating") in (None, ""):
                continue
            rating = parse_int(entry.get("rating"), what="the rating", low=1, high=5)
            comment = entry.get("comment")
            text = (
                None
                if comment in (None, "")
                else parse_text(comment, what="the comment", max_length=_MAX_TEXT)
            )
            new.append(
                {
                    "match_id": match_id,
                    "person_id": str(row[end]),
                    "date": day,
                    "rating": rating,
                    "comment": text,
                }
            )
        if new:
            checkins = pd.concat([checkins, pd.DataFrame(new)], ignore_index=True)
            done.append(f"{len(new)} rating(s)")
        if milestone not in (None, ""):
            name = parse_text(milestone, what="the milestone", max_length=_MAX_TEXT)
            mine = goals["match_id"] == match_id
            if name in set(goals.loc[mine, "milestone"].dropna().astype(str)):
                goals = goals.copy()
                open_ = mine & (goals["milestone"] == name) & goals["reached"].isna()
                goals.loc[open_, "reached"] = day
            else:
                goal = {"match_id": match_id, "goal": name, "milestone": name, "reached": day}
                goals = pd.concat([goals, pd.DataFrame([goal])], ignore_index=True)
            done.append("milestone")
        if not done:
            raise ParameterError("enter minutes met, a rating or a milestone reached")
        save_stored(self.store, stored.state, meetings=meetings, checkins=checkins, goals=goals)
        self.store.audit(
            "checkin", by=user.username, detail={"match_id": match_id, "recorded": done}
        )
        return f"recorded for {match_id}: {', '.join(done)}"

    @requires("aggregates")
    def programme_impact(self, user: User | None, cycle: Any = None) -> dict[str, Any]:
        """The difference-in-differences estimate of a cycle's effect (default: the latest
        cycle that started), with its bootstrap interval, or an honest note when the groups
        are too small. Aggregates only."""
        stored = self._programme()
        cycles = stored.state.cycles.sort_values(["start", "cycle_id"])
        today = _today()
        started = [str(c) for c in cycles.loc[cycles["start"] < today, "cycle_id"]]
        if not started:
            return {"note": "no cycle has started yet", "table": []}
        cycle_id = (
            started[-1] if cycle in (None, "") else parse_choice(cycle, started, what="the cycle")
        )

        def compute() -> dict[str, Any]:
            try:
                result = impact(
                    self.graph(),
                    stored.state,
                    cycle_id,
                    as_of=today,
                    min_group=self.min_group,
                    n_boot=500,
                )
            except OrgbridgeError as error:
                return {"cycle_id": cycle_id, "note": str(error), "table": []}
            data = result.to_dict()
            values = data.get("values", {})
            return {
                "cycle_id": cycle_id,
                "note": values.get("note") or "",
                "values": {k: v for k, v in values.items() if k != "note"},
                "table": data.get("table", []),
            }

        found: dict[str, Any] = self._cached(
            ("impact", cycle_id, str(today), _version(stored)), compute
        )
        return found


def _version(stored: StoredProgramme) -> tuple[int, ...]:
    """What identifies a programme's contents cheaply: every change appends a history event
    or an activity row (the latest event's number and every table's length)."""
    history = stored.state.history
    last = int(history["seq"].max()) if len(history) else 0
    return (last, len(history), *(len(stored.table(name)) for name in sorted(stored.activity)))


def _day(value: Any) -> pd.Timestamp:
    text = parse_text(value, what="the date", max_length=32)
    try:
        day = pd.Timestamp(text)
    except (ValueError, TypeError) as error:
        raise ParameterError(f"the date {text!r} is not a date (YYYY-MM-DD)") from error
    if pd.isna(day):
        raise ParameterError("enter the meeting date")
    return day.normalize()


def _today() -> pd.Timestamp:
    """Today: what the app treats as current (the library never reads the clock)."""
    return pd.Timestamp.now().normalize()
