"""The ``orgbridge`` command line: one subcommand per module, errors shown as one sentence.

Example
-------
>>> build_parser().parse_args(["summary", "--workspace", "ws"]).command
'summary'
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import traceback
from collections.abc import Sequence

from orgbridge import __version__
from orgbridge.errors import OrgbridgeError

__all__ = ["main"]

#: Modules that each register their subcommands (one concept per module).
COMMAND_MODULES = (
    "_commands",
    "_neo4j_import",
    "_analyze",
    "_recommend",
    "_programme",
    "_app",
    "_users",
)

EXIT_OK = 0
EXIT_INVALID = 1  # validation found errors
EXIT_ERROR = 2  # the command could not do its job


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="orgbridge",
        description="Map an organisation as a graph, measure silos and access to leadership, "
        "and recommend gap-closing mentoring pairs and sponsorships.",
    )
    parser.add_argument("--version", action="version", version=f"orgbridge {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        importlib.import_module(f"orgbridge.cli.{module}").register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit status. Never lets a traceback reach the user."""
    parser = build_parser()
    args = parser.parse_args(argv)
    as_json = bool(getattr(args, "json", False)) and getattr(args, "json", None) is True
    try:
        status: int = args.handler(args)
        return status
    except OrgbridgeError as error:
        return _report_error(str(error), as_json)
    except KeyboardInterrupt:
        print("interrupted; nothing was written by the interrupted step", file=sys.stderr)
        return 130
    except Exception as error:  # a bug: say so plainly, keep the traceback behind a switch
        if os.environ.get("ORGBRIDGE_DEBUG"):
            traceback.print_exc()
        message = (
            f"internal error ({type(error).__name__}: {error}). This is a bug in orgbridge; "
            "set ORGBRIDGE_DEBUG=1 to see the traceback."
        )
        return _report_error(message, as_json)


def _report_error(message: str, as_json: bool) -> int:
    if as_json:
        print(json.dumps({"error": message}))
    print(f"error: {message}", file=sys.stderr)
    return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
