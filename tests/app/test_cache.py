"""The shared analysis cache and the metrics worker process."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from orgbridge.app._cache import AnalysisCache, Offloader
from orgbridge.errors import ParameterError
from tests.app.org import small_org


def test_concurrent_callers_compute_once_and_share_the_value() -> None:
    cache = AnalysisCache()
    calls: list[int] = []
    started = threading.Event()

    def slow() -> str:
        calls.append(1)
        started.set()
        time.sleep(0.2)
        return "value"

    found: list[str] = []
    first = threading.Thread(target=lambda: found.append(cache.get(("k",), slow)))
    first.start()
    started.wait(5)
    assert not cache.ready(("k",))
    found.append(cache.get(("k",), slow))  # waits on the first caller's slot
    first.join(5)
    assert found == ["value", "value"] and calls == [1]
    assert cache.ready(("k",))


def test_a_failure_is_not_cached_and_clear_forgets() -> None:
    cache = AnalysisCache()

    def fail() -> int:
        raise ParameterError("nope")

    with pytest.raises(ParameterError, match="nope"):
        cache.get(("k",), fail)
    assert not cache.ready(("k",))
    assert cache.get(("k",), lambda: 1) == 1
    generation = cache.generation
    cache.clear()
    assert cache.generation == generation + 1 and not cache.ready(("k",))
    assert cache.get(("k",), lambda: 2) == 2


def test_the_worker_process_gives_the_in_process_result() -> None:
    graph = small_org()
    here = Offloader(above=10**9).run("constraint", graph)
    worker = Offloader(above=1)
    try:
        there = worker.run("constraint", graph)
        communities = worker.run("communities", graph, group_by="department", seed=0)
    finally:
        worker.close()
    np.testing.assert_allclose(
        there.table["constraint"].to_numpy(dtype=float),
        here.table["constraint"].to_numpy(dtype=float),
    )
    assert there.table["person_id"].tolist() == list(graph.ids)
    local = Offloader(above=10**9).run("communities", graph, group_by="department", seed=0)
    assert communities.table["community"].tolist() == local.table["community"].tolist()
