"""Regenerate the bundled sample organisation in ``examples/sample/`` (1,500 people, seed 42).

Run from the repository root: ``.venv/bin/python examples/make_sample.py``.
"""

from __future__ import annotations

from pathlib import Path

from orgbridge.synthetic import (
    generate_organisation,
    programme_activity,
    write_organisation,
    write_programme,
)

SAMPLE = Path(__file__).resolve().parent / "sample"


def main() -> None:
    org = generate_organisation(1_500, seed=42)
    for name, path in write_organisation(org, SAMPLE).items():
        print(f"{name:14} {path.relative_to(SAMPLE.parent)} ({path.stat().st_size:,} bytes)")
    # a living programme: three yearly cycles (the app's Programme pages show it after `make run`)
    programme = programme_activity(
        org.staff, reference_date=str(org.parameters["reference_date"]), seed=42
    )
    for name, path in write_programme(programme, SAMPLE / "programme").items():
        print(f"{name:14} {path.relative_to(SAMPLE.parent)} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
