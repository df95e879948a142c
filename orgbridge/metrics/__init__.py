"""Metrics: silos, brokerage, communities, leadership exposure, equity, privacy.

Every metric takes an :class:`~orgbridge.graph.OrgGraph` and keyword parameters and returns a
:class:`Result` recording its name and parameters.
"""

from orgbridge.metrics._analysis import SCHEMA, Analysis, analyze
from orgbridge.metrics._brokerage import (
    betweenness,
    bridging_points,
    constraint,
    effective_size,
    groups_tied,
)
from orgbridge.metrics._communities import (
    adjusted_rand_index,
    communities,
    normalized_mutual_information,
)
from orgbridge.metrics._equity import exposure_equity, gini
from orgbridge.metrics._exposure import (
    access_probability,
    exposure,
    leader_distance,
    leader_pagerank,
    leader_reach,
)
from orgbridge.metrics._grouping import MISSING_GROUP, Grouping, grouping
from orgbridge.metrics._privacy import (
    check_min_group,
    suppress_small_cells,
    suppress_small_groups,
)
from orgbridge.metrics._result import Result
from orgbridge.metrics._silos import (
    assortativity,
    ei_index,
    group_ties,
    modularity,
    tie_matrix,
)

__all__ = [
    "MISSING_GROUP",
    "SCHEMA",
    "Analysis",
    "Grouping",
    "Result",
    "access_probability",
    "adjusted_rand_index",
    "analyze",
    "assortativity",
    "betweenness",
    "bridging_points",
    "check_min_group",
    "communities",
    "constraint",
    "effective_size",
    "ei_index",
    "exposure",
    "exposure_equity",
    "gini",
    "group_ties",
    "grouping",
    "groups_tied",
    "leader_distance",
    "leader_pagerank",
    "leader_reach",
    "modularity",
    "normalized_mutual_information",
    "suppress_small_cells",
    "suppress_small_groups",
    "tie_matrix",
]
