"""Login: username and password checked against the users file, with a brute-force limit.

Enter in either field submits (``n_submit``), as does the button.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import dash
import dash_bootstrap_components as dbc
import flask
from dash import Input, Output, State, dcc, html, no_update

from orgbridge.app import ids
from orgbridge.app._login_limit import LoginLimit
from orgbridge.app._sessions import SESSION_KEY, Sessions
from orgbridge.app.auth import User, verify
from orgbridge.app.pages._common import Context

__all__ = ["Attempt", "attempt_login", "layout", "register"]

_WHO = {"user": "for this user name", "address": "from your address"}


@dataclass(frozen=True)
class Attempt:
    """The outcome of one log-in attempt: the user and their session claim, or a message."""

    user: User | None
    claim: dict[str, Any] | None
    message: str | None


def attempt_login(
    sessions: Sessions,
    limit: LoginLimit,
    username: str,
    password: str,
    address: str,
    *,
    now: float,
) -> Attempt:
    """Check one log-in: refused while locked, else the password (equal work for unknown names).

    Example
    -------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from orgbridge.app.auth import add_user
    >>> folder = Path(tempfile.mkdtemp())
    >>> add_user(folder / "users.json", "kim", "a long password", "analyst")
    >>> sessions = Sessions(folder / "users.json", folder / "s.sqlite")
    >>> attempt_login(sessions, LoginLimit(), "kim", "a long password", "::1", now=0.0).user
    User(username='kim', role='analyst')
    """
    locked = limit.locked_by(username, address, now=now)
    if locked is not None:
        wait = limit.retry_after(username, address, now=now) or 0.0
        until = datetime.fromtimestamp(now + wait, tz=UTC).strftime("%H:%M:%S UTC")
        return Attempt(
            None,
            None,
            f"Too many failed log-ins {_WHO[locked]}: try again in {int(wait) // 60 + 1} "
            f"minute(s), after {until}.",
        )
    record = sessions.users.get(username)
    if not verify(record, password) or record is None:
        limit.failed(username, address, now=now)
        return Attempt(None, None, "unknown user or wrong password")
    limit.succeeded(username)
    user = User(username, record["role"])
    return Attempt(user, sessions.start(user, now=now), None)


def layout(**_: Any) -> Any:
    return dbc.Row(
        dbc.Col(
            [
                html.H2("Log in"),
                dbc.Input(
                    id=ids.LOGIN_USER,
                    placeholder="username",
                    className="mb-2",
                    autoComplete="username",
                    n_submit=0,
                ),
                dbc.Input(
                    id=ids.LOGIN_PASSWORD,
                    type="password",
                    placeholder="password",
                    className="mb-2",
                    autoComplete="current-password",
                    n_submit=0,
                ),
                dbc.Button("Log in", id=ids.LOGIN_BUTTON, color="primary", n_clicks=0),
                html.Div(id=ids.LOGIN_MESSAGE, className="mt-2"),
                dcc.Location(id=ids.LOGIN_REDIRECT, refresh=True),
            ],
            md=4,
        )
    )


def register(app: dash.Dash, context: Context, sessions: Sessions, limit: LoginLimit) -> None:
    dash.register_page(__name__, path="/login", name="Log in", order=99, layout=layout)  # type: ignore[no-untyped-call]

    @app.callback(
        Output(ids.LOGIN_REDIRECT, "href"),
        Output(ids.LOGIN_MESSAGE, "children"),
        Input(ids.LOGIN_BUTTON, "n_clicks"),
        Input(ids.LOGIN_USER, "n_submit"),
        Input(ids.LOGIN_PASSWORD, "n_submit"),
        State(ids.LOGIN_USER, "value"),
        State(ids.LOGIN_PASSWORD, "value"),
        prevent_initial_call=True,
    )
    def log_in(
        _clicks: Any, _user_enter: Any, _password_enter: Any, username: Any, password: Any
    ) -> tuple[Any, Any]:
        attempt = attempt_login(
            sessions,
            limit,
            username if isinstance(username, str) else "",
            password if isinstance(password, str) else "",
            flask.request.remote_addr or "unknown",
            now=time.time(),
        )
        if attempt.claim is None:
            return no_update, dbc.Alert(attempt.message, color="danger")
        sessions.end(flask.session.get(SESSION_KEY))  # a previous login in this browser
        flask.session.clear()
        flask.session.permanent = True  # the cookie expires with the session lifetime
        flask.session[SESSION_KEY] = attempt.claim
        return "/", None
