"""How a changed tie layer is brought up to date in place on Neo4j.

A re-import usually changes a layer's values more than its shape: collaboration weights
move every month while most pairs stay. Deleting the layer and creating it again costs the
server two writes per tie; updating in place costs one, and none for a tie that did not
change. So a changed layer is read back (tie id, both ends, ``key``, values, position),
matched with the new layer on its identity, ``(source, target, key)`` (``key`` numbers the
repeats of a pair, so repeated pairs match one to one), and then

* a matched tie whose weight, period or position differs is updated (``SET`` by its id);
* a stored tie with no match (or a second copy of one) is deleted;
* a new tie with no match is created.

It is convergent like the rest of the save: run again after an interruption, it reads what
is there and writes only what is still different.

Example
-------
>>> stored = pd.DataFrame({"rel": [7, 8], "source": [0, 1], "target": [1, 0], "key": [0, 0],
...     "weight": [1.0, 2.0], "_ord": [0, 1], "start": [None, None], "end": [None, None]})
>>> new = pd.DataFrame({"source": [1, 2], "target": [0, 0], "key": [0, 0],
...     "weight": [2.5, 1.0], "start": [None, None], "end": [None, None]})
>>> d = diff_layer(stored, new)
>>> d.update_rel.tolist(), d.update_rows.tolist(), d.delete.tolist(), d.create.tolist()
([8], [0], [7], [1])
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from orgbridge.errors import StoreError
from orgbridge.graph._neo4j_plan import LayerPlan, quote

Run = Callable[..., list[Any]]
Progress = Callable[[str, int, int], None]

#: Source people per read of the stored layer (one Bolt record of column lists per page).
READ_PAGE = 25_000
#: Ties per delete: the server deletes more per second in small transactions (about 25k/s at
#: 5,000 against 16-19k/s at 20,000 here).
DELETE_BATCH = 5_000
_IDENTITY = ["source", "target", "key"]


@dataclass(frozen=True)
class LayerDiff:
    """What brings a stored layer to the new one.

    ``positions`` is the ``_ord`` every new row gets; ``update_rel`` / ``update_rows`` the
    stored relationships whose values change and the rows they take, ``moved`` whether
    each also changes position; ``delete`` the stored relationships to delete; ``create``
    the rows to create."""

    positions: np.ndarray
    update_rel: np.ndarray
    update_rows: np.ndarray
    moved: np.ndarray
    delete: np.ndarray
    create: np.ndarray
    unchanged: int


def diff_layer(stored: pd.DataFrame, new: pd.DataFrame, *, values: bool = True) -> LayerDiff:
    """Match ``stored`` (``rel, source, target, key, weight, _ord, start, end``; ends as
    positions, -1 for a node that is not a person of the plan) with ``new`` (its rows in
    layer order) on ``(source, target, key)``; without ``values`` (the manager line, whose
    relationships hold nothing) a matched tie is never updated.

    Kept ties keep their stored ``_ord`` when the new order allows it (see
    :func:`positions`): a dropped or appended tie then moves nobody else."""
    rel = stored["rel"].to_numpy(np.int64)
    inside = (stored["source"].to_numpy() >= 0) & (stored["target"].to_numpy() >= 0)
    identity = _identity(stored)
    twice = identity.duplicated(keep="first") & inside
    keep = inside & ~twice
    stored, identity = stored[keep], identity[keep]
    # a hash join on the identity: several times faster than a merge of the two frames
    found = identity.get_indexer(_identity(new))
    rows = np.flatnonzero(found >= 0)
    at = found[rows]
    old = stored["_ord"].to_numpy(np.int64)[at]
    place = positions(len(new), rows, old) if values else np.arange(len(new), dtype=np.int64)
    moved = place[rows] != old
    weight = new["weight"].to_numpy(np.float64)[rows]
    weight_old = stored["weight"].to_numpy(np.float64)[at]
    differs = moved | ~((weight == weight_old) | (np.isnan(weight) & np.isnan(weight_old)))
    for column in ("start", "end"):  # texts: compared only where either side has one
        a = new[column].to_numpy(dtype=object)[rows]
        b = stored[column].to_numpy(dtype=object)[at]
        if (pd.notna(a) | pd.notna(b)).any():
            differs |= ~_same(a, b)
    if not values:
        differs[:] = False
    matched = np.zeros(len(stored), dtype=bool)
    matched[at] = True
    gone = stored["rel"].to_numpy(np.int64)[~matched]
    return LayerDiff(
        positions=place,
        update_rel=stored["rel"].to_numpy(np.int64)[at][differs],
        update_rows=rows[differs],
        moved=moved[differs],
        delete=np.concatenate([gone, rel[twice], rel[~inside]]).astype(np.int64),
        create=np.flatnonzero(found < 0),
        unchanged=int(len(rows) - differs.sum()),
    )


def _identity(frame: pd.DataFrame) -> pd.MultiIndex:
    """The ``(source, target, key)`` of every row, as an index to join on."""
    return pd.MultiIndex.from_arrays([frame[c].to_numpy(np.int64) for c in _IDENTITY])


def positions(n: int, rows: np.ndarray, old: np.ndarray) -> np.ndarray:
    """The ``_ord`` of each of ``n`` new rows: the stored ``old`` one for the kept ``rows``
    (ascending) when those are in the same order and every run of other rows fits between
    its neighbours (counting up from the kept tie before it, down from the first), else
    ``0..n-1``. Positions only need to sort the layer, not to be dense.

    Example
    -------
    >>> positions(4, np.array([1, 2]), np.array([5, 9])).tolist()  # a tie before, one after
    [4, 5, 9, 10]
    >>> positions(3, np.array([0, 1]), np.array([5, 6])).tolist()  # one appended
    [5, 6, 7]
    >>> positions(3, np.array([0, 2]), np.array([5, 6])).tolist()  # no room: renumbered
    [0, 1, 2]
    """
    dense = np.arange(n, dtype=np.int64)
    if not len(rows) or (np.diff(old) <= 0).any():
        return dense
    kept_before = np.searchsorted(rows, dense, side="right")  # kept rows at or before each
    before = kept_before - 1
    after_first = before >= 0
    place = np.where(
        after_first,
        old[np.maximum(before, 0)] + dense - rows[np.maximum(before, 0)],
        old[0] - (rows[0] - dense),
    )
    has_next = kept_before < len(rows)
    limit = old[np.minimum(kept_before, len(rows) - 1)]
    if (has_next & after_first & (place >= limit)).any():
        return dense
    return np.asarray(place, dtype=np.int64)


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise equality of two object arrays where two missing values are equal."""
    return np.asarray((pd.isna(a) & pd.isna(b)) | (a == b), dtype=bool)


def read_layer(
    run: Run,
    layer: LayerPlan,
    node_ids: np.ndarray,
    threads: int = 1,
    *,
    shared: bool = True,
    dated: bool = True,
) -> pd.DataFrame:
    """The stored relationships of ``layer`` with their ends as plan positions (people
    must already carry their new ``_ord``); ``threads`` pages at once when ``run`` may be
    called from several threads.

    Without ``shared`` (no other layer has this relationship type) every relationship of
    the type is the layer's, as the reader takes it, and the ``layer`` property is not
    read; without ``dated`` (the stored layer is known to have no periods) neither are
    ``start`` and ``end``: each is a property read per tie on the server."""
    query = (
        "MATCH (a:Person) WHERE a._ord >= $low AND a._ord < $high "
        f"MATCH (a)-[t:{quote(layer.rel_type)}]->(b) "
        "RETURN collect(id(t)) AS rel, collect(a._ord) AS source, collect(id(b)) AS target"
    )
    if layer.is_manager_line:  # no properties: every tie is key 0, without values
        query += ", [] AS key, [] AS weight, [] AS o, [] AS periods"
    else:
        if shared:
            query = query.replace(" RETURN ", " WHERE t.layer = $layer RETURN ")
        query += ", collect(t.key) AS key, collect(t.weight) AS weight, collect(t._ord) AS o, "
        query += (
            "collect(CASE WHEN t.start IS NULL AND t.end IS NULL THEN null "
            "ELSE [id(t), t.start, t.end] END) AS periods"
            if dated
            else "[] AS periods"
        )
    parts: dict[str, list[Any]] = {k: [] for k in ("rel", "source", "target", "key", "weight")}
    order: list[Any] = []
    periods: list[Any] = []

    def page(low: int) -> list[Any]:
        return run(query, low=low, high=low + READ_PAGE, layer=layer.name)

    # two pages at once when the runner allows: the server reads one while this decodes
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for rows in pool.map(page, range(0, len(node_ids), READ_PAGE)):
            if not rows:
                continue
            for name, values in parts.items():
                values += rows[0][name]
            order += rows[0]["o"]
            periods += rows[0]["periods"]
    by_node = pd.Index(node_ids)
    rel = np.asarray(parts["rel"], dtype=np.int64)
    if layer.is_manager_line:
        parts["key"] = [0] * len(rel)
        parts["weight"] = [None] * len(rel)
        order = [None] * len(rel)
    frame = pd.DataFrame(
        {
            "rel": rel,
            "source": np.asarray(parts["source"], dtype=np.int64),
            "target": by_node.get_indexer(np.asarray(parts["target"], dtype=np.int64)),
            "key": pd.array(parts["key"], dtype="Int64").fillna(-1).to_numpy(np.int64),
            "weight": pd.array(parts["weight"], dtype="Float64").to_numpy(
                np.float64, na_value=np.nan
            ),
            "_ord": pd.array(order, dtype="Int64").fillna(-1).to_numpy(np.int64),
            "start": pd.Series([None] * len(rel), dtype=object),
            "end": pd.Series([None] * len(rel), dtype=object),
        }
    )
    if periods:
        where = pd.Index(rel).get_indexer(pd.Index([p[0] for p in periods]))
        frame.loc[where, "start"] = [p[1] for p in periods]
        frame.loc[where, "end"] = [p[2] for p in periods]
    return frame


def update_layer(
    run: Run,
    layer: LayerPlan,
    node_ids: np.ndarray,
    batch: int,
    progress: Progress,
    threads: int = 1,
    *,
    shared: bool = True,
    dated: bool = True,
) -> dict[str, int]:
    """Bring the stored ``layer`` to the plan's in place; counts of what was written
    (``threads``, ``shared``, ``dated``: see :func:`read_layer`)."""
    stored = read_layer(run, layer, node_ids, threads, shared=shared, dated=dated)
    c = layer.columns
    line = layer.is_manager_line
    nothing = pd.Series([None] * len(layer), dtype=object)
    new = pd.DataFrame(
        {
            "source": c["source"],
            "target": c["target"],
            "key": np.zeros(len(layer), np.int64) if line else c["key"],
            "weight": np.full(len(layer), np.nan) if line else c["weight"],
            "start": nothing if line else pd.Series(c["start"], dtype=object),
            "end": nothing if line else pd.Series(c["end"], dtype=object),
        }
    )
    diff = diff_layer(stored, new, values=not line)
    kind = quote(layer.rel_type)
    # the periods are written when the new layer has some or the stored one had
    with_periods = bool(
        not layer.timeless or stored["start"].notna().any() or stored["end"].notna().any()
    )
    period = ", t.start = $st[i], t.end = $en[i]" if with_periods else ""
    # Setting a second property costs the server about as much again: a tie that keeps
    # its position gets its values only. The type is checked, not the ends' labels (two
    # node reads per tie): the ids were read from this layer's type a moment ago.
    update = (
        f"UNWIND range(0, size($r) - 1) AS i MATCH ()-[t:{kind}]->() "
        f"WHERE id(t) = $r[i] SET t.weight = $w[i]{period}"
    )
    total = len(diff.update_rel) + len(diff.delete) + len(diff.create)
    counter = _Done(progress, total)
    for moved in (False, True):
        which = diff.moved == moved
        # in store order: each batch then touches few pages (1.3x the updates per second
        # here than in layer order, which scatters them over the whole relationship store)
        by_id = np.argsort(diff.update_rel[which], kind="stable")
        relationships = diff.update_rel[which][by_id]
        query = update + (", t._ord = $o[i]" if moved else "") + " RETURN count(*) AS n"

        def set_values(
            low: int,
            relationships: np.ndarray = relationships,
            targets: np.ndarray = diff.update_rows[which][by_id],
            query: str = query,
            moved: bool = moved,
        ) -> int:
            rows = targets[low : low + batch]
            params: dict[str, Any] = {
                "r": relationships[low : low + batch].tolist(),
                "w": c["weight"][rows].tolist(),
            }
            if moved:
                params["o"] = diff.positions[rows].tolist()
            if with_periods:
                params["st"] = [c["start"][i] for i in rows]
                params["en"] = [c["end"][i] for i in rows]
            expect_written(run(query, **params), len(rows), layer.name)
            return len(rows)

        counter.run(set_values, range(0, len(relationships), batch), threads)
    delete = f"UNWIND $r AS x MATCH ()-[t:{kind}]->() WHERE id(t) = x DELETE t RETURN count(*) AS n"
    gone = np.sort(diff.delete)

    def delete_some(low: int) -> int:
        part = gone[low : low + DELETE_BATCH].tolist()
        expect_written(run(delete, r=part), len(part), layer.name)
        return len(part)

    counter.run(delete_some, range(0, len(gone), DELETE_BATCH), threads)
    done = counter.done
    query = layer.create_query()
    for params in layer.batches(node_ids, batch, rows=diff.create, order=diff.positions):
        progress("ties", done, total)
        expect_written(run(query, **params, layer=layer.name), len(params["s"]), layer.name)
        done += len(params["s"])
    return {
        "ties_updated": len(diff.update_rel),
        "ties_deleted": len(diff.delete),
        "ties_created": len(diff.create),
        "ties_unchanged": diff.unchanged,
    }


class _Done:
    """Batches run in order (or ``threads`` at a time), their rows counted for progress."""

    def __init__(self, progress: Progress, total: int) -> None:
        self.progress, self.total, self.done = progress, total, 0

    def run(self, batch: Callable[[int], int], starts: range, threads: int) -> None:
        """Call ``batch(start)`` for every start; a batch's error stops the rest."""
        self.progress("ties", self.done, self.total)
        with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
            try:
                for rows in pool.map(batch, starts):
                    self.done += rows
                    self.progress("ties", self.done, self.total)
            except BaseException:
                pool.shutdown(cancel_futures=True)  # the queued batches are not sent
                raise


def expect_written(rows: list[Any], wanted: int, layer: str) -> None:
    """Stop the save when a batch wrote fewer relationships than it was given."""
    made = int(rows[0]["n"]) if rows else 0
    if made != wanted:
        raise StoreError(
            f"{wanted - made} {layer!r} relationships lost an end while saving: people or "
            "ties were removed by someone else meanwhile. Run the save again (nothing else "
            "is changed by saving twice)"
        )
