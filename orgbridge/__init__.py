"""orgbridge: map an organisation as a graph, measure its silos and access to leadership,
and recommend mentoring pairs and sponsorships that close the gaps.
"""

from orgbridge.errors import OrgbridgeError
from orgbridge.graph import OrgGraph

__version__ = "0.1.0"

__all__ = ["OrgGraph", "OrgbridgeError", "__version__"]
