"""Who may do what: the permission table, the guard decorator and analysts' pseudonyms."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

import numpy as np
import pandas as pd

from orgbridge.app.auth import User
from orgbridge.disclosure import pseudonyms
from orgbridge.errors import AccessDenied

__all__ = ["PERMISSIONS", "check_access", "pseudonym", "requires"]

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S")

_EVERYONE = frozenset({"admin", "analyst", "coordinator", "executive"})
#: Which roles may do what. Checked on the server for every call.
PERMISSIONS: dict[str, frozenset[str]] = {
    "aggregates": _EVERYONE,
    "people": frozenset({"admin", "analyst", "coordinator"}),
    "names": frozenset({"admin", "coordinator"}),
    "recommend": frozenset({"admin", "coordinator"}),
    "data": frozenset({"admin"}),
    "analyze": frozenset({"admin", "analyst"}),
}
_WHAT = {
    "aggregates": "see this page",
    "people": "see person-level data",
    "names": "see named people",
    "recommend": "run the recommender or record decisions",
    "data": "load data",
    "analyze": "run the analysis",
}


def check_access(user: User | None, permission: str) -> User:
    """Return ``user`` if its role has ``permission``, else raise AccessDenied."""
    if user is None:
        raise AccessDenied("please log in")
    if user.role not in PERMISSIONS[permission]:
        raise AccessDenied(f"the {user.role} role may not {_WHAT[permission]}")
    return user


def requires(
    permission: str,
) -> Callable[
    [Callable[Concatenate[S, User | None, P], R]], Callable[Concatenate[S, User | None, P], R]
]:
    """Decorate a Services method so it checks the caller's role before running."""

    def decorate(
        method: Callable[Concatenate[S, User | None, P], R],
    ) -> Callable[Concatenate[S, User | None, P], R]:
        @functools.wraps(method)
        def guarded(self: S, user: User | None, /, *args: P.args, **kwargs: P.kwargs) -> R:
            check_access(user, permission)
            return method(self, user, *args, **kwargs)

        guarded.permission = permission  # type: ignore[attr-defined]
        return guarded

    return decorate


def pseudonym(person_ids: pd.Index | np.ndarray | list[str], key: bytes) -> np.ndarray:
    """Stable pseudonyms ``P-`` and 16 hex digits (HMAC-SHA256 of each person_id, 64 bits).

    64 bits keep pseudonyms distinct in practice at any organisation size (the chance of any
    collision among 2,000,000 people is about 1 in 10 million); a shorter digest would
    collide: 8 hex digits already give a collision among 1,000,000 people with probability
    above 99.99%.

    Example
    -------
    >>> pseudonym(["a", "b"], b"k").tolist() == pseudonym(["a", "b"], b"k").tolist()
    True
    >>> first = str(pseudonym(["a"], b"k")[0])
    >>> first.startswith("P-") and len(first) == 18
    True
    """
    return pseudonyms(person_ids, key)
