"""The app's thin layer: one method per callback need, with the role enforced on the server.

Every public method of :class:`Services` takes the logged-in :class:`~orgbridge.app.auth.User`
(or None) first and checks it against :data:`PERMISSIONS` before touching the data, through
the :func:`requires` decorator. What each role receives:

- **executive**: aggregates only. No method that returns a person (a name, a person_id or a
  pseudonym) accepts an executive, and every group under the privacy threshold is blank and
  labelled.
- **analyst**: person-level views where people are pseudonyms (``P-`` and 8 hex digits, a keyed
  hash of the person_id, stable for a workspace).
- **coordinator** and **admin**: names; the recommender and its decisions; admin also loads data.

Group aggregates are suppressed below the privacy threshold for every role.

Example
-------
>>> from orgbridge.app.auth import User
>>> check_access(User("eve", "executive"), "names")
Traceback (most recent call last):
...
orgbridge.errors.AccessDenied: the executive role may not see named people
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import io
import tempfile
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import numpy as np
import pandas as pd

from orgbridge.app._cache import AnalysisCache, Offloader
from orgbridge.app.auth import User
from orgbridge.app.network import (
    MAX_ELEMENTS,
    NetworkView,
    cap_selection,
    ego_positions,
    layout_positions,
)
from orgbridge.errors import AccessDenied, OrgbridgeError, ParameterError
from orgbridge.graph import OrgGraph
from orgbridge.graph._store import Store
from orgbridge.metrics._privacy import (
    DEFAULT_MIN_GROUP,
    check_min_group,
    small_group_note,
    suppress_small_cells,
    suppress_small_groups,
)

__all__ = [
    "PERMISSIONS",
    "Services",
    "check_access",
    "pseudonym",
    "requires",
]

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S")

_EVERYONE = frozenset({"admin", "analyst", "coordinator", "executive"})
#: Which roles may do what. Checked on the server for every call.
PERMISSIONS: dict[str, frozenset[str]] = {
    "aggregates": _EVERYONE,
    "people": frozenset({"admin", "analyst", "coordinator"}),
    "names": frozenset({"admin", "coordinator"}),
    "recommend": frozenset({"admin", "coordinator"}),
    "data": frozenset({"admin"}),
}
_WHAT = {
    "aggregates": "see this page",
    "people": "see person-level data",
    "names": "see named people",
    "recommend": "run the recommender or record decisions",
    "data": "load data",
}

#: Attributes never shown next to a person (identifying, or ids of other people).
_HIDDEN_ATTRIBUTES = frozenset({"person_id", "name", "manager_id", "email"})
#: Person metrics the map can colour or size by.
PERSON_METRICS = ("degree", "exposure", "hops_to_leader", "groups_tied")
#: Group metrics the group-level map can colour by.
GROUP_METRICS = ("size", "ei_index", "ei_difference", "mean_exposure", "share_within_2_hops")
PROGRAMME_LAYERS = ("mentoring", "sponsorship")


#: Run kinds ("pairs") as decision kinds ("pair").
_KINDS = {"pairs": "pair", "sponsorships": "sponsorship"}


def check_access(user: User | None, permission: str) -> User:
    """Return ``user`` if its role has ``permission``, else raise AccessDenied."""
    if user is None:
        raise AccessDenied("please log in")
    if user.role not in PERMISSIONS[permission]:
        raise AccessDenied(f"the {user.role} role may not {_WHAT[permission]}")
    return user


def requires(
    permission: str,
) -> Callable[
    [Callable[Concatenate[S, User | None, P], R]], Callable[Concatenate[S, User | None, P], R]
]:
    """Decorate a Services method so it checks the caller's role before running."""

    def decorate(
        method: Callable[Concatenate[S, User | None, P], R],
    ) -> Callable[Concatenate[S, User | None, P], R]:
        @functools.wraps(method)
        def guarded(self: S, user: User | None, /, *args: P.args, **kwargs: P.kwargs) -> R:
            check_access(user, permission)
            return method(self, user, *args, **kwargs)

        guarded.permission = permission  # type: ignore[attr-defined]
        return guarded

    return decorate


def pseudonym(person_ids: pd.Index | np.ndarray | list[str], key: bytes) -> np.ndarray:
    """Stable pseudonyms ``P-xxxxxxxx`` (keyed hash of each person_id).

    Example
    -------
    >>> pseudonym(["a", "b"], b"k").tolist() == pseudonym(["a", "b"], b"k").tolist()
    True
    >>> str(pseudonym(["a"], b"k")[0]).startswith("P-")
    True
    """
    return np.array(
        [
            "P-" + hmac.new(key, str(pid).encode(), hashlib.sha256).hexdigest()[:8]
            for pid in person_ids
        ],
        dtype=object,
    )


def _library(package: str, name: str) -> Callable[..., Any] | None:
    """A function of the public library API, or None while it is not written yet."""
    import importlib

    try:
        module = importlib.import_module(package)
    except ImportError:
        return None
    found = getattr(module, name, None)
    return found if callable(found) else None


def _metric(name: str) -> Callable[..., Any]:
    found = _library("orgbridge.metrics", name)
    if found is None:  # the equity and exposure modules are not exported yet everywhere
        for module in ("_exposure", "_equity"):
            found = _library(f"orgbridge.metrics.{module}", name)
            if found is not None:
                break
    if found is None:
        raise OrgbridgeError(f"this build of orgbridge has no metric {name!r}")
    return found


class Services:
    """Everything the callbacks need from one store, with roles checked on every call.

    Parameters
    ----------
    store
        The workspace or Neo4j store of the organisation.
    min_group
        Privacy threshold (at least 5).
    pseudonym_key
        Secret of the analysts' pseudonyms.
    scratch
        Folder for uploaded files awaiting confirmation (a temporary folder by default).
    offload_above
        Organisations of this many people or more compute their slow metrics (Leiden,
        betweenness, constraint, effective size) in a worker process, so that a running
        computation never holds up other requests.

    Notes
    -----
    Results are cached in memory and shared by every callback; :meth:`start_precompute` fills
    the cache with the standard analysis in a background thread (``create_app`` starts it, and
    a confirmed upload starts it again). Per-person metrics saved by ``orgbridge analyze``
    (``load_metrics("analysis")``) are not reused: the store does not record when they were
    saved nor with which layers, seed or ``--as-of``, so the app cannot tell they still
    describe the stored organisation.
    """

    def __init__(
        self,
        store: Store,
        *,
        min_group: int = DEFAULT_MIN_GROUP,
        pseudonym_key: bytes = b"orgbridge",
        scratch: Path | None = None,
        offload_above: int = 20_000,
    ) -> None:
        self.store = store
        self.min_group = check_min_group(min_group)
        self._key = pseudonym_key
        self._scratch = scratch
        self._lock = threading.RLock()
        self._graph: OrgGraph | None = None
        self._cache = AnalysisCache()
        self._offload = Offloader(offload_above)
        self._staged: dict[str, Any] = {}
        self._precompute: threading.Thread | None = None
        self._status: dict[str, Any] = {
            "running": False,
            "done": 0,
            "total": 0,
            "step": None,
            "error": None,
        }

    # ---- shared state --------------------------------------------------------------------

    def graph(self) -> OrgGraph:
        """The stored organisation (loaded once, reloaded after an import)."""
        with self._lock:
            if self._graph is None:
                self._graph = self.store.load_graph()
            return self._graph

    def _cached(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        return self._cache.get(key, compute)

    def _reset(self) -> None:
        with self._lock:
            self._graph = None
            self._cache.clear()

    # ---- the standard analysis, precomputed ------------------------------------------------

    def default_group_by(self) -> str:
        """The grouping pages open with: department, else the first groupable attribute."""
        people = self.graph().people
        for column in ("department", "division", "level", "location"):
            if column in people.columns:
                return column
        return "department"

    def analysis_steps(self, group_by: str) -> list[tuple[str, Callable[[], Any]]]:
        """The standard analysis of one grouping, cheapest first, as ``(label, compute)``."""
        return [
            ("exposure", self._exposure),
            ("equity", lambda: self._equity(group_by)),
            ("E-I index", lambda: self._ei(group_by)),
            ("group ties", lambda: self._group_ties(group_by)),
            ("modularity", lambda: self._modularity(group_by)),
            ("groups tied", lambda: self._groups_tied(group_by)),
            ("bridging points", lambda: self._bridging(group_by)),
            ("previous snapshot", lambda: self._previous_headlines(group_by)),
            # also warms up the layout's imports (igraph pulls in matplotlib: seconds, once)
            ("group map", lambda: self._group_network(group_by, "group", "size")),
            ("constraint", self._constraint),
            ("effective size", self._effective_size),
            ("communities", lambda: self._communities(group_by)),
            ("betweenness", self._betweenness),
        ]

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

    def precompute(self, group_by: str | None = None) -> dict[str, Any]:
        """Compute the standard analysis into the shared cache, now; return the status.

        Stops early (without error) when the organisation is replaced meanwhile. An error of
        one step is recorded in the status and the other steps still run.
        """
        generation = self._cache.generation
        group_by = group_by or self.default_group_by()
        steps = self.analysis_steps(group_by)
        with self._lock:
            self._status = {
                "running": True,
                "done": 0,
                "total": len(steps),
                "step": None,
                "error": None,
            }
        try:
            for label, compute in steps:
                if self._cache.generation != generation:
                    break
                with self._lock:
                    self._status["step"] = label
                try:
                    compute()
                except OrgbridgeError as error:
                    with self._lock:
                        self._status["error"] = f"{label}: {error}"
                with self._lock:
                    self._status["done"] += 1
        finally:
            with self._lock:
                if self._cache.generation == generation:
                    self._status["running"] = False
                    self._status["step"] = None
        return self.precompute_status()

    def start_precompute(self, group_by: str | None = None) -> threading.Thread:
        """Run :meth:`precompute` in a background (daemon) thread and return the thread."""
        thread = threading.Thread(
            target=self._precompute_quietly, args=(group_by,), name="orgbridge-precompute"
        )
        thread.daemon = True
        with self._lock:
            self._status = {**self._status, "running": True, "done": 0, "step": "loading"}
            self._precompute = thread
        thread.start()
        return thread

    def _precompute_quietly(self, group_by: str | None) -> None:
        try:
            self.precompute(group_by)
        except BaseException as error:  # nobody to raise to; pages compute on demand instead
            # (BaseException: a test server's stop() may inject SystemExit into a thread)
            with self._lock:
                self._status = {
                    **self._status,
                    "running": False,
                    "error": f"{type(error).__name__}: {error}",
                }

    def precompute_status(self) -> dict[str, Any]:
        """``{running, done, total, step, error}`` of the latest precompute."""
        with self._lock:
            return dict(self._status)

    def close(self) -> None:
        """Stop the metrics worker process (if one was started)."""
        self._offload.close()

    def _exposure(self) -> Any:
        return self._cached(("exposure",), lambda: _metric("exposure")(self.graph()))

    def _equity(self, group_by: str) -> Any:
        return self._cached(
            ("equity", group_by),
            lambda: _metric("exposure_equity")(
                self.graph(),
                group_by=group_by,
                min_group=self.min_group,
                per_person=self._exposure(),
            ),
        )

    def _ei(self, group_by: str) -> Any:
        return self._cached(
            ("ei", group_by), lambda: _metric("ei_index")(self.graph(), group_by=group_by)
        )

    def _group_ties(self, group_by: str) -> Any:
        return self._cached(
            ("group_ties", group_by),
            lambda: _metric("group_ties")(self.graph(), group_by=group_by),
        )

    def _modularity(self, group_by: str) -> Any:
        return self._cached(
            ("modularity", group_by),
            lambda: _metric("modularity")(self.graph(), group_by=group_by),
        )

    def _groups_tied(self, group_by: str) -> pd.DataFrame:
        table: pd.DataFrame = self._cached(
            ("groups_tied", group_by),
            lambda: _metric("groups_tied")(self.graph(), group_by=group_by).table,
        )
        return table

    def _bridging(self, group_by: str) -> pd.DataFrame:
        table: pd.DataFrame = self._cached(
            ("bridging", group_by),
            lambda: _metric("bridging_points")(self.graph(), group_by=group_by).table,
        )
        return table

    def _constraint(self) -> pd.DataFrame:
        table: pd.DataFrame = self._cached(
            ("constraint",), lambda: self._offload.run("constraint", self.graph()).table
        )
        return table

    def _effective_size(self) -> pd.DataFrame:
        table: pd.DataFrame = self._cached(
            ("effective_size",), lambda: self._offload.run("effective_size", self.graph()).table
        )
        return table

    def _betweenness(self) -> pd.DataFrame:
        table: pd.DataFrame = self._cached(
            ("betweenness",), lambda: self._offload.run("betweenness", self.graph()).table
        )
        return table

    def _communities(self, group_by: str) -> Any:
        return self._cached(
            ("communities", group_by),
            lambda: self._offload.run("communities", self.graph(), group_by=group_by, seed=0),
        )

    def _grouping(self, group_by: str) -> Any:
        return self._cached(
            ("grouping", group_by), lambda: _metric("grouping")(self.graph(), group_by)
        )

    def _group_labels(self, group_by: str) -> np.ndarray:
        labels: np.ndarray = self._cached(
            ("group_labels", group_by), lambda: self._grouping(group_by).label_array()
        )
        return labels

    def _sizes(self, group_by: str) -> pd.Series:
        groups = self._grouping(group_by)
        return pd.Series(groups.sizes, index=list(groups.labels))

    def _labels(self, user: User, positions: np.ndarray) -> np.ndarray:
        """What a person is called for this user: name (or id), or a pseudonym."""
        graph = self.graph()
        if user.role in PERMISSIONS["names"]:
            ids = graph.ids.to_numpy()[positions].astype(object)
            if "name" in graph.people.columns:
                names = graph.people["name"].to_numpy()[positions]
                labelled: np.ndarray = np.where(pd.notna(names), names, ids).astype(object)
                return labelled
            return np.asarray(ids)
        check_access(user, "people")
        return np.asarray(self._public_ids(user)[positions])

    def _public_ids(self, user: User) -> np.ndarray:
        """The id of every person as this user may see it (person_id, or a pseudonym)."""
        check_access(user, "people")
        graph = self.graph()
        if user.role in PERMISSIONS["names"]:
            return graph.ids.to_numpy().astype(object)
        result: np.ndarray = self._cached(("pseudonyms",), lambda: pseudonym(graph.ids, self._key))
        return result

    def _position(self, user: User, public_id: str) -> int:
        ids = self._public_ids(user)
        found = np.flatnonzero(ids == public_id)
        if len(found) == 0:
            raise ParameterError(f"no person {public_id!r}")
        return int(found[0])

    def _suppress(self, table: pd.DataFrame, size_column: str = "size") -> pd.DataFrame:
        keep = [c for c in ("group", "group_a", "group_b") if c in table.columns]
        return suppress_small_groups(
            table, size_column=size_column, min_group=self.min_group, keep_columns=keep
        )

    # ---- options -------------------------------------------------------------------------

    @requires("aggregates")
    def group_attributes(self, user: User | None) -> list[str]:
        """People attributes a page can group by (never names or ids)."""
        people = self.graph().people
        preferred = [c for c in ("department", "division", "level", "location") if c in people]
        others = [
            str(c)
            for c in people.columns
            if c not in preferred
            and c not in _HIDDEN_ATTRIBUTES
            and c not in ("is_leader", "opt_in", "capacity", "start_date")
            and people[c].nunique(dropna=True) <= 200
        ]
        return preferred + sorted(others)

    @requires("aggregates")
    def group_values(self, user: User | None, group_by: str) -> list[str]:
        """Groups of an attribute that are at or above the privacy threshold."""
        sizes = self._sizes(group_by)
        return [str(g) for g, n in sizes.items() if n >= self.min_group]

    @requires("people")
    def people_options(
        self, user: User | None, query: str = "", limit: int = 50
    ) -> list[dict[str, str]]:
        """People matching ``query`` (by label) as dropdown options, labelled for this user."""
        assert user is not None
        ids = self._public_ids(user)
        labels = self._labels(user, np.arange(len(ids)))
        text = pd.Series(labels.astype(str))
        hits = (
            np.flatnonzero(text.str.contains(query, case=False, regex=False))
            if query
            else np.arange(min(limit, len(ids)))
        )
        return [{"label": str(labels[i]), "value": str(ids[i])} for i in hits[:limit]]

    # ---- overview ------------------------------------------------------------------------

    @requires("aggregates")
    def overview(self, user: User | None, group_by: str = "department") -> dict[str, Any]:
        """Headline figures, each with its previous-snapshot value when there is one.

        Returns ``{"figures": [{key, label, value, baseline, previous, note}], "notes": [...]}``.
        """
        current = self._cached(
            ("headlines", group_by), lambda: self._headlines(self.graph(), group_by, cached=True)
        )
        previous = self._previous_headlines(group_by)
        figures = []
        for key, item in current.items():
            item = dict(item)
            item["previous"] = previous.get(key, {}).get("value") if previous else None
            figures.append(item)
        notes = (
            [] if previous else ["no previous snapshot yet: changes appear after a second import"]
        )
        return {"figures": figures, "notes": notes, "people": self.graph().n_people}

    def _headlines(
        self, graph: OrgGraph, group_by: str, *, cached: bool = False
    ) -> dict[str, dict[str, Any]]:
        """The headline figures of ``graph``; ``cached`` when it is the stored organisation
        (then the shared results are used instead of computing them again)."""
        out: dict[str, dict[str, Any]] = {}
        found: dict[str, Any] = {}

        def add(key: str, label: str, compute: Callable[[], tuple[Any, Any]], fmt: str) -> None:
            try:
                value, baseline = compute()
                note = None
            except OrgbridgeError as error:
                value, baseline, note = None, None, str(error)
            out[key] = {
                "key": key,
                "label": label,
                "value": _number(value),
                "baseline": _number(baseline),
                "format": fmt,
                "note": note,
            }

        def ei() -> tuple[Any, Any]:
            r = self._ei(group_by) if cached else _metric("ei_index")(graph, group_by=group_by)
            return r["ei_index"], r["ei_baseline"]

        def modularity() -> tuple[Any, Any]:
            r = (
                self._modularity(group_by)
                if cached
                else _metric("modularity")(graph, group_by=group_by)
            )
            return r["modularity"], None

        def equity() -> Any:
            if cached:
                return self._equity(group_by)
            if "equity" not in found:
                found["equity"] = _metric("exposure_equity")(
                    graph, group_by=group_by, min_group=self.min_group
                )
            return found["equity"]

        add("ei_index", f"E-I index ({group_by})", ei, "signed")
        add("modularity", f"Modularity ({group_by})", modularity, "plain")
        add(
            "within_2_hops",
            "Within 2 hops of a leader",
            lambda: (equity()["share_within_2_hops"], None),
            "percent",
        )
        add(
            "equity_gap",
            f"Exposure gap between {group_by}s",
            lambda: (equity()["gap_share_within_2_hops"], None),
            "percent",
        )
        add("coverage", "Programme coverage", lambda: (_coverage(graph), None), "percent")
        return out

    def _previous_headlines(self, group_by: str) -> dict[str, dict[str, Any]]:
        try:
            with self._lock:
                log = self.store.import_log()
        except (OrgbridgeError, AttributeError, NotImplementedError):
            return {}
        if len(log) < 2 or "at" not in log.columns:
            return {}
        previous_at = pd.Timestamp(log["at"].sort_values().iloc[-2])
        if previous_at.tzinfo is not None:
            previous_at = previous_at.tz_convert(None)
        key = ("previous", group_by, str(previous_at))
        return dict(
            self._cached(key, lambda: self._headlines(self.graph().snapshot(previous_at), group_by))
        )

    # ---- silos ---------------------------------------------------------------------------

    @requires("aggregates")
    def silos(self, user: User | None, group_by: str = "department") -> dict[str, Any]:
        """Group x group tie counts and density, E-I per group, and modularity.

        Every cell or row involving a group under the threshold is blank (NaN) and listed in
        ``suppressed``. Communities come from :meth:`communities` (they take longer).
        """
        ties = self._group_ties(group_by)
        tie_matrix = _metric("tie_matrix")
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

    # ---- maps ----------------------------------------------------------------------------

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

    # ---- exposure ------------------------------------------------------------------------

    @requires("aggregates")
    def exposure(self, user: User | None, group_by: str = "department") -> dict[str, Any]:
        """Hops-to-leader distribution per group, equity table and gaps, least-exposed groups."""
        equity = self._equity(group_by)
        hops = pd.to_numeric(self._exposure().table["hops_to_leader"], errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )
        buckets = np.select(
            [np.isnan(hops), hops == 0, hops == 1, hops == 2, hops == 3],
            ["unreachable", "leader", "1 hop", "2 hops", "3 hops"],
            "4+ hops",
        )
        labels = self._group_labels(group_by)
        distribution = pd.crosstab(pd.Series(labels, name="group"), pd.Series(buckets, name="hops"))
        order = [
            c
            for c in ("leader", "1 hop", "2 hops", "3 hops", "4+ hops", "unreachable")
            if c in distribution
        ]
        distribution = distribution[order]
        shares = distribution.div(distribution.sum(axis=1), axis=0)
        sizes = distribution.sum(axis=1)
        shares = shares.reset_index().assign(size=sizes.to_numpy())
        shares = self._suppress(shares)
        table = equity.table
        shown = table[~table["suppressed"].astype(bool)].copy()
        shown["share_within_2_hops"] = pd.to_numeric(shown["share_within_2_hops"], errors="coerce")
        least = shown.sort_values("share_within_2_hops", kind="stable").head(3)
        return {
            "group_by": group_by,
            "distribution": shares,
            "equity": table,
            "values": {
                k: _number(v) if isinstance(v, float | np.floating) else v
                for k, v in equity.values.items()
            },
            "least_exposed": [
                {
                    "group": str(r["group"]),
                    "share_within_2_hops": _number(r["share_within_2_hops"]),
                    "size": int(r["size"]),
                }
                for _, r in least.iterrows()
            ],
            "note": small_group_note(self.min_group),
        }

    # ---- recommender ---------------------------------------------------------------------

    @requires("recommend")
    def cohort_options(self, user: User | None) -> list[dict[str, str]]:
        """Cohorts the recommender can run on: everyone opted in, or one department."""
        people = self.graph().people
        options = [{"label": "Everyone opted in", "value": "__all__"}]
        if "department" in people.columns:
            for dept in sorted(str(d) for d in people["department"].dropna().unique()):
                options.append({"label": f"Department: {dept}", "value": f"department={dept}"})
        return options

    @requires("recommend")
    def recommend(
        self,
        user: User | None,
        *,
        kind: str = "pairs",
        cohort: str = "__all__",
        objective: str = "balanced",
        count: int = 10,
        different_department: bool = True,
        max_level_gap: int | None = None,
        seed: int = 0,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> dict[str, Any]:
        """Run the recommender; a JSON-ready dict of the run (nothing is stored yet)."""
        assert user is not None
        if not 1 <= int(count) <= 500:
            raise ParameterError(f"ask for 1 to 500 proposals (got {count})")
        graph = self.graph()
        name = "recommend_pairs" if kind == "pairs" else "recommend_sponsorships"
        function = _library("orgbridge.recommend", name)
        if function is None:
            raise OrgbridgeError(f"this build of orgbridge has no recommender ({name})")
        if objective not in OBJECTIVES:
            raise ParameterError(
                f"unknown objective {objective!r}; expected one of {', '.join(OBJECTIVES)}"
            )
        constraints = _constraints(
            graph, cohort, different_department, max_level_gap, self._decided(kind)
        )
        call: dict[str, Any] = {
            "count": int(count),
            "objective": objective,
            "constraints": constraints,
            "seed": seed,
            "show_names": user.role in PERMISSIONS["names"],
            "min_group": self.min_group,
        }
        call = {k: v for k, v in call.items() if k in _parameters_of(function) or k == "count"}
        if progress is not None:
            progress("recommending", 0, 1)
        recommendation = function(graph, **call)
        data: dict[str, Any] = recommendation.to_dict()
        proposals = pd.DataFrame(data.get("proposals", []))
        if len(proposals):
            for end in ("a", "b"):
                positions = graph.positions(proposals[end].astype(str))
                proposals[f"{end}_label"] = self._labels(user, positions)
        run = {
            "run_id": uuid.uuid4().hex[:12],
            "kind": kind,
            "parameters": {
                "kind": kind,
                "cohort": cohort,
                "objective": objective,
                "count": int(count),
                "different_department": bool(different_department),
                "max_level_gap": max_level_gap,
                "seed": seed,
            },
            "proposals": _records(proposals),
            "simulation": data.get("simulation", {}),
        }
        if progress is not None:
            progress("done", 1, 1)
        return run

    def _decided(self, kind: str) -> dict[str, list[tuple[str, str]]]:
        """Locked and declined pairs of this kind (latest decision per pair)."""
        from orgbridge.recommend import locked_and_declined

        kind = _KINDS.get(kind, kind)
        locked, declined = locked_and_declined(self.store.decisions(), kind)
        return {"lock": list(locked), "decline": list(declined)}

    @requires("recommend")
    def save_run(self, user: User | None, run: dict[str, Any]) -> None:
        """Persist a run's proposals and audit it."""
        assert user is not None
        proposals = pd.DataFrame(run["proposals"])
        if "breakdown" in proposals:
            proposals["breakdown"] = proposals["breakdown"].map(_json_text)
        if "kind" not in proposals:
            proposals["kind"] = {"pairs": "pair", "sponsorships": "sponsorship"}.get(
                run["kind"], run["kind"]
            )
        parameters = {**run["parameters"], "simulation": run.get("simulation", {})}
        self.store.save_proposals(run["run_id"], proposals, parameters)
        self.store.audit(
            "recommend", by=user.username, detail={"run_id": run["run_id"], **run["parameters"]}
        )

    @requires("recommend")
    def proposals(self, user: User | None, run_id: str | None = None) -> pd.DataFrame:
        """Proposals of a run (latest by default) with their current decision."""
        assert user is not None
        table = self.store.load_proposals(run_id)
        if len(table) == 0:
            return table
        table = table.copy()
        decisions = self.store.decisions()
        table["decision"] = ""
        if len(decisions):
            from orgbridge.recommend import decision_key, latest_decisions

            by_kind = {k: latest_decisions(decisions, k) for k in ("pair", "sponsorship")}
            kinds = (
                table["kind"].astype(str).map(lambda k: _KINDS.get(k, k))
                if "kind" in table.columns
                else pd.Series(["pair"] * len(table))
            )
            table["decision"] = [
                by_kind.get(k, {}).get(decision_key(str(a), str(b), k), "")
                for a, b, k in zip(table["a"], table["b"], kinds, strict=True)
            ]
        if "a_label" not in table.columns:
            graph = self.graph()
            for end in ("a", "b"):
                table[f"{end}_label"] = self._labels(user, graph.positions(table[end].astype(str)))
        return table.reset_index(drop=True)

    @requires("recommend")
    def run_parameters(self, user: User | None, run_id: str) -> dict[str, Any]:
        """The parameters (and before/after simulation) a run was stored with."""
        getter = getattr(self.store, "proposal_parameters", None)
        return dict(getter(run_id)) if callable(getter) else {}

    @requires("recommend")
    def decide(
        self, user: User | None, pairs: list[tuple[str, str]], *, kind: str, decision: str
    ) -> str:
        """Record approve / decline / lock for each pair (persisted and audited)."""
        assert user is not None
        if decision not in ("approve", "decline", "lock"):
            raise ParameterError(f"a decision is approve, decline or lock (got {decision!r})")
        if not pairs:
            raise ParameterError("select at least one proposal first")
        from orgbridge.recommend import decision_key

        kind = _KINDS.get(kind, kind)
        for a, b in pairs:
            first, second = decision_key(str(a), str(b), kind)
            self.store.record_decision(
                first, second, kind=kind, decision=decision, by=user.username
            )
        return f"{decision}: {len(pairs)} proposal(s) recorded"

    @requires("recommend")
    def export_proposals(
        self, user: User | None, fmt: str, run_id: str | None = None
    ) -> tuple[str, bytes]:
        """The proposals as CSV or XLSX bytes, with a file name; the export is audited."""
        assert user is not None
        table = self.proposals(user, run_id)
        table = table.drop(
            columns=[c for c in table.columns if c in ("breakdown",)], errors="ignore"
        )
        if fmt == "csv":
            payload = table.to_csv(index=False).encode("utf-8")
        elif fmt == "xlsx":
            buffer = io.BytesIO()
            table.to_excel(buffer, index=False, sheet_name="proposals")
            payload = buffer.getvalue()
        else:
            raise ParameterError(f"export as csv or xlsx (got {fmt!r})")
        self.store.audit(
            "export",
            by=user.username,
            detail={"what": "proposals", "format": fmt, "rows": len(table)},
        )
        return f"orgbridge-proposals.{fmt}", payload

    # ---- programme -----------------------------------------------------------------------

    @requires("aggregates")
    def programme(
        self, user: User | None, group_by: str = "department", today: pd.Timestamp | None = None
    ) -> dict[str, Any]:
        """Programme coverage by group (everyone), and the pairs themselves (person roles)."""
        assert user is not None
        graph = self.graph()
        today = today if today is not None else pd.Timestamp.now()
        layers = [layer for layer in PROGRAMME_LAYERS if layer in graph.layers]
        ties = graph.select_ties(layers) if layers else graph.ties.iloc[0:0]
        end = pd.to_datetime(ties["end"])
        current = (end.isna() | (end >= today)).to_numpy()
        labels = self._group_labels(group_by)
        in_programme = np.zeros(graph.n_people, dtype=bool)
        for column in ("source", "target"):
            in_programme[ties["source" if column == "source" else "target"].to_numpy()[current]] = (
                True
            )
        coverage = (
            pd.DataFrame({"group": labels, "covered": in_programme})
            .groupby("group", sort=False)
            .agg(size=("covered", "size"), in_programme=("covered", "sum"))
            .reset_index()
        )
        coverage["coverage"] = coverage["in_programme"] / coverage["size"]
        coverage = self._suppress(coverage)
        result: dict[str, Any] = {
            "coverage": coverage,
            "pairs": None,
            "note": small_group_note(self.min_group),
        }
        if user.role in PERMISSIONS["people"]:
            src = ties["source"].to_numpy()
            dst = ties["target"].to_numpy()
            result["pairs"] = pd.DataFrame(
                {
                    "layer": ties["layer"].astype(str).to_numpy(),
                    "a": self._labels(user, src) if len(src) else [],
                    "b": self._labels(user, dst) if len(dst) else [],
                    "start": pd.to_datetime(ties["start"])
                    .dt.strftime("%Y-%m-%d")
                    .fillna("")
                    .to_numpy(),
                    "end": end.dt.strftime("%Y-%m-%d").fillna("").to_numpy(),
                    "status": np.where(current, "current", "past"),
                }
            )
        return result

    @requires("aggregates")
    def programme_history(
        self,
        user: User | None,
        group_by: str = "department",
        today: pd.Timestamp | None = None,
        max_snapshots: int = 4,
    ) -> pd.DataFrame:
        """Before/after across snapshots: per group, programme coverage and the share within
        2 hops of a leader at each programme start date (the latest ``max_snapshots``) and now.

        Columns ``snapshot, group, size, coverage, share_within_2_hops, suppressed``; every
        figure of a group under the threshold (in that snapshot) is blank.
        """
        graph = self.graph()
        today = (today if today is not None else pd.Timestamp.now()).normalize()
        layers = [layer for layer in PROGRAMME_LAYERS if layer in graph.layers]
        starts = (
            pd.to_datetime(graph.select_ties(layers)["start"]).dropna() if layers else pd.Series()
        )
        dates = sorted({d.normalize() for d in starts if d < today})[-max_snapshots:]
        key = ("programme_history", group_by, tuple(str(d) for d in dates), str(today))
        history: pd.DataFrame = self._cached(
            key,
            lambda: pd.concat(
                [
                    self._programme_snapshot(graph.snapshot(d), group_by, d, f"{d:%Y-%m-%d}")
                    for d in dates
                ]
                + [self._programme_snapshot(graph, group_by, today, "now")],
                ignore_index=True,
            ),
        )
        return history.copy()

    def _programme_snapshot(
        self, graph: OrgGraph, group_by: str, day: pd.Timestamp, label: str
    ) -> pd.DataFrame:
        """Coverage and share within 2 hops per group of one snapshot (small groups blank)."""
        groups = _metric("grouping")(graph, group_by)
        labels = groups.label_array()
        layers = [layer for layer in PROGRAMME_LAYERS if layer in graph.layers]
        covered = np.zeros(graph.n_people, dtype=bool)
        if layers:
            ties = graph.select_ties(layers)
            end = pd.to_datetime(ties["end"])
            active = (end.isna() | (end >= day)).to_numpy()
            covered[ties["source"].to_numpy()[active]] = True
            covered[ties["target"].to_numpy()[active]] = True
        table = (
            pd.DataFrame({"group": labels, "covered": covered})
            .groupby("group", sort=True)
            .agg(size=("covered", "size"), in_programme=("covered", "sum"))
            .reset_index()
        )
        table["coverage"] = table["in_programme"] / table["size"]
        try:
            equity = _metric("exposure_equity")(graph, group_by=group_by, min_group=self.min_group)
            shares = equity.table.set_index("group")["share_within_2_hops"]
            table["share_within_2_hops"] = pd.to_numeric(
                table["group"].map(shares), errors="coerce"
            )
        except OrgbridgeError:
            table["share_within_2_hops"] = np.nan
        table = self._suppress(table.drop(columns="in_programme"))
        table.insert(0, "snapshot", label)
        return table

    # ---- data ----------------------------------------------------------------------------

    @requires("data")
    def validate_upload(
        self,
        user: User | None,
        files: dict[str, tuple[str, bytes]],
        *,
        mapping: tuple[str, bytes] | None = None,
        leader_rule: str | None = None,
    ) -> dict[str, Any]:
        """Check uploaded files against the stored organisation; store nothing yet.

        ``files`` maps a kind (staff, projects, pairs, sponsorships, viva_p2p) to
        ``(file name, bytes)``; ``mapping`` is an optional column-mapping file (JSON or CSV)
        as ``(file name, bytes)``, and ``leader_rule`` an optional rule saying who is a leader
        (it overrides the mapping's). Returns ``{"token", "report"}``; pass the token to
        :meth:`store_upload` to save.
        """
        from orgbridge.ingest import Sources, prepare_import

        if not files:
            raise ParameterError("upload at least one file first")
        folder = Path(tempfile.mkdtemp(prefix="upload-", dir=self._scratch))
        paths: dict[str, Any] = {}
        for kind, (filename, payload) in files.items():
            if kind not in ("staff", "projects", "pairs", "sponsorships", "viva_p2p"):
                raise ParameterError(f"unknown kind of file {kind!r}")
            safe = Path(filename).name or f"{kind}.csv"
            path = folder / kind / safe
            path.parent.mkdir()
            path.write_bytes(payload)
            paths[kind] = path
        if mapping is not None:
            name = Path(mapping[0]).name
            if Path(name).suffix.lower() not in (".json", ".csv"):
                raise ParameterError(f"a mapping file is .json or .csv (got {name!r})")
            paths["mapping"] = folder / "mapping" / name
            paths["mapping"].parent.mkdir()
            paths["mapping"].write_bytes(mapping[1])
        rule = (leader_rule or "").strip()
        if rule:
            paths["leader_rule"] = rule
        prepared = prepare_import(Sources(**paths), existing=self.graph(), strict=False)
        token = uuid.uuid4().hex
        with self._lock:
            self._staged = {token: prepared}  # only the latest upload can be confirmed
        return {"token": token, "report": prepared.report.to_dict()}

    @requires("data")
    def store_upload(self, user: User | None, token: str) -> str:
        """Save a validated upload in one transaction, audit it, and refresh every view."""
        assert user is not None
        with self._lock:
            prepared = self._staged.pop(token, None)
        if prepared is None:
            raise ParameterError("that upload is no longer pending: validate the files again")
        report = prepared.report.to_dict()
        self.store.save_graph(prepared.graph, log=report)
        self.store.audit(
            "import",
            by=user.username,
            detail={k: report[k] for k in ("people", "rows_in", "rows_loaded", "rows_rejected")},
        )
        self._reset()
        if self._precompute is not None:  # the app precomputes: do it again for the new data
            self.start_precompute()
        return (
            f"stored: {report['people']:,} people; {report['rows_loaded']:,} rows loaded, "
            f"{report['rows_rejected']:,} rejected"
        )


# ---- helpers -------------------------------------------------------------------------------

#: The recommender's objective presets (``orgbridge.recommend.PRESETS``).
OBJECTIVES = ("balanced", "exposure", "silo")


def _constraints(
    graph: OrgGraph,
    cohort: str,
    different_department: bool,
    max_level_gap: int | None,
    decided: dict[str, list[tuple[str, str]]],
) -> Any:
    """The recommender's hard constraints from the page's choices and the stored decisions."""
    people = graph.people
    settings: dict[str, Any] = {
        "cross_department": bool(different_department),
        "locked": tuple(decided.get("lock", [])),
        "declined": tuple(decided.get("decline", [])),
    }
    if max_level_gap is not None:
        settings["max_level_gap"] = float(max_level_gap)
    if cohort.startswith("department=") and "department" in people.columns:
        dept = cohort.split("=", 1)[1]
        chosen = people["department"].astype(str) == dept
        if "opt_in" in people.columns:
            chosen &= people["opt_in"].fillna(False).astype(bool)
        settings["cohort"] = tuple(people.loc[chosen, "person_id"].astype(str))
    factory = _library("orgbridge.recommend", "Constraints")
    if factory is None:
        raise OrgbridgeError("this build of orgbridge has no recommender constraints")
    return factory(**settings)


def _parameters_of(function: Callable[..., Any]) -> set[str]:
    import inspect

    try:
        return set(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return set()


def _coverage(graph: OrgGraph) -> float | None:
    """Share of people in at least one mentoring pair or sponsorship."""
    layers = [layer for layer in PROGRAMME_LAYERS if layer in graph.layers]
    if graph.n_people == 0:
        return None
    if not layers:
        return 0.0
    ties = graph.select_ties(layers)
    covered = np.zeros(graph.n_people, dtype=bool)
    covered[ties["source"].to_numpy()] = True
    covered[ties["target"].to_numpy()] = True
    return float(covered.mean())


def _number(value: Any) -> float | None:
    """A plain float, or None for missing values."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(number) else number


def _json_text(value: Any) -> str:
    import json

    return value if isinstance(value, str) else json.dumps(value, default=str)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows (missing values as None)."""
    if len(frame) == 0:
        return []
    clean = frame.astype(object).where(frame.notna(), None)
    return [{str(k): v for k, v in row.items()} for row in clean.to_dict(orient="records")]
