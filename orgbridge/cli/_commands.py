"""Subcommands of the ``orgbridge`` CLI: ingest, validate, demo, export, summary.

``ingest`` exits 0 when every row loaded, 3 when the import was saved but some rows were
rejected (each listed), and 1 when it was refused and nothing was saved (strict mode and an
error; a file that could not be read or none of whose rows loaded; or, without
``--allow-shrink``, an import that would remove more than ``--max-shrink`` of the people or
empty a tie layer the store holds). ``validate`` exits 0 or 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from orgbridge.cli._progress import TerminalProgress
from orgbridge.cli._store import add_store_arguments, open_store, store_label

__all__ = ["register"]

MAX_PROBLEMS_SHOWN = 20
MAX_WARNINGS_SHOWN = 10

EXIT_LOADED = 0  # every row loaded
EXIT_REFUSED = 1  # nothing was saved (validate: errors found)
EXIT_PARTIAL = 3  # saved, but some rows were rejected

_EXIT_HELP = (
    "exit status: 0 every row loaded; 3 loaded with rejected rows (listed); 1 refused,"
    " nothing saved"
)


def register(commands: Any) -> None:
    """Register every subcommand on the argparse sub-parsers object."""
    ingest = commands.add_parser(
        "ingest", help="load files into a workspace or Neo4j store", epilog=_EXIT_HELP
    )
    add_store_arguments(ingest)
    _add_source_arguments(ingest)
    ingest.set_defaults(handler=run_ingest)

    validate = commands.add_parser("validate", help="check files without writing anything")
    add_store_arguments(validate, required=False)
    _add_source_arguments(validate)
    validate.set_defaults(handler=run_validate)

    demo = commands.add_parser("demo", help="write a synthetic organisation as CSV files")
    demo.add_argument("--people", type=int, default=1500, metavar="N")
    demo.add_argument("--seed", type=int, default=42, metavar="S")
    demo.add_argument("--out", required=True, metavar="DIR")
    demo.add_argument(
        "--no-programme", action="store_true", help="leave out the mentoring programme files"
    )
    demo.set_defaults(handler=run_demo)

    export = commands.add_parser("export", help="export the organisation (GraphML, GEXF, CSV)")
    add_store_arguments(export)
    export.add_argument("--format", required=True, choices=["graphml", "gexf", "csv"])
    export.add_argument("--out", required=True, metavar="PATH")
    export.add_argument("--no-names", action="store_true", help="leave people's names out")
    export.add_argument("--by", default="cli", metavar="NAME", help="who exports (audit log)")
    export.set_defaults(handler=run_export)

    summary = commands.add_parser("summary", help="headcount and ties of a workspace")
    add_store_arguments(summary)
    summary.add_argument("--json", action="store_true", help="print one JSON object")
    summary.set_defaults(handler=run_summary)


def _add_source_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--staff", metavar="F", help="HRIS staff file (CSV or XLSX)")
    parser.add_argument("--projects", metavar="F", help="project memberships")
    parser.add_argument("--pairs", metavar="F", help="mentoring pairs")
    parser.add_argument("--sponsorships", metavar="F", help="sponsorships (leader -> protege)")
    parser.add_argument(
        "--ties", metavar="F", action="append", default=[], help="generic tie list (with --layer)"
    )
    parser.add_argument(
        "--layer", metavar="NAME", action="append", default=[], help="layer of each --ties file"
    )
    parser.add_argument("--viva-p2p", metavar="F", help="Viva Insights person-to-person export")
    parser.add_argument("--graphml", metavar="F", help="GraphML file")
    parser.add_argument("--gexf", metavar="F", help="GEXF file")
    parser.add_argument("--map", metavar="F", help="column mapping file (JSON or CSV)")
    parser.add_argument("--leader-rule", metavar="R", help='e.g. "level>=7"')
    parser.add_argument(
        "--sheet", metavar="NAME", help="sheet of XLSX inputs: a name, or its number (1 = first)"
    )
    parser.add_argument("--strict", action="store_true", help="any error rejects the import")
    parser.add_argument(
        "--allow-shrink",
        action="store_true",
        help="accept an import that removes many people or empties a tie layer",
    )
    parser.add_argument(
        "--max-shrink",
        type=float,
        default=0.10,
        metavar="SHARE",
        help="share of the stored people an import may remove without --allow-shrink"
        " (default 0.10)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--report", metavar="FILE", help="write every problem to a CSV file")


def _sources(args: argparse.Namespace) -> Any:
    from orgbridge.errors import ParameterError
    from orgbridge.ingest import Sources

    if len(args.ties) != len(args.layer):
        raise ParameterError("give one --layer NAME for each --ties FILE")
    sources = Sources(
        staff=args.staff,
        projects=args.projects,
        pairs=args.pairs,
        sponsorships=args.sponsorships,
        ties=list(zip(args.ties, args.layer, strict=True)),
        viva_p2p=args.viva_p2p,
        graphml=args.graphml,
        gexf=args.gexf,
        mapping=args.map,
        leader_rule=args.leader_rule,
        sheet=args.sheet,
    )
    if not any(
        [
            args.staff,
            args.projects,
            args.pairs,
            args.sponsorships,
            args.ties,
            args.viva_p2p,
            args.graphml,
            args.gexf,
        ]
    ):
        raise ParameterError("nothing to read: give at least one input file")
    return sources


def _prepare(args: argparse.Namespace, sources: Any, existing: Any, progress: Any) -> Any:
    from orgbridge.ingest import prepare_import

    return prepare_import(
        sources,
        existing=existing,
        strict=bool(getattr(args, "strict", False)),
        progress=progress,
        allow_shrink=args.allow_shrink,
        max_shrink=args.max_shrink,
    )


def _prepare_or_refuse(args: argparse.Namespace, sources: Any, existing: Any, progress: Any) -> Any:
    """The prepared import, or ``EXIT_REFUSED`` once the refusal and its report are printed
    (a refusal without a report, such as an unreadable file, is raised as it is)."""
    from orgbridge.errors import ImportRejected

    try:
        return _prepare(args, sources, existing, progress)
    except ImportRejected as rejected:
        report = getattr(rejected, "report", None)
        if report is None:
            raise
        _print_report(report, args, wrote=False, refused=rejected)
        print(f"error: {rejected}", file=sys.stderr)
        return EXIT_REFUSED


def run_ingest(args: argparse.Namespace) -> int:
    """Validate the files and load them into the store as one transaction.

    Exit status 0 when every row loaded, 3 when rows were rejected, 1 when refused.
    """
    sources = _sources(args)
    with TerminalProgress(enabled=not args.json) as progress:
        store = open_store(args)
        try:
            prepared = _prepare_or_refuse(args, sources, store.load_graph(), progress)
            if isinstance(prepared, int):
                return prepared
            progress("saving", 0, 1)
            store.save_graph(prepared.graph, log=prepared.report.to_dict())
            progress("saving", 1, 1)
        finally:
            store.close()
    report = prepared.report
    _print_report(report, args, wrote=True, where=store_label(args))
    return EXIT_PARTIAL if report.rows_rejected or report.errors else EXIT_LOADED


def run_validate(args: argparse.Namespace) -> int:
    """Validate the files and write nothing; exit 1 when there are errors or it would be
    refused."""
    sources = _sources(args)
    existing = None
    if args.workspace or args.store:
        store = open_store(args)
        try:
            existing = store.load_graph()
        finally:
            store.close()
    with TerminalProgress(enabled=not args.json) as progress:
        prepared = _prepare_or_refuse(args, sources, existing, progress)
    if isinstance(prepared, int):
        return prepared
    _print_report(prepared.report, args, wrote=False)
    return EXIT_REFUSED if prepared.report.errors else EXIT_LOADED


def _print_report(
    report: Any,
    args: argparse.Namespace,
    *,
    wrote: bool,
    where: str = "",
    refused: Exception | None = None,
) -> None:
    if args.report:
        _write_problem_csv(report, Path(args.report))
    if args.json:
        shape = report.to_dict()
        if refused is not None:
            shape["refused"] = list(getattr(refused, "reasons", [])) or [str(refused)]
        print(json.dumps(shape))
        return
    ties = ", ".join(f"{layer} {count:,}" for layer, count in sorted(report.ties.items()))
    if refused is not None:
        verb = "Refused (nothing written); the import would have held"
    else:
        verb = f"Loaded into {where}" if wrote else "Checked (nothing written)"
    print(f"{verb}: {report.people:,} people; ties: {ties or 'none'}")
    print(
        f"Rows in {report.rows_in:,} = loaded {report.rows_loaded:,}"
        f" + rejected {report.rows_rejected:,}"
    )
    for f in report.files:
        print(
            f"  {f.file} ({f.kind}): {f.rows_in:,} in = {f.rows_loaded:,} loaded"
            f" + {f.rows_rejected:,} rejected"
        )
    for label, problems, limit in (
        ("Errors", report.errors, MAX_PROBLEMS_SHOWN),
        ("Warnings", report.warnings, MAX_WARNINGS_SHOWN),
    ):
        if not problems:
            continue
        print(f"{label} ({len(problems):,}):")
        for problem in problems[:limit]:
            print(f"  {problem}")
        if len(problems) > limit:
            print(
                f"  ... and {len(problems) - limit:,} more"
                " (--report FILE lists them all; --json prints them)"
            )
    for reason in getattr(refused, "reasons", []) if refused is not None else []:
        print(f"Refused: {reason}")


def _write_problem_csv(report: Any, path: Path) -> None:
    """Every problem as CSV; no cell can start a spreadsheet formula (file names, columns
    and messages quote the input)."""
    import csv
    import io

    from orgbridge.disclosure import neutralise_cell
    from orgbridge.graph._private import write_private

    handle = io.StringIO(newline="")
    writer = csv.writer(handle)
    writer.writerow(["severity", "file", "row", "column", "message"])
    for p in report.problems:
        writer.writerow(
            [neutralise_cell(v) for v in (p.severity, p.file, p.row, p.column, p.message)]
        )
    write_private(path, handle.getvalue())


def run_demo(args: argparse.Namespace) -> int:
    """Write a seeded synthetic organisation as the CSV files a user would bring."""
    from orgbridge.synthetic import (
        generate_organisation,
        programme_activity,
        write_organisation,
        write_programme,
    )

    org = generate_organisation(args.people, seed=args.seed)
    written = write_organisation(org, Path(args.out))
    print(f"Wrote a synthetic organisation of {args.people:,} people (seed {args.seed}):")
    for path in written.values():
        print(f"  {path}")
    if not args.no_programme:
        # a living programme: three yearly cycles of enrolment, matches, meetings, check-ins
        reference = str(org.parameters["reference_date"])
        programme = programme_activity(org.staff, reference_date=reference, seed=args.seed)
        folder = Path(args.out) / "programme"
        files = write_programme(programme, folder)
        print(f"and its mentoring programme ({len(files)} files; load with "
              f"`orgbridge programme import-state {folder}`):")  # fmt: skip
        print(f"  {folder}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    """Export the stored organisation; special-category attributes are always left out."""
    from orgbridge.graph import write_csv, write_gexf, write_graphml
    from orgbridge.graph._private import private_output

    store = open_store(args)
    try:
        graph = store.load_graph()
        out = Path(args.out)
        include_names = not args.no_names
        if args.format == "graphml":
            write_graphml(graph, out, include_names=include_names)
            written = [out]
        elif args.format == "gexf":
            write_gexf(graph, out, include_names=include_names)
            written = [out]
        else:
            written = write_csv(graph, out, include_names=include_names)
        for path in written:  # personal data: readable by the owner only
            private_output(path)
        store.audit(
            "export",
            by=args.by,
            detail={"format": args.format, "out": str(out), "names": include_names},
        )
    finally:
        store.close()
    print(f"Exported {graph.n_people:,} people and {len(graph.ties):,} ties to {out}")
    return 0


def run_summary(args: argparse.Namespace) -> int:
    """Print headcount, leaders, departments and ties per layer."""
    store = open_store(args)
    try:
        graph = store.load_graph()
    finally:
        store.close()
    people = graph.people
    summary: dict[str, Any] = {
        "people": graph.n_people,
        "leaders": int(graph.leader_mask().sum()),
        "departments": int(people["department"].nunique()) if "department" in people else 0,
        "ties": graph.tie_counts(),
    }
    if args.json:
        print(json.dumps(summary))
        return 0
    ties = ", ".join(f"{k} {v:,}" for k, v in summary["ties"].items())
    print(
        f"{summary['people']:,} people ({summary['leaders']:,} leaders) in "
        f"{summary['departments']} departments; ties: {ties or 'none'}"
    )
    return 0
