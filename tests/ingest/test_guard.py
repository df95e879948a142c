"""The import guard: an import cannot silently shrink the organisation; bad values are rows
problems, never internal errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orgbridge.errors import ImportRejected, ParameterError
from orgbridge.graph import OrgGraph
from orgbridge.ingest import ImportReport, Sources, parse_staff, parse_ties, prepare_import
from orgbridge.ingest._guard import refusals


def roster(folder: Path, ids: list[str], name: str = "staff.csv") -> Path:
    path = folder / name
    path.write_text("person_id,manager_id\n" + "".join(f"{i},\n" for i in ids))
    return path


def stored(n: int, pairs: list[tuple[str, str]] = ()) -> OrgGraph:  # type: ignore[assignment]
    people = pd.DataFrame({"person_id": [f"p{i}" for i in range(n)]})
    ties = pd.DataFrame(
        {"source": [a for a, _ in pairs], "target": [b for _, b in pairs], "layer": "mentoring"}
    )
    return OrgGraph.from_frames(people, ties if pairs else None)


def test_a_roster_that_removes_too_many_people_is_refused_with_numbers(tmp_path: Path) -> None:
    existing = stored(20)
    staff = roster(tmp_path, [f"p{i}" for i in range(15)])  # 5 of 20 leave: 25%
    with pytest.raises(ImportRejected) as caught:
        prepare_import(Sources(staff=staff), existing=existing)
    message = str(caught.value)
    assert message.startswith("the import was refused and nothing was saved:")
    assert "it would remove 5 of the 20 people stored (25%, more than the 10% allowed)" in message
    assert "(people 20 -> 15)" in message and "--allow-shrink" in message
    assert caught.value.report.people == 15  # type: ignore[attr-defined]
    allowed = prepare_import(Sources(staff=staff), existing=existing, allow_shrink=True)
    assert allowed.graph.n_people == 15
    wider = prepare_import(Sources(staff=staff), existing=existing, max_shrink=0.25)
    assert wider.graph.n_people == 15


def test_the_share_is_a_limit_not_a_threshold_to_reach(tmp_path: Path) -> None:
    existing = stored(10)
    nine = roster(tmp_path, [f"p{i}" for i in range(9)])  # exactly 10%: allowed
    assert prepare_import(Sources(staff=nine), existing=existing).graph.n_people == 9
    eight = roster(tmp_path, [f"p{i}" for i in range(8)], "eight.csv")
    with pytest.raises(ImportRejected, match=r"remove 2 of the 10 people stored \(20%"):
        prepare_import(Sources(staff=eight), existing=existing)
    # Newcomers do not hide leavers: 2 leave and 5 join is still 2 of 10 removed.
    swapped = roster(tmp_path, [f"p{i}" for i in range(8)] + list("vwxyz"), "swap.csv")
    with pytest.raises(ImportRejected, match="remove 2 of the 10"):
        prepare_import(Sources(staff=swapped), existing=existing)


def test_dropping_a_whole_layer_is_refused(tmp_path: Path) -> None:
    existing = stored(10, [("p0", "p1")])
    staff = roster(tmp_path, [f"p{i}" for i in range(1, 10)])  # only p0 leaves: 10%
    with pytest.raises(ImportRejected) as caught:
        prepare_import(Sources(staff=staff), existing=existing)
    assert caught.value.reasons == [  # type: ignore[attr-defined]
        "it would drop the whole mentoring layer (1 tie stored)"
    ]
    assert "mentoring 1 -> 0" in str(caught.value)
    graph = prepare_import(Sources(staff=staff), existing=existing, allow_shrink=True).graph
    assert "mentoring" not in graph.tie_counts()


def test_a_file_with_every_row_rejected_fails_even_when_shrinking_is_allowed(
    tmp_path: Path,
) -> None:
    staff = roster(tmp_path, ["a", "b", "c"])
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("person_a,person_b\na,ghost\nb,b\n")
    for allow in (False, True):
        with pytest.raises(ImportRejected) as caught:
            prepare_import(Sources(staff=staff, pairs=pairs), allow_shrink=allow)
        assert caught.value.reasons == [  # type: ignore[attr-defined]
            "pairs.csv: none of its 2 rows could be loaded (first: pairs.csv row 2, column"
            " target: 'ghost' is not a known person)"
        ]
    pairs.write_text("person_a,person_b\na,ghost\nb,c\n")  # one row loads: accepted
    prepared = prepare_import(Sources(staff=staff, pairs=pairs))
    assert prepared.report.rows_rejected == 1


def test_the_testers_ragged_roster_is_refused(tmp_path: Path) -> None:
    """1,500 people and a mentoring layer; a roster of which 95% of rows are ragged."""
    ids = [f"E{i:04d}" for i in range(1500)]
    first = roster(tmp_path, ids)
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(
        "person_a,person_b\n" + "".join(f"{ids[i]},{ids[i + 750]}\n" for i in range(0, 700))
    )
    existing = prepare_import(Sources(staff=first, pairs=pairs)).graph
    lines = ["person_id,manager_id"] + [
        f"{pid}," if i % 20 == 0 else f"{pid},,extra" for i, pid in enumerate(ids)
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(ImportRejected) as caught:
        prepare_import(Sources(staff=bad), existing=existing)
    reasons = caught.value.reasons  # type: ignore[attr-defined]
    assert (
        reasons[0]
        == "it would remove 1,425 of the 1,500 people stored (95%, more than the 10% allowed)"
    )
    assert reasons[1] == "it would drop the whole mentoring layer (700 ties stored)"
    report = caught.value.report  # type: ignore[attr-defined]
    assert (report.rows_in, report.rows_loaded, report.rows_rejected) == (1500, 75, 1425)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(1, 40),
    data=st.data(),
    share=st.sampled_from([0.0, 0.1, 0.25, 0.5, 1.0]),
)
def test_refused_exactly_when_the_removed_share_passes_the_limit(
    n: int, data: st.DataObject, share: float
) -> None:
    existing = stored(n)
    keep = data.draw(st.lists(st.sampled_from(range(n)), unique=True, min_size=1))
    after = OrgGraph(pd.DataFrame({"person_id": [f"p{i}" for i in keep] + ["new"]}))
    removed = n - len(keep)
    reasons = refusals(ImportReport(), after, existing, max_shrink=share)
    assert bool(reasons) == (removed / n > share)
    assert refusals(ImportReport(), after, existing, max_shrink=share, allow_shrink=True) == []
    assert refusals(ImportReport(), after, None, max_shrink=share) == []


@pytest.mark.parametrize("share", [-0.1, 1.5, float("nan"), "lots"])
def test_max_shrink_must_be_a_share(tmp_path: Path, share: object) -> None:
    with pytest.raises(ParameterError, match="max_shrink must be a share from 0 to 1"):
        prepare_import(Sources(staff=roster(tmp_path, ["a"])), max_shrink=share)  # type: ignore[arg-type]


def test_values_that_cannot_fit_are_cell_problems_not_internal_errors() -> None:
    table = pd.DataFrame(
        {
            "person_id": ["a", "b", "c", "d", "e"],
            "capacity": ["1e19", "99999999999999999999999", "nan", "inf", "2"],
            "level": ["1e19", "3", "4", "-1e400", "5"],
        }
    )
    parsed = parse_staff(table, file="staff.csv")
    people = parsed.people.set_index("person_id")
    assert people["capacity"].tolist()[:4] == [pd.NA] * 4 and people.loc["e", "capacity"] == 2
    assert people["level"].tolist() == [pd.NA, 3, 4, pd.NA, 5]
    flagged = {(p.row, p.column) for p in parsed.report.problems if p.row is not None}
    assert flagged == {(2, "capacity"), (3, "capacity"), (4, "capacity"), (5, "capacity"),
                       (2, "level"), (5, "level")}  # fmt: skip
    assert parsed.report.rows_loaded == 5


def test_counts_that_cannot_be_numbers_reject_the_tie() -> None:
    table = pd.DataFrame(
        {"source": ["a", "a", "a", "a"], "target": ["b", "c", "d", "e"],
         "weight": ["nan", "inf", "-inf", "1e308"]}
    )  # fmt: skip
    parsed = parse_ties(table, file="t.csv", layer="advice")
    assert [(p.row, p.column) for p in parsed.report.problems] == [
        (2, "weight"),
        (3, "weight"),
        (4, "weight"),
    ]
    assert parsed.ties["weight"].tolist() == [1e308]


@settings(max_examples=30, deadline=None)
@given(
    cells=st.lists(
        st.one_of(
            st.text(max_size=30),
            st.floats(allow_nan=True, allow_infinity=True).map(repr),
            st.integers(min_value=-(10**30), max_value=10**30).map(str),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_any_text_in_number_columns_never_raises(cells: list[str]) -> None:
    n = len(cells)
    staff = pd.DataFrame(
        {"person_id": [f"p{i}" for i in range(n)], "capacity": cells, "level": cells[::-1]}
    )
    parsed = parse_staff(staff, file="s.csv")
    parsed.report.check_balance()
    capacity = parsed.people["capacity"].dropna().to_numpy(dtype=np.int64)
    assert ((capacity >= 0) & (capacity <= 1000)).all()
    ties = pd.DataFrame(
        {"source": ["x"] * n, "target": [f"y{i}" for i in range(n)], "weight": cells}
    )
    out = parse_ties(ties, file="t.csv", layer="advice")
    out.report.check_balance()
    assert np.isfinite(out.ties["weight"].to_numpy()).all()


HEADERS = {
    "staff": "person_id,manager_id,level,capacity,start_date,is_leader,opt_in,name",
    "pairs": "person_a,person_b,start,end,programme",
    "projects": "project_id,person_id,start,end",
    "viva_p2p": "PrimaryCollaborator_PersonId,SecondaryCollaborator_PersonId,StrongTieScore",
}
HOSTILE = st.one_of(
    st.sampled_from(
        ["a", "b", "", "1e19", "nan", "-inf", "-1", "2024-13-45", "31/02/2024", "yes", "=1+1",
         '"', "\r", "\n", ",", ";", "\t", "\x00", "9" * 30]
    ),
    st.text(max_size=6),
)  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    kinds=st.lists(st.sampled_from(sorted(HEADERS)), min_size=1, max_size=4, unique=True),
    data=st.data(),
)
def test_hostile_files_give_a_report_or_an_orgbridge_error(
    tmp_path_factory: pytest.TempPathFactory, kinds: list[str], data: st.DataObject
) -> None:
    from orgbridge.errors import OrgbridgeError

    folder = tmp_path_factory.mktemp("hostile")
    paths = {}
    for kind in kinds:
        if data.draw(st.booleans()):
            content = data.draw(st.binary(max_size=200))
        else:
            rows = data.draw(st.lists(st.lists(HOSTILE, max_size=9), max_size=8))
            sep = data.draw(st.sampled_from([",", ";", "\t"]))
            text = HEADERS[kind].replace(",", sep) + "\n" + "\n".join(sep.join(r) for r in rows)
            content = text.encode("utf-8", "replace")
        paths[kind] = folder / f"{kind}.csv"
        paths[kind].write_bytes(content)
    try:
        prepared = prepare_import(Sources(**paths))  # type: ignore[arg-type]
    except OrgbridgeError:
        return
    for file in prepared.report.files:
        file.check_balance()
        assert file.rows_loaded > 0 or (file.rows_in == 0 and not file.problems)
