"""What the Neo4j store holds for one organisation: the one definition both writers share.

The online save (:mod:`orgbridge.graph._neo4j_save`, batched Cypher) and the offline import
(:mod:`orgbridge.graph._neo4j_import`, ``neo4j-admin database import full``) write exactly
what a :class:`StorePlan` says, so a database filled by either one looks the same to the
other: a re-save of an unchanged organisation after an import writes nothing.

* people: one ``Person`` node per row with ``person_id``, ``_ord`` (row position), ``_h``
  (a hash of the row, :func:`row_hashes`) and one property per attribute value that is not
  missing;
* ties: per layer, relationships of type :func:`relationship_type` with ``layer``, ``key``
  (numbers repeated ties between the same two people), ``weight``, ``start``/``end`` (ISO
  text) and ``_ord`` (position within the layer); the manager line as bare ``REPORTS_TO``;
* the meta node (:meth:`StorePlan.meta_properties`): dtypes of the people columns, the
  layers, a content hash per layer (``layer_hashes``), the interleaving of the layers
  (``tie_order``), the data stamp;
* one ``ImportLog`` node per save (:meth:`StorePlan.log_properties`).

Everything here is computed column-wise (about 10 s for 20 million ties); only the people
rows are Python lists, because their hash must match what the online save sends.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from orgbridge.errors import StoreError
from orgbridge.graph._frames import encode_frame
from orgbridge.graph._neo4j_values import format_times, to_property
from orgbridge.graph._orggraph import OrgGraph
from orgbridge.graph._schema import PERSON_ID, REPORTS_TO
from orgbridge.graph._stamp import data_stamp
from orgbridge.graph._store import SCHEMA_VERSION

__all__ = [
    "MANAGER_LINE",
    "META_KEY",
    "RESERVED_TYPES",
    "LayerPlan",
    "StorePlan",
    "decode_tie_order",
    "frame_hash",
    "quote",
    "relationship_type",
    "row_hashes",
    "stored_time",
]

META_KEY = "orgbridge"
#: Relationship types orgbridge uses for something other than a tie layer.
RESERVED_TYPES = frozenset({"REPORTS_TO", "PROPOSED", "DECIDED"})
#: The key of the manager line in ``layer_hashes`` (not a valid layer name clash: brackets).
MANAGER_LINE = "[reports_to]"
#: Properties of a person node that are the store's own.
OWN_PROPERTIES = frozenset({"_ord", "_gen", "_h"})


def stored_time(now: datetime | None = None) -> str:
    """A time as the store keeps it (import log, decisions): naive UTC ISO text; now by
    default.

    Example
    -------
    >>> from datetime import timedelta, timezone
    >>> stored_time(datetime(2026, 1, 1, 9, 30, tzinfo=timezone(timedelta(hours=1))))
    '2026-01-01T08:30:00.000000'
    """
    now = now or datetime.now(UTC)
    if now.tzinfo is not None:
        now = now.astimezone(UTC).replace(tzinfo=None)
    return now.isoformat(timespec="microseconds")


def relationship_type(layer: str) -> str:
    """The relationship type that holds the ties of ``layer``.

    Example
    -------
    >>> [relationship_type(name) for name in ("collaboration", "shared lunch", "reports-to")]
    ['COLLABORATION', 'SHARED_LUNCH', 'LAYER_REPORTS_TO']
    """
    name = re.sub(r"[^0-9A-Za-z]+", "_", layer).strip("_").upper() or "LAYER"
    if name in RESERVED_TYPES or name[0].isdigit():
        name = f"LAYER_{name}"
    return name


def quote(name: str) -> str:
    """A Cypher identifier in backticks (any property name is then allowed).

    Example
    -------
    >>> quote("shared `lunch`")
    '`shared ``lunch```'
    """
    return "`" + name.replace("`", "``") + "`"


def row_hashes(rows: list[list[Any]], salt: str) -> list[int]:
    """A signed 64-bit hash of each row's ``repr`` (stable across processes).

    Example
    -------
    >>> a, b = row_hashes([["P1", 0, "x"], ["P1", 0, "y"]], "names")
    >>> a != b and a == row_hashes([["P1", 0, "x"]], "names")[0]
    True
    """
    key = hashlib.blake2b(salt.encode()).digest()
    return [
        int.from_bytes(
            hashlib.blake2b(repr(r).encode(), digest_size=8, key=key).digest(),
            "little",
            signed=True,
        )
        for r in rows
    ]


def frame_hash(frame: pd.DataFrame) -> str:
    """A content hash of a table, its column order and row order included.

    Example
    -------
    >>> one = pd.DataFrame({"a": [1, 2]})
    >>> frame_hash(one) == frame_hash(pd.DataFrame({"a": [1, 2]})) != frame_hash(one[::-1])
    True
    """
    rows = pd.util.hash_pandas_object(frame, index=False).to_numpy() if len(frame) else None
    return _digest(frame.dtypes, len(frame), rows)


def _digest(dtypes: pd.Series, n_rows: int, rows: np.ndarray | None) -> str:
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr([(str(c), str(t)) for c, t in dtypes.items()]).encode())
    digest.update(n_rows.to_bytes(8, "little"))
    if rows is not None and n_rows:
        digest.update(rows.tobytes())
    return digest.hexdigest()


def _combine(columns: list[np.ndarray]) -> np.ndarray:
    """Per-row hashes from per-column hashes, as ``hash_pandas_object`` combines a frame's
    columns (CPython's tuple hash)."""
    mult = np.uint64(1000003)
    out = np.zeros_like(columns[0]) + np.uint64(0x345678)
    for i, column in enumerate(columns):
        inverse = np.uint64(len(columns) - i)
        out ^= column
        out *= mult
        mult += np.uint64(82520) + inverse + inverse
    out += np.uint64(97531)
    return out


def _column_hash(values: Any) -> np.ndarray:
    return np.asarray(pd.util.hash_pandas_object(pd.Series(values), index=False), np.uint64)


def encode_tie_order(codes: np.ndarray) -> str:
    """The layer of every tie, in tie-table order, as compressed text for the meta node."""
    return base64.b64encode(zlib.compress(codes.astype("<i2").tobytes(), 6)).decode("ascii")


def decode_tie_order(text: str) -> np.ndarray:
    """The inverse of :func:`encode_tie_order`.

    Example
    -------
    >>> decode_tie_order(encode_tie_order(np.array([0, 2, 1, 0]))).tolist()
    [0, 2, 1, 0]
    """
    return np.frombuffer(zlib.decompress(base64.b64decode(text)), dtype="<i2").astype(np.int64)


class LayerPlan:
    """The relationships of one layer (or the manager line) as columns.

    ``source``/``target`` are positions into the plan's people; ``key``, ``weight``,
    ``start``, ``end`` and ``_ord`` (None for the manager line) the relationship properties.
    """

    def __init__(
        self,
        name: str,
        rel_type: str,
        ids: np.ndarray,
        columns: dict[str, Any],
        digest: str,
        *,
        timeless: bool = False,
    ) -> None:
        self.name = name
        self.rel_type = rel_type
        self.ids = ids
        self.columns = columns
        self.digest = digest
        #: No tie of the layer has a start or an end (readers then skip those properties).
        self.timeless = timeless

    def __len__(self) -> int:
        return len(self.columns["source"])

    @property
    def is_manager_line(self) -> bool:
        """True for the ``REPORTS_TO`` relationships (no properties)."""
        return self.name == MANAGER_LINE

    def create_query(self) -> str:
        """``CREATE`` of one batch of this layer's relationships, from the parameters that
        :meth:`batches` gives. Both ends are found by their node id (a record read, much
        cheaper than a seek in the ``person_id`` index); the query returns how many it
        created, so a batch whose people went away meanwhile is noticed, not lost."""
        query = (
            "UNWIND range(0, size($s) - 1) AS i "
            "MATCH (a:Person) WHERE id(a) = $s[i] MATCH (b:Person) WHERE id(b) = $t[i] "
        )
        if self.is_manager_line:
            return query + "CREATE (a)-[:REPORTS_TO]->(b) RETURN count(*) AS n"
        props = "layer: $layer, key: $k[i], weight: $w[i], _ord: $o[i]"
        if not self.timeless:
            props += ", start: $st[i], end: $en[i]"
        return query + f"CREATE (a)-[:{quote(self.rel_type)} {{{props}}}]->(b) RETURN count(*) AS n"

    def batches(
        self,
        node_ids: np.ndarray,
        size: int,
        rows: np.ndarray | None = None,
        order: np.ndarray | None = None,
    ) -> Iterable[dict[str, Any]]:
        """The parameters of :meth:`create_query` for consecutive batches of at most
        ``size`` relationships (all of the layer, or its ``rows``), given the node id of
        every person of the plan (in plan order) and the ``_ord`` of every row (its row
        number by default). Columns, not rows: a few long lists cost far less to send and
        unpack.

        Example
        -------
        >>> ids = np.array(["a", "b"], dtype=object)
        >>> columns = {"source": np.array([0, 1]), "target": np.array([1, 0])}
        >>> line = LayerPlan(MANAGER_LINE, "REPORTS_TO", ids, columns, "")
        >>> list(line.batches(np.array([40, 41]), 1))
        [{'s': [40], 't': [41]}, {'s': [41], 't': [40]}]
        """
        c = self.columns
        every = np.arange(len(self)) if rows is None else np.asarray(rows, dtype=np.int64)
        for low in range(0, len(every), size):
            part = every[low : low + size]
            batch: dict[str, Any] = {
                "s": node_ids[c["source"][part]].tolist(),
                "t": node_ids[c["target"][part]].tolist(),
            }
            if not self.is_manager_line:
                batch["o"] = (part if order is None else order[part]).tolist()
                batch["k"] = c["key"][part].tolist()
                batch["w"] = c["weight"][part].tolist()
                if not self.timeless:
                    batch["st"] = [c["start"][i] for i in part]
                    batch["en"] = [c["end"][i] for i in part]
            yield batch

    def match(self) -> str:
        if self.is_manager_line:
            return "MATCH (:Person)-[t:REPORTS_TO]->(:Person)"
        return f"MATCH (:Person)-[t:{quote(self.rel_type)} {{layer: $layer}}]->(:Person)"


def old_layer(name: str) -> LayerPlan:
    """A layer that is no longer in the graph, for deleting its relationships."""
    rel_type = "REPORTS_TO" if name == MANAGER_LINE else relationship_type(name)
    empty = np.array([], dtype=np.int64)
    return LayerPlan(name, rel_type, np.array([], dtype=object), {"source": empty}, "")


class StorePlan:
    """Everything one save of ``graph`` stores, given the stored meta node (``{}`` for an
    empty database).

    Example
    -------
    >>> people = pd.DataFrame({"person_id": ["a", "b", "c"], "manager_id": [None, "a", "a"]})
    >>> ties = pd.DataFrame({"source": ["b"], "target": ["c"], "layer": ["mentoring"]})
    >>> plan = StorePlan(OrgGraph.from_frames(people, ties), {}, None, "2026-01-01T00:00:00")
    >>> [(x.rel_type, len(x)) for x in plan.layers]
    [('MENTORING', 1), ('REPORTS_TO', 2)]
    >>> plan.meta_properties(1)["state"], plan.log_properties(1)["people"]
    ('complete', 3)
    """

    def __init__(
        self, graph: OrgGraph, meta: dict[str, Any], log: dict[str, Any] | None, at: str
    ) -> None:
        self.at = at
        self.meta = meta
        self.stamp = data_stamp(graph)
        people = graph.people
        reserved = OWN_PROPERTIES & {str(c) for c in people.columns}
        if reserved:
            raise StoreError(
                f"people column(s) {sorted(reserved)} clash with the Neo4j store's own "
                "properties; rename them"
            )
        table, spec = encode_frame(people)
        self.spec = spec
        self.schema = base64.b64encode(table.schema.serialize().to_pybytes()).decode("ascii")
        columns = [str(c) for c in people.columns]
        #: The spec entries of the attributes (every column but person_id), in order.
        self.attributes = [e for e in spec if e["name"] != PERSON_ID]
        #: Their encoded Arrow columns (what the property values are made from).
        self.attribute_arrays: list[pa.ChunkedArray] = [
            table.column(e["stored"]) for e in self.attributes
        ]
        old = set(json.loads(meta.get("people_spec_names", "[]")))
        old |= set(json.loads(meta.get("pending_names", "[]")))
        self.names = sorted(old | set(columns))
        self.dropped = sorted(old - set(columns) - {PERSON_ID})
        pairs = zip(self.attribute_arrays, self.attributes, strict=True)
        values = [to_property(a, e) for a, e in pairs]
        self.ids: list[str] = people[PERSON_ID].astype(str).tolist()
        rows = [list(r) for r in zip(self.ids, range(len(self.ids)), *values, strict=True)]
        salt = json.dumps([self.spec, self.schema, self.dropped])
        self.row_digests = row_hashes(rows, salt)
        for row, digest in zip(rows, self.row_digests, strict=True):
            row.insert(2, digest)
        self.people_rows = rows  # [person_id, _ord, _h, *attributes]
        self.layers, self.tie_order = _tie_layers(graph, np.asarray(self.ids, dtype=object))
        self.size = len(self.people_rows) + sum(len(x) for x in self.layers)
        self.log = dict(log or {})
        self.counts = (graph.n_people, len(graph.ties))
        self.special = json.dumps(sorted(graph.special))
        self.metadata = json.dumps(graph.metadata, default=str, sort_keys=True)

    @property
    def layer_names(self) -> list[str]:
        """The tie layers saved (the manager line is not one)."""
        return [x.name for x in self.layers if not x.is_manager_line]

    def layer_hashes(self) -> str:
        """The content hash of every layer and the manager line, as stored (JSON)."""
        return json.dumps({x.name: x.digest for x in self.layers}, sort_keys=True)

    def meta_properties(self, seq_import: int) -> dict[str, Any]:
        """The meta node's properties once this save is complete (``key`` aside)."""
        return {
            "state": "complete",
            "schema_version": SCHEMA_VERSION,
            "people_spec": json.dumps(self.spec),
            "people_schema": self.schema,
            "people_spec_names": json.dumps([e["name"] for e in self.spec]),
            "layers": json.dumps(self.layer_names),
            "layer_hashes": self.layer_hashes(),
            "timeless_layers": json.dumps(
                [x.name for x in self.layers if x.timeless and not x.is_manager_line]
            ),
            "tie_order": self.tie_order,
            "special": self.special,
            "metadata": self.metadata,
            "data_stamp": self.stamp,
            "seq_import": seq_import,
        }

    def log_properties(self, import_id: int) -> dict[str, Any]:
        """The properties of this save's ``ImportLog`` node."""
        return {
            "import_id": import_id,
            "at": self.at,
            "people": self.counts[0],
            "ties": self.counts[1],
            "rows_in": int(self.log.get("rows_in", 0) or 0),
            "rows_loaded": int(self.log.get("rows_loaded", 0) or 0),
            "rows_rejected": int(self.log.get("rows_rejected", 0) or 0),
            "report": json.dumps(self.log, default=str, sort_keys=True),
        }


def _tie_layers(graph: OrgGraph, ids: np.ndarray) -> tuple[list[LayerPlan], str]:
    """The layers of ``graph`` (position within the layer as ``_ord``), the manager line
    last, and the encoded interleaving of the layers in the tie table."""
    ties = graph.ties
    layer = pd.Categorical(ties["layer"])  # already one: no copy, no string per tie
    names = [str(c) for c in layer.categories]
    every = layer.codes.astype(np.int64)
    line = every == (names.index(REPORTS_TO) if REPORTS_TO in names else -2)
    explicit = np.flatnonzero(~line)
    present = np.bincount(every[explicit], minlength=len(names)) > 0
    layer_names = sorted(n for n, here in zip(names, present, strict=True) if here)
    renumber = np.array([layer_names.index(n) if n in layer_names else -1 for n in names])
    codes = renumber[every[explicit]] if len(names) else np.array([], dtype=np.int64)
    id_hashes = _column_hash(ids.astype(str)) if len(ids) else np.array([], np.uint64)
    source_all = ties["source"].to_numpy(dtype=np.int64)
    target_all = ties["target"].to_numpy(dtype=np.int64)
    layers = []
    for code, name in enumerate(layer_names):
        rows = explicit[codes == code]
        source, target = source_all[rows], target_all[rows]
        times = {  # the content hash sees the times as datetimes
            c: ties[c].to_numpy(dtype="datetime64[ns]")[rows] for c in ("start", "end")
        }
        columns = {
            "source": source,
            "target": target,
            # ids are unique: numbering repeats of a position pair numbers those of an id pair
            "key": repeat_numbers(source * max(len(ids), 1) + target),
            "weight": ties["weight"].to_numpy(dtype=np.float64)[rows],
            "start": format_times(pd.Series(times["start"])),
            "end": format_times(pd.Series(times["end"])),
        }
        digest = _layer_digest(id_hashes, columns, times)
        timeless = bool(np.isnat(times["start"]).all() and np.isnat(times["end"]).all())
        layers.append(
            LayerPlan(name, relationship_type(name), ids, columns, digest, timeless=timeless)
        )
    manager = {"source": source_all[line], "target": target_all[line]}
    digest = _layer_digest(id_hashes, manager, {})
    layers.append(LayerPlan(MANAGER_LINE, "REPORTS_TO", ids, manager, digest))
    return layers, encode_tie_order(codes)


def repeat_numbers(keys: np.ndarray) -> np.ndarray:
    """For each key, how many times it occurred before (``groupby(keys).cumcount()``, by a
    stable sort: several times faster on tens of millions of keys).

    Example
    -------
    >>> repeat_numbers(np.array([7, 3, 7, 7, 3, 1])).tolist()
    [0, 0, 1, 2, 1, 0]
    """
    n = len(keys)
    order = np.argsort(keys, kind="stable")
    ranked = keys[order]
    first = np.ones(n, dtype=bool)
    first[1:] = ranked[1:] != ranked[:-1]
    run_start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    numbers = np.empty(n, dtype=np.int64)
    numbers[order] = np.arange(n) - run_start
    return numbers


def _layer_digest(
    id_hashes: np.ndarray, columns: dict[str, Any], times: dict[str, np.ndarray]
) -> str:
    """``frame_hash`` of the layer's content table (source and target ids, and weight,
    start, end for a tie layer) without building its 20 million id strings: the hash of a
    value does not depend on its row, so each person's id is hashed once."""
    source, target = columns["source"], columns["target"]
    hashes = [id_hashes[source], id_hashes[target]]
    prototype: dict[str, Any] = {
        "source": np.array([], dtype=object).astype(str),
        "target": np.array([], dtype=object).astype(str),
    }
    if times:
        hashes.append(_column_hash(columns["weight"]))
        hashes += [_column_hash(times["start"]), _column_hash(times["end"])]
        prototype["weight"] = np.array([], dtype=np.float64)
        prototype.update({c: np.array([], dtype="datetime64[ns]") for c in ("start", "end")})
    dtypes = pd.DataFrame(prototype).dtypes
    rows = _combine(hashes) if len(source) else None
    return _digest(dtypes, len(source), rows)
