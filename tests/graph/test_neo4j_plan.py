"""The store plan's fast column-wise parts equal the straightforward definitions they replace
(no server needed)."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from orgbridge.graph._neo4j_home import Neo4jHome
from orgbridge.graph._neo4j_plan import repeat_numbers
from orgbridge.graph._stamp import _value_hashes


@given(st.lists(st.integers(min_value=-5, max_value=5), max_size=60))
def test_repeat_numbers_is_a_groupby_cumcount(keys: list[int]) -> None:
    array = np.array(keys, dtype=np.int64)
    want = pd.Series(array).groupby(array, sort=False).cumcount().to_numpy()
    assert repeat_numbers(array).tolist() == want.tolist()


@given(
    st.lists(st.sampled_from(["a", "b,c", 'q"', "new\nline", ""]), min_size=1, max_size=30),
    st.booleans(),
)
def test_a_category_is_hashed_by_its_value(values: list[str], missing: bool) -> None:
    series = pd.Series(pd.Categorical(values + ([None] if missing else [])))
    want = pd.util.hash_pandas_object(series.astype(object), index=False, categorize=False)
    assert _value_hashes(series).tolist() == want.to_numpy(dtype=np.uint64).tolist()


def test_a_held_store_lock_means_the_server_runs(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "neo4j.jar").write_bytes(b"")
    lock = tmp_path / "data" / "databases" / "store_lock"
    lock.parent.mkdir(parents=True)
    lock.write_bytes(b"")
    home = Neo4jHome.locate(tmp_path)
    assert not home.is_running()
    holder = subprocess.Popen(  # another process, as the server is
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR); "
            "fcntl.lockf(fd, fcntl.LOCK_EX); print('held', flush=True); sys.stdin.read()",
            str(lock),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert home.is_running()
    finally:
        holder.communicate("")
    assert not home.is_running()
    fd = os.open(lock, os.O_RDWR)  # and checking took no lock of its own
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(fd)
