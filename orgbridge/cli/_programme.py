"""Subcommand ``programme``: run a mentoring or sponsorship programme from the command line.

Every status change goes through :mod:`orgbridge.programme._operations` (the app uses the same
functions); imports are all or nothing (a file with a rejected row saves nothing and every
problem is listed with its file, row and column); files written are owner-only and their cells
cannot start a spreadsheet formula. ``--at`` is the day a change is dated (default: today).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pandas as pd

from orgbridge.cli._store import add_store_arguments, open_store
from orgbridge.errors import ParameterError

__all__ = ["register"]

EXIT_OK = 0
EXIT_REFUSED = 1  # an import had rejected rows: nothing was saved


def _today() -> str:
    return dt.date.today().isoformat()


def _common(parser: argparse.ArgumentParser, *, by: bool = True) -> None:
    add_store_arguments(parser)
    parser.add_argument(
        "--at", default=None, metavar="DATE", help="the day of the change (default: today)"
    )
    if by:
        parser.add_argument("--by", default="cli", metavar="NAME", help="who does it (audit)")


def register(commands: Any) -> None:
    """Register ``programme`` and its subcommands on the sub-parsers object."""
    top = commands.add_parser("programme", help="programmes, cycles, matches, health, impact")
    sub = top.add_subparsers(dest="programme_command", metavar="ACTION", required=True)

    create = sub.add_parser("create", help="a new programme (optionally with its first cycle)")
    _common(create)
    create.add_argument("--id", required=True, dest="programme_id")
    create.add_argument("--name", required=True)
    create.add_argument("--kind", choices=["pairs", "sponsorship"], default="pairs")
    create.add_argument("--cycle", metavar="ID", help="first cycle id (with --start, --end)")
    create.add_argument("--start", metavar="DATE")
    create.add_argument("--end", metavar="DATE")
    create.set_defaults(handler=run_create)

    cycle = sub.add_parser("cycle", help="add, start or close a cycle")
    cycles = cycle.add_subparsers(dest="cycle_command", metavar="ACTION", required=True)
    add = cycles.add_parser("add", help="a new cycle of a programme")
    _common(add)
    add.add_argument("--programme", required=True, metavar="ID")
    add.add_argument("--id", required=True, dest="cycle_id")
    add.add_argument("--start", required=True, metavar="DATE")
    add.add_argument("--end", required=True, metavar="DATE")
    add.set_defaults(handler=run_cycle_add)
    for name, handler, text in (
        ("start", run_cycle_start, "approved matches of the cycle become active"),
        ("close", run_cycle_close, "active matches of the cycle are completed"),
    ):
        step = cycles.add_parser(name, help=text)
        _common(step)
        step.add_argument("cycle_id", metavar="CYCLE")
        step.set_defaults(handler=handler)

    enrol = sub.add_parser("enrol", help="import a cycle's participants (CSV or XLSX)")
    _common(enrol)
    enrol.add_argument("file", metavar="FILE")
    enrol.add_argument("--cycle", required=True, metavar="ID")
    enrol.set_defaults(handler=run_enrol)

    activity = sub.add_parser("import-activity", help="import meetings, check-ins and goals")
    _common(activity)
    activity.add_argument("--meetings", metavar="FILE")
    activity.add_argument("--checkins", metavar="FILE")
    activity.add_argument("--goals", metavar="FILE")
    activity.set_defaults(handler=run_import_activity)

    for name in ("approve", "decline"):
        decide = sub.add_parser(name, help=f"{name} proposed matches")
        _common(decide)
        decide.add_argument(
            "--pair", nargs=2, action="append", required=True, metavar=("A", "B"),
            help="two people (sponsor first for a sponsorship); repeat for a bulk decision",
        )  # fmt: skip
        decide.add_argument("--kind", choices=["pair", "sponsorship"], default="pair")
        decide.add_argument("--note", default="", metavar="TEXT")
        decide.set_defaults(handler=run_decide, decision=name)

    undo = sub.add_parser("undo", help="undo your last decision")
    _common(undo)
    undo.set_defaults(handler=run_undo)

    early = sub.add_parser("end-early", help="end an approved or active match early")
    _common(early)
    early.add_argument("match_id", metavar="MATCH")
    early.add_argument("--reason", required=True)
    early.set_defaults(handler=run_end_early)

    state = sub.add_parser(
        "import-state", help="load a programme folder (as `orgbridge demo` writes it)"
    )
    _common(state)
    state.add_argument("folder", metavar="DIR")
    state.add_argument("--replace", action="store_true", help="replace a stored programme")
    state.set_defaults(handler=run_import_state)

    matches = sub.add_parser("matches", help="the match register (who decided what, when)")
    _common(matches, by=False)
    matches.add_argument("--cycle", metavar="ID")
    matches.add_argument("--csv", metavar="FILE", help="write the register as CSV")
    matches.add_argument("--json", action="store_true", help="print the register as JSON")
    matches.set_defaults(handler=run_matches)

    intro = sub.add_parser("introductions", help="mail-merge CSV introducing approved pairs")
    _common(intro, by=False)
    intro.add_argument("--cycle", metavar="ID", help="default: the current cycle")
    intro.add_argument("--kind", choices=["pair", "sponsorship"], default="pair")
    intro.add_argument("--csv", required=True, metavar="FILE")
    intro.set_defaults(handler=run_introductions)

    health = sub.add_parser("health", help="programme health per cycle")
    _common(health, by=False)
    health.add_argument("--json", action="store_true", help="print the figures as JSON")
    health.add_argument("--stalled-weeks", type=int, default=6, metavar="N")
    health.add_argument("--stalled-csv", metavar="FILE", help="write the stalled pairs as CSV")
    health.set_defaults(handler=run_health)

    impact = sub.add_parser("impact", help="difference in differences for one cycle")
    _common(impact, by=False)
    impact.add_argument("--cycle", required=True, metavar="ID")
    impact.add_argument("--json", action="store_true", help="print the result as JSON")
    impact.add_argument("--seed", type=int, default=0, metavar="S")
    impact.add_argument("--n-boot", type=int, default=1000, metavar="N")
    impact.set_defaults(handler=run_impact)


def _at(args: argparse.Namespace) -> str:
    return str(args.at or _today())


def _write_private(path: str, payload: bytes) -> None:
    """Write an export readable by its owner only."""
    from orgbridge.graph._private import tighten

    target = Path(path)
    target.write_bytes(payload)
    tighten(target)


def _save_state(args: argparse.Namespace, change: Any, message: str, action: str) -> int:
    """Load the state, apply ``change`` (a pure move), save, audit and say ``message``."""
    from orgbridge.programme import load_stored, save_stored

    store = open_store(args)
    try:
        state = change(load_stored(store).state)
        save_stored(store, state)
        store.audit(f"programme:{action}", by=args.by, detail={"message": message})
    finally:
        store.close()
    print(message)
    return EXIT_OK


def run_create(args: argparse.Namespace) -> int:
    """Create a programme and, with ``--cycle``, its first cycle."""
    from orgbridge.programme import add_cycle, add_programme

    if args.cycle and not (args.start and args.end):
        raise ParameterError("--cycle needs --start and --end")

    def change(state: Any) -> Any:
        state = add_programme(state, programme_id=args.programme_id, name=args.name, kind=args.kind)
        if args.cycle:
            state = add_cycle(
                state, cycle_id=args.cycle, programme_id=args.programme_id,
                start=args.start, end=args.end,
            )  # fmt: skip
        return state

    extra = f" with cycle {args.cycle} ({args.start} to {args.end})" if args.cycle else ""
    return _save_state(args, change, f"Created programme {args.programme_id}{extra}", "create")


def run_cycle_add(args: argparse.Namespace) -> int:
    """Add a cycle to a programme."""
    from orgbridge.programme import add_cycle

    def change(state: Any) -> Any:
        return add_cycle(
            state, cycle_id=args.cycle_id, programme_id=args.programme,
            start=args.start, end=args.end,
        )  # fmt: skip

    message = f"Added cycle {args.cycle_id} to {args.programme} ({args.start} to {args.end})"
    return _save_state(args, change, message, "cycle_add")


def _operation(args: argparse.Namespace, call: Any) -> int:
    store = open_store(args)
    try:
        message = call(store)
    finally:
        store.close()
    print(message)
    return EXIT_OK


def run_cycle_start(args: argparse.Namespace) -> int:
    """Start a cycle: its approved matches become active."""
    from orgbridge.programme._operations import start_cycle

    return _operation(args, lambda s: start_cycle(s, args.cycle_id, by=args.by, at=_at(args)))


def run_cycle_close(args: argparse.Namespace) -> int:
    """Close a cycle: its active matches are completed."""
    from orgbridge.programme._operations import close_cycle

    return _operation(args, lambda s: close_cycle(s, args.cycle_id, by=args.by, at=_at(args)))


def run_undo(args: argparse.Namespace) -> int:
    """Undo the caller's last decision."""
    from orgbridge.programme import undo_last

    return _operation(args, lambda s: undo_last(s, by=args.by, at=_at(args)))


def run_end_early(args: argparse.Namespace) -> int:
    """End a match early with its reason."""
    from orgbridge.programme import end_early

    return _operation(
        args, lambda s: end_early(s, args.match_id, args.reason, by=args.by, at=_at(args))
    )


def run_decide(args: argparse.Namespace) -> int:
    """Approve or decline proposed matches, all or none."""
    from orgbridge.programme import decide

    store = open_store(args)
    try:
        decided = decide(
            store,
            store.load_graph(),
            [tuple(p) for p in args.pair],
            kind=args.kind,
            decision=args.decision,
            by=args.by,
            at=_at(args),
            note=args.note,
        )
    finally:
        store.close()
    verb = "Approved" if args.decision == "approve" else "Declined"
    print(f"{verb} {len(decided)} match(es): {', '.join(decided)}")
    return EXIT_OK


def _refused(reports: list[Any]) -> bool:
    """Print every rejected row; True when any file had one (then nothing is saved)."""
    bad = False
    for report in reports:
        print(
            f"{report.file}: rows in {report.rows_in} = loaded {report.rows_loaded}"
            f" + rejected {report.rows_rejected}"
        )
        for problem in report.problems:
            print(f"  {problem}")
        bad = bad or report.rows_rejected > 0
    if bad:
        print("Nothing was saved: fix the rejected rows and import again (all or nothing).")
    return bad


def run_enrol(args: argparse.Namespace) -> int:
    """Import a cycle's enrolment; it replaces the cycle's earlier enrolment."""
    from orgbridge.programme import load_stored, read_enrolment, save_stored

    store = open_store(args)
    try:
        stored = load_stored(store)
        stored.state.cycle(args.cycle)
        known = set(store.load_graph().ids.astype(str))
        parsed = read_enrolment(args.file, cycle_id=args.cycle, known=known)
        if _refused([parsed.report]):
            return EXIT_REFUSED
        table = parsed.table.assign(cycle_id=args.cycle)
        kept = stored.table("enrolment")
        kept = kept.loc[kept["cycle_id"] != args.cycle]
        joined = pd.concat([kept, table], ignore_index=True) if len(kept) else table
        save_stored(store, stored.state, enrolment=joined)
        store.audit(
            "programme:enrol", by=args.by, detail={"cycle_id": args.cycle, "rows": len(table)}
        )
    finally:
        store.close()
    print(f"Enrolled {len(table)} people in cycle {args.cycle}")
    return EXIT_OK


def run_import_activity(args: argparse.Namespace) -> int:
    """Import meetings, check-ins and goals (all files or none); rows already stored are kept
    once (a form export can be imported again as it grows)."""
    from orgbridge.programme import (
        load_stored,
        read_checkins,
        read_goals,
        read_meetings,
        save_stored,
    )

    files = {"meetings": args.meetings, "checkins": args.checkins, "goals": args.goals}
    readers = {"meetings": read_meetings, "checkins": read_checkins, "goals": read_goals}
    if not any(files.values()):
        raise ParameterError("give at least one of --meetings, --checkins, --goals")
    store = open_store(args)
    try:
        stored = load_stored(store)
        parsed = {
            name: readers[name](path, matches=stored.state.matches)
            for name, path in files.items()
            if path
        }
        if _refused([p.report for p in parsed.values()]):
            return EXIT_REFUSED
        tables = {}
        for name, result in parsed.items():
            kept = stored.table(name)
            joined = (
                pd.concat([kept, result.table], ignore_index=True) if len(kept) else result.table
            )
            tables[name] = joined.drop_duplicates(ignore_index=True)
        save_stored(store, stored.state, **tables)
        counts = {name: len(p.table) for name, p in parsed.items()}
        store.audit("programme:import_activity", by=args.by, detail=counts)
    finally:
        store.close()
    print("Imported " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    return EXIT_OK


#: The state files of a programme folder (``orgbridge.synthetic.write_programme``).
STATE_FILES = {
    "programmes": "programmes.csv",
    "cycles": "cycles.csv",
    "matches": "matches.csv",
    "history": "match_history.csv",
}


def run_import_state(args: argparse.Namespace) -> int:
    """Load a whole programme folder: its state, each cycle's enrolment and the activity files,
    validated like every import, all or nothing."""
    from orgbridge.programme import (
        ProgrammeState,
        load_stored,
        read_checkins,
        read_enrolment,
        read_goals,
        read_meetings,
        save_stored,
    )

    folder = Path(args.folder)
    missing = [name for name in STATE_FILES.values() if not (folder / name).is_file()]
    if missing:
        raise ParameterError(f"{folder}: missing {', '.join(missing)}")
    tables = {
        key: pd.read_csv(folder / name, dtype=str, keep_default_na=False).replace("", None)
        for key, name in STATE_FILES.items()
    }
    try:
        state = ProgrammeState.from_tables(tables)
    except (ValueError, TypeError) as error:
        raise ParameterError(f"{folder}: the programme files do not read back: {error}") from error
    store = open_store(args)
    try:
        if not args.replace and len(load_stored(store).state.programmes):
            raise ParameterError("the store already holds a programme: add --replace to replace it")
        known = set(store.load_graph().ids.astype(str))
        people = set(state.matches["a"].astype(str)) | set(state.matches["b"].astype(str))
        if people - known:
            raise ParameterError(
                f"{folder / 'matches.csv'}: {len(people - known)} people are not in the "
                f"organisation (e.g. {sorted(people - known)[0]!r})"
            )
        parsed = {
            str(c): read_enrolment(folder / f"enrolment_{c}.csv", cycle_id=str(c), known=known)
            for c in state.cycles["cycle_id"]
            if (folder / f"enrolment_{c}.csv").is_file()
        }
        readers = {"meetings": read_meetings, "checkins": read_checkins, "goals": read_goals}
        activity = {
            name: reader(folder / f"{name}.csv", matches=state.matches)
            for name, reader in readers.items()
            if (folder / f"{name}.csv").is_file()
        }
        if _refused([p.report for p in [*parsed.values(), *activity.values()]]):
            return EXIT_REFUSED
        enrolment = [p.table.assign(cycle_id=c) for c, p in parsed.items()]
        saved = {name: p.table for name, p in activity.items()}
        if enrolment:
            saved["enrolment"] = pd.concat(enrolment, ignore_index=True)
        save_stored(store, state, **saved)
        store.audit(
            "programme:import_state",
            by=args.by,
            detail={"folder": str(folder), "matches": len(state.matches)},
        )
    finally:
        store.close()
    print(
        f"Loaded {len(state.programmes)} programme(s), {len(state.cycles)} cycle(s), "
        f"{len(state.matches)} match(es) and "
        + ", ".join(f"{len(p.table)} {name}" for name, p in activity.items())
    )
    return EXIT_OK


def run_matches(args: argparse.Namespace) -> int:
    """Print (or write) the match register."""
    from orgbridge.disclosure import safe_csv
    from orgbridge.programme import load_stored, match_register

    store = open_store(args)
    try:
        state = load_stored(store).state
    finally:
        store.close()
    register = match_register(state, as_of=args.at) if args.at else match_register(state)
    if args.cycle:
        state.cycle(args.cycle)
        register = register.loc[register["cycle_id"] == args.cycle]
    if args.csv:
        _write_private(args.csv, safe_csv(register))
    if args.json:
        print(register.to_json(orient="records", date_format="iso"))
    else:
        counts = register["status"].value_counts().sort_index()
        print(
            f"{len(register)} match(es)"
            + (": " + ", ".join(f"{n} {s}" for s, n in counts.items()) if len(counts) else "")
            + (f"; wrote {args.csv}" if args.csv else "")
        )
    return EXIT_OK


def run_introductions(args: argparse.Namespace) -> int:
    """Write the mail-merge file introducing a cycle's approved and active matches."""
    from orgbridge.disclosure import safe_csv
    from orgbridge.programme import current_cycle, introductions, load_stored, match_kind
    from orgbridge.programme._operations import _programme_of

    store = open_store(args)
    try:
        stored = load_stored(store)
        people = store.load_graph().people
    finally:
        store.close()
    cycle = args.cycle
    if cycle is None:
        programme = _programme_of(stored.state, match_kind(args.kind))
        cycle = None if programme is None else current_cycle(stored.state, programme, _at(args))
        if cycle is None:
            raise ParameterError("no current cycle: name one with --cycle")
    columns = [c for c in ("person_id", "name", "email", "department") if c in people.columns]
    rows = introductions(
        stored.state, cycle, enrolment=stored.table("enrolment"), people=people[columns]
    )
    _write_private(args.csv, safe_csv(rows))
    print(f"Wrote {len(rows)} introduction(s) for cycle {cycle} to {args.csv}")
    return EXIT_OK


def run_health(args: argparse.Namespace) -> int:
    """Programme health per cycle (JSON with --json) and the stalled pairs (--stalled-csv)."""
    from orgbridge.disclosure import safe_csv
    from orgbridge.programme import health, load_stored, stalled_pairs

    store = open_store(args)
    try:
        stored = load_stored(store)
    finally:
        store.close()
    as_of = _at(args)
    figures = health(
        stored.state,
        as_of=as_of,
        enrolment=stored.table("enrolment"),
        meetings=stored.table("meetings"),
        checkins=stored.table("checkins"),
        goals=stored.table("goals"),
        stall_weeks=args.stalled_weeks,
    )
    if args.stalled_csv:
        stalled = stalled_pairs(
            stored.state, stored.table("meetings"), as_of=as_of, stall_weeks=args.stalled_weeks
        )
        _write_private(args.stalled_csv, safe_csv(stalled))
    if args.json:
        print(json.dumps(figures, default=str))
    else:
        for cycle in figures["cycles"]:
            print(
                f"{cycle['cycle_id']}: enrolled {cycle['enrolled']}, matched {cycle['matched']}, "
                f"meetings {cycle['meetings']}, stalled {cycle['stalled']}, "
                f"mean rating {cycle['mean_rating']}"
            )
    return EXIT_OK


def run_impact(args: argparse.Namespace) -> int:
    """Difference in differences of one cycle (aggregates only)."""
    from orgbridge.programme import impact, load_stored

    store = open_store(args)
    try:
        state = load_stored(store).state
        graph = store.load_graph()
    finally:
        store.close()
    result = impact(graph, state, args.cycle, as_of=args.at, n_boot=args.n_boot, seed=args.seed)
    data = result.to_dict()
    if args.json:
        print(json.dumps(data, default=str))
    else:
        print(f"Impact of cycle {args.cycle}: {data.get('values', {}).get('note', '')}")
    return EXIT_OK
