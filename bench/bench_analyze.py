"""``orgbridge analyze`` end to end at scale (issue 13 part 4): ``python -m bench.bench_analyze``.

Each size is a cached synthetic organisation (:mod:`bench.synthetic_data`, mean degree 20:
ten collaboration ties per person) saved once into a DuckDB workspace next to its CSV files
(``bench/data/<dataset>/workspace``, built in its own process). Then ``orgbridge analyze
--workspace WS`` runs in a child process: load the workspace, take today's snapshot, analyse
(sampled betweenness with its standard error), save the per-person metrics back. The parent
reads the child's wall time, CPU seconds (user + system) and peak RSS from ``os.wait4``; the
child runs the command's own ``main`` with timers wrapped around the functions it calls
(store load and save, snapshot, each metric inside ``analyze``, the compiled views, the
per-person table) and writes the stage times next to the result. Metric times include a
view they build first (the views are cached on the graph); ``view_*`` figures are the builds.

Default: 100,000 people / 1,000,000 ties. ``ORGBRIDGE_BENCH_FULL=1`` adds 1,000,000 people /
10,000,000 ties (goal: under 2 minutes and 12 GiB peak). The baseline, measured in the same
run, is the 100,000-person analysis scaled by 10 (every stage is meant to be linear in ties;
a ratio above 1 means a stage grows faster than that). ``--people N`` adds a size (the
300,000-person step when memory is short). Other work may share the machine: the load
average before and after each run is recorded, and CPU seconds are what a run costs on an
idle machine. Writes ``bench/results/analyze.json``.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench._common import write_results

Record = dict[str, Any]

MEAN_DEGREE = 20.0
BASE_PEOPLE = 100_000
FULL_PEOPLE = 1_000_000
GOAL_S = 120.0
GOAL_GIB = 12.0
SEED = 1

#: Functions of ``orgbridge.metrics._analysis`` timed inside ``analyze``.
ANALYSIS_STEPS = (
    "exposure",
    "exposure_equity",
    "ei_index",
    "modularity",
    "group_ties",
    "communities",
    "assortativity",
    "betweenness",
    "constraint",
    "effective_size",
    "groups_tied",
    "bridging_points",
    "_people",
)


def load_note() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# ---- the cached workspace -----------------------------------------------------------------


def ensure_workspace(n_people: int) -> Path:
    """The dataset's DuckDB workspace, built (in a child process) on first use."""
    from bench.synthetic_data import ensure_dataset

    folder = ensure_dataset(n_people, SEED, mean_degree=MEAN_DEGREE)
    target = folder / "workspace"
    if (folder / "workspace.complete").is_file():
        return target
    subprocess.run(
        [sys.executable, "-m", "bench.bench_analyze", "--build", str(folder)], check=True
    )
    return target


def build_workspace(folder: Path) -> None:
    """Import the dataset's staff and collaboration files into ``folder/workspace``."""
    from orgbridge.graph import Workspace
    from orgbridge.ingest import Sources, prepare_import

    building = Path(tempfile.mkdtemp(prefix=".workspace-", dir=folder))
    try:
        prepared = prepare_import(
            Sources(
                staff=folder / "staff.csv", ties=[(folder / "collaboration.csv", "collaboration")]
            )
        )
        with Workspace.open(building / "ws") as workspace:
            workspace.save_graph(prepared.graph, log=prepared.report.to_dict())
        target = folder / "workspace"
        if target.exists():
            shutil.rmtree(target)
        (building / "ws").rename(target)
        (folder / "workspace.complete").write_text("built by bench.bench_analyze\n")
    finally:
        shutil.rmtree(building, ignore_errors=True)


# ---- the child: the command with stage timers ---------------------------------------------


class Stages:
    """Wall and CPU seconds (summed over calls) and peak RSS after each timed function."""

    def __init__(self) -> None:
        self.record: Record = {}
        self.order: list[str] = []
        self.captured: dict[str, Any] = {}

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            wall, cpu = time.perf_counter(), time.process_time()
            out = fn(*args, **kwargs)
            entry = self.record.setdefault(name, {"s": 0.0, "cpu_s": 0.0, "calls": 0})
            entry["s"] = round(entry["s"] + time.perf_counter() - wall, 3)
            entry["cpu_s"] = round(entry["cpu_s"] + time.process_time() - cpu, 3)
            entry["calls"] += 1
            entry["peak_rss_gib_after"] = round(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2
            )
            if name not in self.order:
                self.order.append(name)
            self.captured[name] = out
            return out

        return timed


def run_child(workspace: Path, out: Path) -> int:
    """``orgbridge analyze --workspace`` with timers; stage times go to ``out``."""
    import orgbridge.metrics as metrics_package
    from orgbridge.cli import main
    from orgbridge.graph import OrgGraph, Workspace
    from orgbridge.metrics import _analysis

    stages = Stages()
    for cls, method, name in (
        (Workspace, "load_graph", "load_graph"),
        (Workspace, "save_metrics", "save_metrics"),
        (OrgGraph, "snapshot", "snapshot"),
    ):
        setattr(cls, method, stages.wrap(name, getattr(cls, method)))
    for view in ("edge_arrays", "adjacency", "igraph"):
        original = getattr(OrgGraph, view)
        setattr(OrgGraph, view, _first_call_timer(stages, f"view_{view}", original))
    for step in ANALYSIS_STEPS:
        setattr(_analysis, step, stages.wrap(step, getattr(_analysis, step)))
    metrics_package.analyze = stages.wrap("analyze", metrics_package.analyze)  # type: ignore[attr-defined]
    start = time.perf_counter()
    status = main(["analyze", "--workspace", str(workspace)])
    record: Record = {
        "status": status,
        "command_s": round(time.perf_counter() - start, 3),
        "stages": {name: stages.record[name] for name in stages.order},
    }
    analysis = stages.captured.get("analyze")
    if analysis is not None:
        from bench.bench_metrics import betweenness_error

        record["betweenness_error"] = betweenness_error(analysis.results["betweenness"])
        record["people"] = analysis.document["network"]["people"]
        record["ties"] = analysis.document["network"]["ties"]
    out.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return status


def _first_call_timer(stages: Stages, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """Time a cached view only while it is being built (the graph's cache grows)."""

    @functools.wraps(fn)
    def timed(graph: Any, *args: Any, **kwargs: Any) -> Any:
        before = len(getattr(graph, "_cache", {}) or {})
        wall, cpu = time.perf_counter(), time.process_time()
        out = fn(graph, *args, **kwargs)
        if len(getattr(graph, "_cache", {}) or {}) != before:
            entry = stages.record.setdefault(name, {"s": 0.0, "cpu_s": 0.0, "calls": 0})
            entry["s"] = round(entry["s"] + time.perf_counter() - wall, 3)
            entry["cpu_s"] = round(entry["cpu_s"] + time.process_time() - cpu, 3)
            entry["calls"] += 1
            if name not in stages.order:
                stages.order.append(name)
        return out

    return timed


# ---- the parent: one child per size -------------------------------------------------------


def measure(n_people: int) -> Record:
    """Build (once) and analyse one size in a child; wall, CPU and peak RSS from wait4."""
    workspace = ensure_workspace(n_people)
    record: Record = {"people_requested": n_people, "workspace": workspace.parent.name}
    with tempfile.TemporaryDirectory(prefix="bench-analyze-") as tmp:
        out = Path(tmp) / "stages.json"
        record["load_average_before"] = load_note()
        start = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-m", "bench.bench_analyze", "--child", str(workspace), str(out)]
        )
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        record["wall_s"] = round(time.perf_counter() - start, 2)
        record["cpu_s"] = round(usage.ru_utime + usage.ru_stime, 2)
        record["peak_rss_gib"] = round(usage.ru_maxrss / 2**20, 2)
        record["load_average_after"] = load_note()
        record["exit"] = child.returncode
        if out.is_file():
            record.update(json.loads(out.read_text(encoding="utf-8")))
    return record


def compare(big: Record, base: Record, factor: float) -> Record:
    """Stage times of ``big`` over ``base`` scaled by ``factor`` (1: linear in ties)."""
    ratios: Record = {
        "total_wall": round(big["wall_s"] / (base["wall_s"] * factor), 2),
        "total_cpu": round(big["cpu_s"] / (base["cpu_s"] * factor), 2),
    }
    for name, entry in big.get("stages", {}).items():
        reference = base.get("stages", {}).get(name)
        if reference and reference["cpu_s"] > 0.05:
            ratios[name] = round(entry["cpu_s"] / (reference["cpu_s"] * factor), 2)
    return {
        "baseline_scaled_by": factor,
        "cpu_over_scaled_baseline": ratios,
        "note": "CPU seconds at this size over the 100,000-person run times the size ratio",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, action="append", default=[], help="add a size")
    parser.add_argument("--child", nargs=2, metavar=("WORKSPACE", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--build", metavar="DATASET", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return run_child(Path(args.child[0]), Path(args.child[1]))
    if args.build:
        build_workspace(Path(args.build))
        return 0
    sizes = [BASE_PEOPLE, *args.people]
    if os.environ.get("ORGBRIDGE_BENCH_FULL") == "1":
        sizes.append(FULL_PEOPLE)
    results: Record = {
        "goal": {
            "people": FULL_PEOPLE,
            "ties": 10 * FULL_PEOPLE,
            "wall_s": GOAL_S,
            "gib": GOAL_GIB,
        },
        "command": "orgbridge analyze --workspace WS (load, snapshot, analyze, save metrics)",
        "runs": {},
    }
    base = None
    for n in dict.fromkeys(sizes):
        run = measure(n)
        print(json.dumps({k: run.get(k) for k in ("people", "wall_s", "cpu_s", "peak_rss_gib")}))
        if n == BASE_PEOPLE:
            base = run
        elif base is not None:
            run["against_baseline"] = compare(run, base, n / BASE_PEOPLE)
        if n == FULL_PEOPLE:
            run["under_goal_wall"] = run["wall_s"] < GOAL_S
            run["under_goal_cpu"] = run["cpu_s"] < GOAL_S
            run["under_goal_memory"] = run["peak_rss_gib"] < GOAL_GIB
        results["runs"][str(n)] = run
    write_results("analyze", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
