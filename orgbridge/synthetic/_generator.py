"""generate_organisation: a seeded synthetic organisation in the files a user would bring."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from numpy.typing import NDArray

from orgbridge.errors import ParameterError
from orgbridge.synthetic._collaboration import Pools, collaboration_ties
from orgbridge.synthetic._people import build_people, department_names
from orgbridge.synthetic._programmes import mentoring_pairs, projects, sponsorships
from orgbridge.synthetic._tree import build_tree, department_count

__all__ = ["SyntheticOrg", "generate_organisation"]

_MIN_PEOPLE = 20
_PAIR_SHARE = 0.01
_SPONSOR_SHARE = 0.25


@dataclass(frozen=True)
class SyntheticOrg:
    """A synthetic organisation as the tables a user would bring, one per CSV file.

    Attributes
    ----------
    staff : DataFrame
        ``person_id, name, department, division, level, manager_id, location, start_date,
        is_leader, opt_in, capacity, gender`` (``gender`` is a special-category attribute).
    projects : DataFrame
        ``project_id, person_id, role, start, end`` (``end`` is empty while a project runs).
    pairs : DataFrame
        Existing mentoring pairs: ``person_a, person_b, programme, start, end``.
    sponsorships : DataFrame
        ``sponsor_id, protege_id, programme, start, end``; every sponsor is a leader.
    collaboration : DataFrame
        Undirected weighted ties ``source, target, weight``, each pair at most once.
    parameters : Mapping
        The seed and every parameter that produced the tables, plus derived figures such as
        ``leader_level`` (``is_leader`` is exactly ``level >= leader_level``).
    """

    staff: pd.DataFrame
    projects: pd.DataFrame
    pairs: pd.DataFrame
    sponsorships: pd.DataFrame
    collaboration: pd.DataFrame
    parameters: MappingProxyType[str, Any] = field(default_factory=lambda: MappingProxyType({}))


def generate_organisation(
    n_people: int,
    *,
    seed: int,
    mean_degree: float = 12.0,
    within_department: float = 0.8,
    leader_share: float = 0.02,
    opt_in_share: float = 0.3,
    projects_per_person: float = 2.0,
    cross_functional_share: float = 0.2,
    reference_date: str = "2026-06-30",
) -> SyntheticOrg:
    """Generate a synthetic organisation of ``n_people``, the same for the same ``seed``.

    One chief executive heads division heads, who head department heads; below them teams
    grow with spans of control between 3 and 12 (mean 7) until the organisation has
    ``n_people``. Departments are whole subtrees (the chief executive and division heads form
    the ``Executive Office``). The top ``leader_share`` by depth, then by the size of the team
    below, are leaders. Collaboration is homophilous (mostly within a team or department) with a
    heavy-tailed degree; projects are mostly departmental with some cross-functional.

    Parameters
    ----------
    n_people : int
        Head count, at least 20 (tested from 50 to 1,000,000).
    seed : int
        Seed of every random draw: the same seed gives identical tables.
    mean_degree : float
        Average number of collaboration ties per person.
    within_department : float
        Chance that a collaboration tie is drawn inside the person's team or department.
    leader_share : float
        Share of people who are leaders (at least one: the chief executive).
    opt_in_share : float
        Share of people who opted in to mentoring.
    projects_per_person : float
        Average number of project memberships per person.
    cross_functional_share : float
        Share of projects staffed across departments.
    reference_date : str
        The "today" of the data: start dates and project dates lie before it.

    Returns
    -------
    SyntheticOrg

    Raises
    ------
    ParameterError
        If a size or share is out of range.

    Example
    -------
    >>> org = generate_organisation(60, seed=1)
    >>> len(org.staff), int(org.staff["is_leader"].sum()), len(org.collaboration)
    (60, 1, 360)
    >>> org.staff.equals(generate_organisation(60, seed=1).staff)
    True
    """
    _check_size(n_people, mean_degree)
    _check_range("within_department", within_department, 1.0)
    _check_range("leader_share", leader_share, 1.0)
    _check_range("opt_in_share", opt_in_share, 1.0)
    _check_range("projects_per_person", projects_per_person, 20.0)
    _check_range("cross_functional_share", cross_functional_share, 1.0)
    reference_day = np.datetime64(reference_date, "D")
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5)]
    tree_rng, people_rng, tie_rng, project_rng, programme_rng = streams

    n_departments = department_count(n_people)
    labels, divisions_of = department_names(n_departments)
    division_labels = list(dict.fromkeys(divisions_of))
    dept_division = np.array([division_labels.index(d) for d in divisions_of], dtype=np.int64)
    tree = build_tree(
        n_people, dept_division, len(division_labels), leader_share=leader_share, rng=tree_rng
    )
    people = build_people(
        tree,
        labels,
        division_labels,
        opt_in_share=opt_in_share,
        reference_day=reference_day,
        rng=people_rng,
    )
    ids = people.ids
    pools = Pools.build(tree, people.activity)

    n_ties = round(n_people * mean_degree / 2)
    source, target, weight = collaboration_ties(
        pools, n_ties, within_department=within_department, rng=tie_rng
    )
    collaboration = pd.DataFrame(
        {"source": _take(ids, source), "target": _take(ids, target), "weight": weight}
    )

    work = projects(
        pools,
        per_person=projects_per_person,
        cross_functional_share=cross_functional_share,
        reference_day=reference_day,
        rng=project_rng,
    )
    n_projects = int(work.project.max()) + 1
    width = len(str(n_projects))
    project_ids = pa.array([f"PRJ{i:0{width}d}" for i in range(1, n_projects + 1)])
    project_table = pd.DataFrame(
        {
            "project_id": _take(project_ids, work.project),
            "person_id": _take(ids, work.person),
            "role": np.where(work.lead, "lead", "member"),
            "start": work.start[work.project].astype("datetime64[ns]"),
            "end": work.end[work.project].astype("datetime64[ns]"),
        }
    )
    project_table["role"] = project_table["role"].astype("str")

    year = int(str(reference_day)[:4]) - 1
    opt_in = people.staff["opt_in"].to_numpy()
    pairs_start = np.datetime64(f"{year}-09-01", "D")
    a, b = mentoring_pairs(
        tree,
        opt_in,
        people.start_day,
        n_pairs=max(1, round(_PAIR_SHARE * n_people)),
        programme_start=pairs_start,
        rng=programme_rng,
    )
    pairs = _programme_table(
        ("person_a", "person_b"), ids, a, b, f"RM-{year}", pairs_start, f"{year + 2}-08-31"
    )
    sponsor_start = np.datetime64(f"{year}-10-01", "D")
    sponsor, protege = sponsorships(
        tree,
        opt_in,
        people.start_day,
        n_sponsorships=max(1, round(_SPONSOR_SHARE * int(tree.is_leader.sum()))),
        programme_start=sponsor_start,
        rng=programme_rng,
    )
    sponsor_table = _programme_table(
        ("sponsor_id", "protege_id"),
        ids,
        sponsor,
        protege,
        f"SP-{year}",
        sponsor_start,
        f"{year + 2}-09-30",
    )

    staff = people.staff.sort_values("person_id", ignore_index=True)
    parameters = {
        "n_people": n_people,
        "seed": seed,
        "mean_degree": mean_degree,
        "within_department": within_department,
        "leader_share": leader_share,
        "opt_in_share": opt_in_share,
        "projects_per_person": projects_per_person,
        "cross_functional_share": cross_functional_share,
        "reference_date": str(reference_day),
        "n_departments": n_departments,
        "n_divisions": len(division_labels),
        "leader_level": tree.leader_level,
        "max_depth": int(tree.depth.max()),
        "n_collaboration_ties": len(collaboration),
        "n_projects": n_projects,
    }
    return SyntheticOrg(
        staff=staff,
        projects=project_table,
        pairs=pairs,
        sponsorships=sponsor_table,
        collaboration=collaboration,
        parameters=MappingProxyType(parameters),
    )


def _check_size(n_people: int, mean_degree: float) -> None:
    if int(n_people) != n_people or n_people < _MIN_PEOPLE:
        raise ParameterError(
            f"n_people must be a whole number of at least {_MIN_PEOPLE}, got {n_people}"
        )
    # Above half the possible degree, drawing distinct ties would mostly draw repeats.
    if not 0 <= mean_degree <= (n_people - 1) / 2:
        raise ParameterError(
            f"mean_degree must be between 0 and (n_people - 1) / 2 = {(n_people - 1) / 2:g}, "
            f"got {mean_degree}"
        )


def _check_range(name: str, value: float, upper: float) -> None:
    if not 0 <= value <= upper:
        raise ParameterError(f"{name} must be between 0 and {upper:g}, got {value}")


def _take(values: pa.Array, positions: NDArray[np.int64]) -> pd.Series:
    # pd.array keeps the Arrow buffers; pd.Series(arrow_array) would go through Python objects.
    return pd.Series(pd.array(values.take(pa.array(positions)), dtype="str"))


def _programme_table(
    columns: tuple[str, str],
    ids: pa.Array,
    first: NDArray[np.int64],
    second: NDArray[np.int64],
    programme: str,
    start: np.datetime64,
    end: str,
) -> pd.DataFrame:
    size = len(first)
    return pd.DataFrame(
        {
            columns[0]: _take(ids, first),
            columns[1]: _take(ids, second),
            "programme": pd.Series([programme] * size, dtype="str"),
            "start": np.full(size, start).astype("datetime64[ns]"),
            "end": np.full(size, np.datetime64(end, "D")).astype("datetime64[ns]"),
        }
    )
