"""Reading CSV/XLSX as strings: encodings, delimiters, ragged rows, row numbers, empty files."""

from __future__ import annotations

import codecs
from pathlib import Path

import pandas as pd
import pytest

from orgbridge.errors import IngestError
from orgbridge.ingest import read_table, read_ties

TEXT = "source,target,weight\nAnaïs,Zoë,1\nBjörn,Anaïs,2\n"


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16"), ("utf-16-le", "utf-16")],
)
def test_unicode_encodings_are_recognised(tmp_path: Path, encoding: str, expected: str) -> None:
    data = TEXT.encode(encoding)
    if encoding == "utf-16-le":
        data = codecs.BOM_UTF16_LE + data
    path = tmp_path / "ties.csv"
    path.write_bytes(data)
    raw = read_table(path)
    assert raw.encoding == expected
    assert list(raw.frame.columns) == ["source", "target", "weight"]
    assert raw.frame["source"].tolist() == ["Anaïs", "Björn"]
    assert raw.problems == []


def test_cp1252_falls_back_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "ties.csv"
    path.write_bytes(TEXT.encode("cp1252"))
    raw = read_table(path)
    assert raw.encoding == "cp1252"
    assert raw.frame["target"].tolist() == ["Zoë", "Anaïs"]
    [warning] = raw.problems
    assert warning.severity == "warning" and warning.row is None
    assert "Windows-1252" in warning.message and warning.file == "ties.csv"


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "t.csv"
    path.write_text(delimiter.join(["source", "target"]) + "\n" + delimiter.join("ab") + "\n")
    raw = read_table(path)
    assert raw.delimiter == delimiter
    assert raw.frame.to_dict("list") == {"source": ["a"], "target": ["b"]}


def test_ragged_rows_are_rejected_with_their_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("source,target\na,b\nc\nd,e,f\n\ng,h\n")
    parsed = read_ties(path, layer="x")
    report = parsed.report
    assert [(p.row, p.column, p.message) for p in report.problems] == [
        (3, None, "has 1 field, expected 2 (source,target)"),
        (4, None, "has 3 fields, expected 2 (source,target)"),
    ]
    assert parsed.ties.index.tolist() == [2, 6]  # the blank line 5 keeps its number
    assert (report.rows_in, report.rows_loaded, report.rows_rejected) == (4, 2, 2)
    report.check_balance()


def test_quoted_cells_keep_delimiters_and_line_breaks(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('source,target,programme\na,b,"Reverse, 2024\nspring"\nc,d,x\n')
    raw = read_table(path)
    assert raw.frame["programme"].tolist() == ["Reverse, 2024\nspring", "x"]
    assert raw.frame.index.tolist() == [2, 3]


def test_windows_and_old_mac_line_ends(tmp_path: Path) -> None:
    for ending in ("\r\n", "\r"):
        path = tmp_path / "t.csv"
        path.write_bytes(ending.join(["a,b", "1,2", "3,4", ""]).encode())
        raw = read_table(path)
        assert raw.frame.to_dict("list") == {"a": ["1", "3"], "b": ["2", "4"]}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"  \n\n", "the file is empty"),
        (b"source,target\n", "the file has a header but no data rows"),
        (b"source,source\na,b\n", "column name 'source' appears twice"),
        (b"source,,target\na,b,c\n", "column 2 of the header has no name"),
    ],
)
def test_unusable_files_raise_a_clear_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(IngestError, match=message) as caught:
        read_table(path)
    assert caught.value.file == "bad.csv"


def test_missing_file_is_an_ingest_error(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="cannot read the file"):
        read_table(tmp_path / "nope.csv")


def test_xlsx_first_sheet_or_named_sheet(tmp_path: Path) -> None:
    path = tmp_path / "staff.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"x": [1]}).to_excel(writer, sheet_name="Notes", index=False)
        pd.DataFrame(
            {
                "Employee ID": ["E1", "E2", None, "E3"],
                "Grade": [7, 3, None, 2.5],
                "Hire Date": pd.to_datetime(["2020-01-05", "2021-02-03", None, "2022-03-04"]),
            }
        ).to_excel(writer, sheet_name="Staff", index=False)
    first = read_table(path)
    assert first.frame.to_dict("list") == {"x": ["1"]}
    raw = read_table(path, sheet="Staff")
    assert raw.frame.to_dict("list") == {
        "Employee ID": ["E1", "E2", "E3"],
        "Grade": ["7", "3", "2.5"],
        "Hire Date": ["2020-01-05", "2021-02-03", "2022-03-04"],
    }
    assert raw.frame.index.tolist() == [2, 3, 5]  # the blank spreadsheet row 4 is skipped
    with pytest.raises(IngestError, match="no sheet 'Missing' \\(it has 'Notes', 'Staff'\\)"):
        read_table(path, sheet="Missing")
    assert read_table(path, sheet=1).frame.columns.tolist() == ["Employee ID", "Grade", "Hire Date"]
    assert read_table(path, sheet="staff").frame.index.tolist() == [2, 3, 5]  # any case
    with pytest.raises(IngestError, match="no sheet number 3 \\(it has 2: 'Notes', 'Staff'\\)"):
        read_table(path, sheet=2)


def test_corrupt_xlsx_is_an_ingest_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"this is not a zip file")
    with pytest.raises(IngestError, match="cannot read the workbook"):
        read_table(path)


@pytest.mark.parametrize("quoted", [False, True])
def test_ragged_rows_without_blank_lines_both_paths(tmp_path: Path, quoted: bool) -> None:
    # Unquoted files take Arrow's one-thread path, quoted ones the csv module: same answer.
    cell = '"a"' if quoted else "a"
    path = tmp_path / "t.csv"
    path.write_text(f"source,target\n{cell},b\nc\nd,e,f\ng,h\n")
    raw = read_table(path)
    assert raw.frame.index.tolist() == [2, 5]
    assert raw.frame["source"].tolist() == ["a", "g"]
    assert [(p.row, p.message) for p in raw.problems] == [
        (3, "has 1 field, expected 2 (source,target)"),
        (4, "has 3 fields, expected 2 (source,target)"),
    ]
