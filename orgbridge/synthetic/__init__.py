"""Seeded synthetic organisations, from 50 to a million people, as the files a user would bring.

Example
-------
>>> from orgbridge.synthetic import generate_organisation
>>> org = generate_organisation(200, seed=7)
>>> sorted(org.staff["department"].unique())[:2]
['Engineering', 'Executive Office']
"""

from orgbridge.synthetic._generator import SyntheticOrg, generate_organisation
from orgbridge.synthetic._programmes import SyntheticProgramme, programme_activity
from orgbridge.synthetic._write import (
    FILES,
    PROGRAMME_FILES,
    write_organisation,
    write_programme,
)

__all__ = [
    "FILES",
    "PROGRAMME_FILES",
    "SyntheticOrg",
    "SyntheticProgramme",
    "generate_organisation",
    "programme_activity",
    "write_organisation",
    "write_programme",
]
