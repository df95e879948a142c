"""Files read with limits: XLSX bombs, sheet choice, CSV rows/fields/binary, GraphML size.

The bombs are built here, byte by byte: a 1.6 KB-style workbook with cells at A1, XFD1 and
A20000; the same with its dimension removed (so only the streaming reader can catch it); a
ZIP whose sheet XML unpacks a thousandfold; a workbook of thousands of sheets. Each must be
refused with a sentence naming the file, in well under a second and 100 MB.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import networkx as nx
import openpyxl
import pytest

from orgbridge.errors import IngestError, ParameterError
from orgbridge.ingest import (
    ReadLimits,
    Sources,
    prepare_import,
    read_graphml,
    read_mapping,
    read_table,
)

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


def sheet_xml(rows: list[list[tuple[str, str]]], *, dimension: str | None = None) -> bytes:
    """A worksheet of inline strings: ``rows`` of ``(cell reference, text)``."""
    body = []
    for cells in rows:
        number = "".join(ch for ch in cells[0][0] if ch.isdigit())
        inner = "".join(
            f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>' for ref, text in cells
        )
        body.append(f'<row r="{number}">{inner}</row>')
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    xml = f'<worksheet xmlns="{MAIN}">{dim}<sheetData>{"".join(body)}</sheetData></worksheet>'
    return xml.encode()


def write_workbook(path: Path, sheets: dict[str, bytes], *, level: int = 6) -> Path:
    """A minimal XLSX (content types, relationships, workbook, sheets) that openpyxl reads."""
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{SHEET_TYPE}"/>'
        for i in range(1, len(sheets) + 1)
    )
    entries = "".join(
        f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>'
        for i, name in enumerate(sheets, start=1)
    )
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType='
            '"application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            f"{overrides}</Types>",
        )
        archive.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/officeDocument"'
            ' Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>{entries}</sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{PKG}">{rels}</Relationships>'
        )
        for i, xml in enumerate(sheets.values(), start=1):
            archive.writestr(f"xl/worksheets/sheet{i}.xml", xml)
    return path


def far_cells_by_openpyxl(path: Path) -> Path:
    """The tester's file: cells at A1, XFD1 and A20000, saved by openpyxl (a few KB)."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["A1"], sheet["XFD1"], sheet["A20000"] = "person_id", "x", "p1"
    book.save(path)
    return path


def zip_bomb(path: Path, *, unpacked_mib: int = 32) -> Path:
    """A workbook whose only sheet is valid XML padded with whitespace: ~1000-fold."""
    head, tail = f'<worksheet xmlns="{MAIN}"><sheetData>'.encode(), b"</sheetData></worksheet>"
    write_workbook(path, {"Staff": sheet_xml([[("A1", "person_id")]])})
    # A second, bigger part under another name is enough for the ZIP check.
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/worksheets/padding.xml", "w", force_zip64=True) as handle,
    ):
        handle.write(head)
        chunk = b" " * (1 << 20)
        for _ in range(unpacked_mib):
            handle.write(chunk)
        handle.write(tail)
    return path


def test_cells_at_a1_xfd1_a20000_are_refused_from_the_declared_dimension(tmp_path: Path) -> None:
    path = far_cells_by_openpyxl(tmp_path / "staff.xlsx")
    assert path.stat().st_size < 10_000
    with pytest.raises(IngestError) as caught:
        read_table(path)
    assert str(caught.value) == (
        "staff.xlsx: sheet 'Sheet' declares cells up to column XFD (16,384 columns, range"
        " A1:XFD20000), more than the limit of 1,000 columns"
    )


def test_a_lying_dimension_is_caught_while_streaming(tmp_path: Path) -> None:
    rows = [[("A1", "person_id"), ("XFD1", "x")], [("A2", "p1")]]
    path = write_workbook(tmp_path / "staff.xlsx", {"S": sheet_xml(rows, dimension="A1:A2")})
    with pytest.raises(IngestError) as caught:
        read_table(path)
    assert caught.value.row == 1
    assert "has a cell in column XFD, beyond the limit of 1,000 columns" in str(caught.value)
    # No dimension at all: the same.
    path = write_workbook(tmp_path / "nodim.xlsx", {"S": sheet_xml(rows)})
    with pytest.raises(IngestError, match="column XFD"):
        read_table(path)


def test_rows_beyond_the_limit_are_refused_declared_or_not(tmp_path: Path) -> None:
    rows = [[("A1", "person_id")], *[[(f"A{i}", f"p{i}")] for i in range(2, 8)]]
    limits = ReadLimits(max_rows=5)
    declared = write_workbook(tmp_path / "d.xlsx", {"S": sheet_xml(rows, dimension="A1:A7")})
    with pytest.raises(IngestError, match=r"declares 7 rows .* limit of 5 data rows"):
        read_table(declared, limits=limits)
    hidden = write_workbook(tmp_path / "h.xlsx", {"S": sheet_xml(rows)})
    with pytest.raises(IngestError, match="more than 5 data rows") as caught:
        read_table(hidden, limits=limits)
    assert caught.value.row == 7
    assert len(read_table(hidden, limits=ReadLimits(max_rows=6)).frame) == 6


def test_a_row_number_beyond_the_last_spreadsheet_row_is_refused_fast(tmp_path: Path) -> None:
    import time

    far = [[("A1", "person_id")], [("A999999999", "p")]]
    path = write_workbook(tmp_path / "far.xlsx", {"S": sheet_xml(far)})
    start = time.perf_counter()
    with pytest.raises(IngestError, match="has rows beyond row 1,048,576, the last row"):
        read_table(path)
    assert time.perf_counter() - start < 5  # one empty row per skipped number, at most 1M
    declared = write_workbook(tmp_path / "d.xlsx", {"S": sheet_xml(far, dimension="A1:A9999999")})
    with pytest.raises(IngestError, match=r"declares rows up to 9,999,999 .* beyond row 1,048,576"):
        read_table(declared)
    last = [[("A1", "person_id")], [("A1048576", "p")]]
    path = write_workbook(tmp_path / "last.xlsx", {"S": sheet_xml(last)})
    assert read_table(path).frame.index.tolist() == [1_048_576]


def test_a_zip_bomb_is_refused_before_unpacking(tmp_path: Path) -> None:
    path = zip_bomb(tmp_path / "staff.xlsx")
    assert path.stat().st_size < 200_000
    with pytest.raises(IngestError, match=r"unpacks [\d,]+-fold .* \(a ZIP bomb\?\)"):
        read_table(path)
    # The total unpacked size is checked too, whatever the ratio.
    with pytest.raises(IngestError, match=r"unpacks to [\d,]+ bytes, more than the limit"):
        read_table(path, limits=ReadLimits(max_compression_ratio=1e9, max_unpacked_bytes=1 << 20))


def test_thousands_of_sheets_are_refused(tmp_path: Path) -> None:
    tiny = sheet_xml([[("A1", "person_id")], [("A2", "p")]])
    path = write_workbook(tmp_path / "many.xlsx", {f"S{i}": tiny for i in range(3000)})
    with pytest.raises(IngestError, match="holds 3,004 parts, more than the limit of 2,600"):
        read_table(path, limits=ReadLimits(max_sheets=100))
    with pytest.raises(
        IngestError, match="the workbook has 3,000 sheets, more than the limit of 256"
    ):
        read_table(path)


def test_bombs_are_refused_fast_and_small(tmp_path: Path) -> None:
    """Time and peak memory measured in a fresh process, after its imports."""
    tiny = sheet_xml([[("A1", "person_id")], [("A2", "p")]])
    files = [
        far_cells_by_openpyxl(tmp_path / "far.xlsx"),
        write_workbook(
            tmp_path / "lying.xlsx",
            {"S": sheet_xml([[("A1", "id"), ("XFD1", "x")], [("A20000", "p")]], dimension="A1")},
        ),
        zip_bomb(tmp_path / "bomb.xlsx"),
        write_workbook(tmp_path / "many.xlsx", {f"S{i}": tiny for i in range(3000)}),
    ]
    script = textwrap.dedent(
        """
        import json, resource, sys, time
        import openpyxl, pandas, pyarrow
        from orgbridge.errors import IngestError
        from orgbridge.ingest import read_table
        out = []
        for path in sys.argv[1:]:
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            start = time.perf_counter()
            try:
                read_table(path)
                message = None
            except IngestError as error:
                message = str(error)
            seconds = time.perf_counter() - start
            grew = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
            out.append({"file": path, "seconds": seconds, "grew_kib": grew, "error": message})
        print(json.dumps(out))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script, *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[2],
    )
    for measured in json.loads(result.stdout):
        assert measured["error"] is not None, measured
        assert measured["seconds"] < 1.0, measured
        assert measured["grew_kib"] < 100 * 1024, measured


def test_cells_right_of_the_header_reject_their_row(tmp_path: Path) -> None:
    rows = [
        [("A1", "source"), ("B1", "target")],
        [("A2", "a"), ("B2", "b")],
        [("A3", "c"), ("D3", "x")],
    ]
    path = write_workbook(tmp_path / "t.xlsx", {"S": sheet_xml(rows)})
    raw = read_table(path)
    assert raw.frame.to_dict("list") == {"source": ["a"], "target": ["b"]}
    assert raw.rejected == 1
    assert str(raw.problems[0]) == (
        "t.xlsx row 3: has a value in column D, to the right of the header's last column (B);"
        " this row was left out"
    )


def test_sheet_by_name_position_or_number_and_a_clear_error(tmp_path: Path) -> None:
    first = sheet_xml([[("A1", "note")], [("A2", "hello")]])
    staff = sheet_xml([[("A1", "person_id")], [("A2", "p1")], [("A3", "p2")]])
    path = write_workbook(tmp_path / "staff.xlsx", {"Notes": first, "Staff": staff})
    assert read_table(path).frame.columns.tolist() == ["note"]
    for choice in ("Staff", "STAFF", 1, "2"):
        assert read_table(path, sheet=choice).frame["person_id"].tolist() == ["p1", "p2"]
    with pytest.raises(
        IngestError,
        match=r"staff.xlsx: the workbook has no sheet 'People' \(it has 'Notes', 'Staff'\)",
    ):
        read_table(path, sheet="People")
    graph = prepare_import(Sources(staff=path, sheet="Staff")).graph
    assert graph.ids.tolist() == ["p1", "p2"]


def test_a_cell_over_the_length_limit_is_refused_with_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "staff.csv"
    path.write_text("person_id,name\np1,Ann\np2," + "x" * 40_000 + "\n")
    with pytest.raises(IngestError) as caught:
        read_table(path)
    assert (caught.value.row, caught.value.column) == (3, "name")
    assert "a cell of 40,000 characters, more than the limit of 32,767" in str(caught.value)
    # Quoted cells with line breaks: the row is the record, as a spreadsheet counts it.
    quoted = tmp_path / "quoted.csv"
    quoted.write_text('person_id,name\np1,"Ann\nB"\np2,"' + "x" * 100_000 + '"\n')
    with pytest.raises(IngestError, match="a cell of 100,000 characters") as caught:
        read_table(quoted)
    assert (caught.value.row, caught.value.column) == (3, "name")
    # A blank line sends the file through the csv module: same answer.
    blank = tmp_path / "blank.csv"
    blank.write_text('person_id,name\np1,"Ann\nB"\n\np2,"' + "x" * 100_000 + '"\n')
    with pytest.raises(IngestError, match="a cell of 100,000 characters") as caught:
        read_table(blank)
    assert (caught.value.row, caught.value.column) == (4, "name")


def test_a_huge_cell_is_refused_before_the_file_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "staff.csv"
    path.write_bytes(b"person_id,name\np1,Ann\np2," + b"x" * (9 << 20) + b"\n")
    with pytest.raises(IngestError) as caught:
        read_table(path)
    assert str(caught.value).startswith("staff.csv: line 3 holds a cell of at least ")
    assert str(caught.value).endswith("bytes, more than the limit of 32,767 characters")
    # Just under four bytes per allowed character passes the byte check; the exact,
    # per-character check then names the row and column.
    path.write_bytes(b"person_id,name\np1,Ann\np2," + "é".encode() * 60_000 + b"\n")
    with pytest.raises(IngestError, match="a cell of 60,000 characters") as caught:
        read_table(path)
    assert (caught.value.row, caught.value.column) == (3, "name")
    # Near the byte bound (4 x 32,767): the sampled check defers to the exact one, which
    # lets it through to the character check.
    path.write_bytes(b"person_id,name\np1,Ann\np2," + b"z" * 131_000 + b"\n")
    with pytest.raises(IngestError, match="a cell of 131,000 characters"):
        read_table(path)
    path.write_bytes(b"person_id,name\np1," + b"y" * 32_767 + b"\n")
    assert len(read_table(path).frame.loc[2, "name"]) == 32_767


def test_too_many_columns_or_rows_in_a_csv(tmp_path: Path) -> None:
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(f"c{i}" for i in range(1_001)) + "\n" + ",".join("1" * 1_001) + "\n")
    with pytest.raises(
        IngestError, match="the header has 1,001 columns, more than the limit of 1,000"
    ):
        read_table(wide)
    long = tmp_path / "long.csv"
    long.write_text("person_id\n" + "".join(f"p{i}\n" for i in range(20)))
    with pytest.raises(IngestError, match="the file has 20 data rows, more than the limit of 10"):
        read_table(long, limits=ReadLimits(max_rows=10))
    quoted = tmp_path / "quoted.csv"
    quoted.write_text('person_id\n"p"\n' + "".join(f"p{i}\n" for i in range(20)))
    with pytest.raises(IngestError, match="the file has 21 data rows"):
        read_table(quoted, limits=ReadLimits(max_rows=10))
    assert len(read_table(long, limits=ReadLimits(max_rows=20)).frame) == 20


def test_a_row_with_too_many_fields_is_a_row_error(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("source,target\na,b\n" + ",".join(["x"] * 100_000) + "\n")
    raw = read_table(path)
    assert raw.rejected == 1 and raw.problems[0].row == 3
    assert "has 100000 fields, expected 2" in str(raw.problems[0])


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (b"PK\x03\x04" + b"\x00" * 100, "a ZIP archive (an XLSX workbook?"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "an old Excel (.xls)"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "a PNG image"),
        (bytes(range(256)) * 40, "control characters (a binary file?)"),
    ],
)
def test_binary_files_are_refused_with_what_they_are(
    tmp_path: Path, content: bytes, what: str
) -> None:
    path = tmp_path / "staff.csv"
    path.write_bytes(content)
    with pytest.raises(IngestError, match="is not a CSV text file") as caught:
        read_table(path)
    assert what in str(caught.value) and caught.value.file == "staff.csv"


def test_utf16_without_a_byte_order_mark_is_still_text(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes("source,target\na,b\n".encode("utf-16-le"))
    assert read_table(path).frame.to_dict("list") == {"source": ["a"], "target": ["b"]}


def test_file_size_limits_for_tables_and_graph_files(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("source,target\na,b\n")
    with pytest.raises(IngestError, match=r"the file is 18 bytes, more than the limit of 10 "):
        read_table(path, limits=ReadLimits(max_file_bytes=10))
    graph = nx.path_graph(["a", "b", "c"])
    nx.write_graphml(graph, tmp_path / "g.graphml")
    assert len(read_graphml(tmp_path / "g.graphml")[0]) == 3
    with pytest.raises(IngestError, match=r"g.graphml: the file is .* more than the limit"):
        read_graphml(tmp_path / "g.graphml", limits=ReadLimits(max_graph_file_bytes=100))


def test_a_file_over_a_limit_refuses_the_import(tmp_path: Path) -> None:
    (tmp_path / "staff.csv").write_text("person_id\na\nb\n")
    path = far_cells_by_openpyxl(tmp_path / "pairs.xlsx")
    with pytest.raises(IngestError, match=r"pairs.xlsx could not be read: sheet 'Sheet' declares"):
        prepare_import(Sources(staff=tmp_path / "staff.csv", pairs=path))


@pytest.mark.parametrize("field", ["max_rows", "max_cell_chars", "max_compression_ratio"])
def test_limits_must_be_positive(field: str) -> None:
    with pytest.raises(ParameterError, match=f"ReadLimits.{field} must be a positive number"):
        ReadLimits(**{field: 0})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe\x00garbage", "the mapping file is not UTF-8 text"),
        (b"[" * 200_000 + b"]" * 200_000, "nests too deeply to be a mapping"),
        (b" " * (17 << 20), "more than the limit of 16.0 MiB"),
    ],
)
def test_a_hostile_mapping_file_is_an_ingest_error(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "map.json"
    path.write_bytes(content)
    with pytest.raises(IngestError, match=message):
        read_mapping(path)
