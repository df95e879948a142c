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
from orgbridge.graph import REPORTS_TO, OrgGraph, normalise_layers
from orgbridge.recommend._chain import ReportingChains, reporting_chains
from orgbridge.recommend._programme import PAIR, SPONSORSHIP_KIND, Commitment, ProgrammeState

__all__ = [
    "PAIR",
    "SPONSORSHIP_KIND",
    "Constraints",
    "Rules",
    "compile_rules",
    "pair_keys",
    "run_commitments",
]

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
        the people table has no ``opt_in`` column, or it is blank for everyone).
    capacity
        Pairs and sponsorships per non-leader, overriding ``people.capacity``. Without it a
        person's budget is ``people.capacity`` where given, else 1 (``leader_capacity`` for a
        leader). One budget covers pairs and sponsorships, less current commitments.
    leader_capacity
        Budget of a leader whose ``people.capacity`` is blank (never replaces a given one).
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
        Approved pairs of the run's kind (for sponsorships ``(leader, protégé)``): commitments
        with no start date (see ``commitments``).
    commitments
        Approved pairs and sponsorships (:class:`Commitment`, both kinds): each uses capacity
        and counts as a tie until imported; one whose person left is set aside with a note.
    declined
        Pairs never to propose again (unordered).
    previous
        Pairs matched in past cycles beyond the mentoring/sponsorship ties of the graph.
    allow_repeat
        Allow pairs who were paired before (in any past period) to be paired again.
    emerging_only
        Sponsorship protégés only among people flagged ``emerging_talent``. None (default):
        when the people table has that column and flags anyone.

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
    commitments: tuple[Commitment, ...] = field(default=())
    emerging_only: bool | None = None

    def __post_init__(self) -> None:
        for name in ("exclusions", "locked", "declined", "previous"):
            object.__setattr__(self, name, _pairs(getattr(self, name)))
        given = tuple(self.commitments)
        if not all(isinstance(item, Commitment) for item in given):
            raise ParameterError("commitments must be Commitment values")
        object.__setattr__(self, "commitments", given)
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
                value = [
                    v.to_dict()
                    if isinstance(v, Commitment)
                    else list(v)
                    if isinstance(v, tuple)
                    else v
                    for v in value
                ]
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
    """Constraints compiled against one graph (positions, arrays, sorted pair keys).

    ``capacity`` is each person's budget left on the run's date (their budget less current
    pairs, sponsorships and pending commitments); ``budget`` is before that.
    """

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
    constraints: Constraints
    budget: np.ndarray | None = None
    eligible: np.ndarray | None = None
    notes: tuple[str, ...] = ()

    def checks(self, a: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
        """Each hard rule's verdict on the pairs ``(a[i], b[i])`` (True: the rule holds)."""
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        c = self.constraints
        out: dict[str, np.ndarray] = {
            "self": np.asarray(a != b),
            "eligibility": np.asarray(self.side_a[a] & self.side_b[b]),
            "level band": self._level_ok(a, b),
        }
        if c.cross_department:
            da, db = self.department[a], self.department[b]
            out["different department"] = np.asarray((da >= 0) & (db >= 0) & (da != db))
        out["reporting chain"] = ~self.chains.same_chain(a, b)
        keys = pair_keys(a, b, self.n)
        for name, forbidden in (
            ("already tied", self.tied),
            ("exclusions", self.excluded),
            ("declined", self.declined),
            ("rotation (paired before)", self.previous),
        ):
            out[name] = ~_contains(forbidden, keys) if forbidden.size else np.ones(a.shape, bool)
        return out

    def valid(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """True where the pair ``(a[i], b[i])`` breaks no hard constraint (capacity aside)."""
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        ok = np.ones(a.shape, dtype=bool)
        for verdict in self.checks(a, b).values():
            ok &= verdict
        return ok

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
        """Plain-language list of the rules the pair ``(a, b)`` breaks (capacity aside)."""
        c = self.constraints
        found: list[str] = []
        verdict = {k: bool(v[0]) for k, v in self.checks(np.array([a]), np.array([b])).items()}
        if not verdict["self"]:
            found.append("a person cannot be paired with themselves")
        if not self.side_a[a]:
            role = "an eligible sponsor" if self.kind == SPONSORSHIP_KIND else "eligible"
            found.append(f"{ids[a]} is not {role}")
        if not self.side_b[b]:
            role = "an eligible protégé" if self.kind == SPONSORSHIP_KIND else "eligible"
            found.append(f"{ids[b]} is not {role}")
        if not verdict["level band"]:
            found.append(
                f"level gap {abs(self.level[a] - self.level[b])} is outside "
                f"[{c.min_level_gap}, {c.max_level_gap if c.max_level_gap is not None else 'any'}]"
            )
        if not verdict.get("different department", True):
            found.append("they are not in different departments")
        messages = {
            "reporting chain": "one is in the other's reporting chain",
            "already tied": "they are already tied",
            "exclusions": "the pair is excluded",
            "declined": "the pair was declined",
            "rotation (paired before)": "they were paired before (pass allow_repeat to allow it)",
        }
        found.extend(text for name, text in messages.items() if not verdict[name])
        return found

    def shortfall(self, capacity_left: np.ndarray, *, sample: int = 200_000) -> list[str]:
        """Why no further proposal is possible: the constraints that ran out, in words.

        Looks at the people who still have capacity and at the pairs among them (all of
        them up to ``sample``, a seeded sample beyond) and names what blocks each.
        """
        reasons: list[str] = []
        what = "the cohort" if self.constraints.cohort is not None else "eligibility (opt-in)"
        sides = [("sponsors", self.side_a), ("protégés", self.side_b)]
        if self.kind != SPONSORSHIP_KIND:
            sides = [("people", self.side_a)]
        for label, side in sides:
            if not side.any():
                reasons.append(f"{what}: no eligible {label}")
            elif not (side & (capacity_left > 0)).any():
                used = "" if self.budget is None else " (current pairs, sponsorships and approvals)"
                reasons.append(f"capacity: every eligible one of the {label} is at capacity{used}")
        if reasons:
            return reasons
        a_side = np.flatnonzero(self.side_a & (capacity_left > 0))
        b_side = np.flatnonzero(self.side_b & (capacity_left > 0))
        if self.kind == SPONSORSHIP_KIND:
            total = a_side.size * b_side.size
        else:
            total = a_side.size * (a_side.size - 1) // 2
        if total == 0:
            return ["capacity: only one eligible person has capacity left"]
        rng = np.random.default_rng(0)
        if total <= sample:
            if self.kind == SPONSORSHIP_KIND:
                a, b = np.repeat(a_side, b_side.size), np.tile(b_side, a_side.size)
            else:
                i, j = np.triu_indices(a_side.size, k=1)
                a, b = a_side[i], a_side[j]
        else:
            a = a_side[rng.integers(0, a_side.size, sample)]
            b = b_side[rng.integers(0, b_side.size, sample)]
        checks = self.checks(a, b)
        ok = np.ones(a.shape, dtype=bool)
        for verdict in checks.values():
            ok &= verdict
        if ok.any():
            return [
                "candidates: valid pairs remain among people with capacity, but the candidate "
                "search did not reach them (ask again with a smaller count or a cohort)"
            ]
        blocked = {name: int((~verdict).sum()) for name, verdict in checks.items()}
        ranked = sorted(((v, k) for k, v in blocked.items() if v), reverse=True)
        size = int(a.size)
        for value, name in ranked[:3]:
            reasons.append(f"{name}: blocks {value:,} of the {size:,} pairs left")
        return reasons


def _eligible(graph: OrgGraph, cohort: tuple[str, ...] | None) -> tuple[np.ndarray, str | None]:
    if cohort is not None:
        mask = np.zeros(graph.n_people, dtype=bool)
        mask[graph.positions(cohort)] = True
        return mask, None
    if "opt_in" not in graph.people.columns:
        return np.ones(graph.n_people, dtype=bool), None
    if graph.people["opt_in"].isna().all():
        note = "the opt_in column is blank for everyone, so everyone is eligible"
        return np.ones(graph.n_people, dtype=bool), note
    return np.asarray(_truthy(graph.people["opt_in"])), None


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


def budgets(graph: OrgGraph, constraints: Constraints) -> np.ndarray:
    """Each person's budget of pairs and sponsorships before current commitments.

    ``people.capacity`` where given, else ``leader_capacity`` for leaders and 1 for others;
    ``constraints.capacity`` overrides it for non-leaders.

    Example
    -------
    >>> people = pd.DataFrame({"person_id": list("abc"), "is_leader": [1, 1, 0],
    ...                        "capacity": [5, None, None]})
    >>> budgets(OrgGraph(people), Constraints(leader_capacity=3)).tolist()
    [5, 3, 1]
    """
    people = graph.people
    n = graph.n_people
    leaders = graph.leader_mask()
    out = np.where(leaders, constraints.leader_capacity, 1).astype(np.int64)
    if "capacity" in people.columns:
        raw = pd.to_numeric(people["capacity"], errors="coerce").to_numpy(dtype=np.float64)
        given = ~np.isnan(raw)
        out[given] = np.maximum(raw[given], 0).astype(np.int64)
    if constraints.capacity is not None:
        out[~leaders] = constraints.capacity
    return out[:n]


def run_commitments(constraints: Constraints, kind: str) -> tuple[Commitment, ...]:
    """The run's commitments: ``constraints.commitments`` plus ``locked`` pairs of ``kind``."""
    extra = tuple(Commitment(a, b, kind=kind) for a, b in constraints.locked)
    return (*constraints.commitments, *extra)


def compile_rules(
    graph: OrgGraph,
    constraints: Constraints,
    *,
    kind: str = PAIR,
    state: ProgrammeState | None = None,
) -> Rules:
    """Compile ``constraints`` against ``graph`` (or the programme ``state`` built from it).

    Parameters
    ----------
    graph
        The organisation; when ``state`` is given its ``current`` graph is used instead.
    constraints
        The coordinator's hard constraints.
    kind
        ``"pair"`` or ``"sponsorship"``.
    state
        Programme state on the run's date (:func:`programme_state`): current ties decide
        "already tied", past ones rotation, and current commitments use capacity. None: every
        tie of ``graph`` is current and ``constraints.locked`` are the only commitments.

    Raises
    ------
    ParameterError
        A bad kind, or a pair list names an unknown person.

    Example
    -------
    >>> people = pd.DataFrame({"person_id": ["a", "b", "c"], "manager_id": [None, "a", None]})
    >>> rules = compile_rules(OrgGraph.from_frames(people), Constraints())
    >>> rules.valid(np.array([0, 1]), np.array([1, 2])).tolist()
    [False, True]
    """
    from orgbridge.recommend._programme import programme_state

    if kind not in (PAIR, SPONSORSHIP_KIND):
        raise ParameterError(f"kind must be {PAIR!r} or {SPONSORSHIP_KIND!r}, got {kind!r}")
    c = constraints
    if state is None:
        state = programme_state(graph, as_of=None, commitments=run_commitments(c, kind))
    graph = state.current
    n = graph.n_people
    notes: list[str] = []
    try:
        eligible, note = _eligible(graph, c.cohort)
    except GraphError as error:  # an unknown cohort id
        raise ParameterError(f"cohort: {error}") from error
    if note:
        notes.append(note)
    people = graph.people
    if state.as_of is not None and "start_date" in people.columns:
        started = pd.to_datetime(people["start_date"], errors="coerce")
        later = (started > pd.Timestamp(state.as_of)).to_numpy()
        if (later & eligible).any():
            notes.append(
                f"{int((later & eligible).sum()):,} eligible people start after "
                f"{state.as_of}: not proposed yet"
            )
            eligible = eligible & ~later
    budget = budgets(graph, c)
    leaders = graph.leader_mask()
    if kind == SPONSORSHIP_KIND:
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
        side_b = _emerging(people, side_b, c, notes)
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
    pending = np.array([(u, v) for u, v, _ in state.pending], dtype=np.int64).reshape(-1, 2)
    tied = _sorted_keys(
        np.concatenate([src[mask], pending[:, 0]]), np.concatenate([dst[mask], pending[:, 1]]), n
    )
    past = state.history[kind]
    extra_prev = _pair_positions(graph, c.previous, "previous")
    previous = (
        np.zeros(0, dtype=np.int64)
        if c.allow_repeat
        else _sorted_keys(
            np.concatenate([past[:, 0], extra_prev[:, 0]]),
            np.concatenate([past[:, 1], extra_prev[:, 1]]),
            n,
        )
    )
    excl = _pair_positions(graph, c.exclusions, "an excluded")
    decl = _pair_positions(graph, c.declined, "a declined")
    over = np.flatnonzero(state.load > budget)
    if over.size:
        first = int(over[0])
        notes.append(
            f"{over.size:,} {'person already holds' if over.size == 1 else 'people already hold'}"
            " more pairs, sponsorships and approvals than their capacity"
            f" (e.g. {graph.ids[first]}: {int(state.load[first])} of "
            f"{int(budget[first])}); they get no new proposals"
        )
    return Rules(
        kind=kind,
        n=n,
        side_a=side_a,
        side_b=side_b,
        capacity=np.maximum(budget - state.load, 0).astype(np.int64),
        level=numeric_levels(graph),
        department=codes(graph, "department"),
        chains=reporting_chains(
            graph.ids, people["manager_id"] if "manager_id" in people.columns else None
        ),
        tied=tied,
        excluded=_sorted_keys(excl[:, 0], excl[:, 1], n),
        declined=_sorted_keys(decl[:, 0], decl[:, 1], n),
        previous=previous,
        constraints=c,
        budget=budget,
        eligible=eligible,
        notes=(*state.notes, *notes),
    )


def _emerging(
    people: pd.DataFrame, side_b: np.ndarray, c: Constraints, notes: list[str]
) -> np.ndarray:
    """Protégés narrowed to people flagged as emerging talent (see ``emerging_only``)."""
    if c.emerging_only is False:
        return side_b
    if "emerging_talent" not in people.columns:
        if c.emerging_only:
            raise ParameterError("emerging_only needs an emerging_talent column")
        return side_b
    flagged = _truthy(people["emerging_talent"])
    if c.emerging_only is None and not flagged.any():
        notes.append(
            "nobody is flagged as emerging talent, so every eligible person may be a protégé"
        )
        return side_b
    if c.emerging_only is None:
        notes.append("protégés are the eligible people flagged as emerging talent")
    return np.asarray(side_b & flagged)
