"""Plain-language reasons built from a proposal's largest score components."""

from __future__ import annotations

from orgbridge.recommend._gains import Evaluation
from orgbridge.recommend._state import UNREACHABLE

__all__ = ["explain"]


def _hops(d: int) -> str:
    if d >= UNREACHABLE:
        return "no path"
    return f"{d} hop" if d == 1 else f"{d} hops"


def explain(
    evaluation: Evaluation,
    *,
    names: dict[int, str],
    group_labels: list[str],
    a: int,
    b: int,
    differences: list[str],
    shared_skills: list[str],
    locked: bool = False,
) -> str:
    """One sentence from the largest positive components of ``evaluation``.

    Example
    -------
    >>> import numpy as np
    >>> from orgbridge.recommend._state import Spread
    >>> spread = Spread(np.array([3, 5]), np.array([4, 5]), np.array([1, 2]), 3)
    >>> e = Evaluation(2.0, {"exposure": 1.2, "silo": 0.8, "complementarity": 0.0, "fit": 0.0},
    ...                spread, 2, (0, 1))
    >>> print(explain(e, names={0: "P0001", 3: "P0042"}, group_labels=["Finance", "IT"],
    ...               a=0, b=3, differences=[], shared_skills=[]))  # doctest: +NORMALIZE_WHITESPACE
    Brings P0042 from 4 hops to 1 hop of a leader; 1 colleague moves closer too;
    bridges Finance and IT (2 ties today).
    """
    parts: list[tuple[float, str]] = []
    bd = evaluation.breakdown
    spread = evaluation.spread
    if bd.get("exposure", 0.0) > 0 and spread.moved:
        who = names.get(spread.start, str(spread.start))
        text = (
            f"brings {who} from {_hops(int(spread.before[0]))} to "
            f"{_hops(int(spread.after[0]))} of a leader"
        )
        others = spread.moved - 1
        if others:
            text += (
                f"; {others} colleague{'s' if others != 1 else ''} "
                f"move{'s' if others == 1 else ''} closer too"
            )
        parts.append((bd["exposure"], text))
    if bd.get("silo", 0.0) > 0:
        ga, gb = evaluation.groups
        t = evaluation.ties_today
        parts.append(
            (
                bd["silo"],
                f"bridges {group_labels[ga]} and {group_labels[gb]} "
                f"({t} tie{'s' if t != 1 else ''} today)",
            )
        )
    if bd.get("complementarity", 0.0) > 0 and differences:
        parts.append((bd["complementarity"], "different " + _join(differences)))
    if bd.get("fit", 0.0) > 0 and shared_skills:
        parts.append((bd["fit"], "each can teach the other (" + ", ".join(shared_skills) + ")"))
    parts.sort(key=lambda item: -item[0])
    chosen = [text for _, text in parts[:3]]
    if not chosen:
        chosen = ["meets every rule; adds little to today's structure"]
    sentence = "; ".join(chosen)
    if locked:
        sentence = "Locked by the coordinator; " + sentence
    return sentence[0].upper() + sentence[1:] + "."


def _join(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]
