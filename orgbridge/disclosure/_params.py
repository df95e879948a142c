"""Client parameters parsed into allow-listed, typed values before any computation.

Any request may be hand-built: a dropdown's value can arrive as a list, a number as
``1e308``, a string as ten megabytes. Each parser takes the raw value and either returns a
value from the allowed set (or range) or raises ParameterError with a short message that
never echoes more than 40 characters of what was sent.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any

from orgbridge.errors import ParameterError

__all__ = ["parse_choice", "parse_flag", "parse_int", "parse_text", "shown"]

#: The longest free text a parameter may carry (a search box, a note).
MAX_TEXT = 200


def shown(value: Any) -> str:
    """``value`` as a short, printable excerpt for an error message.

    Example
    -------
    >>> shown("x" * 100)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'"
    """
    text = value if isinstance(value, str) else repr(value)
    text = "".join(c if c.isprintable() else "?" for c in text[:40]) + (
        "..." if len(text) > 40 else ""
    )
    return repr(text) if isinstance(value, str) else text


def parse_choice(value: Any, allowed: Collection[str], *, what: str) -> str:
    """``value`` if it is one of ``allowed`` (exactly, as a string), else raise.

    Example
    -------
    >>> parse_choice("pairs", ("pairs", "sponsorships"), what="kind")
    'pairs'
    >>> parse_choice(["pairs"], ("pairs",), what="kind")
    Traceback (most recent call last):
    ...
    orgbridge.errors.ParameterError: kind must be one of the offered values (got ['pairs'])
    """
    if isinstance(value, str) and value in allowed:
        return value
    raise ParameterError(f"{what} must be one of the offered values (got {shown(value)})")


def parse_int(
    value: Any,
    *,
    what: str,
    low: int,
    high: int,
    default: int | None = None,
) -> int:
    """A whole number in ``[low, high]`` from a number or numeric text; ``default`` for
    a missing value (None or empty text) when given.

    Example
    -------
    >>> parse_int("12", what="count", low=1, high=500), parse_int(None, what="n", low=0,
    ...     high=3, default=1)
    (12, 1)
    >>> parse_int(1e308, what="count", low=1, high=500)
    Traceback (most recent call last):
    ...
    orgbridge.errors.ParameterError: count must be a whole number from 1 to 500 (got 1e+308)
    """
    if (value is None or value == "") and default is not None:
        return default
    error = ParameterError(
        f"{what} must be a whole number from {low} to {high} (got {shown(value)})"
    )
    if isinstance(value, bool):
        raise error
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 30:
            raise error
        try:
            value = float(text) if any(c in text for c in ".eE") else int(text)
        except ValueError:
            raise error from None
    if isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            raise error
        value = int(value)
    if not isinstance(value, int) or not low <= value <= high:
        raise error
    return value


def parse_flag(value: Any) -> bool:
    """A checkbox or checklist value as a boolean: True, a non-empty list, or "yes"/"true".

    Example
    -------
    >>> parse_flag(["yes"]), parse_flag([]), parse_flag(None), parse_flag("true")
    (True, False, False, True)
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, list):
        return len(value) > 0
    if isinstance(value, str):
        return value.strip().lower() in ("yes", "true", "1", "on")
    return False


def parse_text(value: Any, *, what: str, max_length: int = MAX_TEXT) -> str:
    """Text of at most ``max_length`` printable characters ("" for None).

    Example
    -------
    >>> parse_text("  Sales ", what="search")
    'Sales'
    """
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > max_length:
        raise ParameterError(f"{what} must be text of at most {max_length} characters")
    if any(not c.isprintable() for c in value):
        raise ParameterError(f"{what} must be printable text")
    return value.strip()
