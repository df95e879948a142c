"""Subcommands ``recommend``, ``simulate`` and ``decide``: the coordinator's loop.

The programme state in the workspace (``orgbridge.programme``) shapes every run: approved and
active matches are commitments (they use capacity until imported as ties; one whose person left
is reported and set aside), declined pairs are never proposed again, past partners are not
paired again (rotation), and the cycle's enrolled people are the default cohort. A run's
proposals become proposed matches of the programme's next (or running) cycle. A decision is
taken only on a proposed match of two people of the organisation and, for an approval, a pair
that passes the hard constraints. Every command
reads the programme as of ``--as-of`` (default: today). Each run is saved and audited.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

import pandas as pd

from orgbridge.cli._store import add_store_arguments, open_store
from orgbridge.errors import ParameterError
from orgbridge.graph._private import write_private

__all__ = ["register"]

DECISIONS = ("approve", "decline", "lock")


def _today() -> str:
    return dt.date.today().isoformat()


def _as_of_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as-of",
        default=None,
        metavar="DATE",
        help="the day that decides current ties and history (default: today)",
    )


def register(commands: Any) -> None:
    """Register ``recommend``, ``simulate`` and ``decide`` on the sub-parsers object."""
    rec = commands.add_parser("recommend", help="propose mentoring pairs or sponsorships")
    add_store_arguments(rec)
    rec.add_argument("--kind", choices=["pairs", "sponsorships"], default="pairs")
    rec.add_argument("--count", type=int, required=True, metavar="N")
    rec.add_argument(
        "--objective", choices=["balanced", "exposure", "silo", "closeness"], default=None
    )
    rec.add_argument(
        "--horizon", type=int, default=2, metavar="K", help="covered: a leader within K hops"
    )
    rec.add_argument(
        "--coverage-target",
        choices=["best", "full"],
        default="best",
        help="raise groups to the best-covered group's coverage (default) or towards full",
    )
    rec.add_argument("--cohort", metavar="F", help="file of eligible person_ids (CSV or text)")
    rec.add_argument(
        "--capacity", type=int, metavar="K", help="budget per non-leader (overrides the file)"
    )
    rec.add_argument(
        "--leader-capacity",
        type=int,
        default=2,
        metavar="K",
        help="budget of leaders with no capacity in the staff file (default 2)",
    )
    rec.add_argument("--min-level-gap", type=float, default=0, metavar="A")
    rec.add_argument("--max-level-gap", type=float, default=None, metavar="B")
    rec.add_argument("--cross-department", action="store_true")
    rec.add_argument("--exclude", metavar="F", help="CSV of pairs (a,b) never to propose")
    rec.add_argument("--allow-repeat", action="store_true", help="allow pairs matched before")
    rec.add_argument(
        "--all-proteges",
        action="store_true",
        help="sponsorships: any eligible non-leader, not only people flagged emerging_talent",
    )
    rec.add_argument("--group-by", default="department", metavar="ATTR")
    _as_of_argument(rec)
    rec.add_argument("--seed", type=int, default=0, metavar="S")
    rec.add_argument("--names", action="store_true", help="use names in reasons (coordinators)")
    rec.add_argument("--by", default="cli", metavar="NAME", help="who runs it (audit log)")
    rec.add_argument("--json", required=True, metavar="FILE", help="write the run as JSON")
    rec.add_argument("--csv", metavar="FILE", help="also write the proposals as CSV")
    rec.set_defaults(handler=run_recommend)

    sim = commands.add_parser("simulate", help="before/after metrics of a proposal set")
    add_store_arguments(sim)
    sim.add_argument(
        "--proposals",
        required=True,
        metavar="FILE",
        help="a recommend JSON or a CSV with columns a,b[,kind]",
    )
    sim.add_argument("--group-by", default="department", metavar="ATTR")
    _as_of_argument(sim)
    sim.add_argument("--json", required=True, metavar="OUT")
    sim.set_defaults(handler=run_simulate)

    decide = commands.add_parser("decide", help="approve, decline or lock a pair")
    add_store_arguments(decide)
    action = decide.add_mutually_exclusive_group(required=True)
    for name in DECISIONS:
        action.add_argument(f"--{name}", nargs=2, metavar=("A", "B"))
    decide.add_argument("--kind", choices=["pair", "sponsorship"], default="pair")
    decide.add_argument("--by", default="cli", metavar="NAME")
    _as_of_argument(decide)
    decide.set_defaults(handler=run_decide)


def _read_ids(path: str) -> list[str]:
    text = Path(path).read_text(encoding="utf-8").splitlines()
    rows = [line.split(",")[0].strip() for line in text if line.strip()]
    if rows and rows[0].lower() in {"person_id", "id"}:
        rows = rows[1:]
    return rows


def _read_pairs(path: str) -> list[tuple[str, str]]:
    frame = pd.read_csv(path, dtype=str)
    if {"a", "b"} <= set(frame.columns):
        return list(zip(frame["a"], frame["b"], strict=True))
    if frame.shape[1] < 2:
        raise ParameterError(f"{path}: expected two columns (a, b)")
    return list(zip(frame.iloc[:, 0], frame.iloc[:, 1], strict=True))


def run_recommend(args: argparse.Namespace) -> int:
    """Run the recommender on the stored organisation and save, audit and write the run."""
    from orgbridge.disclosure import check_group_by, safe_csv
    from orgbridge.programme import recommender_inputs, with_enrolled_capacity
    from orgbridge.recommend import Constraints, recommend_pairs, recommend_sponsorships

    kind = "pair" if args.kind == "pairs" else "sponsorship"
    as_of = args.as_of or _today()
    store = open_store(args)
    try:
        graph = store.load_graph()
        group_by = check_group_by(graph, args.group_by)
        programme = recommender_inputs(store, kind, as_of=as_of)
        if not args.cohort:
            graph = with_enrolled_capacity(graph, programme["capacity"])
        cohort = tuple(_read_ids(args.cohort)) if args.cohort else programme["cohort"]
        constraints = Constraints(
            cohort=cohort,
            capacity=args.capacity,
            leader_capacity=args.leader_capacity,
            min_level_gap=args.min_level_gap,
            max_level_gap=args.max_level_gap,
            cross_department=args.cross_department,
            exclusions=tuple(_read_pairs(args.exclude)) if args.exclude else (),
            commitments=programme["commitments"],
            declined=programme["declined"],
            previous=() if args.allow_repeat else _known(graph, programme["previous"]),
            allow_repeat=args.allow_repeat,
            emerging_only=False if args.all_proteges else None,
        )
        recommend = recommend_pairs if kind == "pair" else recommend_sponsorships
        objective = args.objective or ("balanced" if kind == "pair" else "exposure")
        result = recommend(
            graph,
            count=args.count,
            objective=objective,
            constraints=constraints,
            seed=args.seed,
            group_by=group_by,
            show_names=args.names,
            as_of=as_of,
            horizon=args.horizon,
            coverage_target=args.coverage_target,
        )
        run_id = f"run-{uuid.uuid4().hex[:12]}"
        payload = result.to_dict()
        payload["parameters"] = {**payload["parameters"], "run_id": run_id}
        table = result.proposals.drop(columns=["hops_before", "hops_after"])
        store.save_proposals(run_id, table, result.parameters)
        from orgbridge.programme import record_proposals

        record_proposals(
            store, run_id, table, kind=kind, by=args.by, at=as_of, allow_repeat=args.allow_repeat
        )
        store.audit(
            "recommend",
            by=args.by,
            detail={"run_id": run_id, "kind": kind, "count": len(result.proposals)},
        )
    finally:
        store.close()
    write_private(args.json, json.dumps(payload, indent=2, default=str))
    if args.csv:
        write_private(args.csv, safe_csv(result.to_frame()))  # no cell can run code
    print(
        f"Proposed {len(result.proposals)} of {args.count} {args.kind} as of {as_of} "
        f"(run {run_id}); wrote {args.json}"
    )
    for line in result.notes:
        print(f"note: {line}")
    if result.shortfall:
        print(f"fewer than asked: {'; '.join(result.shortfall)}")
    return 0


def _known(graph: Any, pairs: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """Past partners who are both still in the organisation (the others cannot be proposed)."""
    ids = set(graph.ids.astype(str))
    return tuple(p for p in pairs if p[0] in ids and p[1] in ids)


KINDS = {
    "pair": "pair",
    "pairs": "pair",
    "sponsorship": "sponsorship",
    "sponsorships": "sponsorship",
}


def _proposal_frame(path: str) -> pd.DataFrame:
    """Proposals ``a, b, kind`` from a ``recommend`` JSON or an edited CSV (a,b[,kind])."""
    file = Path(path)
    if file.suffix.lower() == ".json":
        data = json.loads(file.read_text(encoding="utf-8"))
        rows = data.get("proposals") if isinstance(data, dict) else data
        if not isinstance(rows, list):
            raise ParameterError(f"{path}: expected a recommend JSON with a proposals list")
        default = (
            (data.get("parameters") or {}).get("kind", "pair") if isinstance(data, dict) else "pair"
        )
        try:
            frame = pd.DataFrame(
                [{"a": r["a"], "b": r["b"], "kind": r.get("kind", default)} for r in rows],
                columns=["a", "b", "kind"],
            )
        except (KeyError, TypeError, AttributeError) as error:
            raise ParameterError(f"{path}: every proposal needs an a and a b") from error
    else:
        frame = pd.read_csv(file, dtype=str, encoding="utf-8-sig", skipinitialspace=True)
        frame.columns = [str(c).strip().lower() for c in frame.columns]
        missing = {"a", "b"} - set(frame.columns)
        if missing:
            raise ParameterError(f"{path}: needs columns a,b[,kind]; missing {sorted(missing)}")
        if "kind" not in frame.columns:
            frame["kind"] = "pair"
        frame = frame[["a", "b", "kind"]].dropna(subset=["a", "b"], how="all")
    frame = frame.astype({"a": str, "b": str}).assign(
        a=lambda f: f["a"].str.strip(), b=lambda f: f["b"].str.strip()
    )
    kind = frame["kind"].fillna("pair").astype(str).str.strip().str.lower().replace("", "pair")
    unknown = sorted(set(kind) - set(KINDS))
    if unknown:
        raise ParameterError(f"{path}: unknown kind {unknown[0]!r}; use pair or sponsorship")
    return frame.assign(kind=kind.map(KINDS)).reset_index(drop=True)


def run_simulate(args: argparse.Namespace) -> int:
    """Write the before/after headline metrics of a (possibly edited) proposal set."""
    from orgbridge.recommend import simulate

    proposals = _proposal_frame(args.proposals)
    store = open_store(args)
    try:
        graph = store.load_graph()
    finally:
        store.close()
    from orgbridge.disclosure import check_group_by

    group_by = check_group_by(graph, args.group_by)
    result = simulate(graph, proposals, group_by=group_by, as_of=args.as_of or _today())
    write_private(args.json, json.dumps(result, indent=2, default=str))
    print(f"Simulated {len(proposals)} proposals; wrote {args.json}")
    return 0


def run_decide(args: argparse.Namespace) -> int:
    """Approve, decline or lock one pair through the programme (a pair nobody proposed is
    proposed by the decider first: a coordinator's own choice), once it is acceptable."""
    from orgbridge.programme import decide

    decision = next(name for name in DECISIONS if getattr(args, name))
    given_a, given_b = getattr(args, decision)
    store = open_store(args)
    try:
        graph = store.load_graph()
        (match_id,) = decide(
            store,
            graph,
            [(given_a, given_b)],
            kind=args.kind,
            decision=decision,
            by=args.by,
            at=args.as_of or _today(),
            propose_missing=True,
        )
    finally:
        store.close()
    print(f"Recorded {decision} of match {match_id} by {args.by}")
    return 0
