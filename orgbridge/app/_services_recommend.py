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
    _owner,
    _records,
)
from orgbridge.app.auth import User
from orgbridge.disclosure import (
    neutralise_frame,
    parse_choice,
    parse_flag,
    parse_int,
    parse_text,
    safe_csv,
)
from orgbridge.errors import ParameterError

#: Run kinds the recommender offers.
RUN_KINDS = ("pairs", "sponsorships")
#: Decisions a coordinator records.
DECISIONS = ("approve", "decline", "lock")
#: The most proposals one decision may cover.
_MAX_DECIDED = 500

__all__ = ["RecommendServices"]


class RecommendServices(ServicesBase):
    """Recommender services: runs, proposals, decisions and exports."""

    @requires("recommend")
    def cohort_options(self, user: User | None) -> list[dict[str, str]]:
        """Cohorts the recommender can run on: everyone opted in, or one department."""
        return self._cohorts()

    def _cohorts(self) -> list[dict[str, str]]:
        people = self.graph().people
        options = [{"label": "Everyone opted in", "value": "__all__"}]
        if "department" in people.columns:
            for dept in sorted(str(d) for d in people["department"].dropna().unique()):
                options.append({"label": f"Department: {dept}", "value": f"department={dept}"})
        return options

    @requires("recommend")
    def start_recommend(self, user: User | None, /, **parameters: Any) -> str:
        """Start a recommender run as a job bound to ``user``; return its id.

        The parameters are those of :meth:`recommend`, parsed now (a bad one fails here, not
        in the job). Only the same user reads the job (:meth:`recommend_status`); the run is
        stored when it finishes, so it never travels through the client.
        """
        assert user is not None
        parsed = self._recommend_parameters(**parameters)
        task = {
            "username": user.username,
            "role": user.role,
            "min_group": self.min_group,
            "parameters": parsed,
        }
        return self._job_runner().submit(
            _owner(user),
            lambda progress: self.recommend_job(user, parsed, progress),
            task=("recommend", task),
        )

    def recommend_job(
        self, user: User, parsed: dict[str, Any], progress: Callable[[str, int, int], None]
    ) -> dict[str, Any]:
        """The job of :meth:`start_recommend` (here, or in a queue's worker): run, store the
        run, and return what its owner's page shows."""
        run = self.recommend(user, progress=progress, **parsed)
        self.save_run(user, run)
        return {
            "run_id": run["run_id"],
            "simulation": run.get("simulation", {}),
            "notes": run.get("notes", []),
            "shortfall": run.get("shortfall", []),
        }

    @requires("recommend")
    def recommend_status(self, user: User | None, job_id: Any) -> dict[str, Any]:
        """The state of one of this user's runs (``unknown`` for anyone else's)."""
        assert user is not None
        return self._job_runner().status(_owner(user), job_id)

    @requires("recommend")
    def cancel_recommend(self, user: User | None, job_id: Any) -> bool:
        """Cancel one of this user's runs."""
        assert user is not None
        return self._job_runner().cancel(_owner(user), job_id)

    def _recommend_parameters(
        self,
        *,
        kind: Any = "pairs",
        cohort: Any = "__all__",
        objective: Any = "balanced",
        count: Any = 10,
        different_department: Any = True,
        max_level_gap: Any = None,
        seed: Any = 0,
    ) -> dict[str, Any]:
        """The recommender's parameters from a client, parsed into allowed values."""
        cohorts = [o["value"] for o in self._cohorts()]
        gap = (
            None
            if max_level_gap is None or max_level_gap == ""
            else parse_int(max_level_gap, what="the maximum level gap", low=0, high=100)
        )
        return {
            "kind": parse_choice(kind, RUN_KINDS, what="the kind of run"),
            "cohort": parse_choice(cohort, cohorts, what="the cohort"),
            "objective": parse_choice(objective, tuple(OBJECTIVES), what="the objective"),
            "count": parse_int(count, what="the number of proposals", low=1, high=500, default=10),
            "different_department": parse_flag(different_department),
            "max_level_gap": gap,
            "seed": parse_int(seed, what="the seed", low=0, high=2**31 - 1, default=0),
        }

    @requires("recommend")
    def recommend(
        self,
        user: User | None,
        *,
        kind: Any = "pairs",
        cohort: Any = "__all__",
        objective: Any = "balanced",
        count: Any = 10,
        different_department: Any = True,
        max_level_gap: Any = None,
        seed: Any = 0,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> dict[str, Any]:
        """Run the recommender now; a JSON-ready dict of the run (nothing is stored yet)."""
        assert user is not None
        parsed = self._recommend_parameters(
            kind=kind,
            cohort=cohort,
            objective=objective,
            count=count,
            different_department=different_department,
            max_level_gap=max_level_gap,
            seed=seed,
        )
        kind, cohort, objective = parsed["kind"], parsed["cohort"], parsed["objective"]
        count, seed = parsed["count"], parsed["seed"]
        different_department, max_level_gap = (
            parsed["different_department"],
            parsed["max_level_gap"],
        )
        from orgbridge.programme import with_enrolled_capacity
        from orgbridge.recommend import recommend_pairs, recommend_sponsorships

        function = recommend_pairs if kind == "pairs" else recommend_sponsorships
        decided = self._decided(kind)
        graph = with_enrolled_capacity(self.graph(), decided["capacity"])
        constraints = _constraints(graph, cohort, different_department, max_level_gap, decided)
        _, preset, coverage_target = OBJECTIVES[objective]
        call: dict[str, Any] = {
            "count": int(count),
            "objective": preset,
            "coverage_target": coverage_target,
            "constraints": constraints,
            "seed": seed,
            "show_names": user.role in PERMISSIONS["names"],
            "min_group": self.min_group,
            "as_of": _today(),
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
            "notes": [str(n) for n in data.get("notes", [])],
            "shortfall": [str(n) for n in data.get("shortfall", [])],
        }
        if progress is not None:
            progress("done", 1, 1)
        return run

    def _decided(self, kind: str) -> dict[str, Any]:
        """What the programme state gives a run of this kind (``recommender_inputs``):
        declined pairs, commitments of both kinds, past partners and the enrolled cohort."""
        from orgbridge.programme import recommender_inputs

        inputs = recommender_inputs(self.store, _KINDS.get(kind, kind), as_of=_today())
        ids = set(self.graph().ids.astype(str))
        previous = [p for p in inputs["previous"] if p[0] in ids and p[1] in ids]
        return {
            "decline": list(inputs["declined"]),
            "commitments": inputs["commitments"],
            "previous": previous,
            "enrolled": inputs["cohort"],
            "capacity": inputs["capacity"],
        }

    @requires("recommend")
    def save_run(self, user: User | None, run: dict[str, Any]) -> None:
        """Persist a run's proposals and audit it (a run this server computed: never one a
        client sent)."""
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
        from orgbridge.programme import record_proposals

        kind = {"pairs": "pair", "sponsorships": "sponsorship"}.get(run["kind"], run["kind"])
        record_proposals(
            self.store, run["run_id"], proposals, kind=kind, by=user.username, at=_today()
        )
        self.store.audit(
            "recommend", by=user.username, detail={"run_id": run["run_id"], **run["parameters"]}
        )

    @requires("recommend")
    def proposals(self, user: User | None, run_id: Any = None) -> pd.DataFrame:
        """Proposals of a run (latest by default) with their current decision."""
        assert user is not None
        if run_id is not None and not (
            isinstance(run_id, str) and run_id.isalnum() and len(run_id) <= 64
        ):
            raise ParameterError("no such run")
        table = self.store.load_proposals(run_id)
        if len(table) == 0:
            return table
        table = table.copy()
        table["decision"] = self._statuses(table)
        if "a_label" not in table.columns:
            graph = self.graph()
            for end in ("a", "b"):
                table[f"{end}_label"] = self._labels(user, graph.positions(table[end].astype(str)))
        return table.reset_index(drop=True)

    def _statuses(self, table: pd.DataFrame) -> list[str]:
        """Each proposal's status in the programme (blank while it is only proposed)."""
        from orgbridge.programme import load_stored
        from orgbridge.recommend import decision_key

        matches = load_stored(self.store).state.matches.sort_values("changed_at", kind="stable")
        status = {
            (str(k), str(a), str(b)): str(s)
            for k, a, b, s in zip(
                matches["kind"], matches["a"], matches["b"], matches["status"], strict=True
            )
        }
        kinds = (
            table["kind"].astype(str).map(lambda k: _KINDS.get(k, k))
            if "kind" in table.columns
            else pd.Series(["pair"] * len(table))
        )
        out = []
        for a, b, k in zip(table["a"], table["b"], kinds, strict=True):
            found = status.get((k, *decision_key(str(a), str(b), k)), "")
            out.append("" if found == "proposed" else found)
        return out

    @requires("recommend")
    def run_parameters(self, user: User | None, run_id: Any) -> dict[str, Any]:
        """The parameters (and before/after simulation) a run was stored with."""
        getter = getattr(self.store, "proposal_parameters", None)
        return dict(getter(run_id)) if callable(getter) else {}

    @requires("recommend")
    def decide(
        self, user: User | None, pairs: Any, *, kind: Any, decision: Any, note: Any = ""
    ) -> str:
        """Approve / decline / lock each pair through the programme (persisted and audited).

        Only proposed matches (a stored run's proposals, not decided yet) can be decided: a
        hand-built request cannot approve a pair nobody proposed, and a decided pair is
        undone first, never overwritten.
        """
        assert user is not None
        decision = parse_choice(decision, DECISIONS, what="the decision")
        kind = parse_choice(kind, (*RUN_KINDS, *_KINDS.values()), what="the kind")
        kind = _KINDS.get(kind, kind)
        if not isinstance(pairs, list | tuple) or not pairs:
            raise ParameterError("select at least one proposal first")
        if len(pairs) > _MAX_DECIDED:
            raise ParameterError(f"decide at most {_MAX_DECIDED} proposals at once")
        for pair in pairs:
            if (
                not isinstance(pair, list | tuple)
                or len(pair) != 2
                or not all(isinstance(p, str) and 0 < len(p) <= 200 for p in pair)
            ):
                raise ParameterError(
                    "only proposals of a stored run can be decided; run the recommender first"
                )
        from orgbridge.programme import decide

        decided = decide(
            self.store,
            self.graph(),
            [(str(a), str(b)) for a, b in pairs],
            kind=kind,
            decision=decision,
            by=user.username,
            at=_today(),
            note=parse_text(note, what="the note", max_length=500),
        )
        return f"{decision}: {len(decided)} proposal(s) recorded"

    @requires("recommend")
    def export_proposals(
        self, user: User | None, fmt: Any, run_id: Any = None
    ) -> tuple[str, bytes]:
        """The proposals as CSV or XLSX bytes, with a file name; the export is audited.
        No cell can start a spreadsheet formula."""
        assert user is not None
        fmt = parse_choice(fmt, ("csv", "xlsx"), what="the export format")
        table = self.proposals(user, run_id)
        table = table.drop(
            columns=[c for c in table.columns if c in ("breakdown",)], errors="ignore"
        )
        table = neutralise_frame(table)
        if fmt == "csv":
            payload = safe_csv(table)
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


def _today() -> pd.Timestamp:
    """The day that decides what is current in the programme (the app reads the clock;
    the library never does)."""
    return pd.Timestamp.now().normalize()
