"""The organisation as a graph: columnar tables, compiled views, and the stores that keep them."""

from orgbridge.graph._export import write_csv, write_gexf, write_graphml
from orgbridge.graph._neo4j import Neo4jStore
from orgbridge.graph._neo4j_import import ImportResult, import_graph
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
from orgbridge.graph._store import SCHEMA_VERSION, Store
from orgbridge.graph._workspace import Workspace

__all__ = [
    "BUILTIN_LAYERS",
    "COLLABORATION",
    "DIRECTED_LAYERS",
    "INFORMAL_LAYERS",
    "MENTORING",
    "MIN_GROUP_FLOOR",
    "PEOPLE_COLUMNS",
    "REPORTS_TO",
    "SCHEMA_VERSION",
    "SPONSORSHIP",
    "TIE_COLUMNS",
    "ImportResult",
    "Neo4jStore",
    "OrgGraph",
    "Store",
    "Workspace",
    "empty_ties",
    "import_graph",
    "normalise_layers",
    "write_csv",
    "write_gexf",
    "write_graphml",
]
