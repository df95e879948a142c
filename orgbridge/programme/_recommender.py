"""What the recommender reads from programme state: commitments (capacity) and past partners
(rotation).

A *commitment* is a match that is approved (a commitment in its cycle) or active, as of a
date; declined, completed and ended-early matches free the capacity again. A person's
capacity is one budget across pairs and sponsorships. *Past partners* are two people who were
ever approved together (whatever happened next): a programme rotates them to new partners.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from orgbridge.errors import ParameterError
from orgbridge.programme._model import (
    ACTIVE,
    APPROVED,
    COMPLETED,
    ENDED_EARLY,
    ProgrammeState,
    timestamp,
)

__all__ = ["COMMITTED", "commitments", "past_partners", "remaining_capacity", "statuses_as_of"]

#: Statuses that hold a person's capacity.
COMMITTED: frozenset[str] = frozenset({APPROVED, ACTIVE})
#: Statuses that make two people past partners.
PARTNERED: frozenset[str] = frozenset({APPROVED, ACTIVE, COMPLETED, ENDED_EARLY})


def statuses_as_of(state: ProgrammeState, as_of: str | pd.Timestamp) -> pd.DataFrame:
    """The matches that existed at ``as_of`` with the status they had then (from the history).

    Returns
    -------
    pandas.DataFrame
        The ``matches`` columns, ``status`` replaced by the status at ``as_of``; matches
        proposed later are left out.
    """
    day = timestamp(as_of, "as_of")
    events = state.history.loc[state.history["at"] <= day].sort_values("seq")
    last = events.drop_duplicates("match_id", keep="last").set_index("match_id")["to_status"]
    out = state.matches.loc[state.matches["match_id"].isin(last.index)].copy()
    out["status"] = out["match_id"].map(last).astype("string")
    out["reason"] = out["reason"].where(out["status"] == ENDED_EARLY)
    return out.reset_index(drop=True)


def commitments(state: ProgrammeState, as_of: str | pd.Timestamp) -> pd.DataFrame:
    """People and their number of current commitments (approved or active), across kinds.

    Parameters
    ----------
    state
        The programme state (every programme is counted: capacity is one budget).
    as_of
        The date the statuses are read at (from the status history).

    Returns
    -------
    pandas.DataFrame
        ``person_id, pairs, sponsorships, total``, one row per committed person, sorted by id.

    Example
    -------
    >>> from orgbridge.programme import add_programme, add_cycle, propose, transition
    >>> s = add_programme(ProgrammeState.empty(), programme_id="RM", name="R", kind="pairs")
    >>> s = add_cycle(s, cycle_id="C1", programme_id="RM", start="2026-02-01", end="2026-12-31")
    >>> s = propose(s, programme_id="RM", a="P1", b="P2", by="u", at="2026-01-05")
    >>> s = transition(s, ["C1:P1:P2"], "approved", by="u", at="2026-01-06")
    >>> commitments(s, "2026-01-07").to_dict("records")[0]
    {'person_id': 'P1', 'pairs': 1, 'sponsorships': 0, 'total': 1}
    >>> len(commitments(s, "2026-01-05"))
    0
    """
    current = statuses_as_of(state, as_of)
    held = current.loc[current["status"].isin(COMMITTED)]
    people = pd.concat(
        [held[["a", "kind"]].rename(columns={"a": "person_id"}),
         held[["b", "kind"]].rename(columns={"b": "person_id"})],
        ignore_index=True,
    )  # fmt: skip
    counts = pd.crosstab(people["person_id"], people["kind"]) if len(people) else pd.DataFrame()
    out = pd.DataFrame(
        {
            "person_id": pd.Series(counts.index.astype(str), dtype="string"),
            "pairs": _column(counts, "pair"),
            "sponsorships": _column(counts, "sponsorship"),
        }
    )
    out["total"] = out["pairs"] + out["sponsorships"]
    return out.sort_values("person_id", ignore_index=True)


def _column(counts: pd.DataFrame, kind: str) -> np.ndarray:
    if kind in counts.columns:
        return counts[kind].to_numpy(dtype=np.int64)
    return np.zeros(len(counts), dtype=np.int64)


def remaining_capacity(
    capacity: Mapping[str, int] | pd.Series, state: ProgrammeState, as_of: str | pd.Timestamp
) -> pd.Series:
    """Each person's capacity less their current commitments (never below 0 shown as is).

    Parameters
    ----------
    capacity
        person_id -> number of matches the person can hold (e.g. the enrolment's
        ``capacity``), across pairs and sponsorships.

    Returns
    -------
    pandas.Series
        person_id -> remaining capacity (negative when someone is over-committed).
    """
    base = pd.Series(capacity, dtype="int64")
    held = commitments(state, as_of).set_index("person_id")["total"]
    return base.sub(held.reindex(base.index).fillna(0).astype("int64"))


def past_partners(matches: pd.DataFrame) -> frozenset[tuple[str, str]]:
    """Pairs of people (sorted ids) who were ever approved together, in any cycle or kind.

    Parameters
    ----------
    matches
        The ``matches`` table (its current statuses).

    Example
    -------
    >>> m = pd.DataFrame({"a": ["P1", "P3"], "b": ["P2", "P4"],
    ...                   "status": ["completed", "declined"]})
    >>> sorted(past_partners(m))
    [('P1', 'P2')]
    """
    if "status" not in matches.columns:
        raise ParameterError("past_partners needs the matches table with its status column")
    kept = matches.loc[matches["status"].isin(PARTNERED)]
    a = kept["a"].astype(str).to_numpy()
    b = kept["b"].astype(str).to_numpy()
    low, high = np.minimum(a, b), np.maximum(a, b)
    return frozenset(zip(low.tolist(), high.tolist(), strict=True))
