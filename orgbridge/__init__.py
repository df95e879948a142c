"""orgbridge: map an organisation as a graph, measure its silos and access to leadership,
and recommend mentoring pairs and sponsorships that close the gaps.

Example
-------
>>> import pandas as pd
>>> import orgbridge
>>> people = pd.DataFrame({"person_id": ["a", "b", "c"], "department": ["X", "X", "Y"],
...                        "manager_id": [None, "a", "a"], "is_leader": [True, False, False]})
>>> graph = orgbridge.OrgGraph(people)
>>> graph.tie_counts()
{'reports_to': 2}
"""

from orgbridge import metrics, recommend
from orgbridge.errors import OrgbridgeError
from orgbridge.graph import OrgGraph, Workspace, write_csv, write_gexf, write_graphml
from orgbridge.ingest import (
    Sources,
    prepare_import,
    read_gexf,
    read_graphml,
    read_pairs,
    read_projects,
    read_sponsorships,
    read_staff,
    read_table,
    read_ties,
    read_viva_p2p,
)
from orgbridge.metrics import analyze
from orgbridge.recommend import recommend_pairs, recommend_sponsorships, simulate

__version__ = "0.1.0"

__all__ = [
    "OrgGraph",
    "OrgbridgeError",
    "Sources",
    "Workspace",
    "__version__",
    "analyze",
    "metrics",
    "prepare_import",
    "read_gexf",
    "read_graphml",
    "read_pairs",
    "read_projects",
    "read_sponsorships",
    "read_staff",
    "read_table",
    "read_ties",
    "read_viva_p2p",
    "recommend",
    "recommend_pairs",
    "recommend_sponsorships",
    "simulate",
    "write_csv",
    "write_gexf",
    "write_graphml",
]
