"""Vectorised cell parsing: text, booleans, numbers and dates, each with its problems.

Each parser takes a column of strings and the rows' line numbers and returns the parsed
column plus a boolean mask of the cells it could not read (so the caller decides whether a
bad cell rejects the row or is cleared with a warning). Distinct values are parsed once, so
a date column of two million rows with a few hundred distinct dates costs little.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "Bad",
    "isin",
    "line_numbers",
    "parse_booleans",
    "parse_dates",
    "parse_numbers",
    "text",
]

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0"})

_NUMERIC_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")


@dataclass(frozen=True)
class Bad:
    """Cells a parser could not read: mask over the rows and a sentence per bad value."""

    mask: np.ndarray
    reason: str
    note: str | None = None

    @property
    def any(self) -> bool:
        return bool(self.mask.any())


def line_numbers(table: pd.DataFrame) -> np.ndarray:
    """Row numbers of a table: its ``row`` index, else 2, 3, ... (the header being row 1).

    Example
    -------
    >>> line_numbers(pd.DataFrame({"a": ["x", "y"]})).tolist()
    [2, 3]
    """
    if table.index.name == "row":
        return table.index.to_numpy(dtype=np.int64)
    return np.arange(2, len(table) + 2, dtype=np.int64)


def text(values: pd.Series) -> pd.Series:
    """Strings stripped of surrounding space, blanks as NA, dtype ``str``.

    Example
    -------
    >>> text(pd.Series([" a ", "", None, 3])).tolist()
    ['a', nan, nan, '3']
    """
    out = values.astype("str").str.strip() if len(values) else values.astype("str")
    return out.mask(out == "")


def parse_booleans(values: pd.Series) -> tuple[pd.Series, Bad]:
    """true/false/yes/no/y/n/t/f/1/0 (any case) to a nullable boolean column.

    Example
    -------
    >>> out, bad = parse_booleans(pd.Series(["Yes", "n", None, "maybe"]))
    >>> out.tolist(), bad.mask.tolist()
    ([True, False, <NA>, <NA>], [False, False, False, True])
    """
    folded = text(values).str.lower()
    is_true = folded.isin(TRUE_WORDS).to_numpy()
    is_false = folded.isin(FALSE_WORDS).to_numpy()
    present = folded.notna().to_numpy()
    out = pd.Series(pd.array([pd.NA] * len(values), dtype="boolean"), index=values.index)
    out[is_true] = True
    out[is_false] = False
    bad = present & ~is_true & ~is_false
    return out, Bad(bad, "is not a yes/no value (true/false, yes/no, y/n, 1/0)")


def parse_numbers(values: pd.Series) -> tuple[pd.Series, Bad]:
    """Numbers as float64 (NaN where blank or unreadable).

    Example
    -------
    >>> out, bad = parse_numbers(pd.Series(["1.5", "", "x"]))
    >>> out.tolist()[0], bad.mask.tolist()
    (1.5, [False, False, True])
    """
    cleaned = text(values)
    out = _arrow_numbers(cleaned)
    if out is None:
        out = pd.to_numeric(cleaned, errors="coerce").astype("float64")
    bad = (cleaned.notna() & out.isna()).to_numpy() | np.isinf(out.to_numpy())
    out = out.where(~bad)
    return out, Bad(bad, "is not a number")


def _arrow_numbers(cleaned: pd.Series) -> pd.Series | None:
    """Arrow's string-to-float cast: many times faster than to_numeric when every cell is
    a number; None (so the caller takes the slow, forgiving path) when one is not."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        array = pc.cast(pa.array(cleaned, type=pa.string(), from_pandas=True), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError):
        return None
    return pd.Series(array.to_numpy(zero_copy_only=False), index=cleaned.index, dtype="float64")


def isin(values: pd.Series, known: pd.Index) -> np.ndarray:
    """Boolean mask: which values are in ``known`` (hash lookup in Arrow; NA is never in).

    Example
    -------
    >>> isin(pd.Series(["a", None, "c"]), pd.Index(["a", "b"])).tolist()
    [True, False, False]
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        array = pa.array(values, type=pa.string(), from_pandas=True)
        value_set = pa.array(known.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
        found = pc.is_in(array, value_set=value_set, skip_nulls=True)
        return np.asarray(found.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return values.isin(known).to_numpy(dtype=bool)


def parse_dates(values: pd.Series) -> tuple[pd.Series, Bad]:
    """Dates in ISO (2024-03-31) or common d/m/y and m/d/y forms to datetime64[ns].

    For numeric forms like 03/04/2024, day-first is assumed unless some value only makes
    sense month-first (a second number above 12); the returned ``Bad.note`` says which.

    Example
    -------
    >>> out, bad = parse_dates(pd.Series(["2024-03-31", "31/03/2024", "soon", None]))
    >>> [str(d.date()) if pd.notna(d) else None for d in out], bad.mask.tolist()
    (['2024-03-31', '2024-03-31', None, None], [False, False, True, False])
    >>> bad.note
    'dates like 31/03/2024 were read day first (dd/mm/yyyy)'
    """
    cleaned = text(values)
    present = cleaned.notna().to_numpy()
    uniques = pd.unique(cleaned[present].to_numpy(dtype=object))
    parsed, note = _parse_unique_dates([str(u) for u in uniques])
    lookup = pd.Series(parsed, index=pd.Index(uniques, dtype=object), dtype="datetime64[ns]")
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if len(uniques):
        out[present] = lookup.reindex(cleaned[present].to_numpy(dtype=object)).to_numpy()
    bad = present & out.isna().to_numpy()
    return out, Bad(bad, "is not a date (use YYYY-MM-DD)", note)


def _parse_unique_dates(uniques: list[str]) -> tuple[np.ndarray, str | None]:
    n = len(uniques)
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    if not n:
        return out, None
    series = pd.Series(uniques, dtype=object)
    iso_like = series.str.match(r"^\d{4}-\d{1,2}-\d{1,2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?$")
    iso_mask = iso_like.to_numpy(dtype=bool)
    if iso_mask.any():
        iso = pd.to_datetime(series[iso_mask], format="ISO8601", errors="coerce")
        out[iso_mask] = iso.to_numpy(dtype="datetime64[ns]")
    note = None
    rest = [int(i) for i in np.flatnonzero(~iso_mask)]
    numeric: list[tuple[int, int, int, int]] = []
    others: list[int] = []
    for i in rest:
        match = _NUMERIC_DATE.match(uniques[i])
        if match:
            a, b, year = (int(g) for g in match.groups())
            if year < 100:
                year += 2000 if year < 70 else 1900
            numeric.append((i, a, b, year))
        else:
            others.append(i)
    if numeric:
        month_first = any(b > 12 for _, _, b, _ in numeric) and not any(
            a > 12 for _, a, _, _ in numeric
        )
        example = uniques[numeric[0][0]]
        note = (
            f"dates like {example} were read month first (mm/dd/yyyy)"
            if month_first
            else f"dates like {example} were read day first (dd/mm/yyyy)"
        )
        for i, a, b, year in numeric:
            day, month = (b, a) if month_first else (a, b)
            with contextlib.suppress(ValueError):
                out[i] = np.datetime64(pd.Timestamp(year=year, month=month, day=day), "ns")
    for i in others:
        # Written-out months ("5 Jan 2024", "Jan 5, 2024"); anything else stays bad.
        if re.search(r"[A-Za-z]{3}", uniques[i]) and re.search(r"\d", uniques[i]):
            stamp = pd.to_datetime(uniques[i], errors="coerce", dayfirst=True, format="mixed")
            if pd.notna(stamp):
                out[i] = np.datetime64(stamp.tz_localize(None) if stamp.tzinfo else stamp, "ns")
    return out, note
