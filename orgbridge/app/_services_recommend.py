"""Recommender services: runs, proposals, decisions and exports."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from typing import Any

import pandas as pd

from orgbridge.app._access import PERMISSIONS, requires
from orgbridge.app._services_base import (
    _KINDS,
    OBJECTIVES,
    ServicesBase,
    _constraints,
    _json_text,
    _records,
)
from orgbridge.app.auth import User
from orgbridge.errors import ParameterError

__all__ = ["RecommendServices"]


class RecommendServices(ServicesBase):
    """Recommender services: runs, proposals, decisions and exports."""

    @requires("recommend")
    def cohort_options(self, user: User | None) -> list[dict[str, str]]:
        """Cohorts the recommender can run on: everyone opted in, or one department."""
        people = self.graph().people
        options = [{"label": "Everyone opted in", "value": "__all__"}]
        if "department" in people.columns:
            for dept in sorted(str(d) for d in people["department"].dropna().unique()):
                options.append({"label": f"Department: {dept}", "value": f"department={dept}"})
        return options

    @requires("recommend")
    def recommend(
        self,
        user: User | None,
        *,
        kind: str = "pairs",
        cohort: str = "__all__",
        objective: str = "balanced",
        count: int = 10,
        different_department: bool = True,
        max_level_gap: int | None = None,
        seed: int = 0,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> dict[str, Any]:
        """Run the recommender; a JSON-ready dict of the run (nothing is stored yet)."""
        assert user is not None
        if not 1 <= int(count) <= 500:
            raise ParameterError(f"ask for 1 to 500 proposals (got {count})")
        graph = self.graph()
        from orgbridge.recommend import recommend_pairs, recommend_sponsorships

        function = recommend_pairs if kind == "pairs" else recommend_sponsorships
        if objective not in OBJECTIVES:
            raise ParameterError(
                f"unknown objective {objective!r}; expected one of {', '.join(OBJECTIVES)}"
            )
        constraints = _constraints(
            graph, cohort, different_department, max_level_gap, self._decided(kind)
        )
        call: dict[str, Any] = {
            "count": int(count),
            "objective": objective,
            "constraints": constraints,
            "seed": seed,
            "show_names": user.role in PERMISSIONS["names"],
            "min_group": self.min_group,
        }
        if progress is not None:
            progress("recommending", 0, 1)
        recommendation = function(graph, **call)
        data: dict[str, Any] = recommendation.to_dict()
        proposals = pd.DataFrame(data.get("proposals", []))
        if len(proposals):
            for end in ("a", "b"):
                positions = graph.positions(proposals[end].astype(str))
                proposals[f"{end}_label"] = self._labels(user, positions)
        run = {
            "run_id": uuid.uuid4().hex[:12],
            "kind": kind,
            "parameters": {
                "kind": kind,
                "cohort": cohort,
                "objective": objective,
                "count": int(count),
                "different_department": bool(different_department),
                "max_level_gap": max_level_gap,
                "seed": seed,
            },
            "proposals": _records(proposals),
            "simulation": data.get("simulation", {}),
        }
        if progress is not None:
            progress("done", 1, 1)
        return run

    def _decided(self, kind: str) -> dict[str, list[tuple[str, str]]]:
        """Locked and declined pairs of this kind (latest decision per pair)."""
        from orgbridge.recommend import locked_and_declined

        kind = _KINDS.get(kind, kind)
        locked, declined = locked_and_declined(self.store.decisions(), kind)
        return {"lock": list(locked), "decline": list(declined)}

    @requires("recommend")
    def save_run(self, user: User | None, run: dict[str, Any]) -> None:
        """Persist a run's proposals and audit it."""
        assert user is not None
        proposals = pd.DataFrame(run["proposals"])
        if "breakdown" in proposals:
            proposals["breakdown"] = proposals["breakdown"].map(_json_text)
        if "kind" not in proposals:
            proposals["kind"] = {"pairs": "pair", "sponsorships": "sponsorship"}.get(
                run["kind"], run["kind"]
            )
        parameters = {**run["parameters"], "simulation": run.get("simulation", {})}
        self.store.save_proposals(run["run_id"], proposals, parameters)
        self.store.audit(
            "recommend", by=user.username, detail={"run_id": run["run_id"], **run["parameters"]}
        )

    @requires("recommend")
    def proposals(self, user: User | None, run_id: str | None = None) -> pd.DataFrame:
        """Proposals of a run (latest by default) with their current decision."""
        assert user is not None
        table = self.store.load_proposals(run_id)
        if len(table) == 0:
            return table
        table = table.copy()
        decisions = self.store.decisions()
        table["decision"] = ""
        if len(decisions):
            from orgbridge.recommend import decision_key, latest_decisions

            by_kind = {k: latest_decisions(decisions, k) for k in ("pair", "sponsorship")}
            kinds = (
                table["kind"].astype(str).map(lambda k: _KINDS.get(k, k))
                if "kind" in table.columns
                else pd.Series(["pair"] * len(table))
            )
            table["decision"] = [
                by_kind.get(k, {}).get(decision_key(str(a), str(b), k), "")
                for a, b, k in zip(table["a"], table["b"], kinds, strict=True)
            ]
        if "a_label" not in table.columns:
            graph = self.graph()
            for end in ("a", "b"):
                table[f"{end}_label"] = self._labels(user, graph.positions(table[end].astype(str)))
        return table.reset_index(drop=True)

    @requires("recommend")
    def run_parameters(self, user: User | None, run_id: str) -> dict[str, Any]:
        """The parameters (and before/after simulation) a run was stored with."""
        getter = getattr(self.store, "proposal_parameters", None)
        return dict(getter(run_id)) if callable(getter) else {}

    @requires("recommend")
    def decide(
        self, user: User | None, pairs: list[tuple[str, str]], *, kind: str, decision: str
    ) -> str:
        """Record approve / decline / lock for each pair (persisted and audited)."""
        assert user is not None
        if decision not in ("approve", "decline", "lock"):
            raise ParameterError(f"a decision is approve, decline or lock (got {decision!r})")
        if not pairs:
            raise ParameterError("select at least one proposal first")
        from orgbridge.recommend import decision_key

        kind = _KINDS.get(kind, kind)
        for a, b in pairs:
            first, second = decision_key(str(a), str(b), kind)
            self.store.record_decision(
                first, second, kind=kind, decision=decision, by=user.username
            )
        return f"{decision}: {len(pairs)} proposal(s) recorded"

    @requires("recommend")
    def export_proposals(
        self, user: User | None, fmt: str, run_id: str | None = None
    ) -> tuple[str, bytes]:
        """The proposals as CSV or XLSX bytes, with a file name; the export is audited."""
        assert user is not None
        table = self.proposals(user, run_id)
        table = table.drop(
            columns=[c for c in table.columns if c in ("breakdown",)], errors="ignore"
        )
        if fmt == "csv":
            payload = table.to_csv(index=False).encode("utf-8")
        elif fmt == "xlsx":
            buffer = io.BytesIO()
            table.to_excel(buffer, index=False, sheet_name="proposals")
            payload = buffer.getvalue()
        else:
            raise ParameterError(f"export as csv or xlsx (got {fmt!r})")
        self.store.audit(
            "export",
            by=user.username,
            detail={"what": "proposals", "format": fmt, "rows": len(table)},
        )
        return f"orgbridge-proposals.{fmt}", payload
