"""Decisions on proposals (approve, decline, lock) as the recommender reads them.

A reciprocal pair is unordered: ``(A, B)`` and ``(B, A)`` are the same pair, so its key is the
two ids sorted. A sponsorship is directed (leader first) and keeps its order. Every place that
writes a decision stores the key (:func:`decision_key`), and every place that reads decisions
normalises again (:func:`latest_decisions`), so rows written before normalisation, or by another
client, still count: declining ``(B, A)`` blocks a later proposal of ``(A, B)``.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from orgbridge.errors import ParameterError
from orgbridge.graph import OrgGraph
from orgbridge.recommend._constraints import Constraints, compile_rules
from orgbridge.recommend._programme import PAIR, SPONSORSHIP_KIND, Commitment, programme_state

__all__ = [
    "DECISIONS",
    "check_decision",
    "commitments_from_decisions",
    "decision_key",
    "latest_decisions",
    "locked_and_declined",
]

Pair = tuple[str, str]

#: The decisions a coordinator can record.
DECISIONS = ("approve", "decline", "lock")
_KINDS = {"pair": PAIR, "pairs": PAIR, "sponsorship": SPONSORSHIP_KIND}
_KINDS["sponsorships"] = SPONSORSHIP_KIND


def decision_key(a: str, b: str, kind: str) -> Pair:
    """The stored order of a pair: sorted ids for ``pair``, as given (leader first) otherwise.

    Example
    -------
    >>> decision_key("P2", "P1", "pair"), decision_key("L9", "P1", "sponsorship")
    (('P1', 'P2'), ('L9', 'P1'))
    """
    a, b = str(a), str(b)
    if kind == "pair" and b < a:
        return b, a
    return a, b


def latest_decisions(decisions: pd.DataFrame, kind: str) -> dict[Pair, str]:
    """The latest decision per normalised pair of ``kind`` (rows are in the order made).

    Example
    -------
    >>> rows = pd.DataFrame({"a": ["x", "y"], "b": ["y", "x"], "kind": "pair",
    ...                      "decision": ["lock", "decline"]})
    >>> latest_decisions(rows, "pair")
    {('x', 'y'): 'decline'}
    """
    latest: dict[Pair, str] = {}
    if len(decisions) == 0:
        return latest
    rows = decisions[decisions["kind"].astype(str) == kind]
    if "at" in rows.columns:
        rows = rows.sort_values("at", kind="stable")
    for a, b, decision in zip(rows["a"], rows["b"], rows["decision"], strict=True):
        key = decision_key(str(a), str(b), kind)
        latest.pop(key, None)  # keep insertion order = order of the latest decision
        latest[key] = str(decision).strip().lower()
    return latest


def locked_and_declined(
    decisions: pd.DataFrame, kind: str
) -> tuple[tuple[Pair, ...], tuple[Pair, ...]]:
    """Locked (approved or locked) and declined pairs of ``kind``; the latest decision wins.

    Example
    -------
    >>> rows = pd.DataFrame({"a": ["b", "c"], "b": ["a", "d"], "kind": "pair",
    ...                      "decision": ["decline", "approve"]})
    >>> locked_and_declined(rows, "pair")
    ((('c', 'd'),), (('a', 'b'),))
    """
    latest = latest_decisions(decisions, kind)
    locked = tuple(k for k, d in latest.items() if d.startswith(("approv", "lock")))
    declined = tuple(k for k, d in latest.items() if d.startswith("declin"))
    return locked, declined


def commitments_from_decisions(decisions: pd.DataFrame) -> tuple[Commitment, ...]:
    """Approved (or locked) pairs and sponsorships, both kinds, as commitments that start on
    the day they were approved (column ``at``; no start when it is absent).

    Example
    -------
    >>> rows = pd.DataFrame({"a": ["y", "L"], "b": ["x", "p"],
    ...                      "kind": ["pair", "sponsorship"], "decision": ["approve", "lock"],
    ...                      "at": ["2026-02-01 10:00", "2026-03-01"]})
    >>> [(c.a, c.b, c.kind, c.start) for c in commitments_from_decisions(rows)]
    [('x', 'y', 'pair', '2026-02-01'), ('L', 'p', 'sponsorship', '2026-03-01')]
    """
    out: list[Commitment] = []
    if len(decisions) == 0:
        return ()
    when: dict[tuple[str, Pair], str | None] = {}
    if "at" in decisions.columns:
        for a, b, kind, at in zip(
            decisions["a"], decisions["b"], decisions["kind"], decisions["at"], strict=True
        ):
            key = decision_key(str(a), str(b), str(kind))
            stamp = pd.Timestamp(at) if pd.notna(at) else None
            when[(str(kind), key)] = None if stamp is None else str(stamp.date())
    for kind in (PAIR, SPONSORSHIP_KIND):
        locked, _ = locked_and_declined(decisions, kind)
        out.extend(Commitment(a, b, kind=kind, start=when.get((kind, (a, b)))) for a, b in locked)
    return tuple(out)


def check_decision(
    graph: OrgGraph,
    a: str,
    b: str,
    *,
    kind: str = PAIR,
    decision: str = "approve",
    constraints: Constraints | None = None,
    as_of: str | pd.Timestamp | None = None,
    commitments: Iterable[Commitment] = (),
) -> Pair:
    """The key to store a decision under, once the decision is known to be acceptable.

    Every decision must name two people of the organisation. An approval or lock must also
    pass the hard constraints on ``as_of`` (eligibility, level band, reporting chain, not
    tied today, not paired before unless ``allow_repeat``, exclusions, declines) and leave
    both people within their capacity, counting their current pairs, sponsorships and other
    ``commitments``. A decline needs only the two people.

    Parameters
    ----------
    graph
        The organisation (with its tie history).
    a, b
        The two people (for a sponsorship ``a`` is the leader).
    kind
        ``"pair"`` or ``"sponsorship"``.
    decision
        ``"approve"``, ``"decline"`` or ``"lock"``.
    constraints
        The run's :class:`~orgbridge.recommend.Constraints` (default: opted-in people,
        capacities from the people table, any eligible protégé: the emerging-talent default
        shapes proposals, not a coordinator's own choice).
    as_of
        The day the decision is taken (the CLI and app pass today).
    commitments
        Other approved pairs and sponsorships (e.g. :func:`commitments_from_decisions`);
        one for this same pair is ignored, so approving twice is not a capacity error.

    Returns
    -------
    tuple of str
        The stored order of the pair (:func:`decision_key`).

    Raises
    ------
    ParameterError
        An unknown decision or kind, an unknown person, or an approval that breaks a hard
        constraint or a capacity (the message lists every reason).

    Example
    -------
    >>> people = pd.DataFrame({"person_id": ["a", "b", "c"], "manager_id": [None, "a", None]})
    >>> check_decision(OrgGraph(people), "c", "b")
    ('b', 'c')
    >>> check_decision(OrgGraph(people), "a", "b")
    Traceback (most recent call last):
    ...
    orgbridge.errors.ParameterError: cannot approve (a, b): one is in the other's reporting chain
    """
    if decision not in DECISIONS:
        raise ParameterError(f"a decision is one of {', '.join(DECISIONS)} (got {decision!r})")
    if kind not in _KINDS:
        raise ParameterError(f"kind must be pair or sponsorship (got {kind!r})")
    kind = _KINDS[kind]
    key = decision_key(str(a), str(b), kind)
    found = graph.ids.get_indexer(pd.Index([str(a), str(b)]))
    unknown = [p for p, i in zip((str(a), str(b)), found, strict=True) if i < 0]
    if unknown:
        raise ParameterError(
            f"cannot {decision} ({a}, {b}): {' and '.join(map(repr, unknown))} "
            f"{'is' if len(unknown) == 1 else 'are'} not in the organisation"
        )
    if decision == "decline":
        return key
    if constraints is None:
        constraints = Constraints(emerging_only=False)
    others = [c for c in commitments if not (c.kind == kind and c.key == key)]
    base = Constraints(
        **{
            **{f: getattr(constraints, f) for f in constraints.__dataclass_fields__},
            "locked": (),
            "commitments": (),
        }
    )
    state = programme_state(graph, as_of=as_of, commitments=others)
    rules = compile_rules(graph, base, kind=kind, state=state)
    u, v = int(found[0]), int(found[1])
    problems = rules.violations(u, v, graph.ids)
    ids = graph.ids
    for p in dict.fromkeys((u, v)):
        if rules.capacity[p] < 1:
            budget = int(rules.budget[p]) if rules.budget is not None else 0
            problems.append(
                f"{ids[p]} has no capacity left (budget {budget}, "
                f"{int(state.load[p])} current pairs, sponsorships or approvals)"
            )
    if problems:
        raise ParameterError(f"cannot {decision} ({a}, {b}): " + "; ".join(problems))
    return key
