"""Ingest benchmark (issue 2): CSV files -> workspace, and workspace -> OrgGraph + compiled views.

Each size runs in its own process so its peak memory is its own. Default: 100,000 people with
about 2,000,000 ties (goal: under 10 s each way). ``ORGBRIDGE_BENCH_FULL=1`` adds 1,000,000
people with about 20,000,000 ties (goal: under 2 minutes each way and under 12 GiB).
Baseline in the same run: ``pandas.read_csv`` of the same tie file (the floor for reading it),
and building a networkx graph vs a scipy CSR matrix from the loaded ties.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from bench._common import peak_rss_gib, write_results

SIZES = [(100_000, 2_000_000)]
FULL_SIZES = [(1_000_000, 20_000_000)]


def make_files(n_people: int, n_ties: int, seed: int) -> dict[str, Path]:
    """A cached synthetic organisation (homophilous ties) with about ``n_ties`` ties."""
    from bench.synthetic_data import ensure_dataset

    folder = ensure_dataset(n_people, seed, mean_degree=2 * n_ties / n_people)
    return {"staff": folder / "staff.csv", "ties": folder / "collaboration.csv"}


def run_one(n_people: int, n_ties: int) -> dict[str, Any]:
    from orgbridge.graph import Workspace
    from orgbridge.ingest import Sources, prepare_import

    record: dict[str, Any] = {"people": n_people, "ties_requested": n_ties}
    with tempfile.TemporaryDirectory(prefix="orgbridge-bench-") as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        files = make_files(n_people, n_ties, seed=1)
        record["generate_s"] = round(time.perf_counter() - start, 2)

        start = time.perf_counter()
        pd.read_csv(files["ties"], dtype=str, engine="pyarrow")
        record["baseline_pandas_read_ties_s"] = round(time.perf_counter() - start, 2)

        start = time.perf_counter()
        prepared = prepare_import(
            Sources(staff=str(files["staff"]), ties=[(str(files["ties"]), "collaboration")])
        )
        record["parse_validate_s"] = round(time.perf_counter() - start, 2)
        with Workspace.open(folder / "ws") as workspace:
            save_start = time.perf_counter()
            workspace.save_graph(prepared.graph, log=prepared.report.to_dict())
            record["save_s"] = round(time.perf_counter() - save_start, 2)
        record["csv_to_workspace_s"] = round(time.perf_counter() - start, 2)
        record["rows_in"] = prepared.report.rows_in
        record["rows_rejected"] = prepared.report.rows_rejected
        del prepared

        start = time.perf_counter()
        with Workspace.open(folder / "ws") as workspace:
            graph = workspace.load_graph()
        record["workspace_to_orggraph_s"] = round(time.perf_counter() - start, 2)
        record["ties_loaded"] = graph.tie_counts()

        start = time.perf_counter()
        graph.adjacency("collaboration")
        record["scipy_csr_build_s"] = round(time.perf_counter() - start, 2)
        start = time.perf_counter()
        graph.igraph("collaboration")
        record["igraph_build_s"] = round(time.perf_counter() - start, 2)
        if n_people <= 100_000:
            import networkx as nx

            src, dst, _ = graph.edge_arrays("collaboration")
            start = time.perf_counter()
            reference = nx.Graph()
            reference.add_nodes_from(range(graph.n_people))
            reference.add_edges_from(zip(src.tolist(), dst.tolist(), strict=True))
            record["baseline_networkx_build_s"] = round(time.perf_counter() - start, 2)
            record["networkx_over_scipy_build"] = round(
                record["baseline_networkx_build_s"] / max(record["scipy_csr_build_s"], 1e-3), 1
            )
        record["peak_rss_gib"] = round(peak_rss_gib(), 2)
    return record


def main() -> None:
    if len(sys.argv) == 3:  # child process: one size
        print(json.dumps(run_one(int(sys.argv[1]), int(sys.argv[2]))))
        return
    sizes = SIZES + (FULL_SIZES if os.environ.get("ORGBRIDGE_BENCH_FULL") else [])
    runs = []
    for n_people, n_ties in sizes:
        out = subprocess.run(
            [sys.executable, "-m", "bench.bench_ingest", str(n_people), str(n_ties)],
            check=True,
            capture_output=True,
            text=True,
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(json.dumps(runs[-1], indent=1))
    write_results(
        "ingest",
        {
            "goals": {
                "100k_people_2M_ties": "under 10 s each way",
                "1M_people_20M_ties": "under 120 s each way, under 12 GiB",
            },
            "runs": runs,
        },
    )


if __name__ == "__main__":
    main()
