"""The previous Neo4j save path (every write a ``MERGE``), kept as the benchmark baseline.

A frozen copy of ``_SavePlan`` from before bulk loading, so ``bench_stores`` measures the
new path against it in the same run. Not used by orgbridge itself.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np

from orgbridge.errors import StoreError
from orgbridge.graph._frames import encode_frame
from orgbridge.graph._neo4j_save import chunks as _chunks
from orgbridge.graph._neo4j_save import quote as _quote
from orgbridge.graph._neo4j_save import relationship_type
from orgbridge.graph._neo4j_values import format_times, to_property
from orgbridge.graph._orggraph import OrgGraph
from orgbridge.graph._schema import PERSON_ID, REPORTS_TO
from orgbridge.graph._store import SCHEMA_VERSION

Run = Callable[..., list[Any]]
Progress = Callable[[str, int, int], None]
_META_KEY = "orgbridge"
_BATCH = 10_000
_DELETE_BATCH = 20_000


def merge_save(store: Any, graph: OrgGraph, progress: Progress) -> None:
    """Save ``graph`` into ``store`` (a Neo4jStore) the old way, in batches."""
    plan = _SavePlan(graph, store._meta(), {}, store._now())
    plan.write(store._auto, progress, store._implicit)


class _SavePlan:
    """Everything one ``save_graph`` writes, as Cypher text and parameter rows."""

    def __init__(
        self, graph: OrgGraph, meta: dict[str, Any], log: dict[str, Any] | None, at: str
    ) -> None:
        self.gen = uuid.uuid4().hex
        self.at = at
        people = graph.people
        reserved = {"_ord", "_gen"} & {str(c) for c in people.columns}
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
        self.people_rows = [list(r) for r in zip(ids, range(len(ids)), *values, strict=True)]
        sets = [f"{_quote(e['name'])}: r[{i + 2}]" for i, e in enumerate(attributes)]
        sets += [f"{_quote(name)}: null" for name in dropped]
        self.people_query = (
            "UNWIND $rows AS r MERGE (p:Person {person_id: r[0]}) "
            f"SET p += {{{', '.join(sets)}}}, p._ord = r[1], p._gen = $gen"
        )
        ties = graph.explicit_ties()
        ties["_ord"] = np.arange(len(ties), dtype=np.int64)
        ties = ties.sort_values(["source", "target"], kind="stable")
        ties["key"] = ties.groupby(["source", "target", "layer"], sort=False).cumcount()
        id_array = np.asarray(ids, dtype=object)
        self.layers = sorted({str(x) for x in ties["layer"].unique()})
        self.tie_rows: dict[str, list[list[Any]]] = {}
        for layer in self.layers:
            part = ties[(ties["layer"] == layer).to_numpy()]
            self.tie_rows[layer] = [
                list(r)
                for r in zip(
                    id_array[part["source"].to_numpy()].tolist(),
                    id_array[part["target"].to_numpy()].tolist(),
                    part["key"].tolist(),
                    part["weight"].tolist(),
                    format_times(part["start"]),
                    format_times(part["end"]),
                    part["_ord"].tolist(),
                    strict=True,
                )
            ]
        reports = graph.ties[(graph.ties["layer"] == REPORTS_TO).to_numpy()]
        self.report_rows = [
            list(r)
            for r in zip(
                id_array[reports["source"].to_numpy()].tolist(),
                id_array[reports["target"].to_numpy()].tolist(),
                strict=True,
            )
        ]
        self.size = len(self.people_rows) + len(ties) + len(self.report_rows)
        self.log = dict(log or {})
        self.counts = (graph.n_people, int(sum(graph.tie_counts().values())))
        self.special = json.dumps(sorted(graph.special))
        self.metadata = json.dumps(graph.metadata, default=str, sort_keys=True)

    def write(self, run: Run, progress: Progress, implicit: Run | None = None) -> None:
        """Write the plan through ``run`` (one transaction or one per call); ``implicit``
        runs a query in an implicit transaction (for ``IN TRANSACTIONS`` deletes)."""
        run(
            "MERGE (m:OrgbridgeMeta {key: $key}) SET m.state = 'saving', m.saving_gen = $gen, "
            "m.pending_names = $names",
            key=_META_KEY,
            gen=self.gen,
            names=json.dumps(self.names),
        )
        n_ties = sum(len(rows) for rows in self.tie_rows.values())
        done = 0
        for chunk in _chunks(self.people_rows, _BATCH):
            progress("people", done, len(self.people_rows))
            run(self.people_query, rows=chunk, gen=self.gen)
            done += len(chunk)
        done = 0
        for layer in self.layers:
            query = (
                "UNWIND $rows AS r MATCH (a:Person {person_id: r[0]}) "
                "MATCH (b:Person {person_id: r[1]}) "
                f"MERGE (a)-[t:{_quote(relationship_type(layer))} {{layer: $layer, key: r[2]}}]"
                "->(b) SET t.weight = r[3], t.start = r[4], t.end = r[5], t._ord = r[6], "
                "t._gen = $gen"
            )
            for chunk in _chunks(self.tie_rows[layer], _BATCH):
                progress("ties", done, n_ties)
                run(query, rows=chunk, layer=layer, gen=self.gen)
                done += len(chunk)
        for start, chunk in enumerate(_chunks(self.report_rows, _BATCH)):
            progress("reports_to", start * _BATCH, len(self.report_rows))
            run(
                "UNWIND $rows AS r MATCH (a:Person {person_id: r[0]}) "
                "MATCH (b:Person {person_id: r[1]}) "
                "MERGE (a)-[t:REPORTS_TO]->(b) SET t._gen = $gen",
                rows=chunk,
                gen=self.gen,
            )
        progress("cleanup", 0, 1)
        types = [
            row["t"]
            for row in run("CALL db.relationshipTypes() YIELD relationshipType AS t RETURN t")
            if row["t"] not in {"PROPOSED", "DECIDED"}
        ]
        stale = "WHERE t._gen IS NULL OR t._gen <> $gen"
        for rel_type in types:
            _delete_stale(
                run,
                implicit,
                f"MATCH (:Person)-[t:{_quote(rel_type)}]->(:Person) {stale}",
                "t",
                gen=self.gen,
            )
        _delete_stale(run, implicit, f"MATCH (t:Person) {stale}", "t", gen=self.gen, detach=True)
        seq = _next(run, "seq_import")
        run(
            "MATCH (m:OrgbridgeMeta {key: $key}) "
            "SET m.state = 'complete', m.gen = $gen, m.schema_version = $version, "
            "m.people_spec = $spec, m.people_schema = $schema, m.people_spec_names = $names, "
            "m.layers = $layers, m.special = $special, m.metadata = $metadata "
            "REMOVE m.saving_gen, m.pending_names "
            "CREATE (:ImportLog {import_id: $seq, at: $at, people: $people, ties: $ties, "
            "rows_in: $rows_in, rows_loaded: $rows_loaded, rows_rejected: $rows_rejected, "
            "report: $report})",
            key=_META_KEY,
            gen=self.gen,
            version=SCHEMA_VERSION,
            spec=json.dumps(self.spec),
            schema=self.schema,
            names=json.dumps([e["name"] for e in self.spec]),
            layers=json.dumps(self.layers),
            special=self.special,
            metadata=self.metadata,
            seq=seq,
            at=self.at,
            people=self.counts[0],
            ties=self.counts[1],
            rows_in=int(self.log.get("rows_in", 0) or 0),
            rows_loaded=int(self.log.get("rows_loaded", 0) or 0),
            rows_rejected=int(self.log.get("rows_rejected", 0) or 0),
            report=json.dumps(self.log, default=str, sort_keys=True),
        )


def _delete_stale(
    run: Run, implicit: Run | None, match: str, name: str, *, gen: str, detach: bool = False
) -> None:
    """Delete what ``match`` finds (bound to ``name``): in one scan with ``IN TRANSACTIONS``
    when an implicit runner is given, else in ``LIMIT`` rounds inside the transaction."""
    delete = f"{'DETACH ' if detach else ''}DELETE {name}"
    # DETACH DELETE of a person also deletes its ties: smaller batches keep a transaction
    # well under the server's transaction memory limit.
    batch = _DELETE_BATCH // 10 if detach else _DELETE_BATCH
    if implicit is not None:
        implicit(
            f"{match} CALL ({name}) {{ {delete} }} IN TRANSACTIONS OF {batch} ROWS",
            gen=gen,
        )
        return
    while True:
        rows = run(f"{match} WITH {name} LIMIT {batch} {delete} RETURN count(*) AS n", gen=gen)
        if not rows or int(rows[0]["n"]) < batch:
            return


def _next(run: Run, counter: str) -> int:
    """The next value of a sequence kept on the meta node (locks it for the transaction)."""
    rows = run(
        f"MERGE (m:OrgbridgeMeta {{key: $key}}) SET m.{counter} = coalesce(m.{counter}, 0) + 1 "
        f"RETURN m.{counter} AS n",
        key=_META_KEY,
    )
    return int(rows[0]["n"])
