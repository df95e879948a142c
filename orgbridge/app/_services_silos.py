"""Silos services: group matrices, communities, brokers, bridging and the network map."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from orgbridge import metrics
from orgbridge.app._access import PERMISSIONS, check_access, requires
from orgbridge.app._layout import group_layout, relative_density
from orgbridge.app._services_base import (
    GROUP_METRICS,
    PERSON_METRICS,
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
from orgbridge.disclosure import (
    OTHER_GROUPS,
    disclose_matrix,
    parse_choice,
    parse_int,
    parse_text,
    safe_csv,
)
from orgbridge.errors import OrgbridgeError, ParameterError
from orgbridge.metrics._privacy import small_group_note

#: Map views: group-level for everyone; one group's people or an ego network for person roles.
MAP_VIEWS = ("groups", "group", "ego")
#: The most map elements a search may send back to be searched.
_MAX_SEARCH_ELEMENTS = 20_000

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

        text = parse_text(query, what="the search")
        if not text:
            return {"matches": [], "note": ""}
        if not isinstance(elements, list) or len(elements) > _MAX_SEARCH_ELEMENTS:
            elements = []
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
    def silos(self, user: User | None, group_by: Any = None) -> dict[str, Any]:
        """Group x group tie counts and density, E-I per group, and modularity, as the
        disclosure policy shows them (small groups pooled and unlabelled, complementary
        suppression). Communities come from :meth:`communities` (they take longer). The same
        for every role: computed once per grouping (see :meth:`_view`).
        """
        group_by = self._group_by(group_by)
        return self._view(("silos", group_by), lambda: self._silos_view(group_by))

    def _silos_view(self, group_by: str) -> dict[str, Any]:
        plan = self._plan(group_by)
        ties = self._group_ties(group_by)
        tie_matrix = metrics.tie_matrix
        counts = disclose_matrix(tie_matrix(ties, "ties"), plan)
        density = disclose_matrix(tie_matrix(ties, "density"), plan)
        ei = self._ei(group_by)
        return {
            "group_by": group_by,
            "counts": counts,
            "density": density,
            "ei": self._disclose(ei.table, plan),
            "ei_index": _number(ei["ei_index"]),
            "ei_baseline": _number(ei["ei_baseline"]),
            "modularity": _number(self._modularity(group_by)["modularity"]),
            "suppressed": [OTHER_GROUPS] if plan.small else [],
            "hidden": len(plan.hidden),
            "note": small_group_note(self.min_group),
        }

    @requires("aggregates")
    def communities(self, user: User | None, group_by: Any = None) -> dict[str, Any]:
        """Informal communities (Leiden) against the groups: count, NMI, ARI and a crosstab.

        Communities under the threshold are pooled into "smaller communities"; group columns
        follow the grouping's suppression plan. ``{"error": message}`` when they cannot be
        found.
        """
        group_by = self._group_by(group_by)
        return self._view(("communities", group_by), lambda: self._communities_view(group_by))

    def _communities_view(self, group_by: str) -> dict[str, Any]:
        try:
            found = self._communities(group_by)
        except OrgbridgeError as error:
            return {"error": str(error)}
        table = found.table
        cross = pd.crosstab(table["community"], table["group"].astype(str))
        big = cross.sum(axis=1) >= self.min_group
        small_total = cross.loc[~big].sum(axis=0)
        cross = cross.loc[big].head(12)
        cross.index = [f"community {c + 1}" for c in cross.index]
        if small_total.sum() > 0:
            cross.loc["smaller communities"] = small_total
        plan = self._plan(group_by)
        cross = disclose_matrix(cross.astype(float), plan)
        if OTHER_GROUPS in cross.index:
            cross = cross.drop(index=OTHER_GROUPS)
        return {
            "count": int(found["count"]),
            "nmi": _number(found["nmi"]),
            "ari": _number(found["ari"]),
            "modularity": _number(found["modularity"]),
            "crosstab": cross,
        }

    @requires("people")
    def brokers(self, user: User | None, group_by: Any = None, limit: Any = 500) -> pd.DataFrame:
        """The people who bridge the most: betweenness, constraint, effective size and groups
        tied (top ``limit`` by betweenness). The grouping sits beside people, so it is never
        a special category."""
        assert user is not None
        group_by = self._group_by(group_by, person_level=True)
        limit = parse_int(limit, what="the number of brokers", low=1, high=5000)
        graph = self.graph()
        table = self._broker_table(group_by).head(limit).copy()
        positions = graph.positions(table["person_id"].astype(str))
        table["group"] = self._person_attribute(user, group_by, positions)
        table.insert(0, "person", self._labels(user, positions))
        return pd.DataFrame(table.drop(columns="person_id").reset_index(drop=True))

    def _broker_table(self, group_by: str) -> pd.DataFrame:
        """Everyone's brokerage figures by decreasing betweenness (once per grouping)."""
        table: pd.DataFrame = self._cached(
            ("broker_table", group_by), lambda: self._compute_broker_table(group_by)
        )
        return table

    def _compute_broker_table(self, group_by: str) -> pd.DataFrame:
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
        return table.sort_values("betweenness", ascending=False, kind="stable").reset_index(
            drop=True
        )

    @requires("people")
    def export_brokers(self, user: User | None, group_by: Any = None) -> tuple[str, bytes]:
        """The brokers table as CSV bytes with a file name (audited; no cell can start a
        spreadsheet formula)."""
        assert user is not None
        table = self.brokers(user, group_by)
        self.store.audit(
            "export",
            by=user.username,
            detail={"what": "brokers", "format": "csv", "rows": len(table)},
        )
        return "orgbridge-brokers.csv", safe_csv(table)

    @requires("aggregates")
    def bridging(self, user: User | None, group_by: Any = None) -> pd.DataFrame:
        """Group pairs joined through one person or one tie (never a hidden group); the
        people only for person roles and never under a special-category grouping."""
        assert user is not None
        group_by = self._group_by(group_by)
        table = self._bridging(group_by).copy()
        small = set(self._plan(group_by).hidden)
        involved = table["group_a"].astype(str).isin(small) | table["group_b"].astype(str).isin(
            small
        )
        table = table.loc[~involved].reset_index(drop=True)
        bridges = table.pop("bridges")
        if user.role in PERMISSIONS["people"] and len(table) and group_by not in self._special():
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
        view: Any = "groups",
        group_by: Any = None,
        group: Any = None,
        person: Any = None,
        steps: Any = 1,
        colour_by: Any = "group",
        size_by: Any = "size",
        min_share: Any = 0,
    ) -> NetworkView:
        """The map: group-level by default; person-level (one group, or an ego network of
        1-3 steps) for the roles that may see people. Capped at MAX_ELEMENTS elements.

        On the group map, ``min_share`` (0-100) hides ties between groups whose relative
        density is under that percentage of the strongest pair's.
        """
        assert user is not None
        view = parse_choice(view, MAP_VIEWS, what="the map view")
        if view == "groups":
            group_by = self._group_by(group_by)
            colour_by = parse_choice(colour_by, ("group", *GROUP_METRICS), what="colour")
            size_by = parse_choice(size_by, GROUP_METRICS, what="size")
            min_share = parse_int(
                min_share, what="the weakest tie shown", low=0, high=100, default=0
            )
            return self._group_network(group_by, colour_by, size_by, min_share)
        check_access(user, "people")
        group_by = self._group_by(group_by, person_level=True)
        colour_by = parse_choice(colour_by, self._person_colours(), what="colour")
        size_by = parse_choice(size_by, (*PERSON_METRICS, "constant", "size"), what="size")
        graph = self.graph()
        adjacency = graph.adjacency()
        if view == "group":
            group = parse_choice(group, self.group_values(user, group_by), what="the group")
            labels = self._group_labels(group_by)
            chosen = np.flatnonzero(labels == group)
        else:
            if not person:
                raise ParameterError("choose a person for the ego network")
            steps = parse_int(steps, what="the ego network's steps", low=1, high=3, default=1)
            person = parse_text(person, what="the person")
            chosen = ego_positions(adjacency, self._position(user, person), steps)
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
                "colour": self._person_values(user, kept, colour_by, group_by),
                "size": self._person_values(user, kept, size_by, group_by),
            }
        )
        nodes["hover"] = [
            self._hover(user, p, lab, group_by) for p, lab in zip(kept, nodes["label"], strict=True)
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

    def _drawn_groups(self, group_by: str) -> tuple[list[str], np.ndarray]:
        """Groups the group map draws (never one under the threshold: its name would say who
        is in it), and which of them are drawn blank (hidden to protect a smaller group)."""
        plan = self._plan(group_by)
        drawn = [str(g) for g in self._sizes(group_by).index if str(g) not in plan.small]
        return drawn, np.array([g in plan.protecting for g in drawn], dtype=bool)

    def _group_layout(self, group_by: str) -> tuple[pd.DataFrame, np.ndarray]:
        """The group map's ties and positions, computed once per grouping and data.

        Ties are those between groups drawn with figures: ``source``/``target`` index the
        drawn groups, ``ties`` counts them, ``density`` is ties per possible cross-group pair.
        Positions come from :func:`~orgbridge.app._layout.group_layout` on those densities,
        so the slider that hides weak ties never moves a group.
        """
        found: tuple[pd.DataFrame, np.ndarray] = self._cached(
            ("group_layout", group_by), lambda: self._compute_group_layout(group_by)
        )
        return found

    def _compute_group_layout(self, group_by: str) -> tuple[pd.DataFrame, np.ndarray]:
        ties = self._group_ties(group_by).table
        sizes = self._sizes(group_by)
        sizes.index = sizes.index.astype(str)
        drawn, blank = self._drawn_groups(group_by)
        shown = {g for g, b in zip(drawn, blank, strict=True) if not b}
        between = ties[(ties["group_a"] != ties["group_b"]) & (ties["ties"] > 0)]
        a, b = between["group_a"].astype(str), between["group_b"].astype(str)
        between = between.loc[a.isin(shown) & b.isin(shown)]
        a, b = between["group_a"].astype(str), between["group_b"].astype(str)
        index = {g: i for i, g in enumerate(drawn)}
        count = between["ties"].to_numpy(dtype=float)
        table = pd.DataFrame(
            {
                "source": a.map(index).to_numpy(dtype=np.int64),
                "target": b.map(index).to_numpy(dtype=np.int64),
                "ties": count,
                "density": relative_density(
                    count, sizes.reindex(a).to_numpy(), sizes.reindex(b).to_numpy()
                ),
            }
        )
        if len(drawn) + len(table) > MAX_ELEMENTS:
            keep = np.argsort(-table["density"].to_numpy(), kind="stable")
            table = table.iloc[np.sort(keep[: max(MAX_ELEMENTS - len(drawn), 0)])]
        table = table.reset_index(drop=True)
        xy = group_layout(
            len(drawn),
            table["source"].to_numpy(),
            table["target"].to_numpy(),
            table["density"].to_numpy(),
        )
        return table, xy

    def _group_network(
        self, group_by: str, colour_by: str, size_by: str, min_share: int = 0
    ) -> NetworkView:
        sizes = self._sizes(group_by)
        plan = self._plan(group_by)
        labels_all = [str(g) for g in sizes.index]
        drawn, blank = self._drawn_groups(group_by)
        ei = self._ei(group_by).table.set_index("group")
        try:
            equity = self._equity_shown(group_by).set_index("group")
        except OrgbridgeError:
            equity = pd.DataFrame(index=sizes.index)
        metrics = pd.DataFrame({"size": sizes.astype(float)}).reindex(drawn)
        for column in ("ei_index", "ei_difference"):
            metrics[column] = ei[column].reindex(drawn).astype(float) if column in ei else np.nan
        for column in ("mean_exposure", "share_within_2_hops"):
            metrics[column] = (
                pd.to_numeric(equity[column].reindex(drawn), errors="coerce")
                if column in equity
                else np.nan
            )
        metrics.loc[blank] = np.nan
        between, xy = self._group_layout(group_by)
        src = between["source"].to_numpy(dtype=np.int64)
        dst = between["target"].to_numpy(dtype=np.int64)
        density = between["density"].to_numpy(dtype=float)
        top = float(density.max()) if len(density) else 0.0
        strong = density >= top * min_share / 100.0 if top > 0 else np.ones(len(density), bool)
        hidden_edges = int((~strong).sum())
        between, src, dst = between.loc[strong], src[strong], dst[strong]
        colour: Any = (
            drawn
            if colour_by == "group" or colour_by not in metrics
            else metrics[colour_by].to_numpy()
        )
        size = metrics[size_by].to_numpy() if size_by in metrics else metrics["size"].to_numpy()
        nodes = pd.DataFrame(
            {
                "id": [f"g{i}" for i in range(len(drawn))],
                "label": drawn,
                "x": xy[:, 0],
                "y": xy[:, 1],
                "colour": colour,
                "size": size,
            }
        )
        nodes["hover"] = [
            f"{g}: figures withheld so that a smaller group cannot be worked out"
            if b
            else f"{g}: {int(n):,} people"
            for g, n, b in zip(drawn, metrics["size"].fillna(0), blank, strict=True)
        ]
        edges = pd.DataFrame(
            {
                "source": [f"g{i}" for i in src],
                "target": [f"g{i}" for i in dst],
                "weight": between["density"].to_numpy(dtype=float),
                "ties": between["ties"].to_numpy(dtype=float),
            }
        )
        notes = []
        if hidden_edges:
            notes.append(
                f"{hidden_edges:,} weaker tie(s) between groups hidden (below {min_share}% of "
                "the strongest relative density)"
            )
        note = None
        if plan.small:
            note = (
                f"{len(plan.small)} group(s) with {small_group_note(self.min_group)} not shown"
                + (f"; {len(plan.protecting)} shown without figures" if plan.protecting else "")
            )
        note = "; ".join([*([note] if note else []), *notes]) or None
        colour_name = "group" if isinstance(colour, list) else colour_by
        return NetworkView(
            "group",
            nodes,
            edges,
            colour_name,
            size_by if size_by in metrics else "size",
            note,
            len(drawn),
            len(labels_all),
        )

    def _person_colours(self) -> tuple[str, ...]:
        """What a person-level map may colour people by: metrics, or a non-special grouping."""
        special = self._special()
        groupings = [g for g in self._allowed_groupings() if g not in special]
        return ("group", *PERSON_METRICS, *groupings)

    def _person_values(
        self, user: User, positions: np.ndarray, what: str, group_by: str
    ) -> np.ndarray:
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
        if (
            what in people.columns
            and what in self._person_colours()
            and what not in self._special()
        ):
            return self._person_attribute(user, what, positions)
        raise ParameterError(f"cannot colour or size people by {what!r}")

    def _hover(self, user: User, position: int, label: str, group_by: str) -> str:
        people = self.graph().people
        parts = [label]
        where = np.array([position])
        for column in dict.fromkeys([group_by, "department", "level", "location"]):
            if column in people.columns and column in self._person_colours():
                value = str(self._person_attribute(user, column, where)[0])
                if value != "(missing)":
                    parts.append(f"{column}: {value}")
        return " | ".join(parts)
