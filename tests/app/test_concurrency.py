"""The app's services under concurrency: page requests from many threads, the precompute
thread, a recommender run in another thread and one in a forked child (as Dash's background
jobs run), all against one workspace; and the cache, locks and worker process under threads
and forks."""

from __future__ import annotations

import os
import random
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from orgbridge.app._cache import AnalysisCache, ForkSafeLock, Offloader
from orgbridge.app.auth import User
from orgbridge.app.services import Services
from orgbridge.graph._workspace import Workspace
from tests.app.org import small_org
from tests.graph.test_workspace_concurrency import in_forked_child, run_threads

EXEC = User("eve", "executive")
ANALYST = User("ann", "analyst")
COORD = User("cora", "coordinator")
TODAY = pd.Timestamp("2025-06-30")


def assert_same(got: Any, want: Any, where: str = "answer") -> None:
    """Deep equality of service answers (frames, arrays, NaN-aware floats, dicts, lists)."""
    if isinstance(want, pd.DataFrame):
        assert isinstance(got, pd.DataFrame), where
        pd.testing.assert_frame_equal(got, want, check_exact=True, obj=where)
    elif isinstance(want, pd.Series):
        pd.testing.assert_series_equal(got, want, check_exact=True, obj=where)
    elif isinstance(want, np.ndarray):
        np.testing.assert_array_equal(got, want, err_msg=where)
    elif isinstance(want, dict):
        assert isinstance(got, dict) and set(got) == set(want), where
        for key in want:
            assert_same(got[key], want[key], f"{where}[{key!r}]")
    elif isinstance(want, list | tuple):
        assert isinstance(got, list | tuple) and len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_same(g, w, f"{where}[{i}]")
    elif isinstance(want, float) and np.isnan(want):
        assert isinstance(got, float) and np.isnan(got), where
    else:
        assert got == want, f"{where}: {got!r} != {want!r}"


def without_run_id(run: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in run.items() if k != "run_id"}  # a fresh uuid per run


def page_requests(services: Services) -> dict[str, Callable[[], Any]]:
    """What the pages ask for, by several roles and groupings."""
    return {
        "silos/department": lambda: services.silos(EXEC, "department"),
        "silos/location": lambda: services.silos(EXEC, "location"),
        "exposure/department": lambda: services.exposure(EXEC, "department"),
        "exposure/level": lambda: services.exposure(EXEC, "level"),
        "programme": lambda: services.programme(COORD, "department", today=TODAY),
        "overview": lambda: services.overview(EXEC, "department"),
        "bridging": lambda: services.bridging(EXEC, "department"),
        "communities": lambda: services.communities(EXEC, "department"),
        "people/analyst": lambda: services.people_options(ANALYST, "", limit=100),
        "people/coordinator": lambda: services.people_options(COORD, "Name-fin", limit=100),
        "proposals": lambda: services.proposals(COORD),
        "recommend": lambda: without_run_id(services.recommend(COORD, count=6)),
    }


@pytest.fixture
def busy_workspace(tmp_path: Path) -> Any:
    folder = tmp_path / "ws"
    with Workspace.open(folder) as ws:
        ws.save_graph(small_org(), log={"rows_in": 51, "rows_loaded": 51, "rows_rejected": 0})
        ws.save_graph(small_org(seed=8), log={"rows_in": 51, "rows_loaded": 51})  # a 2nd snapshot
        alone = Services(ws, pseudonym_key=b"test", scratch=tmp_path)
        alone.save_run(COORD, alone.recommend(COORD, count=6))
        yield ws, tmp_path


def test_concurrent_pages_recommender_and_a_forked_job_give_the_answers_computed_alone(
    busy_workspace: Any,
) -> None:
    ws, scratch = busy_workspace
    alone = Services(ws, pseudonym_key=b"test", scratch=scratch)
    expected = {name: call() for name, call in page_requests(alone).items()}
    assert len(expected["proposals"]) >= 1 and len(expected["recommend"]["proposals"]) >= 1

    services = Services(ws, pseudonym_key=b"test", scratch=scratch)  # a cold cache
    requests = page_requests(services)
    services.start_precompute()  # as create_app does: it races the first requests
    answered: list[str] = []
    forked: list[dict[str, Any]] = []

    def pages(seed: int) -> Callable[[], None]:
        def run() -> None:
            order = list(requests) * 2
            random.Random(seed).shuffle(order)
            for name in order:
                assert_same(requests[name](), expected[name], name)
                answered.append(name)

        return run

    def decisions() -> None:
        # sponsorship declines written to the store: they change no answer above (runs and
        # proposals of pairs; an approval would, as a commitment using capacity); the
        # services refuse pairs nobody proposed, so write directly
        for i in range(1, 11):
            services.store.record_decision(
                "fin00", f"sal{i:02d}", kind="sponsorship", decision="decline", by="cora"
            )

    def recommender_in_a_forked_child() -> None:
        time.sleep(0.2)  # while the page threads are busy (and may hold any lock)

        def job() -> dict[str, Any]:
            return {
                "pid": os.getpid(),
                "recommend": without_run_id(services.recommend(COORD, count=6)),
                "proposals": services.proposals(COORD),
                "overview": services.overview(EXEC, "department"),
            }

        forked.append(in_forked_child(job, timeout=120))

    run_threads(
        [pages(seed) for seed in range(6)]
        + [decisions, requests["recommend"], recommender_in_a_forked_child],
        timeout=300,
    )
    assert len(answered) == 6 * 2 * len(requests)
    (child,) = forked
    assert child["pid"] != os.getpid()
    for name in ("recommend", "proposals", "overview"):
        assert_same(child[name], expected[name], f"forked {name}")
    approved = ws.decisions()
    assert (approved["decision"] == "decline").sum() == 10
    assert ws.audit_log()["action"].tolist().count("decision:decline") == 10
    services.close()


def test_a_recommender_run_in_a_thread_matches_one_run_alone(busy_workspace: Any) -> None:
    ws, scratch = busy_workspace
    alone = without_run_id(Services(ws, pseudonym_key=b"t", scratch=scratch).recommend(COORD))
    services = Services(ws, pseudonym_key=b"t", scratch=scratch)
    runs: list[dict[str, Any]] = []
    run_threads(
        [lambda: runs.append(without_run_id(services.recommend(COORD)))] * 4
        + [lambda: services.silos(EXEC, "department")] * 2
    )
    assert len(runs) == 4
    for run in runs:
        assert_same(run, alone, "threaded recommend")


# ---- the cache -------------------------------------------------------------------------------


def test_many_threads_compute_each_key_once() -> None:
    cache = AnalysisCache()
    calls: dict[int, int] = {}
    lock = threading.Lock()

    def compute(key: int) -> Callable[[], int]:
        def run() -> int:
            with lock:
                calls[key] = calls.get(key, 0) + 1
            time.sleep(0.01)
            return key * key

        return run

    def asker(seed: int) -> Callable[[], None]:
        def run() -> None:
            keys = list(range(20))
            random.Random(seed).shuffle(keys)
            for key in keys:
                assert cache.get(("sq", key), compute(key)) == key * key

        return run

    run_threads([asker(s) for s in range(12)])
    assert calls == dict.fromkeys(range(20), 1)


def test_a_computation_asking_for_its_own_key_fails_instead_of_hanging() -> None:
    cache = AnalysisCache()

    def loop() -> int:
        return int(cache.get(("k",), loop))

    with pytest.raises(RuntimeError, match="asked for its own result"):
        cache.get(("k",), loop)
    assert cache.get(("k",), lambda: 1) == 1  # the failure was not kept


def test_a_forked_child_is_not_stuck_on_a_lock_or_a_slot_another_thread_held() -> None:
    cache = AnalysisCache()
    lock = ForkSafeLock(reentrant=True)
    cache.get(("done",), lambda: "kept")
    computing, release = threading.Event(), threading.Event()

    def slow() -> str:
        computing.set()
        release.wait(30)
        return "parent"

    def hold_lock() -> None:
        with lock:
            release.wait(30)

    threads = [
        threading.Thread(target=lambda: cache.get(("busy",), slow)),
        threading.Thread(target=hold_lock),
    ]
    for thread in threads:
        thread.start()
    assert computing.wait(10)
    try:

        def child() -> tuple[Any, ...]:
            with cache._lock:  # the cache's own lock, held by nobody here
                pass
            got = lock.acquire(timeout=5)
            return got, cache.get(("busy",), lambda: "child"), cache.get(("done",), lambda: "new")

        acquired, busy, done = in_forked_child(child, timeout=30)
    finally:
        release.set()
        for thread in threads:
            thread.join(10)
    assert acquired is True
    assert busy == "child"  # the parent's unfinished slot was forgotten, not waited on
    assert done == "kept"  # finished results survive the fork
    assert cache.get(("busy",), lambda: "again") == "parent"


# ---- the worker process ----------------------------------------------------------------------


def test_the_worker_is_spawned_shared_by_threads_and_replaced_when_it_dies() -> None:
    graph = small_org()
    here = Offloader(above=10**9).run("constraint", graph).table
    worker = Offloader(above=1)
    try:
        results: list[pd.DataFrame] = []
        run_threads([lambda: results.append(worker.run("constraint", graph).table)] * 4)
        assert worker._pool is not None
        assert worker._pool._mp_context.get_start_method() == "spawn"  # type: ignore[attr-defined]
        for table in results:
            pd.testing.assert_frame_equal(table, here)
        # a forked child never uses the parent's worker
        assert in_forked_child(lambda: worker._pool is None) is True
        assert worker._pool is not None
        (process,) = worker._pool._processes.values()  # type: ignore[attr-defined]
        process.kill()
        process.join(30)
        with pytest.raises(Exception, match="terminated abruptly"):
            worker.run("constraint", graph)
        pd.testing.assert_frame_equal(worker.run("constraint", graph).table, here)
    finally:
        worker.close()


# ---- file modes of what the app writes -------------------------------------------------------


def modes_under(folder: Path) -> dict[str, int]:
    return {
        p.relative_to(folder).as_posix(): stat.S_IMODE(p.lstat().st_mode)
        for p in [folder, *folder.rglob("*")]
    }


def test_the_app_keeps_its_secret_users_cache_and_uploads_owner_only(tmp_path: Path) -> None:
    from orgbridge.app import create_app, ensure_demo_users

    folder = tmp_path / "ws"
    old = os.umask(0)  # the loosest umask: nothing may depend on it
    try:
        with Workspace.open(folder) as ws:
            ws.save_graph(small_org())
        ensure_demo_users(folder)
        app = create_app(folder, precompute=False, demo_users=True)
        services: Services = app.server.config["ORGBRIDGE_SERVICES"]
        staff = b"person_id,name,department,manager_id\nx1,X One,Finance,\nx2,X Two,Finance,x1\n"
        services.validate_upload(
            User("ada", "admin"), {"staff": ("staff.csv", staff)}, allow_shrink=True
        )
    finally:
        os.umask(old)
    modes = modes_under(folder)
    for name in (".app-session-key", ".app-pseudonym-key", "users.json", "orgbridge.duckdb"):
        assert modes[name] == 0o600, name
    # an uploaded file is deleted once read: no HR file is left behind
    assert [name for name in modes if name.endswith("staff.csv")] == []
    wrong = {
        name: oct(mode)
        for name, mode in modes.items()
        if mode != (0o700 if (folder / name).is_dir() else 0o600)
    }
    assert wrong == {}
