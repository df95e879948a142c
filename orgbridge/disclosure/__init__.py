"""The disclosure policy: what each role may see, decided in one place.

Every output path (the app's services, the CLI's JSON and HTML report, every export) goes
through this package:

- :func:`neutralise_frame` / :func:`neutralise_cell`: no exported cell can start a formula.
"""

from orgbridge.graph._cells import FORMULA_PREFIXES, neutralise_cell, neutralise_frame

__all__ = ["FORMULA_PREFIXES", "neutralise_cell", "neutralise_frame"]
