"""Limits every file reader applies, so a hostile file is refused fast with a clear message.

A file may be built to exhaust the machine: a CSV of one endless line, a cell of a hundred
megabytes, a 1.6 KB workbook that declares a sheet from A1 to XFD1048576, a ZIP whose sheet
XML expands a thousandfold, thousands of sheets. The readers check what they can *before*
parsing (file size, the ZIP directory, the declared sheet dimension, the sheet count) and
stop at the row and column limits while parsing. The defaults sit well above any real HRIS
extract (Excel itself stops at 1,048,576 rows, 16,384 columns and 32,767 characters a cell)
and well below what would take the machine down.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orgbridge.errors import IngestError, ParameterError

__all__ = ["ReadLimits", "check_file_size"]

GIB = 1 << 30
MIB = 1 << 20


@dataclass(frozen=True)
class ReadLimits:
    """How much of a file the readers accept.

    Parameters
    ----------
    max_file_bytes
        Largest CSV or XLSX file on disk.
    max_rows
        Most data rows in one table.
    max_columns
        Most columns in one table (and furthest column a workbook cell may sit in).
    max_cell_chars
        Longest cell, in characters (Excel's own limit is 32,767).
    max_sheets
        Most sheets a workbook may have.
    max_unpacked_bytes
        Largest total size of a workbook's parts once unpacked.
    max_compression_ratio
        Largest unpacked/packed ratio of one workbook part above ``ratio_floor_bytes``
        (real sheet XML packs 5-20 fold; a ZIP bomb a thousandfold).
    ratio_floor_bytes
        Parts smaller than this unpacked are too small to matter and are not ratio-checked.
    max_graph_file_bytes
        Largest GraphML or GEXF file (these are parsed whole, in memory).

    Example
    -------
    >>> ReadLimits().max_cell_chars, ReadLimits(max_rows=10).max_rows
    (32767, 10)
    """

    max_file_bytes: int = 4 * GIB
    max_rows: int = 50_000_000
    max_columns: int = 1_000
    max_cell_chars: int = 32_767
    max_sheets: int = 256
    max_unpacked_bytes: int = 2 * GIB
    max_compression_ratio: float = 100.0
    ratio_floor_bytes: int = 1 * MIB
    max_graph_file_bytes: int = 512 * MIB

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
                raise ParameterError(f"ReadLimits.{name} must be a positive number, got {value!r}")


def check_file_size(path: Path, limit: int) -> int:
    """The file's size in bytes; :class:`IngestError` when it is missing or over ``limit``.

    Example
    -------
    >>> import tempfile, os
    >>> path = Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = path.write_text("a,b\\n1,2\\n")
    >>> check_file_size(path, 100)
    8
    >>> check_file_size(path, 4)
    Traceback (most recent call last):
    ...
    orgbridge.errors.IngestError: t.csv: the file is 8 bytes, more than the limit of 4 bytes
    """
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise IngestError(f"cannot read the file ({exc.strerror or exc})", file=path.name) from exc
    if size > limit:
        raise IngestError(
            f"the file is {_size(size)}, more than the limit of {_size(limit)}", file=path.name
        )
    return size


def _size(count: int) -> str:
    if count >= GIB:
        return f"{count / GIB:.1f} GiB"
    if count >= MIB:
        return f"{count / MIB:.1f} MiB"
    return f"{count:,} bytes"
