"""Services as plain functions: roles enforced on the server, privacy threshold applied."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from orgbridge.app.auth import User
from orgbridge.app.services import PERMISSIONS, Services, check_access, pseudonym
from orgbridge.errors import AccessDenied, ImportRejected, ParameterError
from orgbridge.programme import load_stored, undo_last
from tests.app.org import person_strings, small_org

EXEC = User("eve", "executive")
ANALYST = User("ann", "analyst")
COORD = User("cora", "coordinator")
ADMIN = User("ada", "admin")


def _text(value: Any) -> str:
    if isinstance(value, pd.DataFrame):
        return value.to_csv()
    if isinstance(value, dict):
        return json.dumps({k: _text(v) for k, v in value.items()}, default=str)
    if hasattr(value, "nodes"):
        return value.nodes.to_csv() + value.edges.to_csv() + str(value.note)
    return json.dumps(value, default=str)


def test_every_guarded_method_refuses_anonymous_callers(services: Services) -> None:
    guarded = [
        getattr(services, n) for n in dir(services) if hasattr(getattr(services, n), "permission")
    ]
    assert len(guarded) >= 15
    for method in guarded:
        with pytest.raises(AccessDenied, match="log in"):
            method(None)


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.brokers(EXEC),
        lambda s: s.people_options(EXEC, ""),
        lambda s: s.group_values(EXEC, "department"),
        lambda s: s.network(EXEC, view="group", group="Finance"),
        lambda s: s.network(EXEC, view="ego", person="fin01", steps=1),
        lambda s: s.recommend(EXEC, count=3),
        lambda s: s.decide(EXEC, [("fin01", "sal01")], kind="pair", decision="approve"),
        lambda s: s.export_proposals(EXEC, "csv"),
        lambda s: s.validate_upload(EXEC, {"staff": ("s.csv", b"person_id\nx\n")}),
        lambda s: s.recommend(ANALYST, count=3),
        lambda s: s.validate_upload(COORD, {"staff": ("s.csv", b"person_id\nx\n")}),
    ],
)
def test_person_level_and_actions_are_denied_by_role(services: Services, call: Any) -> None:
    with pytest.raises(AccessDenied, match="may not"):
        call(services)


def test_executive_aggregates_never_name_anyone(services: Services) -> None:
    strings = person_strings(small_org())
    results = [
        services.overview(EXEC),
        services.silos(EXEC),
        services.bridging(EXEC),
        services.network(EXEC),
        services.network(EXEC, colour_by="mean_exposure"),
        services.exposure(EXEC),
        services.programme(EXEC),
    ]
    text = "".join(_text(r) for r in results)
    assert [s for s in strings if s in text] == []
    assert services.programme(EXEC)["pairs"] is None


def test_small_groups_are_pooled_unlabelled_and_protected(services: Services) -> None:
    # Legal (3 people) is under the threshold; Engineering (the smallest other group, first
    # by name among the 12s) is hidden with it so that no total gives Legal back.
    silos = services.silos(EXEC)
    assert silos["suppressed"] == ["other groups"] and silos["hidden"] == 2
    assert "Legal" not in silos["counts"].index and "Legal" not in silos["counts"].columns
    assert silos["counts"].loc["other groups"].isna().all()
    assert silos["counts"].loc["Engineering"].isna().all()
    assert silos["counts"]["Engineering"].isna().all()
    assert not silos["counts"].loc["Finance", ["Sales"]].isna().any()
    ei = silos["ei"].set_index("group")
    assert "Legal" not in ei.index and bool(ei.loc["other groups", "suppressed"])
    assert "fewer than 5 people" in ei.loc["other groups", "note"]
    assert bool(ei.loc["Engineering", "suppressed"]) and pd.isna(ei.loc["Engineering", "size"])
    exposure = services.exposure(EXEC)
    assert {"Legal", "Engineering"}.isdisjoint(r["group"] for r in exposure["least_exposed"])
    dist = exposure["distribution"].set_index("group")
    # over non-leaders (Finance: 12 people, 1 leader), as the equity figures
    assert "Legal" not in dist.index and dist.loc["Finance", "size"] == 11
    assert "leader" not in dist.columns
    view = services.network(EXEC)
    assert not view.nodes["label"].str.contains("Legal").any()
    engineering = view.nodes[view.nodes["label"] == "Engineering"]
    assert np.isnan(engineering["size"].iloc[0])
    assert engineering["id"].iloc[0] not in set(view.edges["source"]) | set(view.edges["target"])
    assert "Legal" not in services.group_values(ANALYST, "department")
    with pytest.raises(ParameterError, match="offered values"):
        services.network(ANALYST, view="group", group="Legal")


def test_analysts_see_pseudonyms_and_coordinators_names(services: Services) -> None:
    graph = small_org()
    ids = set(graph.ids)
    brokers = services.brokers(ANALYST)
    assert brokers["person"].str.match(r"^P-[0-9a-f]{16}$").all()
    assert not set(brokers["person"]) & ids
    view = services.network(
        ANALYST, view="group", group="Finance", colour_by="exposure", size_by="degree"
    )
    assert len(view.nodes) == 12 and view.nodes["id"].str.startswith("P-").all()
    assert not any(name in _text(view) for name in graph.people["name"])
    named = services.network(COORD, view="group", group="Finance")
    assert set(named.nodes["label"]) == {f"Name-fin{i:02d}" for i in range(12)}
    pairs = services.programme(ANALYST)["pairs"]
    assert len(pairs) == 2 and pairs["a"].str.startswith("P-").all()


def test_ego_network_by_pseudonym_matches_by_id(services: Services) -> None:
    key = str(pseudonym(["fin03"], b"test")[0])
    by_pseudonym = services.network(ANALYST, view="ego", person=key, steps=1)
    by_id = services.network(COORD, view="ego", person="fin03", steps=1)
    assert len(by_pseudonym.nodes) == len(by_id.nodes) >= 2
    assert by_id.nodes["id"].iloc[0] == "fin03"
    with pytest.raises(ParameterError, match="1 to 3"):
        services.network(COORD, view="ego", person="fin03", steps=4)


def test_recommend_save_decide_export_round_trip(services: Services, workspace: Any) -> None:
    run = services.recommend(COORD, count=4)
    assert 1 <= len(run["proposals"]) <= 4
    assert all(p["a_label"].startswith("Name-") for p in run["proposals"])
    services.save_run(COORD, run)
    table = services.proposals(COORD)
    assert table["decision"].tolist() == [""] * len(table)
    a, b = table.loc[0, "a"], table.loc[0, "b"]
    services.decide(COORD, [(a, b)], kind=str(table.loc[0, "kind"]), decision="decline")
    assert services.proposals(COORD).loc[0, "decision"] == "declined"
    # a declined pair is never proposed again
    again = services.recommend(COORD, count=4)
    assert (a, b) not in {(p["a"], p["b"]) for p in again["proposals"]}
    name, payload = services.export_proposals(COORD, "csv")
    assert name.endswith(".csv") and payload.decode().startswith("a,b,")
    assert services.export_proposals(COORD, "xlsx")[1][:2] == b"PK"
    actions = workspace.audit_log()["action"].tolist()
    assert "recommend" in actions and actions.count("export") == 2


@pytest.mark.parametrize(
    ("objective", "target"),
    [("exposure", "best"), ("exposure-full", "full"), ("balanced", "best"), ("silo", "best")],
)
def test_each_app_objective_asks_the_recommender_for_its_target(
    services: Services, objective: str, target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import orgbridge.recommend as recommend

    seen: dict[str, Any] = {}
    real = recommend.recommend_pairs

    def spy(graph: Any, **call: Any) -> Any:
        seen.update(call)
        return real(graph, **call)

    monkeypatch.setattr(recommend, "recommend_pairs", spy)
    run = services.recommend(COORD, count=3, objective=objective)
    assert run["parameters"]["objective"] == objective
    assert (seen["objective"], seen["coverage_target"]) == (objective.split("-")[0], target)
    with pytest.raises(ParameterError):
        services.recommend(COORD, count=3, objective="exposure-fullest")


def test_a_decision_on_the_reversed_pair_counts_for_the_pair(
    services: Services, workspace: Any
) -> None:
    run = services.recommend(COORD, count=3)
    services.save_run(COORD, run)
    table = services.proposals(COORD)
    a, b, kind = table.loc[0, "a"], table.loc[0, "b"], str(table.loc[0, "kind"])
    services.decide(COORD, [(b, a)], kind=kind, decision="decline")  # reversed on purpose
    assert services.proposals(COORD).loc[0, "decision"] == "declined"
    matches = load_stored(workspace).state.matches
    stored = matches.loc[matches["status"] == "declined"].iloc[-1]
    assert (stored["a"], stored["b"]) == tuple(sorted((a, b)))
    again = services.recommend(COORD, count=3)
    assert {a, b} not in [{p["a"], p["b"]} for p in again["proposals"]]
    # a decided pair is not silently overwritten: undo first, then decide again
    with pytest.raises(ParameterError, match="only proposals can be decided"):
        services.decide(COORD, [(a, b)], kind=kind, decision="lock")
    undo_last(workspace, by=COORD.username, at=pd.Timestamp.now())
    services.decide(COORD, [(a, b)], kind=kind, decision="lock")
    assert services.proposals(COORD).loc[0, "decision"] == "approved"


def test_upload_is_validated_before_it_is_stored(services: Services, workspace: Any) -> None:
    staff = (
        b"person_id,name,department,manager_id\n"
        b"x1,X One,Finance,\nx2,X Two,Finance,x1\nx3,,Finance,nobody\n"
    )
    with pytest.raises(ImportRejected, match="remove 51 of the 51 people stored"):
        services.validate_upload(ADMIN, {"staff": ("staff.csv", staff)})
    checked = services.validate_upload(ADMIN, {"staff": ("staff.csv", staff)}, allow_shrink=True)
    report = checked["report"]
    assert (
        report["rows_in"] == 3
        and report["rows_in"] == report["rows_loaded"] + report["rows_rejected"]
    )
    assert workspace.load_graph().n_people == 51  # nothing stored yet
    message = services.store_upload(ADMIN, checked["token"])
    assert "stored" in message
    assert workspace.load_graph().n_people == report["people"]
    assert services.graph().n_people == report["people"]
    with pytest.raises(ParameterError, match="no longer pending"):
        services.store_upload(ADMIN, checked["token"])


def test_check_access_matrix() -> None:
    assert check_access(ADMIN, "data") is ADMIN
    for permission, roles in PERMISSIONS.items():
        for role in ("admin", "analyst", "coordinator", "executive"):
            user = User("u", role)
            if role in roles:
                check_access(user, permission)
            else:
                with pytest.raises(AccessDenied):
                    check_access(user, permission)


def test_special_grouping_is_an_admins_choice_and_aggregate_only(tmp_path: Any) -> None:
    from orgbridge.app._settings import load_settings
    from orgbridge.graph import OrgGraph, Workspace

    graph = small_org()
    people = graph.people.assign(gender=["f" if i % 2 else "m" for i in range(graph.n_people)])
    with Workspace.open(tmp_path) as ws:
        ws.save_graph(OrgGraph(people, graph.explicit_ties(), special=["gender"]), log={})
        services = Services(ws, pseudonym_key=b"k")
        services._settings_file = tmp_path / "settings.json"
        assert "gender" not in services.group_attributes(EXEC)
        with pytest.raises(ParameterError, match="special category"):
            services.exposure(EXEC, "gender")
        with pytest.raises(AccessDenied):
            services.set_special_grouping(COORD, True)
        services.set_special_grouping(ADMIN, ["on"])
        assert load_settings(tmp_path / "settings.json")["special_grouping"] is True
        assert "gender" in services.group_attributes(EXEC)
        assert services.exposure(EXEC, "gender")["group_by"] == "gender"
        # aggregate-only: never beside people, for any role
        for call in (
            lambda: services.brokers(COORD, "gender"),
            lambda: services.group_values(COORD, "gender"),
            lambda: services.network(COORD, view="group", group_by="gender", group="f"),
            lambda: services.network(ANALYST, view="ego", person="x", group_by="gender"),
        ):
            with pytest.raises(ParameterError, match=r"special category|aggregates only"):
                call()
        actions = ws.audit_log()["action"].tolist()
        assert "settings" in actions
