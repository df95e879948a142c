"""The synthetic organisation generator: structure, homophily, programmes, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import orgbridge.synthetic as synthetic
from orgbridge.errors import ParameterError
from orgbridge.synthetic import SyntheticOrg, generate_organisation

STAFF_COLUMNS = [
    "person_id",
    "name",
    "department",
    "division",
    "level",
    "manager_id",
    "location",
    "start_date",
    "is_leader",
    "opt_in",
    "capacity",
    "gender",
]
EXECUTIVE = "Executive Office"


@pytest.fixture(scope="module", params=[50, 500, 5_000])
def org(request: pytest.FixtureRequest) -> SyntheticOrg:
    return generate_organisation(request.param, seed=11)


@pytest.fixture(scope="module")
def big() -> SyntheticOrg:
    return generate_organisation(5_000, seed=3)


def parents(staff: pd.DataFrame) -> np.ndarray:
    """Position of each person's manager (-1 for none); fails on an unknown manager."""
    index = pd.Index(staff["person_id"])
    has = staff["manager_id"].notna().to_numpy()
    out = np.full(len(staff), -1)
    out[has] = index.get_indexer(staff["manager_id"][has])
    assert (out[has] >= 0).all(), "a manager_id is not a known person"
    return out


def test_exported_members() -> None:
    assert synthetic.__all__ == [
        "FILES",
        "PROGRAMME_FILES",
        "SyntheticOrg",
        "SyntheticProgramme",
        "generate_organisation",
        "programme_activity",
        "write_organisation",
        "write_programme",
    ]


def test_sizes_columns_and_ids(org: SyntheticOrg) -> None:
    n = org.parameters["n_people"]
    staff = org.staff
    assert list(staff.columns) == STAFF_COLUMNS
    assert len(staff) == n
    assert staff["person_id"].is_unique
    assert staff[["person_id", "name", "department", "division", "location"]].notna().all().all()
    assert set(staff["capacity"]) <= {1, 2}
    assert (staff["start_date"] < pd.Timestamp(org.parameters["reference_date"])).all()
    assert list(org.projects.columns) == ["project_id", "person_id", "role", "start", "end"]
    assert list(org.pairs.columns) == ["person_a", "person_b", "programme", "start", "end"]
    assert list(org.sponsorships.columns) == [
        "sponsor_id",
        "protege_id",
        "programme",
        "start",
        "end",
    ]
    assert list(org.collaboration.columns) == ["source", "target", "weight"]


def test_management_tree_is_one_rooted_acyclic_tree(org: SyntheticOrg) -> None:
    staff = org.staff
    parent = parents(staff)
    roots = np.flatnonzero(parent < 0)
    assert len(roots) == 1
    assert staff["is_leader"].iloc[roots].all()
    # Pointer jumping: every chain must reach the root; a cycle never would.
    ancestor = parent.copy()
    for _ in range(64):
        ancestor = np.where(ancestor >= 0, parent[ancestor], -1)
    assert (ancestor == -1).all()


def test_managers_outrank_reports_and_leaders_sit_on_top(org: SyntheticOrg) -> None:
    staff = org.staff
    parent = parents(staff)
    level = staff["level"].to_numpy()
    leader = staff["is_leader"].to_numpy()
    has = parent >= 0
    assert (level[parent[has]] > level[has]).all()
    # Leaders' managers are leaders: the leaders are the top of the tree.
    assert leader[parent[has & leader]].all()
    assert (leader == (level >= org.parameters["leader_level"])).all()
    assert level.min() == 1


def test_about_two_percent_are_leaders(org: SyntheticOrg) -> None:
    n = len(org.staff)
    assert org.staff["is_leader"].sum() == max(1, round(0.02 * n))


def test_departments_are_whole_subtrees_grouped_by_divisions(org: SyntheticOrg) -> None:
    staff = org.staff
    parent = parents(staff)
    dept = staff["department"].to_numpy()
    has = parent >= 0
    boss_dept = np.where(has, dept[np.maximum(parent, 0)], None)
    # Everyone whose manager is in another department is a department head: one per department.
    heads = pd.Series(dept[has & (boss_dept != dept)])
    for name in set(dept) - {EXECUTIVE}:
        assert (heads == name).sum() == 1, name
    # A report of someone outside the executive office stays in their manager's department.
    below_department = has & (boss_dept != EXECUTIVE)
    assert (dept[below_department] == boss_dept[below_department]).all()
    assert dept[parent < 0][0] == EXECUTIVE
    divisions = staff[staff["department"] != EXECUTIVE].groupby("department")["division"].nunique()
    assert (divisions == 1).all()
    assert org.parameters["n_departments"] == staff["department"].nunique() - 1


def test_department_count_grows_with_size() -> None:
    counts = [generate_organisation(n, seed=1).parameters["n_departments"] for n in (50, 1_500)]
    assert counts == [2, 6]
    assert synthetic._tree.department_count(1_000_000) > 24  # dozens at a million


def test_spans_of_control_are_realistic(big: SyntheticOrg) -> None:
    staff = big.staff
    parent = parents(staff)
    spans = np.bincount(parent[parent >= 0], minlength=len(staff))
    managers = spans[spans > 0]
    assert 6.0 <= managers.mean() <= 8.0
    below_heads = (staff["department"] != EXECUTIVE).to_numpy()
    assert spans[below_heads].max() <= 12
    assert staff["level"].max() >= 5  # deeper than a flat org


def test_collaboration_ties_are_simple_and_counted(org: SyntheticOrg) -> None:
    ties = org.collaboration
    n = len(org.staff)
    assert len(ties) == round(n * org.parameters["mean_degree"] / 2)
    assert (ties["source"] != ties["target"]).all()
    pair = pd.DataFrame(
        {
            "a": np.minimum(ties["source"], ties["target"]),
            "b": np.maximum(ties["source"], ties["target"]),
        }
    )
    assert not pair.duplicated().any()
    known = set(org.staff["person_id"])
    assert set(ties["source"]) <= known and set(ties["target"]) <= known
    assert (ties["weight"] > 0).all()


def within_share(org: SyntheticOrg) -> tuple[float, float]:
    """Share of collaboration ties inside a department, and the random-mixing baseline."""
    dept = org.staff.set_index("person_id")["department"]
    ties = org.collaboration
    share = float((dept[ties["source"]].to_numpy() == dept[ties["target"]].to_numpy()).mean())
    sizes = dept.value_counts().to_numpy().astype(float)
    n = sizes.sum()
    return share, float((sizes * (sizes - 1)).sum() / (n * (n - 1)))


def test_collaboration_is_homophilous(big: SyntheticOrg) -> None:
    share, baseline = within_share(big)
    assert share > 0.7
    assert share > 4 * baseline


def test_homophily_follows_its_parameter() -> None:
    low, _ = within_share(generate_organisation(2_000, seed=5, within_department=0.3))
    high, _ = within_share(generate_organisation(2_000, seed=5, within_department=0.95))
    assert high > low + 0.4


def test_degree_is_heavy_tailed(big: SyntheticOrg) -> None:
    ties = big.collaboration
    degree = pd.concat([ties["source"], ties["target"]]).value_counts()
    assert degree.max() > 4 * degree.mean()
    assert abs(degree.reindex(big.staff["person_id"], fill_value=0).mean() - 12.0) < 1e-9


def test_projects(org: SyntheticOrg) -> None:
    projects = org.projects
    sizes = projects.groupby("project_id").size()
    assert sizes.between(2, 15).all()
    assert (projects.groupby("project_id")["role"].apply(lambda r: (r == "lead").sum()) == 1).all()
    assert not projects.duplicated(["project_id", "person_id"]).any()
    assert set(projects["person_id"]) <= set(org.staff["person_id"])
    ended = projects["end"].notna()
    assert (projects.loc[ended, "end"] > projects.loc[ended, "start"]).all()


def test_projects_are_mostly_departmental(big: SyntheticOrg) -> None:
    dept = big.staff.set_index("person_id")["department"]
    projects = big.projects.assign(department=dept[big.projects["person_id"]].to_numpy())
    lead_dept = projects[projects["role"] == "lead"].set_index("project_id")["department"]
    same = projects["department"].to_numpy() == lead_dept[projects["project_id"]].to_numpy()
    assert 0.6 < same.mean() < 0.95
    cross = projects.groupby("project_id")["department"].nunique() > 1
    assert cross.mean() > 0.1


def test_mentoring_pairs_and_sponsorships(org: SyntheticOrg) -> None:
    staff = org.staff.set_index("person_id")
    pairs = org.pairs
    assert len(pairs) >= 1
    people = pd.concat([pairs["person_a"], pairs["person_b"]])
    assert people.isin(staff.index).all()
    assert people.is_unique
    assert (
        staff.loc[pairs["person_a"], "department"].to_numpy()
        != staff.loc[pairs["person_b"], "department"].to_numpy()
    ).all()
    assert (pairs["programme"] == "RM-2025").all()
    assert (pairs["start"] < pairs["end"]).all()
    assert staff.loc[people, "opt_in"].all()

    sponsored = org.sponsorships
    assert len(sponsored) >= 1
    assert staff.loc[sponsored["sponsor_id"], "is_leader"].all()
    assert not staff.loc[sponsored["protege_id"], "is_leader"].any()
    assert sponsored["sponsor_id"].is_unique and sponsored["protege_id"].is_unique
    assert (
        staff.loc[sponsored["protege_id"], "manager_id"].to_numpy() != sponsored["sponsor_id"]
    ).all()


def test_attributes_are_plausible(big: SyntheticOrg) -> None:
    staff = big.staff
    assert 0.27 < staff["opt_in"].mean() < 0.33
    assert set(staff["gender"]) == {"female", "male", "non-binary"}
    assert staff["name"].str.contains(" ").all()
    # Locations cluster by department: a department's main site holds more of it than the
    # organisation's main site holds of everyone.
    by_dept = staff.groupby("department")["location"].agg(
        lambda s: s.value_counts(normalize=True).iloc[0]
    )
    overall = staff["location"].value_counts(normalize=True).iloc[0]
    assert by_dept.mean() > overall


def test_same_seed_same_org_other_seed_other_org() -> None:
    one = generate_organisation(500, seed=9)
    two = generate_organisation(500, seed=9)
    for table in ("staff", "projects", "pairs", "sponsorships", "collaboration"):
        pd.testing.assert_frame_equal(getattr(one, table), getattr(two, table))
    other = generate_organisation(500, seed=10)
    assert not one.staff.equals(other.staff)
    assert not one.collaboration.equals(other.collaboration)


def test_tie_density_does_not_change_the_people() -> None:
    sparse = generate_organisation(300, seed=4, mean_degree=6)
    dense = generate_organisation(300, seed=4, mean_degree=20)
    pd.testing.assert_frame_equal(sparse.staff, dense.staff)
    assert len(dense.collaboration) == 3_000


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_people": 5},
        {"n_people": 100, "mean_degree": 60},
        {"n_people": 100, "leader_share": 1.5},
        {"n_people": 100, "within_department": -0.1},
        {"n_people": 100, "opt_in_share": 2},
    ],
)
def test_out_of_range_parameters_are_refused(kwargs: dict[str, float]) -> None:
    n = int(kwargs.pop("n_people"))
    with pytest.raises(ParameterError):
        generate_organisation(n, seed=1, **kwargs)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(20, 400), seed=st.integers(0, 2**32 - 1), degree=st.floats(0, 9))
def test_any_size_and_seed_gives_a_valid_org(n: int, seed: int, degree: float) -> None:
    org = generate_organisation(n, seed=seed, mean_degree=degree)
    staff = org.staff
    assert len(staff) == n and staff["person_id"].is_unique
    parent = parents(staff)
    assert (parent < 0).sum() == 1
    level = staff["level"].to_numpy()
    assert (level[parent[parent >= 0]] > level[parent >= 0]).all()
    ties = org.collaboration
    assert (ties["source"] != ties["target"]).all()
    assert len(ties) == round(n * degree / 2)
    assert staff.set_index("person_id").loc[org.sponsorships["sponsor_id"], "is_leader"].all()
