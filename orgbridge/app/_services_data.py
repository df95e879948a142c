"""Data services: uploads validated before anything is stored."""

from __future__ import annotations

import base64
import shutil
import tempfile
from pathlib import Path
from typing import Any

from orgbridge.app._access import requires
from orgbridge.app._pending import PendingUploads
from orgbridge.app._services_base import (
    ServicesBase,
    _owner,
)
from orgbridge.app._settings import save_settings
from orgbridge.app._uploads import DEFAULT_MAX_UPLOAD_BYTES, decode_upload
from orgbridge.app.auth import User
from orgbridge.disclosure import parse_flag, parse_text
from orgbridge.errors import ParameterError
from orgbridge.graph._private import tighten

#: Kinds of data file the Data page takes.
DATA_KINDS = ("staff", "projects", "pairs", "sponsorships", "viva_p2p")

__all__ = ["DataServices"]


class DataServices(ServicesBase):
    """Data services: uploads validated before anything is stored."""

    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    _settings_file: Path | None = None

    @requires("data")
    def validate_upload(
        self,
        user: User | None,
        files: dict[str, tuple[Any, Any]],
        *,
        mapping: tuple[Any, Any] | None = None,
        leader_rule: Any = None,
        allow_shrink: Any = False,
        sheet: Any = None,
    ) -> dict[str, Any]:
        """Check uploaded files against the stored organisation; store nothing yet.

        ``files`` maps a kind (staff, projects, pairs, sponsorships, viva_p2p) to
        ``(file name, contents)`` where contents is the upload's base64 data URL (decoded
        here, after the role check and the size check) or bytes; ``mapping`` is an
        optional column-mapping file (JSON or CSV) in the same form, and ``leader_rule`` an
        optional rule saying who is a leader (it overrides the mapping's). Returns
        ``{"token", "report"}``; pass the token to :meth:`store_upload` to save. The files
        are deleted once read, whatever happens. An upload that would remove more than a
        tenth of the people or empty a tie layer raises ``ImportRejected`` unless
        ``allow_shrink``. ``sheet`` names the sheet of XLSX files (default the first).
        """
        from orgbridge.ingest import Sources, prepare_import

        if not isinstance(files, dict) or not files:
            raise ParameterError("upload at least one file first")
        uploads = [
            self._decoded(kind, name, contents)
            for kind, (name, contents) in files.items()
            if kind in DATA_KINDS or self._unknown_kind(kind)
        ]
        if mapping is not None:
            uploads.append(self._decoded("mapping", *mapping))
        rule = parse_text(leader_rule, what="the leader rule")
        shrink = parse_flag(allow_shrink)
        chosen_sheet = parse_text(sheet, what="the sheet", max_length=100) or None
        folder = Path(tempfile.mkdtemp(prefix="upload-", dir=self._scratch))
        try:
            paths: dict[str, Any] = {}
            for upload in uploads:
                path = folder / upload.saved_name
                path.write_bytes(upload.payload)
                path.chmod(0o600)
                paths[upload.kind] = path
            tighten(folder)  # the uploaded files owner-only, whatever the umask
            if rule:
                paths["leader_rule"] = rule
            if chosen_sheet:
                paths["sheet"] = chosen_sheet
            prepared = prepare_import(
                Sources(**paths), existing=self.graph(), strict=False, allow_shrink=shrink
            )
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        # only the latest can be confirmed, and only by this user
        assert user is not None
        token = self._pending_uploads().put(prepared, owner=_owner(user))
        return {"token": token, "report": prepared.report.to_dict()}

    def _pending_uploads(self) -> PendingUploads:
        with self._lock:
            pending: PendingUploads | None = getattr(self, "_pending", None)
            if pending is None:
                pending = self._pending = PendingUploads(self._scratch)
            return pending

    def _decoded(self, kind: str, name: Any, contents: Any) -> Any:
        if isinstance(contents, bytes):  # from Python callers and tests
            contents = "data:application/octet-stream;base64," + base64.b64encode(contents).decode(
                "ascii"
            )
        return decode_upload(kind, name, contents, max_bytes=self.max_upload_bytes)

    @staticmethod
    def _unknown_kind(kind: Any) -> bool:
        raise ParameterError("unknown kind of file")

    @requires("aggregates")
    def special_grouping_enabled(self, user: User | None) -> bool:
        """Whether pages may group by special-category attributes (aggregates only)."""
        return self.special_grouping

    @requires("data")
    def set_special_grouping(self, user: User | None, enabled: Any) -> str:
        """Let (or stop) pages group by special-category attributes, aggregates only; an
        admin's choice, audited and kept in the app's settings file."""
        assert user is not None
        value = parse_flag(enabled)
        with self._lock:
            self.special_grouping = value
        if self._settings_file is not None:
            save_settings(self._settings_file, {"special_grouping": value})
        self.store.audit("settings", by=user.username, detail={"special_grouping": value})
        names = ", ".join(sorted(self._special())) or "none in this organisation"
        return f"grouping by special categories ({names}) is now " + (
            "allowed, for aggregates only" if value else "off"
        )

    @requires("data")
    def store_upload(self, user: User | None, token: Any) -> str:
        """Save a validated upload of this user in one transaction, audit it, and refresh
        every view; what was stored, in words."""
        return str(self.import_upload(user, token)["message"])

    @requires("data")
    def import_upload(self, user: User | None, token: Any) -> dict[str, Any]:
        """:meth:`store_upload` (here, or in a queue's worker), returning the counts
        ``people, rows_in, rows_loaded, rows_rejected`` and the ``message``."""
        assert user is not None
        prepared = self._pending_uploads().take(token, owner=_owner(user))
        if prepared is None:
            raise ParameterError("that upload is no longer pending: validate the files again")
        report = prepared.report.to_dict()
        self.store.save_graph(prepared.graph, log=report)
        counts = {k: int(report[k]) for k in ("people", "rows_in", "rows_loaded", "rows_rejected")}
        self.store.audit("import", by=user.username, detail=counts)
        self._reset()
        if self._precompute is not None:  # the app precomputes: do it again for the new data
            self.start_precompute()
        message = (
            f"stored: {counts['people']:,} people; {counts['rows_loaded']:,} rows loaded, "
            f"{counts['rows_rejected']:,} rejected"
        )
        return {**counts, "message": message}
