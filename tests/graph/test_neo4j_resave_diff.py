"""The in-place layer diff, checked by applying it to the stored layer with plain Python
and comparing with the new layer (no server needed)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orgbridge.errors import StoreError
from orgbridge.graph._neo4j_resave import _Done, diff_layer

Tie = tuple[int, int, float, str | None]

ties = st.lists(
    st.tuples(
        st.integers(0, 3),
        st.integers(0, 3),
        st.sampled_from([0.5, 1.0, 2.0]),
        st.sampled_from([None, "2024-01-01", "2024-02-01"]),
    ),
    max_size=25,
)


def _keys(rows: list[Tie]) -> list[int]:
    """The repeat number of each (source, target) pair, in order."""
    seen: dict[tuple[int, int], int] = {}
    out = []
    for s, t, _, _ in rows:
        out.append(seen.get((s, t), 0))
        seen[(s, t)] = out[-1] + 1
    return out


def _stored(rows: list[Tie], order: list[int]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rel": np.arange(100, 100 + len(rows), dtype=np.int64),
            "source": [r[0] for r in rows],
            "target": [r[1] for r in rows],
            "key": _keys(rows),
            "weight": [r[2] for r in rows],
            "_ord": order,
            "start": pd.Series([r[3] for r in rows], dtype=object),
            "end": pd.Series([None] * len(rows), dtype=object),
        },
    )


def _new(rows: list[Tie]) -> pd.DataFrame:
    return _stored(rows, list(range(len(rows)))).drop(columns=["rel", "_ord"])


@settings(max_examples=300)
@given(ties, ties, st.randoms(use_true_random=False))
def test_applying_the_diff_to_the_stored_layer_gives_the_new_layer(
    old: list[Tie], new: list[Tie], rnd: Any
) -> None:
    order = list(range(len(old)))
    rnd.shuffle(order)  # stored positions may be anything (an earlier, longer layer)
    stored = _stored(old, order)
    fresh = _new(new)
    diff = diff_layer(stored, fresh)
    # apply it as the server would, one relationship at a time
    state = {int(r["rel"]): r for r in stored.to_dict("records")}
    for rel in diff.delete.tolist():
        del state[rel]
    for rel, row in zip(diff.update_rel.tolist(), diff.update_rows.tolist(), strict=True):
        state[rel].update(weight=new[row][2], start=new[row][3], end=None)
        state[rel]["_ord"] = int(diff.positions[row])
    for n, row in enumerate(diff.create.tolist()):
        s, t, w, start = new[row]
        state[-1 - n] = {
            "source": s,
            "target": t,
            "weight": w,
            "start": start,
            "_ord": int(diff.positions[row]),
        }
    result = sorted(state.values(), key=lambda x: x["_ord"])
    assert [(x["source"], x["target"], x["weight"], x["start"]) for x in result] == new
    orders = [x["_ord"] for x in result]
    assert orders == sorted(set(orders))  # positions sort the layer, no two alike
    assert orders == diff.positions.tolist()
    # and it writes nothing it need not: a tie kept as it was is neither updated nor moved
    assert diff.unchanged + len(diff.update_rel) + len(diff.create) == len(new)
    assert len(set(diff.delete.tolist())) == len(diff.delete)


def test_an_unchanged_layer_needs_no_write() -> None:
    rows: list[Tie] = [(0, 1, 1.0, None), (0, 1, 2.0, None), (1, 0, 0.5, "2024-01-01")]
    diff = diff_layer(_stored(rows, [0, 1, 2]), _new(rows))
    assert diff.unchanged == 3
    assert not len(diff.update_rel) and not len(diff.delete) and not len(diff.create)


def test_ties_ending_outside_the_people_and_duplicates_are_deleted() -> None:
    rows: list[Tie] = [(0, 1, 1.0, None), (0, 1, 1.0, None)]
    stored = _stored(rows, [0, 1])
    stored.loc[1, "key"] = 0  # two stored copies of the same tie
    outside = stored.iloc[[0]].assign(rel=999, target=-1)
    diff = diff_layer(pd.concat([stored, outside], ignore_index=True), _new(rows[:1]))
    assert sorted(diff.delete.tolist()) == [101, 999]
    assert diff.unchanged == 1


def test_dropping_and_appending_ties_moves_no_other_tie() -> None:
    old: list[Tie] = [(i // 4, i % 4, 1.0, None) for i in range(12)]  # distinct pairs
    new = [t for i, t in enumerate(old) if i % 3]  # every third dropped
    new[0] = (new[0][0], new[0][1], 2.0, None)  # one re-weighted
    new.append((3, 3, 0.5, "2024-01-01"))  # one appended
    diff = diff_layer(_stored(old, list(range(12))), _new(new))
    assert len(diff.delete) == 4 and diff.create.tolist() == [len(new) - 1]
    assert diff.update_rows.tolist() == [0] and not diff.moved.any()
    assert diff.positions[-1] == 12  # after the last stored position


def test_a_failing_batch_stops_the_batches_not_yet_sent() -> None:
    # two at a time: the batches queued behind a failure are cancelled, not sent
    sent: list[int] = []
    seen: list[tuple[int, int]] = []

    def batch(start: int) -> int:
        sent.append(start)
        if start == 0:
            raise StoreError("lost an end")
        time.sleep(0.05)  # all hundred would take five seconds
        return 10

    counter = _Done(lambda _stage, done, total: seen.append((done, total)), 1000)
    with pytest.raises(StoreError, match="lost an end"):
        counter.run(batch, range(0, 1000, 10), threads=2)
    assert len(sent) < 10, sent
    assert counter.done == 0 and seen == [(0, 1000)]  # nothing counted past the failure


def test_batches_in_threads_count_every_row_in_order() -> None:
    seen: list[int] = []
    counter = _Done(lambda _stage, done, _total: seen.append(done), 95)
    counter.run(lambda start: min(10, 95 - start), range(0, 95, 10), threads=2)
    assert counter.done == 95 and seen == [0, *range(10, 95, 10), 95]
