"""How the Neo4j store saves an organisation fast: bulk ``CREATE`` and change detection.

A save compares the new graph with what is stored and writes only the difference:

* every person node carries ``_h``, a hash of its row (values, column names, position);
  new people are ``CREATE``d, changed ones updated by id, removed ones deleted;
* every tie layer (and the manager line) has a content hash kept on the meta node
  (``layer_hashes``); a layer whose hash matches is left alone. On a first load every layer
  is created with batched ``CREATE`` (no ``MERGE`` on the hot path); on a re-save a changed
  layer is updated in place (:mod:`orgbridge.graph._neo4j_resave`): changed ties are
  ``SET``, gone ones deleted, new ones created, the rest untouched;
* a relationship finds its two people by node id (read with the stored people, returned by
  the ``CREATE`` of new ones), not by the ``person_id`` index: on this machine 1.7 times
  as many ties per second. Each batch counts what it created, so a person deleted by
  another client meanwhile stops the save with an error instead of losing ties.

Ties keep their position *within their layer* (``_ord``); the interleaving of the layers in
the graph's tie table is one compressed array on the meta node (``tie_order``), so a change
in one layer does not renumber the ties of the others.

A layer's hash is removed from the meta node before the layer is touched and written back
once the layer is complete, and the meta node says ``state: 'saving'`` until the end, so an
interrupted save leaves a store that refuses to load and that the same save, run again,
completes (it rewrites exactly the layers and people not known to be right).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from orgbridge.graph._neo4j_plan import (
    MANAGER_LINE,
    META_KEY,
    RESERVED_TYPES,
    LayerPlan,
    StorePlan,
    decode_tie_order,
    old_layer,
    quote,
    relationship_type,
)
from orgbridge.graph._neo4j_resave import expect_written, update_layer
from orgbridge.graph._orggraph import OrgGraph

__all__ = ["META_KEY", "SavePlan", "chunks", "decode_tie_order", "quote", "relationship_type"]

Run = Callable[..., list[Any]]
Progress = Callable[[str, int, int], None]

PEOPLE_BATCH = 20_000
TIE_BATCH = 20_000
DELETE_BATCH = 20_000


def chunks(rows: list[Any], size: int) -> Iterable[list[Any]]:
    """Consecutive slices of ``rows`` of at most ``size`` items.

    Example
    -------
    >>> list(chunks([1, 2, 3], 2))
    [[1, 2], [3]]
    """
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


class SavePlan(StorePlan):
    """Everything one ``save_graph`` may write, as Cypher text and parameter rows."""

    def __init__(
        self, graph: OrgGraph, meta: dict[str, Any], log: dict[str, Any] | None, at: str
    ) -> None:
        super().__init__(graph, meta, log, at)
        props = [f"{quote(e['name'])}: r[{i + 3}]" for i, e in enumerate(self.attributes)]
        self.create_people = (
            "UNWIND $rows AS r CREATE (p:Person {person_id: r[0], _ord: r[1], _h: r[2]"
            + "".join(f", {p}" for p in props)
            + "}) RETURN collect([r[1], id(p)]) AS n"
        )
        #: The node id of every person in plan order (-1 until known): ties find their
        #: ends by it. Taken from the stored people and the ``CREATE`` of new ones.
        self.node_ids = np.full(len(self.ids), -1, dtype=np.int64)
        assign = [*props, *(f"{quote(name)}: null" for name in self.dropped)]
        self.update_people = (
            "UNWIND $rows AS r MATCH (p:Person {person_id: r[0]}) "
            f"SET p += {{{', '.join(assign)}}}, p._ord = r[1], p._h = r[2]"
        )

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
                    run, implicit, old_layer(name).match(), layer=name
                )
        written = 0
        total = sum(len(x) for x in self.layers if x.name not in kept)
        types = [x.rel_type for x in self.layers]
        # periods recorded as absent by the last complete save need not be read back
        timeless = set(json.loads(self.meta.get("timeless_layers") or "[]")) if clean else set()
        for layer in self.layers:
            if layer.name in kept:
                continue
            if counts["people_stored"]:
                report = _counting(progress, written, total)
                # each call of the batched runner is its own transaction: it may read in
                # two threads; one transaction's runner may not
                threads = 1 if implicit is None else 2
                for name, n in update_layer(
                    run,
                    layer,
                    self.node_ids,
                    TIE_BATCH,
                    report,
                    threads,
                    shared=types.count(layer.rel_type) > 1,
                    dated=layer.name not in timeless,
                ).items():
                    counts[name] = counts.get(name, 0) + n
                written += len(layer)
            else:
                written += self._create(run, layer, progress, written, total)
                counts["ties_created"] = counts.get("ties_created", 0) + len(layer)
            kept[layer.name] = layer.digest
            run(
                "MATCH (m:OrgbridgeMeta {key: $key}) SET m.layer_hashes = $kept",
                key=META_KEY,
                kept=json.dumps(kept, sort_keys=True),
            )
        counts.setdefault("ties_created", 0)
        progress("cleanup", 0, 1)
        self._finish(run)
        return counts

    def _create(self, run: Run, layer: LayerPlan, progress: Progress, done: int, total: int) -> int:
        """Create every relationship of ``layer``; how many."""
        query = layer.create_query()
        stage = "ties" if layer.name != MANAGER_LINE else "reports_to"
        made = 0
        for batch in layer.batches(self.node_ids, TIE_BATCH):
            progress(stage, done + made, total)
            expect_written(run(query, **batch, layer=layer.name), len(batch["s"]), layer.name)
            made += len(batch["s"])
        return made

    def _write_people(self, run: Run, progress: Progress) -> dict[str, int]:
        rows = run(
            "MATCH (p:Person) RETURN collect(p.person_id) AS ids, collect(p._h) AS h, "
            "collect(id(p)) AS n"
        )
        ids, digests, nodes = (rows[0]["ids"], rows[0]["h"], rows[0]["n"]) if rows else ([], [], [])
        stored = dict(zip(ids, digests, strict=True))
        stored_nodes = dict(zip(ids, nodes, strict=True))
        new_ids = {r[0] for r in self.people_rows}
        removed = [i for i in stored if i not in new_ids]
        create = [r for r in self.people_rows if r[0] not in stored]
        update = [r for r in self.people_rows if r[0] in stored and stored[r[0]] != r[2]]
        self.node_ids = np.array([stored_nodes.get(i, -1) for i in self.ids], dtype=np.int64)
        # Removing people also removes their ties: small batches keep a transaction small.
        for chunk in chunks(removed, DELETE_BATCH // 10):
            run("UNWIND $ids AS id MATCH (p:Person {person_id: id}) DETACH DELETE p", ids=chunk)
        done = 0
        total = len(create) + len(update)
        for chunk in chunks(create, PEOPLE_BATCH):
            progress("people", done, total)
            made = run(self.create_people, rows=chunk)
            self.node_ids[[m[0] for m in made[0]["n"]]] = [m[1] for m in made[0]["n"]]
            done += len(chunk)
        for chunk in chunks(update, PEOPLE_BATCH):
            progress("people", done, total)
            run(self.update_people, rows=chunk)
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
            "MATCH (m:OrgbridgeMeta {key: $key}) SET m += $meta "
            "REMOVE m.saving_gen, m.pending_names, m.gen "
            "CREATE (l:ImportLog) SET l = $log",
            key=META_KEY,
            meta=self.meta_properties(int(seq)),
            log=self.log_properties(int(seq)),
        )


def _counting(progress: Progress, before: int, total: int) -> Progress:
    """``progress`` for one layer's writes, counted within the whole save's."""

    def report(stage: str, done: int, _total: int) -> None:
        progress(stage, before + min(done, total - before), total)

    return report


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
