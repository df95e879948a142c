"""Read real files into orgbridge: staff (HRIS), projects, pairs, sponsorships, tie lists, Viva.

``parse_*`` functions are pure (a table of strings in, a parsed table and its
:class:`FileReport` out); ``read_*`` functions read a file first. :func:`prepare_import`
reads a whole :class:`Sources` and merges it into one :class:`~orgbridge.graph.OrgGraph`.
Nothing is lost: every input row is loaded or rejected with a :class:`Problem` naming its
file, row and column, and ``rows_in == rows_loaded + rows_rejected`` for every file. Every
reader applies :class:`ReadLimits`, and :func:`prepare_import` refuses an import that would
silently shrink the organisation.
"""

from orgbridge.ingest._columns import ColumnMapping, read_mapping
from orgbridge.ingest._graphml import parse_network, read_gexf, read_graphml
from orgbridge.ingest._limits import ReadLimits
from orgbridge.ingest._parsed import ParsedPeople, ParsedTies
from orgbridge.ingest._pipeline import PreparedImport, Sources, prepare_import
from orgbridge.ingest._projects import newman_pairs, parse_projects, read_projects
from orgbridge.ingest._report import FileReport, ImportReport, Problem
from orgbridge.ingest._rule import LeaderRule, parse_leader_rule
from orgbridge.ingest._staff import find_manager_cycles, parse_staff, read_staff
from orgbridge.ingest._table import RawTable, read_table
from orgbridge.ingest._ties import (
    parse_pairs,
    parse_sponsorships,
    parse_ties,
    read_pairs,
    read_sponsorships,
    read_ties,
)
from orgbridge.ingest._viva import parse_viva_p2p, read_viva_p2p

__all__ = [
    "ColumnMapping",
    "FileReport",
    "ImportReport",
    "LeaderRule",
    "ParsedPeople",
    "ParsedTies",
    "PreparedImport",
    "Problem",
    "RawTable",
    "ReadLimits",
    "Sources",
    "find_manager_cycles",
    "newman_pairs",
    "parse_leader_rule",
    "parse_network",
    "parse_pairs",
    "parse_projects",
    "parse_sponsorships",
    "parse_staff",
    "parse_ties",
    "parse_viva_p2p",
    "prepare_import",
    "read_gexf",
    "read_graphml",
    "read_mapping",
    "read_pairs",
    "read_projects",
    "read_sponsorships",
    "read_staff",
    "read_table",
    "read_ties",
    "read_viva_p2p",
]
