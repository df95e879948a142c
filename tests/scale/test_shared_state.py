"""What several app processes share, checked in one process with two Services on one store:
a save through one is followed by the other (the data stamp), a pending upload validated by
one is stored by the other, and an admin's setting changed by one is read by the other."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from orgbridge.app._settings import SETTINGS_FILE
from orgbridge.app.auth import User
from orgbridge.app.services import Services
from orgbridge.graph._workspace import Workspace
from tests.app.org import small_org

ADMIN = User("ada", "admin")


def _pair(workspace: Workspace, folder: Path) -> tuple[Services, Services]:
    made = []
    for _ in range(2):
        services = Services(workspace, pseudonym_key=b"test", scratch=folder)
        services._settings_file = folder / SETTINGS_FILE
        made.append(services)
    return made[0], made[1]


def test_a_save_through_one_is_followed_by_the_other(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws") as workspace:
        workspace.save_graph(small_org(), log={"rows_in": 1, "rows_loaded": 1, "rows_rejected": 0})
        one, other = _pair(workspace, tmp_path)
        before = other.graph().n_people
        assert other.overview(ADMIN)["people"] == before
        assert not other.refresh()  # nothing changed: the cache stays
        people = small_org().people
        extra = people.iloc[:3].assign(person_id=["x1", "x2", "x3"])
        csv = pd.concat([people, extra]).to_csv(index=False).encode()
        token = one.validate_upload(ADMIN, {"staff": ("staff.csv", csv)}, allow_shrink=True)
        assert other.store_upload(ADMIN, token["token"]).startswith("stored")  # the other one
        assert one.refresh()  # the one that did not save follows the store
        assert one.graph().n_people == before + 3
        assert one.overview(ADMIN)["people"] == before + 3
        assert not one.refresh()


def test_a_pending_upload_is_stored_once(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws") as workspace:
        workspace.save_graph(small_org(), log={"rows_in": 1, "rows_loaded": 1, "rows_rejected": 0})
        one, other = _pair(workspace, tmp_path)
        csv = small_org().people.to_csv(index=False).encode()
        token = one.validate_upload(ADMIN, {"staff": ("staff.csv", csv)})["token"]
        assert list(tmp_path.glob("pending-*.pickle"))
        other.store_upload(ADMIN, token)
        try:
            one.store_upload(ADMIN, token)
        except Exception as error:
            assert "no longer pending" in str(error)
        else:
            raise AssertionError("an upload was stored twice")
        assert not list(tmp_path.glob("pending-*")) and not list(tmp_path.glob(".taken-*"))


def test_a_setting_changed_through_one_is_read_by_the_other(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws") as workspace:
        workspace.save_graph(small_org(), log={"rows_in": 1, "rows_loaded": 1, "rows_rejected": 0})
        one, other = _pair(workspace, tmp_path)
        assert not other.special_grouping_enabled(ADMIN)
        one.set_special_grouping(ADMIN, True)
        other.refresh()
        assert other.special_grouping_enabled(ADMIN)
