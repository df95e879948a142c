"""Data services: uploads validated before anything is stored."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Any

from orgbridge.app._access import requires
from orgbridge.app._services_base import (
    ServicesBase,
)
from orgbridge.app.auth import User
from orgbridge.errors import ParameterError
from orgbridge.graph._private import tighten

__all__ = ["DataServices"]


class DataServices(ServicesBase):
    """Data services: uploads validated before anything is stored."""

    @requires("data")
    def validate_upload(
        self,
        user: User | None,
        files: dict[str, tuple[str, bytes]],
        *,
        mapping: tuple[str, bytes] | None = None,
        leader_rule: str | None = None,
    ) -> dict[str, Any]:
        """Check uploaded files against the stored organisation; store nothing yet.

        ``files`` maps a kind (staff, projects, pairs, sponsorships, viva_p2p) to
        ``(file name, bytes)``; ``mapping`` is an optional column-mapping file (JSON or CSV)
        as ``(file name, bytes)``, and ``leader_rule`` an optional rule saying who is a leader
        (it overrides the mapping's). Returns ``{"token", "report"}``; pass the token to
        :meth:`store_upload` to save.
        """
        from orgbridge.ingest import Sources, prepare_import

        if not files:
            raise ParameterError("upload at least one file first")
        folder = Path(tempfile.mkdtemp(prefix="upload-", dir=self._scratch))
        paths: dict[str, Any] = {}
        for kind, (filename, payload) in files.items():
            if kind not in ("staff", "projects", "pairs", "sponsorships", "viva_p2p"):
                raise ParameterError(f"unknown kind of file {kind!r}")
            safe = Path(filename).name or f"{kind}.csv"
            path = folder / kind / safe
            path.parent.mkdir()
            path.write_bytes(payload)
            paths[kind] = path
        if mapping is not None:
            name = Path(mapping[0]).name
            if Path(name).suffix.lower() not in (".json", ".csv"):
                raise ParameterError(f"a mapping file is .json or .csv (got {name!r})")
            paths["mapping"] = folder / "mapping" / name
            paths["mapping"].parent.mkdir()
            paths["mapping"].write_bytes(mapping[1])
        tighten(folder)  # the uploaded files owner-only, whatever the umask
        rule = (leader_rule or "").strip()
        if rule:
            paths["leader_rule"] = rule
        prepared = prepare_import(Sources(**paths), existing=self.graph(), strict=False)
        token = uuid.uuid4().hex
        with self._lock:
            self._staged = {token: prepared}  # only the latest upload can be confirmed
        return {"token": token, "report": prepared.report.to_dict()}

    @requires("data")
    def store_upload(self, user: User | None, token: str) -> str:
        """Save a validated upload in one transaction, audit it, and refresh every view."""
        assert user is not None
        with self._lock:
            prepared = self._staged.pop(token, None)
        if prepared is None:
            raise ParameterError("that upload is no longer pending: validate the files again")
        report = prepared.report.to_dict()
        self.store.save_graph(prepared.graph, log=report)
        self.store.audit(
            "import",
            by=user.username,
            detail={k: report[k] for k in ("people", "rows_in", "rows_loaded", "rows_rejected")},
        )
        self._reset()
        if self._precompute is not None:  # the app precomputes: do it again for the new data
            self.start_precompute()
        return (
            f"stored: {report['people']:,} people; {report['rows_loaded']:,} rows loaded, "
            f"{report['rows_rejected']:,} rejected"
        )
