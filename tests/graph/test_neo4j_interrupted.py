"""A save killed by killing the Neo4j SERVER mid-load converges when run again.

A child process saves a 10,000-person organisation with 60,000 ties (the batched path);
once it reports that it is writing relationships, the server is killed with SIGKILL,
restarted, the store is seen to refuse the half-written graph, the save is run again and the
graph read back is exactly the intended one, with no duplicate people or relationships.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from orgbridge.errors import StoreError
from orgbridge.graph import OrgGraph
from tests.neo4j_support import ROOT, connect, empty_database

pytestmark = pytest.mark.neo4j

N_PEOPLE = 10_000
N_TIES = 60_000
PID_FILE = ROOT / ".neo4j" / "run" / "neo4j.pid"
SERVER = [sys.executable, str(ROOT / "tools" / "neo4j_server.py")]


def big_graph() -> OrgGraph:
    """A seeded organisation with repeated pairs (several ties per pair and layer)."""
    rng = np.random.default_rng(5)
    ids = [f"E{i:06d}" for i in range(N_PEOPLE)]
    people = pd.DataFrame(
        {
            "person_id": ids,
            "department": rng.choice(["A", "B", "C"], N_PEOPLE),
            "manager_id": [None] + [ids[(i - 1) // 6] for i in range(1, N_PEOPLE)],
        }
    )
    source = rng.integers(0, N_PEOPLE, N_TIES).astype(np.int32)
    target = ((source + rng.integers(1, 50, N_TIES)) % N_PEOPLE).astype(np.int32)
    ties = pd.DataFrame(
        {
            "source": source,
            "target": target,
            "layer": rng.choice(["collaboration", "mentoring"], N_TIES, p=[0.9, 0.1]),
            "weight": rng.random(N_TIES),
        }
    )
    return OrgGraph(people, ties)


def _child() -> None:
    """Run in the child process: save the big graph, printing each stage."""
    store = connect()

    def progress(stage: str, done: int, total: int) -> None:
        print(f"{stage} {done} {total}", flush=True)

    store.save_graph(big_graph(), progress=progress)
    print("done", flush=True)


def _kill_server() -> None:
    pid = int(PID_FILE.read_text().strip())
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 20
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):  # reap it if it is our child
            os.waitpid(pid, os.WNOHANG)
        status = Path(f"/proc/{pid}/stat")
        if status.exists() and ") Z " in status.read_text():
            break
        time.sleep(0.1)


def test_killing_the_server_mid_load_then_saving_again_gives_the_intended_graph() -> None:
    started = time.monotonic()
    store = connect()
    empty_database(store)
    store.close()
    child = subprocess.Popen(
        [sys.executable, "-c", "from tests.graph.test_neo4j_interrupted import _child; _child()"],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        for line in child.stdout:
            stage, done, _total = line.split()
            if stage == "ties" and int(done) >= 20_000:
                break
        else:
            pytest.fail(f"the child never wrote relationships: {child.stderr.read()}")  # type: ignore[union-attr]
        _kill_server()
        _, err = child.communicate(timeout=60)
        assert child.returncode != 0, "the save finished although the server was killed"
        assert "StoreUnavailable" in err or "Neo4j" in err
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    subprocess.run([*SERVER, "start"], check=True, cwd=ROOT, timeout=180)

    store = connect()
    try:
        with pytest.raises(StoreError, match="did not finish"):
            store.load_graph()
        assert store.import_log().empty
        graph = big_graph()
        store.save_graph(graph)
        loaded = store.load_graph()
        pd.testing.assert_frame_equal(loaded.people, graph.people)
        pd.testing.assert_frame_equal(loaded.ties, graph.ties)
        counts = store._auto(
            "MATCH (p:Person) RETURN count(p) AS n, count(DISTINCT p.person_id) AS ids"
        )[0]
        assert (counts["n"], counts["ids"]) == (N_PEOPLE, N_PEOPLE)
        explicit = graph.explicit_ties()
        for layer, rel_type in (("collaboration", "COLLABORATION"), ("mentoring", "MENTORING")):
            n = store._auto(f"MATCH ()-[t:{rel_type}]->() RETURN count(t) AS n")[0]["n"]
            assert n == int((explicit["layer"] == layer).sum())
        duplicates = store._auto(
            "MATCH (a:Person)-[t:COLLABORATION|MENTORING]->(b:Person) "
            "WITH a, b, t.layer AS layer, t.key AS key, count(*) AS c WHERE c > 1 "
            "RETURN count(*) AS n"
        )[0]["n"]
        assert duplicates == 0
        managers = store._auto("MATCH ()-[t:REPORTS_TO]->() RETURN count(t) AS n")[0]["n"]
        assert managers == N_PEOPLE - 1
        assert len(store.import_log()) == 1
    finally:
        store.close()
    print(f"kill, restart and re-save took {time.monotonic() - started:.0f} s")
