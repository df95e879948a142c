"""Spreadsheet-safe cells: no exported text may start a formula.

A CSV or XLSX cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is run as a formula by Excel, LibreOffice and Google Sheets (CSV injection, OWASP).
Every export neutralises such text by putting an apostrophe in front of it, which
spreadsheets read as "this is text" and show unchanged. Numbers, dates and missing values
are left as they are; column names are cells too.

The public entry point is :mod:`orgbridge.disclosure`, which re-exports these functions.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["FORMULA_PREFIXES", "neutralise_cell", "neutralise_frame", "safe_csv"]

#: Leading characters that make a spreadsheet treat a cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    """``value`` with an apostrophe in front when it is text that would start a formula.

    Example
    -------
    >>> neutralise_cell('=HYPERLINK("http://x","y")')
    '\\'=HYPERLINK("http://x","y")'
    >>> neutralise_cell("Ann"), neutralise_cell(-3)
    ('Ann', -3)
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names cannot start a formula.

    Vectorised per text column; numeric, boolean and date columns are returned unchanged.

    Example
    -------
    >>> t = pd.DataFrame({"name": ["=1+1", "Bo"], "n": [-1, 2]})
    >>> neutralise_frame(t)["name"].tolist(), neutralise_frame(t)["n"].tolist()
    (["'=1+1", 'Bo'], [-1, 2])
    """
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype(object)
        if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            continue
        text = values.map(lambda v: isinstance(v, str), na_action="ignore")
        text = text.fillna(False).astype(bool)
        starts = values.where(text, "").astype(str).str.startswith(FORMULA_PREFIXES)
        if starts.any():
            values = values.astype(object).copy()
            values[starts] = "'" + values[starts].astype(str)
            out[column] = values
    out.columns = [neutralise_cell(str(c)) if isinstance(c, str) else c for c in out.columns]
    return out


def safe_csv(frame: pd.DataFrame) -> bytes:
    r"""``frame`` as spreadsheet-safe CSV bytes: formulas neutralised, and CRLF line ends so
    that a carriage return inside a cell is quoted (readers take a bare CR as a line end).

    Example
    -------
    >>> safe_csv(pd.DataFrame({"a": ["=1", "x\ry"]}))
    b'a\r\n\'=1\r\n"x\ry"\r\n'
    """
    text: str = neutralise_frame(frame).to_csv(index=False, lineterminator="\r\n")
    return text.encode("utf-8")
