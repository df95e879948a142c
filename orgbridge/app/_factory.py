"""The app factory: one Dash app for one store, with its pages, login and background jobs."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import dash
import dash_bootstrap_components as dbc
import flask
from dash import dcc, html

from orgbridge.app import ids
from orgbridge.app.auth import USERS_FILE, User, user_from_session
from orgbridge.app.pages import data, exposure, login, overview, programme, recommend, silos
from orgbridge.app.pages._common import Context
from orgbridge.app.services import PERMISSIONS, Services
from orgbridge.graph._private import make_private
from orgbridge.graph._store import Store

__all__ = ["ASSETS", "create_app"]

ASSETS = Path(__file__).resolve().parent / "assets"
_NAV = (
    ("/", "Overview", "aggregates"),
    ("/silos", "Silos", "aggregates"),
    ("/exposure", "Exposure", "aggregates"),
    ("/recommend", "Recommend", "recommend"),
    ("/programme", "Programme", "aggregates"),
    ("/data", "Data", "data"),
)


def _open(store_or_workspace: Store | str | Path) -> tuple[Store, Path | None]:
    if isinstance(store_or_workspace, str | Path):
        try:
            from orgbridge.graph import Workspace
        except ImportError:  # not exported yet
            from orgbridge.graph._workspace import Workspace

        folder = Path(store_or_workspace)
        return Workspace.open(folder), folder
    found: Any = getattr(store_or_workspace, "folder", None)
    return store_or_workspace, Path(found) if found is not None else None


def _secret(folder: Path) -> bytes:
    """The app's persistent secret (sessions and pseudonyms survive a restart)."""
    path = folder / ".app-secret"
    if not path.exists():
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return bytes.fromhex(path.read_text(encoding="utf-8").strip())


def create_app(
    store_or_workspace: Store | str | Path,
    *,
    users_file: str | Path | None = None,
    app_folder: str | Path | None = None,
    min_group: int = 5,
    title: str = "orgbridge",
    precompute: bool = True,
) -> dash.Dash:
    """Build the Dash app for one organisation.

    Parameters
    ----------
    store_or_workspace
        A :class:`~orgbridge.graph.Store`, or a workspace folder to open.
    users_file
        The users file (default ``<workspace>/users.json``).
    app_folder
        Where the app keeps its secret, background-job cache and pending uploads (default: the
        workspace folder, else the users file's folder).
    min_group
        Privacy threshold (at least 5).
    precompute
        Start computing the standard analysis (for the default grouping) in a background
        thread now, so that pages read it from the shared cache instead of computing it on
        their first render.
    """
    import diskcache

    store, folder = _open(store_or_workspace)
    if app_folder is None:
        app_folder = (
            folder if folder is not None else (Path(users_file).parent if users_file else None)
        )
    if app_folder is None:
        raise ValueError("give app_folder (or users_file) when the store is not a workspace folder")
    app_folder = Path(app_folder)
    app_folder.mkdir(parents=True, exist_ok=True)
    users = Path(users_file) if users_file is not None else app_folder / USERS_FILE
    secret = _secret(app_folder)
    uploads = app_folder / ".app-uploads"
    uploads.mkdir(exist_ok=True)

    manager = dash.DiskcacheManager(diskcache.Cache(str(app_folder / ".app-cache")))  # type: ignore[no-untyped-call]
    make_private(app_folder)  # secrets, users, cache, uploads: owner-only, whatever the umask
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder="",
        assets_folder=str(ASSETS),
        background_callback_manager=manager,
        suppress_callback_exceptions=True,  # pages differ by role, so not every id is always there
        title=title,
        update_title=None,  # type: ignore[arg-type]
    )
    server = app.server
    server.secret_key = secret
    server.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    services = Services(store, min_group=min_group, pseudonym_key=secret, scratch=uploads)

    def current_user() -> User | None:
        if flask.has_request_context():
            return user_from_session(flask.session)
        # a background job: read the signed session cookie the request carried
        cookie = (dash.callback_context.cookies or {}).get(
            server.config.get("SESSION_COOKIE_NAME", "session")
        )
        if not cookie:
            return None
        serializer = server.session_interface.get_signing_serializer(server)  # type: ignore[attr-defined]
        try:
            return user_from_session(serializer.loads(cookie))
        except Exception:  # a forged or expired cookie is no user
            return None

    context = Context(services, current_user)
    for page in (overview, silos, exposure, recommend, programme, data):
        page.register(app, context)
    login.register(app, context, users)

    def shell() -> Any:
        user = current_user()
        links = [
            dbc.NavItem(dbc.NavLink(name, href=path))
            for path, name, permission in _NAV
            if user is not None and user.role in PERMISSIONS[permission]
        ]
        who = (
            [
                dbc.NavItem(
                    dbc.NavLink(
                        f"{user.username} ({user.role}) · log out",
                        href="/logout",
                        external_link=True,
                    )
                )
            ]
            if user is not None
            else [dbc.NavItem(dbc.NavLink("Log in", href="/login"))]
        )
        return html.Div(
            [
                dbc.NavbarSimple(
                    children=links + who,
                    brand="orgbridge",
                    brand_href="/",
                    color="primary",
                    dark=True,
                    id=ids.NAVBAR,
                    fluid=True,
                ),
                dbc.Container(dash.page_container, fluid=True, className="mt-3"),
                dcc.Store(id=ids.USER_BADGE, data=user.role if user else None),
            ]
        )

    app.layout = shell

    @server.route("/logout")
    def logout() -> Any:
        flask.session.clear()
        return flask.redirect("/login")

    server.config["ORGBRIDGE_SERVICES"] = services
    if precompute:
        services.start_precompute()
    return app
