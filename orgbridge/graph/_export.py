"""Write an organisation out as GraphML, GEXF or CSV files that orgbridge reads back.

Special-category attributes (``graph.special``) are always left out, and ``name`` too when
``include_names`` is False. Missing values are omitted per node (GraphML and GEXF cannot
store None), and dates are written as ISO strings (``2024-03-31``, or with a time of day
when they have one). Every layer is written, ``reports_to`` as edges person -> manager.

GraphML and GEXF go through networkx (fine for small and medium organisations);
:func:`write_csv` is vectorised through Arrow and writes a million people in seconds.

CSV files are opened by spreadsheets, so no CSV cell (header included) may start a formula:
text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets an apostrophe
in front (see :mod:`orgbridge.disclosure`). GraphML and GEXF are not spreadsheets and keep
every value as it is.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from orgbridge.graph._cells import FORMULA_PREFIXES, neutralise_cell
from orgbridge.graph._frames import is_missing
from orgbridge.graph._orggraph import OrgGraph
from orgbridge.graph._schema import NAME_COLUMNS, PERSON_ID, REPORTS_TO, TIE_COLUMNS

__all__ = ["exportable_people", "write_csv", "write_gexf", "write_graphml"]


def exportable_people(graph: OrgGraph, *, include_names: bool = True) -> pd.DataFrame:
    """The people table without special-category attributes (and names, if asked).

    Example
    -------
    >>> g = OrgGraph(pd.DataFrame({"person_id": ["a"], "name": ["Ann"], "gender": ["f"]}),
    ...              special=["gender"])
    >>> list(exportable_people(g, include_names=False).columns)
    ['person_id']
    """
    dropped = set(graph.special)
    if not include_names:
        dropped |= set(NAME_COLUMNS)
    keep = [c for c in graph.people.columns if c == PERSON_ID or c not in dropped]
    return graph.people[keep]


def write_graphml(graph: OrgGraph, path: str | Path, *, include_names: bool = True) -> None:
    """Write the organisation as GraphML (a directed multigraph keyed by person_id).

    Parameters
    ----------
    graph
        The organisation.
    path
        The file to write.
    include_names
        Whether to write the ``name`` attribute.

    Example
    -------
    >>> import tempfile, os
    >>> people = pd.DataFrame({"person_id": ["a", "b"], "manager_id": [None, "a"],
    ...                        "gender": ["f", "m"]})
    >>> g = OrgGraph(people, special=["gender"])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     write_graphml(g, os.path.join(d, "org.graphml"))
    ...     text = Path(d, "org.graphml").read_text()
    >>> "reports_to" in text, "gender" in text
    (True, False)
    """
    import networkx as nx

    nx.write_graphml(_network(graph, include_names=include_names), str(path))


def write_gexf(graph: OrgGraph, path: str | Path, *, include_names: bool = True) -> None:
    """Write the organisation as GEXF 1.2 (directed; tie dates as edge ``start``/``end``).

    Parameters are those of :func:`write_graphml`.
    """
    import networkx as nx

    nx.write_gexf(_network(graph, include_names=include_names), str(path))


def write_csv(graph: OrgGraph, folder: str | Path, *, include_names: bool = True) -> list[Path]:
    """Write ``people.csv`` and ``ties.csv`` into ``folder`` (created if needed).

    ``people.csv`` has the people columns (``manager_id`` carries the reporting line);
    ``ties.csv`` has ``source, target, layer, weight, start, end`` with person ids for
    every explicit tie (``reports_to`` is not repeated there). Both are the columns the CSV
    readers accept, so an export reads back into the same organisation. Text that would
    start a spreadsheet formula (``=``, ``+``, ``-``, ``@``, tab, CR), in a cell or a column
    name, is written with an apostrophe in front.

    Returns
    -------
    list of Path
        The files written.

    Example
    -------
    >>> import tempfile
    >>> g = OrgGraph.from_frames(pd.DataFrame({"person_id": ["a", "b"]}), pd.DataFrame(
    ...     {"source": ["a"], "target": ["b"], "layer": ["mentoring"]}))
    >>> with tempfile.TemporaryDirectory() as d:
    ...     files = write_csv(g, d)
    ...     print(files[1].read_text().strip())
    source,target,layer,weight,start,end
    a,b,mentoring,1,,
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    people = exportable_people(graph, include_names=include_names)
    people_table = pa.table(
        {neutralise_cell(str(c)): _safe(_csv_array(people[c])) for c in people.columns}
    )
    ties = graph.explicit_ties()
    ids = pa.array(graph.ids.to_numpy(dtype=object), type=pa.string())
    tie_table = pa.table(
        {
            "source": _safe(ids.take(pa.array(ties["source"].to_numpy()))),
            "target": _safe(ids.take(pa.array(ties["target"].to_numpy()))),
            "layer": _safe(pa.array(ties["layer"].to_numpy(dtype=object), type=pa.string())),
            "weight": pa.array(ties["weight"].to_numpy(dtype=np.float64)),
            "start": _csv_array(ties["start"]),
            "end": _csv_array(ties["end"]),
        }
    )
    written = [out / "people.csv", out / "ties.csv"]
    _write_csv_file(people_table, written[0])
    _write_csv_file(tie_table.select(list(TIE_COLUMNS)), written[1])
    return written


def _write_csv_file(table: pa.Table, path: Path) -> None:
    """Plain CSV without quotes when no value needs them (readers then parse it in
    parallel), else standard quoting."""
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(table.column_names)
    for style in ("none", "needed"):
        with path.open("wb") as sink:
            sink.write(header.getvalue().encode("utf-8"))
            options = pa_csv.WriteOptions(include_header=False, quoting_style=style)
            try:
                pa_csv.write_csv(table, sink, write_options=options)
                return
            except pa.ArrowInvalid:
                if style == "needed":
                    raise


# ---- helpers -----------------------------------------------------------------------------

_FORMULA_START = "^[" + "".join("\\" + c if c in "-\\^]" else c for c in FORMULA_PREFIXES) + "]"


def _safe(array: pa.Array) -> pa.Array:
    """Text cells that would start a formula get an apostrophe in front (vectorised)."""
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return array
    starts = pc.match_substring_regex(array, _FORMULA_START)
    if not pc.any(starts).as_py():
        return array
    quote, nothing = pa.scalar("'", type=array.type), pa.scalar("", type=array.type)
    return pc.if_else(starts, pc.binary_join_element_wise(quote, array, nothing), array)


def _csv_array(column: pd.Series) -> pa.Array:
    """A column as Arrow for CSV: dates as dates (or timestamps when they carry a time),
    categories as their values, mixed object columns as text."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        column = column.astype(object)
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        values = pd.to_datetime(column)
        if (values.dropna() == values.dropna().dt.normalize()).all():
            return pa.array(values.dt.date.astype(object), type=pa.date32(), from_pandas=True)
        return pa.array(values, from_pandas=True)
    try:
        array = pa.array(column, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return pa.array([None if is_missing(v) else str(v) for v in column], type=pa.string())
    if pa.types.is_null(array.type):
        return pa.array([None] * len(column), type=pa.string())
    return array


def _plain_values(column: pd.Series) -> list[Any]:
    """Python values for networkx (None where missing), one type per column as GraphML
    needs: dates as ISO text, numbers as int or float, mixed columns as text."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        column = column.astype(object)
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        values = pd.to_datetime(column)
        midnight = bool((values.dropna() == values.dropna().dt.normalize()).all())
        return [
            None if pd.isna(v) else (v.date().isoformat() if midnight else v.isoformat())
            for v in values
        ]
    out: list[Any] = []
    for value in column.astype(object).tolist():
        if is_missing(value):
            out.append(None)
        elif isinstance(value, np.generic):
            out.append(value.item())
        elif isinstance(value, dt.date):
            out.append(value.isoformat())
        else:
            out.append(value)
    kinds = {type(v) for v in out if v is not None}
    if kinds <= {int, float} and float in kinds:
        return [None if v is None else float(v) for v in out]
    if len(kinds) > 1 or not kinds <= {bool, int, float, str}:
        return [None if v is None else str(v) for v in out]
    return out


def _network(graph: OrgGraph, *, include_names: bool) -> Any:
    import networkx as nx

    people = exportable_people(graph, include_names=include_names)
    network = nx.MultiDiGraph()
    ids = people[PERSON_ID].tolist()
    columns = {str(c): _plain_values(people[c]) for c in people.columns if c != PERSON_ID}
    for i, person in enumerate(ids):
        attrs = {name: values[i] for name, values in columns.items() if values[i] is not None}
        network.add_node(person, **attrs)
    ties = graph.tie_table("all")
    explicit = ties[ties["layer"] != REPORTS_TO]
    reports = ties[ties["layer"] == REPORTS_TO]
    ordered = pd.concat([explicit, reports], ignore_index=True)
    starts = _plain_values(ordered["start"])
    ends = _plain_values(ordered["end"])
    for i, (source, target, layer, weight) in enumerate(
        zip(
            ordered["source"].tolist(),
            ordered["target"].tolist(),
            ordered["layer"].tolist(),
            ordered["weight"].tolist(),
            strict=True,
        )
    ):
        edge: dict[str, Any] = {"layer": layer, "weight": float(weight)}
        if starts[i] is not None:
            edge["start"] = starts[i]
        if ends[i] is not None:
            edge["end"] = ends[i]
        network.add_edge(source, target, key=i, **edge)
    return network
