"""The disclosure policy: what each role may see, decided in one place.

Every output path (the app's services, the CLI's JSON and HTML report, every export) goes
through this package:

- :func:`groupable_attributes` / :func:`check_group_by`: which attributes may group people
  (never identifiers, free text, dates or near-unique columns; special categories only when
  enabled, and then aggregate-only).
- :func:`suppression_plan`, :func:`disclose_groups`, :func:`disclose_matrix`,
  :func:`disclosed_gap`: group tables with small groups unlabelled, complementary
  suppression (no total or difference reveals a hidden group) and means over enough people.
- :func:`parse_choice`, :func:`parse_int`, :func:`parse_flag`, :func:`parse_text`: client
  parameters parsed into allow-listed values before any computation.
- :func:`person_labels`, :func:`person_columns`, :func:`pseudonyms`: a person as a role may
  see them (name, pseudonym or nothing; special-category values never per person).
- :func:`neutralise_frame` / :func:`neutralise_cell`: no exported cell can start a formula.
"""

from orgbridge.disclosure._attributes import (
    AttributeKinds,
    attribute_kinds,
    check_group_by,
    groupable_attributes,
    special_columns,
)
from orgbridge.disclosure._params import parse_choice, parse_flag, parse_int, parse_text
from orgbridge.disclosure._people import (
    identity_for,
    person_columns,
    person_labels,
    pseudonyms,
)
from orgbridge.disclosure._tables import (
    OTHER_GROUPS,
    SuppressionPlan,
    disclose_equity,
    disclose_groups,
    disclose_matrix,
    disclosed_gap,
    suppression_plan,
)
from orgbridge.graph._cells import FORMULA_PREFIXES, neutralise_cell, neutralise_frame, safe_csv

__all__ = [
    "FORMULA_PREFIXES",
    "OTHER_GROUPS",
    "AttributeKinds",
    "SuppressionPlan",
    "attribute_kinds",
    "check_group_by",
    "disclose_equity",
    "disclose_groups",
    "disclose_matrix",
    "disclosed_gap",
    "groupable_attributes",
    "identity_for",
    "neutralise_cell",
    "neutralise_frame",
    "parse_choice",
    "parse_flag",
    "parse_int",
    "parse_text",
    "person_columns",
    "person_labels",
    "pseudonyms",
    "safe_csv",
    "special_columns",
    "suppression_plan",
]
