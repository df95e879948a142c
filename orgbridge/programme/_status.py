"""Status changes, all through one place: propose, the legal moves, undo, cycle start and close.

::

    proposed ──> approved ──> active ──> completed
        │            │           │
        └> declined  └───────────┴──> ended_early (with a reason)

Approving a proposal makes it a commitment in its cycle (by default the programme's next
cycle); :func:`start_cycle` makes the cycle's approved matches active and :func:`close_cycle`
completes its active ones. The last decision can be undone by the user who made it, as an
explicit ``undo`` event: history is never rewritten. Every function takes the time as ``at``
and never reads the clock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from orgbridge.errors import ParameterError
from orgbridge.programme._model import (
    ACTIVE,
    APPROVED,
    COMPLETED,
    DECLINED,
    ENDED_EARLY,
    PROGRAMME_KINDS,
    PROPOSED,
    STATUSES,
    ProgrammeState,
    append_history,
    conform,
    match_id_of,
    next_cycle,
    timestamp,
)
from orgbridge.programme._recommender import commitments, past_partners

__all__ = [
    "ALLOWED",
    "close_cycle",
    "propose",
    "propose_many",
    "start_cycle",
    "transition",
    "undo",
]

#: Every legal move: status -> the statuses it may go to.
ALLOWED: dict[str, frozenset[str]] = {
    PROPOSED: frozenset({APPROVED, DECLINED}),
    APPROVED: frozenset({ACTIVE, ENDED_EARLY}),
    ACTIVE: frozenset({COMPLETED, ENDED_EARLY}),
    DECLINED: frozenset(),
    COMPLETED: frozenset(),
    ENDED_EARLY: frozenset(),
}


def propose(
    state: ProgrammeState,
    *,
    programme_id: str,
    a: str,
    b: str,
    by: str,
    at: str | pd.Timestamp,
    cycle_id: str | None = None,
    explanation: str | None = None,
    allow_repeat: bool = False,
) -> ProgrammeState:
    """Add a proposed match to a cycle (by default the programme's next cycle after ``at``).

    A pair's ids are stored sorted; a sponsorship keeps sponsor first. People who were
    partners before (approved, active, completed or ended early, in any cycle or programme)
    are not proposed again unless ``allow_repeat``: programmes rotate partners.

    Raises
    ------
    ParameterError
        Unknown programme or cycle, the same person twice, the match already in the cycle,
        or a repeat of past partners.

    Example
    -------
    >>> from orgbridge.programme import ProgrammeState, add_programme, add_cycle
    >>> s = add_programme(ProgrammeState.empty(), programme_id="RM", name="R", kind="pairs")
    >>> s = add_cycle(s, cycle_id="C1", programme_id="RM", start="2026-02-01", end="2026-12-31")
    >>> s = propose(s, programme_id="RM", a="P2", b="P1", by="coord", at="2026-01-10")
    >>> s.matches[["match_id", "a", "b", "status"]].values.tolist()
    [['C1:P1:P2', 'P1', 'P2', 'proposed']]
    """
    pairs = pd.DataFrame({"a": [a], "b": [b], "explanation": [explanation]})
    return propose_many(
        state,
        pairs,
        programme_id=programme_id,
        by=by,
        at=at,
        cycle_id=cycle_id,
        allow_repeat=allow_repeat,
    )


def propose_many(
    state: ProgrammeState,
    pairs: pd.DataFrame,
    *,
    programme_id: str,
    by: str,
    at: str | pd.Timestamp,
    cycle_id: str | None = None,
    allow_repeat: bool = False,
) -> ProgrammeState:
    """Propose many matches at once (e.g. a recommender run), all or none: see :func:`propose`.

    Parameters
    ----------
    pairs
        Columns ``a, b`` (person ids; for a sponsorship ``a`` is the sponsor) and optional
        ``explanation``.

    Raises
    ------
    ParameterError
        As :func:`propose`, for any row; nothing is added then.
    """
    kind = PROGRAMME_KINDS[str(state.programme(programme_id)["kind"])]
    when = timestamp(at)
    cycle = cycle_id if cycle_id is not None else next_cycle(state, programme_id, when)
    if str(state.cycle(cycle)["programme_id"]) != programme_id:
        raise ParameterError(f"cycle {cycle!r} belongs to another programme")
    if not {"a", "b"} <= set(pairs.columns):
        raise ParameterError("proposals need the columns a and b")
    a = pairs["a"].astype(str).to_numpy()
    b = pairs["b"].astype(str).to_numpy()
    same = a == b
    if same.any():
        raise ParameterError(f"a match needs two different people, got {a[same][0]!r} twice")
    if kind == "pair":
        a, b = np.minimum(a, b), np.maximum(a, b)
    ids = [match_id_of(cycle, x, y) for x, y in zip(a, b, strict=True)]
    taken = set(state.matches["match_id"].astype(str))
    repeated = [m for m in ids if m in taken] or [m for m, n in Counter(ids).items() if n > 1]
    if repeated:
        raise ParameterError(f"{repeated[0]} is already a match in cycle {cycle!r}")
    if not allow_repeat:
        before = past_partners(state.matches)
        for x, y in zip(a, b, strict=True):
            if (min(x, y), max(x, y)) in before:
                raise ParameterError(
                    f"{x} and {y} were partners before; rotation pairs new partners"
                )
    explanation = (
        pairs["explanation"].astype("string").to_numpy()
        if "explanation" in pairs.columns
        else [None] * len(ids)
    )
    rows = pd.DataFrame(
        {
            "match_id": ids,
            "programme_id": programme_id,
            "cycle_id": cycle,
            "a": a,
            "b": b,
            "kind": kind,
            "status": PROPOSED,
            "reason": None,
            "explanation": explanation,
            "changed_by": by,
            "changed_at": when,
        }
    )
    if not len(rows):
        return state
    joined = rows if state.matches.empty else pd.concat([state.matches, rows], ignore_index=True)
    matches = conform("matches", joined)
    history = append_history(
        state.history, ids, "propose", [None] * len(ids), PROPOSED, by, when, None
    )
    return ProgrammeState(state.programmes, state.cycles, matches, history)


def transition(
    state: ProgrammeState,
    match_ids: Iterable[str],
    to: str,
    *,
    by: str,
    at: str | pd.Timestamp,
    note: str | None = None,
    capacity: Mapping[str, int] | pd.Series | None = None,
) -> ProgrammeState:
    """Move matches to status ``to``, all or none, recording who and when.

    Parameters
    ----------
    state
        The programme state.
    match_ids
        The matches to move (one or many, e.g. a bulk approval).
    to
        The new status; only the moves in :data:`ALLOWED` are legal.
    by, at
        Who decides, and when (the clock is never read).
    note
        A note for the history; required (as the reason) for ``ended_early``.
    capacity
        person_id -> capacity. When given, an approval that would give someone more current
        commitments (across pairs and sponsorships) than their capacity is refused.

    Returns
    -------
    ProgrammeState

    Raises
    ------
    ParameterError
        An unknown match or status, a move that is not allowed, the same match twice,
        ``ended_early`` without a reason, or an approval over someone's capacity.

    Example
    -------
    >>> from orgbridge.programme import ProgrammeState, add_programme, add_cycle
    >>> s = add_programme(ProgrammeState.empty(), programme_id="RM", name="R", kind="pairs")
    >>> s = add_cycle(s, cycle_id="C1", programme_id="RM", start="2026-02-01", end="2026-12-31")
    >>> s = propose(s, programme_id="RM", a="P1", b="P2", by="u", at="2026-01-05")
    >>> s = transition(s, ["C1:P1:P2"], "approved", by="u", at="2026-01-06")
    >>> transition(s, ["C1:P1:P2"], "completed", by="u", at="2026-01-07")
    Traceback (most recent call last):
    ...
    orgbridge.errors.ParameterError: match C1:P1:P2 cannot go from approved to completed (allowed: active, ended_early)
    """  # noqa: E501
    ids = [str(m) for m in match_ids]
    if to not in STATUSES:
        raise ParameterError(f"unknown status {to!r}; expected one of {list(STATUSES)}")
    if len(set(ids)) != len(ids):
        raise ParameterError("the same match is listed twice")
    if to == ENDED_EARLY and not (note and note.strip()):
        raise ParameterError("ending a match early needs a reason (note)")
    when = timestamp(at)
    rows = _rows(state, ids)
    for match_id, current in zip(ids, rows["status"], strict=True):
        if to not in ALLOWED[str(current)]:
            allowed = ", ".join(sorted(ALLOWED[str(current)])) or "none: it is final"
            raise ParameterError(
                f"match {match_id} cannot go from {current} to {to} (allowed: {allowed})"
            )
    if to == APPROVED and capacity is not None:
        _check_capacity(state, rows, capacity, when)
    return _apply(state, ids, list(rows["status"]), to, by, when, note, "transition")


def undo(
    state: ProgrammeState,
    *,
    by: str,
    at: str | pd.Timestamp,
    match_id: str | None = None,
) -> ProgrammeState:
    """Undo the last decision of ``by`` (or their last one on ``match_id``) as an ``undo`` event.

    One level: the user's latest action must be a decision (not an undo) that is still its
    match's latest change. A bulk move (a cycle start, say) is undone one match at a time.
    An undo is not itself undone: decide again instead.

    Raises
    ------
    ParameterError
        Nothing to undo, another user's decision, or the match changed since.

    Example
    -------
    >>> from orgbridge.programme import ProgrammeState, add_programme, add_cycle
    >>> s = add_programme(ProgrammeState.empty(), programme_id="RM", name="R", kind="pairs")
    >>> s = add_cycle(s, cycle_id="C1", programme_id="RM", start="2026-02-01", end="2026-12-31")
    >>> s = propose(s, programme_id="RM", a="P1", b="P2", by="u", at="2026-01-05")
    >>> s = transition(s, ["C1:P1:P2"], "declined", by="u", at="2026-01-06")
    >>> undo(s, by="u", at="2026-01-06").matches["status"].tolist()
    ['proposed']
    """
    when = timestamp(at)
    history = state.history
    if match_id is not None:
        _rows(state, [match_id])
        events = history.loc[history["match_id"] == match_id]
        if events.empty:
            raise ParameterError(f"match {match_id} has no decision to undo")
        last = events.sort_values("seq").iloc[-1]
        if last["event"] != "transition":
            raise ParameterError(f"the last change of match {match_id} is not a decision")
        if last["by"] != by:
            raise ParameterError(
                f"the last decision on match {match_id} was made by {last['by']}, not {by}"
            )
    else:
        mine = history.loc[(history["by"] == by) & history["event"].isin(["transition", "undo"])]
        if mine.empty:
            raise ParameterError(f"{by} has no decision to undo")
        last = mine.sort_values("seq").iloc[-1]
        match_id = str(last["match_id"])
        if last["event"] == "undo":
            raise ParameterError(f"{by}'s last decision (on match {match_id}) is already undone")
        latest = history.loc[history["match_id"] == match_id, "seq"].max()
        if latest != last["seq"]:
            raise ParameterError(
                f"match {match_id} changed after {by}'s last decision; it cannot be undone"
            )
    current, previous = str(last["to_status"]), str(last["from_status"])
    note = f"undo of {current}"
    return _apply(state, [match_id], [current], previous, by, when, note, "undo")


def start_cycle(
    state: ProgrammeState, cycle_id: str, *, by: str, at: str | pd.Timestamp
) -> ProgrammeState:
    """Make every approved match of a cycle active.

    Raises
    ------
    ParameterError
        The cycle does not exist.
    """
    state.cycle(cycle_id)
    chosen = state.matches.loc[
        (state.matches["cycle_id"] == cycle_id) & (state.matches["status"] == APPROVED)
    ]
    if chosen.empty:
        return state
    return transition(
        state, chosen["match_id"].tolist(), ACTIVE, by=by, at=at, note="cycle started"
    )


def close_cycle(
    state: ProgrammeState, cycle_id: str, *, by: str, at: str | pd.Timestamp
) -> ProgrammeState:
    """Complete every active match of a cycle.

    Raises
    ------
    ParameterError
        The cycle does not exist.
    """
    state.cycle(cycle_id)
    chosen = state.matches.loc[
        (state.matches["cycle_id"] == cycle_id) & (state.matches["status"] == ACTIVE)
    ]
    if chosen.empty:
        return state
    return transition(
        state, chosen["match_id"].tolist(), COMPLETED, by=by, at=at, note="cycle closed"
    )


def _rows(state: ProgrammeState, ids: list[str]) -> pd.DataFrame:
    table = state.matches.set_index("match_id")
    unknown = [m for m in ids if m not in table.index]
    if unknown:
        raise ParameterError(f"unknown match(es): {unknown[:5]}")
    return table.loc[ids]


def _check_capacity(
    state: ProgrammeState,
    rows: pd.DataFrame,
    capacity: Mapping[str, int] | pd.Series,
    when: pd.Timestamp,
) -> None:
    held = commitments(state, when).set_index("person_id")["total"]
    added = pd.concat([rows["a"], rows["b"]]).astype(str).value_counts()
    limits = pd.Series(capacity, dtype="float64")
    for person, extra in added.items():
        limit = limits.get(person)
        if limit is None or pd.isna(limit):
            raise ParameterError(f"{person} has no capacity (not enrolled in this cycle)")
        total = int(held.get(person, 0)) + int(extra)
        if total > limit:
            raise ParameterError(
                f"{person} would hold {total} commitments, over their capacity of {int(limit)}"
            )


def _apply(
    state: ProgrammeState,
    ids: list[str],
    before: list[str],
    to: str,
    by: str,
    when: pd.Timestamp,
    note: str | None,
    event: str,
) -> ProgrammeState:
    matches = state.matches.copy()
    chosen = matches["match_id"].isin(ids).to_numpy()
    matches.loc[chosen, "status"] = to
    matches.loc[chosen, "changed_by"] = by
    matches.loc[chosen, "changed_at"] = when
    if to == ENDED_EARLY:
        matches.loc[chosen, "reason"] = note
    elif event == "undo":
        matches.loc[chosen, "reason"] = None
    history = append_history(state.history, ids, event, list(before), to, by, when, note)
    return ProgrammeState(state.programmes, state.cycles, conform("matches", matches), history)
