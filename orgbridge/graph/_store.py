"""The store contract: what the DuckDB workspace and the Neo4j store both provide.

A store keeps one organisation: its people and ties (``reports_to`` is derived from
``manager_id`` and not stored as ties) with their content hash (the data stamp), the import
log, metric results with what they were computed from, proposals,
decisions and an audit log. Every write is one transaction: it happens whole or not at all.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Protocol, Self, runtime_checkable

import pandas as pd

from orgbridge.graph._orggraph import OrgGraph

__all__ = ["SCHEMA_VERSION", "ClosingStore", "Store"]

#: Bump when the stored layout changes; a store refuses a newer version it cannot read.
SCHEMA_VERSION = 1


@runtime_checkable
class Store(Protocol):
    """Persistent home of one organisation (DuckDB workspace or Neo4j database)."""

    def load_graph(self) -> OrgGraph:
        """The whole saved organisation (an empty graph when nothing was saved)."""
        ...

    def save_graph(self, graph: OrgGraph, *, log: dict[str, Any] | None = None) -> None:
        """Replace the saved organisation by ``graph`` in one transaction, appending ``log``
        (the import report as a dict) to the import log in the same transaction."""
        ...

    def import_log(self) -> pd.DataFrame:
        """One row per import: ``import_id, at, people, ties, rows_in, rows_loaded,
        rows_rejected, report`` (the report as JSON text)."""
        ...

    def data_stamp(self) -> str | None:
        """The content hash of the saved organisation (:func:`~orgbridge.graph._stamp.
        data_stamp`), recorded by every save; None when nothing (complete) was saved."""
        ...

    def save_metrics(
        self, table: pd.DataFrame, *, name: str, about: dict[str, Any] | None = None
    ) -> None:
        """Store per-person metric columns (``person_id`` plus numeric columns) under ``name``
        with ``about``, what they were computed from (JSON-able: the data stamp, layers,
        seed, ...); a later save under the same name replaces both."""
        ...

    def metrics_about(self, name: str) -> dict[str, Any]:
        """The ``about`` saved with the metric table ``name`` (empty when none was)."""
        ...

    def load_metrics(self, name: str) -> pd.DataFrame:
        """The per-person table saved under ``name`` (empty if none)."""
        ...

    def save_programme(self, tables: dict[str, pd.DataFrame]) -> None:
        """Replace the stored programme tables (``docs/programme.md``) in one transaction;
        tables left out are kept."""
        ...

    def load_programme(self) -> dict[str, pd.DataFrame]:
        """Every stored programme table by name (empty when none was saved)."""
        ...

    def save_proposals(
        self, run_id: str, proposals: pd.DataFrame, parameters: dict[str, Any]
    ) -> None:
        """Store a recommender run: its proposals (``a, b, kind, score, reason``) and parameters."""
        ...

    def load_proposals(self, run_id: str | None = None) -> pd.DataFrame:
        """Proposals of one run, or of the latest run when ``run_id`` is None."""
        ...

    def record_decision(self, a: str, b: str, *, kind: str, decision: str, by: str) -> None:
        """Persist approve / decline / lock of a pair (with who and when) and audit it."""
        ...

    def decisions(self) -> pd.DataFrame:
        """Every decision: ``a, b, kind, decision, by, at`` (latest per pair wins)."""
        ...

    def audit(self, action: str, *, by: str, detail: dict[str, Any] | None = None) -> None:
        """Append one line to the audit log."""
        ...

    def audit_log(self) -> pd.DataFrame:
        """The audit log: ``at, by, action, detail``."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


class ClosingStore:
    """Mixin: a store used as a context manager closes itself on exit."""

    def close(self) -> None:
        """Release the connection."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
