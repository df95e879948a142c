"""Read GraphML and GEXF files (through networkx) into a people table and a tie table.

Nodes become people (node id -> ``person_id``; node attributes -> columns, types kept);
edges become ties with attributes ``layer`` (``collaboration`` when absent), ``weight``
(1 when absent) and ``start``/``end``. ``reports_to`` edges (person -> manager) set
``people.manager_id`` instead of becoming ties, as everywhere in orgbridge.

Problems are reported like the CSV readers do: a :class:`Problem` per bad value whose
``row`` is the position of the node or edge (1-based, nodes and edges counted separately,
in the order networkx reads them) and whose ``column`` is the attribute name. Self-loops,
bad weights and bad tie dates reject the edge; a bad person attribute is cleared with a
warning.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

import numpy as np
import pandas as pd

from orgbridge.errors import IngestError
from orgbridge.graph._schema import COLLABORATION, PERSON_ID, REPORTS_TO
from orgbridge.ingest._limits import ReadLimits, check_file_size
from orgbridge.ingest._report import FileReport, Problem
from orgbridge.ingest._values import parse_dates

__all__ = ["parse_network", "read_gexf", "read_graphml"]

#: Node or edge attributes that are file bookkeeping, not data.
_NODE_NOISE = frozenset({"pid", "viz"})
_EDGE_NOISE = frozenset({"id", "key", "networkx_key", "label", "viz"})
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$")
_ID_COLUMNS = frozenset({"manager_id"})


def read_graphml(
    path: str | Path, *, limits: ReadLimits | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, FileReport]:
    """Read a GraphML file into ``(people, ties, report)``.

    Parameters
    ----------
    path
        The GraphML file.
    limits
        Its size may not pass ``limits.max_graph_file_bytes`` (default :class:`ReadLimits`).

    Returns
    -------
    people
        One row per node: ``person_id`` and one column per node attribute.
    ties
        ``source, target`` (person ids), ``layer, weight, start, end``.
    report
        Row accounting (nodes and edges) and the problems found.

    Raises
    ------
    IngestError
        The file cannot be read, is over the size limit, or is not valid GraphML.

    Example
    -------
    >>> import networkx as nx, tempfile, os
    >>> g = nx.DiGraph()
    >>> g.add_node("a", department="Ops"); g.add_node("b", department="Eng")
    >>> g.add_edge("b", "a", layer="reports_to"); g.add_edge("a", "b", weight=2.0)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     nx.write_graphml(g, os.path.join(d, "org.graphml"))
    ...     people, ties, report = read_graphml(os.path.join(d, "org.graphml"))
    >>> people.fillna("-").values.tolist()
    [['a', 'Ops', '-'], ['b', 'Eng', 'a']]
    >>> ties[["source", "target", "layer", "weight"]].values.tolist()
    [['a', 'b', 'collaboration', 2.0]]
    """
    import networkx as nx

    return _read(path, "graphml", lambda p: nx.read_graphml(p, node_type=str), limits)


def read_gexf(
    path: str | Path, *, limits: ReadLimits | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, FileReport]:
    """Read a GEXF file into ``(people, ties, report)``, like :func:`read_graphml`.

    The GEXF node ``label`` becomes a ``label`` column unless it just repeats the node id.

    Raises
    ------
    IngestError
        The file cannot be read or is not valid GEXF.
    """
    import networkx as nx

    return _read(path, "gexf", lambda p: nx.read_gexf(p, node_type=str), limits)


def _read(
    path: str | Path, kind: str, reader: Callable[[Path], Any], limits: ReadLimits | None
) -> tuple[pd.DataFrame, pd.DataFrame, FileReport]:
    import networkx as nx

    path = Path(path)
    check_file_size(path, (limits or ReadLimits()).max_graph_file_bytes)
    try:
        graph = reader(path)
    except OSError as err:
        raise IngestError(f"cannot read the file: {err.strerror or err}", file=path.name) from err
    except (ParseError, nx.NetworkXError, ValueError, KeyError, TypeError) as err:
        raise IngestError(f"is not valid {kind.upper()}: {err}", file=path.name) from err
    return parse_network(graph, file=path.name, kind=kind)


def parse_network(
    graph: Any, *, file: str, kind: str = "graphml"
) -> tuple[pd.DataFrame, pd.DataFrame, FileReport]:
    """Turn a networkx graph (any of the four classes) into ``(people, ties, report)``.

    Pure: the graph is not changed and no file is read.

    Example
    -------
    >>> import networkx as nx
    >>> g = nx.Graph([("a", "b"), ("b", "b")])
    >>> people, ties, report = parse_network(g, file="g.graphml")
    >>> len(ties), report.rows_in, report.rows_rejected, report.problems[0].message
    (1, 4, 1, "edge 'b' -> 'b': 'b' is the source too (a tie to oneself)")
    """
    report = FileReport(file=file, kind=kind)
    people = _people(graph, report)
    ties, managers = _ties(graph, report)
    if len(managers):
        people = _apply_managers(people, managers, report)
    _check_managers(people, report)
    report.problems.sort(key=lambda p: (p.row is not None, p.row or 0))
    report.check_balance()
    return people, ties, report


# ---- people ------------------------------------------------------------------------------


def _people(graph: Any, report: FileReport) -> pd.DataFrame:
    nodes = list(graph.nodes(data=True))
    ids = [str(node) for node, _ in nodes]
    names: list[str] = []
    for _, data in nodes:
        names += [k for k in data if k not in names and k not in _NODE_NOISE and k != PERSON_ID]
    columns: dict[str, Any] = {PERSON_ID: pd.array(ids, dtype="str")}
    for name in names:
        values = [_scalar(data.get(name)) for _, data in nodes]
        columns[name] = _typed(name, values, ids, report)
    people = pd.DataFrame(columns)
    if "label" in people.columns and people["label"].astype(object).equals(
        people[PERSON_ID].astype(object)
    ):
        people = people.drop(columns="label")
    report.rows_in += len(people)
    report.rows_loaded += len(people)
    return people


def _scalar(value: Any) -> Any:
    """Node attributes that are containers (GEXF spells, viz) are not person attributes."""
    if isinstance(value, dict | list | tuple | set):
        return None
    return value


def _typed(name: str, values: list[Any], ids: list[str], report: FileReport) -> Any:
    series = pd.Series(values, dtype=object)
    present = series.notna()
    if name in _ID_COLUMNS:
        return pd.array(
            [str(v) if p else None for v, p in zip(values, present, strict=True)], dtype="str"
        )
    kinds = {type(v) for v in series[present]}
    if name == "start_date" or (kinds == {str} and _all_iso(series[present])):
        dates, bad = parse_dates(series.where(present, None).astype("str"))
        for row in np.flatnonzero(bad.mask):
            report.problems.append(
                Problem(
                    report.file,
                    int(row) + 1,
                    name,
                    f"node {str(ids[row])!r}: {values[row]!r} {bad.reason}; left empty",
                    "warning",
                )
            )
        return dates.to_numpy()
    if not kinds:
        return pd.array([None] * len(values), dtype="str")
    if kinds == {bool}:
        return pd.array(values, dtype="boolean")
    if kinds == {int} and all(-(2**63) <= v < 2**63 for v in series[present]):
        return pd.array(values, dtype="Int64")
    if kinds <= {int, float} and all(abs(v) < 1e300 for v in series[present]):
        return series.astype("float64").to_numpy()
    if kinds == {str}:
        return pd.array(values, dtype="str")
    return pd.array(
        [str(v) if p else None for v, p in zip(values, present, strict=True)], dtype="str"
    )


def _all_iso(values: pd.Series) -> bool:
    return len(values) > 0 and all(_ISO_DATE.match(v) for v in values)


def _apply_managers(
    people: pd.DataFrame, managers: pd.DataFrame, report: FileReport
) -> pd.DataFrame:
    """reports_to edges (person -> manager) become ``manager_id``; one manager each."""
    first = managers.drop_duplicates("source", keep="first")
    for _, extra in managers[managers.duplicated("source", keep="first")].iterrows():
        report.problems.append(
            Problem(
                report.file,
                int(extra["row"]),
                "layer",
                f"{extra['source']!r} already reports to"
                f" {first.set_index('source').at[extra['source'], 'target']!r};"
                f" the reports_to edge to {extra['target']!r} is ignored",
                "warning",
            )
        )
    column = (
        people["manager_id"].astype(object)
        if "manager_id" in people.columns
        else pd.Series(None, index=people.index, dtype=object)
    )
    position = pd.Index(people[PERSON_ID].astype(str)).get_indexer(pd.Index(first["source"]))
    previous = column.iloc[position].to_numpy()
    for (_, edge), before in zip(first.iterrows(), previous, strict=True):
        if before is not None and not pd.isna(before) and str(before) != edge["target"]:
            report.problems.append(
                Problem(
                    report.file,
                    int(edge["row"]),
                    "manager_id",
                    f"{edge['source']!r} has manager_id {before!r} but a reports_to edge"
                    f" to {edge['target']!r}; the edge wins",
                    "warning",
                )
            )
    column.iloc[position] = first["target"].to_numpy()
    return people.assign(manager_id=pd.array(column.to_numpy(), dtype="str"))


def _check_managers(people: pd.DataFrame, report: FileReport) -> None:
    if "manager_id" not in people.columns:
        return
    managers = people["manager_id"]
    unknown = managers.notna() & ~managers.isin(people[PERSON_ID])
    for row in np.flatnonzero(unknown.to_numpy()):
        report.problems.append(
            Problem(
                report.file,
                int(row) + 1,
                "manager_id",
                f"{managers.iloc[row]!r} is not a known person",
                "warning",
            )
        )


# ---- ties --------------------------------------------------------------------------------


def _ties(graph: Any, report: FileReport) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All edges as ties (person ids), and the reports_to edges as (row, source, target)."""
    if graph.is_multigraph():
        edges = [(u, v, d) for u, v, _, d in graph.edges(keys=True, data=True)]
    else:
        edges = list(graph.edges(data=True))
    n = len(edges)
    rows = np.arange(1, n + 1)
    frame = pd.DataFrame(
        {
            "row": rows,
            "source": pd.array([str(u) for u, _, _ in edges], dtype="str"),
            "target": pd.array([str(v) for _, v, _ in edges], dtype="str"),
            "layer": pd.array(
                [str(d.get("layer") or COLLABORATION) for _, _, d in edges], dtype="str"
            ),
        }
    )
    extra_names: list[str] = []
    for _, _, data in edges:
        extra_names += [k for k in data if k not in extra_names]
    reject = np.zeros(n, dtype=bool)

    def flag(mask: np.ndarray, column: str, message: Callable[[int], str]) -> None:
        for i in np.flatnonzero(mask & ~reject):
            where = f"edge {edges[i][0]!r} -> {edges[i][1]!r}"
            report.problems.append(
                Problem(report.file, int(rows[i]), column, f"{where}: {message(int(i))}")
            )
        reject[:] |= mask

    loops = (frame["source"] == frame["target"]).to_numpy()
    flag(loops, "target", lambda i: f"{edges[i][1]!r} is the source too (a tie to oneself)")

    raw_weight = [d.get("weight") for _, _, d in edges]
    weight = pd.to_numeric(pd.Series(raw_weight, dtype=object), errors="coerce").astype("float64")
    given = np.array([w is not None for w in raw_weight], dtype=bool)
    values = weight.to_numpy()
    not_number = given & ~np.isfinite(values)
    flag(not_number, "weight", lambda i: f"{raw_weight[i]!r} is not a number")
    flag(
        given & np.isfinite(values) & (values < 0),
        "weight",
        lambda i: f"{raw_weight[i]!r} is negative",
    )
    frame["weight"] = np.where(given & np.isfinite(values), values, 1.0)

    for column in ("start", "end"):
        raw = [d.get(column) for _, _, d in edges]
        as_text = pd.Series([None if v is None else str(v) for v in raw], dtype="str")
        dates, bad = parse_dates(as_text)
        flag(bad.mask, column, _quoted(raw, bad.reason))
        frame[column] = dates.to_numpy()
    backwards = (frame["end"] < frame["start"]).to_numpy()
    flag(backwards, "end", lambda i: "the tie ends before it starts")

    for name in extra_names:
        if name in _EDGE_NOISE or name in {"layer", "weight", "start", "end"}:
            continue
        values_ = [_scalar(d.get(name)) for _, _, d in edges]
        if any(v is not None for v in values_):
            frame[name] = pd.Series(values_, dtype=object).to_numpy()

    report.rows_in += n
    report.rows_rejected += int(reject.sum())
    report.rows_loaded += int((~reject).sum())
    kept = frame.loc[~reject]
    is_manager = (kept["layer"] == REPORTS_TO).to_numpy()
    managers = kept.loc[is_manager, ["row", "source", "target"]]
    ties = kept.loc[~is_manager].drop(columns="row").reset_index(drop=True)
    return ties, managers.reset_index(drop=True)


def _quoted(raw: list[Any], reason: str) -> Callable[[int], str]:
    def message(i: int) -> str:
        return f"{raw[i]!r} {reason}"

    return message
