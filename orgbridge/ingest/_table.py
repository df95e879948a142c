"""Read a CSV or XLSX file into a table of strings, keeping each row's line number.

Every cell is read as a string (missing cells as NA); typing is the parsers' job. The
table's index, named ``row``, is the 1-based row number a spreadsheet shows (the header is
row 1). Rows with too many or too few fields are not padded: each is reported and left out.

The fast path hands the bytes to Arrow's multi-threaded CSV reader. Files that Arrow finds
irregular (ragged rows, blank lines in the middle, stray quotes) are read again with the
standard library's csv module, which is slower but knows every record's number.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from orgbridge.errors import IngestError
from orgbridge.ingest._limits import ReadLimits, check_file_size
from orgbridge.ingest._report import Problem
from orgbridge.ingest._xlsx import SheetChoice, inspect_workbook, read_xlsx_cells

__all__ = [
    "RawTable",
    "check_table",
    "decode_bytes",
    "parse_csv_bytes",
    "read_table",
    "sniff_delimiter",
]

ROW: str = "row"
_DELIMITERS = (",", ";", "\t")


@dataclass
class RawTable:
    """A file read as strings: the table, the rows left out and why.

    ``frame`` holds every well-formed data row, all cells strings or NA, index ``row``.
    ``rejected`` counts the data rows left out (ragged rows); each has a Problem.
    """

    file: str
    frame: pd.DataFrame
    rejected: int = 0
    problems: list[Problem] = field(default_factory=list)
    encoding: str = "utf-8"
    delimiter: str = ","


def read_table(
    path: str | Path, *, sheet: SheetChoice = None, limits: ReadLimits | None = None
) -> RawTable:
    """Read a CSV (any of , ; tab) or XLSX file into a :class:`RawTable` of strings.

    Parameters
    ----------
    path
        The file. ``.xlsx``/``.xlsm`` files are read with openpyxl, anything else as CSV.
    sheet
        For XLSX, the sheet to read: a name (any case), a 0-based position (int), or None
        for the first. Digits that name no sheet count from 1: ``"2"`` is the second sheet.
    limits
        File size, row, column, cell and workbook limits (default :class:`ReadLimits`()).

    Returns
    -------
    RawTable

    Raises
    ------
    IngestError
        The file cannot be opened, is binary, is empty, has only a header, or a header with
        blank or repeated column names; or it is over a limit of ``limits`` (the message
        says which, and where).

    Example
    -------
    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> path = os.path.join(folder, "t.csv")
    >>> _ = open(path, "w").write("source;target\\na;b\\nc\\n")
    >>> raw = read_table(path)
    >>> raw.frame.index.tolist(), raw.rejected, str(raw.problems[0])
    ([2], 1, 't.csv row 3: has 1 field, expected 2 (source;target)')
    """
    path = Path(path)
    limits = limits or ReadLimits()
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        return _read_xlsx(path, sheet=sheet, limits=limits)
    check_file_size(path, limits.max_file_bytes)
    try:
        with path.open("rb") as handle:
            _refuse_binary(handle.read(_SNIFF_CHARS), file=path.name)  # before reading it all
            handle.seek(0)
            data = handle.read()
    except OSError as exc:
        raise IngestError(f"cannot read the file ({exc.strerror or exc})", file=path.name) from exc
    return parse_csv_bytes(data, file=path.name, limits=limits)


def decode_bytes(data: bytes, *, file: str) -> tuple[str, str, list[Problem]]:
    """Decode a file's bytes: BOM-marked UTF-8/UTF-16, else UTF-8, else cp1252 (with a warning).

    Returns ``(text, encoding, problems)``.

    Example
    -------
    >>> decode_bytes("a,é".encode("utf-16"), file="x.csv")[:2]
    ('a,é', 'utf-16')
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig", []
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "utf-16", []
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError as exc:
        warning = Problem(
            file,
            None,
            None,
            f"the file is not valid UTF-8 (byte {exc.start}); read it as Windows-1252 (cp1252)."
            " Save it as UTF-8 if accented letters look wrong",
            "warning",
        )
        return data.decode("cp1252", errors="replace"), "cp1252", [warning]


def sniff_delimiter(header: str) -> str:
    """The most frequent of ``,`` ``;`` and tab outside quotes in the header line.

    Example
    -------
    >>> sniff_delimiter("id;name;dept"), sniff_delimiter("id"), sniff_delimiter('"a,b"\\tc')
    (';', ',', '\\t')
    """
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse_csv_bytes(data: bytes, *, file: str, limits: ReadLimits | None = None) -> RawTable:
    """Parse CSV bytes into a :class:`RawTable` (see :func:`read_table`).

    Raises
    ------
    IngestError
        Empty or binary file, header-only file, a bad header, or a limit exceeded.
    """
    limits = limits or ReadLimits()
    _refuse_binary(data, file=file)
    _refuse_long_runs(data, file=file, limits=limits)
    text, encoding, problems = decode_bytes(data, file=file)
    if "\x00" in text:
        text = text.replace("\x00", "")
    if not text.strip():
        raise IngestError("the file is empty", file=file)
    text = text.lstrip("\r\n")
    ends = [at for at in (text.find("\n"), text.find("\r")) if at >= 0]
    first_line = text[: min(ends)] if ends else text
    delimiter = sniff_delimiter(first_line[:_SNIFF_CHARS])
    try:
        header = next(csv.reader([first_line], delimiter=delimiter, strict=False), [])
    except csv.Error as exc:
        raise IngestError(f"the header cannot be read: {exc}", file=file, row=1) from exc
    columns = _check_header(header, file=file, limits=limits)
    if len(data) > limits.max_rows and b'"' not in data:
        # Without quotes every line is a record: count them before parsing anything.
        lines = data.count(b"\n") - (1 if data.endswith(b"\n") else 0)
        if lines > limits.max_rows:
            raise IngestError(
                f"the file has {lines:,} data rows, more than the limit of {limits.max_rows:,}",
                file=file,
            )
    untouched = encoding == "utf-8" and not data.startswith((b"\r", b"\n")) and b"\0" not in data
    frame = None
    rejected = 0
    ragged: list[Problem] = []
    if not _needs_slow_path(text):
        payload = data if untouched else text.encode("utf-8")
        frame = _read_fast(payload, columns, delimiter)
        if frame is None and b'"' not in payload:
            # Without quotes a record is a line, so Arrow's line numbers are row numbers.
            found = _read_ragged(payload, columns, delimiter, file=file)
            if found is not None:
                frame, ragged = found
                rejected = len(ragged)
    if frame is None:
        frame, rejected, ragged = _read_slow(text, columns, delimiter, file=file, limits=limits)
    if len(frame) == 0 and rejected == 0:
        raise IngestError("the file has a header but no data rows", file=file)
    check_table(frame, rejected, file=file, limits=limits, longest=len(text))
    return RawTable(file, frame, rejected, problems + ragged, encoding, delimiter)


#: Magic numbers of files people attach by mistake, and what they are.
_MAGIC = (
    (b"PK\x03\x04", "a ZIP archive (an XLSX workbook? give it the .xlsx extension)"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) or Office file: save it as CSV or XLSX"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive: unpack it first"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
)
_SNIFF_CHARS = 64 * 1024
_CONTROL = bytes(c for c in range(32) if c not in (9, 10, 13))


def _refuse_binary(data: bytes, *, file: str) -> None:
    """Refuse a file that is not text, from its first 64 KiB (UTF-16 text is fine)."""
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise IngestError(f"is not a CSV text file: it is {what}", file=file)
    head = data[:_SNIFF_CHARS]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return
    nul = head.count(0)
    if nul and 0.3 < nul / len(head) < 0.55 and _alternate_nul(head):
        return  # UTF-16 without a byte-order mark: ASCII text with a NUL every other byte
    control = len(head) - len(head.translate(None, _CONTROL))
    if control > max(8, len(head) // 100):
        raise IngestError(
            f"is not a CSV text file: {control:,} of its first {len(head):,} bytes are control"
            " characters (a binary file?)",
            file=file,
        )


_RUN_CHUNK = 1 << 22
_STRIDE = 64
_STOPS = np.zeros(256, dtype=bool)
_STOPS[[ord(","), ord(";"), ord("\t"), ord("\n"), ord("\r")]] = True


def _refuse_long_runs(data: bytes, *, file: str, limits: ReadLimits) -> None:
    """Refuse, before decoding, a file holding a run of bytes without a line end or any of
    the delimiters too long for any cell (a run lies inside one cell, quoted or not). Bytes,
    not characters, are counted, so only runs beyond four bytes per allowed character are
    refused here; the exact check on characters runs after parsing. Chunked, so memory
    stays small."""
    bound = 4 * limits.max_cell_chars
    if len(data) <= bound:
        return
    codes = np.frombuffer(data, dtype=np.uint8)
    if _sampled_run_bound(codes) <= bound:
        return
    run = 0  # length of the run still open at the end of the previous chunk
    for start in range(0, len(codes), _RUN_CHUNK):
        chunk = codes[start : start + _RUN_CHUNK]
        stops = np.flatnonzero(_STOPS[chunk])
        if len(stops) == 0:
            run += len(chunk)
            if run > bound:
                _long_run(data, start + len(chunk), run, file=file, limits=limits)
            continue
        edges = np.concatenate(([stops[0] + run], np.diff(stops) - 1))
        worst = int(edges.argmax())
        if edges[worst] > bound:
            _long_run(data, start + int(stops[worst]), int(edges[worst]), file=file, limits=limits)
        run = len(chunk) - int(stops[-1]) - 1
    if run > bound:
        _long_run(data, len(data), run, file=file, limits=limits)


def _sampled_run_bound(codes: np.ndarray) -> int:
    """An upper bound of the longest run, from every 64th byte: a run of L bytes covers at
    least L // 64 sampled bytes, all non-stops. Real files have a stop every few bytes, so
    this settles them in milliseconds and only suspect files get the exact check."""
    sample = codes[::_STRIDE]
    edges = np.concatenate(([-1], np.flatnonzero(_STOPS[sample]), [len(sample)]))
    longest = int((np.diff(edges) - 1).max())
    return (longest + 1) * _STRIDE


def _long_run(data: bytes, end: int, length: int, *, file: str, limits: ReadLimits) -> None:
    line = data.count(b"\n", 0, end - length) + 1
    raise IngestError(
        f"line {line:,} holds a cell of at least {length:,} bytes, more than the limit of"
        f" {limits.max_cell_chars:,} characters",
        file=file,
    )


def _alternate_nul(head: bytes) -> bool:
    even, odd = head[0::2].count(0), head[1::2].count(0)
    return max(even, odd) > 0.9 * (even + odd)


def check_table(
    frame: pd.DataFrame, rejected: int, *, file: str, limits: ReadLimits, longest: int
) -> None:
    """Refuse a table over the row limit or with a cell over the length limit.

    ``longest`` bounds the longest possible cell (the text's length), so small files skip
    the per-cell check.
    """
    rows = len(frame) + rejected
    if rows > limits.max_rows:
        raise IngestError(
            f"the file has {rows:,} data rows, more than the limit of {limits.max_rows:,}",
            file=file,
        )
    if longest <= limits.max_cell_chars:
        return
    for column in frame.columns:
        lengths = frame[column].str.len().to_numpy(dtype=np.float64, na_value=0.0)
        over = np.flatnonzero(lengths > limits.max_cell_chars)
        if len(over):
            raise IngestError(
                f"a cell of {int(lengths[over[0]]):,} characters, more than the limit of"
                f" {limits.max_cell_chars:,}",
                file=file,
                row=int(frame.index[over[0]]),
                column=str(column),
            )


def _check_header(header: list[str], *, file: str, limits: ReadLimits) -> list[str]:
    columns = [name.strip().lstrip("\ufeff").strip() for name in header]
    if not any(columns):
        raise IngestError("the first line has no column names", file=file, row=1)
    if len(columns) > limits.max_columns:
        raise IngestError(
            f"the header has {len(columns):,} columns, more than the limit of"
            f" {limits.max_columns:,}",
            file=file,
            row=1,
        )
    longest = max(columns, key=len)
    if len(longest) > limits.max_cell_chars:
        raise IngestError(
            f"a column name of {len(longest):,} characters, more than the limit of"
            f" {limits.max_cell_chars:,}",
            file=file,
            row=1,
        )
    seen: dict[str, int] = {}
    for position, name in enumerate(columns, start=1):
        if not name:
            raise IngestError(f"column {position} of the header has no name", file=file, row=1)
        if name in seen:
            raise IngestError(
                f"column name {name!r} appears twice in the header (columns {seen[name]}"
                f" and {position})",
                file=file,
                row=1,
            )
        seen[name] = position
    return columns


def _needs_slow_path(text: str) -> bool:
    # Arrow skips blank lines, which would shift the row numbers we report; and lone
    # carriage returns (old Mac line ends) are simplest to count with the csv module.
    body = text.rstrip("\r\n")
    if "\n\n" in body or "\n\r\n" in body or "\r\r" in body:
        return True
    return "\r" in body and "\n" not in body


def _read_fast(data: bytes, columns: list[str], delimiter: str) -> pd.DataFrame | None:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    def refuse(_row: object) -> str:
        return "error"

    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=columns, skip_rows=1, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                # Only quoted cells can hold a line break; without quotes Arrow can split
                # the file into blocks and parse them in parallel.
                newlines_in_values=b'"' in data,
                invalid_row_handler=refuse,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(columns, pa.string()),
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                null_values=[""],
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeError):
        return None
    frame: pd.DataFrame = table.to_pandas()
    frame.index = pd.Index(np.arange(2, len(frame) + 2, dtype=np.int64), name=ROW)
    blank = frame.isna().all(axis=1).to_numpy()
    # A row of empty cells is how spreadsheets export a blank line: skipped, not counted.
    return frame.loc[~blank] if blank.any() else frame


def _read_ragged(
    data: bytes, columns: list[str], delimiter: str, *, file: str
) -> tuple[pd.DataFrame, list[Problem]] | None:
    """Arrow on one thread, skipping ragged rows and noting their line numbers."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    width = len(columns)
    skipped: list[tuple[int, int]] = []

    def note(row: object) -> str:
        number = getattr(row, "number", None)
        if number is None:
            raise ValueError("no line number")
        skipped.append((int(number), int(getattr(row, "actual_columns", 0))))
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=columns, skip_rows=1, use_threads=False),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=note),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(columns, pa.string()),
                strings_can_be_null=True,
                null_values=[""],
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeError, ValueError):
        return None
    frame: pd.DataFrame = table.to_pandas()
    bad_lines = np.array([line for line, _ in skipped], dtype=np.int64)
    lines = np.setdiff1d(np.arange(2, len(frame) + len(skipped) + 2), bad_lines)
    if len(lines) != len(frame):
        return None
    frame.index = pd.Index(lines, name=ROW)
    blank = frame.isna().all(axis=1).to_numpy()
    problems = []
    for line, fields in skipped:
        noun = "field" if fields == 1 else "fields"
        problems.append(
            Problem(
                file,
                line,
                None,
                f"has {fields} {noun}, expected {width} ({delimiter.join(columns)})",
            )
        )
    return (frame.loc[~blank] if blank.any() else frame), problems


def _read_slow(
    text: str, columns: list[str], delimiter: str, *, file: str, limits: ReadLimits
) -> tuple[pd.DataFrame, int, list[Problem]]:
    width = len(columns)
    rows: list[list[str]] = []
    lines: list[int] = []
    problems: list[Problem] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    record = 0
    try:
        for fields in reader:
            record += 1
            if record == 1:
                continue
            if not fields or all(not f.strip() for f in fields):
                continue
            if len(fields) != width:
                noun = "field" if len(fields) == 1 else "fields"
                problems.append(
                    Problem(
                        file,
                        record,
                        None,
                        f"has {len(fields)} {noun}, expected {width} ({delimiter.join(columns)})",
                    )
                )
                continue
            rows.append(fields)
            lines.append(record)
    except csv.Error as exc:
        if "field limit" in str(exc):
            raise IngestError(
                f"a cell of more than {csv.field_size_limit():,} characters (the limit is"
                f" {limits.max_cell_chars:,})",
                file=file,
                row=record + 1,
            ) from exc
        raise IngestError(f"the file cannot be read as CSV: {exc}", file=file, row=record) from exc
    frame = pd.DataFrame(rows, columns=columns, dtype="str")
    frame = frame.mask(frame.apply(lambda col: col.str.strip() == "")) if rows else frame
    frame.index = pd.Index(np.asarray(lines, dtype=np.int64), name=ROW)
    return frame, len(problems), problems


def _read_xlsx(path: Path, *, sheet: SheetChoice, limits: ReadLimits) -> RawTable:
    name = path.name
    title = inspect_workbook(path, sheet=sheet, limits=limits)
    header, body, problems = read_xlsx_cells(path, sheet=title, limits=limits)
    columns = _check_header([h or "" for h in header], file=name, limits=limits)
    body.columns = pd.Index(columns)
    if len(body) == 0 and not problems:
        raise IngestError("the sheet has a header but no data rows", file=name)
    check_table(body, len(problems), file=name, limits=limits, longest=limits.max_cell_chars + 1)
    return RawTable(name, body, len(problems), problems, encoding="xlsx", delimiter="")
