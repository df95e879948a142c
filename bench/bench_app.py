"""Server-side first render of every app page on a 100,000-person workspace.

For each page and role: the callbacks that fire on load, exactly as the server runs them
(services call + figure function). Two figures per page:

- ``cold``: a fresh app process. ``precompute_seconds`` is the standard analysis that
  ``create_app`` starts in the background (graph load included), timed as one figure; then
  ``cold_first_render`` is each page's first render right after it, in a fresh ``Services``
  whose only head start is that precompute (what the first visitor after a start waits for,
  beyond the precompute).
- ``warm``: the same pages rendered again for a second role on the same ``Services`` (the
  cache is shared across users; role-specific labels are not).

Also a recommendation run. Goal: warm page renders < 2 s. Writes ``bench/results/app.json``.
"""

from __future__ import annotations

import functools
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench._common import peak_rss_gib, write_results
from orgbridge.app import figures
from orgbridge.app.auth import User
from orgbridge.app.services import Services
from orgbridge.graph import OrgGraph
from orgbridge.graph._workspace import Workspace

PEOPLE = 100_000


def organisation(n: int, *, seed: int = 1, departments: int = 40, degree: float = 8.0) -> OrgGraph:
    """A synthetic organisation: departments, a manager tree, leaders, collaboration ties."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"E{i:07d}" for i in range(n)], dtype=object)
    dept = rng.integers(0, departments, n)
    manager = np.where(np.arange(n) == 0, -1, rng.integers(0, np.maximum(np.arange(n), 1)))
    level = np.clip(rng.poisson(4, n), 1, 9)
    people = pd.DataFrame(
        {
            "person_id": ids,
            "name": [f"Person {i}" for i in range(n)],
            "department": [f"D{d:02d}" for d in dept],
            "level": level,
            "location": rng.choice(["North", "South", "East", "West"], n),
            "manager_id": np.where(
                manager >= 0, ids[np.maximum(manager, 0)], np.array(None, dtype=object)
            ),
            "is_leader": level >= 8,
            "opt_in": rng.random(n) < 0.3,
            "capacity": 1,
        }
    )
    m = int(n * degree / 2)
    a = rng.integers(0, n, m)
    same = rng.random(m) < 0.8
    order = np.argsort(dept, kind="stable")
    starts = np.searchsorted(dept[order], np.arange(departments))
    sizes = np.bincount(dept, minlength=departments)
    inside = order[starts[dept[a]] + (rng.random(m) * sizes[dept[a]]).astype(np.int64)]
    b = np.where(same, inside, rng.integers(0, n, m))
    keep = a != b
    ties = pd.DataFrame(
        {
            "source": a[keep].astype(np.int32),
            "target": b[keep].astype(np.int32),
            "layer": "collaboration",
            "weight": 1.0,
        }
    )
    return OrgGraph(people, ties)


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return round(time.perf_counter() - start, 3)


def pages(services: Services, user: User) -> dict[str, Callable[[], Any]]:
    """What the server does on the first render of each page."""

    def overview() -> None:
        figures.headline_rows(services.overview(user))

    def silos() -> None:
        result = services.silos(user, "department")
        figures.matrix_figure(result["counts"], title="t", suppressed=result["suppressed"])
        figures.ei_figure(result["ei"])
        figures.grid_rows(services.bridging(user, "department"))
        found = services.communities(user, "department")
        if "crosstab" in found:
            figures.matrix_figure(found["crosstab"], title="t")
        if user.role != "executive":
            figures.grid_rows(services.brokers(user, "department"))
        figures.cytoscape_elements(services.network(user))

    def exposure() -> None:
        result = services.exposure(user, "department")
        figures.hops_figure(result["distribution"])
        figures.equity_figure(result["equity"])
        figures.cytoscape_elements(services.network(user, colour_by="mean_exposure"))

    def programme() -> None:
        figures.coverage_figure(services.programme(user, "department")["coverage"])
        history = services.programme_history(user, "department")
        figures.programme_history_figure(history, "coverage")
        figures.grid_rows(history)

    def recommend() -> None:
        figures.proposal_rows(services.proposals(user))

    found = {"overview": overview, "silos": silos, "exposure": exposure, "programme": programme}
    if user.role in ("admin", "coordinator"):
        found["recommend"] = recommend
    return found


def run_recommender(services: Services, user: User) -> None:
    """A 20-pair recommendation run, saved."""
    services.save_run(user, services.recommend(user, count=20))


def render_all(services: Services, role: str) -> dict[str, float | None]:
    """First render of each page for ``role``, plus the person map of one group."""
    user = User(role, role)
    found: dict[str, float | None] = {
        name: timed(page) for name, page in pages(services, user).items()
    }
    found["person_map_one_group"] = (
        None
        if role == "executive"
        else timed(
            lambda: figures.cytoscape_elements(
                services.network(user, view="group", group="D00", colour_by="exposure")
            )
        )
    )
    return found


def main() -> None:
    results: dict[str, Any] = {"people": PEOPLE, "goal_seconds_per_page": 2.0}
    graph = organisation(PEOPLE)
    results["ties"] = graph.tie_counts()
    with tempfile.TemporaryDirectory() as folder:
        with Workspace.open(Path(folder)) as ws:
            ws.save_graph(graph, log={"rows_in": PEOPLE, "rows_loaded": PEOPLE, "rows_rejected": 0})
        with Workspace.open(Path(folder)) as ws:
            probe = Services(ws)
            results["graph_load_seconds"] = timed(probe.graph)
            probe.close()
            cold: dict[str, Any] = {}
            warm: dict[str, Any] = {}
            for role in ("executive", "coordinator"):
                services = Services(ws)
                cold.setdefault("precompute_seconds", {})[role] = timed(services.precompute)
                cold[role] = render_all(services, role)
                other = "coordinator" if role == "executive" else "executive"
                warm[other] = render_all(services, other)
                print(role, cold[role], other, warm[other], flush=True)
                if role == "coordinator":
                    results["recommend_run_20_pairs"] = timed(
                        functools.partial(run_recommender, services, User("c", "coordinator"))
                    )
                services.close()
            results["cold"] = cold
            results["warm"] = warm
    worst = max(v for pages_ in warm.values() for v in pages_.values() if v is not None)
    results["warm_worst_page_seconds"] = worst
    results["warm_goal_met"] = worst < results["goal_seconds_per_page"]
    results["peak_rss_gib"] = round(peak_rss_gib(), 2)
    write_results("app", results)


if __name__ == "__main__":
    main()
    sys.exit(0)
