"""Projects, existing mentoring pairs and sponsorships of a synthetic organisation, and a
programme run over several cycles (enrolment, matches, meetings, check-ins, goals)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from orgbridge.programme import (
    ProgrammeState,
    add_cycle,
    add_programme,
    close_cycle,
    past_partners,
    propose_many,
    remaining_capacity,
    start_cycle,
    transition,
)
from orgbridge.synthetic._collaboration import Pools
from orgbridge.synthetic._tree import Tree

IntArray = NDArray[np.int64]
DayArray = NDArray[np.datetime64]

#: Project sizes are 2 + Binomial(13, 0.3): between 2 and 15, mean 5.9.
_SIZE_MIN = 2
_SIZE_TRIALS = 13
_SIZE_P = 0.3
_MEAN_SIZE = _SIZE_MIN + _SIZE_TRIALS * _SIZE_P
#: Partner mixes (team, department, division, anyone) for departmental and cross-functional work.
_DEPARTMENT_PROJECT = np.array([0.45, 0.5, 0.0, 0.05])
_CROSS_PROJECT = np.array([0.15, 0.2, 0.25, 0.4])
_ENDED_SHARE = 0.3


@dataclass(frozen=True)
class Projects:
    """Memberships (project index, person position, lead flag) and each project's dates."""

    project: IntArray
    person: IntArray
    lead: NDArray[np.bool_]
    start: DayArray
    end: DayArray


def projects(
    pools: Pools,
    *,
    per_person: float,
    cross_functional_share: float,
    reference_day: np.datetime64,
    rng: np.random.Generator,
) -> Projects:
    """Projects of 2-15 people, mostly inside a department, led by an active person.

    Example
    -------
    >>> from orgbridge.synthetic._tree import build_tree
    >>> rng = np.random.default_rng(0)
    >>> tree = build_tree(60, np.array([0, 1]), 2, leader_share=0.02, rng=rng)
    >>> pools = Pools.build(tree, np.ones(60))
    >>> p = projects(pools, per_person=1.0, cross_functional_share=0.2,
    ...              reference_day=np.datetime64("2026-06-30"), rng=rng)
    >>> bool((np.bincount(p.project) >= 2).all()), int(p.lead.sum()) == int(p.project.max()) + 1
    (True, True)
    """
    n = len(pools.manager)
    n_projects = max(1, round(n * per_person / _MEAN_SIZE))
    sizes = _SIZE_MIN + rng.binomial(_SIZE_TRIALS, _SIZE_P, n_projects).astype(np.int64)
    cross = rng.random(n_projects) < cross_functional_share
    lead = pools.active(n_projects, rng)

    slot_project = np.repeat(np.arange(n_projects, dtype=np.int64), sizes - 1)
    slot_person = np.empty(len(slot_project), dtype=np.int64)
    slot_cross = cross[slot_project]
    for flag, mix in ((False, _DEPARTMENT_PROJECT), (True, _CROSS_PROJECT)):
        at = np.flatnonzero(slot_cross == flag)
        slot_person[at] = pools.partners(lead[slot_project[at]], mix, rng)

    # Leads come first, so de-duplication keeps their row and role.
    project = np.concatenate((np.arange(n_projects, dtype=np.int64), slot_project))
    person = np.concatenate((lead, slot_person))
    _, first = np.unique(project * n + person, return_index=True)
    project, person = project[first], person[first]
    is_lead = first < n_projects

    # A project with a single distinct member is no collaboration: drop it and renumber.
    big = np.bincount(project, minlength=n_projects) >= 2
    keep = big[project]
    renumber = np.cumsum(big) - 1
    project, person, is_lead = renumber[project[keep]], person[keep], is_lead[keep]

    kept = int(big.sum())
    started = rng.integers(30, 1000, kept)
    ended = (rng.random(kept) < _ENDED_SHARE) & (started > 120)
    finished = rng.integers(10, np.maximum(started - 60, 11))
    day = np.timedelta64(1, "D")
    start = reference_day - started * day
    end = np.where(ended, reference_day - finished * day, np.datetime64("NaT"))
    return Projects(project, person, is_lead, start, end.astype("datetime64[D]"))


def mentoring_pairs(
    tree: Tree,
    opt_in: NDArray[np.bool_],
    start_day: DayArray,
    *,
    n_pairs: int,
    programme_start: np.datetime64,
    rng: np.random.Generator,
) -> tuple[IntArray, IntArray]:
    """Existing reciprocal pairs: opted-in people from different departments, one pair each."""
    eligible = np.flatnonzero(opt_in & (start_day < programme_start))
    shuffled = rng.permutation(eligible)
    half = len(shuffled) // 2
    a, b = shuffled[:half], shuffled[half : 2 * half]
    ok = tree.department[a] != tree.department[b]
    a, b = a[ok][:n_pairs], b[ok][:n_pairs]
    # The more senior person is listed first, as programmes usually record them.
    swap = tree.level[a] < tree.level[b]
    return np.where(swap, b, a), np.where(swap, a, b)


def sponsorships(
    tree: Tree,
    opt_in: NDArray[np.bool_],
    start_day: DayArray,
    *,
    n_sponsorships: int,
    programme_start: np.datetime64,
    rng: np.random.Generator,
) -> tuple[IntArray, IntArray]:
    """Leader -> protégé: each leader sponsors one opted-in non-leader outside their team."""
    leaders = rng.permutation(np.flatnonzero(tree.is_leader))
    proteges = rng.permutation(
        np.flatnonzero(opt_in & ~tree.is_leader & (start_day < programme_start))
    )
    size = min(len(leaders), len(proteges))
    sponsor, protege = leaders[:size], proteges[:size]
    ok = tree.manager[protege] != sponsor
    return sponsor[ok][:n_sponsorships], protege[ok][:n_sponsorships]


#: Why synthetic pairs end early.
_EARLY_REASONS = (
    "moved role",
    "left the organisation",
    "schedules never matched",
    "goals diverged",
)
_SKILLS = (
    "data analysis", "public speaking", "negotiation", "product thinking", "coaching",
    "budgeting", "stakeholder management", "writing", "digital tools", "strategy",
)  # fmt: skip
_GOALS = (
    "Lead a cross-team project",
    "Present to the leadership team",
    "Build a network outside my department",
    "Learn how another part of the business works",
    "Prepare for a first management role",
)
_MILESTONES = ("Agree a plan", "First step done", "Review with partner")
_COMMENTS = (
    "Useful conversation, we agreed next steps",
    "Hard to find time this month",
    "Learned a lot about how the other team works",
    "Good session on {skill}",
    "We mostly caught up, not much progress",
)
_PROGRAMME_ID = "RM"
_COORDINATOR = "coordinator"


@dataclass(frozen=True)
class SyntheticProgramme:
    """A reciprocal-mentoring programme run over several yearly cycles, as of ``as_of``.

    Attributes
    ----------
    state : ProgrammeState
        Programme ``RM``, its cycles, matches and every status change (all through the legal
        moves of :mod:`orgbridge.programme`).
    enrolment, meetings, checkins, goals : DataFrame
        In the schemas of :mod:`orgbridge.programme` (enrolment of every cycle together).
    as_of : Timestamp
        The organisation's reference date: the last cycle is running then.
    """

    state: ProgrammeState
    enrolment: pd.DataFrame
    meetings: pd.DataFrame
    checkins: pd.DataFrame
    goals: pd.DataFrame
    as_of: pd.Timestamp


def programme_activity(
    staff: pd.DataFrame,
    *,
    reference_date: str,
    seed: int,
    cycles: int = 3,
    enrol_share: float = 0.6,
    stall_share: float = 0.15,
    early_share: float = 0.08,
) -> SyntheticProgramme:
    """A living programme for a synthetic organisation: enrolment, matches, meetings, goals.

    Cycles run from 1 September to 31 August, the last one around ``reference_date``. Each
    cycle enrols a share of the opted-in non-leaders, pairs them across departments with
    compatible roles within capacity and never with a past partner, declines about one
    proposal in ten, starts the cycle, ends some pairs early (with a reason), lets some pairs
    stall (they stop meeting), records meetings, check-ins (some with a comment) and goals
    with milestones, and closes every cycle that ended by ``reference_date``.

    Example
    -------
    >>> from orgbridge.synthetic import generate_organisation
    >>> org = generate_organisation(400, seed=2)
    >>> p = programme_activity(org.staff, reference_date="2026-06-30", seed=2)
    >>> p.state.cycles["cycle_id"].tolist()
    ['RM-2023', 'RM-2024', 'RM-2025']
    >>> sorted(p.state.matches["status"].unique())[:2]
    ['active', 'completed']
    """
    rng = np.random.default_rng(seed)
    as_of = pd.Timestamp(reference_date)
    state = add_programme(
        ProgrammeState.empty(),
        programme_id=_PROGRAMME_ID,
        name="Reciprocal mentoring",
        kind="pairs",
    )
    ids = staff["person_id"].astype(str).to_numpy(dtype=str)
    department = staff["department"].astype(str).to_numpy(dtype=str)
    eligible = staff["opt_in"].to_numpy(dtype=bool) & ~staff["is_leader"].to_numpy(dtype=bool)
    started_on = pd.to_datetime(staff["start_date"]).to_numpy()
    enrolments, meetings, checkins, goals = [], [], [], []
    last_year = as_of.year if as_of.month >= 9 else as_of.year - 1
    for year in range(last_year - cycles + 1, last_year + 1):
        cycle_id = f"{_PROGRAMME_ID}-{year}"
        start, end = pd.Timestamp(f"{year}-09-01"), pd.Timestamp(f"{year + 1}-08-31")
        state = add_cycle(
            state, cycle_id=cycle_id, programme_id=_PROGRAMME_ID, start=start, end=end
        )
        pool = np.flatnonzero(eligible & (started_on < start.to_datetime64()))
        enrolled = pool[rng.random(len(pool)) < enrol_share]
        table = _enrolment(ids, enrolled, cycle_id, rng)
        enrolments.append(table)
        decided = start - pd.Timedelta(days=14)
        capacity = table.set_index("person_id")["capacity"]
        # Last cycle's pairs still hold capacity until that cycle closes.
        left = remaining_capacity(capacity, state, decided).clip(lower=0)
        table_left = table.assign(capacity=left.reindex(table["person_id"]).to_numpy())
        pairs = _pairs(table_left, department[enrolled], past_partners(state.matches), rng)
        if pairs.empty:
            continue
        state = propose_many(
            state,
            pairs,
            programme_id=_PROGRAMME_ID,
            cycle_id=cycle_id,
            by=_COORDINATOR,
            at=start - pd.Timedelta(days=21),
        )
        chosen = state.matches.loc[state.matches["cycle_id"] == cycle_id, "match_id"].to_numpy()
        declined = rng.random(len(chosen)) < 0.1
        if declined.any():
            state = transition(state, chosen[declined], "declined", by=_COORDINATOR, at=decided)
        state = transition(
            state, chosen[~declined], "approved", by=_COORDINATOR, at=decided, capacity=capacity
        )
        state = start_cycle(state, cycle_id, by=_COORDINATOR, at=start)
        live = chosen[~declined]
        horizon = min(end, as_of)
        early = live[rng.random(len(live)) < early_share]
        stop: dict[str, pd.Timestamp] = {}
        for match_id in early:
            days = int(rng.integers(20, max(21, (horizon - start).days)))
            when = start + pd.Timedelta(days=days)
            reason = str(rng.choice(_EARLY_REASONS))
            state = transition(
                state, [match_id], "ended_early", by=_COORDINATOR, at=when, note=reason
            )
            stop[str(match_id)] = when
        rows = state.matches.set_index("match_id")
        for match_id in live:
            until = stop.get(str(match_id), horizon)
            if rng.random() < stall_share:
                until = start + (until - start) * float(rng.uniform(0.1, 0.5))
            a, b = str(rows.at[match_id, "a"]), str(rows.at[match_id, "b"])
            met = _meetings(str(match_id), start, until, rng)
            meetings.append(met)
            checkins.append(_checkins(met, a, b, rng))
            goals.append(
                _goals(str(match_id), start, stop.get(str(match_id), horizon), horizon, rng)
            )
        if end <= as_of:
            state = close_cycle(state, cycle_id, by=_COORDINATOR, at=end)
    return SyntheticProgramme(
        state=state,
        enrolment=_concat(enrolments),
        meetings=_concat(meetings),
        checkins=_concat(checkins),
        goals=_concat(goals),
        as_of=as_of,
    )


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    kept = [p for p in parts if len(p)]
    return pd.concat(kept, ignore_index=True) if kept else (parts[0] if parts else pd.DataFrame())


def _enrolment(
    ids: NDArray[np.str_], enrolled: IntArray, cycle_id: str, rng: np.random.Generator
) -> pd.DataFrame:
    n = len(enrolled)
    roles = rng.choice(np.array(["either", "mentor", "mentee"]), size=n, p=[0.6, 0.2, 0.2])
    skills = np.array(_SKILLS)

    def pick() -> str:
        return ";".join(rng.choice(skills, size=int(rng.integers(1, 4)), replace=False))

    return pd.DataFrame(
        {
            "cycle_id": cycle_id,
            "person_id": ids[enrolled],
            "role": roles,
            "capacity": np.where(rng.random(n) < 0.8, 1, 2).astype(np.int64),
            "skills_offered": [pick() for _ in range(n)],
            "skills_wanted": [pick() for _ in range(n)],
            "goals": rng.choice(np.array(_GOALS), size=n),
            "emerging_talent": rng.random(n) < 0.2,
        }
    )


def _pairs(
    enrolment: pd.DataFrame,
    department: NDArray[np.str_],
    before: frozenset[tuple[str, str]],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Greedy random pairing: different departments, compatible roles, capacity, new partners."""
    people = enrolment["person_id"].to_numpy(dtype=str)
    role = enrolment["role"].to_numpy(dtype=str)
    left = enrolment["capacity"].to_numpy(dtype=np.int64).copy()
    order = rng.permutation(len(people))
    chosen: set[tuple[str, str]] = set()
    a_out, b_out = [], []
    for i in order:
        if left[i] <= 0:
            continue
        for j in rng.integers(0, len(people), size=40):
            key = (min(people[i], people[j]), max(people[i], people[j]))
            clash = role[i] == role[j] != "either"
            if (
                j == i
                or left[j] <= 0
                or department[i] == department[j]
                or clash
                or key in before
                or key in chosen
            ):
                continue
            chosen.add(key)
            a_out.append(key[0])
            b_out.append(key[1])
            left[i] -= 1
            left[j] -= 1
            break
    return pd.DataFrame(
        {"a": a_out, "b": b_out, "explanation": "different departments, shared interests"}
    )


def _meetings(
    match_id: str, start: pd.Timestamp, until: pd.Timestamp, rng: np.random.Generator
) -> pd.DataFrame:
    cadence = int(rng.integers(14, 36))
    days = np.arange(int(rng.integers(3, 15)), max((until - start).days, 0) + 1, cadence)
    days = days + rng.integers(-3, 4, size=len(days))
    days = days[(days >= 0) & (days <= (until - start).days)]
    return pd.DataFrame(
        {
            "match_id": match_id,
            "date": start + pd.to_timedelta(np.unique(days), unit="D"),
            "minutes": rng.choice(np.array([30.0, 45.0, 60.0, 90.0]), size=len(np.unique(days))),
        }
    )


def _checkins(met: pd.DataFrame, a: str, b: str, rng: np.random.Generator) -> pd.DataFrame:
    quality = rng.uniform(2.5, 5.0)
    rows = []
    for day in met["date"]:
        for person in (a, b):
            if rng.random() < 0.4:
                rating = int(np.clip(round(quality + rng.normal(0, 0.7)), 1, 5))
                comment = None
                if rng.random() < 0.3:
                    comment = str(rng.choice(_COMMENTS)).format(skill=str(rng.choice(_SKILLS)))
                rows.append((met["match_id"].iloc[0], person, day, rating, comment))
    return pd.DataFrame(rows, columns=["match_id", "person_id", "date", "rating", "comment"])


def _goals(
    match_id: str,
    start: pd.Timestamp,
    stop: pd.Timestamp,
    horizon: pd.Timestamp,
    rng: np.random.Generator,
) -> pd.DataFrame:
    rows = []
    for goal in rng.choice(np.array(_GOALS), size=int(rng.integers(1, 3)), replace=False):
        span = max((horizon - start).days, 30)
        for step, milestone in enumerate(_MILESTONES[: int(rng.integers(2, 4))], start=1):
            due = start + pd.Timedelta(days=int(span * step / 4))
            reached = None
            if due <= stop and rng.random() < 0.6:
                reached = min(due - pd.Timedelta(days=int(rng.integers(0, 20))), stop)
            rows.append((match_id, str(goal), milestone, due, reached))
    frame = pd.DataFrame(rows, columns=["match_id", "goal", "milestone", "due", "reached"])
    frame["reached"] = pd.to_datetime(frame["reached"])
    return frame
