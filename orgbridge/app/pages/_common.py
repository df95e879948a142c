"""What every page shares: the request's user and services, the error alert, small widgets."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dash_bootstrap_components as dbc
from dash import html, no_update

from orgbridge.app.auth import User
from orgbridge.app.services import PERMISSIONS, Services
from orgbridge.errors import AccessDenied, OrgbridgeError

__all__ = ["Context", "alert", "denied_layout", "safely"]


@dataclass(frozen=True)
class Context:
    """What a page's callbacks need: the services and how to find the logged-in user."""

    services: Services
    current_user: Callable[[], User | None]

    def user_may(self, permission: str) -> bool:
        user = self.current_user()
        return user is not None and user.role in PERMISSIONS[permission]


def alert(error: Exception) -> dbc.Alert:
    """One alert with the library's message (never a traceback)."""
    colour = "warning" if isinstance(error, AccessDenied) else "danger"
    return dbc.Alert(str(error), color=colour, className="mt-2")


def denied_layout(context: Context, permission: str) -> Any | None:
    """The layout to show instead of a page the user may not open, or None if allowed."""
    user = context.current_user()
    if user is None:
        return dbc.Alert(
            ["Please ", html.A("log in", href="/login"), " to see this page."], color="info"
        )
    if user.role not in PERMISSIONS[permission]:
        return alert(AccessDenied(f"the {user.role} role may not open this page"))
    return None


def safely(n_outputs: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Make a callback whose last output is an alert slot show OrgbridgeError there.

    The callback returns a tuple of its other outputs; on error those stay unchanged and
    the alert slot receives one :func:`alert`.
    """

    def decorate(callback: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(callback)
        def wrapper(*args: Any) -> Any:
            try:
                values = callback(*args)
            except OrgbridgeError as error:
                return (*([no_update] * (n_outputs - 1)), alert(error))
            values = values if isinstance(values, tuple) else (values,)
            return (*values, None)

        return wrapper

    return decorate


def job_progress(status: dict[str, Any], *, what: str) -> tuple[str, Any]:
    """``(status line, result)`` of a job's status as the page shows it: the result is None
    while the job runs. A failed, cancelled or unknown job raises OrgbridgeError with what
    to tell the user."""
    state = status.get("state")
    if state == "running":
        stage = str(status.get("stage") or "running")
        done, total = int(status.get("done") or 0), int(status.get("total") or 0)
        steps = f" (step {done + 1} of {total})" if total and done < total else ""
        return f"{what}: {stage}{steps}…", None
    if state == "done":
        return "", status.get("result") or {}
    message = {
        "cancelled": f"the {what} was cancelled",
        "failed": str(status.get("error") or f"the {what} failed"),
    }.get(str(state), f"no such {what} (it may have finished long ago): start it again")
    raise OrgbridgeError(message)


def job_id_of(job: Any) -> Any:
    """The job id a page keeps in its store (``{"job": id}``), or None."""
    return job.get("job") if isinstance(job, dict) else None


def group_dropdown(component_id: str, context: Context, value: str = "department") -> Any:
    """A dropdown of the attributes this organisation can be grouped by."""
    from dash import dcc

    try:
        options = context.services.group_attributes(context.current_user())
    except OrgbridgeError:
        options = []
    chosen = value if value in options else (options[0] if options else None)
    return dcc.Dropdown(id=component_id, options=options, value=chosen, clearable=False)
