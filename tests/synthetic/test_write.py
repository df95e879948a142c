"""write_organisation: the CSV files a user would bring, byte-identical for the same seed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from orgbridge.synthetic import FILES, SyntheticOrg, generate_organisation, write_organisation


@pytest.fixture(scope="module")
def org() -> SyntheticOrg:
    return generate_organisation(400, seed=21, mean_degree=8)


def test_writes_every_file_with_plain_headers(org: SyntheticOrg, tmp_path: Path) -> None:
    paths = write_organisation(org, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        [*FILES.values(), "README.txt"]
    )
    for table, name in FILES.items():
        header = (tmp_path / "out" / name).read_text().splitlines()[0]
        assert header == ",".join(getattr(org, table).columns)
    readme = paths["readme"].read_text()
    assert "seed: 21" in readme and "mean_degree: 8" in readme
    assert f"level>={org.parameters['leader_level']}" in readme
    assert not list((tmp_path / "out").glob("*.tmp"))


def test_files_read_back_to_the_same_values(org: SyntheticOrg, tmp_path: Path) -> None:
    paths = write_organisation(org, tmp_path)
    staff = pd.read_csv(paths["staff"], parse_dates=["start_date"])
    assert len(staff) == len(org.staff)
    assert staff["person_id"].tolist() == org.staff["person_id"].tolist()
    assert staff["is_leader"].tolist() == org.staff["is_leader"].tolist()
    assert staff["manager_id"].isna().sum() == 1
    assert (staff["start_date"] == org.staff["start_date"]).all()
    assert staff["level"].tolist() == org.staff["level"].tolist()
    ties = pd.read_csv(paths["collaboration"])
    pd.testing.assert_series_equal(ties["weight"], org.collaboration["weight"])
    projects = pd.read_csv(paths["projects"], parse_dates=["start", "end"])
    assert projects["end"].isna().sum() == org.projects["end"].isna().sum() > 0
    assert len(pd.read_csv(paths["pairs"])) == len(org.pairs)
    assert len(pd.read_csv(paths["sponsorships"])) == len(org.sponsorships)


def test_same_seed_gives_identical_files(tmp_path: Path) -> None:
    first = write_organisation(generate_organisation(300, seed=5), tmp_path / "a")
    second = write_organisation(generate_organisation(300, seed=5), tmp_path / "b")
    third = write_organisation(generate_organisation(300, seed=6), tmp_path / "c")
    for key in first:
        assert first[key].read_bytes() == second[key].read_bytes(), key
    assert first["staff"].read_bytes() != third["staff"].read_bytes()
    assert first["collaboration"].read_bytes() != third["collaboration"].read_bytes()


def test_values_needing_quotes_are_quoted(org: SyntheticOrg, tmp_path: Path) -> None:
    staff = org.staff.copy()
    staff.loc[0, "name"] = 'Smith, "Jo"'
    odd = SyntheticOrg(
        staff, org.projects, org.pairs, org.sponsorships, org.collaboration, org.parameters
    )
    paths = write_organisation(odd, tmp_path)
    assert pd.read_csv(paths["staff"])["name"].iloc[0] == 'Smith, "Jo"'
