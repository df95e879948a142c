"""Overview services: trends across snapshots, and the aggregate-only HTML report."""

from __future__ import annotations

import re

import numpy as np
import pytest

from orgbridge.app.auth import User
from orgbridge.app.services import Services
from orgbridge.errors import AccessDenied, ParameterError
from orgbridge.graph._workspace import Workspace
from tests.app.org import person_strings, small_org

EXEC = User("eve", "executive")
COORD = User("cora", "coordinator")


def _programme_share(graph: object) -> float:
    """Share of people with a current mentoring or sponsorship tie, counted by hand."""
    ties = graph.ties  # type: ignore[attr-defined]
    chosen = ties[ties["layer"].astype(str).isin(["mentoring", "sponsorship"])]
    people = set(np.asarray(chosen["source"]).tolist()) | set(np.asarray(chosen["target"]).tolist())
    return len(people) / graph.n_people  # type: ignore[attr-defined]


def test_trends_need_two_snapshots_and_match_each_snapshot(
    services: Services, workspace: Workspace
) -> None:
    assert len(services.trends(EXEC)) == 0
    workspace.save_graph(small_org(), log={"rows_in": 51, "rows_loaded": 51, "rows_rejected": 0})
    services._reset()
    trends = services.trends(EXEC)
    times = sorted(set(trends["snapshot"]))
    assert len(times) == 2
    assert set(trends["key"]) == {
        "ei_index",
        "modularity",
        "within_2_hops",
        "equity_gap",
        "coverage",
    }
    for at in times:
        expected = _programme_share(services.graph().snapshot(at))
        found = trends[(trends["snapshot"] == at) & (trends["key"] == "coverage")]["value"]
        assert found.iloc[0] == pytest.approx(expected)
    with pytest.raises(AccessDenied):
        services.trends(None)


def test_report_is_aggregate_only_for_every_role(services: Services) -> None:
    graph = small_org()
    for user in (EXEC, COORD):
        name, payload = services.report_html(user)
        page = payload.decode("utf-8")
        assert name == "orgbridge-report-department.html" and "<html" in page
        assert "Finance" in page  # a group of 12: shown
        assert not re.search(r"\bLegal\b", page)  # 3 people: pooled, never labelled
        leaked = [s for s in person_strings(graph) if re.search(rf"\b{re.escape(s)}\b", page)]
        assert leaked == [], leaked[:5]
    with pytest.raises(AccessDenied):
        services.report_html(None)
    with pytest.raises(ParameterError):
        services.report_html(EXEC, "person_id")
    audit = services.store.audit_log()  # type: ignore[attr-defined]
    assert audit["detail"].astype(str).str.contains("report").sum() == 2
