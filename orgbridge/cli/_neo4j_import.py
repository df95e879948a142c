"""``orgbridge neo4j-import``: the first load of an organisation into a stopped Neo4j.

It reads the same files as ``ingest`` (or copies the organisation of a workspace with
``--workspace``) and writes them with ``neo4j-admin database import full``, several times
faster than ``ingest --store`` on a large organisation. The server must be stopped; the
database is created, or replaced with ``--overwrite``. Start the server afterwards and use
the database with ``--store`` as usual.

Exit status as ``ingest``: 0 every row loaded, 3 loaded with rejected rows (each listed),
1 refused (nothing written), 2 the import could not be done (server running, database
exists, importer failed).

Example
-------
>>> from orgbridge.cli import build_parser
>>> args = build_parser().parse_args(
...     ["neo4j-import", "--neo4j-home", "/opt/neo4j", "--staff", "staff.csv"])
>>> args.database, args.overwrite
('neo4j', False)
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from orgbridge.cli._commands import (
    EXIT_LOADED,
    EXIT_PARTIAL,
    _add_source_arguments,
    _prepare_or_refuse,
    _print_report,
    _sources,
    _write_problem_csv,
)
from orgbridge.cli._progress import TerminalProgress

__all__ = ["register"]

_EXIT_HELP = (
    "exit status: 0 every row loaded; 3 loaded with rejected rows (listed); 1 refused,"
    " nothing written; 2 the import could not be done (e.g. the server is running)"
)
_FILE_OPTIONS = (
    "staff",
    "projects",
    "pairs",
    "sponsorships",
    "ties",
    "viva_p2p",
    "graphml",
    "gexf",
)


def register(commands: Any) -> None:
    """Register ``neo4j-import`` on the argparse sub-parsers object."""
    parser = commands.add_parser(
        "neo4j-import",
        help="first load into a stopped Neo4j with neo4j-admin import (fast, offline)",
        description="Load files (as ingest reads them) or a workspace's organisation into "
        "a Neo4j database with neo4j-admin database import full. The server must be "
        "stopped; start it afterwards.",
        epilog=_EXIT_HELP,
    )
    parser.add_argument(
        "--neo4j-home", required=True, metavar="DIR", help="the Neo4j installation folder"
    )
    parser.add_argument(
        "--neo4j-conf", metavar="DIR", help="its configuration folder (default DIR/conf)"
    )
    parser.add_argument("--database", default="neo4j", metavar="NAME", help="default: neo4j")
    parser.add_argument(
        "--temp-dir", metavar="DIR", help="where the CSV files go meanwhile (removed after)"
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace the database if it exists"
    )
    parser.add_argument(
        "--threads", type=int, metavar="N", help="importer threads (default: every processor)"
    )
    parser.add_argument(
        "--workspace", metavar="DIR", help="copy this workspace's organisation instead of files"
    )
    _add_source_arguments(parser)
    parser.set_defaults(handler=run_neo4j_import)


def run_neo4j_import(args: argparse.Namespace) -> int:
    """Read the organisation, import it, print what was loaded and how fast."""
    from orgbridge.errors import ParameterError
    from orgbridge.graph._neo4j_import import check_target, import_graph

    if args.workspace and any(getattr(args, name) for name in _FILE_OPTIONS):
        raise ParameterError("give either --workspace DIR or input files, not both")
    # before reading what may be gigabytes of files
    check_target(args.neo4j_home, args.neo4j_conf, args.database, overwrite=args.overwrite)
    report = None
    with TerminalProgress(enabled=not args.json) as progress:
        if args.workspace:
            graph, log = _from_workspace(Path(args.workspace))
        else:
            sources = _sources(args)
            prepared = _prepare_or_refuse(args, sources, None, progress)
            if isinstance(prepared, int):
                return prepared
            graph, report = prepared.graph, prepared.report
            log = report.to_dict()
        result = import_graph(
            graph,
            home=args.neo4j_home,
            conf=args.neo4j_conf,
            database=args.database,
            temp_dir=args.temp_dir,
            log=log,
            overwrite=args.overwrite,
            threads=args.threads,
            progress=progress,
        )
    summary = result.to_dict()
    if args.json:
        if report is not None and args.report:
            _write_problem_csv(report, Path(args.report))
        shape = report.to_dict() if report is not None else {"workspace": args.workspace}
        print(json.dumps({**shape, "neo4j_import": summary}))
    else:
        where = f"Neo4j database {args.database!r} in {args.neo4j_home}"
        if report is not None:
            _print_report(report, args, wrote=True, where=where)
        else:
            print(f"Copied the organisation of {args.workspace} into {where}")
        _print_summary(summary)
    partial = report is not None and bool(report.rows_rejected or report.errors)
    return EXIT_PARTIAL if partial else EXIT_LOADED


def _from_workspace(folder: Path) -> tuple[Any, dict[str, Any]]:
    """The organisation of an existing workspace and its latest import report."""
    from orgbridge.errors import ParameterError
    from orgbridge.graph import Workspace

    if not folder.is_dir():
        raise ParameterError(f"no workspace at {folder}")
    with Workspace.open(folder) as workspace:
        graph = workspace.load_graph()
        history = workspace.import_log()
    if not graph.n_people:
        raise ParameterError(f"the workspace {folder} holds no organisation to import")
    log: dict[str, Any] = {}
    if len(history):
        log = dict(json.loads(str(history["report"].iloc[-1]) or "{}"))
    log["copied_from_workspace"] = str(folder)
    return graph, log


def _print_summary(summary: dict[str, Any]) -> None:
    ties = ", ".join(f"{layer} {n:,}" for layer, n in sorted(summary["ties"].items()))
    phases = ", ".join(f"{k.replace('_', '-')} {v:.1f} s" for k, v in summary["phases_s"].items())
    print(
        f"Imported {summary['people']:,} people; ties: {ties or 'none'}; "
        f"reports_to {summary['reports_to']:,}"
    )
    print(
        f"In {summary['seconds']:.1f} s ({summary['ties_per_s']:,} ties/s; {phases}). "
        "Start the server: the first connection creates the person_id constraint."
    )
