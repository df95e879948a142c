"""The Dash app: Overview, Silos, Exposure, Recommend, Programme, Data; role-aware.

Use :func:`create_app` (``orgbridge app --workspace DIR`` serves it).
"""

from orgbridge.app._factory import create_app
from orgbridge.app.auth import ensure_demo_users
from orgbridge.app.services import Services

__all__ = ["Services", "create_app", "ensure_demo_users"]
