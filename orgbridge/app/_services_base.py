"""The shared core of the app's services: the graph, the analysis cache, labels, suppression."""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from orgbridge import metrics
from orgbridge.app._access import check_access, requires
from orgbridge.app._cache import AnalysisCache, ForkSafeLock, Offloader
from orgbridge.app._fresh import StampWatch
from orgbridge.app._jobs import JobRunner, Jobs
from orgbridge.app.auth import User
from orgbridge.app.network import NetworkView
from orgbridge.disclosure import (
    OTHER_GROUPS,
    SuppressionPlan,
    check_group_by,
    disclose_equity,
    disclose_groups,
    disclosed_gap,
    groupable_attributes,
    identity_for,
    parse_text,
    person_labels,
    pseudonyms,
    special_columns,
    suppression_plan,
)
from orgbridge.errors import OrgbridgeError, ParameterError
from orgbridge.graph import OrgGraph, normalise_layers
from orgbridge.graph._store import Store
from orgbridge.metrics._communities import communities_of
from orgbridge.metrics._privacy import DEFAULT_MIN_GROUP, check_min_group
from orgbridge.metrics._saved import (
    SAVED_METRICS,
    SavedResults,
    expected,
    saved_results,
    stale_reason,
)

__all__ = [
    "GROUP_METRICS",
    "OBJECTIVES",
    "PERSON_METRICS",
    "ServicesBase",
]

#: Attributes never shown next to a person (identifying, or ids of other people).
_HIDDEN_ATTRIBUTES = frozenset({"person_id", "name", "manager_id", "email"})
#: Person metrics the map can colour or size by.
PERSON_METRICS = ("degree", "exposure", "hops_to_leader", "groups_tied")
#: Group metrics the group-level map can colour by.
GROUP_METRICS = ("size", "ei_index", "ei_difference", "mean_exposure", "share_within_2_hops")
PROGRAMME_LAYERS = ("mentoring", "sponsorship")

_log = logging.getLogger("orgbridge.app")


#: Run kinds ("pairs") as decision kinds ("pair").
_KINDS = {"pairs": "pair", "sponsorships": "sponsorship"}


class ServicesBase:
    """State every service shares: the store, the loaded graph, the analysis cache (see
    :class:`~orgbridge.app.services.Services` for the parameters)."""

    def __init__(
        self,
        store: Store,
        *,
        min_group: int = DEFAULT_MIN_GROUP,
        pseudonym_key: bytes = b"orgbridge",
        scratch: Path | None = None,
        offload_above: int = 20_000,
        special_grouping: bool = False,
    ) -> None:
        self.store = store
        self.min_group = check_min_group(min_group)
        self.special_grouping = bool(special_grouping)
        self._key = pseudonym_key
        self._scratch = scratch
        self._lock = ForkSafeLock(reentrant=True)  # a forked background job gets it free
        self._graph: OrgGraph | None = None
        self._stamp: str | None = None  # the data stamp of the loaded graph (None: unknown)
        self._watch = StampWatch()
        self._settings_seen: int | None = None
        #: what the unusable saved metrics said they were computed from (None: not read,
        #: or in use); refresh() looks again while they are not used
        self._saved_about: str | None = None
        #: which saved analysis is in use (None: the per-person metrics are computed here)
        self._saved_as_of: str | None = None
        self._cache = AnalysisCache()
        self._offload = Offloader(offload_above)
        self._precompute: threading.Thread | None = None
        self._status: dict[str, Any] = {
            "running": False,
            "done": 0,
            "total": 0,
            "step": None,
            "error": None,
        }

    def graph(self) -> OrgGraph:
        """The stored organisation (loaded once, reloaded after an import)."""
        with self._lock:
            if self._graph is None:
                before = self._data_stamp()
                self._watch.loading(self.store)
                self._graph = self.store.load_graph()
                # a save between the two reads: the loaded graph's stamp is unknown
                self._stamp = before if before == self._data_stamp() else None
            return self._graph

    def _data_stamp(self) -> str | None:
        try:
            stamp = self.store.data_stamp()
        except (OrgbridgeError, AttributeError, NotImplementedError):
            return None
        return None if stamp is None else str(stamp)

    def _saved(self) -> SavedResults | None:
        """The per-person metrics ``orgbridge analyze`` saved, when they were computed from
        exactly the loaded organisation the way the app computes them; else None (and the
        log says why they are recomputed)."""
        found: SavedResults | None = self._cached(("saved_metrics",), self._load_saved)
        return found

    def _load_saved(self) -> SavedResults | None:
        graph = self.graph()
        wanted = expected(self._stamp, layers=normalise_layers(None, graph.layers))
        reason: str | None
        try:
            about = self.store.metrics_about(SAVED_METRICS)
        except (OrgbridgeError, AttributeError, NotImplementedError) as error:
            about, reason = {}, f"the store cannot say what they were computed from ({error})"
        else:
            reason = stale_reason(about, wanted)
        if reason is None:
            try:
                saved = saved_results(graph, self.store.load_metrics(SAVED_METRICS))
            except OrgbridgeError as error:
                reason = str(error)
            else:
                self._saved_about = None
                day = about.get("as_of")
                self._saved_as_of = f"as of {day}" if day else "of every stored tie"
                _log.info(
                    "per-person metrics loaded from the store (saved by orgbridge analyze, "
                    "as of %s, data stamp %s)",
                    about.get("as_of"),
                    about.get("data"),
                )
                return saved
        _log.info("per-person metrics recomputed: the saved ones are not used: %s", reason)
        self._saved_about = _about_text(about)
        self._saved_as_of = None
        return None

    def _saved_changed(self) -> bool:
        """Whether metrics saved since this process found the saved ones unusable (by the
        app's analysis job, in any process, or ``orgbridge analyze``) may now be used."""
        seen = self._saved_about
        if seen is None:
            return False
        try:
            now = _about_text(self.store.metrics_about(SAVED_METRICS))
        except (OrgbridgeError, AttributeError, NotImplementedError):
            return False
        return now != seen

    def refresh(self) -> bool:
        """Follow the shared store and settings (called on every app request): forget the
        loaded organisation and every cached result when the store's data stamp changed
        (another app process or the CLI saved new data), precomputing again if this process
        precomputes, and re-read the admin's settings file when it changed. While the saved
        per-person metrics are unusable, also look whether new ones were saved (an analysis
        job): then only the cached results are dropped. True when the data or the saved
        metrics changed. One or two small queries (see :mod:`orgbridge.app._fresh`)."""
        self._reload_settings()
        with self._lock:
            loaded = self._graph is not None
        if not loaded:
            return False
        if self._watch.stale(self.store):
            self._reset()
        elif self._saved_changed():  # same data, newly saved metrics: only results go
            with self._lock:
                self._saved_about = None
                self._saved_as_of = None
                self._cache.clear()
        else:
            return False
        if self._precompute is not None:
            self.start_precompute()
        return True

    def _reload_settings(self) -> None:
        path: Path | None = getattr(self, "_settings_file", None)
        if path is None:
            return
        try:
            seen: int | None = path.stat().st_mtime_ns
        except OSError:
            seen = None
        if seen == self._settings_seen:
            return
        from orgbridge.app._settings import load_settings

        value = bool(load_settings(path)["special_grouping"])
        with self._lock:
            self._settings_seen = seen
            self.special_grouping = value

    def _cached(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        return self._cache.get(key, compute)

    def _view(self, key: tuple[Any, ...], compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """A role-independent aggregate view (group tables of one grouping), computed once
        in the shared cache (cleared with the organisation: a new import, a new data stamp)
        and handed out as a deep copy, so no caller can change what the next one gets."""
        found: dict[str, Any] = copy.deepcopy(self._cached(("view", *key), compute))
        return found

    def _reset(self) -> None:
        with self._lock:
            self._graph = None
            self._stamp = None
            self._saved_about = None
            self._saved_as_of = None
            self._cache.clear()

    def _job_runner(self) -> JobRunner:
        """The job runner: the one ``create_app`` was given (a queue), else a thread pool."""
        with self._lock:
            runner: JobRunner | None = getattr(self, "_jobs", None)
            if runner is None:
                runner = self._jobs = Jobs(workers=2)
            return runner

    def default_group_by(self) -> str:
        """The grouping pages open with: department, else the first groupable attribute."""
        allowed = self._allowed_groupings()
        return allowed[0] if allowed else "department"

    def _allowed_groupings(self) -> list[str]:
        """Attributes that may group people here (the disclosure policy decides)."""
        found: list[str] = self._cached(
            ("groupings", self.special_grouping),
            lambda: groupable_attributes(
                self.graph(), allow_special=self.special_grouping, min_group=self.min_group
            ),
        )
        return found

    def _special(self) -> frozenset[str]:
        found: frozenset[str] = self._cached(("special",), lambda: special_columns(self.graph()))
        return found

    def _group_by(self, value: Any, *, person_level: bool = False) -> str:
        """A client's grouping, parsed: one of the allowed attributes, else ParameterError.

        ``person_level``: the result will sit beside people, so no special category (they
        are aggregate-only even when an admin enabled them).
        """
        if value is None:
            value = self.default_group_by()
        group_by = check_group_by(
            self.graph(), value, allowed=self._allowed_groupings(), min_group=self.min_group
        )
        if person_level and group_by in self._special():
            raise ParameterError(
                f"{group_by!r} is a special category: it is shown as aggregates only"
            )
        return group_by

    def _plan(self, group_by: str) -> SuppressionPlan:
        """Which groups of ``group_by`` every table hides (same for every table)."""
        plan: SuppressionPlan = self._cached(
            ("plan", group_by),
            lambda: suppression_plan(self._sizes(group_by), min_group=self.min_group),
        )
        return plan

    def _disclose(
        self,
        table: pd.DataFrame,
        plan: SuppressionPlan | None = None,
        *,
        size_column: str = "size",
        denominators: dict[str, str] | None = None,
    ) -> pd.DataFrame:
        """A group table as any role may see it (:func:`~orgbridge.disclosure.disclose_groups`)."""
        return disclose_groups(
            table,
            min_group=self.min_group,
            size_column=size_column,
            plan=plan,
            denominators=denominators,
        )

    def _group_network(self, group_by: str, colour_by: str, size_by: str) -> NetworkView:
        """The group-level map (provided by SilosServices; precomputed with the analysis)."""
        raise NotImplementedError

    def analysis_steps(self, group_by: str) -> list[tuple[str, Callable[[], Any]]]:
        """The standard analysis of one grouping, cheapest first, as ``(label, compute)``."""
        return [
            ("saved metrics", self._saved),
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
        """``{running, done, total, step, error, saved}`` of the latest precompute;
        ``saved``: which saved analysis's per-person metrics are in use ("as of <day>" or
        "of every stored tie"; None while they are computed here)."""
        with self._lock:
            return {**self._status, "saved": self._saved_as_of}

    def close(self) -> None:
        """Stop the metrics worker process and the job runner (if they were started)."""
        self._offload.close()
        jobs = getattr(self, "_jobs", None)
        if jobs is not None:
            jobs.close()

    def _exposure(self) -> Any:
        return self._cached(("exposure",), lambda: metrics.exposure(self.graph()))

    def _equity(self, group_by: str) -> Any:
        return self._cached(
            ("equity", group_by),
            lambda: metrics.exposure_equity(
                self.graph(),
                group_by=group_by,
                min_group=self.min_group,
                per_person=self._exposure(),
            ),
        )

    def _ei(self, group_by: str) -> Any:
        return self._cached(
            ("ei", group_by), lambda: metrics.ei_index(self.graph(), group_by=group_by)
        )

    def _group_ties(self, group_by: str) -> Any:
        return self._cached(
            ("group_ties", group_by),
            lambda: metrics.group_ties(self.graph(), group_by=group_by),
        )

    def _modularity(self, group_by: str) -> Any:
        return self._cached(
            ("modularity", group_by),
            lambda: metrics.modularity(self.graph(), group_by=group_by),
        )

    def _groups_tied(self, group_by: str) -> pd.DataFrame:
        table: pd.DataFrame = self._cached(
            ("groups_tied", group_by),
            lambda: metrics.groups_tied(self.graph(), group_by=group_by).table,
        )
        return table

    def _bridging(self, group_by: str) -> pd.DataFrame:
        table: pd.DataFrame = self._cached(
            ("bridging", group_by),
            lambda: metrics.bridging_points(self.graph(), group_by=group_by).table,
        )
        return table

    def _constraint(self) -> pd.DataFrame:
        def compute() -> pd.DataFrame:
            saved = self._saved()
            if saved is not None:
                return saved.constraint
            table: pd.DataFrame = self._offload.run("constraint", self.graph()).table
            return table

        table: pd.DataFrame = self._cached(("constraint",), compute)
        return table

    def _effective_size(self) -> pd.DataFrame:
        def compute() -> pd.DataFrame:
            saved = self._saved()
            if saved is not None:
                return saved.effective_size
            table: pd.DataFrame = self._offload.run("effective_size", self.graph()).table
            return table

        table: pd.DataFrame = self._cached(("effective_size",), compute)
        return table

    def _betweenness(self) -> pd.DataFrame:
        def compute() -> pd.DataFrame:
            saved = self._saved()
            if saved is not None:
                return saved.betweenness
            table: pd.DataFrame = self._offload.run("betweenness", self.graph()).table
            return table

        table: pd.DataFrame = self._cached(("betweenness",), compute)
        return table

    def _communities(self, group_by: str) -> Any:
        def compute() -> Any:
            saved = self._saved()
            if saved is not None:  # the saved partition, compared with this grouping
                return communities_of(self.graph(), saved.community, group_by=group_by, seed=0)
            return self._offload.run("communities", self.graph(), group_by=group_by, seed=0)

        return self._cached(("communities", group_by), compute)

    def _grouping(self, group_by: str) -> Any:
        return self._cached(
            ("grouping", group_by), lambda: metrics.grouping(self.graph(), group_by)
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
        """What a person is called for this user (the disclosure policy: name or pseudonym)."""
        check_access(user, "people")
        graph = self.graph()
        if identity_for(user.role) == "pseudonym":
            return np.asarray(self._public_ids(user)[positions])
        names = graph.people["name"].to_numpy()[positions] if "name" in graph.people else None
        return person_labels(graph.ids.to_numpy()[positions], names, role=user.role, key=self._key)

    def _person_attribute(self, user: User, column: str, positions: np.ndarray) -> np.ndarray:
        """A grouping attribute beside people, as text. For roles that see pseudonyms, the
        label of a group under the threshold is "other groups": a three-person team's name
        beside a pseudonym would say who it is."""
        values = self.graph().people[column].to_numpy()[positions]
        text = np.array(["(missing)" if pd.isna(v) else str(v) for v in values], dtype=object)
        if identity_for(user.role) != "name" and column in self._allowed_groupings():
            small = self._plan(column).small
            if small:
                text[np.isin(text, list(small))] = OTHER_GROUPS
        return text

    def _public_ids(self, user: User) -> np.ndarray:
        """The id of every person as this user may see it (person_id, or a pseudonym)."""
        check_access(user, "people")
        graph = self.graph()
        if identity_for(user.role) == "name":
            return graph.ids.to_numpy().astype(object)
        result: np.ndarray = self._cached(("pseudonyms",), lambda: pseudonyms(graph.ids, self._key))
        return result

    def _position(self, user: User, public_id: str) -> int:
        ids = self._public_ids(user)
        found = np.flatnonzero(ids == public_id)
        if len(found) == 0:
            raise ParameterError(f"no person {public_id!r}")
        return int(found[0])

    @requires("aggregates")
    def group_attributes(self, user: User | None) -> list[str]:
        """Attributes this user may group by (the disclosure policy: never identifiers,
        dates, free text or near-unique columns; special categories only when enabled)."""
        return self._allowed_groupings()

    @requires("people")
    def group_values(self, user: User | None, group_by: Any) -> list[str]:
        """Groups of an attribute whose people may be drawn: at or above the privacy
        threshold, never of a special category."""
        group_by = self._group_by(group_by, person_level=True)
        small = self._plan(group_by).small
        return [str(g) for g in self._sizes(group_by).index if str(g) not in small]

    @requires("people")
    def people_options(
        self, user: User | None, query: str = "", limit: int = 50
    ) -> list[dict[str, str]]:
        """People matching ``query`` (by label) as dropdown options, labelled for this user."""
        assert user is not None
        query = parse_text(query, what="the search")
        limit = max(1, min(int(limit), 100))
        ids = self._public_ids(user)
        labels = self._labels(user, np.arange(len(ids)))
        text = pd.Series(labels.astype(str))
        hits = (
            np.flatnonzero(text.str.contains(query, case=False, regex=False))
            if query
            else np.arange(min(limit, len(ids)))
        )
        return [{"label": str(labels[i]), "value": str(ids[i])} for i in hits[:limit]]

    @requires("aggregates")
    def overview(self, user: User | None, group_by: Any = None) -> dict[str, Any]:
        """Headline figures, each with its previous-snapshot value when there is one.

        Returns ``{"figures": [{key, label, value, baseline, previous, note}], "notes": [...]}``.
        """
        group_by = self._group_by(group_by)
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
            r = self._ei(group_by) if cached else metrics.ei_index(graph, group_by=group_by)
            return r["ei_index"], r["ei_baseline"]

        def modularity() -> tuple[Any, Any]:
            r = (
                self._modularity(group_by)
                if cached
                else metrics.modularity(graph, group_by=group_by)
            )
            return r["modularity"], None

        def equity() -> Any:
            if cached:
                return self._equity(group_by)
            if "equity" not in found:
                found["equity"] = metrics.exposure_equity(
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
            lambda: (self._equity_gap(equity().table), None),
            "percent",
        )
        add("coverage", "Programme coverage", lambda: (_coverage(graph), None), "percent")
        return out

    def _equity_gap(self, table: pd.DataFrame) -> float | None:
        """Best-worst gap of the share within 2 hops over the groups a role may see."""
        shown = disclose_equity(table, min_group=self.min_group)
        gap = disclosed_gap(shown, "share_within_2_hops")["gap"]
        return None if gap is None else float(gap)  # type: ignore[arg-type]

    def _equity_shown(self, group_by: str) -> pd.DataFrame:
        """The equity table as any role may see it (over non-leaders; complementary
        suppression), the same for every page."""
        table: pd.DataFrame = self._cached(
            ("equity_shown", group_by),
            lambda: disclose_equity(self._equity(group_by).table, min_group=self.min_group),
        )
        return table

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


# ---- helpers -------------------------------------------------------------------------------

#: The recommender's objectives offered in the app: label, and what each asks the recommender
#: for, ``(objective preset, coverage_target)``. ``exposure-full`` is the exposure preset
#: raising every group towards full coverage instead of levelling groups up.
OBJECTIVES: dict[str, tuple[str, str, str]] = {
    "balanced": ("balanced (coverage, silos, complementarity)", "balanced", "best"),
    "exposure": ("exposure: close the gap between groups", "exposure", "best"),
    "exposure-full": ("exposure: raise every group", "exposure", "full"),
    "silo": ("silo: join groups with few ties", "silo", "best"),
}


def _constraints(
    graph: OrgGraph,
    cohort: str,
    different_department: bool,
    max_level_gap: int | None,
    decided: dict[str, Any],
) -> Any:
    """The recommender's hard constraints from the page's choices and the stored decisions
    (approvals are commitments: they use capacity, never break a run)."""
    people = graph.people
    settings: dict[str, Any] = {
        "cross_department": bool(different_department),
        "commitments": tuple(decided.get("commitments", ())),
        "declined": tuple(decided.get("decline", [])),
        "previous": tuple(decided.get("previous", ())),
    }
    if decided.get("enrolled") is not None:
        settings["cohort"] = tuple(decided["enrolled"])
    if max_level_gap is not None:
        settings["max_level_gap"] = float(max_level_gap)
    if cohort.startswith("department=") and "department" in people.columns:
        dept = cohort.split("=", 1)[1]
        chosen = people["department"].astype(str) == dept
        if "opt_in" in people.columns:
            chosen &= people["opt_in"].fillna(False).astype(bool)
        in_dept = set(people.loc[chosen, "person_id"].astype(str))
        enrolled = settings.get("cohort")
        settings["cohort"] = tuple(sorted(in_dept if enrolled is None else in_dept & set(enrolled)))
    from orgbridge.recommend import Constraints

    return Constraints(**settings)


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


def _owner(user: User) -> str:
    """Whose job it is: the user and role (a role change makes old jobs unreadable)."""
    return f"{user.username}\x00{user.role}"


def _about_text(about: Any) -> str:
    """An ``about`` record as canonical JSON (to compare two of them)."""
    import json

    return json.dumps(about or {}, sort_keys=True, default=str)


def _json_text(value: Any) -> str:
    import json

    return value if isinstance(value, str) else json.dumps(value, default=str)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows (missing values as None)."""
    if len(frame) == 0:
        return []
    clean = frame.astype(object).where(frame.notna(), None)
    return [{str(k): v for k, v in row.items()} for row in clean.to_dict(orient="records")]
