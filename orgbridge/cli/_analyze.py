"""``orgbridge analyze``: silo, brokerage, exposure and equity metrics as JSON and HTML."""

from __future__ import annotations

import argparse
import json
from typing import Any

from orgbridge.cli._store import add_store_arguments, open_store
from orgbridge.graph._private import write_private

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
    parser.add_argument(
        "--as-of",
        default=None,
        metavar="DATE",
        help="analyse the organisation on this day: ties ended before it are history "
        "(default: today)",
    )
    parser.add_argument("--min-group", type=int, default=5, metavar="K", help="at least 5")
    parser.add_argument("--seed", type=int, default=0, metavar="S")
    parser.add_argument("--json", dest="json_file", metavar="FILE", help="write the JSON here")
    parser.add_argument("--html", dest="html_file", metavar="FILE", help="write an HTML report")
    parser.add_argument(
        "--no-save", action="store_true", help="do not write per-person metrics to the store"
    )
    parser.set_defaults(handler=run_analyze)


#: From this many people, betweenness and constraint run in a second process meanwhile.
PARALLEL_PEOPLE = 20_000


def run_analyze(args: argparse.Namespace) -> int:
    """Analyse the stored organisation; write JSON/HTML; save per-person metrics back with
    what they were computed from (the app reuses them while that still holds)."""
    from orgbridge.report import analyze_store, render_html, summary_line

    store = open_store(args)
    try:
        document = analyze_store(
            store,
            group_by=args.group_by,
            layers=args.layers,
            as_of=args.as_of,
            min_group=args.min_group,
            seed=args.seed,
            save=not args.no_save,
            parallel_from=PARALLEL_PEOPLE,
        )
    finally:
        store.close()
    if args.json_file:
        write_private(args.json_file, json.dumps(document, indent=1) + "\n")
    if args.html_file:
        write_private(args.html_file, render_html(document))
    print(summary_line(document, args.group_by) + "; " + _exposure_line(document["network"]))
    for note in document.get("notes", []):
        print(f"note: {note}")
    for path in (args.json_file, args.html_file):
        if path:
            print(f"wrote {path}")
    return 0


def _exposure_line(net: dict[str, Any]) -> str:
    """Coverage of non-leaders, the best-worst gap and the worst group's gap to everyone."""
    share = net.get("share_within_2_hops")
    if share is None:
        return "exposure needs leaders (none are marked)"
    line = f"{100 * share:.0f}% of non-leaders within 2 hops of a leader"
    gap, worst = net.get("equity_gap_within_2_hops"), net.get("worst_group_within_2_hops")
    if gap is None or worst is None:
        return line + " (fewer than two groups large enough to compare)"
    worst_share = net["worst_group_share_within_2_hops"]
    return (
        f"{line}; best minus worst group {100 * gap:.0f} points; worst group {worst} "
        f"at {100 * worst_share:.0f}%, {100 * (share - worst_share):.0f} points below everyone"
    )
