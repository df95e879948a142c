"""``orgbridge app``: serve the Dash app on one store; ``orgbridge worker``: run its queued jobs.

One process (the default) serves with waitress' threads. ``--workers N`` (N > 1, a Neo4j
store) serves with gunicorn: N processes, each with its own connection to the store and its
own caches, which follow the store's data stamp (:mod:`orgbridge.app._fresh`); everything else
they share lives in the app folder (sessions, log-in failures, keys, settings, pending
uploads). ``--queue redis://...`` sends recommender runs, imports of uploaded files and
analyses to ``orgbridge worker`` processes through Celery (:mod:`orgbridge.app._jobs_celery`)
instead of threads of the web process.
"""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path
from typing import Any

from orgbridge.cli._store import add_store_arguments, open_store

__all__ = ["build_app", "check_app_arguments", "register", "run_app", "run_worker"]


def register(commands: Any) -> None:
    """Register the ``app`` and ``worker`` subcommands on the argparse sub-parsers object."""
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
    app.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="web processes (default 1: one process, waitress); above 1, gunicorn with N "
        "processes on a --store server (Linux)",
    )
    _add_queue(app)
    app.add_argument("--debug", action="store_true", help="Dash dev tools (never in production)")
    app.set_defaults(handler=run_app)

    worker = commands.add_parser(
        "worker",
        help="run the app's queued jobs (recommender runs, imports, analyses) from --queue",
    )
    add_store_arguments(worker)
    worker.add_argument(
        "--app-folder",
        metavar="DIR",
        help="the app's state folder (its keys; default: the workspace)",
    )
    worker.add_argument(
        "--concurrency", type=int, default=2, metavar="N", help="jobs at once (default 2)"
    )
    _add_queue(worker, required=True)
    worker.set_defaults(handler=run_worker)


def _add_queue(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    parser.add_argument(
        "--queue",
        metavar="URL",
        required=required,
        help="Redis URL of the job queue, e.g. redis://127.0.0.1:6379/0 (Celery); without it "
        "jobs run in threads of the web process",
    )


def _folder(args: argparse.Namespace) -> Path:
    from orgbridge.errors import ParameterError

    if not args.app_folder and not args.workspace:
        raise ParameterError("with --store, give --app-folder DIR for the app's users and state")
    return Path(args.app_folder or args.workspace)


def check_app_arguments(args: argparse.Namespace) -> tuple[Path, Path]:
    """Check the app's arguments once (before any process starts); ``(folder, users)``."""
    from orgbridge.app import ensure_demo_users
    from orgbridge.app.auth import USERS_FILE, load_users
    from orgbridge.errors import ParameterError

    folder = _folder(args)
    if not 0 < args.session_hours <= 24 * 30:
        raise ParameterError(f"--session-hours must be in (0, 720] (got {args.session_hours})")
    if args.workers < 1:
        raise ParameterError(f"--workers must be at least 1 (got {args.workers})")
    if args.workers > 1 and args.workspace:
        raise ParameterError(
            "--workers above 1 needs a server store (--store neo4j://...): a workspace "
            "is held by one process"
        )
    if args.workers > 1 and not args.queue:
        raise ParameterError(
            "--workers above 1 needs --queue redis://...: a recommender run started through "
            "one process must be readable through the others"
        )
    if args.workers > 1 and args.debug:
        raise ParameterError("--debug serves one process: leave out --workers")
    if args.demo_users:
        for name, password in ensure_demo_users(folder).items():
            print(f"  demo user {name} / password {password}")
    users = Path(args.users) if args.users else folder / USERS_FILE
    if not load_users(users):
        raise ParameterError(
            f"{users}: no accounts, so nobody could log in; add one with "
            "`orgbridge users add NAME --role admin --workspace DIR`"
        )
    return folder, users


def build_app(args: argparse.Namespace, folder: Path, users: Path) -> tuple[Any, Any]:
    """Open the store and build the app (in each serving process); ``(app, store)``."""
    from orgbridge.app import create_app

    store = open_store(args)
    jobs = None
    try:
        if args.queue:
            from orgbridge.app._jobs_celery import CeleryJobs, queue_key

            jobs = CeleryJobs(args.queue, queue_key(folder))
        app = create_app(
            store,
            users_file=users,
            app_folder=folder,
            demo_users=args.demo_users,
            secure_cookies=args.secure_cookies,
            session_lifetime=timedelta(hours=args.session_hours),
            jobs=jobs,
        )
    except BaseException:
        if jobs is not None:
            jobs.close()
        store.close()
        raise
    return app, store


def run_app(args: argparse.Namespace) -> int:
    """Check the arguments, build the app and serve it until interrupted."""
    folder, users = check_app_arguments(args)
    if args.workers > 1:
        from orgbridge.app.wsgi import serve_processes

        print(
            f"orgbridge is serving on http://{args.host}:{args.port} ({args.workers} processes)",
            flush=True,
        )
        serve_processes(lambda: build_app(args, folder, users), args)
        return 0
    app, store = build_app(args, folder, users)
    print(f"orgbridge is serving on http://{args.host}:{args.port}", flush=True)
    try:
        if args.debug:
            app.run(host=args.host, port=args.port, debug=True, use_reloader=False)
        else:  # a production WSGI server, not Flask's development server
            from waitress import serve

            serve(app.server, host=args.host, port=args.port, threads=8, _quiet=True)
    finally:
        app.server.config["ORGBRIDGE_SERVICES"].close()
        store.close()
    return 0


def run_worker(args: argparse.Namespace) -> int:
    """Run queued jobs until stopped: one store connection, shared by the job threads."""
    import threading

    from orgbridge.app._jobs_celery import queue_key, start_worker
    from orgbridge.app._keys import app_keys
    from orgbridge.app.services import Services
    from orgbridge.errors import ParameterError

    if not args.queue.startswith(("redis://", "rediss://", "unix://")):
        raise ParameterError(f"--queue must be a redis:// URL (got {args.queue!r})")
    if args.workspace:
        raise ParameterError(
            "the worker needs a server store (--store neo4j://...): a workspace is held by "
            "the one app process that serves it, whose jobs run in its own threads"
        )
    folder = _folder(args)
    if not folder.is_dir():
        raise ParameterError(f"{folder}: no such app folder (the one the app serves with)")
    if args.concurrency < 1:
        raise ParameterError(f"--concurrency must be at least 1 (got {args.concurrency})")
    _, pseudonym_key = app_keys(folder)
    key = queue_key(folder)
    store = open_store(args)  # fails now, not at the first job, when the store is unreachable
    found: list[Any] = []
    lock = threading.Lock()

    def services() -> Any:
        with lock:
            if not found:
                # pending uploads live in the app folder, where the app process left them
                uploads = folder / ".app-uploads"
                found.append(
                    Services(
                        store,
                        pseudonym_key=pseudonym_key,
                        scratch=uploads if uploads.is_dir() else None,
                    )
                )
            return found[0]

    try:
        start_worker(args.queue, services, key, concurrency=args.concurrency)
    finally:
        if found:
            found[0].close()
        store.close()
    return 0
