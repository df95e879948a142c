"""The silo between chosen groups, the node panel and saved views, per role and when forged."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd
import pytest

from orgbridge.app._views import VIEWS_FILE, ViewStore, check_view_id, clean_state
from orgbridge.app.auth import User
from orgbridge.app.services import Services
from orgbridge.errors import AccessDenied, ParameterError
from orgbridge.graph import INFORMAL_LAYERS
from tests.app.org import person_strings

EXEC = User("eve", "executive")
ANALYST = User("ann", "analyst")
COORD = User("cora", "coordinator")


@pytest.fixture
def views(services: Services, tmp_path: Path) -> Services:
    services.views = ViewStore(tmp_path / "app" / VIEWS_FILE)
    (tmp_path / "app").mkdir()
    return services


def _expected_bridges(services: Services, chosen: list[str]) -> pd.DataFrame:
    """People of the chosen departments tied to another chosen one, from the stored informal
    ties (what the map draws) with networkx, independently of the sparse-matrix code."""
    graph = services.graph()
    dept = dict(zip(graph.ids.astype(str), graph.people["department"].astype(str), strict=True))
    g = nx.Graph()
    ties = graph.ties.loc[graph.ties["layer"].isin(INFORMAL_LAYERS)]
    for s, t in zip(
        graph.ids.to_numpy()[ties["source"]], graph.ids.to_numpy()[ties["target"]], strict=True
    ):
        if s != t:
            g.add_edge(str(s), str(t))
    rows = []
    for person in g.nodes:
        if dept[person] not in chosen:
            continue
        across = [p for p in g.neighbors(person) if dept[p] in chosen and dept[p] != dept[person]]
        if across:
            reached = {dept[p] for p in across}
            rows.append((person, dept[person], len(across), len(reached)))
    return pd.DataFrame(rows, columns=["person_id", "group", "ties_across", "groups_reached"])


@pytest.mark.parametrize("chosen", [["Finance", "Sales"], ["Finance", "Sales", "Operations"]])
def test_silo_lists_exactly_the_people_who_bridge(services: Services, chosen: list[str]) -> None:
    expected = _expected_bridges(services, chosen)
    found = services.silo_between(COORD, group_by="department", groups=chosen)
    people = found["people"]
    names = "Name-" + expected["person_id"]
    assert sorted(people["person"]) == sorted(names)
    merged = people.merge(expected.assign(person=names), on="person", suffixes=("", "_x"))
    assert (merged["ties_across"] == merged["ties_across_x"]).all()
    assert (merged["groups_reached"] == merged["groups_reached_x"]).all()
    assert (merged["group"] == merged["group_x"]).all()
    assert set(found["view"].nodes["id"]) == set(expected["person_id"])
    # the analyst sees the same people under pseudonyms
    shown = services.silo_between(ANALYST, group_by="department", groups=chosen)["people"]
    assert len(shown) == len(expected) and shown["person"].str.startswith("P-").all()


def test_silo_pairs_count_ties_and_withhold_small_counts(services: Services) -> None:
    chosen = ["Finance", "Sales"]
    expected = _expected_bridges(services, chosen)
    found = services.silo_between(EXEC, group_by="department", groups=chosen)
    assert "people" not in found
    row = found["pairs"].iloc[0]
    assert row["ties"] == expected.loc[expected["group"] == "Finance", "ties_across"].sum()
    for side, group in (("bridging_a", "Finance"), ("bridging_b", "Sales")):
        count = int((expected["group"] == group).sum())
        assert row[side] == (count if count >= 5 else "fewer than 5")
    text = found["pairs"].to_csv() + found["view"].nodes.to_csv()
    assert not any(s in text for s in person_strings(services.graph()))
    assert set(found["view"].nodes["label"]) == set(chosen)


@pytest.mark.parametrize(
    "groups",
    [
        ["Finance"],
        ["Finance", "Legal"],  # under the threshold
        ["Finance", "Engineering"],  # drawn blank to protect Legal
        ["Finance", "fin00"],
        "Finance,Sales",
        [["Finance"], "Sales"],
        ["Finance", "Sales"] * 5,
        None,
    ],
)
def test_forged_group_lists_are_refused(services: Services, groups: Any) -> None:
    for user in (EXEC, ANALYST):
        with pytest.raises(ParameterError):
            services.silo_between(user, group_by="department", groups=groups)


def test_silo_people_refuse_a_special_grouping_and_anonymous(services: Services) -> None:
    with pytest.raises(AccessDenied):
        services.silo_between(None, group_by="department", groups=["Finance", "Sales"])
    with pytest.raises(ParameterError):
        services.silo_between(COORD, group_by="name", groups=["Finance", "Sales"])


def test_node_panel_by_role(services: Services) -> None:
    groups = services.network(EXEC, view="groups", group_by="department").nodes
    finance = groups.loc[groups["label"] == "Finance", "id"].iloc[0]
    details = services.map_node(EXEC, view="groups", group_by="department", node=finance)
    rows = dict(details["rows"])
    assert details["title"] == "Finance" and rows["people"] == "12"
    ei = services.silos(EXEC, "department")["ei"].set_index("group").loc["Finance", "ei_index"]
    assert rows["E-I index"] == f"{ei:,.3g}"
    blank = groups.loc[groups["label"] == "Engineering", "id"].iloc[0]
    withheld = services.map_node(EXEC, view="groups", group_by="department", node=blank)
    assert "withheld" in str(withheld["rows"])
    person = services.map_node(COORD, view="ego", group_by="department", node="fin06")
    assert person["title"] == "Name-fin06" and dict(person["rows"])["department"] == "Finance"
    pseudonymous = services.map_node(
        ANALYST, view="ego", group_by="department", node=str(services._public_ids(ANALYST)[6])
    )
    assert pseudonymous["title"].startswith("P-")


@pytest.mark.parametrize(
    ("user", "view", "node"),
    [
        (EXEC, "groups", "g99"),
        (EXEC, "groups", "fin06"),
        (EXEC, "ego", "fin06"),  # an executive asking for a person
        (EXEC, "between", "fin06"),
        (ANALYST, "ego", "fin06"),  # an analyst does not look people up by person_id
        (COORD, "ego", "no-one"),
        (COORD, "groups", {"id": "g1"}),
        (COORD, "nonsense", "g1"),
    ],
)
def test_forged_node_ids_are_refused(services: Services, user: User, view: str, node: Any) -> None:
    with pytest.raises((ParameterError, AccessDenied)):
        services.map_node(user, view=view, group_by="department", node=node)


def test_saved_view_restores_per_role(views: Services, tmp_path: Path) -> None:
    state = {"group_by": "department", "view": "ego", "person": "fin06", "steps": 2}
    view_id = views.save_view(COORD, "Finance lead", state)
    path = tmp_path / "app" / VIEWS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert views.restore_view(COORD, view_id)["person"] == "fin06"
    as_analyst = views.restore_view(ANALYST, view_id)
    assert as_analyst["person"] == str(views._public_ids(ANALYST)[6]) and as_analyst["steps"] == 2
    as_exec = views.restore_view(EXEC, view_id)
    assert "person" not in as_exec and "view" not in as_exec and "steps" in as_exec
    assert "person" in as_exec["note"]
    assert not any(s in json.dumps(as_exec) for s in person_strings(views.graph()))
    silo = views.save_view(
        EXEC, "Two groups", {"view": "between", "groups": ["Finance", "Sales"], "matrix": "density"}
    )
    restored = views.restore_view(ANALYST, silo)
    assert restored["groups"] == ["Finance", "Sales"] and restored["matrix"] == "density"


@pytest.mark.parametrize(
    "state",
    [
        {"group_by": "name"},
        {"view": "ego", "person": "Name-fin06"},
        {"view": "between", "groups": ["Finance", "Legal"]},
        {"group": "Legal"},
        {"colour": "name"},
        {"matrix": "people"},
    ],
)
def test_saving_a_forged_view_is_refused(views: Services, state: dict[str, Any]) -> None:
    with pytest.raises(ParameterError):
        views.save_view(COORD, "forged", state)


@pytest.mark.parametrize("name", ["", " ", "<script>", "a" * 61, None, ["x"], "../../etc"])
def test_view_names_are_validated(views: Services, name: Any) -> None:
    with pytest.raises(ParameterError, match="name"):
        views.save_view(COORD, name, {"view": "groups"})


@pytest.mark.parametrize("link", ["", "../views.json", "A" * 15, "A" * 17, None, ["x"], "é" * 16])
def test_hostile_links_find_no_view(views: Services, link: Any) -> None:
    assert check_view_id(link) is None
    with pytest.raises(ParameterError, match="no such saved view"):
        views.restore_view(ANALYST, link)


def test_an_edited_views_file_cannot_widen_a_view(views: Services, tmp_path: Path) -> None:
    view_id = views.save_view(COORD, "plain", {"view": "groups"})
    path = tmp_path / "app" / VIEWS_FILE
    stored = json.loads(path.read_text())
    stored[view_id]["state"] = {"view": "ego", "person": "fin06", "group_by": "name", "x": 1}
    path.write_text(json.dumps(stored))
    restored = views.restore_view(EXEC, view_id)
    assert set(restored) == {"name", "note"}
    assert clean_state({"steps": True, "min_share": 10**9, "groups": "Finance"}) == {}


def _save_many(path: str, owner: str, count: int) -> None:
    store = ViewStore(Path(path))
    for i in range(count):
        store.save(owner, "analyst", f"view {i}", "silos", {"group_by": "department"})


def test_views_saved_by_several_processes_at_once_are_all_kept(tmp_path: Path) -> None:
    """App processes serving one folder (gunicorn workers) save views at the same moment:
    none may overwrite another's save."""
    import multiprocessing

    path = tmp_path / VIEWS_FILE
    context = multiprocessing.get_context("fork")
    workers = [
        context.Process(target=_save_many, args=(str(path), f"user{k}", 25)) for k in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert len(saved) == 100
    assert sorted({v["owner"] for v in saved.values()}) == [f"user{k}" for k in range(4)]
