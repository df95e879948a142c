"""Caches that follow the store: each app process checks the store's data stamp per request.

Several app processes (and command-line jobs) may share one store. Each process keeps the
organisation it loaded and the results computed from it; :class:`StampWatch` remembers the
store's data stamp (``Store.data_stamp()``, the content hash every save records) as it was
when the organisation was loaded, and :meth:`StampWatch.stale` says whether the store holds
different data now: an upload through another process, or ``orgbridge ingest`` from the
command line. It costs one small query (the stamp is one property of one node in Neo4j, one
row in DuckDB). A store that is being saved reports no stamp; the loaded data stays in use
until the save is complete.

Example
-------
>>> class Store:
...     stamp = "one"
...     def data_stamp(self):
...         return self.stamp
>>> store, watch = Store(), StampWatch()
>>> watch.loading(store)
>>> watch.stale(store)
False
>>> store.stamp = None  # a save is running
>>> watch.stale(store)
False
>>> store.stamp = "two"
>>> watch.stale(store)
True
"""

from __future__ import annotations

from typing import Any

__all__ = ["StampWatch"]


def _stamp(store: Any) -> str | None:
    reader = getattr(store, "data_stamp", None)
    if not callable(reader):
        return None
    found = reader()
    return None if found is None else str(found)


class StampWatch:
    """The data stamp a process's loaded organisation was read at (see the module docstring)."""

    def __init__(self) -> None:
        self.stamp: str | None = None

    def loading(self, store: Any) -> None:
        """Record the store's stamp just before the organisation is read from it (a save
        between the two makes the stamp older than the data, so the next check reloads:
        never the other way round)."""
        self.stamp = _stamp(store)

    def stale(self, store: Any) -> bool:
        """Whether the store's complete data differs from what was loaded."""
        now = _stamp(store)
        return now is not None and now != self.stamp


#: Requests that never read the organisation (static files): no stamp check for them.
_STATIC = ("/assets/", "/_dash-component-suites/", "/_favicon.ico", "/favicon.ico")


def install_refresh(server: Any, services: Any) -> None:
    """Before every request that may read the organisation, let ``services`` follow the
    store (:meth:`~orgbridge.app.services.Services.refresh`). A store that cannot be reached
    is logged and the request goes on with what this process holds."""
    import logging

    from flask import request

    from orgbridge.errors import OrgbridgeError

    log = logging.getLogger(__name__)

    def follow_store() -> None:
        if request.path.startswith(_STATIC):
            return
        try:
            services.refresh()
        except OrgbridgeError as error:
            log.warning("could not check the store for new data: %s", error)

    server.before_request(follow_store)
