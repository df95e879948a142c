"""Overview services: headline trends across snapshots and the downloadable HTML report."""

from __future__ import annotations

from typing import Any

import pandas as pd

from orgbridge.app._access import requires
from orgbridge.app._services_base import ServicesBase
from orgbridge.app.auth import User
from orgbridge.errors import OrgbridgeError

__all__ = ["ReportServices"]

#: At most this many snapshots (the latest imports) in the Overview's trend lines.
MAX_TREND_SNAPSHOTS = 6


class ReportServices(ServicesBase):
    """The Overview's extras: trends of the headline figures, the HTML report."""

    @requires("aggregates")
    def trends(self, user: User | None, group_by: Any = None) -> pd.DataFrame:
        """Headline figures at each of the latest import snapshots (oldest first).

        Columns ``snapshot, key, label, value, format``; empty when the store holds fewer
        than two snapshots. The figures are the headline aggregates every role sees (the
        same disclosure as the cards: gaps over shown groups only).
        """
        group_by = self._group_by(group_by)
        times = self._snapshot_times()
        if len(times) < 2:
            return pd.DataFrame(columns=["snapshot", "key", "label", "value", "format"])
        rows = []
        for at in times:
            headlines = self._trend_headlines(group_by, at)
            for item in headlines.values():
                rows.append(
                    {
                        "snapshot": at,
                        "key": item["key"],
                        "label": item["label"],
                        "value": item["value"],
                        "format": item["format"],
                    }
                )
        return pd.DataFrame(rows)

    def _trend_headlines(self, group_by: str, at: pd.Timestamp) -> dict[str, dict[str, Any]]:
        def compute() -> dict[str, dict[str, Any]]:
            return self._headlines(self.graph().snapshot(at), group_by)

        found: dict[str, dict[str, Any]] = self._cached(("trend", group_by, str(at)), compute)
        return found

    def _snapshot_times(self) -> list[pd.Timestamp]:
        try:
            with self._lock:
                log = self.store.import_log()
        except (OrgbridgeError, AttributeError, NotImplementedError):
            return []
        if len(log) == 0 or "at" not in log.columns:
            return []
        times = pd.to_datetime(log["at"]).sort_values().drop_duplicates().tail(MAX_TREND_SNAPSHOTS)
        if times.dt.tz is not None:
            times = times.dt.tz_convert(None)
        return [pd.Timestamp(t) for t in times]

    @requires("aggregates")
    def report_html(self, user: User | None, group_by: Any = None) -> tuple[str, bytes]:
        """The analysis report as one HTML page, aggregates only for every role.

        Made by ``orgbridge.metrics.analyze`` (groups under the privacy threshold pooled or
        suppressed, as the CLI's report) without its per-person table, and with the ids of
        bridging people left out: the report is a document that travels, so it carries no
        person at all, whoever downloads it.
        """
        from orgbridge import metrics
        from orgbridge.report import render_html

        assert user is not None
        group_by = self._group_by(group_by)

        def make() -> str:
            document = metrics.analyze(
                self.graph(), group_by=group_by, min_group=self.min_group, include_people=False
            ).to_dict()
            return render_html(aggregate_only(document))

        page: str = self._cached(("report_html", group_by), make)
        self.store.audit(
            "export", by=user.username, detail={"what": "report", "group_by": group_by}
        )
        return f"orgbridge-report-{group_by}.html", page.encode("utf-8")


def aggregate_only(document: dict[str, Any]) -> dict[str, Any]:
    """The analysis document without anything about a single person.

    Example
    -------
    >>> aggregate_only({"people": [{"person_id": "a"}], "bridging": [
    ...     {"group_a": "x", "group_b": "y", "ties": 1, "via": "one tie", "bridges": ["a"]}]})
    {'bridging': [{'group_a': 'x', 'group_b': 'y', 'ties': 1, 'via': 'one tie'}]}
    """
    out = {k: v for k, v in document.items() if k != "people"}
    out["bridging"] = [
        {k: v for k, v in row.items() if k != "bridges"} for row in document.get("bridging", [])
    ]
    return out
