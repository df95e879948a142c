"""The match register (who decided what, and when) and the introduction export.

:func:`match_register` is the Matches page: one row per match with the proposal, the decision
(approve or decline), the start and the end, each with who and when, replayed from the history
(an undone decision no longer shows). :func:`introductions` is the mail-merge file that
introduces each approved pair: both people, their goals and why they were matched. Both name
people by id; the caller adds names only for roles that may see them (the disclosure policy),
and every text cell of :func:`introductions` is made safe for spreadsheets.
"""

from __future__ import annotations

import pandas as pd

from orgbridge.disclosure import neutralise_frame
from orgbridge.programme._model import (
    ACTIVE,
    APPROVED,
    COMPLETED,
    DECLINED,
    ENDED_EARLY,
    PROPOSED,
    ProgrammeState,
    timestamp,
)
from orgbridge.programme._recommender import statuses_as_of

__all__ = ["introductions", "match_register"]

_STEPS = {
    "proposed": (PROPOSED,),
    "decided": (APPROVED, DECLINED),
    "started": (ACTIVE,),
    "ended": (COMPLETED, ENDED_EARLY),
}


def match_register(
    state: ProgrammeState, *, as_of: str | pd.Timestamp | None = None
) -> pd.DataFrame:
    """One row per match with who proposed, decided, started and ended it, and when.

    Parameters
    ----------
    state
        The programme state.
    as_of
        Read the history up to this date (default: all of it).

    Returns
    -------
    pandas.DataFrame
        ``match_id, programme_id, cycle_id, a, b, kind, status, reason, proposed_by,
        proposed_at, decided_by, decided_at, started_at, ended_at``, by cycle then match.

    Example
    -------
    >>> from orgbridge.programme import ProgrammeState, add_programme, add_cycle, propose
    >>> from orgbridge.programme import transition, undo
    >>> s = add_programme(ProgrammeState.empty(), programme_id="RM", name="R", kind="pairs")
    >>> s = add_cycle(s, cycle_id="C1", programme_id="RM", start="2026-02-01", end="2026-12-31")
    >>> s = propose(s, programme_id="RM", a="P1", b="P2", by="ann", at="2026-01-05")
    >>> s = transition(s, ["C1:P1:P2"], "declined", by="bob", at="2026-01-06")
    >>> s = undo(s, by="bob", at="2026-01-06")
    >>> s = transition(s, ["C1:P1:P2"], "approved", by="cy", at="2026-01-07")
    >>> match_register(s)[["status", "proposed_by", "decided_by"]].values.tolist()
    [['approved', 'ann', 'cy']]
    """
    history = state.history.sort_values("seq")
    matches = state.matches
    if as_of is not None:
        matches = statuses_as_of(state, as_of)
        history = history.loc[history["at"] <= pd.Timestamp(as_of)]
    # Replay: an undo cancels the event it reverts, so only standing events remain.
    standing: dict[str, list[tuple[str, str, pd.Timestamp]]] = {}
    for event in history.itertuples(index=False):
        events = standing.setdefault(str(event.match_id), [])
        if event.event == "undo":
            if events:
                events.pop()
        else:
            events.append((str(event.to_status), str(event.by), timestamp(str(event.at))))
    out = matches[
        ["match_id", "programme_id", "cycle_id", "a", "b", "kind", "status", "reason"]
    ].copy()
    for step, statuses in _STEPS.items():
        who, when = [], []
        for match_id in out["match_id"].astype(str):
            found = [e for e in standing.get(match_id, []) if e[0] in statuses]
            who.append(found[-1][1] if found else None)
            when.append(found[-1][2] if found else pd.NaT)
        if step in ("proposed", "decided"):
            out[f"{step}_by"] = pd.Series(who, index=out.index, dtype="string")
        out[f"{step}_at"] = pd.Series(when, index=out.index, dtype="datetime64[ns]")
    ordered: pd.DataFrame = out.sort_values(["cycle_id", "match_id"], ignore_index=True)
    return ordered


def introductions(
    state: ProgrammeState,
    cycle_id: str,
    *,
    enrolment: pd.DataFrame | None = None,
    people: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The introduction file for a mail merge: one row per approved or active match.

    Parameters
    ----------
    state
        The programme state.
    cycle_id
        The cycle whose pairs are introduced.
    enrolment
        The enrolment table, for each person's goals (personal data: coordinators only).
    people
        ``person_id`` and any columns to show for both people (e.g. ``name``, ``department``,
        ``level``), already reduced to what the reader's role may see.

    Returns
    -------
    pandas.DataFrame
        ``match_id, person_a, person_b`` then, for each extra column ``c`` of ``people``,
        ``c_a, c_b``, then ``goals_a, goals_b`` (with an enrolment) and ``reason`` (the
        proposal's explanation). Text cells cannot start a spreadsheet formula.

    Raises
    ------
    ParameterError
        The cycle does not exist.

    Example
    -------
    >>> from orgbridge.programme import ProgrammeState, add_programme, add_cycle, propose
    >>> from orgbridge.programme import transition
    >>> s = add_programme(ProgrammeState.empty(), programme_id="RM", name="R", kind="pairs")
    >>> s = add_cycle(s, cycle_id="C1", programme_id="RM", start="2026-02-01", end="2026-12-31")
    >>> s = propose(s, programme_id="RM", a="P1", b="P2", by="u", at="2026-01-05",
    ...             explanation="=both like data")
    >>> s = transition(s, ["C1:P1:P2"], "approved", by="u", at="2026-01-06")
    >>> people = pd.DataFrame({"person_id": ["P1", "P2"], "name": ["Ana", "Bo"]})
    >>> introductions(s, "C1", people=people).iloc[0].tolist()
    ['C1:P1:P2', 'P1', 'P2', 'Ana', 'Bo', "'=both like data"]
    """
    state.cycle(cycle_id)
    chosen = state.matches.loc[
        (state.matches["cycle_id"] == cycle_id) & state.matches["status"].isin([APPROVED, ACTIVE])
    ]
    out = pd.DataFrame(
        {
            "match_id": chosen["match_id"].to_numpy(),
            "person_a": chosen["a"].to_numpy(),
            "person_b": chosen["b"].to_numpy(),
        }
    )
    if people is not None:
        table = people.assign(person_id=people["person_id"].astype(str)).set_index("person_id")
        for column in list(table.columns):
            for end in ("a", "b"):
                out[f"{column}_{end}"] = out[f"person_{end}"].map(table[column]).to_numpy()
    if enrolment is not None:
        mine = enrolment.loc[enrolment["cycle_id"] == cycle_id].set_index("person_id")["goals"]
        for end in ("a", "b"):
            out[f"goals_{end}"] = out[f"person_{end}"].map(mine).to_numpy()
    out["reason"] = chosen["explanation"].to_numpy()
    return neutralise_frame(out.sort_values("match_id", ignore_index=True))
