"""The embedded workspace: one organisation in a DuckDB file inside a folder.

Layout (schema version 1), all in ``<folder>/orgbridge.duckdb``:

``meta(key, value)``
    ``schema_version``, ``special`` (JSON list), ``metadata`` (JSON object), ``data_stamp``
    (the content hash of the saved organisation) and ``metrics_about:<name>`` (what the
    metric table ``<name>`` was computed from, JSON);
``frames(key, table_name, columns)``
    every table whose columns vary (people, metric tables, proposals) with the pandas
    dtype of each column as JSON, so loading restores the exact dtypes;
``people``
    one row per person in graph order (the row order is the vertex order);
``ties(source, target, layer, weight, start, end)`` and ``layers(code, name)``
    explicit ties only, ``source``/``target`` as int32 positions into ``people`` and
    ``layer`` as a small code (``reports_to`` is derived from ``people.manager_id``);
``import_log``, ``proposal_runs``, ``decisions``, ``audit_log``
    append-only logs; ``metrics_<hash>`` and ``proposals_<hash>`` hold the tables.

Every write is one transaction (BEGIN / COMMIT, ROLLBACK on any error), so a crash leaves
the workspace as it was before the write. Bulk data goes in through registered Arrow tables
with ``INSERT INTO ... SELECT`` / ``CREATE TABLE ... AS SELECT``, never row by row.

Threads, background jobs and child processes
--------------------------------------------
One :class:`Workspace` may be used by many threads at once (the web server's request threads,
the app's precompute thread, background jobs):

- each call runs on a DuckDB cursor of its own (``connection.cursor()``: a separate handle on
  the same database), taken from a pool and given back when the call ends, so no two threads
  ever share a handle;
- every read runs in one read transaction, so a call that reads several tables (a graph, a
  frame and its column spec) sees one consistent snapshot even while another thread writes;
- writes are serialised by a lock, one per database folder in the process and shared by every
  :class:`Workspace` opened on it (DuckDB would otherwise abort one of two concurrent writers
  with a conflict, and the log sequence numbers are ``max + 1``), and each is still one
  transaction, all or nothing; :meth:`Workspace.close` waits for a running write to finish.
  Readers never wait for a writer: 20 reads during a 1,000,000-tie save took 0.19 s of its
  1.2 s.

DuckDB lets one process hold the file read-write. A **forked child process** (Dash's
background callbacks run in one) can therefore not open the file itself: the parent holds the
lock, and worse, ``duckdb.connect`` in the child would silently reuse the parent's copied
in-memory database with no lock at all. Nor may it touch the parent's connection, whose state
is a copy taken at an arbitrary moment (possibly mid-statement in another thread). So **the
work goes back to the parent**: before any ``fork`` the parent starts serving its open
workspaces on an authenticated local socket (:mod:`orgbridge.graph._parent_link`), and in the
child every method of the inherited :class:`Workspace` object sends its call there and returns
the parent's answer (reads and writes alike; writes are serialised with the parent's own).
The child never runs a DuckDB call: its copies of the connections are kept alive, untouched,
until it exits (their destructor would close, and checkpoint, the parent's database).
:meth:`Workspace.open` in a forked child for a folder its parent holds is refused with a
:class:`~orgbridge.errors.StoreError` saying so. A process started by "spawn" or
"forkserver" shares nothing and, like any other process, gets "in use by another process".

Files are private: the folder is made ``0o700`` and the database, its write-ahead log and
orgbridge's other files in it ``0o600`` (see :mod:`orgbridge.graph._private`), whatever the
umask; a folder found with looser modes is tightened, logged as a warning and listed in
:attr:`Workspace.tightened`.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import json
import logging
import os
import re
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from orgbridge.errors import SchemaVersionError, StoreError
from orgbridge.graph._frames import decode_frame, encode_frame
from orgbridge.graph._orggraph import OrgGraph
from orgbridge.graph._parent_link import ParentLink, ParentServer
from orgbridge.graph._private import make_private, tighten
from orgbridge.graph._schema import PERSON_ID, REPORTS_TO
from orgbridge.graph._stamp import data_stamp
from orgbridge.graph._store import SCHEMA_VERSION, ClosingStore

__all__ = ["WORKSPACE_FILE", "Workspace"]

#: Name of the database file inside a workspace folder.
WORKSPACE_FILE = "orgbridge.duckdb"

Clock = Callable[[], datetime]
P = ParamSpec("P")
R = TypeVar("R")

_log = logging.getLogger("orgbridge.workspace")

_DDL = (
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR NOT NULL, value VARCHAR)",
    "CREATE TABLE IF NOT EXISTS frames (key VARCHAR NOT NULL, table_name VARCHAR NOT NULL,"
    " columns VARCHAR NOT NULL)",
    "CREATE TABLE IF NOT EXISTS ties (source INTEGER NOT NULL, target INTEGER NOT NULL,"
    ' layer SMALLINT NOT NULL, weight DOUBLE NOT NULL, start TIMESTAMP_NS, "end" TIMESTAMP_NS)',
    "CREATE TABLE IF NOT EXISTS layers (code SMALLINT NOT NULL, name VARCHAR NOT NULL)",
    'CREATE TABLE IF NOT EXISTS import_log (import_id BIGINT NOT NULL, "at" TIMESTAMP NOT NULL,'
    " people BIGINT, ties BIGINT, rows_in BIGINT, rows_loaded BIGINT, rows_rejected BIGINT,"
    " report VARCHAR)",
    "CREATE TABLE IF NOT EXISTS proposal_runs (seq BIGINT NOT NULL, run_id VARCHAR NOT NULL,"
    ' "at" TIMESTAMP NOT NULL, parameters VARCHAR)',
    "CREATE TABLE IF NOT EXISTS decisions (seq BIGINT NOT NULL, a VARCHAR NOT NULL,"
    ' b VARCHAR NOT NULL, kind VARCHAR NOT NULL, decision VARCHAR NOT NULL, "by" VARCHAR,'
    ' "at" TIMESTAMP NOT NULL)',
    'CREATE TABLE IF NOT EXISTS audit_log (seq BIGINT NOT NULL, "at" TIMESTAMP NOT NULL,'
    ' "by" VARCHAR, action VARCHAR NOT NULL, detail VARCHAR)',
)

#: The methods a forked child may run in the parent (the Store contract).
_REMOTE_METHODS = frozenset(
    {
        "save_graph",
        "load_graph",
        "import_log",
        "data_stamp",
        "save_metrics",
        "load_metrics",
        "metrics_about",
        "save_proposals",
        "load_proposals",
        "proposal_parameters",
        "record_decision",
        "decisions",
        "save_programme",
        "load_programme",
        "audit",
        "audit_log",
    }
)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _in_owner(
    method: Callable[Concatenate[Workspace, P], R],
) -> Callable[Concatenate[Workspace, P], R]:
    """Run ``method`` here in the process that opened the workspace, else in that process."""
    name = method.__name__

    @functools.wraps(method)
    def wrapper(self: Workspace, /, *args: P.args, **kwargs: P.kwargs) -> R:
        if os.getpid() != self._pid:
            result: R = self._remote(name, args, kwargs)
            return result
        return method(self, *args, **kwargs)

    return wrapper


def _reads(
    method: Callable[Concatenate[Workspace, P], R],
) -> Callable[Concatenate[Workspace, P], R]:
    """Run ``method`` in one read transaction: one consistent snapshot of the workspace."""

    @functools.wraps(method)
    def wrapper(self: Workspace, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._reading():
            return method(self, *args, **kwargs)

    return wrapper


class Workspace(ClosingStore):
    """A DuckDB workspace folder holding one organisation; implements ``Store``.

    Open it with :meth:`open`; use it as a context manager to close it. Safe to share between
    threads, and usable from processes forked after it was opened (their calls run in the
    process that opened it; see the module docstring).

    Example
    -------
    >>> import tempfile
    >>> people = pd.DataFrame({"person_id": ["a", "b", "c", "d"],
    ...                        "manager_id": [None, "a", "a", "b"]})
    >>> graph = OrgGraph(people)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     with Workspace.open(folder) as ws:
    ...         ws.save_graph(graph, log={"rows_in": 4, "rows_loaded": 4})
    ...     with Workspace.open(folder) as ws:
    ...         ws.load_graph().tie_counts(), len(ws.import_log())
    ({'reports_to': 3}, 1)
    """

    def __init__(self, connection: duckdb.DuckDBPyConnection, folder: Path, clock: Clock) -> None:
        self._database: Any = connection
        self.folder = folder
        self._clock = clock
        self._pid = os.getpid()
        #: Paths whose modes were tightened to owner-only when the workspace was opened.
        self.tightened: tuple[Path, ...] = ()
        self._closed = False
        self._pool_lock = threading.Lock()
        self._write_lock = _write_lock_for(folder)
        self._local = threading.local()
        self._cursors: list[Any] = []  # every cursor made (closed with the workspace)
        self._idle: list[Any] = []  # cursors no call is using
        self._server: ParentServer | None = None
        self._link: ParentLink | None = None

    # ---- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, folder: str | Path, *, clock: Clock | None = None) -> Workspace:
        """Open (creating if needed) the workspace in ``folder``, owner-only.

        Parameters
        ----------
        folder
            The workspace folder; created (``0o700``) with its database file (``0o600``) when
            missing, tightened to those modes when it exists with looser ones.
        clock
            Returns the current time for log entries (default: ``datetime.now(UTC)``).

        Raises
        ------
        StoreError
            The workspace is in use by another process (also: by the process this one was
            forked from), the file is not a workspace, or the folder cannot be made private.
        SchemaVersionError
            The workspace was written by a newer orgbridge.
        """
        path = Path(folder)
        _refuse_inherited(path)
        existed = path.exists()
        tightened = make_private(path)
        database = path / WORKSPACE_FILE
        try:
            connection = duckdb.connect(str(database))
        except duckdb.IOException as err:
            raise StoreError(_open_message(path, str(err))) from err
        except duckdb.Error as err:
            raise StoreError(f"{database} is not a readable orgbridge workspace: {err}") from err
        workspace = cls(connection, path, clock or _utc_now)
        try:
            workspace._tighten_database()
            workspace._prepare()
        except duckdb.Error as err:
            workspace._close_connections()
            raise StoreError(f"{database} is not a readable orgbridge workspace: {err}") from err
        except BaseException:
            workspace._close_connections()
            raise
        if existed and tightened:
            workspace.tightened = tuple(tightened)
            _log.warning(
                "workspace %s was readable by others: made owner-only (0o700 folder, 0o600"
                " files): %s",
                path,
                ", ".join(str(p) for p in tightened),
            )
        with _REGISTRY_LOCK:
            _OPEN.add(workspace)
        return workspace

    def _prepare(self) -> None:
        with self._reading():
            exists = self._con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
            ).fetchall()[0][0]
            stored = self._meta("schema_version") if exists else None
        if stored is not None and int(stored) > SCHEMA_VERSION:
            raise SchemaVersionError(
                f"the workspace {self.folder} was written by a newer orgbridge (schema version"
                f" {stored}; this version reads up to {SCHEMA_VERSION}); upgrade orgbridge"
                " to open it"
            )
        with self._transaction():
            for statement in _DDL:
                self._con.execute(statement)
            if stored is None:
                self._set_meta("schema_version", str(SCHEMA_VERSION))

    def close(self) -> None:
        """Release the database file (the workspace can then be opened elsewhere).

        Waits for a write in progress to finish. In a forked child it only disconnects the
        child from the parent, whose workspace stays open.
        """
        if os.getpid() != self._pid:
            link, self._link = self._link, None
            if link is not None:
                link.close()
            return
        with self._write_lock:
            with _REGISTRY_LOCK:
                _OPEN.discard(self)
            server, self._server = self._server, None
            if server is not None:
                server.close()
            self._close_connections()

    def _close_connections(self) -> None:
        with self._pool_lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for cursor in idle:
            with suppress(duckdb.Error):
                cursor.close()
        with suppress(duckdb.Error):
            self._database.close()

    def __repr__(self) -> str:
        return f"Workspace({str(self.folder)!r})"

    # ---- threads and processes -----------------------------------------------------------

    def _new_cursor(self) -> Any:
        """A new DuckDB handle on this database (a seam for tests that watch the SQL)."""
        return self._database.cursor()

    def _borrow(self) -> Any:
        with self._pool_lock:
            if self._closed:
                raise StoreError(f"the workspace {self.folder} is closed")
            if self._idle:
                return self._idle.pop()
            try:
                cursor = self._new_cursor()
            except duckdb.Error as err:
                raise StoreError(f"workspace {self.folder}: cannot open a cursor: {err}") from err
            self._cursors.append(cursor)
            return cursor

    def _give_back(self, cursor: Any) -> None:
        with self._pool_lock:
            if not self._closed:
                self._idle.append(cursor)
                return
        with suppress(duckdb.Error):
            cursor.close()

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        """This thread's cursor for the duration of one call (nested uses share it)."""
        held = getattr(self._local, "cursor", None)
        if held is not None:
            yield held
            return
        cursor = self._borrow()
        self._local.cursor = cursor
        try:
            yield cursor
        finally:
            self._local.cursor = None
            self._give_back(cursor)

    @property
    def _con(self) -> Any:
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:  # pragma: no cover - a method forgot _reading/_transaction
            raise RuntimeError("workspace SQL outside _reading() or _transaction()")
        return cursor

    def _remote(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        link = self._link
        if link is None:
            raise StoreError(
                f"the workspace {self.folder} belongs to process {self._pid}, which had not"
                " kept it open for child processes (or it was closed here); open the"
                " workspace in the parent before forking"
            )
        return link.call(name, args, kwargs)

    def _serve(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Run a child's call here (only the Store contract's methods)."""
        if name not in _REMOTE_METHODS:
            raise StoreError(f"a child process may not call Workspace.{name}")
        return getattr(self, name)(*args, **kwargs)

    def _before_fork(self) -> None:
        """In the owning process, about to fork: make sure children can reach us."""
        if os.getpid() != self._pid or self._closed or self._server is not None:
            return
        self._server = ParentServer(self._serve)

    def _after_fork_in_child(self) -> None:
        """In a new child: never touch the inherited DuckDB state; talk to the owner."""
        for held in [self._database, *self._cursors]:
            # A copy of the parent's database: if it were ever freed here, DuckDB would
            # close it and checkpoint the parent's file from this process. Keep it forever.
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(held))
            _INHERITED.append(held)
        self._pool_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._local = threading.local()
        server = self._server
        self._link = (
            ParentLink(server.address, server.authkey)
            if server is not None and not self._closed
            else None
        )

    # ---- transactions and small helpers --------------------------------------------------

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """One read transaction (a consistent snapshot) on this thread's cursor."""
        with self._cursor() as cursor:
            if getattr(self._local, "in_transaction", False):
                yield
                return
            try:
                cursor.begin()
            except duckdb.Error as err:
                raise StoreError(f"workspace {self.folder}: cannot read: {err}") from err
            self._local.in_transaction = True
            try:
                yield
            finally:
                self._local.in_transaction = False
                with suppress(duckdb.Error):
                    cursor.rollback()  # read-only: nothing to keep

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._write_lock, self._cursor() as cursor:
            if getattr(self._local, "in_transaction", False):  # pragma: no cover - a bug
                raise RuntimeError("a workspace write inside another transaction")
            try:
                cursor.begin()
            except duckdb.Error as err:
                raise StoreError(
                    f"workspace {self.folder}: cannot start a transaction: {err}"
                ) from err
            self._local.in_transaction = True
            try:
                try:
                    yield
                except BaseException as err:
                    with suppress(duckdb.Error):  # keep the original error, not a rollback's
                        cursor.rollback()
                    if isinstance(err, duckdb.Error):
                        raise StoreError(
                            f"workspace {self.folder}: write failed, nothing saved: {err}"
                        ) from err
                    raise
                try:
                    cursor.commit()
                except duckdb.Error as err:
                    with suppress(duckdb.Error):
                        cursor.rollback()
                    raise StoreError(
                        f"workspace {self.folder}: commit failed, nothing saved: {err}"
                    ) from err
            finally:
                self._local.in_transaction = False
            self._tighten_database()

    def _tighten_database(self) -> None:
        """The database file and what DuckDB made beside it (write-ahead log, spill folder)
        owner-only: DuckDB creates them with the umask's modes."""
        database = self.folder / WORKSPACE_FILE
        for path in (database, Path(f"{database}.wal"), Path(f"{database}.tmp")):
            tighten(path)

    def _query(self, sql: str, params: list[Any] | None = None) -> pa.Table:
        try:
            table: pa.Table = self._con.sql(sql, params=params).to_arrow_table()
        except duckdb.Error as err:
            raise StoreError(f"workspace {self.folder}: read failed: {err}") from err
        return table

    def _one(self, sql: str, params: list[Any] | None = None) -> tuple[Any, ...] | None:
        try:
            rows = self._con.execute(sql, params or []).fetchall()
        except duckdb.Error as err:
            raise StoreError(f"workspace {self.folder}: {err}") from err
        return tuple(rows[0]) if rows else None

    def _meta(self, key: str) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key = ?", [key])
        return None if row is None else str(row[0])

    def _set_meta(self, key: str, value: str) -> None:
        self._con.execute("DELETE FROM meta WHERE key = ?", [key])
        self._con.execute("INSERT INTO meta VALUES (?, ?)", [key, value])

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is not None:
            now = now.astimezone(UTC).replace(tzinfo=None)
        return now

    def _next_seq(self, table: str, column: str = "seq") -> int:
        row = self._one(f"SELECT coalesce(max({column}), 0) + 1 FROM {table}")
        return int(row[0]) if row else 1

    def _write_frame(self, key: str, table_name: str, frame: pd.DataFrame) -> None:
        """Replace the stored table ``table_name`` by ``frame`` (inside a transaction)."""
        arrow, spec = encode_frame(frame)
        view = f"_incoming_{table_name}"
        self._con.register(view, arrow)
        try:
            self._con.execute(f'DROP TABLE IF EXISTS "{table_name}"')
            self._con.execute(f'CREATE TABLE "{table_name}" AS SELECT * FROM "{view}"')
        finally:
            self._con.unregister(view)
        self._con.execute("DELETE FROM frames WHERE key = ?", [key])
        self._con.execute(
            "INSERT INTO frames VALUES (?, ?, ?)", [key, table_name, json.dumps(spec)]
        )

    def _read_frame(self, key: str) -> pd.DataFrame | None:
        row = self._one("SELECT table_name, columns FROM frames WHERE key = ?", [key])
        if row is None:
            return None
        table = self._query(f'SELECT * FROM "{row[0]}"')
        return decode_frame(table, json.loads(row[1]))

    # ---- the organisation ----------------------------------------------------------------

    @_in_owner
    def save_graph(self, graph: OrgGraph, *, log: dict[str, Any] | None = None) -> None:
        """Replace the saved organisation by ``graph`` and log the import, in one transaction.

        Parameters
        ----------
        graph
            The organisation; its derived ``reports_to`` ties are not stored (they come back
            from ``people.manager_id``).
        log
            The import report as a dict (``ImportReport.to_dict()``); its ``rows_in``,
            ``rows_loaded`` and ``rows_rejected`` fill the log columns.

        Raises
        ------
        StoreError
            The write failed; the workspace still holds what it held before.
        """
        ties_table, layer_names = _tie_arrow(graph)
        metadata = json.dumps(graph.metadata, default=str, sort_keys=True)
        special = json.dumps(sorted(graph.special))
        stamp = data_stamp(graph)
        log = dict(log or {})
        report = json.dumps(log, default=str, sort_keys=True)
        with self._transaction():
            self._write_frame("people", "people", graph.people)
            self._con.execute("DELETE FROM ties")
            self._con.register("_incoming_ties", ties_table)
            try:
                self._con.execute("INSERT INTO ties SELECT * FROM _incoming_ties")
            finally:
                self._con.unregister("_incoming_ties")
            self._con.execute("DELETE FROM layers")
            if layer_names:
                self._con.executemany(
                    "INSERT INTO layers VALUES (?, ?)", list(enumerate(layer_names))
                )
            self._set_meta("special", special)
            self._set_meta("metadata", metadata)
            self._set_meta("data_stamp", stamp)
            self._con.execute(
                "INSERT INTO import_log VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    self._next_seq("import_log", "import_id"),
                    self._now(),
                    graph.n_people,
                    int(sum(graph.tie_counts().values())),
                    int(log.get("rows_in", 0) or 0),
                    int(log.get("rows_loaded", 0) or 0),
                    int(log.get("rows_rejected", 0) or 0),
                    report,
                ],
            )

    @_in_owner
    @_reads
    def load_graph(self) -> OrgGraph:
        """The saved organisation, exactly as saved (an empty graph when nothing was)."""
        people = self._read_frame("people")
        if people is None:
            return OrgGraph(pd.DataFrame({PERSON_ID: pd.Series([], dtype="str")}))
        names = self._query("SELECT name FROM layers ORDER BY code").column("name").to_pylist()
        raw = self._query('SELECT source, target, layer, weight, start, "end" FROM ties')
        ties = pd.DataFrame(
            {
                "source": raw.column("source").to_numpy(),
                "target": raw.column("target").to_numpy(),
                "layer": pd.Categorical.from_codes(
                    raw.column("layer").to_numpy().astype(np.int16), categories=names
                )
                if names
                else pd.Categorical([]),
                "weight": raw.column("weight").to_numpy(),
                "start": _timestamps(raw.column("start")),
                "end": _timestamps(raw.column("end")),
            }
        )
        special = json.loads(self._meta("special") or "[]")
        metadata = json.loads(self._meta("metadata") or "{}")
        return OrgGraph(people, ties, special=special, metadata=metadata)

    @_in_owner
    @_reads
    def import_log(self) -> pd.DataFrame:
        """One row per import: ``import_id, at, people, ties, rows_in, rows_loaded,
        rows_rejected, report`` (``at`` in UTC, ``report`` as JSON text)."""
        table = self._query("SELECT * FROM import_log ORDER BY import_id")
        return _with_utc(table.to_pandas(), "at")

    # ---- metrics -------------------------------------------------------------------------

    @_in_owner
    @_reads
    def data_stamp(self) -> str | None:
        """The content hash of the saved organisation (None before the first save)."""
        return self._meta("data_stamp")

    @_in_owner
    def save_metrics(
        self, table: pd.DataFrame, *, name: str, about: dict[str, Any] | None = None
    ) -> None:
        """Store a per-person table (``person_id`` plus metric columns) under ``name``,
        replacing an earlier one of that name, with ``about`` (what it was computed from,
        JSON-able) in the same transaction.

        Raises
        ------
        StoreError
            The table has no ``person_id`` column, or the write failed.
        """
        if PERSON_ID not in table.columns:
            raise StoreError(f"metric table {name!r} has no person_id column")
        text = json.dumps(about or {}, sort_keys=True, default=str)
        with self._transaction():
            self._write_frame(f"metrics:{name}", _table_name("metrics", name), table)
            self._set_meta(f"metrics_about:{name}", text)

    @_in_owner
    @_reads
    def metrics_about(self, name: str) -> dict[str, Any]:
        """What the metric table ``name`` was computed from, as saved (empty if unknown)."""
        found: dict[str, Any] = json.loads(self._meta(f"metrics_about:{name}") or "{}")
        return found

    @_in_owner
    @_reads
    def load_metrics(self, name: str) -> pd.DataFrame:
        """The table saved under ``name`` (an empty ``person_id`` table when there is none)."""
        frame = self._read_frame(f"metrics:{name}")
        if frame is None:
            return pd.DataFrame({PERSON_ID: pd.Series([], dtype="str")})
        return frame

    # ---- programme operations -------------------------------------------------------------

    @_in_owner
    def save_programme(self, tables: dict[str, pd.DataFrame]) -> None:
        """Replace the stored programme tables (programmes, cycles, matches, history,
        enrolment, meetings, check-ins, goals: see ``docs/programme.md``) in one
        transaction; a table left out of ``tables`` is kept.

        Raises
        ------
        StoreError
            A table name that is not a plain identifier, or the write failed.
        """
        for name in tables:
            if not str(name).isidentifier():
                raise StoreError(f"programme table name {name!r} is not an identifier")
        with self._transaction():
            for name, frame in tables.items():
                self._write_frame(f"programme:{name}", _table_name("programme", name), frame)

    @_in_owner
    @_reads
    def load_programme(self) -> dict[str, pd.DataFrame]:
        """Every stored programme table by name (empty when no programme was saved)."""
        rows = self._query("SELECT key FROM frames WHERE key LIKE 'programme:%' ORDER BY key")
        out: dict[str, pd.DataFrame] = {}
        for key in rows.column("key").to_pylist():
            frame = self._read_frame(str(key))
            if frame is not None:
                out[str(key).split(":", 1)[1]] = frame
        return out

    # ---- proposals, decisions, audit -----------------------------------------------------

    @_in_owner
    def save_proposals(
        self, run_id: str, proposals: pd.DataFrame, parameters: dict[str, Any]
    ) -> None:
        """Store a recommender run (its proposals table and parameters); the same ``run_id``
        saved again replaces the earlier run."""
        text = json.dumps(parameters, default=str, sort_keys=True)
        with self._transaction():
            self._write_frame(f"proposals:{run_id}", _table_name("proposals", run_id), proposals)
            self._con.execute("DELETE FROM proposal_runs WHERE run_id = ?", [run_id])
            self._con.execute(
                "INSERT INTO proposal_runs VALUES (?, ?, ?, ?)",
                [self._next_seq("proposal_runs"), run_id, self._now(), text],
            )

    @_in_owner
    @_reads
    def load_proposals(self, run_id: str | None = None) -> pd.DataFrame:
        """Proposals of ``run_id``, or of the latest run when it is None (empty if none)."""
        if run_id is None:
            row = self._one("SELECT run_id FROM proposal_runs ORDER BY seq DESC LIMIT 1")
            if row is None:
                return pd.DataFrame()
            run_id = str(row[0])
        frame = self._read_frame(f"proposals:{run_id}")
        return pd.DataFrame() if frame is None else frame

    @_in_owner
    @_reads
    def proposal_parameters(self, run_id: str) -> dict[str, Any]:
        """The parameters a run was saved with (an empty dict for an unknown run)."""
        row = self._one("SELECT parameters FROM proposal_runs WHERE run_id = ?", [run_id])
        return {} if row is None else dict(json.loads(row[0]))

    @_in_owner
    def record_decision(self, a: str, b: str, *, kind: str, decision: str, by: str) -> None:
        """Persist approve / decline / lock of the pair ``(a, b, kind)`` and audit it, in one
        transaction."""
        at = self._now()
        with self._transaction():
            self._con.execute(
                "INSERT INTO decisions VALUES (?, ?, ?, ?, ?, ?, ?)",
                [self._next_seq("decisions"), a, b, kind, decision, by, at],
            )
            self._append_audit(
                f"decision:{decision}", by=by, detail={"a": a, "b": b, "kind": kind}, at=at
            )

    @_in_owner
    @_reads
    def decisions(self) -> pd.DataFrame:
        """The latest decision per ``(a, b, kind)``: ``a, b, kind, decision, by, at``,
        in the order they were made."""
        table = self._query(
            'SELECT a, b, kind, decision, "by", "at" FROM ('
            "  SELECT *, row_number() OVER (PARTITION BY a, b, kind ORDER BY seq DESC) AS r"
            "  FROM decisions) WHERE r = 1 ORDER BY seq"
        )
        return _with_utc(table.to_pandas(), "at")

    @_in_owner
    def audit(self, action: str, *, by: str, detail: dict[str, Any] | None = None) -> None:
        """Append one line to the audit log."""
        with self._transaction():
            self._append_audit(action, by=by, detail=detail, at=self._now())

    def _append_audit(
        self, action: str, *, by: str, detail: dict[str, Any] | None, at: datetime
    ) -> None:
        self._con.execute(
            "INSERT INTO audit_log VALUES (?, ?, ?, ?, ?)",
            [
                self._next_seq("audit_log"),
                at,
                by,
                action,
                json.dumps(detail or {}, default=str, sort_keys=True),
            ],
        )

    @_in_owner
    @_reads
    def audit_log(self) -> pd.DataFrame:
        """The audit log, oldest first: ``at, by, action, detail`` (detail as JSON text)."""
        table = self._query('SELECT "at", "by", action, detail FROM audit_log ORDER BY seq')
        return _with_utc(table.to_pandas(), "at")


def _tie_arrow(graph: OrgGraph) -> tuple[pa.Table, list[str]]:
    """The explicit ties as an Arrow table with int16 layer codes, and the layer names."""
    ties = graph.ties
    layer = ties["layer"]
    if not isinstance(layer.dtype, pd.CategoricalDtype):
        layer = layer.astype("category")
    names = [str(c) for c in layer.cat.categories]
    codes = layer.cat.codes.to_numpy()
    keep = np.ones(len(ties), dtype=bool)
    if REPORTS_TO in names:
        keep = codes != names.index(REPORTS_TO)
    everything = bool(keep.all())

    def pick(values: np.ndarray) -> np.ndarray:
        return values if everything else values[keep]

    table = pa.table(
        {
            "source": pa.array(pick(ties["source"].to_numpy(dtype=np.int32))),
            "target": pa.array(pick(ties["target"].to_numpy(dtype=np.int32))),
            "layer": pa.array(pick(codes.astype(np.int16))),
            "weight": pa.array(pick(ties["weight"].to_numpy(dtype=np.float64))),
            "start": pa.array(pick(ties["start"].to_numpy(dtype="datetime64[ns]"))),
            "end": pa.array(pick(ties["end"].to_numpy(dtype="datetime64[ns]"))),
        }
    )
    return table, names


def _timestamps(column: pa.ChunkedArray) -> np.ndarray:
    values: np.ndarray = column.to_numpy(zero_copy_only=False)
    return values.astype("datetime64[ns]")


def _with_utc(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    frame[column] = pd.to_datetime(frame[column]).dt.tz_localize(UTC)
    return frame


def _table_name(prefix: str, key: str) -> str:
    return f"{prefix}_{hashlib.sha1(key.encode('utf-8')).hexdigest()[:16]}"


def _open_message(folder: Path, detail: str) -> str:
    if "lock" in detail.lower():
        pid = re.search(r"PID (\d+)", detail)
        holder = f" (process {pid.group(1)})" if pid else ""
        return (
            f"the workspace {folder} is in use by another process{holder}; close orgbridge"
            " there (or wait for its import to finish) and try again"
        )
    return f"cannot open the workspace {folder}: {detail}"


# ---- processes: the registry of open workspaces and the fork hooks ------------------------

#: Workspaces open in this process (or inherited by this forked child).
_OPEN: weakref.WeakSet[Workspace] = weakref.WeakSet()
_REGISTRY_LOCK = threading.Lock()
#: A forked child's copies of its parent's DuckDB handles, never to be freed.
_INHERITED: list[Any] = []
#: One write lock per database folder in this process.
_WRITE_LOCKS: dict[str, threading.Lock] = {}


def _write_lock_for(folder: Path) -> threading.Lock:
    """The one write lock of a database in this process (two Workspace objects opened on one
    folder share DuckDB's database, so they must share the lock too)."""
    key = str(folder.resolve())
    with _REGISTRY_LOCK:
        lock = _WRITE_LOCKS.get(key)
        if lock is None:
            lock = _WRITE_LOCKS[key] = threading.Lock()
        return lock


def _refuse_inherited(folder: Path) -> None:
    """Refuse to open, in a forked child, a workspace the parent holds (DuckDB would hand
    back the parent's copied database, unlocked)."""
    wanted = folder.resolve()
    with _REGISTRY_LOCK:
        held = [ws for ws in _OPEN if ws._pid != os.getpid() and not ws._closed]
    for ws in held:
        if ws.folder.resolve() == wanted:
            raise StoreError(
                f"the workspace {folder} is held by process {ws._pid}, which this process"
                f" ({os.getpid()}) was forked from; use the Workspace object inherited from"
                " it (its calls run in that process) instead of opening it again"
            )


def _before_fork() -> None:
    # Held across the fork, so the child's registry is a consistent copy.
    _REGISTRY_LOCK.acquire()
    for workspace in list(_OPEN):
        workspace._before_fork()


def _after_fork_in_parent() -> None:
    _REGISTRY_LOCK.release()


def _after_fork_in_child() -> None:
    global _REGISTRY_LOCK
    _REGISTRY_LOCK = threading.Lock()
    _WRITE_LOCKS.clear()  # (the child's calls run in the parent, under the parent's locks)
    for workspace in list(_OPEN):
        workspace._after_fork_in_child()


os.register_at_fork(
    before=_before_fork,
    after_in_parent=_after_fork_in_parent,
    after_in_child=_after_fork_in_child,
)
