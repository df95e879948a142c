"""The import guard: an import may not silently shrink the organisation.

A malformed roster (every row ragged, the wrong sheet, a truncated export) parses into a
handful of people; merged as "the full roster" it would replace the organisation and drop
every tie of the people it lost. So before anything is saved, :func:`refusals` compares the
merged graph with the stored one and lists what would make the import a mistake:

- a file none of whose rows loaded (or that could not be read at all): always refused;
- more than ``max_shrink`` of the stored people removed, or a tie layer the store holds
  emptied: refused unless ``allow_shrink``.
"""

from __future__ import annotations

import numpy as np

from orgbridge.errors import ParameterError
from orgbridge.graph._orggraph import OrgGraph
from orgbridge.ingest._report import ImportReport

__all__ = ["MAX_SHRINK", "check_max_shrink", "refusals"]

#: Default share of the stored people an import may remove without ``allow_shrink``.
MAX_SHRINK = 0.10


def check_max_shrink(max_shrink: float) -> float:
    """``max_shrink`` as a float in [0, 1]; :class:`ParameterError` otherwise.

    Example
    -------
    >>> check_max_shrink(0.25)
    0.25
    """
    try:
        share = float(max_shrink)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"max_shrink must be a share from 0 to 1, got {max_shrink!r}") from exc
    if not 0.0 <= share <= 1.0:
        raise ParameterError(f"max_shrink must be a share from 0 to 1, got {max_shrink!r}")
    return share


def refusals(
    report: ImportReport,
    graph: OrgGraph,
    existing: OrgGraph | None,
    *,
    allow_shrink: bool = False,
    max_shrink: float = MAX_SHRINK,
) -> list[str]:
    """Why this import must not be saved (empty when it may be), one sentence per reason.

    Parameters
    ----------
    report
        The import's report (per-file row accounting).
    graph
        The merged organisation the import would save.
    existing
        The organisation stored now, if any.
    allow_shrink
        Accept a shrink (people removed beyond ``max_shrink``, or a layer emptied).
    max_shrink
        Largest share of the stored people that may be removed without ``allow_shrink``.

    Returns
    -------
    list of str

    Example
    -------
    >>> import pandas as pd
    >>> before = OrgGraph(pd.DataFrame({"person_id": list("abcdefghij")}))
    >>> after = OrgGraph(pd.DataFrame({"person_id": list("abc")}))
    >>> refusals(ImportReport(), after, before)
    ['it would remove 7 of the 10 people stored (70%, more than the 10% allowed)']
    >>> refusals(ImportReport(), after, before, allow_shrink=True)
    []
    """
    share = check_max_shrink(max_shrink)
    reasons: list[str] = []
    for file in report.files:
        errors = [p for p in file.problems if p.severity == "error"]
        if file.rows_in > 0 and file.rows_loaded == 0:
            first = f" (first: {errors[0]})" if errors else ""
            reasons.append(f"{file.file}: none of its {file.rows_in:,} rows could be loaded{first}")
        elif file.rows_in == 0 and errors:
            reasons.append(f"{file.file} could not be read: {errors[0].message}")
    if existing is None or allow_shrink:
        return reasons
    if existing.n_people:
        before = existing.ids.to_numpy(dtype=object).astype(str)
        after = graph.ids.to_numpy(dtype=object).astype(str)
        removed = int((~np.isin(before, after)).sum())
        if removed / existing.n_people > share:
            reasons.append(
                f"it would remove {removed:,} of the {existing.n_people:,} people stored"
                f" ({removed / existing.n_people:.0%}, more than the {share:.0%} allowed)"
            )
    now = graph.tie_counts()
    for layer, count in sorted(existing.tie_counts().items()):
        if count and not now.get(layer, 0):
            noun = "tie" if count == 1 else "ties"
            reasons.append(f"it would drop the whole {layer} layer ({count:,} {noun} stored)")
    return reasons
