"""The disclosure policy: what each role may see, decided in one place.

Every output path (the app's services, the CLI's JSON and HTML report, every export) goes
through this package:

- :func:`groupable_attributes` / :func:`check_group_by`: which attributes may group people
  (never identifiers, free text, dates or near-unique columns; special categories only when
  enabled, and then aggregate-only).
- :func:`neutralise_frame` / :func:`neutralise_cell`: no exported cell can start a formula.
"""

from orgbridge.disclosure._attributes import (
    AttributeKinds,
    attribute_kinds,
    check_group_by,
    groupable_attributes,
    special_columns,
)
from orgbridge.graph._cells import FORMULA_PREFIXES, neutralise_cell, neutralise_frame

__all__ = [
    "FORMULA_PREFIXES",
    "AttributeKinds",
    "attribute_kinds",
    "check_group_by",
    "groupable_attributes",
    "neutralise_cell",
    "neutralise_frame",
    "special_columns",
]
