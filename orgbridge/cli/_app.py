"""``orgbridge app``: serve the Dash app on one store."""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path
from typing import Any

from orgbridge.cli._store import add_store_arguments, open_store

__all__ = ["register", "run_app"]


def register(commands: Any) -> None:
    """Register the ``app`` subcommand on the argparse sub-parsers object."""
    app = commands.add_parser("app", help="serve the web app (silos, exposure, recommender)")
    add_store_arguments(app)
    app.add_argument("--port", type=int, default=8050, metavar="N")
    app.add_argument("--host", default="127.0.0.1", metavar="HOST")
    app.add_argument("--users", metavar="FILE", help="users file (default <workspace>/users.json)")
    app.add_argument(
        "--app-folder", metavar="DIR", help="app state folder (default: the workspace)"
    )
    app.add_argument(
        "--demo-users",
        action="store_true",
        help="create the demo accounts if there are none, print them and allow their published "
        "passwords (sample data only; without it the app refuses to start while any account "
        "has a demo password)",
    )
    app.add_argument(
        "--secure-cookies",
        action="store_true",
        help="mark the session cookie Secure (when users reach the app over HTTPS)",
    )
    app.add_argument(
        "--session-hours",
        type=float,
        default=8.0,
        metavar="H",
        help="how long a login lasts (default 8)",
    )
    app.add_argument("--debug", action="store_true", help="Dash dev tools (never in production)")
    app.set_defaults(handler=run_app)


def run_app(args: argparse.Namespace) -> int:
    """Open the store, build the app and serve it until interrupted."""
    from orgbridge.app import create_app, ensure_demo_users
    from orgbridge.app.auth import USERS_FILE, load_users
    from orgbridge.errors import ParameterError

    folder = Path(args.app_folder or args.workspace or "")
    if not args.app_folder and not args.workspace:
        raise ParameterError("with --store, give --app-folder DIR for the app's users and state")
    if not 0 < args.session_hours <= 24 * 30:
        raise ParameterError(f"--session-hours must be in (0, 720] (got {args.session_hours})")
    if args.demo_users:
        for name, password in ensure_demo_users(folder).items():
            print(f"  demo user {name} / password {password}")
    users = Path(args.users) if args.users else folder / USERS_FILE
    if not load_users(users):
        raise ParameterError(
            f"{users}: no accounts, so nobody could log in; add one with "
            "`orgbridge users add NAME --role admin --workspace DIR`"
        )
    store = open_store(args)
    try:
        app = create_app(
            store,
            users_file=users,
            app_folder=folder,
            demo_users=args.demo_users,
            secure_cookies=args.secure_cookies,
            session_lifetime=timedelta(hours=args.session_hours),
        )
    except BaseException:
        store.close()
        raise
    print(f"orgbridge is serving on http://{args.host}:{args.port}", flush=True)
    try:
        if args.debug:
            app.run(host=args.host, port=args.port, debug=True, use_reloader=False)
        else:  # a production WSGI server, not Flask's development server
            from waitress import serve

            serve(app.server, host=args.host, port=args.port, threads=8, _quiet=True)
    finally:
        store.close()
    return 0
