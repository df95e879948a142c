"""Silos services: group matrices, communities, brokers, bridging and the network map."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from orgbridge import metrics
from orgbridge.app._access import PERMISSIONS, check_access, requires
from orgbridge.app._services_base import (
    _HIDDEN_ATTRIBUTES,
    ServicesBase,
    _number,
)
from orgbridge.app.auth import User
from orgbridge.app.network import (
    MAX_ELEMENTS,
    NetworkView,
    cap_selection,
    ego_positions,
    layout_positions,
)
from orgbridge.errors import OrgbridgeError, ParameterError
from orgbridge.metrics._privacy import (
    small_group_note,
    suppress_small_cells,
)

__all__ = ["SilosServices"]


class SilosServices(ServicesBase):
    """Silos services: group matrices, communities, brokers, bridging and the network map."""

    @requires("aggregates")
    def map_search(
        self, user: User | None, elements: list[dict[str, Any]] | None, query: str | None
    ) -> dict[str, Any]:
        """The nodes of the shown map matching ``query``: groups for everyone, people too for
        the roles that may see them. ``{"matches": [ids], "note": text}``."""
        assert user is not None
        from orgbridge.app.figures import search_nodes

        text = (query or "").strip()
        if not text:
            return {"matches": [], "note": ""}
        groups_only = user.role not in PERMISSIONS["people"]
        matches = search_nodes(elements or [], text, groups_only=groups_only)
        if matches:
            note = f"{len(matches)} match(es) for {text!r} highlighted"
        elif groups_only:
            note = f"no group matches {text!r}"
        else:
            note = f"nothing on this map matches {text!r}; for a person, try the ego network"
        return {"matches": matches, "note": note}

    @requires("aggregates")
    def silos(self, user: User | None, group_by: str = "department") -> dict[str, Any]:
        """Group x group tie counts and density, E-I per group, and modularity.

        Every cell or row involving a group under the threshold is blank (NaN) and listed in
        ``suppressed``. Communities come from :meth:`communities` (they take longer).
        """
        ties = self._group_ties(group_by)
        tie_matrix = metrics.tie_matrix
        sizes = self._sizes(group_by)
        counts = suppress_small_cells(tie_matrix(ties, "ties"), sizes, min_group=self.min_group)
        density = suppress_small_cells(tie_matrix(ties, "density"), sizes, min_group=self.min_group)
        ei = self._ei(group_by)
        return {
            "group_by": group_by,
            "counts": counts,
            "density": density,
            "ei": self._suppress(ei.table),
            "ei_index": _number(ei["ei_index"]),
            "ei_baseline": _number(ei["ei_baseline"]),
            "modularity": _number(self._modularity(group_by)["modularity"]),
            "suppressed": [str(g) for g, n in sizes.items() if n < self.min_group],
            "note": small_group_note(self.min_group),
        }

    @requires("aggregates")
    def communities(self, user: User | None, group_by: str = "department") -> dict[str, Any]:
        """Informal communities (Leiden) against the groups: count, NMI, ARI and a crosstab.

        Communities under the threshold are pooled into "smaller communities"; cells under
        the threshold are blank. ``{"error": message}`` when they cannot be found.
        """
        try:
            found = self._communities(group_by)
        except OrgbridgeError as error:
            return {"error": str(error)}
        sizes = self._sizes(group_by)
        table = found.table
        cross = pd.crosstab(table["community"], table["group"].astype(str))
        big = cross.sum(axis=1) >= self.min_group
        small_total = cross.loc[~big].sum(axis=0)
        cross = cross.loc[big].head(12)
        cross.index = [f"community {c + 1}" for c in cross.index]
        if small_total.sum() > 0:
            cross.loc["smaller communities"] = small_total
        cross = suppress_small_cells(
            cross, pd.concat([cross.sum(axis=1), sizes]), min_group=self.min_group
        )
        return {
            "count": int(found["count"]),
            "nmi": _number(found["nmi"]),
            "ari": _number(found["ari"]),
            "modularity": _number(found["modularity"]),
            "crosstab": cross,
        }

    @requires("people")
    def brokers(
        self, user: User | None, group_by: str = "department", limit: int = 500
    ) -> pd.DataFrame:
        """The people who bridge the most: betweenness, constraint, effective size and groups
        tied (top ``limit`` by betweenness)."""
        assert user is not None
        graph = self.graph()
        tied = self._groups_tied(group_by)
        table = (
            self._betweenness()[["person_id", "betweenness"]]
            .merge(self._constraint()[["person_id", "constraint"]], on="person_id", how="left")
            .merge(
                self._effective_size()[["person_id", "effective_size"]],
                on="person_id",
                how="left",
            )
            .merge(
                tied[["person_id", "group", "groups_tied", "external_ties"]],
                on="person_id",
                how="left",
            )
        )
        table = table.sort_values("betweenness", ascending=False, kind="stable").head(limit)
        positions = graph.positions(table["person_id"].astype(str))
        table.insert(0, "person", self._labels(user, positions))
        return pd.DataFrame(table.drop(columns="person_id").reset_index(drop=True))

    @requires("aggregates")
    def bridging(self, user: User | None, group_by: str = "department") -> pd.DataFrame:
        """Group pairs joined through one person or one tie; the people only for person roles."""
        assert user is not None
        table = self._bridging(group_by).copy()
        sizes = self._sizes(group_by)
        small = set(str(g) for g, n in sizes.items() if n < self.min_group)
        involved = table["group_a"].astype(str).isin(small) | table["group_b"].astype(str).isin(
            small
        )
        table = table.loc[~involved].reset_index(drop=True)
        bridges = table.pop("bridges")
        if user.role in PERMISSIONS["people"] and len(table):
            graph = self.graph()
            labels = [
                ", ".join(str(x) for x in self._labels(user, graph.positions([str(p) for p in b])))
                for b in bridges
            ]
            table["bridges"] = labels
        return pd.DataFrame(table)

    @requires("aggregates")
    def network(
        self,
        user: User | None,
        *,
        view: str = "groups",
        group_by: str = "department",
        group: str | None = None,
        person: str | None = None,
        steps: int = 1,
        colour_by: str = "group",
        size_by: str = "size",
    ) -> NetworkView:
        """The map: group-level by default; person-level (one group, or an ego network of
        1-3 steps) for the roles that may see people. Capped at MAX_ELEMENTS elements."""
        assert user is not None
        if view == "groups":
            return self._group_network(group_by, colour_by, size_by)
        check_access(user, "people")
        graph = self.graph()
        adjacency = graph.adjacency()
        if view == "group":
            if group is None:
                raise ParameterError("choose a group to show its people")
            labels = self._group_labels(group_by)
            chosen = np.flatnonzero(labels == group)
            if len(chosen) < self.min_group:
                raise ParameterError(
                    f"{group!r} has {small_group_note(self.min_group)}; it is not shown"
                )
        elif view == "ego":
            if not person:
                raise ParameterError("choose a person for the ego network")
            if not 1 <= int(steps) <= 3:
                raise ParameterError(f"an ego network has 1 to 3 steps (got {steps})")
            chosen = ego_positions(adjacency, self._position(user, person), int(steps))
        else:
            raise ParameterError(f"unknown map view {view!r}")
        total = len(chosen)
        kept, src, dst, weight = cap_selection(adjacency, chosen, max_elements=MAX_ELEMENTS)
        xy = layout_positions(len(kept), src, dst)
        public = self._public_ids(user)[kept]
        nodes = pd.DataFrame(
            {
                "id": public.astype(str),
                "label": self._labels(user, kept).astype(str),
                "x": xy[:, 0],
                "y": xy[:, 1],
                "colour": self._person_values(kept, colour_by, group_by),
                "size": self._person_values(kept, size_by, group_by),
            }
        )
        nodes["hover"] = [
            self._hover(p, lab, group_by) for p, lab in zip(kept, nodes["label"], strict=True)
        ]
        edges = pd.DataFrame(
            {"source": public[src].astype(str), "target": public[dst].astype(str), "weight": weight}
        )
        note = None
        if len(kept) < total:
            note = (
                f"showing the {len(kept):,} best-connected of {total:,} people "
                f"(a map sends at most {MAX_ELEMENTS:,} people and ties to the browser)"
            )
        return NetworkView("person", nodes, edges, colour_by, size_by, note, len(kept), total)

    def _group_network(self, group_by: str, colour_by: str, size_by: str) -> NetworkView:
        ties = self._group_ties(group_by).table
        sizes = self._sizes(group_by)
        small = sizes < self.min_group
        ei = self._ei(group_by).table.set_index("group")
        try:
            equity = self._equity(group_by).table.set_index("group")
        except OrgbridgeError:
            equity = pd.DataFrame(index=sizes.index)
        metrics = pd.DataFrame({"size": sizes.astype(float)})
        for column in ("ei_index", "ei_difference"):
            metrics[column] = (
                ei[column].reindex(sizes.index).astype(float) if column in ei else np.nan
            )
        for column in ("mean_exposure", "share_within_2_hops"):
            metrics[column] = (
                pd.to_numeric(equity[column].reindex(sizes.index), errors="coerce")
                if column in equity
                else np.nan
            )
        metrics.loc[small.to_numpy()] = np.nan
        groups = [str(g) for g in sizes.index]
        between = ties[(ties["group_a"] != ties["group_b"]) & (ties["ties"] > 0)]
        between = between[
            ~between["group_a"].astype(str).isin(set(np.array(groups)[small.to_numpy()]))
        ]
        between = between[
            ~between["group_b"].astype(str).isin(set(np.array(groups)[small.to_numpy()]))
        ]
        index = {g: i for i, g in enumerate(groups)}
        src = between["group_a"].astype(str).map(index).to_numpy(dtype=np.int64)
        dst = between["group_b"].astype(str).map(index).to_numpy(dtype=np.int64)
        if len(groups) + len(src) > MAX_ELEMENTS:
            strongest = np.argsort(-between["ties"].to_numpy(), kind="stable")[
                : max(MAX_ELEMENTS - len(groups), 0)
            ]
            between, src, dst = between.iloc[strongest], src[strongest], dst[strongest]
        xy = layout_positions(len(groups), src, dst)
        label = [
            f"{g} ({small_group_note(self.min_group)})" if s else g
            for g, s in zip(groups, small, strict=True)
        ]
        colour: Any = (
            groups
            if colour_by in ("group", group_by) or colour_by not in metrics
            else metrics[colour_by].to_numpy()
        )
        size = metrics[size_by].to_numpy() if size_by in metrics else metrics["size"].to_numpy()
        nodes = pd.DataFrame(
            {
                "id": [f"g{i}" for i in range(len(groups))],
                "label": label,
                "x": xy[:, 0],
                "y": xy[:, 1],
                "colour": colour,
                "size": size,
            }
        )
        nodes["hover"] = [
            f"{lab}" if s else f"{g}: {int(n):,} people"
            for g, lab, n, s in zip(groups, label, sizes, small, strict=True)
        ]
        edges = pd.DataFrame(
            {
                "source": [f"g{i}" for i in src],
                "target": [f"g{i}" for i in dst],
                "weight": between["ties"].to_numpy(dtype=float),
            }
        )
        note = None
        if small.any():
            note = (
                f"{int(small.sum())} group(s) with {small_group_note(self.min_group)} "
                "shown without figures or ties"
            )
        colour_name = "group" if isinstance(colour, list) else colour_by
        return NetworkView(
            "group",
            nodes,
            edges,
            colour_name,
            size_by if size_by in metrics else "size",
            note,
            len(groups),
            len(groups),
        )

    def _person_values(self, positions: np.ndarray, what: str, group_by: str) -> np.ndarray:
        graph = self.graph()
        people = graph.people
        if what in ("group",):
            what = group_by
        if what == "degree":
            degree = np.diff(graph.adjacency().indptr)
            return np.asarray(degree[positions], dtype=float)
        if what in ("exposure", "hops_to_leader"):
            table = self._exposure().table
            return np.asarray(
                pd.to_numeric(table[what], errors="coerce").to_numpy(dtype=float, na_value=np.nan)[
                    positions
                ]
            )
        if what == "groups_tied":
            table = self._groups_tied(group_by)
            return np.asarray(table["groups_tied"].to_numpy(dtype=float)[positions])
        if what == "constant" or what == "size":
            return np.ones(len(positions))
        if what in people.columns and what not in _HIDDEN_ATTRIBUTES and what not in graph.special:
            values = people[what].to_numpy()[positions]
            return np.array(["(missing)" if pd.isna(v) else str(v) for v in values], dtype=object)
        raise ParameterError(f"cannot colour or size people by {what!r}")

    def _hover(self, position: int, label: str, group_by: str) -> str:
        people = self.graph().people
        parts = [label]
        for column in dict.fromkeys([group_by, "department", "level", "location"]):
            if column in people.columns and column not in self.graph().special:
                value: Any = people[column].iat[position]
                if pd.notna(value):
                    parts.append(f"{column}: {value}")
        return " | ".join(parts)
