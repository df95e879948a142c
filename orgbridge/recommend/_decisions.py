"""Decisions on proposals (approve, decline, lock) as the recommender reads them.

A reciprocal pair is unordered: ``(A, B)`` and ``(B, A)`` are the same pair, so its key is the
two ids sorted. A sponsorship is directed (leader first) and keeps its order. Every place that
writes a decision stores the key (:func:`decision_key`), and every place that reads decisions
normalises again (:func:`latest_decisions`), so rows written before normalisation, or by another
client, still count: declining ``(B, A)`` blocks a later proposal of ``(A, B)``.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["decision_key", "latest_decisions", "locked_and_declined"]

Pair = tuple[str, str]


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
