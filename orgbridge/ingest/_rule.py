"""Leader rules such as ``level>=7`` or ``department==Executive``, parsed without eval."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from orgbridge.errors import ParameterError

__all__ = ["LeaderRule", "parse_leader_rule"]

_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
    "=": operator.eq,
}
_RULE = re.compile(r"^\s*([A-Za-z_][\w ]*?)\s*(>=|<=|==|!=|>|<|=)\s*(.*?)\s*$")


@dataclass(frozen=True)
class LeaderRule:
    """``column op value``: who counts as a leader when the file has no is_leader column.

    Example
    -------
    >>> rule = parse_leader_rule("level >= 7")
    >>> rule.column, rule.op, rule.value
    ('level', '>=', '7')
    >>> rule.apply(pd.DataFrame({"level": [3.0, 7.0, None]})).tolist()
    [False, True, False]
    """

    column: str
    op: str
    value: str

    def apply(self, people: pd.DataFrame, *, level_order: Sequence[str] = ()) -> pd.Series:
        """Boolean leader flags (missing values are not leaders).

        Raises
        ------
        ParameterError
            The column does not exist, or an ordering operator meets a text column.
        """
        if self.column not in people.columns:
            raise ParameterError(
                f"leader rule {self}: there is no column {self.column!r}"
                f" (columns: {', '.join(map(str, people.columns))})"
            )
        values = people[self.column]
        compare = _OPERATORS[self.op]
        threshold: Any = self.value.strip("'\"")
        numeric_column = pd.api.types.is_numeric_dtype(values.dtype) and not (
            pd.api.types.is_bool_dtype(values.dtype)
        )
        if numeric_column:
            rank = _rank_of(threshold, level_order) if self.column == "level" else None
            try:
                number = float(threshold) if rank is None else float(rank)
            except ValueError:
                raise ParameterError(
                    f"leader rule {self}: {threshold!r} is not a number"
                    + (" nor a label in level_order" if self.column == "level" else "")
                ) from None
            as_float = values.astype("float64")
            result = compare(as_float.to_numpy(), number) & ~np.isnan(as_float.to_numpy())
            return pd.Series(result, index=people.index, dtype="boolean")
        if self.op not in {"==", "!=", "="}:
            raise ParameterError(
                f"leader rule {self}: column {self.column!r} is text, so only == and != apply"
            )
        as_text = values.astype("str").str.strip().str.casefold()
        result = compare(as_text, threshold.casefold()).fillna(False).to_numpy(dtype=bool)
        result = result & values.notna().to_numpy()
        return pd.Series(result, index=people.index, dtype="boolean")

    def __str__(self) -> str:
        return f"{self.column}{self.op}{self.value}"


def _rank_of(label: str, level_order: Sequence[str]) -> int | None:
    folded = [item.casefold() for item in level_order]
    return folded.index(label.casefold()) + 1 if label.casefold() in folded else None


def parse_leader_rule(rule: str) -> LeaderRule:
    """Parse ``column op value`` with op one of >=, >, <=, <, ==, != (= means ==).

    Raises
    ------
    ParameterError
        The rule is not of that shape.

    Example
    -------
    >>> parse_leader_rule("department==Executive")
    LeaderRule(column='department', op='==', value='Executive')
    """
    match = _RULE.match(rule or "")
    if match is None or not match.group(3):
        raise ParameterError(
            f"leader rule {rule!r} is not of the form COLUMN OP VALUE,"
            ' e.g. "level>=7" or "department==Executive"'
        )
    column, op, value = match.groups()
    return LeaderRule(column.strip(), "==" if op == "=" else op, value)
