"""The exceptions orgbridge raises, one tree rooted at :class:`OrgbridgeError`.

::

    OrgbridgeError                 anything orgbridge raises on purpose
    ├── IngestError                a file could not be read or validated (file, row, column)
    │   └── ImportRejected         a strict import met errors; nothing was written
    ├── GraphError                 an OrgGraph was built or queried inconsistently
    ├── StoreError                 a workspace or Neo4j store failed
    │   ├── SchemaVersionError     the workspace was written by an incompatible version
    │   └── StoreUnavailable       the database cannot be reached or refused the credentials
    ├── ParameterError             an argument is out of its allowed range
    │   └── PrivacyError           a request would break the privacy threshold
    └── AccessDenied               the current role may not see or do this

The app and the CLI catch :class:`OrgbridgeError` in one place and show its message;
anything else is a bug.
"""

from __future__ import annotations

__all__ = [
    "AccessDenied",
    "GraphError",
    "ImportRejected",
    "IngestError",
    "OrgbridgeError",
    "ParameterError",
    "PrivacyError",
    "SchemaVersionError",
    "StoreError",
    "StoreUnavailable",
]


class OrgbridgeError(Exception):
    """Base class of every error orgbridge raises on purpose."""


class IngestError(OrgbridgeError):
    """A file could not be read: says where (file, row, column), what was expected and found.

    Example
    -------
    >>> str(IngestError("manager_id 'E204' is not a known person", file="staff.csv", row=17))
    "staff.csv row 17: manager_id 'E204' is not a known person"
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.row = row
        self.column = column
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        prefix = " ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class ImportRejected(IngestError):
    """A strict import found errors, so nothing was written."""


class GraphError(OrgbridgeError):
    """An OrgGraph was built from inconsistent tables or asked for something it lacks."""


class StoreError(OrgbridgeError):
    """A workspace or Neo4j store failed to read or write."""


class SchemaVersionError(StoreError):
    """The workspace was written with a schema version this orgbridge cannot read."""


class StoreUnavailable(StoreError):
    """The database cannot be reached, or it refused the credentials."""


class ParameterError(OrgbridgeError):
    """An argument is outside its allowed range."""


class PrivacyError(ParameterError):
    """A request would publish an aggregate under the privacy threshold."""


class AccessDenied(OrgbridgeError):
    """The current role may not see or do this."""
