"""The privacy threshold: no aggregate over fewer than ``k`` people (``k`` at least 5).

Example
-------
>>> small_group_note(check_min_group(7))
'fewer than 7 people'
"""

from __future__ import annotations

import numpy as np

from orgbridge.errors import PrivacyError
from orgbridge.graph._schema import MIN_GROUP_FLOOR

__all__ = ["DEFAULT_MIN_GROUP", "check_min_group", "small_group_note"]

#: The default privacy threshold (people per group).
DEFAULT_MIN_GROUP = 5


def check_min_group(min_group: int) -> int:
    """Return ``min_group`` if it is an allowed privacy threshold, else raise.

    Raises
    ------
    PrivacyError
        ``min_group`` is below 5 or not a whole number.

    Example
    -------
    >>> check_min_group(10)
    10
    >>> check_min_group(3)
    Traceback (most recent call last):
    ...
    orgbridge.errors.PrivacyError: the privacy threshold cannot be below 5 (got 3)
    """
    if isinstance(min_group, bool) or not isinstance(min_group, int | np.integer):
        raise PrivacyError(f"the privacy threshold must be a whole number (got {min_group!r})")
    if min_group < MIN_GROUP_FLOOR:
        raise PrivacyError(
            f"the privacy threshold cannot be below {MIN_GROUP_FLOOR} (got {min_group})"
        )
    return int(min_group)


def small_group_note(min_group: int) -> str:
    """The label a suppressed group carries, e.g. ``"fewer than 5 people"``."""
    return f"fewer than {min_group} people"
