from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from orgbridge.app.services import Services
from orgbridge.graph._workspace import Workspace
from tests.app.org import small_org


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace.open(tmp_path) as ws:
        ws.save_graph(small_org(), log={"rows_in": 51, "rows_loaded": 51, "rows_rejected": 0})
        yield ws


@pytest.fixture
def services(workspace: Workspace, tmp_path: Path) -> Services:
    return Services(workspace, pseudonym_key=b"test", scratch=tmp_path)
