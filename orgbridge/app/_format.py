"""Numbers and column names as people read them, one place for every page, grid and axis.

Shares are percentages (``0.0231`` -> ``2.31%``), counts have thousands separators
(``2090`` -> ``2,090``), other numbers keep 3 significant digits (``0.01234`` -> ``0.0123``),
and field names become words (``effective_size`` -> ``Effective size``, ``group_a`` ->
``Group A``). The grid's JavaScript formatters (:func:`grid_formatter`) follow the same rules.

Example
-------
>>> format_number(0.0231, "percent"), format_number(2090, "count"), format_number(-0.31, "signed")
('2.31%', '2,090', '-0.310')
>>> column_label("Effective_size"), column_label("group_a"), column_label("share_within_2_hops")
('Effective size', 'Group A', 'Within 2 hops')
"""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = [
    "COLUMN_LABELS",
    "column_kind",
    "column_label",
    "format_number",
    "format_points",
    "grid_formatter",
    "significant",
]

#: Human names of the fields that pages, grids and axes show (lower-case keys).
COLUMN_LABELS: dict[str, str] = {
    "group": "Group",
    "group_a": "Group A",
    "group_b": "Group B",
    "size": "People",
    "leaders": "Leaders",
    "non_leaders": "Non-leaders",
    "ties": "Ties",
    "via": "Joined through",
    "bridges": "Bridging people",
    "person": "Person",
    "person_a": "Person A",
    "person_b": "Person B",
    "a": "Person A",
    "b": "Person B",
    "layer": "Layer",
    "person_id": "Person",
    "label": "Person",
    "ei_index": "E-I index",
    "ei_baseline": "E-I random-mixing baseline",
    "ei_difference": "E-I minus baseline",
    "internal": "Internal ties",
    "external": "External ties",
    "modularity": "Modularity",
    "nmi": "NMI",
    "ari": "ARI",
    "betweenness": "Betweenness",
    "constraint": "Constraint",
    "effective_size": "Effective size",
    "groups_tied": "Groups tied to",
    "degree": "Degree",
    "community": "Community",
    "hops_to_leader": "Hops to nearest leader",
    "leaders_within_1_hop": "Leaders within 1 hop",
    "leaders_within_2_hops": "Leaders within 2 hops",
    "exposure": "Exposure",
    "mean_exposure": "Mean exposure",
    "exposure_ratio": "Exposure vs organisation",
    "mean_hops": "Mean hops to a leader",
    "share_within_1_hop": "Within 1 hop",
    "share_within_2_hops": "Within 2 hops",
    "share_unreachable": "Unreachable",
    "gap_to_organisation": "Gap to organisation (points)",
    "coverage": "Programme coverage",
    "gini": "Gini",
    "suppressed": "Suppressed",
    "note": "Note",
    "kind": "Kind",
    "score": "Score",
    "reason": "Reason",
    "decision": "Decision",
    "status": "Status",
    "start": "Start",
    "end": "End",
    "snapshot": "Snapshot",
    "programme": "Programme",
    "department": "Department",
    "level": "Level",
    "location": "Location",
    "division": "Division",
    "match_rate": "Match rate",
    "pairs": "Pairs",
    "participants": "Participants",
    "cycle_id": "Cycle",
    "match_id": "Match",
    "programme_id": "Programme",
    "name_a": "Person A",
    "name_b": "Person B",
    "department_a": "Department A",
    "department_b": "Department B",
    "level_a": "Level A",
    "level_b": "Level B",
    "proposed_at": "Proposed",
    "decided_at": "Decided",
    "decided_by": "Decided by",
    "started_at": "Started",
    "ended_at": "Ended",
    "end_reason": "End reason",
    "last_meeting": "Last meeting",
    "weeks_since": "Weeks since last meeting",
}

#: Fields whose values are shares of a whole (shown as percentages).
_PERCENT = re.compile(r"^(share_.*|coverage|match_rate|.*_share|.*_rate)$")
#: Fields whose values are whole counts (thousands separators, no decimals).
_COUNT = frozenset(
    {
        "size",
        "leaders",
        "non_leaders",
        "ties",
        "internal",
        "external",
        "degree",
        "groups_tied",
        "pairs",
        "participants",
        "hops_to_leader",
        "leaders_within_1_hop",
        "leaders_within_2_hops",
    }
)
#: Fields that run from -1 to +1, where the sign is the message.
_SIGNED = frozenset({"ei_index", "ei_baseline", "ei_difference", "gap_to_organisation"})


def significant(value: float, digits: int = 3) -> str:
    """``value`` to ``digits`` significant digits, thousands separated, no trailing zeros
    beyond them and no exponent for ordinary magnitudes.

    Example
    -------
    >>> significant(0.012345), significant(123456.7), significant(1.0), significant(-0.5)
    ('0.0123', '123,000', '1', '-0.5')
    """
    if not math.isfinite(value):
        return "n/a"
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    places = digits - 1 - magnitude  # negative: round to tens, hundreds, ...
    rounded = round(value, places)
    if places <= 0:
        return f"{rounded:,.0f}"
    decimals = places
    text = f"{rounded:,.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_number(value: Any, kind: str = "plain") -> str:
    """One number as text: ``percent`` (a share), ``count``, ``signed`` (-1..+1), ``plain``.

    Missing and non-finite values are ``n/a``.

    Example
    -------
    >>> format_number(0.425, "percent"), format_number(1.0, "percent"), format_number(None)
    ('42.5%', '100%', 'n/a')
    >>> format_number(1234567, "count"), format_number(0.000123456), format_number(12.3456)
    ('1,234,567', '0.000123', '12.3')
    """
    if value is None or isinstance(value, bool | str):
        return "n/a" if value is None else str(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return "n/a"
    if kind == "percent":
        return f"{significant(100 * number)}%"
    if kind == "count":
        return f"{round(number):,}"
    if kind == "signed":
        return f"{number:+.3f}" if abs(number) >= 0.001 or number == 0 else f"{number:+.2g}"
    return significant(number)


def format_points(value: Any) -> str:
    """A difference of two shares, in percentage points.

    Example
    -------
    >>> format_points(0.1234), format_points(-0.05), format_points(None)
    ('+12.3 points', '-5 points', 'n/a')
    """
    if value is None:
        return "n/a"
    number = float(value)
    if not math.isfinite(number):
        return "n/a"
    text = significant(100 * number)
    return f"{'+' if number > 0 else ''}{text} points"


def column_kind(name: str) -> str:
    """How a field's numbers are shown: ``percent``, ``count``, ``signed`` or ``plain``.

    Example
    -------
    >>> column_kind("share_within_2_hops"), column_kind("size"), column_kind("constraint")
    ('percent', 'count', 'plain')
    """
    key = str(name).lower()
    if _PERCENT.match(key):
        return "percent"
    if key in _COUNT:
        return "count"
    if key in _SIGNED:
        return "signed"
    return "plain"


def column_label(name: Any) -> str:
    """The human name of a field: the mapping when known, else its words capitalised.

    Example
    -------
    >>> column_label("gain_exposure"), column_label("ei_index"), column_label("x")
    ('Gain: exposure', 'E-I index', 'X')
    """
    text = str(name)
    key = text.lower()
    if key in COLUMN_LABELS:
        return COLUMN_LABELS[key]
    if key.startswith("gain_"):
        return f"Gain: {key[5:].replace('_', ' ')}"
    words = key.replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else text


_GRID_JS = {
    "percent": "d3.format('.3~')(100 * params.value) + '%'",
    "count": "d3.format(',.0f')(params.value)",
    "signed": "d3.format('+.3f')(params.value)",
    "plain": "d3.format(',.3~r')(params.value)",
}


def grid_formatter(kind: str, missing: str = "suppressed") -> dict[str, str]:
    """An AG Grid ``valueFormatter`` following :func:`format_number` (in the browser).

    Example
    -------
    >>> grid_formatter("count")["function"]
    "params.value == null ? 'suppressed' : d3.format(',.0f')(params.value)"
    """
    return {"function": f"params.value == null ? '{missing}' : {_GRID_JS[kind]}"}
