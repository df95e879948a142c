"""``orgbridge analyze``: silo, brokerage, exposure and equity metrics as JSON and HTML."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from orgbridge.cli._store import add_store_arguments, open_store

__all__ = ["register"]


def register(commands: Any) -> None:
    """Register ``analyze`` on the argparse sub-parsers object."""
    parser = commands.add_parser("analyze", help="measure silos, brokerage and exposure")
    add_store_arguments(parser)
    parser.add_argument("--group-by", default="department", metavar="ATTR")
    parser.add_argument(
        "--layers",
        default=None,
        metavar="L1,L2",
        help="tie layers (default: collaboration,mentoring,sponsorship)",
    )
    parser.add_argument("--as-of", default=None, metavar="DATE", help="analyse a snapshot")
    parser.add_argument("--min-group", type=int, default=5, metavar="K", help="at least 5")
    parser.add_argument("--seed", type=int, default=0, metavar="S")
    parser.add_argument("--json", dest="json_file", metavar="FILE", help="write the JSON here")
    parser.add_argument("--html", dest="html_file", metavar="FILE", help="write an HTML report")
    parser.add_argument(
        "--no-save", action="store_true", help="do not write per-person metrics to the store"
    )
    parser.set_defaults(handler=run_analyze)


def run_analyze(args: argparse.Namespace) -> int:
    """Analyse the stored organisation; write JSON/HTML; save per-person metrics back."""
    import pandas as pd

    from orgbridge.metrics import analyze, check_min_group
    from orgbridge.report import render_html

    check_min_group(args.min_group)
    store = open_store(args)
    try:
        graph = store.load_graph()
        if args.as_of:
            graph = graph.snapshot(args.as_of)
        analysis = analyze(
            graph,
            group_by=args.group_by,
            layers=args.layers,
            min_group=args.min_group,
            seed=args.seed,
        )
        document = analysis.to_dict()
        if not args.no_save:
            people = pd.DataFrame(document["people"]).drop(columns=["group"])
            store.save_metrics(people, name="analysis")
    finally:
        store.close()
    if args.json_file:
        Path(args.json_file).write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    if args.html_file:
        Path(args.html_file).write_text(render_html(document), encoding="utf-8")
    net = document["network"]
    print(
        f"{net['people']:,} people, {net['groups']} groups by {args.group_by}: "
        f"E-I {net['ei_index']:+.3f} (random mixing {net['ei_baseline']:+.3f}), "
        f"modularity {net['modularity']:.3f}; "
        f"{100 * (net['share_within_2_hops'] or 0):.0f}% within 2 hops of a leader, "
        f"equity gap {100 * (net['equity_gap_within_2_hops'] or 0):.0f} points"
    )
    for path in (args.json_file, args.html_file):
        if path:
            print(f"wrote {path}")
    return 0
