"""The store contract: every store keeps an organisation and its logs the same way.

These tests talk to a store only through the ``Store`` protocol, so the same tests run
against the DuckDB workspace and the Neo4j store (see ``conftest.py``).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from orgbridge.graph import OrgGraph
from orgbridge.graph._stamp import data_stamp
from orgbridge.graph._store import Store


def org() -> OrgGraph:
    people = pd.DataFrame(
        {
            "person_id": ["d", "a", "c", "b"],
            "name": ["Dee", "Ann", "Cy", "Bo"],
            "department": ["Eng", "Ops", "Eng", None],
            "level": [3, 7, 4, 2],
            "manager_id": ["c", None, "a", "a"],
            "is_leader": [False, True, False, False],
            "capacity": [1.0, 2.0, np.nan, 0.0],
        }
    )
    ties = pd.DataFrame(
        {
            "source": ["d", "b", "a", "b"],
            "target": ["b", "d", "d", "c"],
            "layer": ["collaboration", "collaboration", "sponsorship", "mentoring"],
            "weight": [0.5, 2.0, 1.0, 1.0],
            "start": pd.to_datetime([None, None, "2024-02-01", "2023-09-01"]),
            "end": pd.to_datetime([None, None, None, "2024-08-31"]),
        }
    )
    return OrgGraph.from_frames(people, ties, special=["department"], metadata={"v": 1})


def test_the_store_satisfies_the_protocol(store: Store) -> None:
    assert isinstance(store, Store)


def test_an_empty_store_has_no_people_and_no_logs(store: Store) -> None:
    graph = store.load_graph()
    assert graph.n_people == 0
    assert graph.tie_counts() == {}
    assert store.import_log().empty
    assert store.decisions().empty
    assert store.audit_log().empty
    assert store.load_metrics("exposure").empty
    assert store.load_proposals().empty


def test_save_then_load_gives_back_the_same_organisation(store: Store) -> None:
    graph = org()
    store.save_graph(graph, log={"rows_in": 8, "rows_loaded": 8, "rows_rejected": 0})
    loaded = store.load_graph()
    assert loaded.ids.tolist() == ["d", "a", "c", "b"]
    pd.testing.assert_frame_equal(loaded.people, graph.people)
    pd.testing.assert_frame_equal(loaded.tie_table("all"), graph.tie_table("all"))
    assert loaded.tie_counts() == {
        "collaboration": 2,
        "mentoring": 1,
        "reports_to": 3,
        "sponsorship": 1,
    }
    assert loaded.special == frozenset({"department"})
    assert loaded.metadata == {"v": 1}


def test_a_second_save_replaces_the_first_and_both_are_logged(store: Store) -> None:
    store.save_graph(org(), log={"rows_in": 8, "rows_loaded": 7, "rows_rejected": 1})
    smaller = OrgGraph(pd.DataFrame({"person_id": ["x", "y"], "manager_id": [None, "x"]}))
    store.save_graph(smaller, log={"rows_in": 2, "rows_loaded": 2, "rows_rejected": 0})
    assert store.load_graph().tie_counts() == {"reports_to": 1}
    log = store.import_log()
    assert log["people"].tolist() == [4, 2]
    assert log["rows_in"].tolist() == [8, 2]
    assert log["rows_loaded"].tolist() == [7, 2]
    assert log["rows_rejected"].tolist() == [1, 0]
    assert json.loads(log["report"].iloc[0])["rows_rejected"] == 1
    assert log["at"].is_monotonic_increasing
    assert str(log["at"].dt.tz) == "UTC"


def test_metrics_round_trip_and_replace(store: Store) -> None:
    table = pd.DataFrame({"person_id": ["a", "b"], "hops": [1, 2], "reach": [0.25, 0.0]})
    store.save_metrics(table, name="exposure")
    got = store.load_metrics("exposure").sort_values("person_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, table, check_dtype=False)
    store.save_metrics(table.iloc[1:], name="exposure")
    assert store.load_metrics("exposure")["person_id"].tolist() == ["b"]


def test_the_data_stamp_is_the_content_hash_of_what_was_saved(store: Store) -> None:
    assert store.data_stamp() is None
    store.save_graph(org())
    first = store.data_stamp()
    assert first == data_stamp(org()) == data_stamp(store.load_graph())
    store.save_graph(org())  # the same data again: the same stamp
    assert store.data_stamp() == first
    changed = org()
    people = changed.people.assign(level=[3, 7, 4, 5])
    store.save_graph(OrgGraph(people, changed.explicit_ties(), special=["department"]))
    assert store.data_stamp() not in (None, first)
    assert store.data_stamp() == data_stamp(store.load_graph())


def test_metrics_keep_what_they_were_computed_from(store: Store) -> None:
    table = pd.DataFrame({"person_id": ["a", "b"], "hops": [1, 2]})
    assert store.metrics_about("analysis") == {}
    about = {"data": "f00d", "layers": ["collaboration"], "seed": 0, "as_of": None}
    store.save_metrics(table, name="analysis", about=about)
    assert store.metrics_about("analysis") == about
    assert store.metrics_about("other") == {}
    store.save_metrics(table, name="analysis")  # saved without: nothing is claimed
    assert store.metrics_about("analysis") == {}


def test_programme_tables_round_trip_and_replace_by_name(store: Store) -> None:
    assert store.load_programme() == {}
    matches = pd.DataFrame(
        {
            "match_id": ["c1:a:b"],
            "a": ["a"],
            "b": ["b"],
            "status": ["approved"],
            "changed_at": pd.to_datetime(["2026-01-05 10:00"], utc=True),
        }
    )
    cycles = pd.DataFrame(
        {"cycle_id": ["c1"], "start": pd.to_datetime(["2026-01-01"]), "end": [pd.NaT]}
    )
    store.save_programme({"matches": matches, "cycles": cycles})
    got = store.load_programme()
    assert sorted(got) == ["cycles", "matches"]
    pd.testing.assert_frame_equal(got["matches"], matches, check_dtype=False)
    pd.testing.assert_frame_equal(got["cycles"], cycles, check_dtype=False)
    store.save_programme({"matches": matches.assign(status=["active"])})
    again = store.load_programme()
    assert again["matches"]["status"].tolist() == ["active"] and len(again["cycles"]) == 1


def test_proposals_of_the_latest_or_a_named_run(store: Store) -> None:
    first = pd.DataFrame(
        {"a": ["a"], "b": ["d"], "kind": ["pair"], "score": [0.5], "reason": ["bridges"]}
    )
    second = first.assign(b=["c"], score=[0.75])
    store.save_proposals("run-1", first, {"seed": 1})
    store.save_proposals("run-2", second, {"seed": 2})
    columns = ["a", "b", "kind", "score", "reason"]
    latest = store.load_proposals()[columns].reset_index(drop=True)
    pd.testing.assert_frame_equal(latest, second, check_dtype=False)
    named = store.load_proposals("run-1")[columns].reset_index(drop=True)
    pd.testing.assert_frame_equal(named, first, check_dtype=False)


def test_the_latest_decision_per_pair_wins_and_is_audited(store: Store) -> None:
    store.record_decision("a", "d", kind="pair", decision="approve", by="coordinator")
    store.record_decision("b", "c", kind="pair", decision="lock", by="coordinator")
    store.record_decision("a", "d", kind="pair", decision="decline", by="lead")
    decisions = store.decisions().sort_values("a").reset_index(drop=True)
    assert decisions[["a", "b", "kind", "decision", "by"]].values.tolist() == [
        ["a", "d", "pair", "decline", "lead"],
        ["b", "c", "pair", "lock", "coordinator"],
    ]
    assert len(store.audit_log()) == 3


@pytest.mark.parametrize("detail", [None, {"format": "graphml", "people": 4}])
def test_the_audit_log_appends_in_order(store: Store, detail: dict[str, object] | None) -> None:
    store.audit("ingest", by="alice", detail={"files": 2})
    store.audit("export", by="bob", detail=detail)
    log = store.audit_log()
    assert log["action"].tolist() == ["ingest", "export"]
    assert log["by"].tolist() == ["alice", "bob"]
    assert json.loads(log["detail"].iloc[0]) == {"files": 2}
    assert json.loads(log["detail"].iloc[1]) == (detail or {})
    assert log["at"].is_monotonic_increasing
