"""What an import found: problems with their file, row and column, and the row accounting."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["FileReport", "ImportReport", "Problem"]


@dataclass(frozen=True)
class Problem:
    """One problem in one input row (or the whole file when ``row`` is None).

    ``row`` is the 1-based line number in the file as a spreadsheet shows it (the header is
    row 1, the first data row is row 2). ``severity`` "error" rejects the row; "warning"
    loads it and says what was assumed.

    Example
    -------
    >>> str(Problem("staff.csv", 17, "manager_id", "'E204' is not a known person"))
    "staff.csv row 17, column manager_id: 'E204' is not a known person"
    """

    file: str
    row: int | None
    column: str | None
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape: ``{"file", "row", "column", "message", "severity"}``."""
        return {
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "message": self.message,
            "severity": self.severity,
        }


@dataclass
class FileReport:
    """Row accounting for one input file: ``rows_in == rows_loaded + rows_rejected``."""

    file: str
    kind: str
    rows_in: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    problems: list[Problem] = field(default_factory=list)

    def check_balance(self) -> None:
        """Raise AssertionError if rows were lost in the accounting (a bug, never user error)."""
        if self.rows_in != self.rows_loaded + self.rows_rejected:
            raise AssertionError(
                f"{self.file}: rows_in {self.rows_in} != loaded {self.rows_loaded}"
                f" + rejected {self.rows_rejected}"
            )


@dataclass
class ImportReport:
    """Everything an import (or a validation) found, across all its files."""

    files: list[FileReport] = field(default_factory=list)
    people: int = 0
    ties: dict[str, int] = field(default_factory=dict)

    @property
    def rows_in(self) -> int:
        return sum(f.rows_in for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    @property
    def problems(self) -> list[Problem]:
        return [p for f in self.files for p in f.problems]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def to_dict(self) -> dict[str, Any]:
        """The JSON object ``ingest --json`` and ``validate --json`` print."""
        return {
            "people": self.people,
            "ties": dict(sorted(self.ties.items())),
            "rows_in": self.rows_in,
            "rows_loaded": self.rows_loaded,
            "rows_rejected": self.rows_rejected,
            "errors": [p.to_dict() for p in self.errors],
            "warnings": [p.to_dict() for p in self.warnings],
            "files": [
                {
                    "file": f.file,
                    "kind": f.kind,
                    "rows_in": f.rows_in,
                    "rows_loaded": f.rows_loaded,
                    "rows_rejected": f.rows_rejected,
                }
                for f in self.files
            ],
        }
