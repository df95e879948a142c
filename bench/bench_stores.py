"""Write and read back a 100,000-person organisation with about 1,000,000 ties on both stores.

Run with ``python -m bench.bench_stores`` (the Neo4j server must be running:
``make neo4j-start``). Writes ``bench/results/stores.json`` with, per store, the seconds to
save and to load the graph and the nodes and relationships per second both ways.
``ORGBRIDGE_BENCH_PEOPLE`` / ``ORGBRIDGE_BENCH_TIES`` change the size.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench._common import peak_rss_gib, write_results
from orgbridge.graph import OrgGraph
from orgbridge.graph._neo4j import Neo4jStore
from orgbridge.graph._workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent
DEPARTMENTS = ["Engineering", "Sales", "Finance", "Operations", "People", "Legal", "Marketing"]


def synthetic_graph(n_people: int, n_ties: int, *, seed: int) -> OrgGraph:
    """A seeded organisation: a management tree, departments, and ties in three layers
    (90% collaboration, 6% mentoring with periods, 4% sponsorship)."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"P{i:07d}" for i in range(n_people)], dtype=object)
    manager = np.full(n_people, None, dtype=object)
    parents = (np.arange(1, n_people) - 1) // 8
    manager[1:] = ids[parents]
    level = np.zeros(n_people, dtype=np.int64)
    for i in range(1, n_people):
        level[i] = level[parents[i - 1]] + 1
    people = pd.DataFrame(
        {
            "person_id": ids.astype(str),
            "name": [f"Person {i}" for i in range(n_people)],
            "department": np.array(DEPARTMENTS, dtype=object)[
                rng.integers(0, len(DEPARTMENTS), n_people)
            ].astype(str),
            "level": level,
            "manager_id": pd.Series(manager, dtype="str"),
            "location": np.where(rng.random(n_people) < 0.5, "North", "South").astype(str),
            "start_date": pd.to_datetime("2015-01-01")
            + pd.to_timedelta(rng.integers(0, 3650, n_people), unit="D"),
            "is_leader": level <= 2,
            "opt_in": rng.random(n_people) < 0.3,
        }
    )
    layer = rng.choice(
        np.array(["collaboration", "mentoring", "sponsorship"], dtype=object),
        size=n_ties,
        p=[0.9, 0.06, 0.04],
    )
    source = rng.integers(0, n_people, n_ties).astype(np.int32)
    target = ((source + rng.integers(1, n_people, n_ties)) % n_people).astype(np.int32)
    start = pd.Series(pd.NaT, index=range(n_ties), dtype="datetime64[ns]")
    end = start.copy()
    mentoring = layer == "mentoring"
    begin = pd.to_datetime("2022-01-01") + pd.to_timedelta(
        rng.integers(0, 1000, int(mentoring.sum())), unit="D"
    )
    start[mentoring] = begin
    end[mentoring] = begin + pd.Timedelta(days=365)
    ties = pd.DataFrame(
        {
            "source": source,
            "target": target,
            "layer": layer,
            "weight": np.round(rng.random(n_ties) * 5, 3),
            "start": start,
            "end": end,
        }
    )
    return OrgGraph(people, ties, metadata={"generator": "bench_stores", "seed": seed})


def _credentials() -> dict[str, str]:
    path = ROOT / ".neo4j" / "credentials.json"
    creds: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    return {
        "uri": os.environ.get("ORGBRIDGE_NEO4J_URI", creds.get("uri", "bolt://127.0.0.1:7687")),
        "user": os.environ.get("ORGBRIDGE_NEO4J_USER", creds.get("user", "neo4j")),
        "password": os.environ.get(
            "ORGBRIDGE_NEO4J_PASSWORD", creds.get("password", "orgbridge-dev-pw")
        ),
    }


def _same(a: OrgGraph, b: OrgGraph) -> bool:
    return bool(a.people.equals(b.people) and a.ties.equals(b.ties))


def _measure(store: Any, graph: OrgGraph) -> dict[str, Any]:
    """Save then load ``graph``; rates are over the whole save / load, and for Neo4j also
    per phase of the save (people nodes, tie relationships, manager line, cleanup)."""
    n_nodes = graph.n_people
    n_rels = len(graph.explicit_ties())
    stages: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        stages.setdefault(stage, time.perf_counter())

    start = time.perf_counter()
    if isinstance(store, Neo4jStore):
        store.save_graph(graph, log={"rows_in": n_nodes + n_rels}, progress=progress)
    else:
        store.save_graph(graph, log={"rows_in": n_nodes + n_rels})
    end = time.perf_counter()
    write_s = end - start
    start = time.perf_counter()
    loaded = store.load_graph()
    read_s = time.perf_counter() - start
    result: dict[str, Any] = {
        "write_s": round(write_s, 2),
        "read_s": round(read_s, 2),
        "write_nodes_per_s": round(n_nodes / write_s),
        "write_relationships_per_s": round(n_rels / write_s),
        "read_nodes_per_s": round(n_nodes / read_s),
        "read_relationships_per_s": round(n_rels / read_s),
        "round_trip_exact": _same(graph, loaded),
    }
    if stages:
        marks = [*stages.values(), end]
        phases = {name: marks[i + 1] - marks[i] for i, name in enumerate(stages)}
        result["write_phases_s"] = {k: round(v, 2) for k, v in phases.items()}
        result["people_phase_nodes_per_s"] = round(n_nodes / phases["people"])
        result["ties_phase_relationships_per_s"] = round(n_rels / phases["ties"])
    return result


def _empty_neo4j(store: Neo4jStore) -> None:
    store._implicit("MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS")
    store._implicit("MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS OF 20000 ROWS")


def main() -> int:
    n_people = int(os.environ.get("ORGBRIDGE_BENCH_PEOPLE", "100000"))
    n_ties = int(os.environ.get("ORGBRIDGE_BENCH_TIES", "1000000"))
    graph = synthetic_graph(n_people, n_ties, seed=1)
    results: dict[str, Any] = {
        "load_average_at_start": [round(x, 1) for x in os.getloadavg()],
        "people": n_people,
        "explicit_ties": n_ties,
        "reports_to_ties": int(graph.tie_counts().get("reports_to", 0)),
    }
    with tempfile.TemporaryDirectory() as folder, Workspace.open(folder) as workspace:
        results["duckdb"] = _measure(workspace, graph)
        print("duckdb", results["duckdb"], flush=True)
    creds = _credentials()
    with Neo4jStore.connect(creds["uri"], user=creds["user"], password=creds["password"]) as store:
        _empty_neo4j(store)
        results["neo4j_fresh"] = _measure(store, graph)
        print("neo4j (empty database)", results["neo4j_fresh"], flush=True)
        results["neo4j_resave"] = _measure(store, graph)
        print("neo4j (same graph again: MERGE finds everything)", results["neo4j_resave"])
        _empty_neo4j(store)
    results["load_average_at_end"] = [round(x, 1) for x in os.getloadavg()]
    results["peak_rss_gib"] = round(peak_rss_gib(), 2)
    write_results("stores", results)
    ok = all(results[k]["round_trip_exact"] for k in ("duckdb", "neo4j_fresh", "neo4j_resave"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
