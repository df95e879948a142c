"""``orgbridge users``: the app's accounts (add, passwd, role, logout, remove, list).

Passwords are read from a prompt (twice, to catch typing errors) or, when stdin is not a
terminal, from its first line; never from the command line, where other users of the machine
and the shell history would see them. Every change ends the user's open sessions in the app at
once (a new session version). The workspace itself is not opened, so this works while the app
is running.

Example
-------
>>> import argparse
>>> parser = argparse.ArgumentParser()
>>> register(parser.add_subparsers(dest="command"))
>>> parser.parse_args(["users", "list", "--workspace", "ws"]).action
'list'
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["read_password", "register", "run_users"]


def register(commands: Any) -> None:
    """Register the ``users`` subcommand on the argparse sub-parsers object."""
    from orgbridge.app.auth import ROLES

    users = commands.add_parser("users", help="the app's accounts: add, passwd, remove, list")
    actions = users.add_subparsers(dest="action", metavar="ACTION", required=True)

    def action(name: str, help_text: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = actions.add_parser(name, help=help_text)
        where = parser.add_mutually_exclusive_group(required=True)
        where.add_argument("--workspace", metavar="DIR", help="the workspace (its users.json)")
        where.add_argument("--users", metavar="FILE", help="a users file elsewhere")
        return parser

    add = action("add", "add a user (password from a prompt or stdin)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=ROLES)
    passwd = action("passwd", "change a user's password (ends their sessions)")
    passwd.add_argument("username")
    role = action("role", "change a user's role (ends their sessions)")
    role.add_argument("username")
    role.add_argument("--role", required=True, choices=ROLES)
    logout = action("logout", "end every session of a user")
    logout.add_argument("username")
    remove = action("remove", "remove a user (ends their sessions)")
    remove.add_argument("username")
    listing = action("list", "names and roles (never password hashes)")
    listing.add_argument("--json", action="store_true", help="print one JSON object")
    users.set_defaults(handler=run_users)


def read_password(*, confirm: bool = True) -> str:
    """A new password: from a prompt when stdin is a terminal, else the first line of stdin.

    Raises
    ------
    ParameterError
        Nothing was given, or the two prompted entries differ.
    """
    from orgbridge.errors import ParameterError

    if sys.stdin.isatty():
        password = getpass.getpass("new password: ")
        if confirm and getpass.getpass("again: ") != password:
            raise ParameterError("the two passwords differ; nothing changed")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise ParameterError("no password given (type it at the prompt or pipe it on stdin)")
    return password


def _users_file(args: argparse.Namespace) -> Path:
    from orgbridge.app.auth import USERS_FILE
    from orgbridge.errors import ParameterError

    if args.users:
        path = Path(args.users)
        folder = path.parent
    else:
        folder = Path(args.workspace)
        path = folder / USERS_FILE
    if not folder.is_dir():
        raise ParameterError(f"{folder}: no such folder")
    return path


def run_users(args: argparse.Namespace) -> int:
    """Carry out one ``users`` action."""
    from orgbridge.app import auth
    from orgbridge.errors import ParameterError

    path = _users_file(args)
    name: str = getattr(args, "username", "")
    if args.action == "list":
        users = [{"username": u, "role": r["role"]} for u, r in auth.load_users(path).items()]
        if args.json:
            print(json.dumps({"users": users}))
        else:
            for user in users:
                print(f"{user['username']}\t{user['role']}")
        return 0
    if args.action == "add":
        auth.add_user(path, name, read_password(), args.role, replace=False)
        print(f"added {name} ({args.role})")
    elif args.action == "passwd":
        if name not in auth.load_users(path):  # say so before asking for a password
            raise ParameterError(f"{path}: no user {name!r}")
        auth.set_password(path, name, read_password())
        print(f"changed the password of {name}; their sessions have ended")
    elif args.action == "role":
        auth.set_role(path, name, args.role)
        print(f"{name} is now {args.role}; their sessions have ended")
    elif args.action == "logout":
        auth.end_sessions(path, name)
        print(f"ended every session of {name}")
    else:
        auth.remove_user(path, name)
        print(f"removed {name}; their sessions have ended")
    return 0
