"""The offline import (neo4j-admin database import full) on a real, second Neo4j.

The development server (``make neo4j-start``) is left alone: this module lays out its own
Neo4j home under a temporary folder (the installed jars linked, its own data and port,
``ORGBRIDGE_NEO4J_IMPORT_PORT``, default 7697), imports into it while it is stopped, starts
it once, and stops it at the end.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from orgbridge.errors import StoreError
from orgbridge.graph import OrgGraph
from orgbridge.graph._neo4j import Neo4jStore
from orgbridge.graph._neo4j_home import Neo4jHome
from orgbridge.graph._neo4j_import import (
    IMPORTER_JAVA_OPTIONS,
    ImportResult,
    _write_files,
    import_graph,
    importer_arguments,
)
from orgbridge.graph._neo4j_plan import StorePlan, frame_hash
from tests.graph.test_neo4j_store import rich_graph
from tools import neo4j_server
from tools.neo4j_server import LocalServer

pytestmark = pytest.mark.neo4j

HOSTILE = [
    "a,b",
    'say "hi"',
    "two\nlines",
    "=1+2",
    "  padded ",
    "",
    "tab\there",
    'é;ü \\"q\\" 🙂\\',  # backslashes before a quote and at the end
]


def hostile_graph() -> OrgGraph:
    """Ids, attribute values, a column name and a layer name that break naive CSV."""
    ids = ["x,1", 'q"uote', "new\nline", "=SUM(A1)", "-2+3", "plain", "cr\rhere", "@at"]
    people = pd.DataFrame(
        {
            "person_id": ids,
            "name": HOSTILE,
            "department": pd.Categorical(['R&D, "core"', "Ops\n2"] * 4),
            'note, "odd" name': [None, "x", "", "=cmd|' /C calc'!A0", "y", None, "z", "\\N\\"],
            "score": [1.5, float("inf"), -0.0, 1e300, 5e-324, None, 2.0, -float("inf")],
            "manager_id": [None, "x,1", "x,1", 'q"uote', 'q"uote', "new\nline", "x,1", "plain"],
            "big": pd.array([2**62, -(2**62), 0, None, 1, 2, 3, 4], dtype="Int64"),
        }
    )
    ties = pd.DataFrame(
        {
            "source": ["x,1", "new\nline", "=SUM(A1)", "x,1", "@at"],
            "target": ['q"uote', "=SUM(A1)", "cr\rhere", 'q"uote', "plain"],
            "layer": ['lunch, "daily"\nclub'] * 2 + ["collaboration"] * 3,
            "weight": [0.1, 1 / 3, 2.0, 0.1, 7.25],
        }
    )
    return OrgGraph.from_frames(people, ties, metadata={"note": 'quotes " and, commas\n'})


def imported_graph() -> OrgGraph:
    """Every kind of column (the online store tests' graph) and the hostile strings."""
    rich, hostile = rich_graph(), hostile_graph()
    people = pd.concat([rich.people, hostile.people], ignore_index=True)
    people["department"] = people["department"].astype("category")
    people["grade"] = people["grade"].astype(rich.people["grade"].dtype)
    people["is_leader"] = people["is_leader"].astype("boolean")
    ids = people["person_id"].to_numpy()
    ties = []
    for graph, offset in ((rich, 0), (hostile, rich.n_people)):
        part = graph.explicit_ties()
        part["source"] = ids[part["source"].to_numpy() + offset]
        part["target"] = ids[part["target"].to_numpy() + offset]
        ties.append(part)
    return OrgGraph.from_frames(
        people,
        pd.concat(ties, ignore_index=True),
        special=["gender"],
        metadata={"source": "test", "note": 'quotes " and, commas\n'},
    )


AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture(scope="module")
def second(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """A second Neo4j home, imported into while stopped, then started once."""
    port = int(os.environ.get("ORGBRIDGE_NEO4J_IMPORT_PORT", "7697"))
    server = LocalServer(tmp_path_factory.mktemp("neo4j-second"), port)
    server.lay_out()
    temp = tmp_path_factory.mktemp("import-temp")
    result = import_graph(
        imported_graph(), home=server.home, conf=server.conf, temp_dir=temp, clock=lambda: AT
    )
    server.result = result  # type: ignore[attr-defined]
    server.leftovers = list(temp.iterdir())  # type: ignore[attr-defined]
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def store(second: LocalServer) -> Iterator[Neo4jStore]:
    opened = Neo4jStore.connect(second.uri, user="neo4j", password="unused")
    try:
        yield opened
    finally:
        opened.close()


def _scalar(store: Neo4jStore, query: str, **params: Any) -> Any:
    return store._auto(query, **params)[0][0]


def _assert_same_graph(got: OrgGraph, want: OrgGraph) -> None:
    pd.testing.assert_frame_equal(got.people, want.people)
    pd.testing.assert_frame_equal(got.ties, want.ties)
    assert got.special == want.special
    assert got.metadata == want.metadata


# ---- on the imported, running server (in file order: the last ones change the data) -------


def test_the_import_reports_what_it_wrote_and_leaves_no_files(second: LocalServer) -> None:
    result: ImportResult = second.result  # type: ignore[attr-defined]
    graph = imported_graph()
    assert result.people == graph.n_people == 13
    assert result.ties == {k: v for k, v in graph.tie_counts().items() if k != "reports_to"}
    assert result.reports_to == 4 + 7
    assert result.nodes == 13 + 2  # people, the meta node, the import log
    assert result.relationships == 8 + 5 + 11
    assert set(result.phases) == {"plan", "csv", "neo4j_admin"}
    assert second.leftovers == []  # type: ignore[attr-defined]


def test_the_imported_graph_round_trips_exactly(store: Neo4jStore) -> None:
    graph = imported_graph()
    _assert_same_graph(store.load_graph(), graph)
    assert store.data_stamp() is not None
    log = store.import_log()
    assert log["import_id"].tolist() == [1] and log["people"].tolist() == [13]
    assert log["at"].tolist() == [pd.Timestamp("2026-01-02 03:04:05", tz=UTC)]


def test_each_person_is_the_node_of_its_row_number(store: Neo4jStore) -> None:
    # --id-type=actual: the ties name people by row number, so node ids must be exactly the
    # rows, and _ord (stored separately, since an actual id is not a property) must agree
    rows = store._auto("MATCH (p:Person) RETURN id(p), p._ord, p.person_id ORDER BY p._ord")
    ids = imported_graph().people["person_id"].tolist()
    assert [r[0] for r in rows] == [r[1] for r in rows] == list(range(len(ids)))
    assert [r[2] for r in rows] == ids
    others = store._auto("MATCH (n) WHERE NOT n:Person RETURN labels(n)[0], id(n) ORDER BY id(n)")
    assert [tuple(r) for r in others] == [("OrgbridgeMeta", len(ids)), ("ImportLog", len(ids) + 1)]


def test_hostile_strings_are_stored_as_given(store: Neo4jStore) -> None:
    rows = store._auto("MATCH (p:Person) WHERE p._ord >= 5 RETURN p.name AS n ORDER BY p._ord")
    assert [r["n"] for r in rows] == HOSTILE
    odd = store._auto("MATCH (p:Person {person_id: 'plain'}) RETURN properties(p) AS p")[0]["p"]
    assert 'note, "odd" name' not in odd and "score" not in odd  # missing: no property
    empty = store._auto("MATCH (p:Person {person_id: $i}) RETURN properties(p) AS p", i="new\nline")
    assert empty[0]["p"]['note, "odd" name'] == ""  # an empty text is not a missing one
    row = store._auto(
        "MATCH (a:Person {person_id: $a})-[r]->(b) WHERE r.layer IS NOT NULL "
        "RETURN r.layer AS layer, b.person_id AS b",
        a="new\nline",
    )
    assert [(r["layer"], r["b"]) for r in row] == [('lunch, "daily"\nclub', "=SUM(A1)")]
    inf = store._auto("MATCH (p:Person {person_id: 'q\"uote'}) RETURN p.score AS s")[0]["s"]
    assert inf == float("inf")


def test_plain_cypher_sees_people_layers_weights_and_dates(store: Neo4jStore) -> None:
    assert _scalar(store, "MATCH (p:Person) RETURN count(p)") == 13
    assert _scalar(store, "MATCH ()-[r:REPORTS_TO]->() RETURN count(r)") == 11
    rows = store._auto(
        "MATCH (a)-[r:MENTORING]->(b) RETURN a.person_id AS a, b.person_id AS b, r.weight AS w,"
        " r.start AS s, r.end AS e, r.key AS k ORDER BY r.key"
    )
    assert [(r["a"], r["b"], r["w"], r["s"], r["e"], r["k"]) for r in rows] == [
        ("a", "b", 1.0, "2022-01-01", "2022-12-31", 0),
        ("a", "b", 1.0, "2024-01-01", None, 1),
    ]
    person = _scalar(store, "MATCH (p:Person {person_id: 'c'}) RETURN properties(p)")
    assert person["department"] == "Y" and person["grade"] == "G2" and person["capacity"] == 1.0
    assert "name" not in person and "level" not in person  # missing: no property
    assert _scalar(store, "MATCH (p:Person {person_id: 'd'}) RETURN p.level") == 3
    shared = store._auto(
        "MATCH ()-[r:SHARED_LUNCH]->() RETURN r.layer AS layer, count(*) AS n ORDER BY layer"
    )
    assert [(r["layer"], r["n"]) for r in shared] == [("Shared-Lunch", 1), ("shared lunch", 2)]


def test_opening_creates_the_person_id_constraint(store: Neo4jStore) -> None:
    rows = store._auto(
        "SHOW CONSTRAINTS YIELD labelsOrTypes, properties, type "
        "WHERE labelsOrTypes = ['Person'] AND properties = ['person_id'] RETURN type"
    )
    assert [r["type"] for r in rows] == ["UNIQUENESS"]


def test_the_import_refuses_while_the_server_runs(second: LocalServer, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is running"):
        import_graph(imported_graph(), home=second.home, conf=second.conf, overwrite=True)


def test_an_unchanged_online_resave_writes_nothing(store: Neo4jStore) -> None:
    store.save_graph(imported_graph())
    wrote = {k: v for k, v in store.last_save.items() if v and k != "people_stored"}
    assert wrote == {}
    assert len(store.import_log()) == 2


def test_a_changed_layer_resave_rewrites_only_that_layer(store: Neo4jStore) -> None:
    graph = imported_graph()
    ties = graph.explicit_ties()
    ties.loc[ties["layer"] == "collaboration", "weight"] *= 2
    changed = OrgGraph(graph.people, ties, special=graph.special, metadata=graph.metadata)
    store.save_graph(changed)
    wrote = {k: v for k, v in store.last_save.items() if v and k != "people_stored"}
    assert wrote == {"ties_updated": 5}  # the collaboration ties, in place
    _assert_same_graph(store.load_graph(), changed)


def test_a_database_with_duplicate_ids_and_no_constraint_is_refused(
    second: LocalServer, store: Neo4jStore
) -> None:
    store._auto("DROP CONSTRAINT person_id")
    store._auto("CREATE (:Person {person_id: 'a'}), (:Person {person_id: 'a'})")
    try:
        with pytest.raises(StoreError, match=r"duplicate person_id.*'a'"):
            Neo4jStore.connect(second.uri, user="neo4j", password="unused")
    finally:
        store._auto("MATCH (p:Person {person_id: 'a'}) WHERE p._ord IS NULL DELETE p")
    Neo4jStore.connect(second.uri, user="neo4j", password="unused").close()
    test_opening_creates_the_person_id_constraint(store)


def test_the_server_maps_its_classes_from_the_class_data_archive(tmp_path: Path) -> None:
    """install makes the archive (here: made if missing); a server then maps it."""
    archive = neo4j_server.make_class_archive()
    assert archive is not None and archive == neo4j_server.class_archive() and archive.is_file()
    with _fresh_server(tmp_path) as server:
        assert f"-XX:SharedArchiveFile={archive}" in _command_line(server.pid)
        assert str(archive) in Path(f"/proc/{server.pid}/maps").read_text()  # mapped: used


def test_a_damaged_class_data_archive_only_costs_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    damaged = tmp_path / "server-damaged.jsa"
    damaged.write_bytes(b"not an archive" * 1000)
    monkeypatch.setattr(neo4j_server, "class_archive", lambda: damaged)
    with _fresh_server(tmp_path) as server:
        assert f"-XX:SharedArchiveFile={damaged}" in _command_line(server.pid)
        with Neo4jStore.connect(server.uri, user="neo4j", password="unused") as store:
            assert _scalar(store, "RETURN 1") == 1


@contextlib.contextmanager
def _fresh_server(tmp_path: Path) -> Iterator[Any]:
    """A started second server in a new folder on a free port (its ``pid`` set), stopped after."""
    server = LocalServer(tmp_path / "neo4j", neo4j_server.free_port())
    server.lay_out()
    server.start()
    try:
        assert server.pid is not None
        yield server
    finally:
        server.stop()


def _command_line(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")


# ---- refusals before any store file is touched (no server needed) --------------------------


def _fake_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    (home / "lib").mkdir(parents=True)
    (home / "lib" / "neo4j.jar").write_bytes(b"")
    return home


def test_an_existing_database_is_kept_without_overwrite(tmp_path: Path) -> None:
    home = _fake_home(tmp_path)
    (home / "data" / "databases" / "neo4j").mkdir(parents=True)
    (home / "data" / "databases" / "neo4j" / "neostore").write_bytes(b"x")
    with pytest.raises(StoreError, match="already exists"):
        import_graph(rich_graph(), home=home)


def test_a_folder_without_neo4j_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not a Neo4j installation"):
        import_graph(rich_graph(), home=tmp_path)


def test_a_column_of_lists_is_refused(tmp_path: Path) -> None:
    graph = rich_graph()
    people = graph.people.assign(at=[time(9), time(10), None, time(11), time(12, 30)])
    with pytest.raises(StoreError, match="'at' holds values of type time64"):
        import_graph(graph.with_people(people), home=_fake_home(tmp_path))
    assert not (tmp_path / "home" / "data").exists()


def test_the_files_are_owner_only_and_quote_every_text(tmp_path: Path) -> None:
    plan = StorePlan(hostile_graph(), {}, None, "2026-01-01T00:00:00")
    files = _write_files(plan, tmp_path)
    people = (tmp_path / "people.csv").read_text(encoding="utf-8")
    assert people.startswith('":ID","_ord:long","person_id:string","_h:long","name:string"')
    assert people.splitlines()[1].startswith("0,0,")
    meta, log = ((tmp_path / f"{x}.csv").read_text().splitlines() for x in ("meta", "log"))
    assert meta[0].startswith('":ID",') and meta[1].startswith("8,")  # after the 8 people
    assert log[0].startswith('":ID",') and log[1].startswith("9,")
    ties = (tmp_path / "ties-0-0.csv").read_text().splitlines()[0]
    assert ties.startswith('":START_ID",":END_ID"')
    assert '"x,1"' in people and '"q""uote"' in people and '"=SUM(A1)"' in people
    assert '"Infinity"' in people and '"-0"' in people
    for path in tmp_path.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert tmp_path / "people.csv" in files.multiline  # a value holds a line break
    assert files.nodes == 8 + 2 and files.relationships == 5 + 7


def test_the_layer_digest_is_the_content_hash_of_the_layer(tmp_path: Path) -> None:
    for graph in (rich_graph(), hostile_graph()):
        plan = StorePlan(graph, {}, None, "x")
        ids = np.asarray(plan.ids, dtype=object)
        ties = graph.explicit_ties()
        for layer in plan.layers[:-1]:
            part = ties[(ties["layer"] == layer.name).to_numpy()]
            content = pd.DataFrame(
                {
                    "source": ids[part["source"].to_numpy()].astype(str),
                    "target": ids[part["target"].to_numpy()].astype(str),
                    "weight": part["weight"].to_numpy(dtype=np.float64),
                    "start": part["start"].to_numpy(dtype="datetime64[ns]"),
                    "end": part["end"].to_numpy(dtype="datetime64[ns]"),
                }
            )
            assert layer.digest == frame_hash(content)
        line = plan.layers[-1]
        reports = graph.ties[(graph.ties["layer"] == "reports_to").to_numpy()]
        content = pd.DataFrame(
            {
                "source": ids[reports["source"].to_numpy()].astype(str),
                "target": ids[reports["target"].to_numpy()].astype(str),
            }
        )
        assert line.digest == frame_hash(content)


def test_home_reads_the_data_folder_from_the_configuration(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "x.jar").write_bytes(b"")
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "neo4j.conf").write_text("server.directories.data=store\n")
    home = Neo4jHome.locate(tmp_path)
    assert home.data == tmp_path.resolve() / "store" and not home.is_running()
    assert home.admin_command()[-1] == "org.neo4j.cli.AdminTool"
    command = home.admin_command(IMPORTER_JAVA_OPTIONS)
    assert command[1 : 1 + len(IMPORTER_JAVA_OPTIONS)] == list(IMPORTER_JAVA_OPTIONS)
    assert home.environment(IMPORTER_JAVA_OPTIONS).get("JAVA_OPTS") == os.environ.get("JAVA_OPTS")


def test_a_distribution_script_gets_the_java_options_unless_the_operator_set_some(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "bin").mkdir()
    script = tmp_path / "bin" / "neo4j-admin"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    home = Neo4jHome.locate(tmp_path)
    assert home.admin_command(IMPORTER_JAVA_OPTIONS) == [str(script)]
    for name in ("JAVA_OPTS", "HEAP_SIZE"):
        monkeypatch.delenv(name, raising=False)
    assert home.environment(IMPORTER_JAVA_OPTIONS)["JAVA_OPTS"] == " ".join(IMPORTER_JAVA_OPTIONS)
    assert "JAVA_OPTS" not in home.environment()
    monkeypatch.setenv("HEAP_SIZE", "4g")  # JAVA_OPTS would override the operator's heap
    assert "JAVA_OPTS" not in home.environment(IMPORTER_JAVA_OPTIONS)
    monkeypatch.setenv("JAVA_OPTS", "-Xmx2g")
    assert home.environment(IMPORTER_JAVA_OPTIONS)["JAVA_OPTS"] == "-Xmx2g"


def test_the_importer_arguments_skip_nothing_and_name_multiline_files(tmp_path: Path) -> None:
    plan = StorePlan(hostile_graph(), {}, None, "2026-01-01T00:00:00")
    files = _write_files(plan, tmp_path)
    arguments = importer_arguments("neo4j", files, tmp_path, overwrite=False, threads=None)
    assert arguments[:4] == ["database", "import", "full", "neo4j"]
    assert f"--nodes=Person={tmp_path / 'people.csv'}" in arguments
    assert "--bad-tolerance=0" in arguments and "--trim-strings=false" in arguments
    assert not any(a.startswith(("--overwrite", "--threads")) for a in arguments)
    named = [a for a in arguments if a.startswith("--multiline-fields=")]
    assert named == ["--multiline-fields=" + ",".join(str(p) for p in files.multiline)]
    assert "--multiline-fields-format=v2" in arguments
    files.multiline = [Path("/tmp/a (copy)/people.csv")]  # not a plain path: every file
    files.longest = 10 * 2**20  # a value longer than the default read buffer
    odd = importer_arguments("neo4j", files, tmp_path, overwrite=True, threads=2)
    assert "--multiline-fields=true" in odd and "--multiline-fields-format=v2" not in odd
    assert f"--read-buffer-size={21 * 2**20}" in odd
    assert "--overwrite-destination=true" in odd and "--threads=2" in odd
