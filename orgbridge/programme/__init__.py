"""Programme operations: cycles and match statuses, enrolment, check-ins, health and impact.

A pure library: tables in, tables (or JSON-ready dicts) out; the time is always a parameter
(``at``, ``as_of``), never read from the clock, and randomness comes only through ``seed``.

- :class:`ProgrammeState` holds four tables (programmes, cycles, matches, status history) that
  a store persists as they are (:data:`SCHEMAS`); :func:`add_programme`, :func:`add_cycle`,
  :func:`propose`, :func:`transition`, :func:`undo`, :func:`start_cycle` and
  :func:`close_cycle` return a new state.
- :func:`commitments`, :func:`remaining_capacity` and :func:`past_partners` are what the
  recommender reads (capacity and rotation).
- :func:`read_enrolment`, :func:`read_meetings`, :func:`read_checkins`, :func:`read_goals`
  (and their ``parse_*``) import files with every rejected row reported.
- :func:`match_register` (who proposed, decided, started and ended each match) and
  :func:`introductions` (the mail-merge file introducing approved pairs).
- :func:`load_stored` / :func:`save_stored`: a programme as a store keeps it.
- Operations on a store, the one place status changes go through (``_operations``):
  :func:`ensure_cycle`, :func:`record_proposals`, :func:`decide`, :func:`undo_last`,
  :func:`end_early`, :func:`recommender_inputs`, and ``_operations.start_cycle`` /
  ``_operations.close_cycle`` (named apart from the pure moves of the same name).
- :func:`health` and :func:`stalled_pairs` measure how the programme runs;
  :func:`impact` whether it changed the network (difference in differences).
"""

from orgbridge.programme._activity import (
    CHECKIN_COLUMNS,
    GOAL_COLUMNS,
    MEETING_COLUMNS,
    PERSONAL_COLUMNS,
    parse_checkins,
    parse_goals,
    parse_meetings,
    read_checkins,
    read_goals,
    read_meetings,
)
from orgbridge.programme._enrolment import (
    ENROLMENT_COLUMNS,
    ROLES,
    parse_enrolment,
    read_enrolment,
)
from orgbridge.programme._form import Parsed
from orgbridge.programme._health import active_windows, health, stalled_pairs
from orgbridge.programme._impact import OUTCOMES, compare_snapshots, impact, outcomes
from orgbridge.programme._model import (
    PROGRAMME_KINDS,
    SCHEMAS,
    STATUSES,
    ProgrammeState,
    add_cycle,
    add_programme,
    next_cycle,
)
from orgbridge.programme._operations import (
    OPERATION_DECISIONS,
    current_cycle,
    decide,
    end_early,
    ensure_cycle,
    match_kind,
    recommender_inputs,
    record_proposals,
    undo_last,
    with_enrolled_capacity,
)
from orgbridge.programme._recommender import (
    commitments,
    past_partners,
    remaining_capacity,
    statuses_as_of,
)
from orgbridge.programme._register import introductions, match_register
from orgbridge.programme._status import (
    ALLOWED,
    close_cycle,
    propose,
    propose_many,
    start_cycle,
    transition,
    undo,
)
from orgbridge.programme._stored import (
    ACTIVITY_COLUMNS,
    StoredProgramme,
    load_stored,
    save_stored,
)

__all__ = [
    "ACTIVITY_COLUMNS",
    "ALLOWED",
    "CHECKIN_COLUMNS",
    "ENROLMENT_COLUMNS",
    "GOAL_COLUMNS",
    "MEETING_COLUMNS",
    "OPERATION_DECISIONS",
    "OUTCOMES",
    "PERSONAL_COLUMNS",
    "PROGRAMME_KINDS",
    "ROLES",
    "SCHEMAS",
    "STATUSES",
    "Parsed",
    "ProgrammeState",
    "StoredProgramme",
    "active_windows",
    "add_cycle",
    "add_programme",
    "close_cycle",
    "commitments",
    "compare_snapshots",
    "current_cycle",
    "decide",
    "end_early",
    "ensure_cycle",
    "health",
    "impact",
    "introductions",
    "load_stored",
    "match_kind",
    "match_register",
    "next_cycle",
    "outcomes",
    "parse_checkins",
    "parse_enrolment",
    "parse_goals",
    "parse_meetings",
    "past_partners",
    "propose",
    "propose_many",
    "read_checkins",
    "read_enrolment",
    "read_goals",
    "read_meetings",
    "recommender_inputs",
    "record_proposals",
    "remaining_capacity",
    "save_stored",
    "stalled_pairs",
    "start_cycle",
    "statuses_as_of",
    "transition",
    "undo",
    "undo_last",
    "with_enrolled_capacity",
]
