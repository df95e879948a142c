"""The app reuses the per-person metrics ``orgbridge analyze`` saved, only while they hold.

Every test runs on both stores (DuckDB workspace and Neo4j). The yardstick is always a fresh
computation by the metric functions on the loaded graph, never the app's cache.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from orgbridge import metrics
from orgbridge.app.auth import User
from orgbridge.app.services import Services
from orgbridge.cli import main
from orgbridge.graph import OrgGraph
from orgbridge.graph._store import Store
from orgbridge.graph._workspace import Workspace
from orgbridge.metrics._saved import SAVED_METRICS
from tests.app.org import small_org

COORDINATOR = User("c", "coordinator")


@pytest.fixture(params=["duckdb", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def target(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Store, list[str]]]:
    """An empty store and the CLI arguments that name it."""
    if request.param == "duckdb":
        folder = tmp_path / "ws"
        store: Store = Workspace.open(folder)
        args = ["--workspace", str(folder)]
    else:
        from tests.neo4j_support import connect, credentials, empty_database

        neo4j = connect()
        empty_database(neo4j)
        store = neo4j
        creds = credentials()
        monkeypatch.setenv("ORGBRIDGE_NEO4J_USER", creds["user"])
        monkeypatch.setenv("ORGBRIDGE_NEO4J_PASSWORD", creds["password"])
        args = ["--store", creds["uri"]]
    try:
        yield store, args
    finally:
        store.close()


def analyze(args: list[str], *extra: str) -> None:
    """``orgbridge analyze`` on the store, as a user runs it."""
    assert main(["analyze", *args, *extra]) == 0


def refusing_offload(services: Services) -> None:
    """Any recomputation of a slow metric fails the test."""

    def refuse(name: str, graph: OrgGraph, **kwargs: Any) -> Any:
        raise AssertionError(f"{name} was recomputed")

    services._offload.run = refuse  # type: ignore[method-assign]


def assert_like_fresh(services: Services, graph: OrgGraph) -> None:
    """The app's person metrics and communities equal a fresh computation on ``graph``."""
    pd.testing.assert_frame_equal(
        services._constraint()[["person_id", "constraint"]],
        metrics.constraint(graph).table[["person_id", "constraint"]],
    )
    pd.testing.assert_frame_equal(
        services._effective_size(), metrics.effective_size(graph).table, check_dtype=False
    )
    pd.testing.assert_frame_equal(services._betweenness(), metrics.betweenness(graph).table)
    fresh = metrics.communities(graph, group_by="department", seed=0)
    got = services._communities("department")
    pd.testing.assert_frame_equal(got.table, fresh.table)
    for key in ("count", "sizes", "singletons", "nmi", "ari"):
        assert got[key] == fresh[key], key
    assert got["modularity"] == pytest.approx(fresh["modularity"])


def test_fresh_saved_metrics_are_loaded_not_recomputed(
    target: tuple[Store, list[str]], caplog: pytest.LogCaptureFixture
) -> None:
    store, args = target
    store.save_graph(small_org())
    analyze(args)
    assert store.metrics_about(SAVED_METRICS)["data"] == store.data_stamp()
    services = Services(store)
    refusing_offload(services)
    with caplog.at_level(logging.INFO, logger="orgbridge.app"):
        assert services._saved() is not None
        assert_like_fresh(services, store.load_graph())
        brokers = services.brokers(COORDINATOR, "department")
    assert "per-person metrics loaded from the store" in caplog.text
    assert len(brokers) == small_org().n_people
    services.close()


def test_a_reimport_with_other_data_makes_the_app_recompute(
    target: tuple[Store, list[str]], caplog: pytest.LogCaptureFixture
) -> None:
    store, args = target
    store.save_graph(small_org())
    analyze(args)
    changed = small_org(seed=8)  # other ties, same people
    assert not changed.explicit_ties().equals(small_org().explicit_ties())
    store.save_graph(changed)
    services = Services(store)
    with caplog.at_level(logging.INFO, logger="orgbridge.app"):
        assert services._saved() is None
    assert "recomputed" in caplog.text and "organisation changed" in caplog.text
    assert_like_fresh(services, store.load_graph())
    services.close()
    store.save_graph(small_org())  # the analysed data again: the saved metrics hold again
    again = Services(store)
    assert again._saved() is not None
    again.close()


def test_metrics_of_a_dated_snapshot_that_drops_ties_are_not_reused(
    target: tuple[Store, list[str]], caplog: pytest.LogCaptureFixture
) -> None:
    store, args = target
    graph = small_org()
    ties = graph.explicit_ties()
    ties["end"] = pd.NaT
    ties.loc[ties.index[:5], "end"] = pd.Timestamp("2020-01-01")  # ended: history on any day
    store.save_graph(OrgGraph(graph.people, ties, special=graph.special))
    analyze(args, "--as-of", "2024-01-01")
    assert store.metrics_about(SAVED_METRICS)["whole"] is False
    services = Services(store)
    with caplog.at_level(logging.INFO, logger="orgbridge.app"):
        assert services._saved() is None
    assert "dated snapshot" in caplog.text
    services.close()


def test_a_workspace_saved_without_a_stamp_recomputes(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws") as store:
        store.save_graph(small_org())
        store.save_metrics(pd.DataFrame({"person_id": ["x"]}), name=SAVED_METRICS)
        services = Services(store)
        assert services._saved() is None  # no record of what they were computed from
        constraint = services._constraint()["constraint"].to_numpy()
        expected = metrics.constraint(store.load_graph()).table["constraint"].to_numpy()
        np.testing.assert_array_equal(constraint, expected)
        services.close()
