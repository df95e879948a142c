"""Person-level records as a role may see them: a name, a pseudonym, or nothing.

- **admin**, **coordinator**: names (the person_id where a name is missing);
- **analyst**: pseudonyms ``P-`` + 16 hex digits, a keyed hash (HMAC-SHA256) of the
  person_id: stable for a deployment, unlinkable without its key, and 64 bits long, so
  a million people collide with probability about 3e-8;
- **executive** and anonymous visitors: no person at all.

Special-category values are never shown beside a person, for any role; identifying columns
(e.g. ``manager_id``, ``email``) only beside names.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

import numpy as np
import pandas as pd

from orgbridge.disclosure._attributes import _ID_PATTERN, IDENTIFIER_NAMES, _key
from orgbridge.errors import AccessDenied

__all__ = ["IDENTITIES", "identity_for", "person_columns", "person_labels", "pseudonyms"]

#: How each role sees a person.
IDENTITIES: dict[str, str] = {
    "admin": "name",
    "coordinator": "name",
    "analyst": "pseudonym",
}
#: Hex digits of a pseudonym (64 bits).
PSEUDONYM_DIGITS = 16


def identity_for(role: str | None) -> str | None:
    """``"name"``, ``"pseudonym"`` or None (this role sees no person).

    Example
    -------
    >>> identity_for("analyst"), identity_for("executive"), identity_for(None)
    ('pseudonym', None, None)
    """
    return IDENTITIES.get(role) if isinstance(role, str) else None


def pseudonyms(person_ids: Iterable[object], key: bytes) -> np.ndarray:
    """Stable pseudonyms ``P-`` + 16 hex digits (HMAC-SHA256 of each person_id).

    Example
    -------
    >>> p = pseudonyms(["a", "b"], b"k")
    >>> p.tolist() == pseudonyms(["a", "b"], b"k").tolist(), len(p[0]), p[0] != p[1]
    (True, 18, True)
    """
    keyed = hmac.new(key, digestmod=hashlib.sha256)  # the key schedule once, copied per id

    def one(person_id: object) -> str:
        mac = keyed.copy()
        mac.update(str(person_id).encode())
        return "P-" + mac.hexdigest()[:PSEUDONYM_DIGITS]

    return np.array([one(pid) for pid in person_ids], dtype=object)


def person_labels(
    person_ids: pd.Index | np.ndarray,
    names: np.ndarray | None,
    *,
    role: str | None,
    key: bytes,
) -> np.ndarray:
    """What each person is called for ``role``.

    Raises
    ------
    AccessDenied
        The role sees no person.

    Example
    -------
    >>> ids = np.array(["e1", "e2"], dtype=object)
    >>> person_labels(ids, np.array(["Ann", None], dtype=object), role="coordinator",
    ...               key=b"k").tolist()
    ['Ann', 'e2']
    """
    identity = identity_for(role)
    ids = np.asarray(person_ids, dtype=object)
    if identity == "name":
        if names is None:
            return ids
        labelled: np.ndarray = np.where(pd.notna(names), names, ids).astype(object)
        return labelled
    if identity == "pseudonym":
        return pseudonyms(ids, key)
    raise AccessDenied(f"the {role or 'anonymous'} role may not see person-level data")


def person_columns(
    columns: Iterable[str], *, role: str | None, special: Iterable[str]
) -> list[str]:
    """The people columns that may be shown beside a person for ``role``: never a special
    category; identifying columns only for roles that see names; nothing for the others.

    Example
    -------
    >>> person_columns(["name", "manager_id", "department", "gender"], role="analyst",
    ...                special=["gender"])
    ['department']
    """
    identity = identity_for(role)
    if identity is None:
        return []
    hidden = set(special)
    shown = []
    for column in columns:
        key = _key(str(column))
        identifying = key in IDENTIFIER_NAMES or bool(_ID_PATTERN.search(key))
        if str(column) in hidden or (identifying and identity != "name"):
            continue
        shown.append(str(column))
    return shown
