"""The app factory: one Dash app for one store, with its pages, login and request limits.

Long work (recommender runs, storing an upload, the analysis) runs as per-user jobs in the
services (``_jobs.py``), not as Dash background callbacks, whose results anyone posting the
same arguments could read.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from orgbridge.app import ids
from orgbridge.app._fresh import install_refresh
from orgbridge.app._http_errors import install_error_handler
from orgbridge.app._keys import app_keys
from orgbridge.app._limits import install_request_limits
from orgbridge.app._login_limit import LoginLimit
from orgbridge.app._login_limit_shared import SharedLoginLimit
from orgbridge.app._report_route import register_report
from orgbridge.app._services_jobs import ANALYSIS_MARKER
from orgbridge.app._sessions import DEFAULT_LIFETIME, Sessions
from orgbridge.app._settings import SETTINGS_FILE, load_settings
from orgbridge.app._uploads import DEFAULT_MAX_UPLOAD_BYTES
from orgbridge.app._views import VIEWS_FILE, ViewStore
from orgbridge.app._web_session import (
    add_security_headers,
    configure_cookies,
    current_user_reader,
    logout_form,
    register_logout,
)
from orgbridge.app.auth import USERS_FILE, demo_password_accounts
from orgbridge.app.pages import (
    data,
    exposure,
    glossary,
    login,
    matches,
    overview,
    programme,
    recommend,
    silos,
)
from orgbridge.app.pages._common import Context
from orgbridge.app.services import PERMISSIONS, Services
from orgbridge.errors import ParameterError
from orgbridge.graph._private import make_private
from orgbridge.graph._store import Store

__all__ = ["ASSETS", "create_app", "refuse_demo_passwords"]

ASSETS = Path(__file__).resolve().parent / "assets"
_NAV = (
    ("/", "Overview", "aggregates"),
    ("/silos", "Silos", "aggregates"),
    ("/exposure", "Exposure", "aggregates"),
    ("/recommend", "Recommend", "recommend"),
    ("/programme", "Programme", "aggregates"),
    ("/matches", "Matches", "names"),
    ("/data", "Data", "data"),
    ("/glossary", "Glossary", "aggregates"),
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


def refuse_demo_passwords(users_file: Path) -> None:
    """Raise ParameterError while any account still has its published demo password."""
    found = demo_password_accounts(users_file)
    if found:
        raise ParameterError(
            f"{users_file}: {', '.join(found)} still ha{'s' if len(found) == 1 else 've'} the "
            "demo password from the README; set real passwords with `orgbridge users passwd "
            "NAME --workspace DIR` (or serve demo data with --demo-users)"
        )


def create_app(
    store_or_workspace: Store | str | Path,
    *,
    users_file: str | Path | None = None,
    app_folder: str | Path | None = None,
    min_group: int = 5,
    title: str = "orgbridge",
    precompute: bool = True,
    special_grouping: bool | None = None,
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
    session_lifetime: timedelta = DEFAULT_LIFETIME,
    secure_cookies: bool = False,
    demo_users: bool = False,
    login_limit: LoginLimit | None = None,
    jobs: Any = None,
) -> dash.Dash:
    """Build the Dash app for one organisation.

    Parameters
    ----------
    store_or_workspace
        A :class:`~orgbridge.graph.Store`, or a workspace folder to open.
    users_file
        The users file (default ``<workspace>/users.json``).
    app_folder
        Where the app keeps its keys, sessions, settings and pending uploads (default: the
        workspace folder, else the users file's folder).
    min_group
        Privacy threshold (at least 5).
    precompute
        Start computing the standard analysis (for the default grouping) in a background
        thread now, so that pages read it from the shared cache instead of computing it on
        their first render.
    special_grouping
        Let pages group by special-category attributes (aggregates only). None (default):
        the admin's last choice on the Data page (``settings.json``), off at first.
    max_upload_bytes
        The largest data file an admin may upload; other roles' requests are refused above
        a few megabytes before they are read.
    session_lifetime
        How long a login lasts (default 8 hours).
    secure_cookies
        Mark the session cookie ``Secure`` (serve over HTTPS, directly or behind a proxy).
    demo_users
        Allow accounts that still have a demo password (demonstrations on sample data only).
    login_limit
        Failed log-ins allowed per user name and per address (default 5 and 20 per 5 minutes,
        counted in the app folder, so every process of the app shares the counts).
    jobs
        The runner of background jobs (recommender runs, imports, analyses): default the
        in-process thread runner; :class:`~orgbridge.app._jobs_celery.CeleryJobs` for a
        queue and workers.

    Several processes may serve one store with one app folder (``orgbridge app --workers``):
    sessions, log-in failures, keys, settings and pending uploads live in the app folder,
    and each request first checks the store's data stamp (:meth:`Services.refresh`), so data
    saved through another process or by ``orgbridge ingest`` is served without a restart.

    Raises
    ------
    ParameterError
        An account still has a demo password and ``demo_users`` is false.
    """
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
    if not demo_users:
        refuse_demo_passwords(users)
    session_key, pseudonym_key = app_keys(app_folder)
    sessions = Sessions(users, app_folder / ".app-sessions.sqlite", lifetime=session_lifetime)
    settings_file = app_folder / SETTINGS_FILE
    uploads = app_folder / ".app-uploads"
    uploads.mkdir(exist_ok=True)

    make_private(app_folder)  # keys, users, sessions, uploads: owner-only, whatever the umask
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder="",
        assets_folder=str(ASSETS),
        suppress_callback_exceptions=True,  # pages differ by role, so not every id is always there
        title=title,
        update_title=None,  # type: ignore[arg-type]
    )
    server = app.server
    server.secret_key = session_key
    configure_cookies(server, lifetime=session_lifetime, secure=secure_cookies)
    server.after_request(add_security_headers)
    services = Services(
        store,
        min_group=min_group,
        pseudonym_key=pseudonym_key,
        scratch=uploads,
        special_grouping=(
            load_settings(settings_file)["special_grouping"]
            if special_grouping is None
            else special_grouping
        ),
    )
    services.max_upload_bytes = int(max_upload_bytes)
    services._settings_file = settings_file
    services.views = ViewStore(app_folder / VIEWS_FILE)
    if special_grouping is not None:  # given here: the file counts again once it changes
        services._settings_seen = (
            settings_file.stat().st_mtime_ns if settings_file.exists() else None
        )
    services._analysis_marker = app_folder / ANALYSIS_MARKER
    if jobs is not None:
        services._jobs = jobs
    current_user = current_user_reader(server, sessions)

    install_error_handler(server)
    install_refresh(server, services)
    install_request_limits(
        server,
        lambda: (lambda user: user.role if user is not None else None)(current_user()),
        upload_bytes=int(max_upload_bytes),
    )
    context = Context(services, current_user)
    for page in (overview, silos, exposure, recommend, programme, matches, data, glossary):
        page.register(app, context)
    login.register(
        app,
        context,
        sessions,
        login_limit or SharedLoginLimit(app_folder / ".app-login-failures.sqlite"),
    )

    def shell() -> Any:
        user = current_user()
        links = [
            dbc.NavItem(dbc.NavLink(name, href=path))
            for path, name, permission in _NAV
            if user is not None and user.role in PERMISSIONS[permission]
        ]
        who = (
            [dbc.NavItem(logout_form(user))]
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

    register_logout(server, sessions, current_user)
    register_report(server, services, current_user)
    server.config["ORGBRIDGE_SERVICES"] = services
    if precompute:
        services.start_precompute()
    return app
