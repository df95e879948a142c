"""How the Neo4j store turns pandas columns into property values and back.

Property values are plain Python values (None: no property); the people columns go through
the workspace's Arrow encoding (:mod:`orgbridge.graph._frames`), so loading restores the
same pandas dtypes. Whole tables that need an exact round trip (metric tables, proposals)
are kept as Arrow IPC bytes.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from datetime import UTC
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from orgbridge.graph._frames import decode_frame, encode_frame, is_missing

__all__ = [
    "decode_people",
    "format_times",
    "from_ipc",
    "log_frame",
    "parse_times",
    "python_values",
    "read_schema",
    "to_ipc",
    "to_property",
]


def log_frame(rows: list[list[Any]], names: list[str], types: list[pa.DataType]) -> pd.DataFrame:
    """A log table with the dtypes the workspace gives (``at`` as UTC timestamps)."""
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    arrays = []
    for values, kind in zip(columns, types, strict=True):
        if pa.types.is_timestamp(kind):
            arrays.append(pa.array(list(values), type=pa.string()).cast(kind))
        else:
            arrays.append(pa.array(list(values), type=kind))
    frame: pd.DataFrame = pa.Table.from_arrays(arrays, names=names).to_pandas()
    if "at" in frame.columns:
        frame["at"] = pd.to_datetime(frame["at"]).dt.tz_localize(UTC)
    return frame


def python_values(column: pd.Series) -> list[Any]:
    """Plain Python values with None for missing (what the driver sends)."""
    values = column.astype(object).tolist()
    return [None if is_missing(v) else _plain(v) for v in values]


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def to_property(array: pa.ChunkedArray, entry: dict[str, Any]) -> list[Any]:
    """One encoded people column as property values (None: no property)."""
    if entry["encoding"] == "category":
        categories = np.asarray(entry["categories"] + [None], dtype=object)
        codes = array.to_numpy(zero_copy_only=False).astype(np.int64)
        return list(categories[codes])  # code -1 (missing) picks the trailing None
    kind = array.type
    if pa.types.is_timestamp(kind) or pa.types.is_duration(kind) or pa.types.is_decimal(kind):
        return list(array.cast(pa.string()).to_pylist())
    return list(array.to_pylist())


def _from_property(values: Iterable[Any], field: pa.Field, entry: dict[str, Any]) -> pa.Array:
    """The encoded Arrow column back from property values."""
    if entry["encoding"] == "category":
        index = pd.Index(entry["categories"])
        codes = index.get_indexer(pd.Index(list(values), dtype=object))
        return pa.array(codes.astype(np.int32))
    items = [v.to_native() if hasattr(v, "to_native") else v for v in values]
    kind = field.type
    if pa.types.is_timestamp(kind) or pa.types.is_duration(kind) or pa.types.is_decimal(kind):
        return pc.cast(pa.array(items, type=pa.string()), kind)
    return pa.array(items, type=kind)


def decode_people(
    columns: list[tuple[Any, ...]], spec: list[dict[str, Any]], schema: pa.Schema
) -> pd.DataFrame:
    arrays = [
        _from_property(values, schema.field(entry["stored"]), entry)
        for values, entry in zip(columns, spec, strict=True)
    ]
    table = pa.Table.from_arrays(arrays, schema=schema)
    return decode_frame(table, spec)


def read_schema(text: str) -> pa.Schema:
    return pa.ipc.read_schema(pa.py_buffer(base64.b64decode(text)))


def format_times(values: pd.Series) -> list[str | None]:
    """ISO text of datetime64 values (None for NaT), date only when there is no time."""
    array = values.to_numpy(dtype="datetime64[ns]")
    if not len(array):
        return []
    missing = np.isnat(array)
    if missing.all():
        return [None] * len(array)
    text = np.datetime_as_string(array, unit="auto").astype(object)
    text[missing] = None
    return list(text)


def parse_times(values: tuple[Any, ...]) -> np.ndarray:
    if not values:
        return np.array([], dtype="datetime64[ns]")
    series = pd.Series(values, dtype=object)
    if series.isna().all():
        return np.full(len(series), np.datetime64("NaT"), dtype="datetime64[ns]")
    parsed = pd.to_datetime(series, format="ISO8601")
    return parsed.to_numpy(dtype="datetime64[ns]")


def to_ipc(frame: pd.DataFrame) -> bytes:
    """A DataFrame as Arrow IPC bytes plus its dtype spec, for an exact round trip."""
    table, spec = encode_frame(frame)
    table = table.replace_schema_metadata({"orgbridge_spec": json.dumps(spec)})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def from_ipc(blob: bytes) -> pd.DataFrame:
    table = pa.ipc.open_stream(pa.py_buffer(blob)).read_all()
    spec = json.loads((table.schema.metadata or {})[b"orgbridge_spec"])
    frame: pd.DataFrame = decode_frame(table.replace_schema_metadata(None), spec)
    return frame
