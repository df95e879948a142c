"""Group-level views are computed once per grouping, shared by roles, and equal to a fresh
computation counted by hand from the ties and people (not from the app's cache)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from orgbridge.app.auth import User
from orgbridge.app.services import Services
from orgbridge.graph import INFORMAL_LAYERS

ANALYST, EXECUTIVE, COORDINATOR = (
    User("a", "analyst"),
    User("e", "executive"),
    User("c", "coordinator"),
)


def hand_counts(services: Services) -> pd.DataFrame:
    """Ties between (and within) departments over the informal layers, counted by hand."""
    graph = services.graph()
    ties = graph.explicit_ties()
    ties = ties[ties["layer"].astype(str).isin(INFORMAL_LAYERS)]
    dept = graph.people["department"].astype(str).to_numpy()
    a, b = dept[ties["source"].to_numpy()], dept[ties["target"].to_numpy()]
    pairs = pd.DataFrame({"a": np.minimum(a, b), "b": np.maximum(a, b)})
    counted = pairs.value_counts()
    names = sorted(set(dept))
    out = pd.DataFrame(0.0, index=names, columns=names)
    for (x, y), n in counted.items():
        out.loc[x, y] = out.loc[y, x] = float(n)
    return out


def test_cached_silo_tables_equal_a_hand_count_for_every_role(services: Services) -> None:
    first = services.silos(ANALYST, "department")
    again = services.silos(EXECUTIVE, "department")  # from the shared cache
    assert services._cache.ready(("view", "silos", "department"))
    expected = hand_counts(services)
    for found in (first, again):
        counts = found["counts"]
        shown = counts.stack().dropna()
        assert len(shown) >= 9  # the three fully shown departments, both ways
        for (row, column), value in shown.items():
            assert value == expected.loc[row, column], (row, column)
    pd.testing.assert_frame_equal(first["counts"], again["counts"])


def test_a_caller_cannot_change_what_the_next_one_gets(services: Services) -> None:
    found = services.exposure(ANALYST, "department")
    found["distribution"]["size"] = -1
    found["values"]["gini"] = 99.0
    again = services.exposure(EXECUTIVE, "department")
    assert again["values"]["gini"] != 99.0
    assert (pd.to_numeric(again["distribution"]["size"]).dropna() > 0).all()


def test_cached_exposure_distribution_equals_a_hand_count(services: Services) -> None:
    services.exposure(ANALYST, "department")
    found = services.exposure(COORDINATOR, "department")  # cached
    graph = services.graph()
    # leaders are the level-1 heads; hops by breadth-first search over informal ties, by hand
    ties = graph.explicit_ties()
    ties = ties[ties["layer"].astype(str).isin(INFORMAL_LAYERS)]
    neighbours: dict[int, set[int]] = {}
    for s, t in zip(ties["source"], ties["target"], strict=True):
        neighbours.setdefault(int(s), set()).add(int(t))
        neighbours.setdefault(int(t), set()).add(int(s))
    leaders = set(np.flatnonzero(graph.leader_mask()).tolist())
    hops = {p: 0 for p in leaders}
    frontier = list(leaders)
    while frontier:
        nxt = []
        for p in frontier:
            for q in neighbours.get(p, ()):
                if q not in hops:
                    hops[q] = hops[p] + 1
                    nxt.append(q)
        frontier = nxt
    dept = graph.people["department"].astype(str).to_numpy()
    rows = found["distribution"].set_index("group")
    compared = 0
    for group in ("Finance", "Sales", "Operations"):
        # the distribution is over non-leaders (leaders are at 0 hops by definition)
        members = np.flatnonzero((dept == group) & ~graph.leader_mask())
        if group not in rows.index or pd.isna(rows.loc[group, "size"]):
            continue
        within_1 = np.mean([hops.get(int(p), 99) == 1 for p in members])
        if "1 hop" in rows.columns and pd.notna(rows.loc[group, "1 hop"]):
            assert rows.loc[group, "1 hop"] == np.float64(within_1), group
            compared += 1
    assert compared >= 2


def test_cached_brokers_are_everyone_by_betweenness(services: Services) -> None:
    services.brokers(ANALYST, "department", 10)
    top = services.brokers(COORDINATOR, "department", 10)
    import networkx as nx

    graph = services.graph()
    ties = graph.explicit_ties()
    ties = ties[ties["layer"].astype(str).isin(INFORMAL_LAYERS)]
    nxg = nx.Graph()
    nxg.add_nodes_from(range(graph.n_people))
    nxg.add_edges_from(zip(ties["source"].tolist(), ties["target"].tolist(), strict=True))
    expected = sorted(nx.betweenness_centrality(nxg).values(), reverse=True)[:10]
    np.testing.assert_allclose(top["betweenness"].to_numpy(dtype=float), expected, atol=1e-12)
    names = graph.people["name"].astype(str)
    assert set(top["person"]).issubset(set(names))  # the coordinator sees names
