"""Exposure and programme services: access to leadership by group, programme coverage over time."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from orgbridge import metrics
from orgbridge.app._access import PERMISSIONS, requires
from orgbridge.app._services_base import (
    PROGRAMME_LAYERS,
    ServicesBase,
    _number,
)
from orgbridge.app.auth import User
from orgbridge.disclosure import disclosed_gap
from orgbridge.errors import OrgbridgeError
from orgbridge.graph import OrgGraph
from orgbridge.metrics._privacy import (
    small_group_note,
)

__all__ = ["ExposureServices"]


class ExposureServices(ServicesBase):
    """Exposure and programme services: leadership access by group, coverage over time."""

    @requires("aggregates")
    def exposure(self, user: User | None, group_by: Any = None) -> dict[str, Any]:
        """Hops-to-leader distribution per group (over non-leaders), equity table and gaps,
        least-exposed groups,
        as the disclosure policy shows them: hidden groups blank or pooled, the gap and the
        least exposed taken over shown groups only, means over at least k people (the same
        for every role: computed once per grouping, see :meth:`_view`)."""
        group_by = self._group_by(group_by)
        return self._view(("exposure", group_by), lambda: self._exposure_view(group_by))

    def _exposure_view(self, group_by: str) -> dict[str, Any]:
        plan = self._plan(group_by)
        equity = self._equity(group_by)
        hops = pd.to_numeric(self._exposure().table["hops_to_leader"], errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )
        buckets = np.select(
            [np.isnan(hops), hops == 1, hops == 2, hops == 3],
            ["unreachable", "1 hop", "2 hops", "3 hops"],
            "4+ hops",
        )
        # over non-leaders, as the equity figures: leaders are at 0 hops by definition, and
        # counting them would make the leaders' own department look best
        others = hops != 0
        labels = self._group_labels(group_by)
        distribution = pd.crosstab(
            pd.Series(labels[others], name="group"), pd.Series(buckets[others], name="hops")
        )
        order = [
            c
            for c in ("leader", "1 hop", "2 hops", "3 hops", "4+ hops", "unreachable")
            if c in distribution
        ]
        distribution = distribution[order]
        shares = distribution.div(distribution.sum(axis=1), axis=0)
        sizes = distribution.sum(axis=1)
        shares = shares.reset_index().assign(size=sizes.to_numpy())
        shares = self._disclose(shares)  # plan over non-leaders, as the equity table
        table = self._equity_shown(group_by)
        shown = table[~table["suppressed"].astype(bool)].copy()
        shown["share_within_2_hops"] = pd.to_numeric(shown["share_within_2_hops"], errors="coerce")
        shown = shown[shown["share_within_2_hops"].notna()]
        least = shown.sort_values("share_within_2_hops", kind="stable").head(3)
        gap = disclosed_gap(table, "share_within_2_hops")
        gap_exposure = disclosed_gap(table, "mean_exposure")
        whole = equity.values
        values = {
            "gini": _number(whole.get("gini")),
            "share_within_1_hop": _number(whole.get("share_within_1_hop")),
            "share_within_2_hops": _number(whole.get("share_within_2_hops")),
            "gap_share_within_2_hops": gap["gap"],
            "best_share_within_2_hops": gap["best"],
            "worst_share_within_2_hops": gap["worst"],
            "gap_mean_exposure": gap_exposure["gap"],
            "best_mean_exposure": gap_exposure["best"],
            "worst_mean_exposure": gap_exposure["worst"],
            "n_groups": len(self._sizes(group_by)),
            "n_suppressed": len(plan.hidden),
        }
        return {
            "group_by": group_by,
            "distribution": shares,
            "equity": table,
            "values": values,
            "least_exposed": [
                {
                    "group": str(r["group"]),
                    "share_within_2_hops": _number(r["share_within_2_hops"]),
                    "size": int(r["size"]),
                }
                for _, r in least.iterrows()
            ],
            "note": small_group_note(self.min_group),
        }

    @requires("aggregates")
    def programme(
        self, user: User | None, group_by: Any = None, today: pd.Timestamp | None = None
    ) -> dict[str, Any]:
        """Programme coverage by group (everyone), and the pairs themselves (person roles)."""
        assert user is not None
        group_by = self._group_by(group_by)
        graph = self.graph()
        today = today if today is not None else pd.Timestamp.now()
        layers = [layer for layer in PROGRAMME_LAYERS if layer in graph.layers]
        ties = graph.select_ties(layers) if layers else graph.ties.iloc[0:0]
        end = pd.to_datetime(ties["end"])
        current = (end.isna() | (end >= today)).to_numpy()
        labels = self._group_labels(group_by)
        in_programme = np.zeros(graph.n_people, dtype=bool)
        for column in ("source", "target"):
            in_programme[ties["source" if column == "source" else "target"].to_numpy()[current]] = (
                True
            )
        coverage = (
            pd.DataFrame({"group": labels, "covered": in_programme})
            .groupby("group", sort=False)
            .agg(size=("covered", "size"), in_programme=("covered", "sum"))
            .reset_index()
        )
        coverage["coverage"] = coverage["in_programme"] / coverage["size"]
        coverage = self._disclose(coverage, self._plan(group_by))
        result: dict[str, Any] = {
            "coverage": coverage,
            "pairs": None,
            "note": small_group_note(self.min_group),
        }
        if user.role in PERMISSIONS["people"]:
            src = ties["source"].to_numpy()
            dst = ties["target"].to_numpy()
            result["pairs"] = pd.DataFrame(
                {
                    "layer": ties["layer"].astype(str).to_numpy(),
                    "a": self._labels(user, src) if len(src) else [],
                    "b": self._labels(user, dst) if len(dst) else [],
                    "start": pd.to_datetime(ties["start"])
                    .dt.strftime("%Y-%m-%d")
                    .fillna("")
                    .to_numpy(),
                    "end": end.dt.strftime("%Y-%m-%d").fillna("").to_numpy(),
                    "status": np.where(current, "current", "past"),
                }
            )
        return result

    @requires("aggregates")
    def programme_history(
        self,
        user: User | None,
        group_by: Any = None,
        today: pd.Timestamp | None = None,
        max_snapshots: int = 4,
    ) -> pd.DataFrame:
        """Before/after across snapshots: per group, programme coverage and the share within
        2 hops of a leader at each programme start date (the latest ``max_snapshots``) and now.

        Columns ``snapshot, group, size, coverage, share_within_2_hops, suppressed``; every
        figure of a group under the threshold (in that snapshot) is blank.
        """
        group_by = self._group_by(group_by)
        graph = self.graph()
        today = (today if today is not None else pd.Timestamp.now()).normalize()
        layers = [layer for layer in PROGRAMME_LAYERS if layer in graph.layers]
        starts = (
            pd.to_datetime(graph.select_ties(layers)["start"]).dropna() if layers else pd.Series()
        )
        dates = sorted({d.normalize() for d in starts if d < today})[-max_snapshots:]
        key = ("programme_history", group_by, tuple(str(d) for d in dates), str(today))
        history: pd.DataFrame = self._cached(
            key,
            lambda: pd.concat(
                [
                    self._programme_snapshot(graph.snapshot(d), group_by, d, f"{d:%Y-%m-%d}")
                    for d in dates
                ]
                + [self._programme_snapshot(graph, group_by, today, "now")],
                ignore_index=True,
            ),
        )
        return history.copy()

    def _programme_snapshot(
        self, graph: OrgGraph, group_by: str, day: pd.Timestamp, label: str
    ) -> pd.DataFrame:
        """Coverage and share within 2 hops per group of one snapshot (small groups blank)."""
        groups = metrics.grouping(graph, group_by)
        labels = groups.label_array()
        layers = [layer for layer in PROGRAMME_LAYERS if layer in graph.layers]
        covered = np.zeros(graph.n_people, dtype=bool)
        if layers:
            ties = graph.select_ties(layers)
            end = pd.to_datetime(ties["end"])
            active = (end.isna() | (end >= day)).to_numpy()
            covered[ties["source"].to_numpy()[active]] = True
            covered[ties["target"].to_numpy()[active]] = True
        table = (
            pd.DataFrame({"group": labels, "covered": covered})
            .groupby("group", sort=True)
            .agg(size=("covered", "size"), in_programme=("covered", "sum"))
            .reset_index()
        )
        table["coverage"] = table["in_programme"] / table["size"]
        try:
            equity = metrics.exposure_equity(graph, group_by=group_by, min_group=self.min_group)
            shares = equity.table.set_index("group")["share_within_2_hops"]
            table["share_within_2_hops"] = pd.to_numeric(
                table["group"].map(shares), errors="coerce"
            )
        except OrgbridgeError:
            table["share_within_2_hops"] = np.nan
        table = self._disclose(table.drop(columns="in_programme"))
        table.insert(0, "snapshot", label)
        return table
