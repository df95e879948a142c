"""The Neo4j store on the real local server: round trips, what browsing the graph shows,
replacement, idempotent and interrupted saves, faults."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from orgbridge.errors import SchemaVersionError, StoreError, StoreUnavailable
from orgbridge.graph import OrgGraph
from orgbridge.graph._neo4j import Neo4jStore, relationship_type
from orgbridge.graph._workspace import Workspace
from tests.fixtures import lazega, two_silos
from tests.neo4j_support import connect, credentials, empty_database

pytestmark = pytest.mark.neo4j


@pytest.fixture(scope="session")
def server() -> Iterator[Neo4jStore]:
    opened = connect()
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def store(server: Neo4jStore) -> Iterator[Neo4jStore]:
    empty_database(server)
    server.atomic_limit = Neo4jStore.atomic_limit
    yield server


def _count(store: Neo4jStore, query: str, **params: Any) -> int:
    return int(store._auto(query, **params)[0][0])


def rich_graph() -> OrgGraph:
    """Every kind of column, repeated ties between one pair, and user-named layers."""
    people = pd.DataFrame(
        {
            "person_id": ["a", "b", "c", "d", "e"],
            "name": ["Ann", "Bo", None, "Di", "Ed"],
            "department": ["X", "X", "Y", "Y", "Z"],
            "level": pd.array([1, 2, None, 3, 3], dtype="Int64"),
            "grade": pd.Categorical(["G1", "G2", "G2", None, "G3"], categories=["G3", "G2", "G1"]),
            "manager_id": [None, "a", "a", "b", "c"],
            "start_date": pd.to_datetime(
                ["2020-01-01", "2021-05-03", None, "2019-12-31", "2024-02-29"]
            ),
            "is_leader": [True, False, False, False, False],
            "capacity": [2.5, np.nan, 1.0, 0.0, 3.0],
            "gender": ["f", "m", None, "f", "x"],
        }
    )
    ties = pd.DataFrame(
        {
            "source": ["a", "a", "a", "b", "c", "d", "e", "e"],
            "target": ["b", "b", "b", "c", "d", "a", "a", "b"],
            "layer": [
                "mentoring",
                "mentoring",
                "collaboration",
                "shared lunch",
                "Shared-Lunch",
                "sponsorship",
                "collaboration",
                "shared lunch",
            ],
            "weight": [1.0, 1.0, 0.25, 2.0, 3.0, 1.0, 4.5, 1.0],
            "start": pd.to_datetime(
                ["2022-01-01", "2024-01-01", None, None, "2023-06-01 08:30", None, None, None],
                format="ISO8601",
            ),
            "end": ["2022-12-31", None, None, None, None, None, None, None],
        }
    )
    return OrgGraph.from_frames(
        people, ties, special=["gender"], metadata={"source": "test", "levels": [1, 2, 3]}
    )


def _assert_same_graph(got: OrgGraph, want: OrgGraph) -> None:
    pd.testing.assert_frame_equal(got.people, want.people)
    pd.testing.assert_frame_equal(got.ties, want.ties)
    assert got.special == want.special
    assert got.metadata == want.metadata


def test_round_trip_is_exact_and_has_the_workspace_dtypes(
    store: Neo4jStore, tmp_path: Path
) -> None:
    graph = rich_graph()
    store.save_graph(graph)
    loaded = store.load_graph()
    _assert_same_graph(loaded, graph)
    with Workspace.open(tmp_path / "ws") as workspace:
        workspace.save_graph(graph)
        _assert_same_graph(loaded, workspace.load_graph())
    # two ties between a and b in the mentoring layer (two periods) are both there
    assert loaded.tie_counts()["mentoring"] == 2


def test_an_empty_store_loads_what_the_workspace_loads(store: Neo4jStore, tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws") as workspace:
        pd.testing.assert_frame_equal(store.load_graph().people, workspace.load_graph().people)
        pd.testing.assert_frame_equal(store.import_log(), workspace.import_log())
        pd.testing.assert_frame_equal(store.decisions(), workspace.decisions())
        pd.testing.assert_frame_equal(store.audit_log(), workspace.audit_log())
        pd.testing.assert_frame_equal(store.load_metrics("x"), workspace.load_metrics("x"))
        pd.testing.assert_frame_equal(store.load_proposals(), workspace.load_proposals())


def test_browsing_the_graph_shows_people_layers_and_the_manager_line(store: Neo4jStore) -> None:
    store.save_graph(rich_graph())
    assert _count(store, "MATCH (p:Person) RETURN count(p)") == 5
    assert (
        _count(
            store,
            "MATCH (:Person {person_id: 'd'})-[:REPORTS_TO]->(m) "
            "WHERE m.person_id = 'b' RETURN count(*)",
        )
        == 1
    )
    assert _count(store, "MATCH ()-[r:REPORTS_TO]->() RETURN count(r)") == 4
    assert _count(store, "MATCH ()-[r:MENTORING]->() RETURN count(r)") == 2
    # the two spellings of the user layer share a type and keep their names apart
    rows = store._auto(
        f"MATCH ()-[r:{relationship_type('shared lunch')}]->() "
        "RETURN r.layer AS layer, count(*) AS n ORDER BY layer"
    )
    assert [(r["layer"], r["n"]) for r in rows] == [("Shared-Lunch", 1), ("shared lunch", 2)]
    person = store._auto("MATCH (p:Person {person_id: 'c'}) RETURN properties(p) AS p")[0]["p"]
    assert person["department"] == "Y" and person["grade"] == "G2"
    assert "name" not in person and "level" not in person  # missing values: no property


def test_layers_without_dates_are_read_without_them_and_older_stores_still_load(
    store: Neo4jStore,
) -> None:
    graph = rich_graph()
    store.save_graph(graph)
    meta = store._meta()
    # "shared lunch" has no dates while "Shared-Lunch", of the same relationship type, has one
    assert json.loads(meta["timeless_layers"]) == ["collaboration", "shared lunch", "sponsorship"]
    _assert_same_graph(store.load_graph(), graph)
    # a store saved before the list existed reads every layer's dates
    store._auto("MATCH (m:OrgbridgeMeta) REMOVE m.timeless_layers")
    _assert_same_graph(store.load_graph(), graph)


def test_a_tie_to_a_node_that_is_not_a_saved_person_is_refused_on_load(
    store: Neo4jStore,
) -> None:
    """Ties are read by the far node's id; one ending outside the saved people (an edit made
    around orgbridge) must fail clearly, never be read as somebody else."""
    store.save_graph(rich_graph())
    store._auto(
        "MATCH (a:Person {person_id: 'a'}) CREATE (a)-[:MENTORING {layer: 'mentoring', "
        "weight: 1.0, _ord: 999}]->(:Stranger {name: 'x'})"
    )
    with pytest.raises(StoreError, match="not a saved person"):
        store.load_graph()


def test_a_save_replaces_people_ties_and_removed_attributes(store: Neo4jStore) -> None:
    store.save_graph(rich_graph())
    smaller = two_silos()
    store.save_graph(smaller, log={"rows_in": 8})
    _assert_same_graph(store.load_graph(), smaller)
    assert _count(store, "MATCH (p:Person) RETURN count(p)") == 8
    assert _count(store, "MATCH (p:Person) WHERE p.grade IS NOT NULL RETURN count(p)") == 0
    assert _count(store, "MATCH ()-[r:MENTORING]->() RETURN count(r)") == 0
    assert _count(store, "MATCH ()-[r:REPORTS_TO]->() RETURN count(r)") == 7
    log = store.import_log()
    assert log["import_id"].tolist() == [1, 2]
    assert log["people"].tolist() == [5, 8]
    assert log["rows_in"].tolist() == [0, 8]


def test_a_batched_save_is_idempotent(store: Neo4jStore) -> None:
    store.atomic_limit = 0  # force the batched (non-transactional) path on a small graph
    graph = lazega()
    for _ in range(2):
        store.save_graph(graph)
    _assert_same_graph(store.load_graph(), graph)
    assert _count(store, "MATCH (p:Person) RETURN count(p)") == graph.n_people
    assert _count(store, "MATCH ()-[r:COLLABORATION]->() RETURN count(r)") == len(
        graph.explicit_ties()
    )
    assert len(store.import_log()) == 2


class _Interrupted(Exception):
    pass


def test_an_interrupted_save_is_refused_then_a_rerun_converges(store: Neo4jStore) -> None:
    store.save_graph(rich_graph())
    store.atomic_limit = 0
    graph = lazega()

    def stop_at_ties(stage: str, done: int, total: int) -> None:
        if stage == "cleanup":  # people and ties written, stale ones not yet deleted
            raise _Interrupted

    with pytest.raises(_Interrupted):
        store.save_graph(graph, progress=stop_at_ties)
    with pytest.raises(StoreError, match="did not finish"):
        store.load_graph()
    assert len(store.import_log()) == 1  # the log entry comes only with a complete save
    store.save_graph(graph)
    _assert_same_graph(store.load_graph(), graph)
    assert _count(store, "MATCH (p:Person) WHERE p.grade IS NOT NULL RETURN count(p)") == 0


def test_a_small_save_that_fails_leaves_the_previous_graph(store: Neo4jStore) -> None:
    before = rich_graph()
    store.save_graph(before)

    def fail(stage: str, done: int, total: int) -> None:
        if stage == "cleanup":
            raise _Interrupted

    with pytest.raises(_Interrupted):
        store.save_graph(lazega(), progress=fail)
    _assert_same_graph(store.load_graph(), before)


def test_metrics_are_kept_exactly_and_shown_on_the_people(store: Neo4jStore) -> None:
    store.save_graph(two_silos())
    table = pd.DataFrame(
        {
            "person_id": ["a1", "a2", "zz"],
            "hops_to_leader": pd.array([0, 1, None], dtype="Int64"),
            "score": [1.0, 0.5, np.nan],
            "group": ["A", "A", None],
        }
    )
    store.save_metrics(table, name="exposure")
    pd.testing.assert_frame_equal(store.load_metrics("exposure"), table)
    props = store._auto(
        "MATCH (p:Person {person_id: 'a2'}) RETURN p.exposure_hops_to_leader AS h, "
        "p.exposure_score AS s"
    )[0]
    assert (props["h"], props["s"]) == (1, 0.5)
    store.save_metrics(table[["person_id", "score"]], name="exposure")
    assert (
        _count(
            store, "MATCH (p:Person) WHERE p.exposure_hops_to_leader IS NOT NULL RETURN count(p)"
        )
        == 0
    )
    # metric properties survive a re-save of the organisation
    store.save_graph(two_silos())
    assert _count(store, "MATCH (p:Person) WHERE p.exposure_score IS NOT NULL RETURN count(p)") == 2


class _Clock:
    def __init__(self) -> None:
        self.tick = 0

    def __call__(self) -> datetime:
        self.tick += 1
        return datetime(2026, 1, 1, 9, 0, self.tick, 123456, tzinfo=UTC)


def test_logs_proposals_and_decisions_match_the_workspace(
    tmp_path: Path, store: Neo4jStore
) -> None:
    neo = connect(clock=_Clock())
    workspace = Workspace.open(tmp_path / "ws", clock=_Clock())
    proposals = pd.DataFrame(
        {
            "a": ["a2", "b3"],
            "b": ["b2", "a4"],
            "kind": ["pair", "pair"],
            "score": [0.9, 0.4],
            "reason": ["bridges A and B", "closes a gap"],
            "exposure_gain": [2, 1],
        }
    )
    try:
        for target in (neo, workspace):
            target.save_graph(two_silos(), log={"rows_in": 9, "rows_loaded": 8, "rows_rejected": 1})
            target.save_proposals("run-1", proposals.iloc[:1], {"seed": 1})
            target.save_proposals("run-2", proposals, {"seed": 2})
            target.record_decision("a2", "b2", kind="pair", decision="approve", by="coord")
            target.record_decision("b3", "a4", kind="pair", decision="decline", by="coord")
            target.record_decision("a2", "b2", kind="pair", decision="lock", by="lead")
            target.audit("export", by="coord", detail={"format": "csv"})
        pd.testing.assert_frame_equal(neo.load_proposals(), workspace.load_proposals())
        pd.testing.assert_frame_equal(neo.load_proposals("run-1"), proposals.iloc[:1])
        assert neo.proposal_parameters("run-2") == workspace.proposal_parameters("run-2")
        pd.testing.assert_frame_equal(neo.decisions(), workspace.decisions())
        assert neo.decisions()["decision"].tolist() == ["decline", "lock"]
        pd.testing.assert_frame_equal(neo.audit_log(), workspace.audit_log())
        pd.testing.assert_frame_equal(neo.import_log(), workspace.import_log())
        assert _count(neo, "MATCH ()-[r:PROPOSED]->() RETURN count(r)") == 3
        rows = neo._auto("MATCH (:Person {person_id: 'a2'})-[d:DECIDED]->() RETURN d.decision")
        assert [r[0] for r in rows] == ["lock"]
    finally:
        neo.close()
        workspace.close()


def test_a_newer_schema_version_is_refused(store: Neo4jStore) -> None:
    store._auto("MATCH (m:OrgbridgeMeta) SET m.schema_version = 99")
    try:
        with pytest.raises(SchemaVersionError, match="schema version 99"):
            connect()
    finally:
        store._auto("MATCH (m:OrgbridgeMeta) SET m.schema_version = 1")


def test_a_wrong_password_says_what_to_check() -> None:
    creds = credentials()
    with pytest.raises(StoreUnavailable, match="ORGBRIDGE_NEO4J_PASSWORD"):
        Neo4jStore.connect(creds["uri"], user=creds["user"], password="not-the-password")


def test_an_unreachable_server_names_host_and_port() -> None:
    with pytest.raises(StoreUnavailable, match=r"127\.0\.0\.1:1 .*neo4j-start"):
        Neo4jStore.connect("neo4j://127.0.0.1:1", user="neo4j", password="x", timeout=1.0)


def _cli(*args: str, password: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, ORGBRIDGE_NEO4J_PASSWORD=password)
    return subprocess.run(
        [sys.executable, "-m", "orgbridge", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def test_the_cli_ingests_into_neo4j_and_reads_it_back(store: Neo4jStore, tmp_path: Path) -> None:
    creds = credentials()
    uri = creds["uri"].replace("bolt://", "neo4j://")
    demo = _cli("demo", "--people", "120", "--seed", "4", "--out", str(tmp_path), password="")
    assert demo.returncode == 0, demo.stderr
    ingest = _cli(
        "ingest",
        "--store",
        uri,
        "--staff",
        str(tmp_path / "staff.csv"),
        "--json",
        password=creds["password"],
    )
    assert ingest.returncode == 0, ingest.stderr
    assert store.load_graph().n_people == 120
    summary = _cli("summary", "--store", uri, password=creds["password"])
    assert summary.returncode == 0 and "120 people" in summary.stdout, summary.stderr


def test_the_cli_exits_non_zero_with_a_clear_message_on_a_wrong_password() -> None:
    done = _cli("summary", "--store", credentials()["uri"], password="not-the-password")
    assert done.returncode != 0
    assert "refused the credentials" in done.stderr and "ORGBRIDGE_NEO4J_PASSWORD" in done.stderr


def test_people_columns_that_clash_with_store_properties_are_refused(store: Neo4jStore) -> None:
    graph = OrgGraph(pd.DataFrame({"person_id": ["a"], "_ord": [3]}))
    with pytest.raises(StoreError, match="_ord"):
        store.save_graph(graph)
