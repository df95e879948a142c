"""The session as the web server sees it: cookie settings, the current user, log-out, headers.

Small functions that :func:`~orgbridge.app.create_app` calls once each:

- :func:`configure_cookies`: HttpOnly, SameSite=Lax, ``Secure`` on request, the lifetime;
- :func:`current_user_reader`: the function every layout, callback and background job asks
  "who is this?", which checks the claim on the server (:class:`~orgbridge.app._sessions.Sessions`);
- :func:`register_logout`: ``POST /logout`` (``scope=everywhere`` ends every session of the user),
  refused unless the request comes from the app's own pages;
- :func:`add_security_headers`: anti-framing, no MIME sniffing, same-origin referrers, and no
  caching of anything but static files.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import dash
import flask
from dash import html

from orgbridge.app._sessions import SESSION_KEY, Sessions
from orgbridge.app.auth import User

__all__ = [
    "add_security_headers",
    "configure_cookies",
    "current_user_reader",
    "logout_form",
    "register_logout",
    "same_origin",
]

#: Paths of static files (scripts, styles), the only responses a browser may cache.
_STATIC = ("/_dash-component-suites/", "/assets/", "/_favicon.ico")


def configure_cookies(server: flask.Flask, *, lifetime: timedelta, secure: bool) -> None:
    """Session cookie flags: HttpOnly and SameSite=Lax always, Secure when served over HTTPS."""
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        PERMANENT_SESSION_LIFETIME=lifetime,
    )


def current_user_reader(server: flask.Flask, sessions: Sessions) -> Callable[[], User | None]:
    """The app's ``current_user()``: the checked user of this request or background job."""

    def current_user() -> User | None:
        if flask.has_request_context():
            if "orgbridge_user" not in flask.g:  # once per request
                flask.g.orgbridge_user = sessions.user(flask.session.get(SESSION_KEY))
            user: User | None = flask.g.orgbridge_user
            return user
        # a background job runs outside the request: read the signed cookie it carried
        cookie = (dash.callback_context.cookies or {}).get(
            server.config.get("SESSION_COOKIE_NAME", "session")
        )
        if not cookie:
            return None
        serializer = server.session_interface.get_signing_serializer(server)  # type: ignore[attr-defined]
        try:
            data = serializer.loads(cookie)
        except Exception:  # a forged or garbled cookie is no user
            return None
        return sessions.user(data.get(SESSION_KEY) if isinstance(data, dict) else None)

    return current_user


def same_origin(request: flask.Request) -> bool:
    """Whether a state-changing request comes from the app's own pages (``Origin``/``Referer``).

    Browsers send ``Origin`` with every form POST; a request without either header is refused.
    Only the host is compared (a TLS-terminating proxy changes the scheme the app sees).
    """
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source or source == "null":
        return False
    return urlsplit(source).netloc.lower() == request.host.lower()


def register_logout(
    server: flask.Flask, sessions: Sessions, current_user: Callable[[], User | None]
) -> None:
    """``POST /logout``: end this session (or, with ``scope=everywhere``, all of the user's)."""

    @server.route("/logout", methods=["POST"])
    def logout() -> Any:
        if not same_origin(flask.request):
            return flask.Response(
                "log-out refused: the request did not come from this app's pages",
                status=403,
                mimetype="text/plain",
            )
        user = current_user()
        if user is not None and flask.request.form.get("scope") == "everywhere":
            sessions.end_everywhere(user)
        sessions.end(flask.session.get(SESSION_KEY))
        flask.session.clear()
        return flask.redirect("/login", code=303)


def logout_form(user: User) -> Any:
    """The navbar's log-out buttons (a POST form: a link or an image cannot log anyone out)."""
    button = "btn btn-link nav-link d-inline p-0 ms-3"
    return html.Form(
        [
            html.Span(f"{user.username} ({user.role})", className="navbar-text"),
            html.Button("log out", type="submit", name="scope", value="this", className=button),
            html.Button(
                "log out everywhere",
                type="submit",
                name="scope",
                value="everywhere",
                className=button,
            ),
        ],
        action="/logout",
        method="POST",
        className="d-flex align-items-center ms-3",
    )


def add_security_headers(response: flask.Response) -> flask.Response:
    """Headers on every response (use as ``server.after_request``)."""
    headers = response.headers
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if not flask.request.path.startswith(_STATIC):
        # pages, layouts and callback answers carry personal data: never keep a copy
        headers["Cache-Control"] = "no-store"
        headers.pop("ETag", None)
    return response
