"""Real data: Krackhardt's high-tech managers, Lazega's law firm, Viva Insights P2P exports.

Citations are in each tests/data/*/SOURCE.md (Krackhardt 1987; Lazega 2001; vivainsights 0.4.3).
Expected counts are computed from the raw files with the csv module, independently of orgbridge.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from orgbridge.graph import OrgGraph
from orgbridge.ingest import parse_staff, parse_ties, read_table, read_viva_p2p

DATA = Path(__file__).resolve().parent.parent / "data"


def raw_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def load_multiplex(folder: str, manager_layer: str | None) -> tuple[OrgGraph, list[dict[str, str]]]:
    nodes = read_table(DATA / folder / "nodes.csv")
    edges = read_table(DATA / folder / "edges.csv")
    staff_table = nodes.frame.copy()
    if manager_layer is not None:
        reports = edges.frame.loc[edges.frame["relation"] == manager_layer]
        staff_table["manager_id"] = staff_table["id"].map(
            dict(zip(reports["source"], reports["target"], strict=True))
        )
    staff = parse_staff(staff_table, file="nodes.csv", leader_rule="level<=2")
    known = staff.people["person_id"]
    ties = []
    for layer in sorted(set(edges.frame["relation"]) - {manager_layer}):
        part = edges.frame.loc[edges.frame["relation"] == layer, ["source", "target"]]
        parsed = parse_ties(part, file="edges.csv", layer=layer, known=known)
        assert parsed.report.rows_rejected == 0
        parsed.report.check_balance()
        ties.append(parsed.ties)
    graph = OrgGraph.from_frames(staff.people, pd.concat(ties))
    return graph, raw_rows(DATA / folder / "edges.csv")


def test_krackhardt_managers() -> None:
    graph, edges = load_multiplex("krackhardt_hightech", "reports_to")
    expected = Counter(row["relation"] for row in edges)
    assert graph.n_people == len(raw_rows(DATA / "krackhardt_hightech" / "nodes.csv")) == 21
    assert graph.tie_counts() == {
        "advice": expected["advice"],
        "friendship": expected["friendship"],
        "reports_to": expected["reports_to"],
    }
    assert expected["reports_to"] == 20
    people = graph.people.set_index("person_id")
    assert pd.isna(people.loc["7", "manager_id"])  # the CEO
    assert sorted(people.index[people["is_leader"].astype(bool)], key=int) == [
        "2",
        "7",
        "14",
        "18",
        "21",
    ]
    assert people["level"].tolist() == [
        int(r["level"]) for r in raw_rows(DATA / "krackhardt_hightech" / "nodes.csv")
    ]


def test_lazega_law_firm() -> None:
    graph, edges = load_multiplex("lazega_lawfirm", None)
    expected = Counter(row["relation"] for row in edges)
    assert graph.n_people == 71
    assert graph.tie_counts() == dict(expected)
    assert graph.people["location"].value_counts().sum() == 71  # "office" maps to location


@pytest.mark.parametrize(
    ("name", "score"),
    [("p2p_sample_query.csv", "Strong_tie_score"), ("p2p_sim_2000.csv", "StrongTieScore")],
)
def test_viva_samples(name: str, score: str) -> None:
    rows = raw_rows(DATA / "viva_p2p" / name)
    parsed = read_viva_p2p(DATA / "viva_p2p" / name)
    ids = {r["PrimaryCollaborator_PersonId"] for r in rows} | {
        r["SecondaryCollaborator_PersonId"] for r in rows
    }
    self_ties = sum(
        r["PrimaryCollaborator_PersonId"] == r["SecondaryCollaborator_PersonId"] for r in rows
    )
    report = parsed.report
    assert report.rows_in == len(rows)
    assert report.rows_rejected == self_ties
    assert len(parsed.ties) == len(rows) - self_ties
    assert parsed.people is not None
    assert len(parsed.people) == len(ids)
    assert parsed.ties["weight"].sum() == pytest.approx(
        sum(
            float(r[score])
            for r in rows
            if r["PrimaryCollaborator_PersonId"] != r["SecondaryCollaborator_PersonId"]
        )
    )
    assert set(parsed.ties["layer"]) == {"collaboration"}


def test_viva_simulated_attributes_are_taken_by_id() -> None:
    rows = raw_rows(DATA / "viva_p2p" / "p2p_sim_2000.csv")
    people = read_viva_p2p(DATA / "viva_p2p" / "p2p_sim_2000.csv").people
    assert people is not None
    assert list(people.columns) == ["person_id", "department", "level_label", "location"]
    truth: dict[str, tuple[str, str, str]] = {}
    for r in rows:
        for side in ("Primary", "Secondary"):
            p = f"{side}Collaborator_"
            truth[r[p + "PersonId"]] = (
                r[p + "Organization"],
                r[p + "LevelDesignation"],
                r[p + "City"],
            )
    got = {row[0]: tuple(row[1:]) for row in people.itertuples(index=False)}
    assert got == truth


def test_viva_sample_query_dates_become_start() -> None:
    parsed = read_viva_p2p(DATA / "viva_p2p" / "p2p_sample_query.csv")
    first = raw_rows(DATA / "viva_p2p" / "p2p_sample_query.csv")[0]["MetricDate"]
    day, month, year = (int(x) for x in first.split("/"))
    assert parsed.ties["start"].iloc[0] == pd.Timestamp(year=year, month=month, day=day)
    assert parsed.ties["start"].notna().all()
