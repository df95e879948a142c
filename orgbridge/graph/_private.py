"""Owner-only file modes for a workspace folder and the files orgbridge keeps in it.

A workspace holds personal data (names, reporting lines, check-in comments) and the app's
secrets, so its folder is ``0o700`` and every file orgbridge writes in it ``0o600``, whatever
the process umask: modes are set by an explicit ``chmod`` after each file or folder is
created, and a folder found with looser modes is tightened (and the caller told which paths
were).

Only orgbridge's own entries are touched (:data:`OWN_ENTRIES`: the database and its
write-ahead log, the users file, and the app's ``.app-*`` secrets, caches and uploads,
recursively); anything else a user keeps in the folder is left alone, and the folder being
``0o700`` already keeps it from other accounts. A shared folder (sticky bit, as ``/tmp``) is
refused: it cannot be made private without breaking it for everyone else. Symbolic links are
never followed.

Example
-------
>>> import os, stat, tempfile
>>> with tempfile.TemporaryDirectory() as parent:
...     folder = os.path.join(parent, "ws")
...     _ = make_private(folder)
...     with open(os.path.join(folder, "users.json"), "w") as f:
...         _ = f.write("{}")
...     os.chmod(os.path.join(folder, "users.json"), 0o644)
...     fixed = make_private(folder)
...     [p.name for p in fixed], oct(stat.S_IMODE(os.stat(folder).st_mode))
(['users.json'], '0o700')
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from orgbridge.errors import StoreError

__all__ = [
    "FILE_MODE",
    "FOLDER_MODE",
    "OWN_ENTRIES",
    "is_own_entry",
    "make_private",
    "private_output",
    "tighten",
    "write_private",
]

#: Mode of every file orgbridge writes in a workspace.
FILE_MODE = 0o600
#: Mode of the workspace folder and every folder orgbridge makes in it.
FOLDER_MODE = 0o700
#: Names (or name prefixes, ending in ``*``) of the workspace entries orgbridge owns.
OWN_ENTRIES = ("orgbridge.duckdb*", "users.json", ".app-*", ".orgbridge*")


def is_own_entry(name: str) -> bool:
    """Whether a top-level entry of a workspace folder is one orgbridge writes.

    Example
    -------
    >>> is_own_entry("orgbridge.duckdb.wal"), is_own_entry(".app-cache"), is_own_entry("notes")
    (True, True, False)
    """
    for pattern in OWN_ENTRIES:
        if pattern.endswith("*") and name.startswith(pattern[:-1]):
            return True
        if name == pattern:
            return True
    return False


def make_private(folder: str | Path) -> list[Path]:
    """Create ``folder`` (and parents) if missing, make it ``0o700`` and its orgbridge files
    ``0o600`` (folders ``0o700``), recursively; return the paths whose modes were tightened.

    Raises
    ------
    StoreError
        The folder cannot be created or its modes changed, it is not a folder, or it is a
        shared folder (sticky bit set, as ``/tmp``).
    """
    path = Path(folder)
    try:
        path.mkdir(parents=True, exist_ok=True)
        info = path.lstat()
    except OSError as err:
        raise StoreError(f"cannot create the workspace folder {path}: {err}") from err
    if stat.S_ISLNK(info.st_mode):
        info = path.stat()
    if not stat.S_ISDIR(info.st_mode):
        raise StoreError(f"the workspace {path} is not a folder")
    if info.st_mode & stat.S_ISVTX:
        raise StoreError(
            f"{path} is a shared folder (sticky bit, as /tmp): it cannot be made private;"
            " give orgbridge a folder of its own, such as a new folder inside it"
        )
    fixed = _chmod(path, FOLDER_MODE)
    try:
        entries = sorted(os.scandir(path), key=lambda e: e.name)
    except OSError as err:
        raise StoreError(f"cannot list the workspace folder {path}: {err}") from err
    for entry in entries:
        if is_own_entry(entry.name):
            fixed += tighten(Path(entry.path))
    return fixed


def tighten(path: str | Path) -> list[Path]:
    """Make one orgbridge file ``0o600`` (a folder ``0o700``, recursively); return the paths
    whose modes changed. A missing path (a write-ahead log already merged away) is skipped.

    Raises
    ------
    StoreError
        A mode could not be changed.

    Example
    -------
    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     cache = os.path.join(folder, ".app-cache")
    ...     os.mkdir(cache)
    ...     os.chmod(cache, 0o755)
    ...     open(os.path.join(cache, "cache.db"), "w").close()
    ...     os.chmod(os.path.join(cache, "cache.db"), 0o644)
    ...     [p.name for p in tighten(cache)], tighten(cache)
    (['.app-cache', 'cache.db'], [])
    """
    path = Path(path)
    try:
        info = path.lstat()
    except FileNotFoundError:
        return []
    except OSError as err:
        raise StoreError(f"cannot read the mode of {path}: {err}") from err
    if stat.S_ISLNK(info.st_mode):
        return []  # never follow a link out of the workspace
    if stat.S_ISDIR(info.st_mode):
        fixed = _chmod(path, FOLDER_MODE, info)
        try:
            children = sorted(os.scandir(path), key=lambda e: e.name)
        except OSError as err:
            raise StoreError(f"cannot list {path}: {err}") from err
        for child in children:
            fixed += tighten(Path(child.path))
        return fixed
    return _chmod(path, FILE_MODE, info)


def _chmod(path: Path, mode: int, info: os.stat_result | None = None) -> list[Path]:
    try:
        current = stat.S_IMODE((info or path.stat()).st_mode)
        if current == mode:
            return []
        os.chmod(path, mode)
    except FileNotFoundError:
        return []
    except OSError as err:
        raise StoreError(f"cannot make {path} private (mode {mode:#o}): {err}") from err
    return [path]


def write_private(path: str | Path, content: str | bytes) -> Path:
    """Write ``content`` to ``path`` readable by its owner only (``0o600``), whatever the
    umask: reports and exports of personal data are never world-readable, not even for a
    moment. An existing file is replaced (its mode tightened first); a link is not followed.

    Example
    -------
    >>> import os, stat, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = write_private(os.path.join(folder, "report.html"), "<p>hi</p>")
    ...     oct(stat.S_IMODE(os.stat(path).st_mode)), path.read_text()
    ('0o600', '<p>hi</p>')
    """
    target = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(target, flags, FILE_MODE)
    except OSError as err:
        raise StoreError(f"cannot write {target}: {err}") from err
    with os.fdopen(descriptor, "wb") as handle:
        os.fchmod(descriptor, FILE_MODE)
        handle.write(data)
    return target


def private_output(path: str | Path) -> Path:
    """Make a file a library wrote (GraphML, GEXF, CSV exports) readable by its owner only.

    Example
    -------
    >>> import os, stat, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "org.graphml")
    ...     open(path, "w").close()
    ...     oct(stat.S_IMODE(os.stat(private_output(path)).st_mode))
    '0o600'
    """
    target = Path(path)
    try:
        os.chmod(target, FILE_MODE, follow_symlinks=False)
    except (NotImplementedError, OSError) as err:
        raise StoreError(f"cannot make {target} private: {err}") from err
    return target
