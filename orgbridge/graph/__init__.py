"""The organisation as a graph: columnar tables, compiled views, and the stores that keep them."""

from orgbridge.graph._orggraph import OrgGraph, empty_ties, normalise_layers
from orgbridge.graph._schema import (
    BUILTIN_LAYERS,
    COLLABORATION,
    DIRECTED_LAYERS,
    INFORMAL_LAYERS,
    MENTORING,
    MIN_GROUP_FLOOR,
    PEOPLE_COLUMNS,
    REPORTS_TO,
    SPONSORSHIP,
    TIE_COLUMNS,
)

__all__ = [
    "BUILTIN_LAYERS",
    "COLLABORATION",
    "DIRECTED_LAYERS",
    "INFORMAL_LAYERS",
    "MENTORING",
    "MIN_GROUP_FLOOR",
    "PEOPLE_COLUMNS",
    "REPORTS_TO",
    "SPONSORSHIP",
    "TIE_COLUMNS",
    "OrgGraph",
    "empty_ties",
    "normalise_layers",
]
