"""recommend_pairs and recommend_sponsorships: constraints, candidates, greedy, explanations."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from orgbridge.errors import ParameterError
from orgbridge.graph import MIN_GROUP_FLOOR, OrgGraph
from orgbridge.recommend._candidates import candidate_pairs
from orgbridge.recommend._constraints import (
    PAIR,
    SPONSORSHIP_KIND,
    Constraints,
    Rules,
    compile_rules,
    pair_keys,
)
from orgbridge.recommend._coverage import DEFAULT_HORIZON, check_horizon
from orgbridge.recommend._exact import brute_force_optimum, milp_optimum, set_value
from orgbridge.recommend._explain import explain
from orgbridge.recommend._gains import Evaluation, Gains
from orgbridge.recommend._greedy import Accepted, greedy
from orgbridge.recommend._objective import COMPONENTS, Weights, weights_for
from orgbridge.recommend._simulate import simulate
from orgbridge.recommend._state import UNREACHABLE

__all__ = ["Recommendation", "recommend_pairs", "recommend_sponsorships"]

#: Largest cohort for which ``compare_optimum`` solves the integer programme.
MILP_COHORT_LIMIT = 40
#: Largest cohort and count for which ``compare_optimum`` enumerates every set (full objective).
BRUTE_FORCE_COHORT_LIMIT = 16
BRUTE_FORCE_COUNT_LIMIT = 3

PROPOSAL_COLUMNS = (
    "a",
    "b",
    "kind",
    "score",
    *COMPONENTS,
    "reason",
    "locked",
    "hops_before",
    "hops_after",
    "moved",
    "ties_today",
)


@dataclass(frozen=True)
class Recommendation:
    """A recommender run: what was asked, what was proposed, and what it would change.

    Attributes
    ----------
    parameters
        Every argument that shaped the run (kind, count, weights, constraints, seed, ...).
    proposals
        One row per proposal, in the order the search accepted them: ``a, b`` (for
        sponsorships ``a`` is the leader), ``kind``, ``score`` and its breakdown columns
        (``exposure, silo, complementarity, fit``, summing to ``score``), ``reason``,
        ``locked``, and ``hops_before, hops_after, moved, ties_today``.
    simulation
        ``{"before": ..., "after": ...}`` headline metrics (empty when not simulated).
    quality
        Candidate count and, on request, the greedy's share of the exact optimum.
    """

    parameters: dict[str, Any]
    proposals: pd.DataFrame
    simulation: dict[str, Any] = field(default_factory=dict)
    quality: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of the issue: ``parameters``, ``proposals[]`` (each ``a``, ``b`` (for
        sponsorships ``a`` is the leader), ``score``, ``breakdown`` {component: value},
        ``reason``) and ``simulation`` {``before``, ``after``} (empty when not simulated).

        The kind is ``parameters["kind"]``; locked pairs are ``parameters["constraints"]
        ["locked"]``.
        """
        rows = [
            {
                "a": str(rec["a"]),
                "b": str(rec["b"]),
                "score": float(rec["score"]),
                "breakdown": {c: float(rec[c]) for c in COMPONENTS},
                "reason": str(rec["reason"]),
            }
            for rec in self.proposals.to_dict(orient="records")
        ]
        simulation = {k: self.simulation[k] for k in ("before", "after") if k in self.simulation}
        return {"parameters": self.parameters, "proposals": rows, "simulation": simulation}


def recommend_pairs(
    graph: OrgGraph,
    *,
    count: int,
    objective: str | Weights | dict[str, Any] = "balanced",
    constraints: Constraints | None = None,
    seed: int = 0,
    group_by: str = "department",
    layers: str | list[str] | tuple[str, ...] | None = None,
    show_names: bool = False,
    simulate_metrics: bool = True,
    compare_optimum: bool = False,
    min_group: int = MIN_GROUP_FLOOR,
    horizon: int = DEFAULT_HORIZON,
) -> Recommendation:
    """Propose up to ``count`` reciprocal mentoring pairs that close the biggest gaps.

    Parameters
    ----------
    graph
        The organisation (a snapshot, if proposals should reflect one date).
    count
        Total number of pairs wanted, locked pairs included.
    objective
        ``"balanced"`` (default), ``"exposure"``, ``"silo"``, ``"closeness"`` (the former
        ``1/d`` exposure term), or weights by component (``exposure, silo, complementarity,
        fit``, and ``measure``: ``"coverage"`` or ``"closeness"``).
    constraints
        Hard constraints (default: opt-in people, capacity from ``people.capacity``).
    seed
        Breaks ties in score and drives candidate sampling: same seed, same proposals.
    group_by
        Groups for exposure weighting and silo counts.
    layers
        Layers distances and group ties are measured over (None: informal layers).
    show_names
        Use people's names in reasons (coordinators only); person ids otherwise.
    simulate_metrics
        Compute the before/after headline metrics.
    compare_optimum
        On cohorts of at most 40 people, solve the exact optimum of the additive and silo
        parts (always) and, on at most 16 people and ``count <= 3``, of the full objective by
        enumeration; report the greedy's share in ``quality``.
    min_group
        Privacy threshold of the simulated per-group figures.
    horizon
        Exposure as coverage: a non-leader is covered with a leader within this many hops
        (default 2); the exposure objective raises the least-covered groups first.

    Raises
    ------
    ParameterError
        A bad count, objective or constraint, or a locked pair that breaks a rule.

    Example
    -------
    >>> people = pd.DataFrame({"person_id": ["L", "a", "b", "c"], "is_leader": [1, 0, 0, 0],
    ...                        "department": ["Board", "Ops", "Ops", "Eng"]})
    >>> ties = pd.DataFrame({"source": ["L", "a"], "target": ["a", "b"],
    ...                      "layer": "collaboration"})
    >>> rec = recommend_pairs(OrgGraph.from_frames(people, ties), count=1,
    ...                       simulate_metrics=False)
    >>> rec.proposals[["a", "b"]].to_numpy().tolist()
    [['L', 'c']]
    """
    return _recommend(
        graph,
        PAIR,
        count=count,
        objective=objective,
        constraints=constraints,
        seed=seed,
        group_by=group_by,
        layers=layers,
        show_names=show_names,
        simulate_metrics=simulate_metrics,
        compare_optimum=compare_optimum,
        min_group=min_group,
        horizon=horizon,
    )


def recommend_sponsorships(
    graph: OrgGraph,
    *,
    count: int,
    objective: str | Weights | dict[str, Any] = "exposure",
    constraints: Constraints | None = None,
    seed: int = 0,
    group_by: str = "department",
    layers: str | list[str] | tuple[str, ...] | None = None,
    show_names: bool = False,
    simulate_metrics: bool = True,
    compare_optimum: bool = False,
    min_group: int = MIN_GROUP_FLOOR,
    horizon: int = DEFAULT_HORIZON,
) -> Recommendation:
    """Propose up to ``count`` sponsorships, leader ``a`` -> protégé ``b``.

    Sponsors are leaders (``Constraints.sponsors`` narrows them), each with
    ``Constraints.leader_capacity`` protégés (default 2); protégés are eligible non-leaders,
    each with one sponsor unless ``Constraints.capacity`` says otherwise. The default objective
    is ``"exposure"``: a sponsorship brings its protégé to one hop of a leader. Other
    parameters as for :func:`recommend_pairs`.

    Example
    -------
    >>> people = pd.DataFrame({"person_id": ["L", "a", "b"], "is_leader": [1, 0, 0]})
    >>> rec = recommend_sponsorships(OrgGraph(people), count=2, simulate_metrics=False)
    >>> sorted(rec.proposals["b"]), set(rec.proposals["a"])
    (['a', 'b'], {'L'})
    """
    return _recommend(
        graph,
        SPONSORSHIP_KIND,
        count=count,
        objective=objective,
        constraints=constraints,
        seed=seed,
        group_by=group_by,
        layers=layers,
        show_names=show_names,
        simulate_metrics=simulate_metrics,
        compare_optimum=compare_optimum,
        min_group=min_group,
        horizon=horizon,
    )


def _recommend(
    graph: OrgGraph,
    kind: str,
    *,
    count: int,
    objective: str | Weights | dict[str, Any],
    constraints: Constraints | None,
    seed: int,
    group_by: str,
    layers: str | list[str] | tuple[str, ...] | None,
    show_names: bool,
    simulate_metrics: bool,
    compare_optimum: bool,
    min_group: int,
    horizon: int = DEFAULT_HORIZON,
) -> Recommendation:
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 0:
        raise ParameterError(f"count must be a whole number >= 0, got {count!r}")
    count = int(count)
    weights = weights_for(objective)
    constraints = constraints or Constraints()
    rules = compile_rules(graph, constraints, kind=kind)
    horizon = check_horizon(horizon)
    gains = Gains(graph, rules, weights, group_by=group_by, layers=layers, horizon=horizon)
    capacity_left = rules.capacity.copy()

    accepted: list[tuple[Accepted, bool]] = []
    for u, v in rules.locked:
        evaluation = gains.evaluate(u, v)
        gains.apply(u, v)
        capacity_left[u] -= 1
        capacity_left[v] -= 1
        accepted.append((Accepted(u, v, evaluation), True))

    remaining = max(count - len(accepted), 0)
    start_state = (
        Gains(graph, rules, weights, group_by=group_by, layers=layers, horizon=horizon)
        if compare_optimum
        else None
    )
    if start_state is not None:
        for u, v in rules.locked:
            start_state.apply(u, v)
    a, b = candidate_pairs(gains, rules, capacity_left, count=remaining, seed=seed)
    if rules.locked and a.size:
        locked_keys = pair_keys(
            np.array([p[0] for p in rules.locked]), np.array([p[1] for p in rules.locked]), rules.n
        )
        fresh = ~np.isin(pair_keys(a, b, rules.n), locked_keys)
        a, b = a[fresh], b[fresh]
    chosen = greedy(gains, a, b, capacity_left, count=remaining, seed=seed)
    accepted.extend((item, False) for item in chosen)

    proposals = _table(graph, gains, rules, accepted, kind=kind, show_names=show_names)
    parameters = {
        "kind": kind,
        "count": count,
        "objective": objective if isinstance(objective, str) else "custom",
        "weights": weights.to_dict(),
        "exposure_measure": weights.measure,
        "horizon": horizon,
        "constraints": constraints.to_dict(),
        "seed": seed,
        "group_by": group_by,
        "layers": list(layers) if isinstance(layers, (list, tuple)) else layers,
        "as_of": graph.metadata.get("as_of"),
    }
    quality: dict[str, Any] = {"candidates": int(a.size), "proposed": len(accepted)}
    if start_state is not None:
        quality.update(
            _optimality(start_state, rules, a, b, chosen, capacity_left_start(rules), remaining)
        )
    simulation: dict[str, Any] = {}
    if simulate_metrics:
        simulation = simulate(
            graph, proposals, group_by=group_by, layers=layers, min_group=min_group
        )
    return Recommendation(parameters, proposals, simulation, quality)


def capacity_left_start(rules: Rules) -> np.ndarray:
    """Capacities after the locked pairs take their share."""
    left = rules.capacity.copy()
    for u, v in rules.locked:
        left[u] -= 1
        left[v] -= 1
    return left


def _optimality(
    start: Gains,
    rules: Rules,
    a: np.ndarray,
    b: np.ndarray,
    chosen: list[Accepted],
    capacity: np.ndarray,
    count: int,
) -> dict[str, Any]:
    cohort = int(np.unique(np.r_[a, b]).size) if a.size else 0
    out: dict[str, Any] = {"cohort": cohort}
    if cohort == 0 or cohort > MILP_COHORT_LIMIT:
        out["note"] = f"exact optimum only for cohorts of 1..{MILP_COHORT_LIMIT} people"
        return out
    ga = np.array([item.a for item in chosen], dtype=np.int64)
    gb = np.array([item.b for item in chosen], dtype=np.int64)
    greedy_part = set_value(start, ga, gb, exposure=False)
    optimum, _ = milp_optimum(start, a, b, capacity, count=count)
    out["additive_silo"] = {
        "greedy": greedy_part,
        "optimum": optimum,
        "share": greedy_part / optimum if optimum > 0 else 1.0,
    }
    if cohort <= BRUTE_FORCE_COHORT_LIMIT and count <= BRUTE_FORCE_COUNT_LIMIT:
        greedy_full = set_value(start, ga, gb)
        best, _ = brute_force_optimum(start, a, b, capacity, count=count)
        out["full"] = {
            "greedy": greedy_full,
            "optimum": best,
            "share": greedy_full / best if best > 0 else 1.0,
        }
    return out


def _hops(d: int) -> float:
    return math.inf if d >= UNREACHABLE else float(d)


def _table(
    graph: OrgGraph,
    gains: Gains,
    rules: Rules,
    accepted: list[tuple[Accepted, bool]],
    *,
    kind: str,
    show_names: bool,
) -> pd.DataFrame:
    ids = graph.ids
    people = graph.people
    use_names = show_names and "name" in people.columns
    rows: list[dict[str, Any]] = []
    for item, locked in accepted:
        ev: Evaluation = item.evaluation
        involved = {item.a, item.b, ev.spread.start} - {-1}
        names = {
            p: (
                str(people["name"].iloc[p])
                if use_names and pd.notna(people["name"].iloc[p])
                else str(ids[p])
            )
            for p in involved
        }
        reason = explain(
            ev,
            names=names,
            group_labels=gains.group_labels,
            a=item.a,
            b=item.b,
            differences=_differences(gains, rules, item.a, item.b),
            shared_skills=_shared_skills(gains, item.a, item.b),
            locked=locked,
        )
        spread = ev.spread
        rows.append(
            {
                "a": str(ids[item.a]),
                "b": str(ids[item.b]),
                "kind": kind,
                "score": ev.score,
                **ev.breakdown,
                "reason": reason,
                "locked": locked,
                "hops_before": _hops(int(spread.before[0])) if spread.moved else math.nan,
                "hops_after": _hops(int(spread.after[0])) if spread.moved else math.nan,
                "moved": spread.moved,
                "ties_today": ev.ties_today,
            }
        )
    table = pd.DataFrame(rows, columns=list(PROPOSAL_COLUMNS))
    numeric = ["score", *COMPONENTS, "hops_before", "hops_after"]
    return table.astype(
        {
            **dict.fromkeys(numeric, "float64"),
            "moved": "int64",
            "ties_today": "int64",
            "locked": "bool",
            "a": "str",
            "b": "str",
            "kind": "str",
            "reason": "str",
        }
    )


def _differences(gains: Gains, rules: Rules, a: int, b: int) -> list[str]:
    out = []
    p = gains.profiles
    if p.department[a] >= 0 and p.department[b] >= 0 and p.department[a] != p.department[b]:
        out.append("departments")
    gap = abs(rules.level[a] - rules.level[b])
    if not math.isnan(gap) and gap >= 1:
        out.append(f"levels (gap {gap:g})")
    if p.location[a] >= 0 and p.location[b] >= 0 and p.location[a] != p.location[b]:
        out.append("locations")
    return out


def _shared_skills(gains: Gains, a: int, b: int) -> list[str]:
    p = gains.profiles
    if p.offers is None or p.wants is None:
        return []
    shared = (p.offers[a] & p.wants[b]) | (p.offers[b] & p.wants[a])
    return sorted(shared)[:3]
