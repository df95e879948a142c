"""Which attributes may group people, and client parameters parsed into allowed values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orgbridge.disclosure import (
    attribute_kinds,
    check_group_by,
    groupable_attributes,
    parse_choice,
    parse_flag,
    parse_int,
    parse_text,
    special_columns,
)
from orgbridge.errors import ParameterError
from orgbridge.graph import OrgGraph


def org(n: int = 200) -> OrgGraph:
    rng = np.random.default_rng(1)
    people = pd.DataFrame(
        {
            "person_id": [f"E{i:04d}" for i in range(n)],
            "name": [f"Person {i}" for i in range(n)],
            "manager_id": [f"E{i // 10:04d}" for i in range(n)],
            "email": [f"p{i}@example.org" for i in range(n)],
            "department": rng.choice(["Sales", "Finance", "Ops"], size=n),
            "level": rng.integers(1, 6, size=n),
            "location": rng.choice(["North", "South"], size=n),
            "start_date": pd.to_datetime("2020-01-01") + pd.to_timedelta(np.arange(n), "D"),
            "desk": [f"D-{i}" for i in range(n)],
            "badge_id": [f"B{i % 3}" for i in range(n)],
            "notes": [
                "likes long walks on the beach and writing very long notes" for _ in range(n)
            ],
            "gender": rng.choice(["female", "male"], size=n),
            "HR_Ethnicity": rng.choice(["a", "b"], size=n),
            "is_leader": rng.random(n) < 0.05,
            "opt_in": True,
            "capacity": 2,
        }
    )
    return OrgGraph(people, special=["gender"])


def test_only_group_attributes_are_offered() -> None:
    graph = org()
    assert groupable_attributes(graph) == ["department", "level", "location"]
    with_special = groupable_attributes(graph, allow_special=True)
    assert with_special == ["department", "level", "location", "HR_Ethnicity", "gender"]
    kinds = attribute_kinds(graph)
    assert "identifies people" in kinds.refused["badge_id"]
    assert "dates" in kinds.refused["start_date"]
    assert "free text" in kinds.refused["notes"]
    assert "near-unique" in kinds.refused["desk"] or "distinct" in kinds.refused["desk"]


@pytest.mark.parametrize(
    "column",
    ["name", "person_id", "manager_id", "email", "desk", "start_date", "notes", "gender",
     "HR_Ethnicity", "is_leader", "capacity", "nonexistent", "", None, 3, ["department"],
     {"a": 1}, "x" * 10_000],
)  # fmt: skip
def test_a_forbidden_grouping_is_refused_with_a_reason(column: object) -> None:
    with pytest.raises(ParameterError, match="group by"):
        check_group_by(org(), column)


def test_special_categories_group_only_when_enabled() -> None:
    assert check_group_by(org(), "gender", allow_special=True) == "gender"
    assert special_columns(org()) == {"gender", "HR_Ethnicity"}


def test_a_column_of_small_groups_is_near_unique_at_any_size() -> None:
    people = pd.DataFrame(
        {"person_id": [f"p{i}" for i in range(40)], "team": [f"t{i // 3}" for i in range(40)]}
    )
    assert "near-unique" in attribute_kinds(OrgGraph(people)).refused["team"]


def test_parsers_accept_only_allowed_values() -> None:
    assert parse_choice("a", ("a", "b"), what="x") == "a"
    for bad in (["a"], None, 1, "c", {"a": 1}):
        with pytest.raises(ParameterError):
            parse_choice(bad, ("a", "b"), what="x")
    assert parse_int(3.0, what="n", low=1, high=5) == 3
    for bad in (True, 1e308, float("nan"), "1e400", 10**30, -1, "three", 2.5, [1], "9" * 40):
        with pytest.raises(ParameterError):
            parse_int(bad, what="n", low=0, high=500)
    assert parse_flag(["yes"]) and not parse_flag({"x": 1})
    with pytest.raises(ParameterError):
        parse_text("a\x00b", what="t")
    with pytest.raises(ParameterError):
        parse_text("x" * 201, what="t")
