"""A small synthetic organisation for the app tests, with named people and one tiny group.

Five departments: four of 12 people and ``Legal`` with 3 (under the privacy threshold of 5).
Everyone has a name ``Name-<id>`` so a test can look for any name or id in a response.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from orgbridge.graph import OrgGraph

DEPARTMENTS = {"Finance": 12, "Engineering": 12, "Sales": 12, "Operations": 12, "Legal": 3}


def small_org(seed: int = 7) -> OrgGraph:
    """51 people in 5 departments; collaboration mostly inside departments; 2 mentoring pairs."""
    rng = np.random.default_rng(seed)
    rows = []
    for dept, size in DEPARTMENTS.items():
        for i in range(size):
            rows.append((f"{dept[:3].lower()}{i:02d}", dept))
    people = pd.DataFrame(rows, columns=["person_id", "department"])
    n = len(people)
    people["name"] = "Name-" + people["person_id"]
    people["level"] = [
        1 if pid.endswith("00") else int(rng.integers(2, 6)) for pid in people["person_id"]
    ]
    people["location"] = rng.choice(["North", "South"], size=n)
    heads = {d: f"{d[:3].lower()}00" for d in DEPARTMENTS}
    people["manager_id"] = [
        None if pid == heads[d] else heads[d]
        for pid, d in zip(people["person_id"], people["department"], strict=True)
    ]
    people.loc[people["person_id"] != "fin00", "manager_id"] = people["manager_id"].where(
        people["manager_id"].notna(), "fin00"
    )
    people["is_leader"] = people["level"] == 1
    people["opt_in"] = True
    people["capacity"] = 1
    ids = people["person_id"].to_numpy()
    dept = people["department"].to_numpy()
    ties = set()
    for _ in range(160):
        a, b = rng.integers(0, n, size=2)
        if a == b:
            continue
        if dept[a] != dept[b] and rng.random() < 0.8:
            continue
        ties.add((min(a, b), max(a, b)))
    collab = pd.DataFrame([(ids[a], ids[b]) for a, b in sorted(ties)], columns=["source", "target"])
    collab["layer"] = "collaboration"
    collab["weight"] = 1.0
    mentoring = pd.DataFrame(
        {
            "source": ["fin03", "eng04"],
            "target": ["sal05", "ope06"],
            "layer": "mentoring",
            "weight": 1.0,
        }
    )
    return OrgGraph.from_frames(people, pd.concat([collab, mentoring], ignore_index=True))


def person_strings(graph: OrgGraph) -> list[str]:
    """Every person_id and name of the organisation."""
    return [*graph.ids.astype(str), *graph.people["name"].astype(str)]
