"""Column and layer vocabulary shared by every part of orgbridge."""

from __future__ import annotations

from typing import Final

PERSON_ID: Final = "person_id"

#: Canonical staff columns, in display order. Only ``person_id`` is required.
PEOPLE_COLUMNS: Final[tuple[str, ...]] = (
    "person_id",
    "name",
    "department",
    "division",
    "level",
    "manager_id",
    "location",
    "start_date",
    "is_leader",
    "opt_in",
    "capacity",
)

#: Columns that identify a person and so are personal data beyond the pseudonymous id.
NAME_COLUMNS: Final[tuple[str, ...]] = ("name",)

#: Tie table columns. ``source``/``target`` are int32 positions into the people table.
TIE_COLUMNS: Final[tuple[str, ...]] = ("source", "target", "layer", "weight", "start", "end")

REPORTS_TO: Final = "reports_to"
COLLABORATION: Final = "collaboration"
MENTORING: Final = "mentoring"
SPONSORSHIP: Final = "sponsorship"

#: Layers with a built-in meaning. Any other layer name is a user-named layer.
BUILTIN_LAYERS: Final[tuple[str, ...]] = (REPORTS_TO, COLLABORATION, MENTORING, SPONSORSHIP)

#: The informal layers: leadership exposure is measured over these by default.
INFORMAL_LAYERS: Final[tuple[str, ...]] = (COLLABORATION, MENTORING, SPONSORSHIP)

#: Directed layers (the others are symmetric relations stored once).
DIRECTED_LAYERS: Final[frozenset[str]] = frozenset({REPORTS_TO, SPONSORSHIP})

#: The smallest privacy threshold orgbridge ever accepts.
MIN_GROUP_FLOOR: Final = 5
