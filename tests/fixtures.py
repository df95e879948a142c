"""Tiny named organisations shared by the tests.

- :func:`two_silos`: two departments of four, each a clique, joined by one tie.
- :func:`star_leader`: one leader tied to four people in two departments, and one isolate.
- :func:`krackhardt`: the 21 Krackhardt high-tech managers (Krackhardt 1987), one relation.
- :func:`lazega`: the 71 lawyers of Lazega's law firm (Lazega 2001), one relation.

The real data sets live in ``tests/data/`` with their ``SOURCE.md`` (origin and citation). Ties
of the chosen relation are loaded into the ``collaboration`` layer, so metrics run on them with
their default layers; the original relation is kept in ``graph.metadata["relation"]``. Graphs
are built with :meth:`OrgGraph.from_frames`, not through the ingest package, so the metric
tests do not depend on it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from orgbridge.graph import OrgGraph

DATA = Path(__file__).parent / "data"

__all__ = [
    "DATA",
    "krackhardt",
    "lazega",
    "random_org",
    "relabelled",
    "simple_graph",
    "star_leader",
    "two_silos",
]


def two_silos() -> OrgGraph:
    """Departments A (a1..a4) and B (b1..b4), each fully tied inside, bridged by a1-b1.

    a1 is the only leader; a2..a4 report to a1, b2..b4 to b1, and b1 to a1. Ties are
    collaboration ties of weight 1 inside A, 2 inside B and 3 on the bridge.
    """
    people = pd.DataFrame(
        {
            "person_id": ["a1", "a2", "a3", "a4", "b1", "b2", "b3", "b4"],
            "department": ["A"] * 4 + ["B"] * 4,
            "level": [1, 3, 3, 3, 2, 3, 3, 3],
            "location": ["North", "North", "South", "South"] * 2,
            "manager_id": [None, "a1", "a1", "a1", "a1", "b1", "b1", "b1"],
            "is_leader": [True] + [False] * 7,
        }
    )
    rows = []
    for dept, weight in (("a", 1.0), ("b", 2.0)):
        members = [f"{dept}{i}" for i in range(1, 5)]
        rows += [(u, v, weight) for i, u in enumerate(members) for v in members[i + 1 :]]
    rows.append(("a1", "b1", 3.0))
    ties = pd.DataFrame(rows, columns=["source", "target", "weight"]).assign(layer="collaboration")
    return OrgGraph.from_frames(people, ties)


def star_leader() -> OrgGraph:
    """Leader L (department Exec) tied to p1, p2 (Sales) and p3, p4 (Ops); p5 (Ops) is isolated.

    Everyone reports to L. Ties are mentoring ties of weight 1.
    """
    people = pd.DataFrame(
        {
            "person_id": ["L", "p1", "p2", "p3", "p4", "p5"],
            "department": ["Exec", "Sales", "Sales", "Ops", "Ops", "Ops"],
            "level": [1, 3, 3, 3, 3, 3],
            "location": ["HQ", "HQ", "HQ", "Remote", "Remote", None],
            "manager_id": [None, "L", "L", "L", "L", "L"],
            "is_leader": [True, False, False, False, False, False],
        }
    )
    ties = pd.DataFrame(
        {"source": ["L"] * 4, "target": ["p1", "p2", "p3", "p4"], "layer": "mentoring"}
    )
    return OrgGraph.from_frames(people, ties)


@cache
def _read(folder: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    nodes = pd.read_csv(DATA / folder / "nodes.csv")
    edges = pd.read_csv(DATA / folder / "edges.csv")
    return nodes, edges


def krackhardt(relation: str = "advice") -> OrgGraph:
    """The Krackhardt high-tech managers with one relation (advice or friendship).

    People are ``"1"``..``"21"`` with ``department`` as its code in text (``"0"`` is the CEO,
    node 7, who has no department: he is a group of one), ``level`` (1 CEO, 2 VP, 3 manager),
    ``age``, ``tenure_years``, ``manager_id`` from the reports_to relation and ``is_leader``
    for levels 1 and 2. Ties are the directed arcs of ``relation`` in the collaboration layer.
    """
    nodes, edges = _read("krackhardt_hightech")
    manager = edges[edges["relation"] == "reports_to"]
    manager_of = dict(
        zip(manager["source"].astype(str), manager["target"].astype(str), strict=True)
    )
    ids = nodes["id"].astype(str)
    people = pd.DataFrame(
        {
            "person_id": ids,
            "department": nodes["department"].astype(str),
            "level": nodes["level"].astype("int64"),
            "age": nodes["age"],
            "tenure_years": nodes["tenure_years"],
            "manager_id": ids.map(manager_of),
            "is_leader": (nodes["level"] <= 2).to_numpy(),
        }
    )
    return OrgGraph.from_frames(
        people, _ties(edges, relation), metadata={"relation": relation, "source": "Krackhardt 1987"}
    )


OFFICES = {1: "Boston", 2: "Hartford", 3: "Providence"}
PRACTICES = {1: "litigation", 2: "corporate"}
STATUS = {1: "partner", 2: "associate"}


def lazega(relation: str = "advice") -> OrgGraph:
    """Lazega's law firm with one relation (advice, friendship or cowork).

    People are ``"1"``..``"71"`` with ``office`` (Boston, Hartford, Providence), ``status``
    (partner, associate), ``department`` = the practice (litigation, corporate), ``gender``,
    ``years_with_firm``, ``age``, ``law_school``, and ``is_leader`` for partners. No manager line.
    """
    nodes, edges = _read("lazega_lawfirm")
    people = pd.DataFrame(
        {
            "person_id": nodes["id"].astype(str),
            "office": nodes["office"].map(OFFICES),
            "status": nodes["status"].map(STATUS),
            "department": nodes["practice"].map(PRACTICES),
            "gender": nodes["gender"],
            "years_with_firm": nodes["years_with_firm"],
            "age": nodes["age"],
            "law_school": nodes["law_school"],
            "is_leader": (nodes["status"] == 1).to_numpy(),
        }
    )
    return OrgGraph.from_frames(
        people, _ties(edges, relation), metadata={"relation": relation, "source": "Lazega 2001"}
    )


def _ties(edges: pd.DataFrame, relation: str) -> pd.DataFrame:
    chosen = edges[edges["relation"] == relation]
    if chosen.empty:
        raise ValueError(f"no {relation!r} ties; have {sorted(set(edges['relation']))}")
    return pd.DataFrame(
        {
            "source": chosen["source"].astype(str).to_numpy(),
            "target": chosen["target"].astype(str).to_numpy(),
            "layer": "collaboration",
        }
    )


def random_org(n: int, p: float, seed: int, *, n_departments: int = 3) -> OrgGraph:
    """A G(n, p) organisation (``nx.gnp_random_graph(n, p, seed)``) with random departments.

    Departments are ``D0``.. with about one person in ten missing one; levels 1..4; tie weights
    are 1, 2 or 4: whole numbers (a weighted tie can be mirrored by parallel edges) whose path
    lengths ``1 / weight`` add up exactly in binary, so equally short weighted paths compare
    equal in every library.
    """
    rng = np.random.default_rng(seed)
    edges = np.array(list(nx.gnp_random_graph(n, p, seed=seed).edges()), dtype=np.int64)
    edges = edges.reshape(-1, 2)
    departments = np.array([f"D{i}" for i in rng.integers(0, n_departments, n)], dtype=object)
    departments[rng.random(n) < 0.1] = None
    people = pd.DataFrame(
        {
            "person_id": [f"p{i}" for i in range(n)],
            "department": departments,
            "level": rng.integers(1, 5, n),
        }
    )
    ties = pd.DataFrame(
        {
            "source": edges[:, 0].astype(np.int32),
            "target": edges[:, 1].astype(np.int32),
            "layer": "collaboration",
            "weight": rng.choice([1.0, 2.0, 4.0], len(edges)),
        }
    )
    return OrgGraph(people, ties)


def relabelled(graph: OrgGraph, seed: int) -> tuple[OrgGraph, np.ndarray, dict[str, str]]:
    """The same organisation with people in a random order under new ids.

    Returns the new graph, ``order`` (new position i holds old position ``order[i]``) and the
    old-id -> new-id mapping.
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(graph.n_people)
    rename = {old: f"x{rng.integers(10**9)}_{i}" for i, old in enumerate(graph.ids)}
    people = graph.people.iloc[order].reset_index(drop=True)
    people["person_id"] = people["person_id"].map(rename)
    if "manager_id" in people.columns:
        people["manager_id"] = people["manager_id"].map(rename)
    ties = graph.tie_table("all")
    ties = ties[ties["layer"] != "reports_to"].copy()
    ties["source"] = ties["source"].map(rename)
    ties["target"] = ties["target"].map(rename)
    new = OrgGraph.from_frames(people, ties, special=graph.special, metadata=graph.metadata)
    return new, order, rename


def simple_graph(graph: OrgGraph, layers: str | None = None) -> nx.Graph:
    """The undirected networkx Graph the metrics see: nodes are positions, edges carry
    ``weight`` (summed) and ``length`` (1 / weight)."""
    src, dst, weight = graph.edge_arrays(layers)
    out = nx.Graph()
    out.add_nodes_from(range(graph.n_people))
    out.add_edges_from(
        (int(a), int(b), {"weight": float(w), "length": 1.0 / float(w)})
        for a, b, w in zip(src, dst, weight, strict=True)
    )
    return out
