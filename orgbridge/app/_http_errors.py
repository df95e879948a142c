"""Hand-built callback requests that crash a callback get HTTP 400, not 500.

Our callbacks parse every parameter, but Dash's own (the pages router, for one) trust the
renderer: a list where a query string belongs raises inside Dash. Such a request is the
client's fault, so it is answered 400 with a short message and no detail; the exception is
logged with its traceback, so a real bug still shows in the server log.
"""

from __future__ import annotations

import logging

import flask
from werkzeug.exceptions import InternalServerError

__all__ = ["install_error_handler"]

_LOG = logging.getLogger("orgbridge.app")
_CALLBACK_PATH = "/_dash-update-component"


def install_error_handler(server: flask.Flask) -> None:
    """Answer a crashed callback request with 400 (logged); other 500s stay 500."""

    @server.errorhandler(InternalServerError)
    def crashed(error: InternalServerError) -> flask.Response:
        original = getattr(error, "original_exception", None)
        _LOG.error(
            "request %s %s failed", flask.request.method, flask.request.path, exc_info=original
        )
        if flask.request.path == _CALLBACK_PATH:
            return flask.Response(
                '{"error": "the request could not be processed"}\n',
                status=400,
                mimetype="application/json",
            )
        return flask.Response("internal error\n", status=500, mimetype="text/plain")
