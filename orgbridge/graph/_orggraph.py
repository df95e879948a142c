"""OrgGraph: an organisation as two columnar tables, people and ties.

The people table is keyed by ``person_id``; a person's *position* (row number) is the vertex
index used by every compiled view. The tie table stores ``source`` and ``target`` as int32
positions, so building a scipy or igraph view never touches a Python object per row.
The ``reports_to`` layer is always derived from ``people.manager_id``: the manager line has one
source of truth.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from orgbridge.errors import GraphError
from orgbridge.graph._lookup import lookup_positions
from orgbridge.graph._schema import (
    BUILTIN_LAYERS,
    INFORMAL_LAYERS,
    PERSON_ID,
    REPORTS_TO,
    TIE_COLUMNS,
)

__all__ = ["OrgGraph", "empty_ties", "normalise_layers"]

LayerSpec = str | Iterable[str] | None


def empty_ties() -> pd.DataFrame:
    """An empty tie table with the canonical columns and dtypes.

    Example
    -------
    >>> list(empty_ties().columns)
    ['source', 'target', 'layer', 'weight', 'start', 'end']
    """
    return pd.DataFrame(
        {
            "source": pd.Series([], dtype="int32"),
            "target": pd.Series([], dtype="int32"),
            "layer": pd.Series([], dtype="object"),
            "weight": pd.Series([], dtype="float64"),
            "start": pd.Series([], dtype="datetime64[ns]"),
            "end": pd.Series([], dtype="datetime64[ns]"),
        }
    )


def normalise_layers(layers: LayerSpec, available: Sequence[str]) -> tuple[str, ...]:
    """Turn a layer selection into a sorted tuple; ``None`` means the informal layers.

    Example
    -------
    >>> normalise_layers("collaboration,mentoring", ["collaboration", "mentoring"])
    ('collaboration', 'mentoring')
    """
    if layers is None:
        return tuple(sorted(INFORMAL_LAYERS))
    if isinstance(layers, str):
        chosen = [part.strip() for part in layers.split(",") if part.strip()]
    else:
        chosen = [str(layer) for layer in layers]
    if layers == "all" or chosen == ["all"]:
        return tuple(sorted(set(available) | set(BUILTIN_LAYERS)))
    return tuple(sorted(set(chosen)))


class OrgGraph:
    """An organisation: people (keyed by ``person_id``) and multi-layer ties between them.

    Treat an OrgGraph as immutable: views are cached, and methods that change the graph
    (:meth:`snapshot`, :meth:`with_ties`) return a new one.

    Parameters
    ----------
    people
        One row per person, column ``person_id`` (unique, non-empty strings) and any
        attributes (canonical ones are listed in ``orgbridge.graph.PEOPLE_COLUMNS``).
    ties
        Columns ``source, target`` (int32 positions into ``people``), ``layer``, ``weight``
        and optional ``start``/``end`` dates. Must not contain ``reports_to``: that layer
        is derived from ``people.manager_id``.
    special
        Names of special-category attributes (aggregate-only, never exported).
    metadata
        Free-form provenance (source files, level order, leader rule...).

    Raises
    ------
    GraphError
        Duplicate or missing ids, positions out of range, or an explicit reports_to layer.

    Example
    -------
    >>> people = pd.DataFrame({"person_id": ["a", "b", "c", "d"],
    ...                        "manager_id": [None, "a", "a", "b"]})
    >>> g = OrgGraph.from_frames(people, pd.DataFrame(
    ...     {"source": ["b"], "target": ["c"], "layer": ["collaboration"]}))
    >>> g.n_people, g.tie_counts()
    (4, {'collaboration': 1, 'reports_to': 3})
    """

    def __init__(
        self,
        people: pd.DataFrame,
        ties: pd.DataFrame | None = None,
        *,
        special: Iterable[str] = (),
        metadata: dict[str, Any] | None = None,
    ) -> None:
        people = people.reset_index(drop=True)
        if PERSON_ID not in people.columns:
            raise GraphError("the people table has no person_id column")
        ids = people[PERSON_ID]
        if ids.isna().any():
            raise GraphError("the people table has a missing person_id")
        ids = ids.astype(str)
        index = pd.Index(ids)
        if not index.is_unique:
            dupes = index[index.duplicated()].unique()[:5].tolist()
            raise GraphError(f"person_id values are not unique, e.g. {dupes}")
        people = people.assign(person_id=ids)
        self._people = people
        self._index = index
        self.special: frozenset[str] = frozenset(special)
        self.metadata: dict[str, Any] = dict(metadata or {})
        explicit = _coerce_ties(ties if ties is not None else empty_ties(), len(people))
        if (explicit["layer"] == REPORTS_TO).any():
            raise GraphError("reports_to ties are derived from people.manager_id; set that instead")
        derived = self._manager_ties()
        layer = _union_layers([explicit["layer"], derived["layer"]])
        combined = pd.concat(
            [explicit.drop(columns="layer"), derived.drop(columns="layer")], ignore_index=True
        )
        combined.insert(2, "layer", pd.Series(layer, index=combined.index))
        self._ties = combined
        self._cache: dict[Any, Any] = {}

    # ---- construction -------------------------------------------------------------------

    @classmethod
    def from_frames(
        cls,
        people: pd.DataFrame,
        ties: pd.DataFrame | None = None,
        *,
        special: Iterable[str] = (),
        metadata: dict[str, Any] | None = None,
    ) -> OrgGraph:
        """Build from a people table and a tie table whose source/target are person ids.

        Raises
        ------
        GraphError
            A tie names a person who is not in the people table.
        """
        people = people.reset_index(drop=True)
        index = pd.Index(people[PERSON_ID].astype(str))
        if ties is None or len(ties) == 0:
            return cls(people, None, special=special, metadata=metadata)
        ties = ties.copy()
        ties = ties[ties["layer"] != REPORTS_TO] if "layer" in ties.columns else ties
        for end in ("source", "target"):
            codes = lookup_positions(ties[end], index)
            if (codes < 0).any():
                bad = ties.loc[codes < 0, end].iloc[0]
                raise GraphError(f"tie {end} {bad!r} is not a known person")
            ties[end] = codes.astype(np.int32)
        return cls(people, ties, special=special, metadata=metadata)

    def _manager_ties(self) -> pd.DataFrame:
        if "manager_id" not in self._people.columns:
            return empty_ties()
        managers = self._people["manager_id"]
        present = managers.notna().to_numpy()
        codes = np.full(len(managers), -1, dtype=np.int64)
        codes[present] = lookup_positions(managers[present], self._index)
        keep = codes >= 0
        source = np.flatnonzero(keep).astype(np.int32)
        n = len(source)
        return pd.DataFrame(
            {
                "source": source,
                "target": codes[keep].astype(np.int32),
                "layer": np.full(n, REPORTS_TO, dtype=object),
                "weight": np.ones(n),
                "start": pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]"),
                "end": pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]"),
            }
        )

    # ---- tables --------------------------------------------------------------------------

    @property
    def people(self) -> pd.DataFrame:
        """The people table (row position = vertex index). Do not mutate it."""
        return self._people

    @property
    def ties(self) -> pd.DataFrame:
        """All ties, ``reports_to`` included; source/target are int32 positions."""
        return self._ties

    @property
    def n_people(self) -> int:
        """Number of people."""
        return len(self._people)

    @property
    def ids(self) -> pd.Index:
        """person_id of every position, as a pandas Index."""
        return self._index

    @property
    def layers(self) -> tuple[str, ...]:
        """Layers that have at least one tie, sorted."""
        if "layers" not in self._cache:
            counts = self._ties["layer"].value_counts()
            self._cache["layers"] = tuple(sorted(str(k) for k, v in counts.items() if v > 0))
        layers: tuple[str, ...] = self._cache["layers"]
        return layers

    def explicit_ties(self) -> pd.DataFrame:
        """Ties other than the derived ``reports_to`` layer (what a store persists)."""
        mask = (self._ties["layer"] != REPORTS_TO).to_numpy()
        out = self._ties.loc[mask].reset_index(drop=True)
        out["layer"] = out["layer"].astype(str)
        return out

    def tie_table(self, layers: LayerSpec = "all") -> pd.DataFrame:
        """Ties with person ids instead of positions, for export and display."""
        selected = self.select_ties(layers)
        ids = self._index.to_numpy()
        out = selected.copy()
        out["source"] = ids[selected["source"].to_numpy()]
        out["target"] = ids[selected["target"].to_numpy()]
        out["layer"] = out["layer"].astype(str)
        return out.reset_index(drop=True)

    def tie_counts(self) -> dict[str, int]:
        """Number of ties per layer, e.g. ``{'collaboration': 120, 'reports_to': 49}``."""
        counts = self._ties["layer"].astype(str).value_counts()
        return {str(k): int(v) for k, v in sorted(counts.items()) if v > 0}

    def positions(self, person_ids: Iterable[str]) -> np.ndarray:
        """Positions of the given ids.

        Raises
        ------
        GraphError
            An id is unknown.
        """
        wanted = pd.Index([str(p) for p in person_ids])
        codes = self._index.get_indexer(wanted)
        if (codes < 0).any():
            raise GraphError(f"{wanted[codes < 0][0]!r} is not a known person")
        return codes.astype(np.int64)

    def attribute(self, name: str) -> pd.Series:
        """One people attribute by position.

        Raises
        ------
        GraphError
            The people table has no such column.
        """
        if name not in self._people.columns:
            raise GraphError(
                f"no attribute {name!r}; available: {', '.join(map(str, self._people.columns))}"
            )
        return self._people[name]

    def leader_mask(self) -> np.ndarray:
        """Boolean array: True where the person is a leader (missing counts as not)."""
        if "is_leader" not in self._people.columns:
            return np.zeros(self.n_people, dtype=bool)
        return self._people["is_leader"].fillna(False).astype(bool).to_numpy()

    # ---- selection and snapshots ---------------------------------------------------------

    def select_ties(self, layers: LayerSpec = None) -> pd.DataFrame:
        """Ties in the chosen layers (``None``: the informal layers; ``"all"``: every layer)."""
        chosen = normalise_layers(layers, self.layers)
        mask = self._ties["layer"].isin(chosen).to_numpy()
        return self._ties.loc[mask]

    def snapshot(self, as_of: str | pd.Timestamp) -> OrgGraph:
        """The organisation as of a date: people who had started, ties active on that day.

        Example
        -------
        >>> people = pd.DataFrame({"person_id": ["a", "b"]})
        >>> ties = pd.DataFrame({"source": ["a"], "target": ["b"], "layer": ["mentoring"],
        ...                      "start": ["2024-01-01"], "end": ["2024-06-30"]})
        >>> g = OrgGraph.from_frames(people, ties)
        >>> g.snapshot("2024-03-01").tie_counts(), g.snapshot("2025-01-01").tie_counts()
        ({'mentoring': 1}, {})
        """
        day = pd.Timestamp(as_of)
        people = self._people
        keep = np.ones(len(people), dtype=bool)
        if "start_date" in people.columns:
            started = pd.to_datetime(people["start_date"], errors="coerce")
            keep = (started.isna() | (started <= day)).to_numpy()
        ties = self.explicit_ties()
        active = (ties["start"].isna() | (ties["start"] <= day)) & (
            ties["end"].isna() | (ties["end"] >= day)
        )
        ties = ties.loc[active.to_numpy()]
        remap = np.cumsum(keep) - 1
        both = keep[ties["source"].to_numpy()] & keep[ties["target"].to_numpy()]
        ties = ties.loc[both].copy()
        ties["source"] = remap[ties["source"].to_numpy()].astype(np.int32)
        ties["target"] = remap[ties["target"].to_numpy()].astype(np.int32)
        kept_people = people.loc[keep].reset_index(drop=True)
        if "manager_id" in kept_people.columns:
            known = kept_people["manager_id"].isin(kept_people[PERSON_ID])
            kept_people = kept_people.assign(
                manager_id=kept_people["manager_id"].where(known, None)
            )
        meta = dict(self.metadata, as_of=str(day.date()))
        return OrgGraph(kept_people, ties, special=self.special, metadata=meta)

    def with_ties(self, ties: pd.DataFrame) -> OrgGraph:
        """A new graph with extra ties (source/target as person ids), e.g. proposed pairs."""
        extra = ties.copy()
        for end in ("source", "target"):
            extra[end] = self.positions(extra[end].astype(str)).astype(np.int32)
        combined = pd.concat([self.explicit_ties(), _coerce_ties(extra, self.n_people)])
        return OrgGraph(
            self._people,
            combined.reset_index(drop=True),
            special=self.special,
            metadata=self.metadata,
        )

    def with_people(self, people: pd.DataFrame) -> OrgGraph:
        """A new graph with a replaced people table of the same ids in the same order.

        Raises
        ------
        GraphError
            The ids differ from the current ones.
        """
        if not pd.Index(people[PERSON_ID].astype(str)).equals(self._index):
            raise GraphError("with_people needs the same person ids in the same order")
        return OrgGraph(people, self.explicit_ties(), special=self.special, metadata=self.metadata)

    # ---- compiled views ------------------------------------------------------------------

    def edge_arrays(
        self, layers: LayerSpec = None, *, directed: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Distinct edges of the chosen layers as ``(source, target, weight)`` arrays.

        Undirected (default): each unordered pair once with ``source < target``, self-loops
        dropped, weights summed over layers and both directions. Directed: each ordered pair
        once, weights summed.
        """
        key = ("edges", normalise_layers(layers, self.layers), directed)
        if key not in self._cache:
            matrix = self.adjacency(layers, weighted=True, directed=directed)
            if not directed:
                matrix = sp.triu(matrix, k=1, format="csr")
            coo = matrix.tocoo()
            order = np.lexsort((coo.col, coo.row))
            self._cache[key] = (
                coo.row[order].astype(np.int32),
                coo.col[order].astype(np.int32),
                coo.data[order].astype(np.float64),
            )
        result: tuple[np.ndarray, np.ndarray, np.ndarray] = self._cache[key]
        return result

    def adjacency(
        self, layers: LayerSpec = None, *, weighted: bool = False, directed: bool = False
    ) -> sp.csr_matrix:
        """Sparse n x n adjacency of the chosen layers (cached).

        Undirected (default): symmetric, self-loops dropped; unweighted entries are 1 where
        any tie exists in either direction (OR-symmetrised); weighted entries sum the weights
        of every tie between the two people in both directions.
        """
        key = ("adj", normalise_layers(layers, self.layers), weighted, directed)
        if key in self._cache:
            cached: sp.csr_matrix = self._cache[key]
            return cached
        ties = self.select_ties(layers)
        src = ties["source"].to_numpy(dtype=np.int32)
        dst = ties["target"].to_numpy(dtype=np.int32)
        n = self.n_people
        data = ties["weight"].to_numpy(dtype=np.float64) if weighted else np.ones(len(src))
        if not directed:
            loop = src == dst
            src, dst, data = src[~loop], dst[~loop], data[~loop]
            src, dst = np.concatenate([src, dst]), np.concatenate([dst, src])
            data = np.concatenate([data, data])
        matrix = sp.csr_matrix((data, (src, dst)), shape=(n, n))
        matrix.sum_duplicates()
        if not weighted:
            matrix.data[:] = 1.0
        self._cache[key] = matrix
        return matrix

    def igraph(self, layers: LayerSpec = None, *, directed: bool = False) -> Any:
        """An igraph.Graph of the chosen layers, vertices in people order, attribute
        ``weight`` on edges (distinct edges, weights summed). Built from index arrays, cached.
        """
        import igraph as ig

        key = ("igraph", normalise_layers(layers, self.layers), directed)
        if key not in self._cache:
            src, dst, weight = self.edge_arrays(layers, directed=directed)
            # igraph reads edges as Python pairs: zipped lists convert twice as fast as a
            # 2-column array (whose rows are each a numpy object)
            edges = list(zip(src.tolist(), dst.tolist(), strict=True))
            graph = ig.Graph(n=self.n_people, edges=edges, directed=directed)
            del edges
            graph.es["weight"] = weight.tolist()
            self._cache[key] = graph
        return self._cache[key]

    def to_networkx(self, layers: LayerSpec = "all") -> Any:
        """A networkx MultiDiGraph keyed by person_id with every attribute and tie.

        For interoperability and reference checks on small graphs; never on the hot path.
        """
        import networkx as nx

        graph = nx.MultiDiGraph()
        records = self._people.to_dict(orient="records")
        graph.add_nodes_from(
            (rec[PERSON_ID], {k: v for k, v in rec.items() if k != PERSON_ID and pd.notna(v)})
            for rec in records
        )
        for rec in self.tie_table(layers).to_dict(orient="records"):
            attrs = {k: rec[k] for k in ("layer", "weight", "start", "end") if pd.notna(rec[k])}
            graph.add_edge(rec["source"], rec["target"], key=rec["layer"], **attrs)
        return graph

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.tie_counts().items())
        return f"OrgGraph({self.n_people} people; {counts or 'no ties'})"


def _union_layers(parts: Sequence[pd.Series]) -> pd.Categorical:
    """Concatenate layer columns into one Categorical by remapping codes (no string work)."""
    cats = [_layer_categorical(part) for part in parts]
    names = sorted({str(c) for cat in cats for c in cat.categories})
    position = {name: i for i, name in enumerate(names)}
    codes = []
    for cat in cats:
        remap = np.array([position[str(c)] for c in cat.categories], dtype=np.int64)
        raw = np.asarray(cat.codes, dtype=np.int64)
        codes.append(remap[raw] if len(remap) else raw)
    categories = pd.Index(names, dtype=object)
    return pd.Categorical.from_codes(np.concatenate(codes), categories=categories)


def _layer_categorical(layer: pd.Series) -> pd.Categorical:
    """Layer names as a Categorical (hash-based; never sorts millions of strings)."""
    if isinstance(layer.dtype, pd.CategoricalDtype):
        cat = pd.Categorical(layer)
        return cat.rename_categories({c: str(c) for c in cat.categories})
    return pd.Categorical(layer.astype(str).to_numpy(dtype=object))


def _coerce_ties(ties: pd.DataFrame, n_people: int) -> pd.DataFrame:
    """Bring a tie table to the canonical columns and dtypes, checking positions."""
    missing = {"source", "target", "layer"} - set(ties.columns)
    if missing:
        raise GraphError(f"the tie table lacks column(s) {sorted(missing)}")
    n = len(ties)
    out = pd.DataFrame(
        {
            "source": ties["source"].to_numpy(dtype=np.int64),
            "target": ties["target"].to_numpy(dtype=np.int64),
            "layer": _layer_categorical(ties["layer"]),
            "weight": (
                ties["weight"].to_numpy(dtype=np.float64)
                if "weight" in ties.columns
                else np.ones(n)
            ),
        }
    )
    for col in ("start", "end"):
        values = ties[col] if col in ties.columns else pd.Series(pd.NaT, index=ties.index)
        out[col] = pd.to_datetime(values.to_numpy(), errors="raise").astype("datetime64[ns]")
    for end in ("source", "target"):
        codes = out[end].to_numpy()
        if n and (codes.min() < 0 or codes.max() >= n_people):
            raise GraphError(f"tie {end} positions out of range 0..{n_people - 1}")
        out[end] = codes.astype(np.int32)
    if n and np.isnan(out["weight"].to_numpy()).any():
        out["weight"] = out["weight"].fillna(1.0)
    return out[list(TIE_COLUMNS)]
