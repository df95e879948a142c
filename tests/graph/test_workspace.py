"""The DuckDB workspace: exact round trips, logs, versioning, locking and crash safety."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from orgbridge.errors import SchemaVersionError, StoreError
from orgbridge.graph import OrgGraph
from orgbridge.graph._workspace import WORKSPACE_FILE, Workspace


def ticking_clock(start: dt.datetime) -> Iterator[dt.datetime]:
    moment = start
    while True:
        yield moment
        moment += dt.timedelta(minutes=1)


def fixed_clock() -> object:
    ticks = ticking_clock(dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC))
    return lambda: next(ticks)


def rich_graph() -> OrgGraph:
    """People with many dtypes (and ids not in sorted order); ties of three layers."""
    people = pd.DataFrame(
        {
            "person_id": pd.array(["p3", "p1", "p4", "p2", "p5"], dtype="str"),
            "name": pd.array(["Ana", "Bo", None, "Dee", "Eli"], dtype="str"),
            "department": ["Ops", "Eng", "Eng", None, "Ops"],
            "level": pd.Categorical(
                ["G2", "G1", "G3", "G1", "G2"], categories=["G1", "G2", "G3"], ordered=True
            ),
            "manager_id": pd.array([None, "p3", "p3", "p1", "p1"], dtype="str"),
            "start_date": pd.to_datetime(
                ["2015-02-01", "2019-07-15", None, "2021-01-04", "2012-11-30"]
            ),
            "is_leader": [True, False, False, False, False],
            "opt_in": pd.array([True, None, False, True, True], dtype="boolean"),
            "capacity": pd.array([2, 1, None, 0, 3], dtype="Int64"),
            "salary_band": [1.5, np.nan, 2.0, 3.25, 0.0],
            "tenure": np.array([10, 5, 1, 4, 12], dtype=np.int32),
            "hired_on": [dt.date(2015, 2, 1), None, dt.date(2020, 5, 5), None, dt.date(2012, 1, 1)],
            "badge": ["x", 7, None, 2.5, "y"],
            "Location": ["Leeds", "Leeds", "York", "York", None],
            "location": ["L1", "L1", "Y1", "Y1", "L1"],
            "gender": ["f", "m", "f", "x", "m"],
        }
    )
    ties = pd.DataFrame(
        {
            "source": ["p1", "p2", "p4", "p5", "p1", "p3"],
            "target": ["p2", "p1", "p5", "p4", "p4", "p5"],
            "layer": [
                "collaboration",
                "collaboration",
                "mentoring",
                "mentoring",
                "guild",
                "sponsorship",
            ],
            "weight": [0.5, 0.25, 1.0, 1.0, 3.0, 1.0],
            "start": pd.to_datetime(
                [None, None, "2024-01-01", "2024-01-01", None, "2023-06-01 12:30"], format="ISO8601"
            ),
            "end": pd.to_datetime([None, None, "2024-12-31", None, None, None]),
        }
    )
    return OrgGraph.from_frames(
        people,
        ties,
        special=["gender"],
        metadata={"source": "test", "level_order": ["G1", "G2", "G3"], "leaders": 1},
    )


def small_graph() -> OrgGraph:
    people = pd.DataFrame({"person_id": ["a", "b", "c"], "manager_id": [None, "a", "a"]})
    ties = pd.DataFrame({"source": ["b"], "target": ["c"], "layer": ["collaboration"]})
    return OrgGraph.from_frames(people, ties, metadata={"small": True})


def assert_same_graph(got: OrgGraph, want: OrgGraph) -> None:
    pd.testing.assert_frame_equal(got.people, want.people, check_exact=True)
    for column in want.people.columns:
        assert got.people[column].dtype == want.people[column].dtype, column
    pd.testing.assert_frame_equal(got.explicit_ties(), want.explicit_ties(), check_exact=True)
    pd.testing.assert_frame_equal(got.tie_table("reports_to"), want.tie_table("reports_to"))
    assert got.tie_counts() == want.tie_counts()
    assert got.special == want.special
    assert got.metadata == want.metadata


def test_round_trip_keeps_people_ties_dtypes_and_order(tmp_path: Path) -> None:
    graph = rich_graph()
    with Workspace.open(tmp_path / "ws") as ws:
        ws.save_graph(graph)
    with Workspace.open(tmp_path / "ws") as ws:
        loaded = ws.load_graph()
    assert_same_graph(loaded, graph)
    assert loaded.ids.tolist() == ["p3", "p1", "p4", "p2", "p5"]
    assert loaded.people["hired_on"][0] == dt.date(2015, 2, 1)
    assert loaded.people["badge"].tolist() == ["x", 7, None, 2.5, "y"]
    assert loaded.people["level"].cat.ordered


def test_an_empty_workspace_loads_an_empty_graph(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "new") as ws:
        graph = ws.load_graph()
        assert graph.n_people == 0 and graph.tie_counts() == {}
        assert ws.import_log().empty and ws.audit_log().empty and ws.decisions().empty
    assert (tmp_path / "new" / WORKSPACE_FILE).is_file()


def test_a_save_replaces_the_previous_graph_and_appends_the_import_log(tmp_path: Path) -> None:
    clock = fixed_clock()
    with Workspace.open(tmp_path, clock=clock) as ws:  # type: ignore[arg-type]
        ws.save_graph(rich_graph(), log={"rows_in": 12, "rows_loaded": 11, "rows_rejected": 1})
        ws.save_graph(small_graph(), log={"rows_in": 4, "rows_loaded": 4, "errors": []})
        assert_same_graph(ws.load_graph(), small_graph())
        log = ws.import_log()
    assert log["import_id"].tolist() == [1, 2]
    assert log["people"].tolist() == [5, 3]
    assert log["ties"].tolist() == [6 + 4, 1 + 2]
    assert log["rows_in"].tolist() == [12, 4]
    assert log["rows_rejected"].tolist() == [1, 0]
    assert log["at"].tolist() == [
        pd.Timestamp("2025-03-01 09:00", tz="UTC"),
        pd.Timestamp("2025-03-01 09:01", tz="UTC"),
    ]
    assert '"errors": []' in log["report"].iloc[1]


def test_metrics_are_stored_by_name_and_replaced(tmp_path: Path) -> None:
    first = pd.DataFrame({"person_id": ["a", "b"], "hops": [1, 2], "score": [0.5, np.nan]})
    second = pd.DataFrame({"person_id": ["b"], "hops": [3]})
    with Workspace.open(tmp_path) as ws:
        ws.save_metrics(first, name="exposure")
        ws.save_metrics(first.iloc[:1], name="other")
        pd.testing.assert_frame_equal(ws.load_metrics("exposure"), first)
        ws.save_metrics(second, name="exposure")
    with Workspace.open(tmp_path) as ws:
        pd.testing.assert_frame_equal(ws.load_metrics("exposure"), second)
        assert len(ws.load_metrics("other")) == 1
        assert ws.load_metrics("missing").empty
        with pytest.raises(StoreError, match="no person_id"):
            ws.save_metrics(pd.DataFrame({"x": [1]}), name="bad")


def test_proposals_latest_run_and_parameters(tmp_path: Path) -> None:
    run1 = pd.DataFrame(
        {"a": ["p1"], "b": ["p2"], "kind": ["pair"], "score": [0.9], "reason": ["bridges A and B"]}
    )
    run2 = run1.assign(score=[0.7], a=["p3"])
    with Workspace.open(tmp_path) as ws:
        assert ws.load_proposals().empty
        ws.save_proposals("r1", run1, {"seed": 1, "weights": {"silo": 0.5}})
        ws.save_proposals("r2", run2, {"seed": 2})
    with Workspace.open(tmp_path) as ws:
        pd.testing.assert_frame_equal(ws.load_proposals(), run2)
        pd.testing.assert_frame_equal(ws.load_proposals("r1"), run1)
        assert ws.proposal_parameters("r1") == {"seed": 1, "weights": {"silo": 0.5}}
        ws.save_proposals("r1", run1, {"seed": 3})
        pd.testing.assert_frame_equal(ws.load_proposals(), run1)


def test_decisions_latest_per_pair_wins_and_each_is_audited(tmp_path: Path) -> None:
    with Workspace.open(tmp_path, clock=fixed_clock()) as ws:  # type: ignore[arg-type]
        ws.record_decision("p1", "p2", kind="pair", decision="approve", by="coord")
        ws.record_decision("p3", "p4", kind="pair", decision="lock", by="coord")
        ws.record_decision("p1", "p2", kind="pair", decision="decline", by="lead")
        ws.audit("export", by="lead", detail={"format": "csv"})
    with Workspace.open(tmp_path) as ws:
        decisions = ws.decisions()
        audit = ws.audit_log()
    assert decisions[["a", "b", "decision", "by"]].values.tolist() == [
        ["p3", "p4", "lock", "coord"],
        ["p1", "p2", "decline", "lead"],
    ]
    assert decisions["at"].tolist() == [
        pd.Timestamp("2025-03-01 09:01", tz="UTC"),
        pd.Timestamp("2025-03-01 09:02", tz="UTC"),
    ]
    assert audit["action"].tolist() == [
        "decision:approve",
        "decision:lock",
        "decision:decline",
        "export",
    ]
    assert audit["by"].tolist() == ["coord", "coord", "lead", "lead"]
    assert audit["detail"].iloc[3] == '{"format": "csv"}'


def test_a_failure_inside_save_rolls_everything_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Workspace.open(tmp_path) as ws:
        ws.save_graph(small_graph())

        def explode(self: Workspace, key: str, value: str) -> None:
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(Workspace, "_set_meta", explode)
        with pytest.raises(RuntimeError, match="disk on fire"):
            ws.save_graph(rich_graph())
        monkeypatch.undo()
        assert_same_graph(ws.load_graph(), small_graph())
        assert len(ws.import_log()) == 1


def test_a_newer_schema_version_is_refused(tmp_path: Path) -> None:
    Workspace.open(tmp_path).close()
    with duckdb.connect(str(tmp_path / WORKSPACE_FILE)) as con:
        con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(SchemaVersionError, match=r"newer orgbridge.*schema version 99"):
        Workspace.open(tmp_path)


def test_a_file_that_is_not_a_workspace_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / WORKSPACE_FILE).write_text("not a database" * 1000)
    with pytest.raises(StoreError, match="workspace"):
        Workspace.open(tmp_path)


def test_a_workspace_locked_by_another_process_is_a_store_error(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys, time
        from orgbridge.graph._workspace import Workspace
        ws = Workspace.open({str(tmp_path)!r})
        print("READY", flush=True)
        sys.stdin.readline()
        ws.close()
        """
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "READY"
        with pytest.raises(StoreError, match=f"in use by another process \\(process {holder.pid}"):
            Workspace.open(tmp_path)
    finally:
        holder.communicate("\n", timeout=30)
    Workspace.open(tmp_path).close()  # released once the other process closed it


_KILLED_IMPORT = """
import sys
import numpy as np, pandas as pd
from orgbridge.graph import OrgGraph
from orgbridge.graph._workspace import Workspace

class Tattler:
    # Says on stdout when the transaction begins and when the tie insert starts.
    def __init__(self, con):
        self._con = con
    def __getattr__(self, name):
        return getattr(self._con, name)
    def begin(self):
        self._con.begin()
        print("BEGIN", flush=True)
    def execute(self, sql, *args):
        if sql.startswith("INSERT INTO ties"):
            print("INSERT TIES", flush=True)
        return self._con.execute(sql, *args)
    def commit(self):
        print("COMMIT", flush=True)
        self._con.commit()

n, m = 200_000, 2_000_000
rng = np.random.default_rng(7)
ids = np.char.add("E", np.arange(n).astype(str))
managers = np.concatenate([[None], ids[rng.integers(0, np.arange(1, n))]])
people = pd.DataFrame({"person_id": ids, "manager_id": managers, "level": rng.integers(1, 9, n)})
ties = pd.DataFrame({"source": rng.integers(0, n, m), "target": rng.integers(0, n, m),
                     "layer": "collaboration", "weight": rng.random(m)})
graph = OrgGraph(people, ties)
ws = Workspace.open(sys.argv[1])
new_cursor = ws._new_cursor
ws._new_cursor = lambda: Tattler(new_cursor())
ws._idle.clear()
ws.save_graph(graph, log={"rows_in": n + m})
print("DONE", flush=True)
"""


@pytest.mark.parametrize("previous", ["empty", "small"])
def test_a_process_killed_mid_import_leaves_the_previous_graph(
    tmp_path: Path, previous: str
) -> None:
    if previous == "small":
        with Workspace.open(tmp_path) as ws:
            ws.save_graph(small_graph(), log={"rows_in": 4})
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED_IMPORT, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    seen = []
    try:
        assert child.stdout is not None
        for line in child.stdout:
            seen.append(line.strip())
            if seen[-1] == "BEGIN":
                time.sleep(0.05)
            if seen[-1] == "INSERT TIES":
                time.sleep(0.05)
                break
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=60)
    assert seen == ["BEGIN", "INSERT TIES"], "the kill must land inside the transaction"
    assert child.returncode == -signal.SIGKILL
    with Workspace.open(tmp_path) as ws:
        graph = ws.load_graph()
        log = ws.import_log()
    if previous == "small":
        assert_same_graph(graph, small_graph())
        assert log["rows_in"].tolist() == [4]
    else:
        assert graph.n_people == 0 and graph.tie_counts() == {}
        assert log.empty


def test_stored_tables_keep_unusual_dtypes(tmp_path: Path) -> None:
    table = pd.DataFrame(
        {
            "person_id": ["a", "b"],
            "zoned": pd.to_datetime(["2024-01-01 10:00", None]).tz_localize("Europe/London"),
            "duration": pd.to_timedelta([1.5, None], unit="D"),
            "small": np.array([1, 2], dtype=np.uint8),
            "single": np.array([1.5, np.nan], dtype=np.float32),
            "text": pd.array(["x", None], dtype="string"),
            "nothing": [None, None],
            "coded": pd.Categorical([3, None]),
            "mixed": [1, "x"],
        }
    )
    with Workspace.open(tmp_path) as ws:
        ws.save_metrics(table, name="odd")
    with Workspace.open(tmp_path) as ws:
        back = ws.load_metrics("odd")
    pd.testing.assert_frame_equal(back, table, check_exact=True)
    assert back["mixed"].tolist() == [1, "x"]
