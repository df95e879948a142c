"""Turn a pandas DataFrame into an Arrow table and back without losing column dtypes.

A store keeps tables whose columns are not known in advance (people with arbitrary
attributes, metric tables, proposals). Arrow carries most pandas dtypes, but not all of
them back unchanged (nullable integers come back as floats, categories and object columns
of dates or booleans change shape), so each column's pandas dtype is recorded in a small
JSON-able *spec* next to the table and restored on the way back.

Column encodings:

``arrow``
    the column as Arrow infers it (numbers, booleans, strings, timestamps, nullable types);
``category``
    int32 codes, with the categories and their order kept in the spec;
``timedelta``
    durations as int64 nanoseconds (a database interval would come back as a DateOffset);
``json``
    an object column Arrow cannot type (mixed values): each value as JSON text.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from orgbridge.errors import StoreError

__all__ = ["decode_frame", "encode_frame", "is_missing"]


def encode_frame(frame: pd.DataFrame) -> tuple[pa.Table, list[dict[str, Any]]]:
    """An Arrow table for ``frame`` and the spec :func:`decode_frame` needs to restore it.

    Stored column names are the frame's names, except where two names differ only by
    case (SQL names are case-insensitive): those are stored as ``_col<i>``.

    Raises
    ------
    StoreError
        Duplicate column names, or a column whose dtype Arrow cannot hold.

    Example
    -------
    >>> frame = pd.DataFrame({"person_id": ["a", "b"], "grade": pd.Categorical(["x", "y"])})
    >>> table, spec = encode_frame(frame)
    >>> decode_frame(table, spec).equals(frame)
    True
    """
    names = [str(c) for c in frame.columns]
    if len(set(names)) != len(names):
        raise StoreError(f"the table has duplicate column names: {names}")
    lowered = [n.lower() for n in names]
    arrays: list[pa.Array | pa.ChunkedArray] = []
    stored_names: list[str] = []
    spec: list[dict[str, Any]] = []
    for i, (name, column) in enumerate(zip(names, frame.columns, strict=True)):
        stored = name if lowered.count(name.lower()) == 1 else f"_col{i}"
        array, entry = _encode_column(name, frame[column])
        entry.update(name=name, stored=stored)
        arrays.append(array)
        stored_names.append(stored)
        spec.append(entry)
    return pa.Table.from_arrays(arrays, names=stored_names), spec


def decode_frame(table: pa.Table, spec: list[dict[str, Any]]) -> pd.DataFrame:
    """The DataFrame :func:`encode_frame` was given, from its Arrow table and spec."""
    columns: dict[str, Any] = {}
    for entry in spec:
        columns[entry["name"]] = _decode_column(table.column(entry["stored"]), entry)
    if not spec:
        return pd.DataFrame(index=pd.RangeIndex(table.num_rows))
    return pd.DataFrame(columns)


def _encode_column(name: str, column: pd.Series) -> tuple[pa.Array, dict[str, Any]]:
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        categories = dtype.categories.tolist()
        try:
            json.dumps(categories)
        except TypeError:
            categories = [str(c) for c in categories]
        codes = column.cat.codes.to_numpy(dtype=np.int32)
        return pa.array(codes), {
            "dtype": "category",
            "encoding": "category",
            "categories": categories,
            "ordered": bool(dtype.ordered),
        }
    if pd.api.types.is_timedelta64_dtype(dtype):
        nanoseconds = column.to_numpy(dtype="timedelta64[ns]").view(np.int64)
        return pa.array(nanoseconds, mask=column.isna().to_numpy()), {
            "dtype": str(dtype),
            "encoding": "timedelta",
        }
    if pd.api.types.is_object_dtype(dtype):
        try:
            array = pa.array(column, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
            texts = [None if is_missing(v) else json.dumps(v, default=str) for v in column]
            return pa.array(texts, type=pa.string()), {"dtype": "object", "encoding": "json"}
        if pa.types.is_null(array.type):
            array = pa.array([None] * len(column), type=pa.string())
        return array, {"dtype": "object", "encoding": "arrow"}
    try:
        array = pa.Array.from_pandas(column)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError) as err:
        raise StoreError(f"column {name!r} has dtype {dtype} which a store cannot hold") from err
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_null(array.type):
        array = pa.array([None] * len(column), type=pa.string())
    return array, {"dtype": str(dtype), "encoding": "arrow"}


def is_missing(value: Any) -> bool:
    """True for None, NaN, NaT and pd.NA; False for anything pandas cannot test (lists...).

    Example
    -------
    >>> [is_missing(v) for v in (None, float("nan"), pd.NaT, 0, [1])]
    [True, True, True, False, False]
    """
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _decode_column(array: pa.ChunkedArray, entry: dict[str, Any]) -> Any:
    encoding = entry["encoding"]
    if encoding == "category":
        codes = array.to_numpy(zero_copy_only=False).astype(np.int32)
        return pd.Categorical.from_codes(
            codes, categories=entry["categories"], ordered=entry["ordered"]
        )
    if encoding == "timedelta":
        nanoseconds = array.to_pandas().astype("Int64")
        return pd.to_timedelta(nanoseconds, unit="ns").astype(entry["dtype"]).to_numpy()
    if encoding == "json":
        values = array.to_pylist()
        return np.array([None if v is None else json.loads(v) for v in values], dtype=object)
    if entry["dtype"] == "object":
        if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
            return array.to_numpy(zero_copy_only=False).astype(object)
        out = np.empty(len(array), dtype=object)
        out[:] = array.to_pylist()
        return out
    dtype = pd.api.types.pandas_dtype(entry["dtype"])
    if hasattr(dtype, "__from_arrow__"):
        return dtype.__from_arrow__(array)
    return array.to_pandas().astype(dtype)
