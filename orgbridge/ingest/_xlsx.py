"""Read one sheet of an XLSX workbook as strings, inspecting the ZIP before parsing it.

Before openpyxl sees the file: the file size, every part's unpacked size and compression
ratio (from the ZIP directory; Python's zipfile never inflates a part beyond its declared
size), the sheet count, and the chosen sheet's declared ``<dimension ref=...>``. Then the
sheet is streamed with openpyxl's read-only mode, row by row, and reading stops at the first
cell beyond the column limit or row beyond the row limit, whatever the dimension claimed.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any
from xml.etree import ElementTree

import numpy as np
import pandas as pd

from orgbridge.errors import IngestError
from orgbridge.ingest._limits import MIB, ReadLimits, check_file_size
from orgbridge.ingest._report import Problem

__all__ = ["SheetChoice", "column_letters", "inspect_workbook", "read_xlsx_cells"]

SheetChoice = str | int | None

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_DIMENSION = re.compile(
    rb"<(?:\w+:)?dimension\s+ref=\"([A-Za-z]{1,3})(\d{1,10})(?::([A-Za-z]{1,3})(\d{1,10}))?\""
)
_METADATA_LIMIT = 16 * MIB  # workbook.xml and its relationships are small in any real file
_HEAD_BYTES = 64 * 1024
#: The last row of an Excel, LibreOffice or Google sheet.
EXCEL_ROWS = 1_048_576


def column_letters(number: int) -> str:
    """The spreadsheet letters of a 1-based column number.

    Example
    -------
    >>> column_letters(1), column_letters(28), column_letters(16384)
    ('A', 'AB', 'XFD')
    """
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_number(letters: bytes) -> int:
    number = 0
    for char in letters.upper():
        number = number * 26 + (char - 64)
    return number


def inspect_workbook(path: Path, *, sheet: SheetChoice, limits: ReadLimits) -> str:
    """Check a workbook's ZIP directory, sheet count and declared dimension; return the sheet.

    Parameters
    ----------
    path
        The ``.xlsx`` file.
    sheet
        A sheet name (any case), a 0-based position (int), or None for the first sheet. A
        name of digits that no sheet has is a 1-based number: ``"2"`` is the second sheet.
    limits
        The limits to apply.

    Returns
    -------
    str
        The name of the sheet to read.

    Raises
    ------
    IngestError
        The file is not a workbook, is too large once unpacked, packs a part suspiciously
        tightly (a ZIP bomb), has too many sheets, lacks the chosen sheet (the message names
        the sheets), or declares a sheet beyond the row or column limit.
    """
    name = path.name
    check_file_size(path, limits.max_file_bytes)
    entries = _declared_entries(path)
    if entries is not None and entries > _max_parts(limits):
        raise IngestError(
            f"the workbook holds {entries:,} parts, more than the limit of"
            f" {_max_parts(limits):,} (sixteen per sheet allowed, and a thousand more)",
            file=name,
        )
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise IngestError(
            f"cannot read the workbook: it is not an XLSX file (not a ZIP archive: {exc})",
            file=name,
        ) from exc
    with archive:
        _check_parts(archive, name, limits)
        sheets = _sheets(archive, name)
        if len(sheets) > limits.max_sheets:
            raise IngestError(
                f"the workbook has {len(sheets):,} sheets, more than the limit of"
                f" {limits.max_sheets:,}",
                file=name,
            )
        title, part = _choose(sheets, sheet, name)
        _check_dimension(archive, part, title, name, limits)
    return title


def _max_parts(limits: ReadLimits) -> int:
    return 16 * limits.max_sheets + 1_000


def _declared_entries(path: Path) -> int | None:
    """The entry count in the ZIP's end record, read before zipfile lists every entry (a
    directory of millions of entries would cost gigabytes to list). None if not found."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - (1 << 16) - 22))
            tail = handle.read()
    except OSError:
        return None
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        return None
    count = int.from_bytes(tail[at + 10 : at + 12], "little")
    if count != 0xFFFF:
        return count
    at64 = tail.rfind(b"PK\x06\x06", 0, at)  # ZIP64 end record: an 8-byte count
    if at64 < 0 or at64 + 40 > len(tail):
        return None
    return int.from_bytes(tail[at64 + 32 : at64 + 40], "little")


def _check_parts(archive: zipfile.ZipFile, name: str, limits: ReadLimits) -> None:
    infos = archive.infolist()
    if len(infos) > _max_parts(limits):
        raise IngestError(
            f"the workbook holds {len(infos):,} parts, more than the limit of"
            f" {_max_parts(limits):,}",
            file=name,
        )
    total = 0
    for info in infos:
        total += info.file_size
        packed = max(info.compress_size, 1)
        ratio = info.file_size / packed
        if info.file_size > limits.ratio_floor_bytes and ratio > limits.max_compression_ratio:
            raise IngestError(
                f"cannot read the workbook: its part {info.filename} unpacks {ratio:,.0f}-fold"
                f" ({info.compress_size:,} bytes to {info.file_size:,}), more than the limit of"
                f" {limits.max_compression_ratio:,.0f}-fold (a ZIP bomb?)",
                file=name,
            )
    if total > limits.max_unpacked_bytes:
        raise IngestError(
            f"cannot read the workbook: it unpacks to {total:,} bytes, more than the limit of"
            f" {limits.max_unpacked_bytes:,}",
            file=name,
        )


def _read_small(archive: zipfile.ZipFile, member: str, name: str) -> bytes:
    try:
        info = archive.getinfo(member)
    except KeyError as exc:
        raise IngestError(f"cannot read the workbook: it has no {member}", file=name) from exc
    if info.file_size > _METADATA_LIMIT:
        raise IngestError(
            f"cannot read the workbook: {member} is {info.file_size:,} bytes", file=name
        )
    try:
        return archive.read(member)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise IngestError(f"cannot read the workbook: {exc}", file=name) from exc


def _xml(data: bytes, member: str, name: str) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        message = f"cannot read the workbook: {member} is not XML ({exc})"
        raise IngestError(message, file=name) from exc


def _workbook_part(archive: zipfile.ZipFile, name: str) -> str:
    if "_rels/.rels" in archive.namelist():
        root = _xml(_read_small(archive, "_rels/.rels", name), "_rels/.rels", name)
        for rel in root.iter(f"{{{_PKG_REL}}}Relationship"):
            if rel.get("Type", "").endswith("/officeDocument"):
                return rel.get("Target", "xl/workbook.xml").lstrip("/")
    return "xl/workbook.xml"


def _sheets(archive: zipfile.ZipFile, name: str) -> list[tuple[str, str | None]]:
    """Every sheet as ``(title, part)`` in tab order; ``part`` None for chart sheets."""
    workbook = _workbook_part(archive, name)
    root = _xml(_read_small(archive, workbook, name), workbook, name)
    folder = PurePosixPath(workbook).parent
    rels_path = str(folder / "_rels" / (PurePosixPath(workbook).name + ".rels"))
    targets: dict[str, tuple[str, str]] = {}
    if rels_path in archive.namelist():
        rels = _xml(_read_small(archive, rels_path, name), rels_path, name)
        for rel in rels.iter(f"{{{_PKG_REL}}}Relationship"):
            target = rel.get("Target", "")
            part = target.lstrip("/") if target.startswith("/") else str(folder / target)
            targets[rel.get("Id", "")] = (part, rel.get("Type", ""))
    sheets: list[tuple[str, str | None]] = []
    for element in root.iter(f"{{{_MAIN}}}sheet"):
        title = element.get("name", "")
        part, kind = targets.get(element.get(f"{{{_REL}}}id", ""), ("", ""))
        sheets.append((title, part if kind.endswith("/worksheet") else None))
    if not sheets:
        raise IngestError("cannot read the workbook: it has no sheets", file=name)
    return sheets


def _choose(
    sheets: list[tuple[str, str | None]], sheet: SheetChoice, name: str
) -> tuple[str, str | None]:
    titles = [title for title, _ in sheets]
    shown = ", ".join(repr(t) for t in titles[:20]) + (" ..." if len(titles) > 20 else "")
    if sheet is None:
        for title, part in sheets:
            if part is not None:
                return title, part
        raise IngestError(f"the workbook has no sheet of cells (only {shown})", file=name)
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        if not 0 <= sheet < len(sheets):
            raise IngestError(
                f"the workbook has no sheet number {sheet + 1} (it has {len(sheets)}: {shown})",
                file=name,
            )
        chosen = sheets[sheet]
    else:
        found = [s for s in sheets if s[0] == sheet] or [
            s for s in sheets if s[0].casefold() == str(sheet).casefold()
        ]
        if not found and str(sheet).strip().isdigit() and 1 <= int(sheet) <= len(sheets):
            found = [sheets[int(sheet) - 1]]  # "2": no sheet of that name, so the second
        if not found:
            raise IngestError(f"the workbook has no sheet {sheet!r} (it has {shown})", file=name)
        chosen = found[0]
    if chosen[1] is None:
        raise IngestError(f"sheet {chosen[0]!r} is a chart, not a table", file=name)
    return chosen


def _check_dimension(
    archive: zipfile.ZipFile, part: str | None, title: str, name: str, limits: ReadLimits
) -> None:
    if part is None:
        return
    try:
        with archive.open(part) as handle:
            head = handle.read(_HEAD_BYTES)
    except KeyError as exc:
        message = f"cannot read the workbook: sheet {title!r} is missing"
        raise IngestError(message, file=name) from exc
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise IngestError(f"cannot read the workbook: {exc}", file=name) from exc
    match = _DIMENSION.search(head)
    if match is None:
        return  # no declared size: the streaming reader enforces the limits
    last_col, last_row = match.group(3) or match.group(1), match.group(4) or match.group(2)
    columns, rows = _column_number(last_col), int(last_row)
    ref = match.group(0).split(b'"')[1].decode("ascii")
    if columns > limits.max_columns:
        raise IngestError(
            f"sheet {title!r} declares cells up to column {column_letters(columns)}"
            f" ({columns:,} columns, range {ref}), more than the limit of"
            f" {limits.max_columns:,} columns",
            file=name,
        )
    if rows > EXCEL_ROWS:
        raise IngestError(
            f"sheet {title!r} declares rows up to {rows:,} (range {ref}), beyond row"
            f" {EXCEL_ROWS:,}, the last row a spreadsheet has",
            file=name,
        )
    if rows - 1 > limits.max_rows:
        raise IngestError(
            f"sheet {title!r} declares {rows:,} rows (range {ref}), more than the limit of"
            f" {limits.max_rows:,} data rows",
            file=name,
        )


def read_xlsx_cells(
    path: Path, *, sheet: str, limits: ReadLimits
) -> tuple[list[str | None], pd.DataFrame, list[Problem]]:
    """Stream one sheet: ``(header, body of strings indexed by row number, row problems)``.

    A data row with a value to the right of the header's last column is left out with a
    problem (its value has no column name). Blank rows are skipped.

    Raises
    ------
    IngestError
        The sheet is empty, a cell lies beyond the column limit, or there are more rows than
        the row limit.
    """
    import openpyxl

    name = path.name
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises its own (zipfile, XML, KeyError) on bad files
        raise IngestError(f"cannot read the workbook: {exc}", file=name) from exc
    try:
        worksheet: Any = book[sheet]
        worksheet.reset_dimensions()  # never trust the declared size: read what is there
        return _stream(worksheet, name, sheet, limits)
    except IngestError:
        raise
    except Exception as exc:
        raise IngestError(f"cannot read the workbook: {exc}", file=name) from exc
    finally:
        book.close()


def _stream(
    worksheet: Any, name: str, title: str, limits: ReadLimits
) -> tuple[list[str | None], pd.DataFrame, list[Problem]]:
    header: list[str | None] | None = None
    width = 0
    columns: list[list[str | None]] = []
    lines: list[int] = []
    problems: list[Problem] = []
    for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
        if number > EXCEL_ROWS:
            # openpyxl yields an empty row for each skipped row number: without this a
            # single <row r="999999999"> would be a billion empty rows.
            raise IngestError(
                f"sheet {title!r} has rows beyond row {EXCEL_ROWS:,}, the last row a"
                " spreadsheet has",
                file=name,
            )
        if number - 1 > limits.max_rows:
            raise IngestError(
                f"sheet {title!r} has more than {limits.max_rows:,} data rows (the limit)",
                file=name,
                row=number,
            )
        if len(values) > limits.max_columns:
            beyond = [i for i, v in enumerate(values) if v is not None and i >= limits.max_columns]
            if beyond:
                raise IngestError(
                    f"sheet {title!r} has a cell in column {column_letters(beyond[0] + 1)},"
                    f" beyond the limit of {limits.max_columns:,} columns",
                    file=name,
                    row=number,
                )
            values = values[: limits.max_columns]
        cells = [_cell_text(v) for v in values]
        if header is None:
            header = cells
            while header and header[-1] is None:
                header.pop()
            width = len(header)
            columns = [[] for _ in range(width)]
            continue
        if all(c is None for c in cells):
            continue
        extra = [i for i in range(width, len(cells)) if cells[i] is not None]
        if extra:
            problems.append(
                Problem(
                    name,
                    number,
                    None,
                    f"has a value in column {column_letters(extra[0] + 1)}, to the right of the"
                    f" header's last column ({column_letters(width)}); this row was left out",
                )
            )
            continue
        for i in range(width):
            columns[i].append(cells[i] if i < len(cells) else None)
        lines.append(number)
    if header is None or not width:
        raise IngestError("the sheet is empty", file=name)
    body = pd.DataFrame({i: pd.Series(col, dtype="str") for i, col in enumerate(columns)})
    body.index = pd.Index(np.asarray(lines, dtype=np.int64), name="row")
    return header, body, problems


def _cell_text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    if hasattr(value, "isoformat") and hasattr(value, "year"):
        try:
            stamp = pd.Timestamp(value)  # type: ignore[arg-type]
        except (ValueError, OverflowError):  # outside pandas' years 1677-2262: keep the text
            return str(value.isoformat())
        return stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat()
    text = str(value).strip()
    return text or None
