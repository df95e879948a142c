"""Map services: the silo between chosen groups and the details of one clicked node.

Both go through the same rules as the rest of the map: groups under the privacy threshold are
never offered (nor groups drawn blank to protect them), executives get group-level counts and
never a person, analysts see pseudonyms and coordinators names.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from orgbridge.app._access import PERMISSIONS, check_access, requires
from orgbridge.app._services_base import GROUP_METRICS, PERSON_METRICS, _number
from orgbridge.app._services_silos import SilosServices
from orgbridge.app._views import ViewStore, clean_state
from orgbridge.app.auth import User
from orgbridge.app.network import MAX_ELEMENTS, NetworkView, cap_selection, layout_positions
from orgbridge.disclosure import parse_choice, parse_int, parse_text
from orgbridge.errors import OrgbridgeError, ParameterError

__all__ = ["MAX_CHOSEN", "MapServices", "bridging_people"]

#: The most groups a silo view shows together.
MAX_CHOSEN = 8
_GROUP_NODE = re.compile(r"g(\d{1,6})")


def bridging_people(
    adjacency: sp.csr_matrix, labels: np.ndarray, chosen: list[str]
) -> pd.DataFrame:
    """People of the ``chosen`` groups with a tie to someone of another chosen group.

    Returns ``position, group, ties_across, groups_reached`` (one row per bridging person,
    by ties across descending, then position).

    Example
    -------
    >>> a = sp.csr_matrix(np.array([[0, 1, 1, 0], [1, 0, 0, 0], [1, 0, 0, 1], [0, 0, 1, 0]]))
    >>> bridging_people(a, np.array(["A", "B", "A", "C"]), ["A", "B"])["position"].tolist()
    [0, 1]
    """
    labels = np.asarray(labels).astype(str)
    inside = np.flatnonzero(np.isin(labels, chosen))
    sub = adjacency[inside][:, inside].tocoo()
    local = labels[inside]
    across = local[sub.row] != local[sub.col]
    rows, cols = sub.row[across], sub.col[across]
    ties = np.bincount(rows, minlength=len(inside))
    pairs = pd.DataFrame({"row": rows, "other": local[cols]}).drop_duplicates()
    reached = np.bincount(pairs["row"].to_numpy(dtype=np.int64), minlength=len(inside))
    who = np.flatnonzero(ties > 0)
    table = pd.DataFrame(
        {
            "position": inside[who].astype(np.int64),
            "group": local[who],
            "ties_across": ties[who].astype(np.int64),
            "groups_reached": reached[who].astype(np.int64),
        }
    )
    return table.sort_values(
        ["ties_across", "position"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)


class MapServices(SilosServices):
    """The silo between chosen groups, what a clicked node may tell its viewer, saved views."""

    #: Where saved views are kept (``create_app`` sets it to the app folder's views file).
    views: ViewStore | None = None

    def _view_store(self) -> ViewStore:
        if self.views is None:
            raise ParameterError("saved views are not available in this app")
        return self.views

    @requires("aggregates")
    def save_view(self, user: User | None, name: Any, state: Any) -> str:
        """Save the Silos page's settings under ``name``; return the view's id.

        Every value is parsed for the saving user first (a forged group or person is
        refused, not stored); a person is stored by person_id, so that the link restores
        them for a viewer who sees pseudonyms.
        """
        assert user is not None
        settings = self._view_settings(user, clean_state(state), strict=True)
        if "person" in settings:
            settings["person"] = str(self.graph().ids[self._position(user, settings["person"])])
        view_id = self._view_store().save(user.username, user.role, name, "silos", settings)
        self.store.audit("save_view", by=user.username, detail={"view": view_id})
        return view_id

    @requires("aggregates")
    def restore_view(self, user: User | None, view_id: Any) -> dict[str, Any]:
        """A saved view's settings as this user may see them, with its name and a note.

        Settings the user's role may not use are dropped (an executive opening a view with
        people gets the group map of the same grouping and no person), and so are settings
        that no longer parse (a group gone since). Unknown ids raise ParameterError.
        """
        assert user is not None
        found = self._view_store().get(view_id)
        if found is None:
            raise ParameterError("no such saved view (the link may be incomplete)")
        state = dict(found["state"])
        person = state.pop("person", None)
        if person is not None and user.role in PERMISSIONS["people"]:
            where = np.flatnonzero(self.graph().ids.astype(str).to_numpy() == person)
            if len(where):
                state["person"] = str(self._public_ids(user)[where[0]])
        settings = self._view_settings(user, state, strict=False)
        dropped = sorted(
            set(found["state"]) - set(settings) - {"person"}
            | ({"person"} if person is not None and "person" not in settings else set())
        )
        note = (
            f"parts your role may not see were left out ({', '.join(dropped)})" if dropped else ""
        )
        return {"name": found["name"], "note": note, **settings}

    def _person_at(self, user: User, value: Any) -> int:
        return self._position(user, parse_text(value, what="the person"))

    def _view_settings(self, user: User, state: dict[str, Any], *, strict: bool) -> dict[str, Any]:
        """Each setting parsed for ``user``; ``strict`` raises on the first bad one, else
        it is left out."""
        people_role = user.role in PERMISSIONS["people"]
        views = ("groups", "between", "group", "ego") if people_role else ("groups", "between")
        out: dict[str, Any] = {}

        def keep(key: str, parse: Any) -> None:
            if key not in state:
                return
            try:
                out[key] = parse(state[key])
            except OrgbridgeError:
                if strict:
                    raise

        keep("group_by", lambda v: self._group_by(v, person_level=people_role))
        group_by = out.get("group_by", self.default_group_by())
        keep("view", lambda v: parse_choice(v, views, what="the map view"))
        keep("groups", lambda v: self._parse_groups(v, group_by))
        keep("min_share", lambda v: parse_int(v, what="the weakest tie shown", low=0, high=100))
        keep("steps", lambda v: parse_int(v, what="the steps", low=1, high=3))
        keep("matrix", lambda v: parse_choice(v, ("ties", "density"), what="the matrix"))
        colours: tuple[str, ...] = ("group", *GROUP_METRICS)
        sizes: tuple[str, ...] = GROUP_METRICS
        if people_role:
            colours = (*colours, *self._person_colours())
            sizes = (*sizes, *PERSON_METRICS, "constant")
            keep(
                "group",
                lambda v: parse_choice(v, self.group_values(user, group_by), what="the group"),
            )
            keep(
                "person",
                lambda v: self._public_ids(user)[
                    self._position(user, parse_text(v, what="the person"))
                ],
            )
        keep("colour", lambda v: parse_choice(v, colours, what="colour"))
        keep("size", lambda v: parse_choice(v, sizes, what="size"))
        if "person" in out:
            out["person"] = str(out["person"])
        return out

    def _choosable(self, group_by: str) -> list[str]:
        drawn, blank = self._drawn_groups(group_by)
        return [g for g, b in zip(drawn, blank, strict=True) if not b]

    def _parse_groups(self, groups: Any, group_by: str) -> list[str]:
        """A client's list of groups: 2 to MAX_CHOSEN distinct groups the map may draw."""
        if not isinstance(groups, list | tuple) or len(groups) > MAX_CHOSEN:
            raise ParameterError(
                f"choose from 2 to {MAX_CHOSEN} groups to see the silo between them"
            )
        allowed = self._choosable(group_by)
        chosen = list(dict.fromkeys(parse_choice(g, allowed, what="a group") for g in groups))
        if len(chosen) < 2:
            raise ParameterError("choose at least 2 groups to see the silo between them")
        return chosen

    @requires("aggregates")
    def silo_groups(self, user: User | None, group_by: Any = None) -> list[str]:
        """Groups that may be chosen for the silo view (drawn, with figures)."""
        return self._choosable(self._group_by(group_by))

    @requires("aggregates")
    def silo_between(
        self, user: User | None, *, group_by: Any = None, groups: Any = None
    ) -> dict[str, Any]:
        """Two or more groups together with what connects them.

        Returns ``{"view": NetworkView, "pairs": DataFrame, "people": DataFrame | None}``:
        ``pairs`` has, per pair of chosen groups, the ties between them, their relative
        density and how many people of each side bridge (counts under the privacy threshold
        shown as "fewer than N"); ``people`` lists the bridging people (person roles only,
        never under a special-category grouping), and the map draws them, or for an
        executive draws the chosen groups only.
        """
        assert user is not None
        people_role = user.role in PERMISSIONS["people"]
        group_by = self._group_by(group_by, person_level=people_role)
        chosen = self._parse_groups(groups, group_by)
        graph = self.graph()
        adjacency = graph.adjacency()
        labels = self._group_labels(group_by).astype(str)
        bridges = bridging_people(adjacency, labels, chosen)
        pairs = self._silo_pairs(adjacency, labels, chosen, bridges)
        if not people_role:
            return {"view": self._chosen_groups_view(group_by, chosen), "pairs": pairs}
        check_access(user, "people")
        order = bridges["position"].to_numpy(dtype=np.int64)
        total = len(order)
        kept, src, dst, _ = cap_selection(adjacency, order, max_elements=MAX_ELEMENTS)
        local = labels[kept]
        across = local[src] != local[dst]
        src, dst = src[across], dst[across]
        xy = layout_positions(len(kept), src, dst)
        public = self._public_ids(user)[kept].astype(str)
        names = self._labels(user, kept).astype(str)
        nodes = pd.DataFrame(
            {
                "id": public,
                "label": names,
                "x": xy[:, 0],
                "y": xy[:, 1],
                "colour": local,
                "size": np.bincount(np.r_[src, dst], minlength=len(kept)).astype(float),
            }
        )
        nodes["hover"] = [f"{n} | {group_by}: {g}" for n, g in zip(names, local, strict=True)]
        edges = pd.DataFrame(
            {"source": public[src], "target": public[dst], "weight": np.ones(len(src))}
        )
        note = None
        if len(kept) < total:
            note = (
                f"Sampled: showing the {len(kept):,} best-connected of {total:,} bridging "
                f"people (a map sends at most {MAX_ELEMENTS:,} people and ties); the list "
                "below has them all"
            )
        view = NetworkView("person", nodes, edges, group_by, "ties_across", note, len(kept), total)
        people = pd.DataFrame(
            {
                "person": self._labels(user, order).astype(str),
                "group": bridges["group"].to_numpy(),
                "ties_across": bridges["ties_across"].to_numpy(),
                "groups_reached": bridges["groups_reached"].to_numpy(),
            }
        )
        return {"view": view, "pairs": pairs, "people": people}

    def _silo_pairs(
        self, adjacency: sp.csr_matrix, labels: np.ndarray, chosen: list[str], bridges: Any
    ) -> pd.DataFrame:
        sizes = self._sizes_by_label(labels)
        positions = np.flatnonzero(np.isin(labels, chosen))
        sub = sp.triu(adjacency[positions][:, positions], k=1).tocoo()
        a, b = labels[positions][sub.row], labels[positions][sub.col]
        rows = []
        for i, first in enumerate(chosen):
            for second in chosen[i + 1 :]:
                ties = int(
                    ((a == first) & (b == second)).sum() + ((a == second) & (b == first)).sum()
                )
                rows.append(
                    {
                        "group_a": first,
                        "group_b": second,
                        "ties": ties,
                        "density": _number(ties / (sizes[first] * sizes[second])),
                        "bridging_a": self._count(self._reaching(adjacency, labels, first, second)),
                        "bridging_b": self._count(self._reaching(adjacency, labels, second, first)),
                    }
                )
        return pd.DataFrame(rows)

    @staticmethod
    def _sizes_by_label(labels: np.ndarray) -> dict[str, int]:
        values, counts = np.unique(labels, return_counts=True)
        return {str(v): int(c) for v, c in zip(values, counts, strict=True)}

    @staticmethod
    def _reaching(adjacency: sp.csr_matrix, labels: np.ndarray, group: str, other: str) -> int:
        rows = np.flatnonzero(labels == group)
        cols = np.flatnonzero(labels == other)
        return int((np.diff(adjacency[rows][:, cols].indptr) > 0).sum())

    def _count(self, value: int) -> int | str:
        """A count of people as any role may see it: 1 to threshold-1 is not given exactly."""
        return f"fewer than {self.min_group}" if 0 < value < self.min_group else value

    def _chosen_groups_view(self, group_by: str, chosen: list[str]) -> NetworkView:
        full = self._group_network(group_by, "group", "size")
        keep_ids = set(full.nodes.loc[full.nodes["label"].isin(chosen), "id"])
        nodes = full.nodes.loc[full.nodes["id"].isin(keep_ids)].reset_index(drop=True)
        edges = full.edges.loc[
            full.edges["source"].isin(keep_ids) & full.edges["target"].isin(keep_ids)
        ].reset_index(drop=True)
        return NetworkView("group", nodes, edges, "group", "size", None, len(nodes), len(nodes))

    @requires("aggregates")
    def map_node(
        self, user: User | None, *, view: Any = "groups", group_by: Any = None, node: Any = None
    ) -> dict[str, Any]:
        """What the viewer may know of one node of the map: ``{"title", "rows": [(k, v)]}``.

        A group node (``g<i>`` on group-level maps): its size, E-I index and exposure (blank
        when withheld). A person node (person-level maps, person roles only): their group and
        metrics. Ids are looked up on the server; a forged id is refused.
        """
        assert user is not None
        text = parse_text(node, what="the node")
        view = parse_choice(view, ("groups", "between", "group", "ego"), what="the map view")
        people_role = user.role in PERMISSIONS["people"]
        group_level = view == "groups" or (view == "between" and not people_role)
        if group_level:
            group_by = self._group_by(group_by)
            match = _GROUP_NODE.fullmatch(text)
            drawn, _ = self._drawn_groups(group_by)
            if match is None or int(match.group(1)) >= len(drawn):
                raise ParameterError(f"no group {text!r} on this map")
            return self._group_details(group_by, drawn[int(match.group(1))])
        check_access(user, "people")
        group_by = self._group_by(group_by, person_level=True)
        return self._person_details(user, group_by, self._position(user, text))

    def _group_details(self, group_by: str, group: str) -> dict[str, Any]:
        plan = self._plan(group_by)
        if group in plan.protecting:
            return {
                "title": group,
                "rows": [("figures", "withheld so that a smaller group cannot be worked out")],
            }
        ei = self._ei(group_by).table.set_index("group")
        ei.index = ei.index.astype(str)
        try:
            equity = self._equity_shown(group_by).set_index("group")
            equity.index = equity.index.astype(str)
        except OrgbridgeError:
            equity = pd.DataFrame()
        rows: list[tuple[str, Any]] = [(group_by, group)]
        rows.append(
            (
                "people",
                f"{int(self._sizes_by_label(self._group_labels(group_by).astype(str))[group]):,}",
            )
        )
        rows.append(("E-I index", _fmt(ei["ei_index"].get(group))))
        rows.append(
            (
                "ties inside / outside",
                f"{int(ei['internal'].get(group, 0)):,} / {int(ei['external'].get(group, 0)):,}",
            )
        )
        for column, label in (
            ("mean_exposure", "mean exposure to leadership"),
            ("share_within_2_hops", "share within 2 hops of a leader"),
        ):
            value = equity[column].get(group) if column in equity else None
            rows.append((label, _fmt(value) if _number(value) is not None else "withheld"))
        return {"title": group, "rows": rows}

    def _person_details(self, user: User, group_by: str, position: int) -> dict[str, Any]:
        where = np.array([position])
        label = str(self._labels(user, where)[0])
        exposure = self._exposure().table
        tied = self._groups_tied(group_by)
        degree = int(np.diff(self.graph().adjacency().indptr)[position])
        rows: list[tuple[str, Any]] = [
            (group_by, str(self._person_attribute(user, group_by, where)[0])),
            ("ties", f"{degree:,}"),
            ("exposure to leadership", _fmt(exposure["exposure"].iloc[position])),
            ("hops to a leader", _fmt(exposure["hops_to_leader"].iloc[position])),
            ("groups tied", _fmt(tied["groups_tied"].iloc[position])),
        ]
        person_id = str(self.graph().ids[position])
        # slow metrics only once the background analysis has them (a click never waits)
        for key, read in (("constraint", self._constraint), ("betweenness", self._betweenness)):
            if self._cache.ready((key,)):
                table = read()
                value = table.loc[table["person_id"].astype(str) == person_id, key]
                rows.append((key, _fmt(value.iloc[0] if len(value) else None)))
        return {"title": label, "rows": rows}


def _fmt(value: Any) -> str:
    number = _number(value)
    if number is None:
        return "—"
    return f"{number:,.0f}" if float(number).is_integer() else f"{number:,.3g}"
