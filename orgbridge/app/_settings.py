"""The app's settings an admin changes at run time, kept in a small JSON file (owner-only).

Example
-------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "settings.json"
>>> load_settings(path)
{'special_grouping': False}
>>> save_settings(path, {"special_grouping": True}); load_settings(path)
{'special_grouping': True}
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

__all__ = ["DEFAULTS", "SETTINGS_FILE", "load_settings", "save_settings"]

SETTINGS_FILE = "settings.json"
DEFAULTS: dict[str, Any] = {"special_grouping": False}


def load_settings(path: str | Path) -> dict[str, Any]:
    """The settings in ``path`` over the defaults (only known keys of the right type)."""
    settings = dict(DEFAULTS)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return settings
    if isinstance(data, dict):
        for key, default in DEFAULTS.items():
            if isinstance(data.get(key), type(default)):
                settings[key] = data[key]
    return settings


def save_settings(path: str | Path, changes: dict[str, Any]) -> None:
    """Write ``changes`` over the current settings, readable by the owner only."""
    path = Path(path)
    settings = {**load_settings(path), **{k: v for k, v in changes.items() if k in DEFAULTS}}
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(settings, handle)
    os.replace(temporary, path)
