"""Bulk saving on a real Neo4j server: first load by CREATE, re-saves write only what changed.

Each test starts from an empty database. "Untouched" is checked by element ids: a
relationship or node that was not rewritten keeps its element id, one that was deleted and
created again gets a new one.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orgbridge.errors import StoreError
from orgbridge.graph import OrgGraph
from orgbridge.graph._neo4j import Neo4jStore
from tests.neo4j_support import connect, empty_database

pytestmark = pytest.mark.neo4j


@pytest.fixture
def store() -> Iterator[Neo4jStore]:
    opened = connect()
    empty_database(opened)
    try:
        yield opened
    finally:
        opened.close()


def make_graph(n_people: int, n_ties: int, seed: int) -> OrgGraph:
    """Three layers interleaved, repeated pairs, periods on mentoring, a manager tree."""
    rng = np.random.default_rng(seed)
    ids = [f"E{i:05d}" for i in range(n_people)]
    people = pd.DataFrame(
        {
            "person_id": ids,
            "department": rng.choice(["A", "B", "C"], n_people),
            "grade": pd.array(rng.integers(1, 5, n_people), dtype="Int64"),
            "manager_id": [None] + [ids[(i - 1) // 4] for i in range(1, n_people)],
        }
    )
    source = rng.integers(0, n_people, n_ties).astype(np.int32)
    target = ((source + rng.integers(1, 8, n_ties)) % n_people).astype(np.int32)
    layer = rng.choice(["collaboration", "mentoring", "sponsorship"], n_ties, p=[0.7, 0.2, 0.1])
    start = pd.Series(pd.NaT, index=range(n_ties), dtype="datetime64[ns]")
    mentoring = layer == "mentoring"
    start[mentoring] = pd.Timestamp("2024-01-01") + pd.to_timedelta(
        rng.integers(0, 300, int(mentoring.sum())), unit="D"
    )
    ties = pd.DataFrame(
        {
            "source": source,
            "target": target,
            "layer": layer,
            "weight": np.round(rng.random(n_ties), 3),
            "start": start,
            "end": start + pd.Timedelta(days=90),
        }
    )
    return OrgGraph(people, ties)


def with_layer_changed(graph: OrgGraph, layer: str) -> OrgGraph:
    ties = graph.explicit_ties()
    where = np.flatnonzero((ties["layer"] == layer).to_numpy())
    ties.loc[where, "weight"] = ties.loc[where, "weight"] + 1.0
    ties = ties.drop(index=where[::5]).reset_index(drop=True)
    return OrgGraph(graph.people, ties)


def assert_same(loaded: OrgGraph, graph: OrgGraph) -> None:
    pd.testing.assert_frame_equal(loaded.people, graph.people)
    pd.testing.assert_frame_equal(loaded.ties, graph.ties)


def element_ids(store: Neo4jStore, rel_type: str) -> set[str]:
    rows = store._auto(f"MATCH ()-[t:{rel_type}]->() RETURN collect(elementId(t)) AS ids")
    return set(rows[0]["ids"])


def count(store: Neo4jStore, pattern: str) -> int:
    return int(store._auto(f"MATCH {pattern} RETURN count(*) AS n")[0]["n"])


# ---- first load --------------------------------------------------------------------------


@st.composite
def graphs(draw: st.DrawFn) -> OrgGraph:
    n = draw(st.integers(1, 12))
    ids = draw(
        st.lists(
            st.text("abcXYZ 0-9é", min_size=1, max_size=6), min_size=n, max_size=n, unique=True
        )
    )
    note = draw(st.lists(st.none() | st.text(max_size=5), min_size=n, max_size=n))
    people = pd.DataFrame({"person_id": ids, "note": pd.Series(note, dtype="str")})
    n_ties = draw(st.integers(0, 25))
    ends = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda t: t[0] != t[1])
    pairs = draw(st.lists(ends, min_size=n_ties, max_size=n_ties)) if n > 1 else []
    layers = draw(
        st.lists(
            st.sampled_from(["collaboration", "mentoring", "shared lunch", "shared_lunch"]),
            min_size=len(pairs),
            max_size=len(pairs),
        )
    )
    weights = draw(
        st.lists(st.floats(0.01, 100, allow_nan=False), min_size=len(pairs), max_size=len(pairs))
    )
    days = draw(
        st.lists(st.none() | st.integers(0, 5000), min_size=len(pairs), max_size=len(pairs))
    )
    start = pd.Series(
        [pd.NaT if d is None else pd.Timestamp("2015-01-01") + pd.Timedelta(days=d) for d in days],
        dtype="datetime64[ns]",
    )
    ties = pd.DataFrame(
        {
            "source": np.array([p[0] for p in pairs], dtype=np.int32),
            "target": np.array([p[1] for p in pairs], dtype=np.int32),
            "layer": pd.Series(layers, dtype="str"),
            "weight": np.array(weights, dtype=np.float64),
            "start": start,
            "end": start,
        }
    )
    return OrgGraph(people, ties if len(pairs) else None)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graph=graphs(), batched=st.booleans())
def test_first_load_then_read_gives_the_input_exactly(graph: OrgGraph, batched: bool) -> None:
    with connect() as store:
        empty_database(store)
        store.atomic_limit = 0 if batched else 20_000
        store.save_graph(graph)
        assert store.last_save["people_created"] == graph.n_people
        assert_same(store.load_graph(), graph)


# ---- re-saves ----------------------------------------------------------------------------


@st.composite
def resaves(draw: st.DrawFn) -> tuple[OrgGraph, OrgGraph]:
    """Two graphs: independent ones, or the second the first with ties dropped, moved,
    re-weighted or re-dated (what a monthly re-import does)."""
    first = draw(graphs())
    if draw(st.booleans()):
        return first, draw(graphs())
    ties = first.explicit_ties()
    n = len(ties)
    keep = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    ties = ties[np.array(keep, dtype=bool)] if n else ties
    order = draw(st.permutations(range(len(ties))))
    ties = ties.iloc[list(order)].reset_index(drop=True)
    bump = draw(st.lists(st.sampled_from([0.0, 1.5]), min_size=len(ties), max_size=len(ties)))
    ties["weight"] = ties["weight"] + np.array(bump)
    if len(ties) and draw(st.booleans()):
        ties.loc[0, "start"] = pd.NaT
    return first, OrgGraph(first.people, ties if len(ties) else None)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pair=resaves(), batched=st.booleans())
def test_any_resave_reads_back_as_the_new_graph_exactly(
    pair: tuple[OrgGraph, OrgGraph], batched: bool
) -> None:
    first, second = pair
    with connect() as store:
        empty_database(store)
        store.atomic_limit = 0 if batched else 20_000
        store.save_graph(first)
        store.save_graph(second)
        assert_same(store.load_graph(), second)
        n_ties = int(count(store, "(:Person)-[t]->(:Person) WHERE type(t) <> 'REPORTS_TO'"))
        assert n_ties == len(second.explicit_ties())
        store.save_graph(second)
        wrote = {k: v for k, v in store.last_save.items() if v and k != "people_stored"}
        assert wrote == {}


@pytest.mark.parametrize("batched", [False, True])
def test_changing_one_layer_rewrites_only_that_layer(store: Neo4jStore, batched: bool) -> None:
    store.atomic_limit = 0 if batched else 1_000_000
    graph = make_graph(400, 3_000, seed=1)
    store.save_graph(graph)
    before = {t: element_ids(store, t) for t in ("COLLABORATION", "SPONSORSHIP", "REPORTS_TO")}
    people = store._auto("MATCH (p:Person) RETURN collect(elementId(p)) AS ids")[0]["ids"]
    mentoring_before = element_ids(store, "MENTORING")

    changed = with_layer_changed(graph, "mentoring")
    store.save_graph(changed)

    # every kept mentoring tie changed weight: updated in place; one in five was dropped
    n_mentoring = int((changed.explicit_ties()["layer"] == "mentoring").sum())
    assert store.last_save["ties_updated"] == n_mentoring
    assert store.last_save["ties_deleted"] == len(mentoring_before) - n_mentoring
    assert store.last_save["ties_created"] == 0
    assert store.last_save["people_created"] == store.last_save["people_updated"] == 0
    for rel_type, ids in before.items():
        assert element_ids(store, rel_type) == ids, f"{rel_type} was rewritten"
    assert element_ids(store, "MENTORING") < mentoring_before
    assert store._auto("MATCH (p:Person) RETURN collect(elementId(p)) AS ids")[0]["ids"] == people
    resaved = store.load_graph()
    assert_same(resaved, changed)

    empty_database(store)
    store.save_graph(changed)
    assert_same(store.load_graph(), resaved)  # the same as a fresh load


def test_updates_and_deletes_in_concurrent_small_batches_land_exactly(
    store: Neo4jStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Dozens of update and delete transactions two at a time, on few people: the deletes
    # share their end nodes, so the server may find deadlocks between them; each must be
    # retried, none lost or applied twice.
    monkeypatch.setattr("orgbridge.graph._neo4j_save.TIE_BATCH", 37)
    monkeypatch.setattr("orgbridge.graph._neo4j_resave.DELETE_BATCH", 11)
    store.atomic_limit = 0  # the batched path, one transaction per batch
    graph = make_graph(30, 1_500, seed=11)
    store.save_graph(graph)
    changed = with_layer_changed(with_layer_changed(graph, "collaboration"), "mentoring")
    ties = changed.explicit_ties()
    dated = np.flatnonzero((ties["layer"] == "mentoring").to_numpy())[::3]
    ties.loc[dated, "start"] = ties.loc[dated, "start"] + pd.Timedelta(days=1)
    changed = OrgGraph(changed.people, ties)
    store.save_graph(changed)
    assert store.last_save["ties_deleted"] > 10 * 11
    assert store.last_save["ties_updated"] > 10 * 37
    assert_same(store.load_graph(), changed)
    n_ties = int(count(store, "(:Person)-[t]->(:Person) WHERE type(t) <> 'REPORTS_TO'"))
    assert n_ties == len(changed.explicit_ties())
    store.save_graph(changed)
    assert store.last_save.get("ties_updated", 0) == store.last_save["ties_created"] == 0


def test_saving_the_same_graph_again_writes_nothing(store: Neo4jStore) -> None:
    graph = make_graph(200, 1_000, seed=2)
    store.save_graph(graph)
    store.save_graph(graph)
    wrote = store.last_save
    assert wrote["ties_created"] == wrote.get("ties_deleted", 0) == 0
    assert wrote["people_created"] == wrote["people_updated"] == wrote["people_deleted"] == 0
    assert_same(store.load_graph(), graph)
    assert len(store.import_log()) == 2


def test_removed_people_and_ties_are_gone(store: Neo4jStore) -> None:
    store.atomic_limit = 0
    graph = make_graph(300, 2_000, seed=3)
    store.save_graph(graph)
    keep = np.ones(graph.n_people, dtype=bool)
    keep[[5, 17, 250]] = False  # leaves of the manager tree would be simplest; any works
    people = graph.people[keep].reset_index(drop=True)
    people.loc[~people["manager_id"].isin(people["person_id"]), "manager_id"] = None
    old_ids = graph.people["person_id"].to_numpy()
    ties = graph.tie_table("all")
    ties = ties[(ties["layer"] != "reports_to").to_numpy()]
    ties = ties[ties["source"].isin(people["person_id"]) & ties["target"].isin(people["person_id"])]
    ties = ties[ties["layer"] != "sponsorship"]  # a whole layer removed
    position = pd.Series(range(len(people)), index=people["person_id"])
    smaller = OrgGraph(
        people,
        pd.DataFrame(
            {
                "source": position[ties["source"]].to_numpy().astype(np.int32),
                "target": position[ties["target"]].to_numpy().astype(np.int32),
                "layer": ties["layer"].to_numpy(),
                "weight": ties["weight"].to_numpy(),
                "start": ties["start"].to_numpy(),
                "end": ties["end"].to_numpy(),
            }
        ),
    )
    store.save_graph(smaller)
    assert store.last_save["people_deleted"] == 3
    assert_same(store.load_graph(), smaller)
    assert count(store, "(p:Person)") == smaller.n_people
    gone = [str(i) for i in old_ids[~keep]]
    assert count(store, f"(p:Person) WHERE p.person_id IN {gone!r}") == 0
    assert count(store, "()-[:SPONSORSHIP]->()") == 0
    explicit = smaller.explicit_ties()
    assert count(store, "()-[:COLLABORATION|MENTORING]->()") == len(explicit)
    assert count(store, "()-[:REPORTS_TO]->()") == smaller.tie_counts()["reports_to"]


# ---- interrupted saves -------------------------------------------------------------------


class Interrupt(Exception):
    pass


def _interrupt_after(stage: str, calls: int) -> object:
    seen = {"n": 0}

    def progress(at: str, done: int, total: int) -> None:
        if at == stage:
            seen["n"] += 1
            if seen["n"] > calls:
                raise Interrupt(at)

    return progress


@pytest.mark.parametrize(("stage", "calls"), [("people", 0), ("ties", 1)])
def test_an_interrupted_resave_leaves_a_store_that_refuses_then_converges(
    store: Neo4jStore, stage: str, calls: int
) -> None:
    store.atomic_limit = 0
    graph = make_graph(1_500, 60_000, seed=4)
    store.save_graph(graph)
    changed = with_layer_changed(graph, "collaboration")
    people = changed.people.copy()
    people.loc[::7, "department"] = "Z"  # some people changed too
    changed = OrgGraph(people, changed.explicit_ties())
    with pytest.raises(Interrupt):
        store.save_graph(changed, progress=_interrupt_after(stage, calls))  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="did not finish"):
        store.load_graph()
    store.save_graph(changed)
    assert_same(store.load_graph(), changed)
    dupes = count(
        store,
        "(a:Person)-[t:COLLABORATION|MENTORING|SPONSORSHIP]->(b:Person) "
        "WITH a, b, t.layer AS l, t.key AS k, count(*) AS c WHERE c > 1",
    )
    assert dupes == 0
    # An interrupted save followed by saving a different graph also converges.
    with pytest.raises(Interrupt):
        store.save_graph(graph, progress=_interrupt_after("ties", 1))  # type: ignore[arg-type]
    other = make_graph(900, 5_000, seed=5)
    store.save_graph(other)
    assert_same(store.load_graph(), other)
    assert count(store, "(p:Person)") == 900


def test_a_person_removed_by_someone_else_mid_save_is_an_error_not_a_lost_tie(
    store: Neo4jStore,
) -> None:
    """Ties find their ends by node id: when another client deletes a person after the
    save has written people, the tie batch that needs them says so, and saving again
    gives exactly the intended graph."""
    store.atomic_limit = 0
    graph = make_graph(400, 3_000, seed=6)
    other = connect()
    removed = {"done": False}

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "ties" and not removed["done"]:
            removed["done"] = True
            other._auto("MATCH (p:Person {person_id: 'E00007'}) DETACH DELETE p")

    try:
        with pytest.raises(StoreError, match=r"lost an end.*Run the save again"):
            store.save_graph(graph, progress=progress)
    finally:
        other.close()
    with pytest.raises(StoreError, match="did not finish"):
        store.load_graph()
    store.save_graph(graph)
    assert_same(store.load_graph(), graph)


def test_new_managers_rewrite_only_their_reporting_lines(store: Neo4jStore) -> None:
    store.atomic_limit = 0
    graph = make_graph(400, 1_000, seed=7)
    store.save_graph(graph)
    before = element_ids(store, "REPORTS_TO")
    people = graph.people.copy()
    people.loc[[10, 20, 30], "manager_id"] = "E00001"  # they reported to E00002, 4 and 7
    changed = OrgGraph(people, graph.explicit_ties())
    store.save_graph(changed)
    wrote = {k: v for k, v in store.last_save.items() if v and k != "people_stored"}
    assert wrote == {
        "people_updated": 3,
        "ties_deleted": 3,
        "ties_created": 3,
        "ties_unchanged": 399 - 3,
    }
    assert len(before - element_ids(store, "REPORTS_TO")) == 3
    assert_same(store.load_graph(), changed)
