"""Services: the precomputed standard analysis, the split Silos results, map search,
programme before/after across snapshots, and uploads with a mapping and leader rule."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from orgbridge.app import figures
from orgbridge.app.auth import User
from orgbridge.app.pages.silos import status_text
from orgbridge.app.services import Services
from orgbridge.errors import AccessDenied, ParameterError
from orgbridge.graph import OrgGraph
from orgbridge.graph._workspace import Workspace
from tests.app.org import person_strings, small_org

EXEC = User("eve", "executive")
ANALYST = User("ann", "analyst")
COORD = User("cora", "coordinator")
ADMIN = User("ada", "admin")

STANDARD = [
    ("exposure",),
    ("equity", "department"),
    ("ei", "department"),
    ("group_ties", "department"),
    ("modularity", "department"),
    ("groups_tied", "department"),
    ("bridging", "department"),
    ("constraint",),
    ("effective_size",),
    ("communities", "department"),
    ("betweenness",),
]


def test_precompute_fills_the_shared_cache(services: Services) -> None:
    assert not any(services._cache.ready(key) for key in STANDARD)
    status = services.precompute()
    assert status == {
        "running": False,
        "done": 14,
        "total": 14,
        "step": None,
        "error": None,
        "saved": None,  # nothing saved by an analysis: computed here
    }
    assert [key for key in STANDARD if not services._cache.ready(key)] == []


def test_background_precompute_and_pages_agree(services: Services) -> None:
    thread = services.start_precompute()
    assert services.precompute_status()["running"] or not thread.is_alive()
    silos = services.silos(EXEC)  # may wait on the thread's slots, never computes twice
    thread.join(60)
    assert not thread.is_alive() and services.precompute_status()["done"] == 14
    fresh = Services(services.store, pseudonym_key=b"test")
    pd.testing.assert_frame_equal(silos["counts"], fresh.silos(EXEC)["counts"])
    assert silos["modularity"] == fresh.silos(EXEC)["modularity"]


def test_status_text_shows_progress_then_stops_polling() -> None:
    text, stop = status_text(
        {"running": True, "done": 2, "total": 12, "step": "betweenness", "error": None}
    )
    assert "2 of 12" in text and "betweenness" in text and not stop
    text, stop = status_text(
        {"running": False, "done": 14, "total": 14, "step": None, "error": "x: y"}
    )
    assert "could not be computed: x: y" in text and stop


def test_communities_come_apart_from_the_silos(services: Services) -> None:
    assert "communities" not in services.silos(EXEC)
    found = services.communities(EXEC)
    assert found["count"] >= 1 and 0.0 <= found["nmi"] <= 1.0
    cross = found["crosstab"]
    # Legal (3 people) is pooled, unlabelled; Engineering is hidden to protect it
    assert "Legal" not in cross.columns and cross["other groups"].isna().all()
    assert cross["Engineering"].isna().all() and cross["Finance"].notna().any()
    text = cross.to_csv()
    assert [s for s in person_strings(small_org()) if s in text] == []


def test_brokers_have_effective_size(services: Services) -> None:
    table = services.brokers(COORD)
    assert {"betweenness", "constraint", "effective_size", "groups_tied"} <= set(table.columns)
    ordered = table["betweenness"].to_numpy(dtype=float)
    assert (ordered[:-1] >= ordered[1:]).all()


def test_map_search_highlights_groups_for_everyone_and_people_for_people_roles(
    services: Services,
) -> None:
    groups = figures.cytoscape_elements(services.network(EXEC))
    found = services.map_search(EXEC, groups, "fin")
    assert len(found["matches"]) == 1
    node = next(e for e in groups if e["data"]["id"] == found["matches"][0])
    assert node["data"]["label"] == "Finance"
    people = figures.cytoscape_elements(services.network(COORD, view="group", group="Finance"))
    assert services.map_search(COORD, people, "Name-fin03")["matches"] == ["fin03"]
    # an executive never matches a person, even when handed person elements
    assert services.map_search(EXEC, people, "Name-fin03")["matches"] == []
    assert "no group" in services.map_search(EXEC, groups, "zzz")["note"]
    assert services.map_search(COORD, people, "")["matches"] == []
    with pytest.raises(AccessDenied):
        services.map_search(None, groups, "fin")
    sheet = figures.highlight_stylesheet(figures.cytoscape_stylesheet(_view(services)), ["fin03"])
    assert sheet[-1]["selector"] == 'node[id = "fin03"]'
    assert len(figures.highlight_stylesheet(sheet, [])) == len(sheet) - 1


def _view(services: Services) -> Any:
    return services.network(COORD, view="group", group="Finance")


def _dated_org() -> OrgGraph:
    """small_org with mentoring pairs that started on two dates (one already ended)."""
    base = small_org()
    ties = base.tie_table()
    ties = ties[ties["layer"].astype(str) == "collaboration"]
    mentoring = pd.DataFrame(
        {
            "source": ["fin03", "eng04", "sal01", "ope02", "fin05"],
            "target": ["sal05", "ope06", "eng07", "fin08", "eng09"],
            "layer": "mentoring",
            "weight": 1.0,
            "start": pd.to_datetime(
                ["2024-01-01", "2024-01-01", "2024-06-01", "2024-06-01", "2024-06-01"]
            ),
            "end": pd.to_datetime(pd.Series(["2024-03-31", None, None, None, None])),
        }
    )
    people = base.people
    return OrgGraph.from_frames(people, pd.concat([ties, mentoring], ignore_index=True))


def test_programme_history_compares_each_start_date_with_now(tmp_path: Path) -> None:
    with Workspace.open(tmp_path) as ws:
        ws.save_graph(_dated_org(), log={"rows_in": 51, "rows_loaded": 51, "rows_rejected": 0})
        services = Services(ws, pseudonym_key=b"test")
        history = services.programme_history(EXEC, today=pd.Timestamp("2025-01-01"))
    assert history["snapshot"].unique().tolist() == ["2024-01-01", "2024-06-01", "now"]
    table = history.set_index(["snapshot", "group"])
    # 2024-01-01: fin03 and eng04 in pairs; by 2024-06-01 fin03's pair has ended and
    # fin05, fin08, eng07 and eng09 have joined
    assert table.loc[("2024-01-01", "Finance"), "coverage"] == pytest.approx(1 / 12)
    assert table.loc[("2024-01-01", "Operations"), "coverage"] == pytest.approx(1 / 12)
    # Engineering (12) is hidden so that Legal (3) cannot be worked out from the totals
    assert history.loc[history["group"] == "Engineering", "coverage"].isna().all()
    assert table.loc[("2024-06-01", "Finance"), "coverage"] == pytest.approx(2 / 12)
    assert table.loc[("now", "Operations"), "coverage"] == pytest.approx(2 / 12)
    assert table.loc[("2024-01-01", "Sales"), "coverage"] == pytest.approx(1 / 12)
    assert not history["group"].eq("Legal").any()
    legal = history[history["group"] == "other groups"]
    assert legal["suppressed"].all() and legal["coverage"].isna().all()
    assert legal["share_within_2_hops"].isna().all()
    shares = pd.to_numeric(history["share_within_2_hops"], errors="coerce").dropna()
    assert len(shares) == 9 and shares.between(0, 1).all()
    text = history.to_csv() + json.dumps(figures.grid_rows(history), default=str)
    assert [s for s in person_strings(small_org()) if s in text] == []
    figure = figures.programme_history_figure(history, "coverage")
    assert {trace.name for trace in figure.data} == {
        "Finance",
        "Operations",
        "Sales",
    }
    # a date axis: snapshots are dates, "now" is today's date
    assert figure.layout.xaxis.type == "date"
    today = pd.Timestamp.now().strftime("%Y-%m-%d")
    assert all(pd.Timestamp(x) <= pd.Timestamp(today) for t in figure.data for x in t.x)
    assert "2024-01-01" in figure.data[0].x and today in figure.data[0].x


def test_programme_history_without_dates_is_now_only(services: Services) -> None:
    history = services.programme_history(ANALYST)
    assert history["snapshot"].unique().tolist() == ["now"]


STAFF = (
    b"Wrk #,Full name,Dept,Boss,Grade\n"
    b"x1,X One,Finance,,9\nx2,X Two,Finance,x1,3\nx3,X Three,Finance,x1,8\n"
    b"x4,X Four,Finance,x1,2\nx5,X Five,Finance,nobody,2\n,No Id,Finance,x1,2\n"
)
MAPPING = json.dumps(
    {
        "columns": {
            "Wrk #": "person_id",
            "Full name": "name",
            "Dept": "department",
            "Boss": "manager_id",
            "Grade": "level",
        },
        "leader_rule": "level>=9",
    }
).encode()


def test_upload_with_a_mapping_and_a_leader_rule(services: Services, workspace: Any) -> None:
    checked = services.validate_upload(
        ADMIN, {"staff": ("staff.csv", STAFF)}, mapping=("map.json", MAPPING), allow_shrink=True
    )
    report = checked["report"]
    assert (report["rows_in"], report["rows_loaded"], report["rows_rejected"]) == (6, 5, 1)
    assert any("nobody" in w["message"] for w in report["warnings"])  # x5's boss is unknown
    assert report["errors"] and report["errors"][0]["row"] == 7  # the row without an id
    assert workspace.load_graph().n_people == 51  # nothing stored before confirming
    services.store_upload(ADMIN, checked["token"])
    stored = workspace.load_graph()
    assert stored.people.set_index("person_id")["is_leader"].to_dict()["x1"]
    assert not stored.people.set_index("person_id")["is_leader"].to_dict()["x3"]

    overridden = services.validate_upload(
        ADMIN,
        {"staff": ("staff.csv", STAFF)},
        mapping=("map.json", MAPPING),
        leader_rule="level>=8",
        allow_shrink=True,
    )
    services.store_upload(ADMIN, overridden["token"])
    leaders = workspace.load_graph().people.set_index("person_id")["is_leader"]
    assert bool(leaders["x1"]) and bool(leaders["x3"])


def test_a_mapping_must_be_json_or_csv(services: Services) -> None:
    with pytest.raises(ParameterError, match=r"\.json or \.csv"):
        services.validate_upload(
            ADMIN, {"staff": ("staff.csv", STAFF)}, mapping=("map.txt", MAPPING)
        )


def test_a_confirmed_upload_restarts_the_precompute(services: Services) -> None:
    services.start_precompute().join(60)
    staff = b"person_id,name,department,manager_id,is_leader\n" + b"".join(
        f"p{i},P {i},Finance,{'' if i == 0 else 'p0'},{i == 0}\n".encode() for i in range(6)
    )
    checked = services.validate_upload(ADMIN, {"staff": ("staff.csv", staff)}, allow_shrink=True)
    services.store_upload(ADMIN, checked["token"])
    thread = services._precompute
    assert thread is not None
    thread.join(60)
    assert services.graph().n_people == 6
    status = services.precompute_status()
    assert (status["done"], status["error"]) == (14, None)
    assert services._cache.ready(("exposure",)) and services._cache.ready(("betweenness",))
