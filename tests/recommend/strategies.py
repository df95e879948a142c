"""Hypothesis strategies: small random organisations and constraints for the recommender."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from orgbridge.graph import OrgGraph


def random_org(seed: int, n: int, *, departments: int = 3, tie_share: float = 0.15) -> OrgGraph:
    """A random organisation: manager forest, levels, departments, collaboration and history."""
    rng = np.random.default_rng(seed)
    ids = [f"P{i:03d}" for i in range(n)]
    managers: list[str | None] = [None]
    for i in range(1, n):
        managers.append(ids[int(rng.integers(0, i))] if rng.random() < 0.8 else None)
    people = pd.DataFrame(
        {
            "person_id": ids,
            "name": [f"Name {i}" for i in range(n)],
            "department": rng.choice([f"D{k}" for k in range(departments)], n),
            "location": rng.choice(["Leeds", "Lyon", "Lima"], n),
            "level": rng.integers(1, 6, n),
            "manager_id": managers,
            "is_leader": rng.random(n) < 0.15,
            "opt_in": rng.random(n) < 0.8,
            "capacity": rng.integers(1, 3, n),
            "skills_offered": rng.choice(["python;sql", "negotiation", "sql", ""], n),
            "skills_wanted": rng.choice(["negotiation", "python", "sql;finance", ""], n),
        }
    )
    people.loc[0, "is_leader"] = True
    i, j = np.triu_indices(n, k=1)
    pick = rng.random(i.size) < tie_share
    layer = rng.choice(["collaboration", "collaboration", "mentoring"], int(pick.sum()))
    ties = pd.DataFrame(
        {
            "source": [ids[k] for k in i[pick]],
            "target": [ids[k] for k in j[pick]],
            "layer": layer,
        }
    )
    return OrgGraph.from_frames(people, ties)


orgs = st.builds(
    random_org,
    seed=st.integers(0, 10_000),
    n=st.integers(4, 24),
    departments=st.integers(1, 4),
    tie_share=st.sampled_from([0.0, 0.08, 0.2]),
)
