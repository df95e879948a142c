"""``GET /report.html``: the analysis report for the logged-in user, checked on the server.

The role check is the service's (``Services.report_html`` requires the aggregates
permission and always returns an aggregate-only report); the route only maps its answer
to HTTP: 401 without a session, 403 for a role that may not, 400 for a bad ``group_by``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flask

from orgbridge.app.auth import User
from orgbridge.errors import AccessDenied, OrgbridgeError

__all__ = ["REPORT_PATH", "register_report"]

REPORT_PATH = "/report.html"


def register_report(
    server: flask.Flask, services: Any, current_user: Callable[[], User | None]
) -> None:
    """Add the report route to ``server``."""

    @server.route(REPORT_PATH, methods=["GET"])
    def report() -> flask.Response:
        user = current_user()
        if user is None:
            return flask.Response("please log in\n", status=401, mimetype="text/plain")
        try:
            name, payload = services.report_html(user, flask.request.args.get("group_by"))
        except AccessDenied as error:
            return flask.Response(f"{error}\n", status=403, mimetype="text/plain")
        except OrgbridgeError as error:
            return flask.Response(f"{error}\n", status=400, mimetype="text/plain")
        response = flask.Response(payload, mimetype="text/html")
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        response.headers["Cache-Control"] = "no-store"
        return response
