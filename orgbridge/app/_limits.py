"""Request size limits, enforced before Flask reads a body.

Only an admin may upload data files, so only an admin's requests may be large: everyone
else (anonymous visitors included) is refused from the ``Content-Length`` header alone, with
HTTP 413, before the body is read or parsed. ``MAX_CONTENT_LENGTH`` caps every request,
admins' too, and covers bodies sent without a length.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flask

__all__ = ["DEFAULT_MAX_REQUEST_BYTES", "install_request_limits"]

#: The largest request a non-admin may send (callback payloads are small; 8 MiB leaves room
#: for a map's elements).
DEFAULT_MAX_REQUEST_BYTES = 8 * 1024 * 1024
#: Files one Data page validation may carry at once (five kinds and a mapping).
_FILES_PER_REQUEST = 6


def install_request_limits(
    server: flask.Flask,
    current_role: Callable[[], str | None],
    *,
    upload_bytes: int,
    request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
) -> None:
    """Refuse oversized requests on ``server`` (see the module docstring).

    ``current_role`` returns the role of the request's session (None when anonymous);
    ``upload_bytes`` is the per-file upload limit, from which an admin's request limit
    follows (base64 makes a file 4/3 larger).
    """
    admin_limit = int(upload_bytes * 4 / 3 * _FILES_PER_REQUEST) + request_bytes
    server.config["MAX_CONTENT_LENGTH"] = admin_limit

    @server.before_request
    def limit_request_size() -> Any:
        if flask.request.method not in ("POST", "PUT", "PATCH"):
            return None
        length = flask.request.content_length
        if length is None and "Transfer-Encoding" not in flask.request.headers:
            length = 0  # no body at all
        if length is not None and length <= request_bytes:
            return None
        if current_role() == "admin" and (length is None or length <= admin_limit):
            return None
        return flask.Response(
            "request too large: only an admin may upload files, within the upload limit\n",
            status=413,
            mimetype="text/plain",
        )
