"""Server-side first render of every app page on a 100,000-person workspace.

For each page and role: the page layout plus the callbacks that fire on load, exactly as the
server runs them (services call + figure function), timed from a cold cache except for the
graph load, which the app does once at start. Also a recommendation run. Goal: < 2 s per page.
Writes ``bench/results/app.json``.
"""

from __future__ import annotations

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
            "manager_id": np.where(manager >= 0, ids[np.maximum(manager, 0)], None),
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

    found = {"overview": overview, "silos": silos, "exposure": exposure, "programme": programme}
    if user.role in ("admin", "coordinator"):
        found["recommend"] = lambda: figures.proposal_rows(services.proposals(user))
    return found


def main() -> None:
    results: dict[str, Any] = {"people": PEOPLE, "goal_seconds_per_page": 2.0}
    graph = organisation(PEOPLE)
    results["ties"] = graph.tie_counts()
    with tempfile.TemporaryDirectory() as folder:
        with Workspace.open(Path(folder)) as ws:
            ws.save_graph(graph, log={"rows_in": PEOPLE, "rows_loaded": PEOPLE, "rows_rejected": 0})
        with Workspace.open(Path(folder)) as ws:
            for role in ("executive", "coordinator"):
                services = Services(ws)
                results.setdefault("graph_load_seconds", timed(services.graph))
                user = User(role, role)
                results[role] = {name: timed(page) for name, page in pages(services, user).items()}
                if role != "executive":
                    results[role]["person_map_one_group"] = timed(
                        lambda s=services, u=user: figures.cytoscape_elements(
                            s.network(u, view="group", group="D00", colour_by="exposure")
                        )
                    )
                print(role, results[role], flush=True)
            services = Services(ws)
            services.graph()
            coordinator = User("c", "coordinator")
            results["recommend_run_20_pairs"] = timed(
                lambda: services.save_run(coordinator, services.recommend(coordinator, count=20))
            )
    results["peak_rss_gib"] = round(peak_rss_gib(), 2)
    write_results("app", results)


if __name__ == "__main__":
    main()
    sys.exit(0)
