"""The glossary: complete entries, one lookup for every label pages show, heatmap order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orgbridge.app import figures
from orgbridge.app._format import COLUMN_LABELS
from orgbridge.app.glossary import ENTRIES, lookup
from orgbridge.app.services import GROUP_METRICS, PERSON_METRICS

#: Columns that describe rather than measure (no glossary entry needed).
DESCRIPTIVE = {
    "group", "group_a", "group_b", "person", "person_a", "person_b", "person_id", "label",
    "note", "kind", "reason", "decision", "status", "start", "end", "snapshot", "programme",
    "department", "level", "location", "division", "a", "b", "layer", "cycle_id", "match_id",
    "programme_id", "name_a", "name_b", "department_a", "department_b", "level_a", "level_b",
    "proposed_at", "decided_at", "decided_by", "started_at", "ended_at", "end_reason",
}  # fmt: skip


def test_every_entry_is_complete_and_unique() -> None:
    keys = [e.key for e in ENTRIES]
    assert len(keys) == len(set(keys))
    for item in ENTRIES:
        for text in (item.title, item.sentence, item.formula, item.reading, item.threshold):
            assert text.strip(), item.key
        assert lookup(item.title) is item


@pytest.mark.parametrize(
    "name", sorted(set(COLUMN_LABELS) - DESCRIPTIVE | set(GROUP_METRICS) | set(PERSON_METRICS))
)
def test_every_metric_column_has_an_entry(name: str) -> None:
    assert lookup(COLUMN_LABELS.get(name, name)) is not None or lookup(name) is not None


def test_lookup_ignores_the_grouping_in_brackets_and_case() -> None:
    assert lookup("E-I index (department)") is lookup("e-i index")
    assert lookup("Exposure gap between departments") is None  # a card title: keyed by card
    assert lookup("Within 2 hops of a leader").key == "within_2_hops"


def test_grid_headers_are_human_with_glossary_tooltips() -> None:
    frame = pd.DataFrame({"group_a": ["x"], "ties": [3], "share_within_2_hops": [0.25]})
    columns = figures.grid_columns(frame)
    assert [c["headerName"] for c in columns] == ["Group A", "Ties", "Within 2 hops"]
    assert "headerTooltip" not in columns[0]
    assert columns[2]["headerTooltip"].startswith("Within 2 hops of a leader")
    assert "100 * params.value" in columns[2]["valueFormatter"]["function"]


def _blocks() -> pd.DataFrame:
    """Two blocks {a, c, e} and {b, d}, interleaved by name and by size."""
    names = list("abcde")
    block = {"a": 0, "c": 0, "e": 0, "b": 1, "d": 1}
    values = np.array(
        [[0.9 if block[r] == block[c] else 0.05 for c in names] for r in names], dtype=float
    )
    return pd.DataFrame(values, index=names, columns=names)


def test_cluster_order_puts_each_block_together() -> None:
    order = figures.matrix_order(_blocks(), by="cluster")
    positions = sorted(order.index(g) for g in "ace")
    assert positions == list(range(positions[0], positions[0] + 3))


def test_size_order_and_suppressed_last_and_same_order_on_both_axes() -> None:
    matrix = _blocks()
    matrix.loc["b", :] = np.nan
    matrix.loc[:, "b"] = np.nan
    sizes = pd.Series({"a": 10, "b": 3, "c": 50, "d": 20, "e": 5})
    order = figures.matrix_order(matrix, by="size", sizes=sizes)
    assert order == ["c", "d", "a", "e", "b"]
    figure = figures.matrix_figure(matrix, title="t", order=order)
    assert list(figure.data[0].x) == list(figure.data[0].y) == order
    assert figure.layout.yaxis.autorange == "reversed"  # first row at the top
