"""The embedded workspace: one organisation in a DuckDB file inside a folder.

Layout (schema version 1), all in ``<folder>/orgbridge.duckdb``:

``meta(key, value)``
    ``schema_version``, ``special`` (JSON list) and ``metadata`` (JSON object);
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
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from orgbridge.errors import SchemaVersionError, StoreError
from orgbridge.graph._frames import decode_frame, encode_frame
from orgbridge.graph._orggraph import OrgGraph
from orgbridge.graph._schema import PERSON_ID, REPORTS_TO
from orgbridge.graph._store import SCHEMA_VERSION, ClosingStore

__all__ = ["WORKSPACE_FILE", "Workspace"]

#: Name of the database file inside a workspace folder.
WORKSPACE_FILE = "orgbridge.duckdb"

Clock = Callable[[], datetime]

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


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Workspace(ClosingStore):
    """A DuckDB workspace folder holding one organisation; implements ``Store``.

    Open it with :meth:`open`; use it as a context manager to close it.

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
        self._con: Any = connection
        self.folder = folder
        self._clock = clock

    # ---- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, folder: str | Path, *, clock: Clock | None = None) -> Workspace:
        """Open (creating if needed) the workspace in ``folder``.

        Parameters
        ----------
        folder
            The workspace folder; created with its database file when missing.
        clock
            Returns the current time for log entries (default: ``datetime.now(UTC)``).

        Raises
        ------
        StoreError
            The workspace is in use by another process, or the file is not a workspace.
        SchemaVersionError
            The workspace was written by a newer orgbridge.
        """
        path = Path(folder)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StoreError(f"cannot create the workspace folder {path}: {err}") from err
        database = path / WORKSPACE_FILE
        try:
            connection = duckdb.connect(str(database))
        except duckdb.IOException as err:
            raise StoreError(_open_message(path, str(err))) from err
        except duckdb.Error as err:
            raise StoreError(f"{database} is not a readable orgbridge workspace: {err}") from err
        workspace = cls(connection, path, clock or _utc_now)
        try:
            workspace._prepare()
        except duckdb.Error as err:
            connection.close()
            raise StoreError(f"{database} is not a readable orgbridge workspace: {err}") from err
        except BaseException:
            connection.close()
            raise
        return workspace

    def _prepare(self) -> None:
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
        """Release the database file (the workspace can then be opened elsewhere)."""
        self._con.close()

    def __repr__(self) -> str:
        return f"Workspace({str(self.folder)!r})"

    # ---- transactions and small helpers --------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        try:
            self._con.begin()
        except duckdb.Error as err:
            raise StoreError(f"workspace {self.folder}: cannot start a transaction: {err}") from err
        try:
            yield
        except BaseException as err:
            with suppress(duckdb.Error):  # keep the original error, not a failed rollback's
                self._con.rollback()
            if isinstance(err, duckdb.Error):
                raise StoreError(
                    f"workspace {self.folder}: write failed, nothing saved: {err}"
                ) from err
            raise
        try:
            self._con.commit()
        except duckdb.Error as err:
            with suppress(duckdb.Error):
                self._con.rollback()
            raise StoreError(
                f"workspace {self.folder}: commit failed, nothing saved: {err}"
            ) from err

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

    def import_log(self) -> pd.DataFrame:
        """One row per import: ``import_id, at, people, ties, rows_in, rows_loaded,
        rows_rejected, report`` (``at`` in UTC, ``report`` as JSON text)."""
        table = self._query("SELECT * FROM import_log ORDER BY import_id")
        return _with_utc(table.to_pandas(), "at")

    # ---- metrics -------------------------------------------------------------------------

    def save_metrics(self, table: pd.DataFrame, *, name: str) -> None:
        """Store a per-person table (``person_id`` plus metric columns) under ``name``,
        replacing an earlier one of that name.

        Raises
        ------
        StoreError
            The table has no ``person_id`` column, or the write failed.
        """
        if PERSON_ID not in table.columns:
            raise StoreError(f"metric table {name!r} has no person_id column")
        with self._transaction():
            self._write_frame(f"metrics:{name}", _table_name("metrics", name), table)

    def load_metrics(self, name: str) -> pd.DataFrame:
        """The table saved under ``name`` (an empty ``person_id`` table when there is none)."""
        frame = self._read_frame(f"metrics:{name}")
        if frame is None:
            return pd.DataFrame({PERSON_ID: pd.Series([], dtype="str")})
        return frame

    # ---- proposals, decisions, audit -----------------------------------------------------

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

    def load_proposals(self, run_id: str | None = None) -> pd.DataFrame:
        """Proposals of ``run_id``, or of the latest run when it is None (empty if none)."""
        if run_id is None:
            row = self._one("SELECT run_id FROM proposal_runs ORDER BY seq DESC LIMIT 1")
            if row is None:
                return pd.DataFrame()
            run_id = str(row[0])
        frame = self._read_frame(f"proposals:{run_id}")
        return pd.DataFrame() if frame is None else frame

    def proposal_parameters(self, run_id: str) -> dict[str, Any]:
        """The parameters a run was saved with (an empty dict for an unknown run)."""
        row = self._one("SELECT parameters FROM proposal_runs WHERE run_id = ?", [run_id])
        return {} if row is None else dict(json.loads(row[0]))

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

    def decisions(self) -> pd.DataFrame:
        """The latest decision per ``(a, b, kind)``: ``a, b, kind, decision, by, at``,
        in the order they were made."""
        table = self._query(
            'SELECT a, b, kind, decision, "by", "at" FROM ('
            "  SELECT *, row_number() OVER (PARTITION BY a, b, kind ORDER BY seq DESC) AS r"
            "  FROM decisions) WHERE r = 1 ORDER BY seq"
        )
        return _with_utc(table.to_pandas(), "at")

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
