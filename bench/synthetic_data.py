"""Cached synthetic datasets for the benchmarks: generate once, reuse from ``bench/data/``.

``ensure_dataset(100_000, 1)`` returns ``bench/data/100000_1/`` holding staff.csv,
projects.csv, pairs.csv, sponsorships.csv, collaboration.csv and README.txt. The default tie
density (mean degree 40) gives the sizes the ingest goals name: about 2,000,000 collaboration
ties at 100,000 people and 20,000,000 at 1,000,000. ``bench/data/`` is git-ignored.

Run ``python -m bench.synthetic_data 100000 1`` to build one and print how long it took.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from orgbridge.synthetic import FILES, generate_organisation, write_organisation

DATA = Path(__file__).resolve().parent / "data"
#: Ties per person in benchmark data: 20 ties per person, 40 ends.
BENCH_MEAN_DEGREE = 40.0


def dataset_name(n_people: int, seed: int, mean_degree: float = BENCH_MEAN_DEGREE) -> str:
    """Folder name of a dataset: ``<n>_<seed>``, plus ``_d<degree>`` off the default density."""
    name = f"{n_people}_{seed}"
    if mean_degree != BENCH_MEAN_DEGREE:
        name += f"_d{mean_degree:g}"
    return name


def ensure_dataset(
    n_people: int,
    seed: int,
    folder: str | Path | None = None,
    *,
    mean_degree: float = BENCH_MEAN_DEGREE,
) -> Path:
    """The folder of CSV files for ``n_people`` and ``seed``, generated on first use.

    Parameters
    ----------
    n_people, seed
        Passed to :func:`orgbridge.synthetic.generate_organisation`.
    folder
        Where datasets are cached (default ``bench/data``); the files go in
        ``folder/<n_people>_<seed>/``.
    mean_degree
        Collaboration ties per person (both ends counted).

    Returns
    -------
    Path
        The dataset folder. A dataset is complete once its README.txt exists: it is built in
        a temporary folder and moved into place, so an interrupted run never leaves half a
        dataset to be reused.
    """
    base = Path(folder) if folder is not None else DATA
    target = base / dataset_name(n_people, seed, mean_degree)
    if _complete(target):
        return target
    base.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".building-", dir=base))
    try:
        org = generate_organisation(n_people, seed=seed, mean_degree=mean_degree)
        write_organisation(org, building)
        del org
        if target.exists():
            shutil.rmtree(target)
        building.rename(target)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return target


def _complete(folder: Path) -> bool:
    return (folder / "README.txt").is_file() and all(
        (folder / name).is_file() for name in FILES.values()
    )


def main(argv: list[str]) -> int:
    n_people = int(argv[0]) if argv else 100_000
    seed = int(argv[1]) if len(argv) > 1 else 1
    start = time.perf_counter()
    path = ensure_dataset(n_people, seed)
    print(f"{path} ready in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
