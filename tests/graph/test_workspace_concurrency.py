"""The workspace under concurrency: many threads, forked children, and owner-only files."""

from __future__ import annotations

import logging
import multiprocessing
import os
import stat
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from orgbridge.errors import StoreError
from orgbridge.graph import OrgGraph
from orgbridge.graph._workspace import WORKSPACE_FILE, Workspace
from tests.graph.test_workspace import assert_same_graph, rich_graph, small_graph

FORK = multiprocessing.get_context("fork")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def run_threads(targets: list[Callable[[], None]], timeout: float = 60) -> None:
    """Start every target at once (behind a barrier); re-raise the first failure."""
    barrier = threading.Barrier(len(targets))
    errors: list[BaseException] = []

    def wrap(target: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                barrier.wait(10)
                target()
            except BaseException as error:
                errors.append(error)

        return run

    threads = [threading.Thread(target=wrap(t)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        raise errors[0]


def big_graph(n: int = 20_000, m: int = 200_000, seed: int = 3) -> OrgGraph:
    """Large enough that a save takes a while (so other threads run during it)."""
    rng = np.random.default_rng(seed)
    ids = np.char.add("E", np.arange(n).astype(str))
    people = pd.DataFrame({"person_id": ids, "level": rng.integers(1, 9, n)})
    ties = pd.DataFrame(
        {
            "source": ids[rng.integers(0, n, m)],
            "target": ids[rng.integers(0, n, m)],
            "layer": "collaboration",
            "weight": rng.random(m),
        }
    )
    return OrgGraph.from_frames(people, ties, metadata={"big": True})


# ---- threads ---------------------------------------------------------------------------------


def test_readers_see_a_whole_graph_while_another_thread_replaces_it(tmp_path: Path) -> None:
    one, two = small_graph(), rich_graph()
    with Workspace.open(tmp_path) as ws:
        ws.save_graph(one)
        seen: list[int] = []

        def writer() -> None:
            for i in range(12):
                ws.save_graph(two if i % 2 == 0 else one, log={"rows_in": i})

        def reader() -> None:
            for _ in range(25):
                got = ws.load_graph()
                # never a mix: people of one save with ties or metadata of the other
                if got.n_people == one.n_people:
                    assert_same_graph(got, one)
                else:
                    assert_same_graph(got, two)
                seen.append(got.n_people)

        run_threads([writer, reader, reader, reader])
        assert len(ws.import_log()) == 13
        assert_same_graph(ws.load_graph(), one)
    assert len(seen) == 75


def test_concurrent_writes_are_serialised_and_none_is_lost(tmp_path: Path) -> None:
    with Workspace.open(tmp_path) as ws:
        ws.save_graph(small_graph())

        def decide(worker: int) -> Callable[[], None]:
            def run() -> None:
                for i in range(15):
                    ws.record_decision(f"w{worker}", f"p{i}", kind="pair", decision="lock", by="x")
                    ws.save_metrics(
                        pd.DataFrame({"person_id": ["a"], "value": [float(i)]}),
                        name=f"m{worker}",
                    )
                    ws.decisions()
                    ws.audit_log()

            return run

        run_threads([decide(w) for w in range(6)])
        decisions = ws.decisions()
        assert len(decisions) == 6 * 15
        assert set(zip(decisions["a"], decisions["b"], strict=True)) == {
            (f"w{w}", f"p{i}") for w in range(6) for i in range(15)
        }
        audit = ws.audit_log()
        assert len(audit) == 6 * 15  # every decision audited once, in the same transaction
        for w in range(6):
            assert ws.load_metrics(f"m{w}")["value"].tolist() == [14.0]
    # the log sequence numbers stayed unique although six threads wrote at once
    with Workspace.open(tmp_path) as ws, ws._reading():
        seqs = [r[0] for r in ws._con.execute("SELECT seq FROM audit_log").fetchall()]
    assert len(seqs) == len(set(seqs)) == 90


def test_two_workspace_objects_on_one_folder_share_the_write_lock(tmp_path: Path) -> None:
    # DuckDB hands the second open in one process the same database: writes through either
    # object must still be serialised, or one aborts with a transaction conflict.
    with Workspace.open(tmp_path) as first, Workspace.open(tmp_path) as second:
        assert first._write_lock is second._write_lock

        def writer(ws: Workspace, name: str) -> Callable[[], None]:
            def run() -> None:
                for i in range(20):
                    ws.audit(name, by="t", detail={"i": i})
                    ws.save_metrics(pd.DataFrame({"person_id": ["a"], "v": [i]}), name="shared")

            return run

        run_threads([writer(first, "one"), writer(second, "two")] * 2)
        actions = first.audit_log()["action"].tolist()
        assert sorted(actions) == ["one"] * 40 + ["two"] * 40
        assert second.load_metrics("shared")["v"].tolist() == [19]


def test_each_thread_gets_its_own_handle_and_handles_are_reused(tmp_path: Path) -> None:
    with Workspace.open(tmp_path) as ws:
        ws.save_graph(small_graph())
        handles: list[int] = []
        inside = threading.Barrier(4)

        def hold() -> None:
            with ws._cursor() as cursor:
                handles.append(id(cursor))
                inside.wait(10)  # all four hold one at the same moment

        run_threads([hold] * 4)
        assert len(set(handles)) == 4
        made = len(ws._cursors)
        run_threads([lambda: ws.load_graph() and None] * 4)
        assert len(ws._cursors) == made  # given back to the pool, not one per thread forever


def test_a_failed_write_in_one_thread_does_not_disturb_the_others(tmp_path: Path) -> None:
    with Workspace.open(tmp_path) as ws:
        ws.save_graph(small_graph())

        def bad() -> None:
            for _ in range(10):
                with pytest.raises(StoreError, match="no person_id column"):
                    ws.save_metrics(pd.DataFrame({"x": [1]}), name="bad")
                # a table that does not exist: DuckDB fails mid-transaction, after a row went in
                with (
                    pytest.raises(StoreError, match="write failed, nothing saved"),
                    ws._transaction(),
                ):
                    ws._con.execute("INSERT INTO audit_log VALUES (1, now(), 'x', 'y', 'z')")
                    ws._con.execute("INSERT INTO nowhere VALUES (1)")

        def good() -> None:
            for i in range(10):
                ws.audit("ok", by="t", detail={"i": i})

        run_threads([bad, good, good])
        audit = ws.audit_log()
        assert audit["action"].tolist() == ["ok"] * 20  # nothing of the failed writes


def test_use_after_close_is_a_clear_error(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path)
    ws.close()
    with pytest.raises(StoreError, match="is closed"):
        ws.load_graph()


# ---- forked children -------------------------------------------------------------------------


def in_forked_child(work: Callable[[], Any], timeout: float = 60) -> Any:
    """Run ``work`` in a forked child; return its result (or re-raise its error here)."""
    receive, send = FORK.Pipe(duplex=False)

    def child(out: Connection) -> None:
        try:
            out.send(("ok", work()))
        except BaseException as error:
            out.send(("error", error))

    process = FORK.Process(target=child, args=(send,))
    process.start()
    send.close()
    try:
        if not receive.poll(timeout):
            raise AssertionError("the forked child did not answer (deadlocked?)")
        status, value = receive.recv()
    finally:
        process.join(timeout)
        if process.is_alive():
            process.kill()
    assert process.exitcode == 0
    if status == "error":
        raise value
    return value


def test_a_forked_child_reads_and_writes_through_the_parent(tmp_path: Path) -> None:
    with Workspace.open(tmp_path) as ws:
        ws.save_graph(rich_graph(), log={"rows_in": 11})
        ws.record_decision("p1", "p2", kind="pair", decision="lock", by="parent")

        def work() -> dict[str, Any]:
            graph = ws.load_graph()
            ws.record_decision("p4", "p5", kind="pair", decision="decline", by="child")
            return {
                "pid": os.getpid(),
                "graph": graph,
                "decisions": ws.decisions(),
                "log": ws.import_log(),
            }

        got = in_forked_child(work)
        assert got["pid"] != os.getpid()
        assert_same_graph(got["graph"], rich_graph())
        assert got["log"]["rows_in"].tolist() == [11]
        assert got["decisions"]["by"].tolist() == ["parent", "child"]
        # the child's write went through the parent: it is here, audited, in one piece
        assert ws.decisions()["decision"].tolist() == ["lock", "decline"]
        assert ws.audit_log()["by"].tolist() == ["parent", "child"]
        # and the child never opened the file itself: the parent still holds the only handle
        with pytest.raises(StoreError, match="in use by another process"):
            in_other_process_open(tmp_path)


def in_other_process_open(folder: Path) -> None:
    spawn = multiprocessing.get_context("spawn")
    with spawn.Pool(1) as pool:
        pool.apply(Workspace.open, (folder,))


def test_a_forked_child_may_not_open_the_parents_workspace_again(tmp_path: Path) -> None:
    with Workspace.open(tmp_path) as ws:
        ws.save_graph(small_graph())

        def work() -> None:
            Workspace.open(tmp_path)

        with pytest.raises(StoreError, match=r"held by process \d+, which this process .* forked"):
            in_forked_child(work)


def test_a_child_forked_mid_write_is_not_stuck_on_the_parents_locks(tmp_path: Path) -> None:
    big = big_graph()
    with Workspace.open(tmp_path) as ws:
        ws.save_graph(small_graph())
        writing = threading.Event()
        real = ws._write_frame

        def slow_write_frame(*args: Any) -> None:
            writing.set()  # the write lock and a cursor are held now
            time.sleep(0.3)
            real(*args)

        ws._write_frame = slow_write_frame  # type: ignore[method-assign]
        writer = threading.Thread(target=ws.save_graph, args=(big,))
        writer.start()
        assert writing.wait(10)
        try:
            # forked while another thread holds the write lock mid-transaction
            people = in_forked_child(lambda: ws.load_graph().n_people, timeout=60)
        finally:
            writer.join(60)
        assert people in (3, big.n_people)  # before or after the write, never half of it
        assert ws.load_graph().n_people == big.n_people


def test_a_child_killed_mid_call_leaves_the_parent_whole_and_serving(tmp_path: Path) -> None:
    # Dash cancels a background job by killing its process, maybe in the middle of a write.
    big = big_graph()
    with Workspace.open(tmp_path) as ws:
        ws.save_graph(small_graph())
        writing = threading.Event()
        real = ws._write_frame

        def watched_write_frame(*args: Any) -> None:
            writing.set()  # runs in the parent: the child's call came back here
            time.sleep(0.2)
            real(*args)

        ws._write_frame = watched_write_frame  # type: ignore[method-assign]
        process = FORK.Process(target=ws.save_graph, args=(big,))
        process.start()
        assert writing.wait(30)
        process.kill()
        process.join(30)
        ws._write_frame = real  # type: ignore[method-assign]
        deadline = time.monotonic() + 30
        while ws._server is not None and ws._server._connections and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ws._server is not None and ws._server._connections == []  # its thread ended
        # the parent finished the write it had begun, whole, and serves the next child
        assert_same_graph(ws.load_graph(), big)
        assert in_forked_child(lambda: ws.load_graph().n_people) == big.n_people
        assert len(ws.import_log()) == 2


def test_a_child_cannot_call_anything_but_the_store_methods(tmp_path: Path) -> None:
    with Workspace.open(tmp_path) as ws:
        with pytest.raises(StoreError, match=r"may not call Workspace\.close"):
            ws._serve("close", (), {})
        with pytest.raises(StoreError, match=r"may not call Workspace\._con"):
            ws._serve("_con", (), {})


def test_a_child_of_a_closed_workspace_gets_a_clear_error(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path)
    ws.save_graph(small_graph())
    ws.close()
    with pytest.raises(StoreError, match=r"is closed|belongs to process"):
        in_forked_child(ws.load_graph)


def test_the_parent_closing_meanwhile_is_a_clear_error_in_the_child(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path)
    ws.save_graph(small_graph())
    ready, go = FORK.Event(), FORK.Event()
    receive, send = FORK.Pipe(duplex=False)

    def child() -> None:
        first = ws.load_graph().n_people
        ready.set()
        go.wait(30)
        try:
            ws.load_graph()
            send.send((first, "no error"))
        except StoreError as error:
            send.send((first, str(error)))

    process = FORK.Process(target=child)
    process.start()
    assert ready.wait(30)
    ws.close()
    go.set()
    first, message = receive.recv()
    process.join(30)
    assert first == 3
    assert f"held by the parent process {os.getpid()}, which no longer answers" in message


# ---- file modes ------------------------------------------------------------------------------


def test_a_new_workspace_is_owner_only_whatever_the_umask(tmp_path: Path) -> None:
    folder = tmp_path / "ws"
    old = os.umask(0)  # the loosest umask: everything would be world-writable
    try:
        with Workspace.open(folder) as ws:
            ws.save_graph(big_graph(2_000, 10_000))
            ws.audit("x", by="y")
            wal = folder / f"{WORKSPACE_FILE}.wal"
            assert wal.exists()  # DuckDB keeps a write-ahead log until it checkpoints
            assert mode(wal) == 0o600
            assert ws.tightened == ()  # a new folder is not "tightened": it is made so
    finally:
        os.umask(old)
    assert mode(folder) == 0o700
    assert mode(folder / WORKSPACE_FILE) == 0o600
    for path in folder.rglob("*"):
        assert mode(path) == (0o700 if path.is_dir() else 0o600), path


def test_a_loose_existing_workspace_is_tightened_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "ws"
    Workspace.open(folder).close()
    (folder / "users.json").write_text("{}")
    (folder / ".app-secret").write_text("ab")
    cache = folder / ".app-cache" / "00"
    cache.mkdir(parents=True)
    (cache / "value.val").write_bytes(b"x")
    (folder / "notes.txt").write_text("the user's own file")
    outside = tmp_path / "outside.txt"
    outside.write_text("not orgbridge's")
    outside.chmod(0o644)
    (folder / ".app-link").symlink_to(outside)
    for path in [folder, *folder.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)
    with caplog.at_level(logging.WARNING, logger="orgbridge.workspace"):
        ws = Workspace.open(folder)
    ws.close()
    tightened = {p.relative_to(folder).as_posix() for p in ws.tightened if p != folder}
    assert folder in ws.tightened
    assert tightened == {
        WORKSPACE_FILE,
        "users.json",
        ".app-secret",
        ".app-cache",
        ".app-cache/00",
        ".app-cache/00/value.val",
    }
    assert "was readable by others: made owner-only" in caplog.text
    assert str(folder / "users.json") in caplog.text
    assert mode(folder) == 0o700 and mode(folder / "users.json") == 0o600
    assert mode(cache) == 0o700 and mode(cache / "value.val") == 0o600
    assert mode(folder / "notes.txt") == 0o644  # not orgbridge's: the 0o700 folder guards it
    assert mode(outside) == 0o644  # a link is never followed out of the workspace
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="orgbridge.workspace"):
        again = Workspace.open(folder)
    again.close()
    assert again.tightened == () and caplog.text == ""


def test_a_shared_folder_is_refused(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    with pytest.raises(StoreError, match=r"shared folder \(sticky bit"):
        Workspace.open(shared)
    assert mode(shared) == 0o1777  # left as it was
    assert not (shared / WORKSPACE_FILE).exists()


def test_a_file_in_place_of_the_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "ws").write_text("x")
    with pytest.raises(StoreError, match=r"cannot create the workspace folder|is not a folder"):
        Workspace.open(tmp_path / "ws")
