"""The Neo4j store: one organisation in a Neo4j 5.26 database, same contract as the workspace.

Layout (schema version 1) in the chosen database:

``(:Person {person_id, <attributes>, _ord, _h})``
    one node per person; ``person_id`` is unique (a constraint), ``_ord`` is the row
    position, so loading restores the people order, and ``_h`` a hash of the row, so a
    re-save updates only the people that changed. Each attribute is a property, so people
    browsing the graph see them; a missing value is an absent property.
``(:Person)-[:COLLABORATION|MENTORING|SPONSORSHIP|<LAYER> {layer, key, weight, start, end,
_ord}]->(:Person)``
    explicit ties, one relationship type per layer (a user-named layer is upper-snake-cased
    and its name kept in ``layer``). ``key`` numbers the ties between the same two people in
    the same layer (several of them, different periods, survive); ``_ord`` is the tie's
    position within its layer; ``start``/``end`` are ISO text.
``(:Person)-[:REPORTS_TO]->(:Person)``
    the manager line, for browsing only: it is read back from ``manager_id``.
``(:OrgbridgeMeta {key: 'orgbridge'})``
    schema version, special-category attributes and metadata (JSON), the people column
    spec (pandas dtypes, so loading gives the same dtypes as the workspace), the layers,
    a content hash per layer (``layer_hashes``), the interleaving of the layers in the tie
    table (``tie_order``), the content hash of the saved organisation (``data_stamp``), the
    state of the last save and the log sequences.
``(:ImportLog)``, ``(:ProposalRun)``, ``(:Decision)``, ``(:AuditEntry)``, ``(:MetricTable)``
    the logs (a metric table also keeps what it was computed from, ``about``, as JSON).
    Metric values are also written on the people as ``<name>_<column>``
    properties, and proposals and decisions as ``PROPOSED`` / ``DECIDED`` relationships,
    for people browsing the graph; the exact tables are kept on the run and metric nodes.

Saving writes only what changed (:mod:`orgbridge.graph._neo4j_save`): new people and the
ties of new layers by batched ``CREATE``, changed people by id, removed ones deleted; a
changed layer is updated tie by tie in place; an unchanged layer is not touched. A large
save (more than ``atomic_limit`` people plus ties) cannot be one transaction on Neo4j
Community without a huge heap, so it runs in batches and is *convergent* instead of
atomic: the meta node says the save is under way until the import log entry is written,
last, together with the "complete" mark, and a layer's hash is recorded only once the layer
is complete. A save that was interrupted
(server killed, network lost) leaves the store marked incomplete: :meth:`Neo4jStore.load_graph`
refuses it and running the same save (or any other) again gives exactly the intended graph.
Smaller saves and every other write are single transactions.

A first load can also be written offline by ``neo4j-admin database import full``
(:mod:`orgbridge.graph._neo4j_import`, ``orgbridge neo4j-import``): it stores exactly what a
save would (both follow :class:`~orgbridge.graph._neo4j_plan.StorePlan`), except the
uniqueness constraint on ``person_id``, which :meth:`Neo4jStore.connect` creates when it is
missing, refusing a database whose people share ids.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from orgbridge.errors import SchemaVersionError, StoreError, StoreUnavailable
from orgbridge.graph._neo4j_plan import stored_time
from orgbridge.graph._neo4j_resave import READ_PAGE
from orgbridge.graph._neo4j_save import (
    META_KEY,
    SavePlan,
    decode_tie_order,
    relationship_type,
)
from orgbridge.graph._neo4j_save import chunks as _chunks
from orgbridge.graph._neo4j_save import quote as _quote
from orgbridge.graph._neo4j_values import (
    decode_people,
    from_ipc,
    log_frame,
    parse_times,
    python_values,
    read_schema,
    to_ipc,
)
from orgbridge.graph._orggraph import OrgGraph
from orgbridge.graph._schema import PERSON_ID
from orgbridge.graph._store import SCHEMA_VERSION, ClosingStore

__all__ = ["Neo4jStore", "relationship_type"]

Clock = Callable[[], datetime]
Run = Callable[..., list[Any]]
Progress = Callable[[str, int, int], None]

_META_KEY = META_KEY
_BATCH = 10_000
#: People per page when reading ties (each page is one record of column lists).
_READ_PAGE = READ_PAGE
#: Pages of ties read at once: three keep both cores busy (server and decoding); 100k /
#: 1M read in 4.3 s against 4.6 s with two (median of 6 paired runs, 3 faster in 5).
_READ_THREADS = 3


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Neo4jStore(ClosingStore):
    """A Neo4j database holding one organisation; implements ``Store``.

    Open it with :meth:`connect`; use it as a context manager to close it.

    Example
    -------
    >>> import os
    >>> store = Neo4jStore.connect(  # doctest: +SKIP
    ...     "neo4j://127.0.0.1:7687", user="neo4j",
    ...     password=os.environ["ORGBRIDGE_NEO4J_PASSWORD"])
    >>> with store:  # doctest: +SKIP
    ...     store.save_graph(graph)
    ...     store.load_graph().n_people
    """

    #: Saves of at most this many people plus ties run as one transaction.
    atomic_limit = 20_000

    def __init__(self, driver: Any, uri: str, database: str, clock: Clock) -> None:
        self._driver = driver
        self.uri = uri
        self.database = database
        self._clock = clock
        #: What the last ``save_graph`` wrote: people created/updated/deleted, ties
        #: created/deleted (a re-save of an unchanged graph writes nothing but its log).
        self.last_save: dict[str, int] = {}

    # ---- opening -------------------------------------------------------------------------

    @classmethod
    def connect(
        cls,
        uri: str,
        *,
        user: str,
        password: str,
        database: str = "neo4j",
        clock: Clock | None = None,
        timeout: float = 5.0,
    ) -> Neo4jStore:
        """Connect to a Neo4j server and prepare its constraints.

        Parameters
        ----------
        uri
            ``neo4j://host:port`` or ``bolt://host:port``.
        user, password
            Credentials (take them from the environment or a file, never a command line).
        database
            The database to use.
        clock
            Returns the current time for log entries (default: ``datetime.now(UTC)``).
        timeout
            Seconds to wait for the connection.

        Raises
        ------
        StoreUnavailable
            The server cannot be reached or refused the credentials.
        SchemaVersionError
            The database was written by a newer orgbridge.
        """
        import neo4j
        from neo4j.exceptions import AuthError, DriverError, Neo4jError

        # The driver logs connection failures that StoreUnavailable already explains; a
        # NullHandler keeps them off stderr unless the application configures logging.
        driver_log = logging.getLogger("neo4j")
        if not any(isinstance(h, logging.NullHandler) for h in driver_log.handlers):
            driver_log.addHandler(logging.NullHandler())

        try:
            driver = neo4j.GraphDatabase.driver(
                uri,
                auth=(user, password),
                connection_timeout=timeout,
                max_transaction_retry_time=timeout,
                notifications_min_severity="OFF",
            )
        except (ValueError, DriverError) as err:
            raise StoreUnavailable(f"{uri!r} is not a usable Neo4j address: {err}") from err
        try:
            driver.verify_connectivity()
        except AuthError as err:
            driver.close()
            raise StoreUnavailable(
                f"Neo4j at {_where(uri)} refused the credentials of user {user!r}; check "
                "ORGBRIDGE_NEO4J_PASSWORD (or the --credentials file)"
            ) from err
        except (DriverError, Neo4jError, OSError) as err:
            driver.close()
            raise StoreUnavailable(
                f"cannot reach Neo4j at {_where(uri)} ({type(err).__name__}: {err}); is the "
                "server running (make neo4j-start) and is the address right?"
            ) from err
        store = cls(driver, uri, database, clock or _utc_now)
        try:
            store._prepare()
        except BaseException:
            driver.close()
            raise
        return store

    def _prepare(self) -> None:
        self._require_unique_ids()
        for statement in (
            "CREATE CONSTRAINT orgbridge_meta IF NOT EXISTS "
            "FOR (m:OrgbridgeMeta) REQUIRE m.key IS UNIQUE",
            "CREATE CONSTRAINT proposal_run IF NOT EXISTS "
            "FOR (r:ProposalRun) REQUIRE r.run_id IS UNIQUE",
            "CREATE CONSTRAINT metric_table IF NOT EXISTS "
            "FOR (t:MetricTable) REQUIRE t.name IS UNIQUE",
            "CREATE INDEX person_ord IF NOT EXISTS FOR (p:Person) ON (p._ord)",
            "CALL db.awaitIndexes(300)",
        ):
            self._auto(statement)
        meta = self._meta()
        stored = meta.get("schema_version")
        if stored is not None and int(stored) > SCHEMA_VERSION:
            raise SchemaVersionError(
                f"the Neo4j database {self.database!r} at {_where(self.uri)} was written by a "
                f"newer orgbridge (schema version {stored}; this version reads up to "
                f"{SCHEMA_VERSION}); upgrade orgbridge to use it"
            )
        if stored is None:
            self._auto(
                "MERGE (m:OrgbridgeMeta {key: $key}) SET m.schema_version = $version",
                key=_META_KEY,
                version=SCHEMA_VERSION,
            )

    def _require_unique_ids(self) -> None:
        """Make sure ``person_id`` is unique by constraint: create the constraint when it is
        missing (a database filled by ``neo4j-admin import`` has none), and refuse a database
        whose people already share ids, rather than use it without the constraint.

        Raises
        ------
        StoreError
            People share an id, or the constraint could not be made.
        """
        try:
            self._auto(
                "CREATE CONSTRAINT person_id IF NOT EXISTS "
                "FOR (p:Person) REQUIRE p.person_id IS UNIQUE"
            )
        except StoreError as err:
            rows = self._auto(
                "MATCH (p:Person) WHERE p.person_id IS NOT NULL "
                "WITH p.person_id AS id, count(*) AS n WHERE n > 1 "
                "RETURN count(id) AS ids, collect(id)[..5] AS some"
            )
            if rows and rows[0]["ids"]:
                shown = ", ".join(repr(i) for i in sorted(rows[0]["some"]))
                raise StoreError(
                    f"the Neo4j database {self.database!r} at {_where(self.uri)} holds "
                    f"{rows[0]['ids']} duplicate person_id value(s) (e.g. {shown}) and no "
                    "uniqueness constraint on Person.person_id; orgbridge will not use it "
                    "without one: remove the duplicates (or import again) and reopen"
                ) from err
            raise
        found = self._auto(
            "SHOW CONSTRAINTS YIELD entityType, labelsOrTypes, properties, type "
            "WHERE entityType = 'NODE' AND labelsOrTypes = ['Person'] "
            "AND properties = ['person_id'] AND type IN ['UNIQUENESS', 'NODE_KEY'] "
            "RETURN count(*) AS n"
        )
        if not found or not found[0]["n"]:
            raise StoreError(
                f"the Neo4j database {self.database!r} at {_where(self.uri)} has no uniqueness "
                "constraint on Person.person_id and it could not be created (an index on it "
                "may be in the way); orgbridge will not use it without one"
            )

    def close(self) -> None:
        """Release the connection."""
        self._driver.close()

    def __repr__(self) -> str:
        return f"Neo4jStore({self.uri!r}, database={self.database!r})"

    # ---- running Cypher ------------------------------------------------------------------

    def _fail(self, err: Exception, doing: str) -> StoreError:
        from neo4j.exceptions import AuthError, ServiceUnavailable, SessionExpired

        if isinstance(err, AuthError):
            return StoreUnavailable(
                f"Neo4j at {_where(self.uri)} refused the credentials while {doing}; check "
                "ORGBRIDGE_NEO4J_PASSWORD"
            )
        if isinstance(err, ServiceUnavailable | SessionExpired | OSError):
            return StoreUnavailable(
                f"lost the connection to Neo4j at {_where(self.uri)} while {doing}: {err}"
            )
        return StoreError(f"Neo4j at {_where(self.uri)}: {doing} failed: {err}")

    def _auto(self, query: str, **params: Any) -> list[Any]:
        """Run one query in its own transaction and return its records."""
        from neo4j.exceptions import DriverError, Neo4jError

        try:
            records, _, _ = self._driver.execute_query(
                query, parameters_=params, database_=self.database
            )
        except (DriverError, Neo4jError, OSError) as err:
            raise self._fail(err, "running a query") from err
        return list(records)

    def _transaction(self, work: Callable[[Run], None], doing: str) -> None:
        """Run ``work(run)`` inside one explicit transaction (all or nothing)."""
        from neo4j.exceptions import DriverError, Neo4jError

        try:
            with (
                self._driver.session(database=self.database) as session,
                session.begin_transaction() as tx,
            ):

                def run(query: str, **params: Any) -> list[Any]:
                    return list(tx.run(query, params))

                work(run)
                tx.commit()
        except (DriverError, Neo4jError, OSError) as err:
            raise self._fail(err, doing) from err

    def _implicit(self, query: str, **params: Any) -> list[Any]:
        """Run one query in an implicit transaction (needed by ``CALL ... IN TRANSACTIONS``)."""
        from neo4j.exceptions import DriverError, Neo4jError

        try:
            with self._driver.session(database=self.database) as session:
                return list(session.run(query, params))
        except (DriverError, Neo4jError, OSError) as err:
            raise self._fail(err, "running a query") from err

    def _stream(self, query: str, **params: Any) -> list[list[Any]]:
        """All rows of a read query as lists, fetched in large chunks."""
        from neo4j.exceptions import DriverError, Neo4jError

        try:
            with self._driver.session(database=self.database, fetch_size=50_000) as session:
                return list(session.run(query, params).values())
        except (DriverError, Neo4jError, OSError) as err:
            raise self._fail(err, "reading") from err

    def _collect(self, query: str, **params: Any) -> list[list[Any]]:
        """The one list a ``RETURN collect([...])`` query gives."""
        rows = self._auto(query, **params)
        return list(rows[0][0]) if rows else []

    def _meta(self) -> dict[str, Any]:
        rows = self._auto(
            "MATCH (m:OrgbridgeMeta {key: $key}) RETURN properties(m) AS m", key=_META_KEY
        )
        return dict(rows[0]["m"]) if rows else {}

    def _now(self) -> str:
        return stored_time(self._clock())

    # ---- the organisation ----------------------------------------------------------------

    def save_graph(
        self,
        graph: OrgGraph,
        *,
        log: dict[str, Any] | None = None,
        progress: Progress | None = None,
    ) -> None:
        """Replace the saved organisation by ``graph`` and log the import.

        Only what differs from the stored organisation is written (see the module
        docstring); :attr:`last_save` says what was. Small graphs (``atomic_limit`` people
        plus ties at most) are saved in one transaction. Larger ones are saved in batches:
        the save is convergent rather than atomic, and the import log entry is written
        last, so a log entry means a complete save. ``progress(stage, done, total)`` is
        called before each batch (stages ``people``, ``ties``, ``reports_to``, ``cleanup``;
        a stage with nothing to write may not be reported) when given.

        Raises
        ------
        StoreUnavailable
            The server went away; run the same save again once it is back.
        StoreError
            The write failed.
        """
        plan = SavePlan(graph, self._meta(), log, self._now())
        report = progress or _quiet
        counts: dict[str, int] = {}
        if plan.size <= self.atomic_limit:

            def work(run: Run) -> None:
                counts.update(plan.write(run, report))

            self._transaction(work, "saving the organisation")
        else:
            counts = plan.write(self._auto, report, self._implicit)
        self.last_save = counts

    def load_graph(self) -> OrgGraph:
        """The saved organisation, exactly as saved (an empty graph when nothing was).

        Raises
        ------
        StoreError
            The last save did not finish; run it again.
        """
        meta = self._meta()
        if meta.get("state") == "saving":
            raise StoreError(
                f"the last save to Neo4j at {_where(self.uri)} did not finish (interrupted?); "
                "run it again: saves are idempotent and give exactly the intended graph"
            )
        if "people_spec" not in meta:
            return OrgGraph(pd.DataFrame({PERSON_ID: pd.Series([], dtype="str")}))
        spec = json.loads(meta["people_spec"])
        schema = read_schema(meta["people_schema"])
        returns = ", ".join(f"p.{_quote(entry['name'])}" for entry in spec)
        rows = self._collect(f"MATCH (p:Person) RETURN collect([p._ord, id(p), {returns}])")
        rows.sort(key=lambda row: row[0])
        columns = list(zip(*rows, strict=True)) if rows else [()] * (len(spec) + 2)
        people = decode_people(columns[2:], spec, schema)
        # Ties name their target by the server's node id (reading it costs nothing, unlike a
        # property of the far node): people sorted by _ord give the id -> ordinal map. id()
        # is deprecated for elementId() but kept throughout Neo4j 5; an elementId string per
        # tie would cost more to send and decode than the property read it saves.
        nodes = pd.Index(np.asarray(columns[1], dtype=np.int64))
        layers: list[str] = json.loads(meta.get("layers", "[]"))
        timeless = set(json.loads(meta.get("timeless_layers", "[]")))
        frames = self._read_layers(layers, nodes, timeless)
        ties = _interleave(frames, meta.get("tie_order")) if frames else None
        return OrgGraph(
            people,
            ties,
            special=json.loads(meta.get("special", "[]")),
            metadata=json.loads(meta.get("metadata", "{}")),
        )

    def _read_layers(
        self, layers: list[str], nodes: pd.Index, timeless: set[str]
    ) -> list[pd.DataFrame]:
        # Column lists per page of sources: one Bolt record of a few long lists per page
        # instead of one record (or one small list) per tie is much faster to decode. The far
        # end is read by its node id, and the layer property only checked when two layers
        # share a relationship type: both would cost a record read per tie on the server.
        # Several pages are read at once, so the server works on some while this process
        # decodes another. Layers the save recorded as having no start or end dates do not
        # read those properties.
        types = [relationship_type(layer) for layer in layers]
        periods = (
            ", collect(CASE WHEN t.start IS NULL AND t.end IS NULL "
            "THEN null ELSE [t._ord, t.start, t.end] END) AS p"
        )
        queries = [
            "MATCH (a:Person) WHERE a._ord >= $low AND a._ord < $high "
            f"MATCH (a)-[t:{_quote(kind)}{' {layer: $layer}' if types.count(kind) > 1 else ''}]"
            "->(b) RETURN collect(a._ord) AS s, collect(id(b)) AS t, collect(t.weight) AS w, "
            f"collect(t._ord) AS o{'' if layer in timeless else periods}"
            for layer, kind in zip(layers, types, strict=True)
        ]
        pages = [(i, low) for i in range(len(layers)) for low in range(0, len(nodes), _READ_PAGE)]

        def read(page: tuple[int, int]) -> list[Any]:
            i, low = page
            rows = self._auto(queries[i], layer=layers[i], low=low, high=low + _READ_PAGE)
            columns = list(rows[0].values()) if rows else []
            return columns + [[]] * (5 - len(columns))

        parts: list[list[list[Any]]] = [[[], [], [], [], []] for _ in layers]
        with ThreadPoolExecutor(max_workers=_READ_THREADS) as pool:
            for (i, _), columns in zip(pages, pool.map(read, pages), strict=True):
                for part, values in zip(parts[i], columns, strict=True):
                    part += values
        return [
            self._layer_frame(layer, nodes, *part)
            for layer, part in zip(layers, parts, strict=True)
        ]

    def _layer_frame(
        self,
        layer: str,
        nodes: pd.Index,
        source: list[int],
        target_ids: list[int],
        weight: list[float],
        order: list[int],
        periods: list[Any],
    ) -> pd.DataFrame:
        """One layer's ties from the column lists read for it."""
        target = nodes.get_indexer(pd.Index(np.asarray(target_ids, dtype=np.int64)))
        if (target < 0).any():
            raise StoreError(
                f"Neo4j at {_where(self.uri)}: a {layer!r} tie ends at a node that is not a "
                "saved person (edited outside orgbridge?); save the organisation again"
            )
        frame = pd.DataFrame(
            {
                "source": np.asarray(source, dtype=np.int32),
                "target": np.asarray(target, dtype=np.int32),
                "layer": layer,
                "weight": np.asarray(weight, dtype=np.float64),
                "start": np.full(len(source), np.datetime64("NaT"), dtype="datetime64[ns]"),
                "end": np.full(len(source), np.datetime64("NaT"), dtype="datetime64[ns]"),
                "_ord": np.asarray(order, dtype=np.int64),
            }
        )
        if periods:
            # Only ties with a period carry start/end: place them by their position.
            where = pd.Index(frame["_ord"]).get_indexer([p[0] for p in periods])
            frame.loc[where, "start"] = parse_times(tuple(p[1] for p in periods))
            frame.loc[where, "end"] = parse_times(tuple(p[2] for p in periods))
        return frame

    def import_log(self) -> pd.DataFrame:
        """One row per import: ``import_id, at, people, ties, rows_in, rows_loaded,
        rows_rejected, report`` (``at`` in UTC, ``report`` as JSON text)."""
        rows = self._stream(
            "MATCH (l:ImportLog) RETURN l.import_id, l.at, l.people, l.ties, l.rows_in, "
            "l.rows_loaded, l.rows_rejected, l.report ORDER BY l.import_id"
        )
        names = ["import_id", "at", "people", "ties", "rows_in", "rows_loaded"]
        names += ["rows_rejected", "report"]
        types = [pa.int64(), pa.timestamp("us")] + [pa.int64()] * 5 + [pa.string()]
        return log_frame(rows, names, types)

    # ---- metrics -------------------------------------------------------------------------

    def data_stamp(self) -> str | None:
        """The content hash of the saved organisation (None before the first complete save,
        and while a save is running or was interrupted)."""
        meta = self._meta()
        if meta.get("state") != "complete":
            return None
        stamp = meta.get("data_stamp")
        return None if stamp is None else str(stamp)

    def save_metrics(
        self, table: pd.DataFrame, *, name: str, about: dict[str, Any] | None = None
    ) -> None:
        """Store a per-person table (``person_id`` plus metric columns) under ``name``,
        replacing an earlier one of that name, with ``about`` (what it was computed from,
        JSON-able), in one transaction.

        The table is kept exactly; its numeric and boolean columns are also set on the
        people as ``<name>_<column>`` properties so they show when browsing the graph.

        Raises
        ------
        StoreError
            The table has no ``person_id`` column, or the write failed.
        """
        if PERSON_ID not in table.columns:
            raise StoreError(f"metric table {name!r} has no person_id column")
        blob = to_ipc(table)
        shown = [
            str(c)
            for c in table.columns
            if c != PERSON_ID
            and (pd.api.types.is_numeric_dtype(table[c]) or pd.api.types.is_bool_dtype(table[c]))
            and not isinstance(table[c].dtype, pd.CategoricalDtype)
        ]
        props = [f"{name}_{c}" for c in shown]
        values = [python_values(table[c]) for c in shown]
        ids = table[PERSON_ID].astype(str).tolist()
        rows = [list(r) for r in zip(ids, *values, strict=True)]
        assign = ", ".join(f"p.{_quote(p)} = r[{i + 1}]" for i, p in enumerate(props))

        def work(run: Run) -> None:
            old = run("MATCH (t:MetricTable {name: $name}) RETURN t.properties AS p", name=name)
            if old and old[0]["p"]:
                removed = ", ".join(f"p.{_quote(p)}" for p in json.loads(old[0]["p"]))
                run(f"MATCH (p:Person) REMOVE {removed}")
            run(
                "MERGE (t:MetricTable {name: $name}) SET t.table = $blob, t.properties = $props,"
                " t.at = $at, t.about = $about",
                name=name,
                blob=blob,
                props=json.dumps(props),
                at=self._now(),
                about=json.dumps(about or {}, sort_keys=True, default=str),
            )
            if assign:
                for chunk in _chunks(rows, _BATCH):
                    run(
                        f"UNWIND $rows AS r MATCH (p:Person {{person_id: r[0]}}) SET {assign}",
                        rows=chunk,
                    )

        self._transaction(work, f"saving the metric table {name!r}")

    def load_metrics(self, name: str) -> pd.DataFrame:
        """The table saved under ``name`` (an empty ``person_id`` table when there is none)."""
        rows = self._auto("MATCH (t:MetricTable {name: $name}) RETURN t.table AS b", name=name)
        if not rows:
            return pd.DataFrame({PERSON_ID: pd.Series([], dtype="str")})
        return from_ipc(rows[0]["b"])

    # ---- programme operations -------------------------------------------------------------

    def metrics_about(self, name: str) -> dict[str, Any]:
        """What the metric table ``name`` was computed from, as saved (empty if unknown)."""
        rows = self._auto("MATCH (t:MetricTable {name: $name}) RETURN t.about AS a", name=name)
        if not rows or rows[0]["a"] is None:
            return {}
        found: dict[str, Any] = json.loads(rows[0]["a"])
        return found

    def save_programme(self, tables: dict[str, pd.DataFrame]) -> None:
        """Replace the stored programme tables (``docs/programme.md``) in one transaction;
        a table left out is kept. Each is one ``ProgrammeTable`` node holding the table."""
        for name in tables:
            if not str(name).isidentifier():
                raise StoreError(f"programme table name {name!r} is not an identifier")
        blobs = {str(name): to_ipc(frame) for name, frame in tables.items()}

        def work(run: Run) -> None:
            for name, blob in blobs.items():
                run(
                    "MERGE (t:ProgrammeTable {name: $name}) SET t.table = $blob, t.at = $at",
                    name=name,
                    blob=blob,
                    at=self._now(),
                )

        self._transaction(work, "saving the programme")

    def load_programme(self) -> dict[str, pd.DataFrame]:
        """Every stored programme table by name (empty when none was saved)."""
        rows = self._auto("MATCH (t:ProgrammeTable) RETURN t.name AS n, t.table AS b ORDER BY n")
        return {str(r["n"]): from_ipc(r["b"]) for r in rows}

    # ---- proposals, decisions, audit -----------------------------------------------------

    def save_proposals(
        self, run_id: str, proposals: pd.DataFrame, parameters: dict[str, Any]
    ) -> None:
        """Store a recommender run (its proposals table and parameters) in one transaction;
        the same ``run_id`` saved again replaces the earlier run. Proposals between saved
        people also become ``PROPOSED`` relationships."""
        text = json.dumps(parameters, default=str, sort_keys=True)
        blob = to_ipc(proposals)
        rows: list[list[Any]] = []
        if {"a", "b"} <= set(proposals.columns):
            columns = [proposals[c] if c in proposals.columns else None for c in _SHOWN]
            n = len(proposals)
            values = [python_values(col) if col is not None else [None] * n for col in columns]
            rows = [list(r) for r in zip(*values, strict=True)]

        def work(run: Run) -> None:
            run("MATCH ()-[p:PROPOSED {run_id: $run_id}]->() DELETE p", run_id=run_id)
            seq = _next(run, "seq_proposal")
            run(
                "MERGE (r:ProposalRun {run_id: $run_id}) SET r.seq = $seq, r.at = $at, "
                "r.parameters = $parameters, r.table = $blob",
                run_id=run_id,
                seq=seq,
                at=self._now(),
                parameters=text,
                blob=blob,
            )
            for chunk in _chunks(rows, _BATCH):
                run(
                    "UNWIND $rows AS r MATCH (a:Person {person_id: toString(r[0])}) "
                    "MATCH (b:Person {person_id: toString(r[1])}) "
                    "CREATE (a)-[:PROPOSED {run_id: $run_id, kind: r[2], score: r[3], "
                    "reason: r[4]}]->(b)",
                    rows=chunk,
                    run_id=run_id,
                )

        self._transaction(work, f"saving proposals of run {run_id!r}")

    def load_proposals(self, run_id: str | None = None) -> pd.DataFrame:
        """Proposals of ``run_id``, or of the latest run when it is None (empty if none)."""
        if run_id is None:
            rows = self._auto(
                "MATCH (r:ProposalRun) RETURN r.table AS b ORDER BY r.seq DESC LIMIT 1"
            )
        else:
            rows = self._auto(
                "MATCH (r:ProposalRun {run_id: $run_id}) RETURN r.table AS b", run_id=run_id
            )
        return from_ipc(rows[0]["b"]) if rows else pd.DataFrame()

    def proposal_parameters(self, run_id: str) -> dict[str, Any]:
        """The parameters a run was saved with (an empty dict for an unknown run)."""
        rows = self._auto(
            "MATCH (r:ProposalRun {run_id: $run_id}) RETURN r.parameters AS p", run_id=run_id
        )
        return dict(json.loads(rows[0]["p"])) if rows else {}

    def record_decision(self, a: str, b: str, *, kind: str, decision: str, by: str) -> None:
        """Persist approve / decline / lock of the pair ``(a, b, kind)`` and audit it, in one
        transaction (also as a ``DECIDED`` relationship when both people are saved)."""
        at = self._now()
        detail = json.dumps({"a": a, "b": b, "kind": kind}, sort_keys=True)

        def work(run: Run) -> None:
            seq = _next(run, "seq_decision")
            run(
                "CREATE (:Decision {seq: $seq, a: $a, b: $b, kind: $kind, decision: $decision, "
                "by: $by, at: $at})",
                seq=seq,
                a=a,
                b=b,
                kind=kind,
                decision=decision,
                by=by,
                at=at,
            )
            run(
                "MATCH (x:Person {person_id: $a}) MATCH (y:Person {person_id: $b}) "
                "MERGE (x)-[d:DECIDED {kind: $kind}]->(y) "
                "SET d.decision = $decision, d.by = $by, d.at = $at",
                a=a,
                b=b,
                kind=kind,
                decision=decision,
                by=by,
                at=at,
            )
            _append_audit(run, f"decision:{decision}", by, detail, at)

        self._transaction(work, "recording a decision")

    def decisions(self) -> pd.DataFrame:
        """The latest decision per ``(a, b, kind)``: ``a, b, kind, decision, by, at``,
        in the order they were made."""
        rows = self._stream(
            "MATCH (d:Decision) WITH d ORDER BY d.seq "
            "WITH d.a AS a, d.b AS b, d.kind AS kind, last(collect(d)) AS d "
            "RETURN a, b, kind, d.decision, d.by, d.at ORDER BY d.seq"
        )
        names = ["a", "b", "kind", "decision", "by", "at"]
        types = [pa.string()] * 5 + [pa.timestamp("us")]
        return log_frame(rows, names, types)

    def audit(self, action: str, *, by: str, detail: dict[str, Any] | None = None) -> None:
        """Append one line to the audit log."""
        text = json.dumps(detail or {}, default=str, sort_keys=True)
        at = self._now()
        self._transaction(
            lambda run: _append_audit(run, action, by, text, at), "writing the audit log"
        )

    def audit_log(self) -> pd.DataFrame:
        """The audit log, oldest first: ``at, by, action, detail`` (detail as JSON text)."""
        rows = self._stream(
            "MATCH (e:AuditEntry) RETURN e.at, e.by, e.action, e.detail ORDER BY e.seq"
        )
        types = [pa.timestamp("us"), pa.string(), pa.string(), pa.string()]
        return log_frame(rows, ["at", "by", "action", "detail"], types)


#: Proposal columns copied onto PROPOSED relationships (a and b are the ends).
_SHOWN = ("a", "b", "kind", "score", "reason")


# ---- helpers ----------------------------------------------------------------------------


def _interleave(frames: list[pd.DataFrame], order: str | None) -> pd.DataFrame:
    """The tie table from per-layer frames: each sorted by its position in the layer and
    placed where the stored interleaving (``tie_order``) puts that layer. Stores written
    before the interleaving was kept number ties across layers, so ``_ord`` orders them."""
    if order is None:
        ties = pd.concat(frames, ignore_index=True).sort_values("_ord", kind="stable")
        return ties.drop(columns="_ord").reset_index(drop=True)
    codes = decode_tie_order(order)
    placed = []
    for code, frame in enumerate(frames):
        frame = frame.sort_values("_ord", kind="stable")
        where = np.flatnonzero(codes == code)
        # positions sort a layer; a re-save keeps them when it can, so they may have gaps
        if len(where) != len(frame) or (np.diff(frame["_ord"].to_numpy()) <= 0).any():
            layer = frame["layer"].iloc[0] if len(frame) else code
            raise StoreError(
                f"the stored ties of layer {layer!r} do not match the saved tie order "
                f"({len(frame)} stored, {len(where)} expected); save the organisation again"
            )
        placed.append(frame.assign(_ord=where))
    ties = pd.concat(placed, ignore_index=True).sort_values("_ord", kind="stable")
    return ties.drop(columns="_ord").reset_index(drop=True)


def _quiet(stage: str, done: int, total: int) -> None:
    """The default progress callback: says nothing."""


def _where(uri: str) -> str:
    """``host:port`` of a URI, for messages."""
    match = re.match(r"^[a-z0-9+.-]+://([^/?]+)", uri)
    return match.group(1) if match else uri


def _next(run: Run, counter: str) -> int:
    """The next value of a sequence kept on the meta node (locks it for the transaction)."""
    rows = run(
        f"MERGE (m:OrgbridgeMeta {{key: $key}}) SET m.{counter} = coalesce(m.{counter}, 0) + 1 "
        f"RETURN m.{counter} AS n",
        key=_META_KEY,
    )
    return int(rows[0]["n"])


def _append_audit(run: Run, action: str, by: str, detail: str, at: str) -> None:
    seq = _next(run, "seq_audit")
    run(
        "CREATE (:AuditEntry {seq: $seq, at: $at, by: $by, action: $action, detail: $detail})",
        seq=seq,
        at=at,
        by=by,
        action=action,
        detail=detail,
    )
