"""The data stamp follows every value, including values pandas cannot hash directly."""

from __future__ import annotations

import pandas as pd

from orgbridge.graph import OrgGraph
from orgbridge.graph._stamp import data_stamp


def _graph(tags: list[object]) -> OrgGraph:
    people = pd.DataFrame({"person_id": ["a", "b", "c"], "tags": pd.Series(tags, dtype=object)})
    ties = pd.DataFrame({"source": ["a"], "target": ["b"], "layer": ["collaboration"]})
    return OrgGraph.from_frames(people, ties)


def test_list_and_dict_values_are_stamped_by_content() -> None:
    tags: list[object] = [["x", "y"], None, {"k": 1}]
    stamp = data_stamp(_graph(tags))
    assert stamp == data_stamp(_graph([["x", "y"], None, {"k": 1}]))
    assert stamp != data_stamp(_graph([["x", "z"], None, {"k": 1}]))
    assert stamp != data_stamp(_graph([["y", "x"], None, {"k": 1}]))  # order is content
    assert stamp != data_stamp(_graph([["x", "y"], None, {"k": 2}]))


def test_scalar_columns_keep_their_fast_stamp() -> None:
    assert data_stamp(_graph(["p", "q", None])) != data_stamp(_graph(["p", "q", "r"]))
