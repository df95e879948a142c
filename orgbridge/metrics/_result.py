"""Result: the one shape every metric returns.

A result is a frozen value recording the metric's name and the parameters that produced it,
with a table keyed by ``person_id`` or by group, and any scalar summary values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["Result"]


@dataclass(frozen=True)
class Result:
    """What a metric computed, and how.

    Attributes
    ----------
    name
        The metric, e.g. ``"ei_index"``.
    parameters
        Every argument that shaped the value (layers, grouping, seed, sample size, ...).
    table
        Per person (column ``person_id``) or per group (column ``group``) values; may be empty.
    values
        Scalar results, e.g. ``{"ei_index": -0.41, "ei_baseline": 0.35}``.

    Example
    -------
    >>> r = Result("ei_index", {"group_by": "department"}, values={"ei_index": -0.5})
    >>> r["ei_index"], r.parameters["group_by"]
    (-0.5, 'department')
    """

    name: str
    parameters: dict[str, Any] = field(default_factory=dict)
    table: pd.DataFrame = field(default_factory=pd.DataFrame)
    values: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: name, parameters, values and the table as records."""
        table = self.table.astype(object).where(self.table.notna(), None)
        return {
            "name": self.name,
            "parameters": self.parameters,
            "values": self.values,
            "table": table.to_dict(orient="records"),
        }
