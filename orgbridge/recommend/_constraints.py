"""Hard constraints on proposals, and their compiled, vectorised form.

A :class:`Constraints` value says what a coordinator requires; :func:`compile_rules` turns it,
with the graph, into arrays so that any batch of candidate pairs is checked with a few numpy
operations (sorted keys and ``searchsorted`` for "already tied", preorder intervals for the
reporting chain), never a Python loop per candidate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from orgbridge.errors import GraphError, ParameterError
from orgbridge.graph import MENTORING, REPORTS_TO, SPONSORSHIP, OrgGraph, normalise_layers
from orgbridge.recommend._chain import ReportingChains, reporting_chains

__all__ = ["PAIR", "SPONSORSHIP_KIND", "Constraints", "Rules", "compile_rules", "pair_keys"]

PAIR = "pair"
SPONSORSHIP_KIND = "sponsorship"

PairList = tuple[tuple[str, str], ...]


def _pairs(value: Iterable[Any]) -> PairList:
    out = []
    for item in value:
        a, b = item
        out.append((str(a), str(b)))
    return tuple(out)


@dataclass(frozen=True)
class Constraints:
    """Hard constraints: no proposal ever breaks one.

    Parameters
    ----------
    cohort
        person_ids eligible for the programme; None: people with ``opt_in`` True (everyone when
        the people table has no ``opt_in`` column).
    capacity
        Pairs per person, overriding ``people.capacity`` (default 1 where missing). For
        sponsorships it applies to protégés.
    leader_capacity
        Sponsorships per leader.
    sponsors
        person_ids allowed to sponsor; None: every leader not explicitly opted out.
    min_level_gap, max_level_gap
        Allowed absolute level difference (``max_level_gap`` None: no upper bound). When a
        bound is active, people with an unknown level are not paired.
    cross_department
        Only pair people of different departments.
    tie_layers
        A pair already tied in these layers is never proposed (None: every layer except
        ``reports_to``, which the reporting-chain rule covers).
    exclusions
        Pairs never to propose (unordered).
    locked
        Pre-approved pairs (for sponsorships ``(leader, protégé)``): always in the output,
        consuming capacity. A locked pair that breaks another rule is an error.
    declined
        Pairs never to propose again (unordered).
    previous
        Pairs matched in past cycles beyond the mentoring/sponsorship ties of the graph.
    allow_repeat
        Allow pairs who were paired before (in any past period) to be paired again.

    Example
    -------
    >>> Constraints(cohort=["a", "b"], exclusions=[("a", "b")]).exclusions
    (('a', 'b'),)
    """

    cohort: tuple[str, ...] | None = None
    capacity: int | None = None
    leader_capacity: int = 2
    sponsors: tuple[str, ...] | None = None
    min_level_gap: float = 0
    max_level_gap: float | None = None
    cross_department: bool = False
    tie_layers: tuple[str, ...] | None = None
    exclusions: PairList = field(default=())
    locked: PairList = field(default=())
    declined: PairList = field(default=())
    previous: PairList = field(default=())
    allow_repeat: bool = False

    def __post_init__(self) -> None:
        for name in ("exclusions", "locked", "declined", "previous"):
            object.__setattr__(self, name, _pairs(getattr(self, name)))
        for name in ("cohort", "sponsors", "tie_layers"):
            value = getattr(self, name)
            if value is not None:
                if isinstance(value, str):
                    value = [value]
                object.__setattr__(self, name, tuple(str(v) for v in value))
        if self.capacity is not None and self.capacity < 1:
            raise ParameterError(f"capacity must be at least 1, got {self.capacity}")
        if self.leader_capacity < 1:
            raise ParameterError(f"leader_capacity must be at least 1, got {self.leader_capacity}")
        if self.min_level_gap < 0:
            raise ParameterError(f"min_level_gap must be >= 0, got {self.min_level_gap}")
        if self.max_level_gap is not None and self.max_level_gap < self.min_level_gap:
            raise ParameterError(
                f"max_level_gap {self.max_level_gap} is below min_level_gap {self.min_level_gap}"
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters (pair lists as lists of two ids)."""
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, tuple):
                value = [list(v) if isinstance(v, tuple) else v for v in value]
            out[name] = value
        return out


def pair_keys(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """Unordered pair key ``min * n + max`` (int64)."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    return np.asarray(np.minimum(a, b) * n + np.maximum(a, b))


def _sorted_keys(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    return np.asarray(np.unique(pair_keys(a, b, n)))


def _contains(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    if sorted_keys.size == 0:
        return np.zeros(keys.shape, dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_keys, keys), sorted_keys.size - 1)
    return np.asarray(sorted_keys[pos] == keys)


def numeric_levels(graph: OrgGraph) -> np.ndarray:
    """People's levels as floats (NaN unknown); grade labels follow ``metadata['level_order']``."""
    if "level" not in graph.people.columns:
        return np.full(graph.n_people, np.nan)
    raw = graph.people["level"]
    order = graph.metadata.get("level_order")
    if order:
        rank = {str(label): i for i, label in enumerate(order)}
        mapped = raw.map(lambda v: rank.get(str(v), np.nan) if pd.notna(v) else np.nan)
        return mapped.to_numpy(dtype=np.float64)
    return pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)


def codes(graph: OrgGraph, column: str) -> np.ndarray:
    """Integer codes of a people attribute (-1 where missing or when there is no column)."""
    if column not in graph.people.columns:
        return np.full(graph.n_people, -1, dtype=np.int64)
    values, _ = pd.factorize(graph.people[column].astype(object), sort=True)
    return values.astype(np.int64)


@dataclass(frozen=True)
class Rules:
    """Constraints compiled against one graph (positions, arrays, sorted pair keys)."""

    kind: str
    n: int
    side_a: np.ndarray
    side_b: np.ndarray
    capacity: np.ndarray
    level: np.ndarray
    department: np.ndarray
    chains: ReportingChains
    tied: np.ndarray
    excluded: np.ndarray
    declined: np.ndarray
    previous: np.ndarray
    locked: tuple[tuple[int, int], ...]
    constraints: Constraints

    def valid(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """True where the pair ``(a[i], b[i])`` breaks no hard constraint (capacity aside)."""
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        ok = (a != b) & self.side_a[a] & self.side_b[b]
        ok &= self._level_ok(a, b)
        c = self.constraints
        if c.cross_department:
            da, db = self.department[a], self.department[b]
            ok &= (da >= 0) & (db >= 0) & (da != db)
        ok &= ~self.chains.same_chain(a, b)
        keys = pair_keys(a, b, self.n)
        for forbidden in (self.tied, self.excluded, self.declined, self.previous):
            if forbidden.size:
                ok &= ~_contains(forbidden, keys)
        return np.asarray(ok, dtype=bool)

    def _level_ok(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        c = self.constraints
        if c.min_level_gap <= 0 and c.max_level_gap is None:
            return np.ones(a.shape, dtype=bool)
        gap = np.abs(self.level[a] - self.level[b])
        ok = ~np.isnan(gap) & (gap >= c.min_level_gap)
        if c.max_level_gap is not None:
            ok &= gap <= c.max_level_gap
        return np.asarray(ok)

    def violations(self, a: int, b: int, ids: pd.Index) -> list[str]:
        """Plain-language list of the rules the pair ``(a, b)`` breaks."""
        c = self.constraints
        one_a, one_b = np.array([a]), np.array([b])
        found: list[str] = []
        if a == b:
            found.append("a person cannot be paired with themselves")
        if not self.side_a[a]:
            role = "an eligible sponsor" if self.kind == SPONSORSHIP_KIND else "eligible"
            found.append(f"{ids[a]} is not {role}")
        if not self.side_b[b]:
            role = "an eligible protégé" if self.kind == SPONSORSHIP_KIND else "eligible"
            found.append(f"{ids[b]} is not {role}")
        if not self._level_ok(one_a, one_b)[0]:
            found.append(
                f"level gap {abs(self.level[a] - self.level[b])} is outside "
                f"[{c.min_level_gap}, {c.max_level_gap if c.max_level_gap is not None else 'any'}]"
            )
        if c.cross_department and not (
            self.department[a] >= 0
            and self.department[b] >= 0
            and self.department[a] != self.department[b]
        ):
            found.append("they are not in different departments")
        if self.chains.same_chain(one_a, one_b)[0]:
            found.append("one is in the other's reporting chain")
        key = pair_keys(one_a, one_b, self.n)
        named = (
            (self.tied, "they are already tied"),
            (self.excluded, "the pair is excluded"),
            (self.declined, "the pair was declined"),
            (self.previous, "they were paired before (pass allow_repeat to allow it)"),
        )
        for forbidden, message in named:
            if _contains(forbidden, key)[0]:
                found.append(message)
        return found


def _eligible(graph: OrgGraph, cohort: tuple[str, ...] | None) -> np.ndarray:
    if cohort is not None:
        mask = np.zeros(graph.n_people, dtype=bool)
        mask[graph.positions(cohort)] = True
        return mask
    if "opt_in" not in graph.people.columns:
        return np.ones(graph.n_people, dtype=bool)
    return np.asarray(_truthy(graph.people["opt_in"]))


def _truthy(values: pd.Series) -> np.ndarray:
    text = values.astype(object).map(
        lambda v: str(v).strip().lower() in {"true", "1", "yes", "y", "t"} if pd.notna(v) else False
    )
    return np.asarray(text.to_numpy(dtype=bool))


def _explicit_false(values: pd.Series) -> np.ndarray:
    text = values.astype(object).map(
        lambda v: str(v).strip().lower() in {"false", "0", "no", "n", "f"} if pd.notna(v) else False
    )
    return np.asarray(text.to_numpy(dtype=bool))


def _pair_positions(graph: OrgGraph, pairs: PairList, what: str) -> np.ndarray:
    if not pairs:
        return np.zeros((0, 2), dtype=np.int64)
    index = graph.ids
    flat = [p for pair in pairs for p in pair]
    found = index.get_indexer(pd.Index(flat))
    if (found < 0).any():
        bad = flat[int(np.flatnonzero(found < 0)[0])]
        raise ParameterError(f"{what} pair names {bad!r}, who is not a known person")
    return found.reshape(-1, 2).astype(np.int64)


def compile_rules(graph: OrgGraph, constraints: Constraints, *, kind: str = PAIR) -> Rules:
    """Compile ``constraints`` against ``graph`` and check the locked pairs.

    Raises
    ------
    ParameterError
        A locked pair breaks another rule, locked pairs exceed someone's capacity, or a pair
        list names an unknown person.

    Example
    -------
    >>> people = pd.DataFrame({"person_id": ["a", "b", "c"], "manager_id": [None, "a", None]})
    >>> rules = compile_rules(OrgGraph.from_frames(people), Constraints())
    >>> rules.valid(np.array([0, 1]), np.array([1, 2])).tolist()
    [False, True]
    """
    if kind not in (PAIR, SPONSORSHIP_KIND):
        raise ParameterError(f"kind must be {PAIR!r} or {SPONSORSHIP_KIND!r}, got {kind!r}")
    c = constraints
    n = graph.n_people
    try:
        eligible = _eligible(graph, c.cohort)
    except GraphError as error:  # an unknown cohort id
        raise ParameterError(f"cohort: {error}") from error
    people = graph.people
    default_capacity = np.ones(n, dtype=np.int64)
    if "capacity" in people.columns:
        raw = pd.to_numeric(people["capacity"], errors="coerce").to_numpy(dtype=np.float64)
        default_capacity = np.where(np.isnan(raw), 1, np.maximum(raw, 0)).astype(np.int64)
    capacity = (
        np.full(n, c.capacity, dtype=np.int64) if c.capacity is not None else default_capacity
    )
    if kind == SPONSORSHIP_KIND:
        leaders = graph.leader_mask()
        if c.sponsors is not None:
            side_a = np.zeros(n, dtype=bool)
            side_a[graph.positions(c.sponsors)] = True
            side_a &= leaders
        else:
            opted_out = (
                _explicit_false(people["opt_in"])
                if "opt_in" in people.columns
                else np.zeros(n, dtype=bool)
            )
            side_a = leaders & ~opted_out
        side_b = eligible & ~leaders
        capacity = np.where(side_a, c.leader_capacity, capacity).astype(np.int64)
    else:
        side_a = side_b = eligible

    ties = graph.ties
    layers = (
        c.tie_layers
        if c.tie_layers is not None
        else tuple(layer for layer in graph.layers if layer != REPORTS_TO)
    )
    chosen = normalise_layers(list(layers), graph.layers)
    mask = ties["layer"].isin(chosen).to_numpy()
    src = ties["source"].to_numpy(dtype=np.int64)
    dst = ties["target"].to_numpy(dtype=np.int64)
    tied = _sorted_keys(src[mask], dst[mask], n)
    history_layer = SPONSORSHIP if kind == SPONSORSHIP_KIND else MENTORING
    hist = (ties["layer"] == history_layer).to_numpy()
    extra_prev = _pair_positions(graph, c.previous, "previous")
    previous = (
        np.zeros(0, dtype=np.int64)
        if c.allow_repeat
        else _sorted_keys(
            np.concatenate([src[hist], extra_prev[:, 0]]),
            np.concatenate([dst[hist], extra_prev[:, 1]]),
            n,
        )
    )
    excl = _pair_positions(graph, c.exclusions, "an excluded")
    decl = _pair_positions(graph, c.declined, "a declined")
    locked_pos = _pair_positions(graph, c.locked, "a locked")
    rules = Rules(
        kind=kind,
        n=n,
        side_a=side_a,
        side_b=side_b,
        capacity=capacity,
        level=numeric_levels(graph),
        department=codes(graph, "department"),
        chains=reporting_chains(
            graph.ids, people["manager_id"] if "manager_id" in people.columns else None
        ),
        tied=tied,
        excluded=_sorted_keys(excl[:, 0], excl[:, 1], n),
        declined=_sorted_keys(decl[:, 0], decl[:, 1], n),
        previous=previous,
        locked=tuple((int(a), int(b)) for a, b in locked_pos),
        constraints=c,
    )
    _check_locked(rules, graph)
    return rules


def _check_locked(rules: Rules, graph: OrgGraph) -> None:
    used = np.zeros(rules.n, dtype=np.int64)
    seen: set[int] = set()
    for a, b in rules.locked:
        problems = rules.violations(a, b, graph.ids)
        if problems:
            raise ParameterError(
                f"locked pair ({graph.ids[a]}, {graph.ids[b]}) breaks a hard constraint: "
                + "; ".join(problems)
            )
        key = int(pair_keys(np.array([a]), np.array([b]), rules.n)[0])
        if key in seen:
            raise ParameterError(f"locked pair ({graph.ids[a]}, {graph.ids[b]}) is listed twice")
        seen.add(key)
        used[a] += 1
        used[b] += 1
    over = np.flatnonzero(used > rules.capacity)
    if over.size:
        who = over[0]
        raise ParameterError(
            f"locked pairs give {graph.ids[who]} {used[who]} pairs, above their capacity "
            f"of {rules.capacity[who]}"
        )
