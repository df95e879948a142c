"""Staff attributes for the people of a synthetic tree: ids, names, places, dates, choices."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from orgbridge.synthetic._tree import Tree
from orgbridge.synthetic._vocab import (
    DEPARTMENTS,
    EXECUTIVE_DEPARTMENT,
    EXECUTIVE_DIVISION,
    FEMALE_FIRST,
    GENDERS,
    LAST,
    LOCATIONS,
    MALE_FIRST,
    NEUTRAL_FIRST,
    REGIONS,
)

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

#: Chance that someone works where their manager works.
_SAME_PLACE_AS_MANAGER = 0.75
_NON_BINARY_SHARE = 0.02
_LEADER_FEMALE_SHARE = 0.32


@dataclass(frozen=True)
class People:
    """The staff table in tree order, with what later steps need as arrays."""

    staff: pd.DataFrame
    ids: pa.Array
    start_day: NDArray[np.datetime64]
    activity: FloatArray


def department_names(n_departments: int) -> tuple[list[str], list[str]]:
    """Department names and the division of each, reusing base names with a region suffix.

    Example
    -------
    >>> names, divisions = department_names(26)
    >>> names[0], names[24], divisions[24]
    ('Engineering', 'Engineering EMEA', 'Technology')
    """
    names, divisions = [], []
    for i in range(n_departments):
        base, division = DEPARTMENTS[i % len(DEPARTMENTS)]
        lap = i // len(DEPARTMENTS)
        suffix = REGIONS[lap] if lap < len(REGIONS) else f" {lap + 1}"
        names.append(base + suffix)
        divisions.append(division)
    return names, divisions


def person_ids(n_people: int, rng: np.random.Generator) -> pa.Array:
    """Ids ``E0001``... in an order unrelated to the tree, as a pyarrow string array.

    Example
    -------
    >>> person_ids(3, np.random.default_rng(0)).to_pylist()
    ['E3', 'E1', 'E2']
    """
    numbers = pa.array(rng.permutation(n_people) + 1).cast(pa.string())
    padded = pc.utf8_lpad(numbers, width=len(str(n_people)), padding="0")
    return pc.binary_join_element_wise("E", padded, "")


def build_people(
    tree: Tree,
    department_labels: list[str],
    division_labels: list[str],
    *,
    opt_in_share: float,
    reference_day: np.datetime64,
    rng: np.random.Generator,
) -> People:
    """Draw every staff attribute; see :func:`orgbridge.synthetic.generate_organisation`."""
    n = len(tree.manager)
    n_departments = len(department_labels)
    ids = person_ids(n, rng)
    # Group index: departments, then the executive office last.
    group = np.where(tree.department < 0, n_departments, tree.department)

    gender = _genders(group, tree.is_leader, rng)
    names = _names(gender, rng)
    location = _locations(tree, group, rng)

    tenure_years = rng.exponential(3.5, n) + 0.9 * (tree.level - 1) + rng.uniform(0, 1, n)
    tenure_days = np.minimum(tenure_years, 38.0) * 365.25
    start_day = reference_day - tenure_days.astype(np.int64).astype("timedelta64[D]")

    reports = np.bincount(tree.manager[tree.manager >= 0], minlength=n)
    activity = (1.0 + rng.pareto(2.2, n)) * (1.0 + 0.1 * reports)

    dept_text = pa.array([*department_labels, EXECUTIVE_DEPARTMENT]).take(pa.array(group))
    div_codes = np.where(tree.division < 0, len(division_labels), tree.division)
    div_text = pa.array([*division_labels, EXECUTIVE_DIVISION]).take(pa.array(div_codes))
    # Division heads belong to the executive office, and so to its division.
    div_text = pc.if_else(pa.array(tree.department < 0), EXECUTIVE_DIVISION, div_text)
    manager_id = ids.take(pa.array(tree.manager, mask=tree.manager < 0))

    staff = pd.DataFrame(
        {
            "person_id": _text(ids),
            "name": _text(names),
            "department": _text(dept_text),
            "division": _text(div_text),
            "level": tree.level,
            "manager_id": _text(manager_id),
            "location": _text(pa.array(LOCATIONS).take(pa.array(location))),
            "start_date": start_day.astype("datetime64[ns]"),
            "is_leader": tree.is_leader,
            "opt_in": rng.random(n) < opt_in_share,
            "capacity": 1 + (rng.random(n) < 0.3).astype(np.int64),
            "gender": _text(pa.array(GENDERS).take(pa.array(gender))),
        }
    )
    return People(staff, ids, start_day, activity)


def _genders(group: IntArray, is_leader: NDArray[np.bool_], rng: np.random.Generator) -> IntArray:
    """Gender codes into :data:`GENDERS`: department mixes differ and leadership skews male."""
    female_share = rng.beta(6.0, 6.0, int(group.max()) + 1)[group]
    female_share = np.where(is_leader, _LEADER_FEMALE_SHARE, female_share)
    u = rng.random(len(group))
    code = np.where(u < female_share, 0, 1)
    return np.where(rng.random(len(group)) < _NON_BINARY_SHARE, 2, code).astype(np.int64)


def _names(gender: IntArray, rng: np.random.Generator) -> pa.Array:
    """Plausible fictional names: a first name that fits the gender code and a surname."""
    pools = (FEMALE_FIRST, MALE_FIRST, NEUTRAL_FIRST)
    sizes = np.array([len(p) for p in pools])
    offsets = np.cumsum(sizes) - sizes
    # A few people of any gender carry a gender-neutral first name.
    pool = np.where(rng.random(len(gender)) < 0.05, 2, gender)
    first = offsets[pool] + (rng.random(len(gender)) * sizes[pool]).astype(np.int64)
    last = rng.integers(0, len(LAST), len(gender))
    first_text = pa.array([name for p in pools for name in p]).take(pa.array(first))
    last_text = pa.array(LAST).take(pa.array(last))
    return pc.binary_join_element_wise(first_text, last_text, " ")


def _locations(tree: Tree, group: IntArray, rng: np.random.Generator) -> IntArray:
    """Location codes: each department has a home site; teams mostly sit with their manager."""
    n_groups = int(group.max()) + 1
    n_locations = min(len(LOCATIONS), 3 + (n_groups - 1) // 4)
    home = rng.integers(0, n_locations, n_groups)
    home[-1] = 0  # the executive office is at headquarters
    mix = 0.4 * rng.dirichlet(np.full(n_locations, 0.5), n_groups)
    mix[np.arange(n_groups), home] += 0.6
    cum = np.cumsum(mix, axis=1)

    def draw(people: IntArray) -> IntArray:
        u = rng.random(len(people))[:, None]
        drawn: IntArray = np.minimum((cum[group[people]] < u).sum(axis=1), n_locations - 1)
        return drawn

    location = np.zeros(len(group), dtype=np.int64)
    for d in range(1, int(tree.depth.max()) + 1):
        at = np.flatnonzero(tree.depth == d)
        inherit = rng.random(len(at)) < _SAME_PLACE_AS_MANAGER
        location[at] = np.where(inherit, location[tree.manager[at]], draw(at))
    return location


def _text(values: pa.Array) -> pd.Series:
    """A pandas ``str`` column sharing the Arrow buffers (no Python object per value)."""
    return pd.Series(pd.array(values, dtype="str"))
