"""First load of an organisation into Neo4j, offline: ``neo4j-admin database import full``.

The online save (batched ``CREATE`` over Bolt) reaches about 25,000 ties/s; the importer
writes store files directly and is several times faster on large graphs. It needs the
server *stopped* and replaces the whole database, so it is for the first load (or a
deliberate reload); afterwards the server is started and the database used through
:class:`~orgbridge.graph.Neo4jStore` as usual.

What is written is exactly what the online save writes (:class:`StorePlan`): the same person
nodes (with their row hashes), relationships, meta node and import log, so a later online
save of the same organisation writes nothing and a changed layer rewrites only that layer.
The uniqueness constraint on ``person_id`` cannot be made by the importer (its ``--schema``
needs the ``block`` store format of Enterprise; Community's record format answers "Record
format batch import does not support schema changes"); the store creates it when it is
first opened.

The files are CSV with typed headers (``:ID``, ``weight:double``, ...), every node's id given
(``--id-type=actual``: people are nodes 0..n-1 in row order, so ties name them by row),
written column-wise by pyarrow into an owner-only temporary folder, every text value quoted
(commas, quotes and newlines are safe) and removed afterwards: they hold personal data.

Example
-------
>>> from orgbridge.graph import import_graph
>>> result = import_graph(graph, home="/opt/neo4j", overwrite=True)  # doctest: +SKIP
>>> result.people, result.ties  # doctest: +SKIP
(100000, {'collaboration': 900000, 'mentoring': 60000, 'sponsorship': 40000})
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from orgbridge.errors import StoreError
from orgbridge.graph._neo4j_home import Neo4jHome
from orgbridge.graph._neo4j_plan import META_KEY, LayerPlan, StorePlan, stored_time
from orgbridge.graph._orggraph import OrgGraph

__all__ = ["ImportResult", "check_target", "import_graph"]

Progress = Callable[[str, int, int], None]

#: neo4j-admin's own default; raised when one value (the tie order of a huge graph) is longer.
_READ_BUFFER = 4 * 2**20
#: The importer's JVM compiles hot code with C2 later than by default. The importer runs
#: only seconds and is CPU-bound; by default its JIT spent over half its CPU time compiling
#: (11 s of C2 for about 800 methods at 100k people / 1M ties, ``-XX:+CITime``), much of it
#: on code that ran briefly. Measured alternately at that size: about 0.82x the CPU time.
IMPORTER_JAVA_OPTIONS = (
    "-XX:Tier4InvocationThreshold=50000",
    "-XX:Tier4MinInvocationThreshold=20000",
    "-XX:Tier4CompileThreshold=60000",
    "-XX:Tier4BackEdgeThreshold=400000",
)
#: Characters a path may not hold: they separate files and labels on neo4j-admin's command line.
_PATH_SEPARATORS = (",", "=")


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote and how long it took.

    ``ties`` counts the explicit ties per layer; ``reports_to`` the manager-line
    relationships; ``phases`` the seconds of ``plan`` (the store plan), ``csv`` (writing the
    files) and ``neo4j_admin`` (the importer, JVM start included).
    """

    database: str
    people: int
    ties: dict[str, int]
    reports_to: int
    nodes: int
    relationships: int
    seconds: float
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def ties_per_s(self) -> float:
        """Explicit ties loaded per second over the whole import."""
        return sum(self.ties.values()) / max(self.seconds, 1e-9)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able summary."""
        return {
            "database": self.database,
            "people": self.people,
            "ties": dict(self.ties),
            "reports_to": self.reports_to,
            "nodes": self.nodes,
            "relationships": self.relationships,
            "seconds": round(self.seconds, 2),
            "ties_per_s": round(self.ties_per_s),
            "phases_s": {k: round(v, 2) for k, v in self.phases.items()},
        }


def import_graph(
    graph: OrgGraph,
    *,
    home: str | Path,
    conf: str | Path | None = None,
    database: str = "neo4j",
    temp_dir: str | Path | None = None,
    log: dict[str, Any] | None = None,
    overwrite: bool = False,
    threads: int | None = None,
    clock: Callable[[], datetime] | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Load ``graph`` into the database ``database`` of the stopped Neo4j at ``home``.

    Parameters
    ----------
    graph
        The organisation.
    home, conf
        The Neo4j installation and its configuration folder (``<home>/conf`` by default).
    database
        The database to fill: the server's default database (``neo4j``), or one created
        with ``CREATE DATABASE`` after the import.
    temp_dir
        Where the CSV files are written (removed afterwards); the system's by default.
        They take about 50 bytes per tie (more with long ids).
    log
        The ingest report, kept on the import log as the online save keeps it.
    overwrite
        Replace the database when it already exists (everything in it is lost).
    threads
        Importer threads (default: every processor).
    clock
        The time of the import log entry (default: now, UTC).
    progress
        Called as ``progress(stage, done, total)`` before each phase.

    Raises
    ------
    StoreError
        The server is running, the database exists and ``overwrite`` is false, a people
        column cannot be written as a Neo4j property type, or the importer failed or
        loaded other counts than were written.
    """
    report = progress or _quiet
    started = time.perf_counter()
    installation = check_target(home, conf, database, overwrite=overwrite)
    report("plan", 0, 3)
    plan = StorePlan(graph, {}, log, stored_time(clock() if clock else None))
    phases = {"plan": time.perf_counter() - started}
    base = Path(temp_dir) if temp_dir is not None else Path(tempfile.gettempdir())
    if any(c in str(base.resolve()) for c in _PATH_SEPARATORS):
        raise StoreError(f"the temporary folder {base} must not contain ',' or '='")
    folder = Path(tempfile.mkdtemp(prefix="orgbridge-import-", dir=base))  # mode 0700
    try:
        mark = time.perf_counter()
        report("csv", 1, 3)
        files = _write_files(plan, folder)
        phases["csv"] = time.perf_counter() - mark
        mark = time.perf_counter()
        report("neo4j-admin", 2, 3)
        check_target(home, conf, database, overwrite=overwrite)  # again: minutes have passed
        counts = _run_importer(installation, database, files, folder, overwrite, threads)
        phases["neo4j_admin"] = time.perf_counter() - mark
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    nodes, relationships = counts
    want = (files.nodes, files.relationships)
    if counts != want:
        raise StoreError(
            f"neo4j-admin imported {nodes} nodes and {relationships} relationships into "
            f"{database!r}; {want[0]} and {want[1]} were written. The database is not usable "
            "as it is: import again"
        )
    ties = {x.name: len(x) for x in plan.layers if not x.is_manager_line}
    return ImportResult(
        database=database,
        people=len(plan.ids),
        ties=ties,
        reports_to=len(plan.layers[-1]),
        nodes=nodes,
        relationships=relationships,
        seconds=time.perf_counter() - started,
        phases=phases,
    )


def check_target(
    home: str | Path,
    conf: str | Path | None = None,
    database: str = "neo4j",
    *,
    overwrite: bool = False,
) -> Neo4jHome:
    """The installation at ``home`` when ``database`` can be imported into now (what
    :func:`import_graph` checks first; call it before reading large inputs).

    Raises
    ------
    StoreError
        No Neo4j at ``home``, an invalid database name, the server is running, or the
        database exists and ``overwrite`` is false.
    """
    installation = Neo4jHome.locate(home, conf)
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9.\-]{2,62}", database):
        raise StoreError(f"{database!r} is not a Neo4j database name")
    if installation.is_running():
        raise StoreError(
            f"the Neo4j server of {installation.home} is running (its store in "
            f"{installation.data} is locked); stop it first: neo4j-admin import writes the "
            "store files directly"
        )
    if installation.has_database(database) and not overwrite:
        raise StoreError(
            f"the database {database!r} already exists in {installation.data}; import with "
            "overwrite (--overwrite) to replace it, and everything in it"
        )
    return installation


# ---- the files ---------------------------------------------------------------------------


@dataclass
class _Files:
    """The CSV files of one import, as neo4j-admin arguments, and what they hold."""

    arguments: list[str] = field(default_factory=list)
    multiline: list[Path] = field(default_factory=list)
    nodes: int = 0
    relationships: int = 0
    longest: int = 0

    def add(self, kind: str, label: str, path: Path, rows: int, texts: list[pa.Array]) -> None:
        """Record a written file; ``texts`` are the text values it holds (or, for ties,
        every value its texts are taken from)."""
        self.arguments.append(f"--{kind}={label}={path}")
        if kind == "nodes":
            self.nodes += rows
        else:
            self.relationships += rows
        for column in texts:
            if len(column) and column.null_count < len(column):
                self.longest = max(self.longest, int(pc.max(pc.binary_length(column)).as_py()))
                if pc.any(pc.match_substring_regex(column, r"[\r\n]")).as_py():
                    self.multiline.append(path)
                    break


#: Ties per relationship file: the files are written in parallel, several per large layer.
_PART_ROWS = 2_000_000


def _write_files(plan: StorePlan, folder: Path) -> _Files:
    files = _Files()
    ids = pa.array(plan.ids, type=pa.string())
    # every node's id is given (--id-type=actual): people are nodes 0..n-1 in row order,
    # the meta and log nodes n and n+1, and the ties name their ends by row number. The
    # importer then maps no ids at all (a fifth of its time with integer ids), the tie files
    # are a fifth smaller than with text ids, and any person_id text is fine (the constraint
    # checks them on opening). An actual id is not stored, so _ord is a column of its own.
    n = len(plan.ids)
    order = pa.array(np.arange(n, dtype=np.int64))
    people: dict[str, pa.Array] = {
        ":ID": order,
        "_ord:long": order,
        "person_id:string": ids,
        "_h:long": pa.array(plan.row_digests, type=pa.int64()),
    }
    for entry, array in zip(plan.attributes, plan.attribute_arrays, strict=True):
        kind, values = property_column(entry, array)
        people[f"{_header_name(entry['name'])}:{kind}"] = values
    for name, label, table in (
        ("people", "Person", pa.table(people)),
        ("meta", "OrgbridgeMeta", _one_row(n, {"key": META_KEY, **plan.meta_properties(1)})),
        ("log", "ImportLog", _one_row(n + 1, plan.log_properties(1))),
    ):
        path = folder / f"{name}.csv"
        _write(path, table)
        texts = [c.combine_chunks() for c in table.columns if pa.types.is_string(c.type)]
        files.add("nodes", label, path, table.num_rows, texts)
    parts = [
        (folder / f"ties-{number}-{low // _PART_ROWS}.csv", layer, low)
        for number, layer in enumerate(plan.layers)
        for low in range(0, len(layer), _PART_ROWS)
    ]

    def write_part(part: tuple[Path, LayerPlan, int]) -> int:
        path, layer, low = part
        table = _ties(layer, low, min(low + _PART_ROWS, len(layer)))
        _write(path, table)
        return int(table.num_rows)

    # pyarrow releases the GIL while it formats, so two threads write twice as fast
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        for (path, layer, _), rows in zip(parts, pool.map(write_part, parts), strict=True):
            names = [] if layer.is_manager_line else [pa.array([layer.name])]
            files.add("relationships", layer.rel_type, path, rows, names)
    return files


def _ties(layer: LayerPlan, low: int, high: int) -> pa.Table:
    """Rows ``low:high`` of ``layer`` as a relationship table (its ends by row number)."""
    c = layer.columns
    columns: dict[str, Any] = {
        ":START_ID": pa.array(c["source"][low:high]),
        ":END_ID": pa.array(c["target"][low:high]),
    }
    if not layer.is_manager_line:
        n = high - low
        name = pa.array([layer.name], pa.string())
        columns["layer"] = name.take(pa.array(np.zeros(n, np.int32)))
        columns["key:long"] = pa.array(c["key"][low:high])
        columns["weight:double"] = _doubles(pa.array(c["weight"][low:high]))
        columns["start"] = pa.array(c["start"][low:high], type=pa.string())
        columns["end"] = pa.array(c["end"][low:high], type=pa.string())
        columns["_ord:long"] = pa.array(np.arange(low, high, dtype=np.int64))
    return pa.table(columns)


def _write(path: Path, table: pa.Table) -> None:
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # owner-only
    options = pacsv.WriteOptions(include_header=True, quoting_style="needed")
    pacsv.write_csv(table, str(path), write_options=options)


def _one_row(node: int, properties: dict[str, Any]) -> pa.Table:
    columns: dict[str, pa.Array] = {":ID": pa.array([node], pa.int64())}
    for name, value in properties.items():
        kind = {bool: "boolean", int: "long", float: "double", str: "string"}[type(value)]
        columns[f"{name}:{kind}"] = pa.array([value])
    return pa.table(columns)


def _header_name(name: str) -> str:
    if not name or ":" in name:
        raise StoreError(
            f"people column {name!r} cannot be a property name in neo4j-admin import (empty, "
            "or holding ':'); rename it, or load with the online save (ingest --store)"
        )
    return name


def property_column(entry: dict[str, Any], array: pa.ChunkedArray) -> tuple[str, pa.Array]:
    """The Neo4j import type and the values of one encoded people column, as the online
    save's property values (:func:`~orgbridge.graph._neo4j_values.to_property`) are.

    Raises
    ------
    StoreError
        The column's values have no import type (lists, binary, times of day, categories of
        mixed types, integers beyond 64 bits).

    Example
    -------
    >>> kind, values = property_column(
    ...     {"name": "grade", "encoding": "category", "categories": ["G1", "G2"]},
    ...     pa.chunked_array([pa.array([1, -1, 0], pa.int32())]))
    >>> kind, values.to_pylist()
    ('string', ['G2', None, 'G1'])
    """
    values = array.combine_chunks()
    name = entry["name"]
    if entry["encoding"] == "category":
        codes = values.to_numpy(zero_copy_only=False).astype(np.int64)
        try:
            categories = pa.array(entry["categories"])
        except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
            raise _unwritable(name, "categories of mixed types") from err
        if pa.types.is_null(categories.type):
            categories = categories.cast(pa.string())
        values = categories.take(pa.array(codes, mask=codes < 0))
    kind = values.type
    if pa.types.is_boolean(kind):
        return "boolean", values
    if pa.types.is_integer(kind):
        if kind == pa.uint64() and (pc.max(values).as_py() or 0) > np.iinfo(np.int64).max:
            raise _unwritable(name, "integers beyond 64 bits")
        return "long", values.cast(pa.int64())
    if pa.types.is_floating(kind):
        return "double", _doubles(values.cast(pa.float64()))
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return "string", values.cast(pa.string())
    if pa.types.is_timestamp(kind) or pa.types.is_duration(kind) or pa.types.is_decimal(kind):
        return "string", values.cast(pa.string())  # as the online save sends them
    if pa.types.is_date(kind):
        return "date", values.cast(pa.date32()).cast(pa.string())
    raise _unwritable(name, f"values of type {kind}")


def _unwritable(name: str, what: str) -> StoreError:
    return StoreError(
        f"people column {name!r} holds {what}, which neo4j-admin import cannot write as a "
        "property; convert the column, or load with the online save (ingest --store)"
    )


def _doubles(values: pa.Array) -> pa.Array:
    """Doubles as neo4j-admin reads them: shortest exact decimals; infinities and NaN in
    Java's spelling (``inf`` is not a number to it)."""
    finite = pc.is_finite(values)
    if pc.all(pc.or_kleene(finite, pc.is_null(values))).as_py() is not False:
        return values
    text = values.cast(pa.string())
    for arrow, java in (("-inf", "-Infinity"), ("inf", "Infinity"), ("nan", "NaN")):
        text = pc.if_else(pc.equal(text, arrow), java, text)
    return text


# ---- running neo4j-admin -------------------------------------------------------------------


def importer_arguments(
    database: str, files: _Files, folder: Path, *, overwrite: bool, threads: int | None
) -> list[str]:
    """The arguments of ``neo4j-admin`` for importing ``files`` into ``database``.

    Every bad entry aborts the import (nothing is skipped silently), texts are kept as
    written (no trimming; ``""`` is an empty text, an empty field a missing value), and only
    the files whose values hold line breaks are read in the slower multiline mode.
    """
    buffer = max(_READ_BUFFER, 2 * files.longest + 2**20)
    arguments = [
        "database",
        "import",
        "full",
        database,
        *files.arguments,
        "--id-type=actual",
        "--bad-tolerance=0",
        "--skip-bad-relationships=false",
        "--skip-duplicate-nodes=false",
        "--ignore-empty-strings=false",
        "--trim-strings=false",
        "--legacy-style-quoting=false",
        f"--read-buffer-size={buffer}",
        f"--report-file={folder / 'import.report'}",
    ]
    if overwrite:
        arguments.append("--overwrite-destination=true")
    if threads:
        arguments.append(f"--threads={int(threads)}")
    if files.multiline:
        paths = [str(p) for p in files.multiline]
        # v2 names the files by pattern: only plain paths can be named safely
        if all(re.fullmatch(r"[\w/.\-]+", p) for p in paths):
            arguments += ["--multiline-fields-format=v2", f"--multiline-fields={','.join(paths)}"]
        else:
            arguments.append("--multiline-fields=true")
    return arguments


def _run_importer(
    installation: Neo4jHome,
    database: str,
    files: _Files,
    folder: Path,
    overwrite: bool,
    threads: int | None,
) -> tuple[int, int]:
    """Run the importer; the node and relationship counts it reports."""
    arguments = importer_arguments(database, files, folder, overwrite=overwrite, threads=threads)
    command = [*installation.admin_command(IMPORTER_JAVA_OPTIONS), *arguments]
    output = folder / "neo4j-admin.out"
    with open(os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        try:
            status = subprocess.run(
                command,
                env=installation.environment(IMPORTER_JAVA_OPTIONS),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                check=False,
            ).returncode
        except OSError as err:
            raise StoreError(f"cannot run neo4j-admin ({command[0]}): {err}") from err
    text = output.read_text(encoding="utf-8", errors="replace")
    found = re.search(r"Imported:\s+(\d+) nodes\s+(\d+) relationships", text)
    if status != 0 or found is None:
        raise StoreError(
            f"neo4j-admin database import failed (exit {status}); the database {database!r} "
            f"is not usable until an import succeeds. Its output ends:\n{_tail(text)}"
        )
    return int(found.group(1)), int(found.group(2))


def _tail(text: str, lines: int = 15) -> str:
    """The end of the importer's output without its progress bars."""
    kept = [x for x in text.splitlines() if x.strip() and not x.lstrip().startswith(("[", "at "))]
    return "\n".join(kept[-lines:])


def _quiet(stage: str, done: int, total: int) -> None:
    """The default progress callback: says nothing."""
