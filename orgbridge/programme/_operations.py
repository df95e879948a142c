"""Programme operations on a store: every status change goes through here, once.

The CLI (``orgbridge decide``, ``orgbridge programme ...``) and the app call these functions;
each one loads the programme from the store (:func:`load_stored`), applies one change of the
pure core (``propose_many``, ``transition``, ``undo``, ``start_cycle``, ``close_cycle``) and saves
the state back in one transaction, with an audit line. The programme state is the single truth
about proposals and decisions; decisions recorded by older versions in the store's decisions
table are imported into it once (the first time a programme is loaded through here), as
matches of the programme of their kind.

The time is always a parameter (``at``, ``as_of``): the CLI and the app pass today.

Example
-------
>>> import tempfile
>>> import pandas as pd
>>> from orgbridge.graph import OrgGraph, Workspace
>>> people = pd.DataFrame({"person_id": ["a", "b", "c", "d"], "department": list("xyxy")})
>>> with Workspace.open(tempfile.mkdtemp()) as ws:
...     ensure_cycle(ws, "pair", at="2026-01-05")
...     record_proposals(ws, "r1", pd.DataFrame({"a": ["b"], "b": ["a"]}),
...                      kind="pair", by="ana", at="2026-01-05")
...     decide(ws, OrgGraph(people), [("a", "b")], kind="pair", decision="approve",
...            by="ana", at="2026-01-06")
...     undo_last(ws, by="ana", at="2026-01-06")
('RM', 'RM-2026-01-06')
1
['RM-2026-01-06:a:b']
'Undid the approval of a and b (cycle RM-2026-01-06) by ana: the match is proposed again.'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from orgbridge.errors import ParameterError
from orgbridge.graph import OrgGraph
from orgbridge.programme._model import (
    ACTIVE,
    APPROVED,
    DECLINED,
    ENDED_EARLY,
    PROGRAMME_KINDS,
    PROPOSED,
    ProgrammeState,
    add_cycle,
    add_programme,
    timestamp,
)
from orgbridge.programme._recommender import past_partners, statuses_as_of
from orgbridge.programme._status import (
    close_cycle as _close_cycle,
)
from orgbridge.programme._status import (
    propose_many,
    transition,
    undo,
)
from orgbridge.programme._status import (
    start_cycle as _start_cycle,
)
from orgbridge.programme._stored import load_stored, save_stored

__all__ = [
    "DEFAULT_PROGRAMMES",
    "OPERATION_DECISIONS",
    "close_cycle",
    "current_cycle",
    "decide",
    "end_early",
    "ensure_cycle",
    "match_kind",
    "recommender_inputs",
    "record_proposals",
    "start_cycle",
    "undo_last",
    "with_enrolled_capacity",
]

#: Match kind -> (programme id, name, programme kind) created when a store has none of it.
DEFAULT_PROGRAMMES: dict[str, tuple[str, str, str]] = {
    "pair": ("RM", "Reciprocal mentoring", "pairs"),
    "sponsorship": ("SP", "Sponsorship", "sponsorship"),
}
#: Decisions a coordinator takes on a proposal (``lock`` is an approval kept as such).
OPERATION_DECISIONS = ("approve", "decline", "lock")
_TO = {"approve": APPROVED, "lock": APPROVED, "decline": DECLINED}
_KIND_WORDS = {"pair": "pair", "pairs": "pair", "sponsorship": "sponsorship"}
_KIND_WORDS["sponsorships"] = "sponsorship"
_IMPORTED = "imported from the decisions table"


def match_kind(kind: str) -> str:
    """``pair`` or ``sponsorship`` from any of the words the CLI and app use.

    Example
    -------
    >>> match_kind("pairs"), match_kind("sponsorship")
    ('pair', 'sponsorship')
    """
    word = _KIND_WORDS.get(str(kind).strip().lower())
    if word is None:
        raise ParameterError(f"kind must be pair or sponsorship (got {kind!r})")
    return word


def _programme_of(state: ProgrammeState, kind: str) -> str | None:
    """The programme of this match kind: the one with the latest cycle (then the first id)."""
    own = state.programmes.loc[state.programmes["kind"].map(PROGRAMME_KINDS) == kind]
    if own.empty:
        return None
    ids = own["programme_id"].astype(str).tolist()
    cycles = state.cycles.loc[state.cycles["programme_id"].isin(ids)]
    if cycles.empty:
        return sorted(ids)[0]
    return str(cycles.sort_values(["start", "programme_id"])["programme_id"].iloc[-1])


def current_cycle(state: ProgrammeState, programme_id: str, at: Any) -> str | None:
    """The cycle proposals go into on ``at``: the next one to start, else the running one."""
    day = timestamp(at)
    own = state.cycles.loc[state.cycles["programme_id"] == programme_id]
    later = own.loc[own["start"] > day].sort_values("start")
    if len(later):
        return str(later["cycle_id"].iloc[0])
    running = own.loc[(own["start"] <= day) & (own["end"] >= day)].sort_values("start")
    if len(running):
        return str(running["cycle_id"].iloc[-1])
    return None


def _ensure(state: ProgrammeState, kind: str, at: Any) -> tuple[ProgrammeState, str, str]:
    kind = match_kind(kind)
    programme_id = _programme_of(state, kind)
    if programme_id is None:
        programme_id, name, programme_kind = DEFAULT_PROGRAMMES[kind]
        taken = set(state.programmes["programme_id"].astype(str))
        while programme_id in taken:
            programme_id += "1"
        state = add_programme(state, programme_id=programme_id, name=name, kind=programme_kind)
    cycle_id = current_cycle(state, programme_id, at)
    if cycle_id is None:
        start = timestamp(at).normalize() + pd.Timedelta(days=1)
        end = start + pd.DateOffset(years=1) - pd.Timedelta(days=1)
        cycle_id = f"{programme_id}-{start.date()}"
        while (state.cycles["cycle_id"] == cycle_id).any():
            cycle_id += "b"
        state = add_cycle(state, cycle_id=cycle_id, programme_id=programme_id, start=start, end=end)
    return state, programme_id, cycle_id


def _legacy(store: Any, state: ProgrammeState, at: Any) -> ProgrammeState:
    """Decisions an older version recorded, imported as matches (once: a pair that already has
    a match of its kind is left alone)."""
    reader = getattr(store, "decisions", None)
    decisions = reader() if callable(reader) else pd.DataFrame()
    if not len(decisions):
        return state
    from orgbridge.recommend import decision_key

    have = {
        (str(k), str(a), str(b))
        for k, a, b in zip(
            state.matches["kind"], state.matches["a"], state.matches["b"], strict=True
        )
    }
    rows = decisions.sort_values("at", kind="stable") if "at" in decisions else decisions
    for a, b, kind, decision, by, when in zip(
        rows["a"], rows["b"], rows["kind"], rows["decision"], rows["by"], rows["at"], strict=True
    ):
        word = str(decision).strip().lower()
        to = _TO.get(word)
        if to is None or str(kind) not in ("pair", "sponsorship"):
            continue
        key = decision_key(str(a), str(b), str(kind))
        if (str(kind), *key) in have:
            continue
        stamp = timestamp(when) if pd.notna(when) else timestamp(at)
        state, programme_id, cycle_id = _ensure(state, str(kind), at)
        pair = pd.DataFrame({"a": [key[0]], "b": [key[1]]})
        state = propose_many(
            state, pair, programme_id=programme_id, by=str(by), at=stamp, cycle_id=cycle_id,
            allow_repeat=True,
        )  # fmt: skip
        match_id = str(state.matches["match_id"].iloc[-1])
        state = transition(state, [match_id], to, by=str(by), at=stamp, note=_IMPORTED)
        have.add((str(kind), *key))
    return state


def _load(store: Any, at: Any) -> ProgrammeState:
    return _legacy(store, load_stored(store).state, at)


def ensure_cycle(store: Any, kind: str, *, at: Any) -> tuple[str, str]:
    """The programme of this kind and the cycle its proposals go into on ``at`` (the next
    cycle, else the running one); a default programme (``RM`` for pairs, ``SP`` for
    sponsorships) and a one-year cycle starting the next day are created when none exists.

    Returns
    -------
    tuple of str
        ``(programme_id, cycle_id)``.
    """
    before = load_stored(store).state
    state = _legacy(store, before, at)
    state, programme_id, cycle_id = _ensure(state, kind, at)
    if state is not before:
        save_stored(store, state)
    return programme_id, cycle_id


def record_proposals(
    store: Any,
    run_id: str,
    proposals: pd.DataFrame,
    *,
    kind: str,
    by: str,
    at: Any,
    allow_repeat: bool = False,
) -> int:
    """A recommender run's proposals (columns ``a, b`` and optional ``reason``) as
    ``proposed`` matches of the current cycle; a pair already in that cycle is left as it is.

    Returns
    -------
    int
        The number of new proposals.

    Raises
    ------
    ParameterError
        Missing columns, or past partners proposed without ``allow_repeat``.
    """
    kind = match_kind(kind)
    if not {"a", "b"} <= set(proposals.columns):
        raise ParameterError("proposals need the columns a and b")
    state = _load(store, at)
    state, programme_id, cycle_id = _ensure(state, kind, at)
    fresh = _new_pairs(state, proposals, kind, cycle_id)
    if len(fresh):
        last = int(state.history["seq"].max()) if len(state.history) else 0
        state = propose_many(
            state, fresh, programme_id=programme_id, by=by, at=at, cycle_id=cycle_id,
            allow_repeat=allow_repeat,
        )  # fmt: skip
        history = state.history.copy()
        history.loc[history["seq"] > last, "note"] = f"run {run_id}"
        state = ProgrammeState(state.programmes, state.cycles, state.matches, history)
    save_stored(store, state)
    store.audit(
        "programme:propose",
        by=by,
        detail={"run_id": run_id, "cycle_id": cycle_id, "kind": kind, "new": len(fresh)},
    )
    return len(fresh)


def _new_pairs(
    state: ProgrammeState, proposals: pd.DataFrame, kind: str, cycle_id: str
) -> pd.DataFrame:
    from orgbridge.recommend import decision_key

    keys = [
        decision_key(str(a), str(b), kind)
        for a, b in zip(proposals["a"], proposals["b"], strict=True)
    ]
    reasons = (
        proposals["reason"].astype("string").tolist()
        if "reason" in proposals.columns
        else [None] * len(keys)
    )
    matches = state.matches.loc[state.matches["cycle_id"] == cycle_id]
    have = set(zip(matches["a"].astype(str), matches["b"].astype(str), strict=True))
    seen: set[tuple[str, str]] = set()
    rows = []
    for key, reason in zip(keys, reasons, strict=True):
        if key in have or key in seen:
            continue
        seen.add(key)
        rows.append({"a": key[0], "b": key[1], "explanation": reason})
    return pd.DataFrame(rows, columns=["a", "b", "explanation"])


def _proposed(state: ProgrammeState, keys: Sequence[tuple[str, str]], kind: str) -> list[str]:
    """The proposed match of each pair (its latest cycle); ParameterError when there is none."""
    matches = state.matches.loc[state.matches["kind"] == kind]
    out = []
    for a, b in keys:
        rows = matches.loc[(matches["a"] == a) & (matches["b"] == b)]
        open_ = rows.loc[rows["status"] == PROPOSED]
        if open_.empty:
            found = (
                f"it is {rows['status'].iloc[-1]} in cycle {rows['cycle_id'].iloc[-1]}; "
                "undo that decision first"
                if len(rows)
                else "nobody proposed it; run the recommender first"
            )
            raise ParameterError(f"only proposals can be decided: ({a}, {b}) {found}")
        out.append(str(open_["match_id"].iloc[-1]))
    return out


def _commitments(
    state: ProgrammeState, as_of: Any, skip: set[str] | frozenset[str] = frozenset()
) -> list[Any]:
    from orgbridge.recommend import Commitment

    current = statuses_as_of(state, as_of)
    held = current.loc[current["status"].isin([APPROVED, ACTIVE])]
    return [
        Commitment(str(a), str(b), kind=str(k), cycle=str(c))
        for m, a, b, k, c in zip(
            held["match_id"], held["a"], held["b"], held["kind"], held["cycle_id"], strict=True
        )
        if str(m) not in skip
    ]


def decide(
    store: Any,
    graph: OrgGraph,
    keys: Sequence[tuple[str, str]],
    *,
    kind: str,
    decision: str,
    by: str,
    at: Any,
    note: str = "",
    propose_missing: bool = False,
) -> list[str]:
    """Approve (or lock) or decline proposed matches, all or none.

    Only ``proposed`` matches may be decided. An approval must pass the recommender's hard
    constraints and capacities (:func:`orgbridge.recommend.check_decision`) counting the
    current commitments of both kinds and the approvals earlier in the same batch, and the
    capacity people gave when they enrolled in the cycle.

    Parameters
    ----------
    keys
        The pairs (for a sponsorship sponsor first); a pair's order does not matter.
    propose_missing
        Propose (by ``by``) the pairs that have no match yet, first: a coordinator's own
        choice (the CLI's ``decide``); never from the app, where only the recommender proposes.

    Returns
    -------
    list of str
        The match ids decided.

    Raises
    ------
    ParameterError
        An unknown decision, a pair that is not a proposed match, an unknown person, or an
        approval that breaks a constraint or a capacity.
    """
    from orgbridge.recommend import check_decision, decision_key

    kind = match_kind(kind)
    if decision not in OPERATION_DECISIONS:
        raise ParameterError(
            f"a decision is one of {', '.join(OPERATION_DECISIONS)} (got {decision!r})"
        )
    if not keys:
        raise ParameterError("select at least one proposal first")
    state = _load(store, at)
    pairs = [decision_key(str(a), str(b), kind) for a, b in keys]
    if len(set(pairs)) != len(pairs):
        raise ParameterError("the same pair is listed twice")
    for a, b in pairs:
        # unknown people and (for approvals) broken constraints are reported before anything
        check_decision(graph, a, b, kind=kind, decision="decline")
    if propose_missing:
        state, programme_id, cycle_id = _ensure(state, kind, at)
        have = state.matches.loc[state.matches["kind"] == kind]
        known = set(zip(have["a"].astype(str), have["b"].astype(str), strict=True))
        missing = pd.DataFrame(
            [{"a": a, "b": b} for a, b in pairs if (a, b) not in known], columns=["a", "b"]
        )
        if len(missing):
            state = propose_many(
                state, missing, programme_id=programme_id, by=by, at=at, cycle_id=cycle_id
            )
    match_ids = _proposed(state, pairs, kind)
    if decision != "decline":
        commitments = _commitments(state, at, skip=set(match_ids))
        from orgbridge.recommend import Commitment

        for a, b in pairs:
            check_decision(
                graph, a, b, kind=kind, decision="approve", as_of=at, commitments=commitments
            )
            commitments.append(Commitment(a, b, kind=kind))
    text = note.strip() or ("lock" if decision == "lock" else None)
    state = transition(
        state,
        match_ids,
        _TO[decision],
        by=by,
        at=at,
        note=text,
        capacity=_enrolled_capacity(store, state, match_ids),
    )
    save_stored(store, state)
    store.audit(
        f"programme:{decision}",
        by=by,
        detail={"matches": match_ids[:50], "count": len(match_ids), "note": note},
    )
    return match_ids


def _enrolled_capacity(
    store: Any, state: ProgrammeState, match_ids: list[str]
) -> dict[str, int] | None:
    """Capacity given at enrolment in the matches' cycles; people not enrolled are bounded by
    the recommender's own check only."""
    enrolment = load_stored(store).table("enrolment")
    if enrolment.empty:
        return None
    rows = state.matches.set_index("match_id").loc[match_ids]
    cycles = set(rows["cycle_id"].astype(str))
    chosen = enrolment.loc[enrolment["cycle_id"].isin(cycles)]
    if chosen.empty:
        return None
    given = chosen.groupby("person_id")["capacity"].min()
    people = set(rows["a"].astype(str)) | set(rows["b"].astype(str))
    return {p: int(given[p]) if p in given.index else 10**6 for p in people}


def undo_last(store: Any, *, by: str, at: Any) -> str:
    """Undo the last decision ``by`` made; a sentence saying what was undone.

    Raises
    ------
    ParameterError
        Nothing to undo, or the match changed since.
    """
    state = undo(_load(store, at), by=by, at=at)
    last = state.history.sort_values("seq").iloc[-1]
    row = state.matches.set_index("match_id").loc[str(last["match_id"])]
    save_stored(store, state)
    store.audit("programme:undo", by=by, detail={"match": str(last["match_id"])})
    what = {
        APPROVED: "approval",
        DECLINED: "decline",
        ACTIVE: "start",
        ENDED_EARLY: "early ending",
    }.get(str(last["from_status"]), f"move to {last['from_status']}")
    return (
        f"Undid the {what} of {row['a']} and {row['b']} (cycle {row['cycle_id']}) by {by}: "
        f"the match is {last['to_status']} again."
    )


def start_cycle(store: Any, cycle_id: str, *, by: str, at: Any) -> str:
    """Make the cycle's approved matches active; a sentence saying how many."""
    state = _load(store, at)
    before = int(
        ((state.matches["cycle_id"] == cycle_id) & (state.matches["status"] == APPROVED)).sum()
    )
    state = _start_cycle(state, cycle_id, by=by, at=at)
    save_stored(store, state)
    store.audit("programme:start_cycle", by=by, detail={"cycle_id": cycle_id, "count": before})
    return f"Started cycle {cycle_id}: {before} approved match(es) are active."


def close_cycle(store: Any, cycle_id: str, *, by: str, at: Any) -> str:
    """Complete the cycle's active matches; a sentence saying how many."""
    state = _load(store, at)
    before = int(
        ((state.matches["cycle_id"] == cycle_id) & (state.matches["status"] == ACTIVE)).sum()
    )
    state = _close_cycle(state, cycle_id, by=by, at=at)
    save_stored(store, state)
    store.audit("programme:close_cycle", by=by, detail={"cycle_id": cycle_id, "count": before})
    return f"Closed cycle {cycle_id}: {before} active match(es) are completed."


def end_early(store: Any, match_id: str, reason: str, *, by: str, at: Any) -> str:
    """End an approved or active match early, with its reason; a sentence saying so."""
    state = transition(_load(store, at), [match_id], ENDED_EARLY, by=by, at=at, note=reason)
    save_stored(store, state)
    store.audit("programme:end_early", by=by, detail={"match": match_id, "reason": reason})
    return f"Ended match {match_id} early: {reason.strip()}."


def recommender_inputs(store: Any, kind: str, *, as_of: Any) -> dict[str, Any]:
    """What a recommender run of ``kind`` reads from the programme on ``as_of``.

    Returns
    -------
    dict
        ``programme_id`` and ``cycle_id`` (None when there is none yet); ``declined``: pairs of
        this kind declined in any cycle; ``commitments``: approved or active matches of both
        kinds (:class:`~orgbridge.recommend.Commitment`, they use capacity); ``previous``:
        past partners (rotation); ``cohort``: the people enrolled in the cycle, None when
        nobody is; ``capacity``: person -> the capacity given at enrolment (for
        :func:`with_enrolled_capacity`).
    """
    from orgbridge.recommend import decision_key

    kind = match_kind(kind)
    stored = load_stored(store)
    state = _legacy(store, stored.state, as_of)
    current = statuses_as_of(state, as_of)
    mine = current.loc[current["kind"] == kind]
    declined = tuple(
        dict.fromkeys(
            decision_key(str(a), str(b), kind)
            for a, b in zip(
                mine.loc[mine["status"] == DECLINED, "a"],
                mine.loc[mine["status"] == DECLINED, "b"],
                strict=True,
            )
        )
    )
    programme_id = _programme_of(state, kind)
    cycle_id = None if programme_id is None else current_cycle(state, programme_id, as_of)
    enrolment = stored.table("enrolment")
    chosen = enrolment.loc[enrolment["cycle_id"] == cycle_id]
    people = chosen["person_id"].astype(str)
    capacity = {str(p): int(c) for p, c in zip(people, chosen["capacity"], strict=True)}
    return {
        "programme_id": programme_id,
        "cycle_id": cycle_id,
        "declined": declined,
        "commitments": tuple(_commitments(state, as_of)),
        "previous": tuple(sorted(past_partners(current))),
        "cohort": tuple(sorted(set(people))) if len(people) else None,
        "capacity": capacity,
    }


def with_enrolled_capacity(graph: OrgGraph, capacity: dict[str, int]) -> OrgGraph:
    """The graph with each enrolled person's capacity the one they gave at enrolment (the
    recommender reads ``people.capacity``); the graph itself when nobody is enrolled.

    Example
    -------
    >>> g = OrgGraph(pd.DataFrame({"person_id": ["a", "b"], "capacity": [3, 3]}))
    >>> with_enrolled_capacity(g, {"b": 1}).people["capacity"].tolist()
    [3, 1]
    """
    if not capacity:
        return graph
    people = graph.people.copy()
    given = people["person_id"].astype(str).map(capacity)
    if "capacity" in people.columns:
        merged = given.fillna(pd.to_numeric(people["capacity"], errors="coerce"))
    else:
        merged = given
    people["capacity"] = merged.astype("Int64")
    return graph.with_people(people)
