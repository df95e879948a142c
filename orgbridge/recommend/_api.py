"""recommend_pairs and recommend_sponsorships: constraints, candidates, greedy, explanations."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from orgbridge.errors import ParameterError
from orgbridge.graph import MENTORING, MIN_GROUP_FLOOR, SPONSORSHIP, OrgGraph
from orgbridge.recommend._candidates import candidate_pairs
from orgbridge.recommend._constraints import (
    PAIR,
    SPONSORSHIP_KIND,
    Constraints,
    Rules,
    compile_rules,
    run_commitments,
)
from orgbridge.recommend._coverage import (
    DEFAULT_HORIZON,
    check_coverage_target,
    check_horizon,
)
from orgbridge.recommend._exact import brute_force_optimum, milp_optimum, set_value
from orgbridge.recommend._explain import explain
from orgbridge.recommend._gains import Evaluation, Gains
from orgbridge.recommend._greedy import Accepted, greedy
from orgbridge.recommend._objective import COMPONENTS, Weights, weights_for
from orgbridge.recommend._programme import ProgrammeState, programme_state
from orgbridge.recommend._simulate import simulate
from orgbridge.recommend._state import UNREACHABLE

__all__ = ["Recommendation", "recommend_pairs", "recommend_sponsorships"]

#: The shortfall of a run on an organisation with no leaders.
NO_LEADERS = (
    "leaders: the organisation has no leaders, so no tie brings anyone closer to one and there "
    "is nobody to sponsor (mark leaders with an is_leader column or a leader rule); the silo "
    "and balanced objectives still join groups"
)
#: Largest cohort for which ``compare_optimum`` solves the integer programme.
MILP_COHORT_LIMIT = 40
#: Largest cohort and count for which ``compare_optimum`` enumerates every set (full objective).
BRUTE_FORCE_COHORT_LIMIT = 16
BRUTE_FORCE_COUNT_LIMIT = 3

PROPOSAL_COLUMNS = (
    "a",
    "b",
    "kind",
    "leader",
    "a_department",
    "b_department",
    "a_level",
    "b_level",
    "a_hops",
    "b_hops",
    "score",
    *COMPONENTS,
    "reason",
    "hops_before",
    "hops_after",
    "moved",
    "ties_today",
)

#: Significant digits of the scores in the JSON and CSV outputs.
SIGNIFICANT = 3


def round_significant(value: float, digits: int = SIGNIFICANT) -> float:
    """``value`` rounded to ``digits`` significant digits (0 and non-finite values unchanged).

    Example
    -------
    >>> round_significant(0.0123456), round_significant(1234.5), round_significant(-2.71828)
    (0.0123, 1230.0, -2.72)
    """
    if value == 0 or not math.isfinite(value):
        return float(value)
    return float(round(value, digits - 1 - math.floor(math.log10(abs(value)))))


@dataclass(frozen=True)
class Recommendation:
    """A recommender run: what was asked, what was proposed, and what it would change.

    Attributes
    ----------
    parameters
        Every argument that shaped the run (kind, count, weights, constraints, seed, as_of...).
    proposals
        One row per new proposal, in the order the search accepted them: ``a, b`` (for
        sponsorships ``a`` is the leader), ``kind``, ``leader`` (``"a"``, ``"b"``, ``"both"``
        or ``""``: which side is a leader), both people's ``department``, ``level`` and current
        ``hops`` to a leader (``a_department, b_department, a_level, b_level, a_hops, b_hops``),
        ``score`` and its breakdown columns (``exposure, silo, complementarity, fit``, summing
        to ``score``), ``reason``, and ``hops_before, hops_after, moved, ties_today``.
    simulation
        ``{"before": ..., "after": ...}`` headline metrics (empty when not simulated):
        "before" is the ties current on ``as_of`` plus the approved commitments not yet
        imported, "after" adds the proposals.
    quality
        Candidate count and, on request, the greedy's share of the exact optimum.
    commitments
        The approved pairs and sponsorships the run took into account, each with its status
        (``pending``, ``imported``, ``completed``, ``not started``, ``set aside``) and a note.
    notes
        What the run set aside or assumed, in plain language (never silent).
    shortfall
        When fewer proposals than asked came back: the constraints that ran out.
    """

    parameters: dict[str, Any]
    proposals: pd.DataFrame
    simulation: dict[str, Any] = field(default_factory=dict)
    quality: dict[str, Any] = field(default_factory=dict)
    commitments: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: tuple[str, ...] = ()
    shortfall: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape: ``parameters``, ``proposals[]``, ``simulation``, ``commitments[]``,
        ``notes[]`` and ``shortfall[]``.

        Each proposal has ``a``, ``b`` (for sponsorships ``a`` is the leader), ``kind``,
        ``leader``, ``a``/``b`` ``department``, ``level`` and ``hops``, ``score`` and
        ``breakdown`` {component: value} rounded to 3 significant digits, and ``reason``.
        """
        rows = [proposal_record(rec) for rec in self.proposals.to_dict(orient="records")]
        simulation = {k: self.simulation[k] for k in ("before", "after") if k in self.simulation}
        commitments = (
            [] if self.commitments.empty else _plain(self.commitments.to_dict(orient="records"))
        )
        return {
            "parameters": self.parameters,
            "proposals": rows,
            "simulation": simulation,
            "commitments": commitments,
            "notes": list(self.notes),
            "shortfall": list(self.shortfall),
        }

    def to_frame(self) -> pd.DataFrame:
        """The proposals as a flat table for CSV (scores rounded like the JSON)."""
        table = self.proposals.copy()
        for column in ("score", *COMPONENTS):
            table[column] = table[column].map(round_significant)
        return table


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return _plain(value.item())
    return value


def _person_value(value: Any) -> Any:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    if value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def proposal_record(rec: Mapping[Any, Any]) -> dict[str, Any]:
    """One proposal row as its JSON record (scores to 3 significant digits)."""
    out: dict[str, Any] = {
        "a": str(rec["a"]),
        "b": str(rec["b"]),
        "kind": str(rec.get("kind", PAIR)),
        "leader": str(rec.get("leader", "")),
    }
    for side in ("a", "b"):
        for what in ("department", "level", "hops"):
            out[f"{side}_{what}"] = _person_value(rec.get(f"{side}_{what}"))
    out["score"] = round_significant(float(rec["score"]))
    out["breakdown"] = {c: round_significant(float(rec[c])) for c in COMPONENTS}
    out["reason"] = str(rec["reason"])
    return out


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
    as_of: str | pd.Timestamp | None = None,
    horizon: int = DEFAULT_HORIZON,
    coverage_target: str = "best",
) -> Recommendation:
    """Propose up to ``count`` reciprocal mentoring pairs that close the biggest gaps.

    Parameters
    ----------
    graph
        The organisation with its whole programme history (``start``/``end`` of ties).
    count
        Number of new pairs wanted (approved commitments are not counted: they are listed
        in ``commitments``). When fewer come back, ``shortfall`` says which constraint ran out.
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
    as_of
        The day that decides what is current: ties ended before it are history (rotation
        only), ties not started yet are ignored, approvals after it are not yet commitments.
        None: the graph's snapshot date if it has one, else every tie is current. Computation
        never reads the clock: the CLI passes today.
    horizon
        Exposure as coverage: a non-leader is covered with a leader within this many hops
        (default 2); the exposure objective raises the least-covered groups first.
    coverage_target
        What the exposure objective raises groups towards: ``"best"`` (default), the coverage
        of the best-covered group of at least ``min_group`` non-leaders (it closes the gap and
        stops paying once groups are level), or ``"full"`` (every group towards full coverage).
        With the ``"exposure"`` objective a run proposes only ties that raise a group below
        the target and says so in ``shortfall`` when they run out before ``count``.

    Raises
    ------
    ParameterError
        A bad count, objective, constraint or date. Old decisions never raise: an approved
        pair whose person left is set aside with a note.

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
        as_of=as_of,
        horizon=horizon,
        coverage_target=coverage_target,
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
    as_of: str | pd.Timestamp | None = None,
    horizon: int = DEFAULT_HORIZON,
    coverage_target: str = "best",
) -> Recommendation:
    """Propose up to ``count`` sponsorships, leader ``a`` -> protégé ``b``.

    Sponsors are leaders (``Constraints.sponsors`` narrows them), each with
    ``Constraints.leader_capacity`` protégés (default 2); protégés are eligible non-leaders,
    each with one sponsor unless ``Constraints.capacity`` says otherwise. The default objective
    is ``"exposure"``: a sponsorship brings its protégé to one hop of a leader. When the
    people table has an ``emerging_talent`` column that flags anyone, protégés are the
    flagged people (``Constraints.emerging_only`` overrides). Other parameters as for
    :func:`recommend_pairs`.

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
        as_of=as_of,
        horizon=horizon,
        coverage_target=coverage_target,
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
    as_of: str | pd.Timestamp | None,
    horizon: int = DEFAULT_HORIZON,
    coverage_target: str = "best",
) -> Recommendation:
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 0:
        raise ParameterError(f"count must be a whole number >= 0, got {count!r}")
    count = int(count)
    weights = weights_for(objective)
    constraints = constraints or Constraints()
    state = programme_state(graph, as_of=as_of, commitments=run_commitments(constraints, kind))
    current = state.current
    rules = compile_rules(graph, constraints, kind=kind, state=state)
    commitments, misfits = _misfits(state, rules, kind)
    horizon = check_horizon(horizon)
    coverage_target = check_coverage_target(coverage_target)

    def new_gains() -> Gains:
        return Gains(
            current,
            rules,
            weights,
            group_by=group_by,
            layers=layers,
            horizon=horizon,
            target=coverage_target,
            min_group=min_group,
        )

    gains = new_gains()
    hops_now = gains.distance.distance.copy()
    for u, v, _ in state.pending:
        gains.apply(u, v)
    capacity_left = rules.capacity.copy()
    start_state = new_gains() if compare_optimum else None
    if start_state is not None:
        for u, v, _ in state.pending:
            start_state.apply(u, v)
    a, b = candidate_pairs(gains, rules, capacity_left, count=count, seed=seed)
    search = greedy(gains, a, b, capacity_left, count=count, seed=seed)
    chosen = search.accepted

    proposals = _table(
        current, gains, rules, chosen, kind=kind, show_names=show_names, hops_now=hops_now
    )
    parameters = {
        "kind": kind,
        "count": count,
        "objective": objective if isinstance(objective, str) else "custom",
        "weights": weights.to_dict(),
        "exposure_measure": weights.measure,
        "horizon": horizon,
        "coverage_target": coverage_target,
        "target_coverage": round(gains.coverage.start_target, 4),
        "constraints": constraints.to_dict(),
        "seed": seed,
        "group_by": group_by,
        "layers": list(layers) if isinstance(layers, (list, tuple)) else layers,
        "as_of": state.as_of,
    }
    quality: dict[str, Any] = {"candidates": int(a.size), "proposed": len(chosen)}
    if start_state is not None:
        quality.update(_optimality(start_state, rules, a, b, chosen, rules.capacity.copy(), count))
    shortfall: tuple[str, ...] = ()
    if len(chosen) < count:
        shortfall = tuple(rules.shortfall(capacity_left))
        ran_out = []
        if not current.leader_mask().any():
            ran_out.append(NO_LEADERS)
        elif search.without_exposure and weights.exposure_required:
            ran_out.append(_exposure_ran_out(gains, kind))
        if search.harmful:
            ran_out.append(
                f"objective: {search.harmful:,} eligible candidates were left out because each "
                "would widen the coverage gap between groups more than it adds"
            )
        if ran_out:
            others = tuple(r for r in shortfall if not r.startswith("candidates:"))
            shortfall = (*ran_out, *others)
    simulation: dict[str, Any] = {}
    if simulate_metrics:
        simulation = simulate(
            _with_pending(current, state),
            proposals,
            group_by=group_by,
            layers=layers,
            min_group=min_group,
        )
    return Recommendation(
        parameters,
        proposals,
        simulation,
        quality,
        commitments=commitments,
        notes=(*rules.notes, *misfits, *_coverage_note(chosen, weights, horizon)),
        shortfall=shortfall,
    )


def _exposure_ran_out(gains: Gains, kind: str) -> str:
    """The shortfall when the exposure objective has no tie left that raises a group.

    Example
    -------
    >>> people = pd.DataFrame({"person_id": ["L", "a"], "is_leader": [1, 0]})
    >>> gains = Gains(OrgGraph(people), compile_rules(OrgGraph(people), Constraints()),
    ...               weights_for("exposure"))
    >>> _exposure_ran_out(gains, PAIR)[:60]
    'exposure: no other eligible pair brings anyone new within 2 '
    """
    coverage = gains.coverage
    what = "sponsorship" if kind == SPONSORSHIP_KIND else "pair"
    fill = "ask for the balanced objective to fill the remaining places (silos, complementarity)"
    if coverage.target < 1.0:
        where = (
            f"a group below {coverage.target:.1%} covered (the best-covered group's level): "
            "the gap is closed as far as eligible people allow"
        )
        fill += ", or for full coverage as the target to raise every group"
    else:
        where = "a group that is not fully covered"
    return (
        f"exposure: no other eligible {what} brings anyone new within {coverage.horizon} hops "
        f"of a leader in {where}; {fill}"
    )


def _coverage_note(chosen: list[Accepted], weights: Weights, horizon: int) -> list[str]:
    """Say how many proposals cover nobody new, so a coordinator can stop at the others.

    Example
    -------
    >>> _coverage_note([], weights_for("exposure"), 2)
    []
    """
    if not chosen or not weights.exposure or weights.measure != "coverage":
        return []
    idle = sum(1 for one in chosen if not one.evaluation.details.get("newly_covered"))
    if not idle:
        return []
    return [
        f"{idle} of the {len(chosen)} proposals bring nobody new within {horizon} hops of a "
        "leader (they join silos or match skills); the others raise coverage"
    ]


def _misfits(state: ProgrammeState, rules: Rules, kind: str) -> tuple[pd.DataFrame, list[str]]:
    """Pending commitments of this kind that no longer fit the run's rules (cohort, level
    band, ...): they still count (the people are committed), and the output says so."""
    table = state.commitments.copy()
    notes: list[str] = []
    ids = state.current.ids
    for u, v, item_kind in state.pending:
        if item_kind != kind:
            continue
        problems = [p for p in rules.violations(u, v, ids) if p != "they are already tied"]
        if not problems:
            continue
        text = "no longer fits this run (" + "; ".join(problems) + "); still a commitment"
        row = (table["a"] == ids[u]) & (table["b"] == ids[v]) & (table["kind"] == kind)
        row |= (table["a"] == ids[v]) & (table["b"] == ids[u]) & (table["kind"] == kind)
        table.loc[row & (table["status"] == "pending"), "note"] = text
        notes.append(f"approved {kind} ({ids[u]}, {ids[v]}) {text}")
    return table, notes


def _with_pending(current: OrgGraph, state: ProgrammeState) -> OrgGraph:
    """Today's ties plus the approved commitments not imported yet (the simulation's base)."""
    if not state.pending:
        return current
    ids = current.ids
    ties = pd.DataFrame(
        {
            "source": [ids[u] for u, _, _ in state.pending],
            "target": [ids[v] for _, v, _ in state.pending],
            "layer": [MENTORING if k == PAIR else SPONSORSHIP for _, _, k in state.pending],
        }
    )
    return current.with_ties(ties)


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
    accepted: list[Accepted],
    *,
    kind: str,
    show_names: bool,
    hops_now: np.ndarray,
) -> pd.DataFrame:
    ids = graph.ids
    people = graph.people
    use_names = show_names and "name" in people.columns
    leaders = graph.leader_mask()
    department = _column(people, "department")
    level = _column(people, "level" if "level" in people.columns else "level_label")
    real_ties = _real_group_ties(graph, gains)
    rows: list[dict[str, Any]] = []
    for item in accepted:
        ev: Evaluation = item.evaluation
        ga, gb = ev.groups
        ev = replace(ev, ties_today=real_ties.get((min(ga, gb), max(ga, gb)), 0))
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
        )
        spread = ev.spread
        side = "both" if leaders[item.a] and leaders[item.b] else ""
        if not side:
            side = "a" if leaders[item.a] else "b" if leaders[item.b] else ""
        rows.append(
            {
                "a": str(ids[item.a]),
                "b": str(ids[item.b]),
                "kind": kind,
                "leader": side,
                "a_department": department[item.a],
                "b_department": department[item.b],
                "a_level": level[item.a],
                "b_level": level[item.b],
                "a_hops": _hops(int(hops_now[item.a])),
                "b_hops": _hops(int(hops_now[item.b])),
                "score": ev.score,
                **ev.breakdown,
                "reason": reason,
                "hops_before": _hops(int(spread.before[0])) if spread.moved else math.nan,
                "hops_after": _hops(int(spread.after[0])) if spread.moved else math.nan,
                "moved": spread.moved,
                "ties_today": ev.ties_today,
            }
        )
    table = pd.DataFrame(rows, columns=list(PROPOSAL_COLUMNS))
    numeric = ["score", *COMPONENTS, "hops_before", "hops_after", "a_hops", "b_hops"]
    return table.astype(
        {
            **dict.fromkeys(numeric, "float64"),
            "moved": "int64",
            "ties_today": "int64",
            "a": "str",
            "b": "str",
            "kind": "str",
            "leader": "str",
            "reason": "str",
        }
    )


def _column(people: pd.DataFrame, name: str) -> list[Any]:
    """A people attribute as plain Python values (None where missing or absent)."""
    if name not in people.columns:
        return [None] * len(people)
    values = people[name].astype(object)
    return [None if pd.isna(v) else (v.item() if isinstance(v, np.generic) else v) for v in values]


def _real_group_ties(graph: OrgGraph, gains: Gains) -> dict[tuple[int, int], int]:
    """Distinct ties today between each pair of groups, counted on the real graph only
    (never the commitments or proposals the run added to its state)."""
    group = gains.group
    src, dst, _ = graph.edge_arrays(gains.layers)
    if src.size == 0:
        return {}
    ga, gb = group[src].astype(np.int64), group[dst].astype(np.int64)
    width = int(group.max()) + 1
    keys, counts = np.unique(np.minimum(ga, gb) * width + np.maximum(ga, gb), return_counts=True)
    return {
        (int(k) // width, int(k) % width): int(c)
        for k, c in zip(keys.tolist(), counts.tolist(), strict=True)
    }


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
