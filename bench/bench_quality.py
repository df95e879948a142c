"""Does the recommender close the exposure gap? Measured with an independent yardstick.

``python -m bench.bench_quality`` writes ``bench/results/quality.json`` and
``bench/results/quality.txt`` (a readable table). Every proposal set, from every objective and
baseline, is judged by :mod:`bench.yardstick` (plain BFS over the current ties plus the
proposals, coverage within 2 hops per group, E-I between groups), never by the recommender's own
score.

- **Organisations**: the bundled sample organisation (``examples/sample``, 1,500 people, what
  ``make run`` shows; its groups differ by 9-22 points within 2 hops); the demo organisation
  (``orgbridge demo --people 5000 --seed 11``, made in-process with :mod:`orgbridge.synthetic`,
  imported with all its files through the import pipeline, as of its reference date so ended
  pairs and sponsorships are history); the simulated Viva Insights P2P export in
  ``/work/shared/data/viva_p2p`` (2,000 people; leaders by the rule ``LevelDesignation`` =
  "Level 9", 111 people: the export has no leader flag). The bundled Viva sample has no HR
  attributes (no group, no leader rule possible) and is left out, with a note.
- **Groupings**: every attribute of the organisation (sample and demo: department, division,
  level, location; Viva: Organization, City, LevelDesignation).
- **Participation**: 2%, 5% and 10% of staff in new ties (pairs, or sponsorships for
  ``expo+sponsor``; at most two new participants per tie),
  from the opted-in cohort (Viva: everyone, no opt-in column).
- **Methods**: the objectives ``exposure``, ``balanced``, ``silo`` and ``closeness`` (the former
  1/d term), each run with ``group_by`` = the grouping; ``expo:full``, the exposure objective
  raising every group towards full coverage (``coverage_target="full"``) instead of levelling
  groups up to the best-covered one; ``expo+sponsor``, a programme of
  sponsorships (half the ties, leaders with capacity 2) then exposure pairs on top of them;
  ``exposure=targ``, the exposure objective asked for as many pairs as the targeted rule
  proposed; the baselines ``random``,
  ``similarity``, ``senior_junior`` and ``targeted`` (the worst group's uncovered people, or
  their eligible neighbours, paired with people next to a leader).
- **Figures per row**: gap (best minus worst group coverage, groups of at least 5 non-leaders)
  before and after, share of the gap closed, worst group's coverage before and after (the worst
  group after may be another group), organisation coverage, E-I after, participants, and gap
  closed per 100 participants (percentage points).
- **Horizon 1** (extra): the demo again with objective, baselines and yardstick at horizon 1
  (a leader within 1 hop), where its groups differ by up to 42 points; reported apart from the
  goal's verdict.
- **Goal** (issue 10): with at most 10% of staff taking part, ``exposure`` closes at least half
  of the gap for every grouping, never widens it, raises the worst group, and beats
  ``targeted`` and every baseline on closure per participant. The verdict is printed and stored.

Takes a few minutes on 2 cores.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench._common import RESULTS, write_results
from bench.yardstick import Measure, measure
from orgbridge.graph import OrgGraph
from orgbridge.ingest import Sources, prepare_import
from orgbridge.recommend import baseline_pairs, recommend_pairs, recommend_sponsorships
from orgbridge.synthetic import generate_organisation, write_organisation

VIVA_SIM = Path("/work/shared/data/viva_p2p/p2p_sim_2000.csv")
VIVA_SAMPLE = Path("/work/shared/data/viva_p2p/p2p_sample_query.csv")
#: The bundled sample organisation ``make run`` shows (1,500 people; gaps of 9-22 points).
SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "sample"
PARTICIPATION = (0.02, 0.05, 0.10)
OBJECTIVES = ("exposure", "balanced", "silo", "closeness")
BASELINES = ("random", "similarity", "senior_junior", "targeted")
#: Baselines whose choice does not depend on the grouping (run once per participation).
GROUP_FREE = ("random", "similarity", "senior_junior")
HORIZON = 2
#: The exposure objective asked for as many pairs as the targeted rule proposed.
EQUAL_BUDGET = "exposure=targ"
#: A programme: half the ties as sponsorships (exposure objective), then pairs on top of them.
PROGRAMME = "expo+sponsor"
#: The exposure objective raising every group towards full coverage (``coverage_target="full"``).
FULL = "expo:full"
MIN_GROUP = 5


def demo_graph(people: int = 5000, seed: int = 11) -> OrgGraph:
    """The demo organisation imported with all its files, as of its reference date."""
    org = generate_organisation(people, seed=seed)
    with tempfile.TemporaryDirectory() as tmp:
        files = write_organisation(org, Path(tmp))
        sources = Sources(
            staff=files["staff"],
            projects=files["projects"],
            pairs=files["pairs"],
            sponsorships=files["sponsorships"],
            ties=[(files["collaboration"], "collaboration")],
        )
        graph = prepare_import(sources).graph
    return graph.snapshot(str(org.parameters["reference_date"]))


def sample_graph(folder: Path = SAMPLE) -> OrgGraph:
    """The bundled sample organisation, imported as ``make run`` imports it."""
    return prepare_import(
        Sources(
            staff=folder / "staff.csv",
            projects=folder / "projects.csv",
            pairs=folder / "pairs.csv",
            sponsorships=folder / "sponsorships.csv",
            mapping=folder / "mapping.json",
        )
    ).graph


def viva_graph(path: Path = VIVA_SIM, leader_level: str = "Level 9") -> OrgGraph:
    """The simulated Viva export; leaders are the people whose level label is ``leader_level``."""
    graph = prepare_import(Sources(viva_p2p=path)).graph
    people = graph.people.copy()
    people["is_leader"] = people["level_label"].astype(object).eq(leader_level).to_numpy()
    return graph.with_people(people)


class Judge:
    """The yardstick over one organisation's current informal ties, for any proposal set."""

    def __init__(self, graph: OrgGraph) -> None:
        self.ids = [str(p) for p in graph.ids]
        self.leaders = [bool(x) for x in graph.leader_mask()]
        ties = graph.select_ties(None)
        ids = np.asarray(self.ids, dtype=object)
        self.ties = list(
            zip(
                ids[ties["source"].to_numpy()].tolist(),
                ids[ties["target"].to_numpy()].tolist(),
                strict=True,
            )
        )
        self.people = graph.people

    def groups(self, attribute: str) -> list[str | None]:
        """Each person's group under ``attribute`` (None when missing)."""
        values = self.people[attribute].astype(object)
        return [None if pd.isna(v) else str(v) for v in values]

    def measure(
        self, attribute: str, proposals: pd.DataFrame | None = None, *, k: int = HORIZON
    ) -> Measure:
        """Coverage per group, gap and E-I over the current ties plus ``proposals``."""
        extra: list[tuple[str, str]] = []
        if proposals is not None and len(proposals):
            extra = list(zip(proposals["a"].astype(str), proposals["b"].astype(str), strict=True))
        return measure(
            self.ids,
            self.leaders,
            self.groups(attribute),
            self.ties + extra,
            k=k,
            min_group=MIN_GROUP,
        )


def _row(
    method: str, before: Measure, after: Measure, proposals: pd.DataFrame, seconds: float
) -> dict[str, Any]:
    participants = (
        len(set(proposals["a"].astype(str)) | set(proposals["b"].astype(str)))
        if len(proposals)
        else 0
    )
    closed = before.gap - after.gap
    return {
        "method": method,
        "pairs": len(proposals),
        "participants": participants,
        "gap_before": round(before.gap, 4),
        "gap_after": round(after.gap, 4),
        "gap_closed_share": round(closed / before.gap, 4) if before.gap > 0 else None,
        "worst_group_before": before.worst,
        "worst_before": round(before.worst_coverage, 4),
        "worst_group_after": after.worst,
        "worst_after": round(after.worst_coverage, 4),
        "before_worst_group_after": round(after.coverage[before.worst], 4)
        if before.worst is not None
        else None,
        "best_after": round(after.coverage[after.best], 4) if after.best is not None else None,
        "organisation_before": round(before.organisation, 4),
        "organisation_after": round(after.organisation, 4),
        "ei_before": None if before.ei is None else round(before.ei, 4),
        "ei_after": None if after.ei is None else round(after.ei, 4),
        "closed_per_100_participants_pp": round(100 * 100 * closed / participants, 3)
        if participants
        else None,
        "seconds": round(seconds, 2),
    }


def propose(
    graph: OrgGraph, method: str, *, count: int, group_by: str, seed: int, horizon: int = HORIZON
) -> tuple[pd.DataFrame, float]:
    """The pairs one method proposes (columns ``a, b``) and the seconds it took."""
    start = time.perf_counter()
    if method == PROGRAMME:
        sponsored = recommend_sponsorships(
            graph,
            count=count // 2,
            seed=seed,
            group_by=group_by,
            horizon=horizon,
            simulate_metrics=False,
        ).proposals[["a", "b"]]
        ties = pd.DataFrame(
            {"source": sponsored["a"], "target": sponsored["b"], "layer": "sponsorship"}
        )
        pairs = recommend_pairs(
            graph.with_ties(ties),
            count=count - len(sponsored),
            objective="exposure",
            seed=seed,
            group_by=group_by,
            horizon=horizon,
            simulate_metrics=False,
        ).proposals
        out = pd.concat([sponsored, pairs[["a", "b"]]], ignore_index=True)
    elif method in BASELINES:
        out = baseline_pairs(
            graph, method=method, count=count, seed=seed, group_by=group_by, horizon=horizon
        )
    else:
        objective = "exposure" if method in (EQUAL_BUDGET, FULL) else method
        out = recommend_pairs(
            graph,
            count=count,
            objective=objective,
            seed=seed,
            group_by=group_by,
            horizon=horizon,
            simulate_metrics=False,
            coverage_target="full" if method == FULL else "best",
        ).proposals
    return out[["a", "b"]], time.perf_counter() - start


def evaluate(
    graph: OrgGraph,
    *,
    label: str,
    groupings: tuple[str, ...],
    seed: int = 0,
    horizon: int = HORIZON,
) -> list[dict[str, Any]]:
    """Every method at every participation, judged under every grouping."""
    judge = Judge(graph)
    rows: list[dict[str, Any]] = []
    n = graph.n_people
    for share in PARTICIPATION:
        count = round(share * n / 2)
        free = {
            m: propose(graph, m, count=count, group_by=groupings[0], seed=seed, horizon=horizon)
            for m in GROUP_FREE
        }
        for attribute in groupings:
            before = judge.measure(attribute, k=horizon)
            runs = dict(free)
            for method in (*OBJECTIVES, FULL, PROGRAMME, "targeted"):
                runs[method] = propose(
                    graph, method, count=count, group_by=attribute, seed=seed, horizon=horizon
                )
            # as many pairs as the targeted rule used (it stops when it runs out of people)
            runs[EQUAL_BUDGET] = propose(
                graph,
                EQUAL_BUDGET,
                count=len(runs["targeted"][0]),
                group_by=attribute,
                seed=seed,
                horizon=horizon,
            )
            for method in (*OBJECTIVES, FULL, PROGRAMME, EQUAL_BUDGET, *BASELINES):
                proposals, seconds = runs[method]
                row = _row(
                    method,
                    before,
                    judge.measure(attribute, proposals, k=horizon),
                    proposals,
                    seconds,
                )
                rows.append(
                    {
                        "org": label,
                        "horizon": horizon,
                        "group_by": attribute,
                        "participation": share,
                        **row,
                    }
                )
            print(
                _table(
                    [r for r in rows if r["group_by"] == attribute and r["participation"] == share]
                ),
                flush=True,
            )
    return rows


def verdict(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The issue's goal, checked row by row for the exposure objective.

    ``beats_baselines_per_participant`` is the issue's test as stated (the exposure objective
    at the requested count against every baseline). The targeted rule stops when it runs out
    of people to help while the recommender fills the requested count, so two fairer checks
    are reported next to it: the exposure objective against the targeted rule at the same
    number of pairs (``exposure=targ``), and against the other baselines at the same count.
    """
    checks: list[dict[str, Any]] = []
    keys = sorted({(r["org"], r["group_by"], r["participation"]) for r in rows})
    for org, group_by, share in keys:
        same = {
            r["method"]: r
            for r in rows
            if r["org"] == org and r["group_by"] == group_by and r["participation"] == share
        }
        ours = same["exposure"]
        per = {m: float(r["closed_per_100_participants_pp"] or 0.0) for m, r in same.items()}
        others = [m for m in BASELINES if m != "targeted"]
        checks.append(
            {
                "org": org,
                "group_by": group_by,
                "participation": share,
                "never_widens": ours["gap_after"] <= ours["gap_before"] + 1e-12,
                "raises_worst": ours["worst_after"] > ours["worst_before"],
                "closes_half": (ours["gap_closed_share"] or 0.0) >= 0.5,
                "beats_baselines_per_participant": all(per["exposure"] > per[m] for m in BASELINES),
                "beats_targeted_same_pairs": per[EQUAL_BUDGET] >= per["targeted"],
                "beats_other_baselines_same_count": all(per["exposure"] > per[m] for m in others),
                "programme_beats_baselines_per_participant": all(
                    per[PROGRAMME] > per[m] for m in BASELINES
                ),
            }
        )
    names = (
        "never_widens",
        "raises_worst",
        "beats_baselines_per_participant",
        "beats_targeted_same_pairs",
        "beats_other_baselines_same_count",
        "programme_beats_baselines_per_participant",
    )
    summary: dict[str, Any] = {name: all(c[name] for c in checks) for name in names}
    at_ten = [c for c in checks if c["participation"] == max(PARTICIPATION)]
    summary["closes_half_at_10_percent"] = all(c["closes_half"] for c in at_ten)
    for name in (*names, "closes_half"):
        failed = [
            f"{c['org']}/{c['group_by']}/{c['participation']:.0%}" for c in checks if not c[name]
        ]
        if failed:
            summary[f"{name}_failed_in"] = failed
    return {"summary": summary, "checks": checks}


COLUMNS = (
    ("method", "method", 13),
    ("participants", "people", 6),
    ("gap_before", "gap0", 6),
    ("gap_after", "gap1", 6),
    ("gap_closed_share", "closed", 7),
    ("worst_before", "worst0", 6),
    ("worst_after", "worst1", 6),
    ("organisation_after", "org1", 6),
    ("ei_after", "EI1", 7),
    ("closed_per_100_participants_pp", "pp/100", 7),
)


def _cell(value: Any, width: int) -> str:
    if value is None:
        text = "-"
    elif isinstance(value, float):
        text = f"{value:.3f}"
    else:
        text = str(value)
    return text.rjust(width) if not isinstance(value, str) else text.ljust(width)


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return ""
    first = rows[0]
    lines = [
        f"{first['org']} by {first['group_by']}, {first['participation']:.0%} of staff "
        f"(worst before: {first['worst_group_before']})",
        " ".join(
            title.rjust(w) if i else title.ljust(w) for i, (_, title, w) in enumerate(COLUMNS)
        ),
    ]
    for r in rows:
        lines.append(" ".join(_cell(r[key], w) for key, _, w in COLUMNS))
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run the quality benchmark and write ``bench/results/quality.json`` and ``.txt``."""
    start = time.perf_counter()
    rows: list[dict[str, Any]] = []
    notes = [
        "gap = best minus worst group coverage within 2 hops of a leader (non-leaders, groups "
        "of at least 5 non-leaders), measured by bench.yardstick over current ties + proposals",
        "closed = share of the gap closed; pp/100 = gap points closed per 100 participants",
        f"{VIVA_SAMPLE.name}: no HR attributes (no groups, no leader rule): not measured",
    ]
    demo = demo_graph()
    rows += evaluate(
        demo, label="demo-5000-seed-11", groupings=("department", "division", "level", "location")
    )
    # the sample's groups differ by 9-22 points within 2 hops (the demo's by 1-2)
    rows += evaluate(
        sample_graph(),
        label="sample-1500",
        groupings=("department", "division", "level", "location"),
    )
    if VIVA_SIM.exists():
        rows += evaluate(
            viva_graph(), label="viva-sim-2000", groupings=("department", "location", "level_label")
        )
    else:
        notes.append(f"{VIVA_SIM} not found: Viva rows missing")
    # within 2 hops the demo is 98.8% covered; within 1 hop its groups differ by up to 42 points
    rows += evaluate(
        demo,
        label="demo-5000-seed-11-k1",
        groupings=("department", "division", "level", "location"),
        horizon=1,
    )
    notes.append(
        "rows labelled -k1: objective, baselines and yardstick at horizon 1 (a leader within "
        "1 hop); not part of the goal's verdict, summarised in verdict_horizon_1"
    )
    result = verdict([r for r in rows if r["horizon"] == HORIZON])
    result_k1 = verdict([r for r in rows if r["horizon"] == 1])
    text = "\n".join(
        _table([r for r in rows if (r["org"], r["group_by"], r["participation"]) == key])
        for key in sorted({(r["org"], r["group_by"], r["participation"]) for r in rows})
    )
    text += "\nverdict:\n" + "".join(f"  {k}: {v}\n" for k, v in result["summary"].items())
    text += "\nverdict_horizon_1:\n" + "".join(
        f"  {k}: {v}\n" for k, v in result_k1["summary"].items()
    )
    text += "".join(f"note: {n}\n" for n in notes)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "quality.txt").write_text(text, encoding="utf-8")
    print(text)
    write_results(
        "quality",
        {
            "horizon": HORIZON,
            "min_group": MIN_GROUP,
            "participation": list(PARTICIPATION),
            "notes": notes,
            "verdict": result,
            "verdict_horizon_1": result_k1,
            "rows": rows,
            "seconds": round(time.perf_counter() - start, 1),
        },
    )


if __name__ == "__main__":
    main()
