"""Serving the app with several processes: gunicorn, from ``orgbridge app --workers N`` or
from gunicorn's own command line.

``orgbridge app --store neo4j://... --app-folder DIR --workers 4`` runs gunicorn in-process
(:func:`serve_processes`). To run gunicorn yourself (your own config file, a socket, a process
manager), point it at :func:`server`, which reads the same settings from the environment::

    ORGBRIDGE_STORE=neo4j://127.0.0.1:7687 ORGBRIDGE_APP_FOLDER=/srv/orgbridge \\
    ORGBRIDGE_NEO4J_PASSWORD=... ORGBRIDGE_QUEUE=redis://127.0.0.1:6379/0 \\
    gunicorn --workers 4 --worker-class gthread --threads 8 --bind 127.0.0.1:8050 \\
        'orgbridge.app.wsgi:server()'

Environment: ``ORGBRIDGE_QUEUE`` (required: runs started in one process are read through
the others), ``ORGBRIDGE_STORE`` (or ``ORGBRIDGE_WORKSPACE`` for one process),
``ORGBRIDGE_APP_FOLDER``, ``ORGBRIDGE_CREDENTIALS`` (a credentials file) or
``ORGBRIDGE_NEO4J_USER``/``ORGBRIDGE_NEO4J_PASSWORD``, ``ORGBRIDGE_USERS``,
``ORGBRIDGE_SECURE_COOKIES=1``, ``ORGBRIDGE_SESSION_HOURS``. Every process builds its own app
after the fork (no store connection is shared across a fork); the caches of each follow the
store's data stamp, and the rest of the state lives in the app folder.

gunicorn runs on Linux and other Unix systems (it forks); on Windows serve one process
(waitress) with ``orgbridge app`` without ``--workers``.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import Any

__all__ = ["serve_processes", "server"]


def _environment() -> argparse.Namespace:
    return argparse.Namespace(
        store=os.environ.get("ORGBRIDGE_STORE"),
        workspace=os.environ.get("ORGBRIDGE_WORKSPACE"),
        credentials=os.environ.get("ORGBRIDGE_CREDENTIALS"),
        app_folder=os.environ.get("ORGBRIDGE_APP_FOLDER"),
        users=os.environ.get("ORGBRIDGE_USERS"),
        queue=os.environ.get("ORGBRIDGE_QUEUE"),
        secure_cookies=os.environ.get("ORGBRIDGE_SECURE_COOKIES", "") in ("1", "true", "yes"),
        session_hours=float(os.environ.get("ORGBRIDGE_SESSION_HOURS", "8")),
        demo_users=False,
        workers=1,
        debug=False,
    )


def server() -> Any:
    """The WSGI application of the app configured by the environment (see the module
    docstring), for ``gunicorn 'orgbridge.app.wsgi:server()'``."""
    from orgbridge.cli._app import build_app, check_app_arguments
    from orgbridge.errors import ParameterError

    args = _environment()
    if not args.queue:
        raise ParameterError(
            "set ORGBRIDGE_QUEUE=redis://...: gunicorn's processes share recommender runs "
            "only through a queue (or serve one process with `orgbridge app`)"
        )
    folder, users = check_app_arguments(args)
    app, _store = build_app(args, folder, users)
    return app.server


def serve_processes(build: Callable[[], tuple[Any, Any]], args: argparse.Namespace) -> None:
    """Serve with gunicorn: ``args.workers`` processes of 8 threads on ``args.host:port``,
    each calling ``build()`` for its own ``(app, store)`` after the fork."""
    from gunicorn.app.base import BaseApplication

    built: list[tuple[Any, Any]] = []

    def close_worker(*_: Any) -> None:
        for app, store in built:
            app.server.config["ORGBRIDGE_SERVICES"].close()
            store.close()

    class Application(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            settings = {
                "bind": f"{args.host}:{args.port}",
                "workers": int(args.workers),
                "worker_class": "gthread",
                "threads": 8,
                "timeout": 120,
                "graceful_timeout": 30,
                # idle keep-alive connections stay open (a short one races with clients that
                # reuse a connection just as the server closes it)
                "keepalive": 30,
                "preload_app": False,  # each process opens its own store connection
                "accesslog": None,
                "errorlog": "-",
                "loglevel": "warning",
                "worker_exit": lambda _server, _worker: close_worker(),
            }
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            app, store = build()
            built.append((app, store))
            return app.server

    Application().run()
