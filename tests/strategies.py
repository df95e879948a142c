"""Hypothesis strategies shared by the tests: valid staff and tie tables, and CSV garbage."""

from __future__ import annotations

import pandas as pd
from hypothesis import strategies as st

__all__ = ["cell_text", "csv_garbage", "person_ids", "staff_tables", "tie_tables"]

#: Cell text that survives a CSV round trip unchanged: no surrounding space (cells are
#: stripped on read) and not blank (blank reads as missing).
cell_text = (
    st.text(
        alphabet=st.characters(
            codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp"), exclude_characters="\ufeff"
        ),
        min_size=1,
        max_size=12,
    )
    .map(str.strip)
    .filter(bool)
)

person_ids = st.from_regex(r"[A-Za-z][A-Za-z0-9_\-]{0,8}", fullmatch=True)


@st.composite
def staff_tables(draw: st.DrawFn, max_people: int = 25) -> pd.DataFrame:
    """A valid staff table: unique ids, managers among earlier people (no cycles)."""
    ids = draw(st.lists(person_ids, min_size=1, max_size=max_people, unique=True))
    n = len(ids)
    managers = [
        None if i == 0 or draw(st.booleans()) else ids[draw(st.integers(0, i - 1))]
        for i in range(n)
    ]
    return pd.DataFrame(
        {
            "person_id": ids,
            "name": draw(st.lists(cell_text, min_size=n, max_size=n)),
            "department": draw(
                st.lists(
                    st.sampled_from(["Ops", "R&D", "Sales, EU", "Fin"]), min_size=n, max_size=n
                )
            ),
            "level": draw(st.lists(st.integers(1, 12), min_size=n, max_size=n)),
            "manager_id": managers,
            "is_leader": draw(st.lists(st.booleans(), min_size=n, max_size=n)),
            "capacity": draw(st.lists(st.integers(0, 5), min_size=n, max_size=n)),
            "start_date": draw(
                st.lists(
                    st.dates(pd.Timestamp("1990-01-01").date(), pd.Timestamp("2030-12-31").date()),
                    min_size=n,
                    max_size=n,
                )
            ),
        }
    )


@st.composite
def tie_tables(draw: st.DrawFn, max_ties: int = 40) -> pd.DataFrame:
    """A valid tie table: distinct ends, non-negative weights, start <= end."""
    ids = draw(st.lists(person_ids, min_size=2, max_size=15, unique=True))
    rows = draw(
        st.lists(
            st.tuples(
                st.integers(0, len(ids) - 1),
                st.integers(1, len(ids) - 1),
                st.floats(0, 1e6, allow_nan=False, allow_infinity=False),
                st.dates(pd.Timestamp("2000-01-01").date(), pd.Timestamp("2030-01-01").date()),
                st.integers(0, 800),
            ),
            min_size=1,
            max_size=max_ties,
        )
    )
    return pd.DataFrame(
        {
            "source": [ids[a] for a, *_ in rows],
            "target": [ids[(a + b) % len(ids)] for a, b, *_ in rows],
            "weight": [w for _, _, w, _, _ in rows],
            "start": [pd.Timestamp(d) for *_, d, _ in rows],
            "end": [pd.Timestamp(d) + pd.Timedelta(days=k) for *_, d, k in rows],
        }
    )


_garbage_cell = st.one_of(
    st.text(max_size=8),
    st.sampled_from(
        [
            "",
            " ",
            '"',
            '""',
            "a,b",
            "x;y",
            "\t",
            "-1",
            "nan",
            "1e999",
            "31/02/2024",
            "é",
            "\r",
            "\n",
        ]
    ),
)


@st.composite
def csv_garbage(draw: st.DrawFn) -> bytes:
    """Bytes that look a little like a CSV: a header, ragged lines, odd cells or raw noise."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=200))
    header = draw(
        st.sampled_from(
            [
                ["source", "target", "weight", "start"],
                ["person_id", "manager_id", "level", "start_date", "is_leader"],
                ["project_id", "person_id"],
                ["a"],
            ]
        )
    )
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    lines = [delimiter.join(header)]
    for _ in range(draw(st.integers(0, 12))):
        width = draw(st.integers(0, len(header) + 2))
        lines.append(delimiter.join(draw(st.lists(_garbage_cell, min_size=width, max_size=width))))
    body = draw(st.sampled_from(["\n", "\r\n"])).join(lines)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    return body.encode(encoding, errors="replace")
