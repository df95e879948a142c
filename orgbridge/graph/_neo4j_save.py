"""How the Neo4j store saves an organisation fast: bulk ``CREATE`` and change detection.

A save compares the new graph with what is stored and writes only the difference:

* every person node carries ``_h``, a hash of its row (values, column names, position);
  new people are ``CREATE``d, changed ones updated by id, removed ones deleted;
* every tie layer (and the manager line) has a content hash kept on the meta node
  (``layer_hashes``); a layer whose hash matches is left alone, any other layer is deleted
  and re-created with batched ``CREATE`` (no ``MERGE`` on the hot path).

Ties keep their position *within their layer* (``_ord``); the interleaving of the layers in
the graph's tie table is one compressed array on the meta node (``tie_order``), so a change
in one layer does not renumber the ties of the others.

A layer's hash is removed from the meta node before the layer is touched and written back
once the layer is complete, and the meta node says ``state: 'saving'`` until the end, so an
interrupted save leaves a store that refuses to load and that the same save, run again,
completes (it rewrites exactly the layers and people not known to be right).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import zlib
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from orgbridge.errors import StoreError
from orgbridge.graph._frames import encode_frame
from orgbridge.graph._neo4j_values import format_times, to_property
from orgbridge.graph._orggraph import OrgGraph
from orgbridge.graph._schema import PERSON_ID, REPORTS_TO
from orgbridge.graph._stamp import data_stamp
from orgbridge.graph._store import SCHEMA_VERSION

__all__ = ["META_KEY", "SavePlan", "decode_tie_order", "relationship_type"]

Run = Callable[..., list[Any]]
Progress = Callable[[str, int, int], None]

META_KEY = "orgbridge"
#: Relationship types orgbridge uses for something other than a tie layer.
RESERVED_TYPES = frozenset({"REPORTS_TO", "PROPOSED", "DECIDED"})
#: The key of the manager line in ``layer_hashes`` (not a valid layer name clash: brackets).
MANAGER_LINE = "[reports_to]"
PEOPLE_BATCH = 20_000
TIE_BATCH = 20_000
DELETE_BATCH = 20_000


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


def chunks(rows: list[Any], size: int) -> Iterable[list[Any]]:
    """Consecutive slices of ``rows`` of at most ``size`` items.

    Example
    -------
    >>> list(chunks([1, 2, 3], 2))
    [[1, 2], [3]]
    """
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


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
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    digest.update(len(frame).to_bytes(8, "little"))
    if len(frame):
        rows = pd.util.hash_pandas_object(frame, index=False).to_numpy()
        digest.update(rows.tobytes())
    return digest.hexdigest()


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


class _Layer:
    """The relationships of one layer (or the manager line) as parameter rows."""

    def __init__(self, name: str, rel_type: str, rows: list[list[Any]], digest: str) -> None:
        self.name = name
        self.rel_type = rel_type
        self.rows = rows
        self.digest = digest

    def create_query(self) -> str:
        match = "UNWIND $rows AS r MATCH (a:Person {person_id: r[0]}) "
        match += "MATCH (b:Person {person_id: r[1]}) "
        if self.name == MANAGER_LINE:
            return match + "CREATE (a)-[:REPORTS_TO]->(b)"
        return (
            match + f"CREATE (a)-[:{quote(self.rel_type)} {{layer: $layer, key: r[2], "
            "weight: r[3], start: r[4], end: r[5], _ord: r[6]}]->(b)"
        )

    def match(self) -> str:
        if self.name == MANAGER_LINE:
            return "MATCH (:Person)-[t:REPORTS_TO]->(:Person)"
        return f"MATCH (:Person)-[t:{quote(self.rel_type)} {{layer: $layer}}]->(:Person)"


class SavePlan:
    """Everything one ``save_graph`` may write, as Cypher text and parameter rows."""

    def __init__(
        self, graph: OrgGraph, meta: dict[str, Any], log: dict[str, Any] | None, at: str
    ) -> None:
        self.at = at
        self.meta = meta
        self.stamp = data_stamp(graph)
        people = graph.people
        reserved = {"_ord", "_gen", "_h"} & {str(c) for c in people.columns}
        if reserved:
            raise StoreError(
                f"people column(s) {sorted(reserved)} clash with the Neo4j store's own "
                "properties; rename them"
            )
        table, spec = encode_frame(people)
        self.spec = spec
        self.schema = base64.b64encode(table.schema.serialize().to_pybytes()).decode("ascii")
        columns = [str(c) for c in people.columns]
        attributes = [e for e in spec if e["name"] != PERSON_ID]
        old = set(json.loads(meta.get("people_spec_names", "[]")))
        old |= set(json.loads(meta.get("pending_names", "[]")))
        self.names = sorted(old | set(columns))
        dropped = sorted(old - set(columns) - {PERSON_ID})
        values = [to_property(table.column(e["stored"]), e) for e in attributes]
        ids = people[PERSON_ID].astype(str).tolist()
        rows = [list(r) for r in zip(ids, range(len(ids)), *values, strict=True)]
        salt = json.dumps([self.spec, self.schema, dropped])
        for row, digest in zip(rows, row_hashes(rows, salt), strict=True):
            row.insert(2, digest)
        self.people_rows = rows  # [person_id, _ord, _h, *attributes]
        props = [f"{quote(e['name'])}: r[{i + 3}]" for i, e in enumerate(attributes)]
        self.create_people = (
            "UNWIND $rows AS r CREATE (p:Person {person_id: r[0], _ord: r[1], _h: r[2]"
            + "".join(f", {p}" for p in props)
            + "})"
        )
        assign = [*props, *(f"{quote(name)}: null" for name in dropped)]
        self.update_people = (
            "UNWIND $rows AS r MATCH (p:Person {person_id: r[0]}) "
            f"SET p += {{{', '.join(assign)}}}, p._ord = r[1], p._h = r[2]"
        )
        self.layers, self.tie_order = _tie_layers(graph, np.asarray(ids, dtype=object))
        self.size = len(self.people_rows) + sum(len(x.rows) for x in self.layers)
        self.log = dict(log or {})
        self.counts = (graph.n_people, int(sum(graph.tie_counts().values())))
        self.special = json.dumps(sorted(graph.special))
        self.metadata = json.dumps(graph.metadata, default=str, sort_keys=True)

    @property
    def layer_names(self) -> list[str]:
        """The tie layers saved (the manager line is not one)."""
        return [x.name for x in self.layers if x.name != MANAGER_LINE]

    def write(self, run: Run, progress: Progress, implicit: Run | None = None) -> dict[str, int]:
        """Write what changed through ``run`` (one transaction, or one per call when
        ``implicit`` is given for ``IN TRANSACTIONS`` deletes); returns how many people and
        relationships were written or deleted, by kind."""
        stored = self.meta.get("layer_hashes")
        known: dict[str, str] = json.loads(stored) if stored else {}
        clean = self.meta.get("state") == "complete" and stored is not None
        wanted = {x.name: x.digest for x in self.layers}
        kept = {name: h for name, h in known.items() if wanted.get(name) == h}
        run(
            "MERGE (m:OrgbridgeMeta {key: $key}) SET m.state = 'saving', "
            "m.pending_names = $names, m.layer_hashes = $kept",
            key=META_KEY,
            names=json.dumps(self.names),
            kept=json.dumps(kept, sort_keys=True),
        )
        counts = self._write_people(run, progress)
        if not clean:
            # After an interrupted or an older save, relationships of any layer may be
            # anywhere: drop every one whose layer is not one of the new graph's.
            counts["stale_ties_deleted"] = self._drop_unknown_layers(run, implicit)
        for name in sorted(set(known) - set(wanted)):
            if clean:
                counts["stale_ties_deleted"] = counts.get("stale_ties_deleted", 0) + _delete(
                    run, implicit, _old_layer(name).match(), layer=name
                )
        written = 0
        total = sum(len(x.rows) for x in self.layers if x.name not in kept)
        for layer in self.layers:
            if layer.name in kept:
                continue
            if counts["people_stored"]:
                counts["ties_deleted"] = counts.get("ties_deleted", 0) + _delete(
                    run, implicit, layer.match(), layer=layer.name
                )
            query = layer.create_query()
            for chunk in chunks(layer.rows, TIE_BATCH):
                progress("ties" if layer.name != MANAGER_LINE else "reports_to", written, total)
                run(query, rows=chunk, layer=layer.name)
                written += len(chunk)
            kept[layer.name] = layer.digest
            run(
                "MATCH (m:OrgbridgeMeta {key: $key}) SET m.layer_hashes = $kept",
                key=META_KEY,
                kept=json.dumps(kept, sort_keys=True),
            )
        counts["ties_created"] = written
        progress("cleanup", 0, 1)
        self._finish(run)
        return counts

    def _write_people(self, run: Run, progress: Progress) -> dict[str, int]:
        rows = run("MATCH (p:Person) RETURN collect(p.person_id) AS ids, collect(p._h) AS h")
        stored = dict(zip(rows[0]["ids"], rows[0]["h"], strict=True)) if rows else {}
        new_ids = {r[0] for r in self.people_rows}
        removed = [i for i in stored if i not in new_ids]
        create = [r for r in self.people_rows if r[0] not in stored]
        update = [r for r in self.people_rows if r[0] in stored and stored[r[0]] != r[2]]
        # Removing people also removes their ties: small batches keep a transaction small.
        for chunk in chunks(removed, DELETE_BATCH // 10):
            run("UNWIND $ids AS id MATCH (p:Person {person_id: id}) DETACH DELETE p", ids=chunk)
        done = 0
        total = len(create) + len(update)
        for query, part in ((self.create_people, create), (self.update_people, update)):
            for chunk in chunks(part, PEOPLE_BATCH):
                progress("people", done, total)
                run(query, rows=chunk)
                done += len(chunk)
        if not total:
            progress("people", 0, 0)
        return {
            "people_stored": len(stored),
            "people_created": len(create),
            "people_updated": len(update),
            "people_deleted": len(removed),
        }

    def _drop_unknown_layers(self, run: Run, implicit: Run | None) -> int:
        allowed: dict[str, list[str]] = {}
        for name in self.layer_names:
            allowed.setdefault(relationship_type(name), []).append(name)
        types = [
            row["t"]
            for row in run("CALL db.relationshipTypes() YIELD relationshipType AS t RETURN t")
            if row["t"] not in RESERVED_TYPES
        ]
        deleted = 0
        for rel_type in types:
            match = f"MATCH (:Person)-[t:{quote(rel_type)}]->(:Person) "
            match += "WHERE t.layer IS NULL OR NOT t.layer IN $allowed"
            deleted += _delete(run, implicit, match, allowed=allowed.get(rel_type, []))
        return deleted

    def _finish(self, run: Run) -> None:
        seq = run(
            "MATCH (m:OrgbridgeMeta {key: $key}) "
            "SET m.seq_import = coalesce(m.seq_import, 0) + 1 RETURN m.seq_import AS n",
            key=META_KEY,
        )[0]["n"]
        run(
            "MATCH (m:OrgbridgeMeta {key: $key}) "
            "SET m.state = 'complete', m.schema_version = $version, "
            "m.people_spec = $spec, m.people_schema = $schema, m.people_spec_names = $names, "
            "m.layers = $layers, m.tie_order = $order, m.special = $special, "
            "m.metadata = $metadata, m.data_stamp = $stamp "
            "REMOVE m.saving_gen, m.pending_names, m.gen "
            "CREATE (:ImportLog {import_id: $seq, at: $at, people: $people, ties: $ties, "
            "rows_in: $rows_in, rows_loaded: $rows_loaded, rows_rejected: $rows_rejected, "
            "report: $report})",
            key=META_KEY,
            version=SCHEMA_VERSION,
            spec=json.dumps(self.spec),
            schema=self.schema,
            names=json.dumps([e["name"] for e in self.spec]),
            layers=json.dumps(self.layer_names),
            order=self.tie_order,
            special=self.special,
            metadata=self.metadata,
            stamp=self.stamp,
            seq=int(seq),
            at=self.at,
            people=self.counts[0],
            ties=self.counts[1],
            rows_in=int(self.log.get("rows_in", 0) or 0),
            rows_loaded=int(self.log.get("rows_loaded", 0) or 0),
            rows_rejected=int(self.log.get("rows_rejected", 0) or 0),
            report=json.dumps(self.log, default=str, sort_keys=True),
        )


def _old_layer(name: str) -> _Layer:
    """A layer that is no longer in the graph, for deleting its relationships."""
    if name == MANAGER_LINE:
        return _Layer(name, "REPORTS_TO", [], "")
    return _Layer(name, relationship_type(name), [], "")


def _tie_layers(graph: OrgGraph, ids: np.ndarray) -> tuple[list[_Layer], str]:
    """The layers of ``graph`` as rows (position within the layer as ``_ord``), the manager
    line last, and the encoded interleaving of the layers in the tie table."""
    ties = graph.explicit_ties()
    names = sorted({str(x) for x in ties["layer"].unique()})
    codes = pd.Categorical(ties["layer"], categories=names).codes.astype(np.int64)
    layers = []
    for code, name in enumerate(names):
        part = ties[codes == code].reset_index(drop=True)
        source = ids[part["source"].to_numpy()]
        target = ids[part["target"].to_numpy()]
        keyed = pd.DataFrame({"s": source, "t": target})
        key = keyed.groupby(["s", "t"], sort=False).cumcount().to_numpy()
        content = pd.DataFrame(
            {
                "source": source.astype(str),
                "target": target.astype(str),
                "weight": part["weight"].to_numpy(dtype=np.float64),
                "start": part["start"].to_numpy(dtype="datetime64[ns]"),
                "end": part["end"].to_numpy(dtype="datetime64[ns]"),
            }
        )
        rows = [
            list(r)
            for r in zip(
                source.tolist(),
                target.tolist(),
                key.tolist(),
                content["weight"].tolist(),
                format_times(content["start"]),
                format_times(content["end"]),
                range(len(part)),
                strict=True,
            )
        ]
        layers.append(_Layer(name, relationship_type(name), rows, frame_hash(content)))
    reports = graph.ties[(graph.ties["layer"] == REPORTS_TO).to_numpy()]
    line = pd.DataFrame(
        {
            "source": ids[reports["source"].to_numpy()].astype(str),
            "target": ids[reports["target"].to_numpy()].astype(str),
        }
    )
    line_rows = [list(r) for r in zip(line["source"], line["target"], strict=True)]
    layers.append(_Layer(MANAGER_LINE, "REPORTS_TO", line_rows, frame_hash(line)))
    return layers, encode_tie_order(codes)


def _delete(run: Run, implicit: Run | None, match: str, **params: Any) -> int:
    """Delete the relationships ``match`` binds to ``t``: with ``IN TRANSACTIONS`` when an
    implicit runner is given, else in ``LIMIT`` rounds inside the caller's transaction."""
    if implicit is not None:
        rows = implicit(
            f"{match} CALL (t) {{ DELETE t }} IN TRANSACTIONS OF {DELETE_BATCH} ROWS "
            "RETURN count(*) AS n",
            **params,
        )
        return int(rows[0]["n"]) if rows else 0
    deleted = 0
    while True:
        rows = run(f"{match} WITH t LIMIT {DELETE_BATCH} DELETE t RETURN count(*) AS n", **params)
        n = int(rows[0]["n"]) if rows else 0
        deleted += n
        if n < DELETE_BATCH:
            return deleted
