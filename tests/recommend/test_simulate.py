"""The incremental what-if simulation equals a full recompute on the edited graph."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orgbridge.errors import GraphError
from orgbridge.graph import OrgGraph
from orgbridge.recommend import simulate
from tests.recommend.strategies import orgs, random_org


def _assert_same(got: dict[str, Any], expected: dict[str, Any]) -> None:
    for side in ("before", "after"):
        g, e = got[side], expected[side]
        for key in ("ei_index", "modularity", "equity_gap"):
            if e[key] is None:
                assert g[key] is None, (side, key)
            else:
                assert g[key] == pytest.approx(e[key], abs=1e-12), (side, key)
        assert g["share_within_2_hops"]["overall"] == pytest.approx(
            e["share_within_2_hops"]["overall"]
        )
        assert g["share_within_2_hops"]["by_group"] == pytest.approx(
            e["share_within_2_hops"]["by_group"]
        )
    assert got["added_ties"] == expected["added_ties"]


@settings(max_examples=40, deadline=None)
@given(
    graph=orgs,
    data=st.data(),
    layers=st.sampled_from([None, ("collaboration", "mentoring"), ("collaboration",)]),
    group_by=st.sampled_from(["department", "location"]),
)
def test_incremental_simulation_equals_a_full_recompute(
    graph: OrgGraph, data: st.DataObject, layers: tuple[str, ...] | None, group_by: str
) -> None:
    ids = list(graph.ids)
    rows = data.draw(
        st.lists(
            st.tuples(
                st.sampled_from(ids),
                st.sampled_from(ids),
                st.sampled_from(["pair", "sponsorship"]),
            ),
            max_size=10,
        )
    )
    # repeat an existing tie and a reversed proposal so duplicates are exercised
    table = graph.tie_table()
    if len(table) and rows:
        rows.append((str(table["target"].iloc[0]), str(table["source"].iloc[0]), "pair"))
        rows.append((rows[0][1], rows[0][0], "pair"))
    proposals = pd.DataFrame(rows, columns=["a", "b", "kind"])
    fast = simulate(graph, proposals, group_by=group_by, layers=layers, min_group=5)
    full = simulate(
        graph, proposals, group_by=group_by, layers=layers, min_group=5, incremental=False
    )
    _assert_same(fast, full)


def test_incremental_simulation_on_a_larger_org() -> None:
    graph = random_org(9, 200, departments=6, tie_share=0.01)
    ids = list(graph.ids)
    proposals = pd.DataFrame({"a": ids[:60:2], "b": ids[199:140:-2]})
    fast = simulate(graph, proposals)
    full = simulate(graph, proposals, incremental=False)
    _assert_same(fast, full)
    assert fast["after"]["ei_index"] > fast["before"]["ei_index"]


def test_unknown_person_is_refused() -> None:
    graph = random_org(1, 10)
    with pytest.raises(GraphError, match="nobody"):
        simulate(graph, [("P000", "nobody")])
