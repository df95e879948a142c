"""A local Neo4j installation seen from outside: its folders, its admin tool, whether it runs.

The offline import (:mod:`orgbridge.graph._neo4j_import`) writes store files directly, so it
needs the installation rather than a connection: where its configuration and data are, how
to run ``neo4j-admin``, and whether its server is up (an import needs it stopped).

An installation is either a distribution (``<home>/bin/neo4j-admin``) or the jars alone
(``<home>/lib/*.jar``, as ``make neo4j-install`` resolves them from Maven Central), run with
``java``. The data folder is ``server.directories.data`` of ``<conf>/neo4j.conf`` (relative
to the home), ``<home>/data`` by default.

Example
-------
>>> import tempfile
>>> root = Path(tempfile.mkdtemp()).resolve()
>>> (root / "lib").mkdir(); (root / "lib" / "neo4j-kernel.jar").touch()
>>> home = Neo4jHome.locate(root)
>>> home.is_running(), home.database_dir("neo4j") == root / "data" / "databases" / "neo4j"
(False, True)
>>> shutil.rmtree(root)
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from orgbridge.errors import StoreError

__all__ = ["Neo4jHome"]

#: The entry point of ``neo4j-admin`` inside the jars (what ``bin/neo4j-admin`` ends up in).
ADMIN_MAIN = "org.neo4j.cli.AdminTool"


@dataclass(frozen=True)
class Neo4jHome:
    """A Neo4j installation: its home, configuration folder and data folder."""

    home: Path
    conf: Path
    data: Path

    @classmethod
    def locate(cls, home: str | Path, conf: str | Path | None = None) -> Neo4jHome:
        """The installation at ``home`` (configuration in ``conf``, ``<home>/conf`` by
        default).

        Raises
        ------
        StoreError
            ``home`` holds neither ``bin/neo4j-admin`` nor ``lib/*.jar``.
        """
        root = Path(home).expanduser().resolve()
        if not (root / "bin" / "neo4j-admin").is_file() and not any(root.glob("lib/*.jar")):
            raise StoreError(
                f"{root} is not a Neo4j installation (no bin/neo4j-admin and no lib/*.jar); "
                "give the folder Neo4j is installed in"
            )
        conf_dir = Path(conf).expanduser().resolve() if conf else root / "conf"
        settings = read_conf(conf_dir / "neo4j.conf")
        data = Path(settings.get("server.directories.data", "data"))
        return cls(root, conf_dir, data if data.is_absolute() else root / data)

    def database_dir(self, database: str) -> Path:
        """Where the store files of ``database`` live."""
        return self.data / "databases" / database

    def has_database(self, database: str) -> bool:
        """True when ``database`` has store files (possibly empty of people)."""
        folder = self.database_dir(database)
        return folder.is_dir() and any(folder.iterdir())

    def is_running(self) -> bool:
        """True when a Neo4j process holds this installation's store lock (the server, or
        another admin command)."""
        locks = [self.data / "databases" / "store_lock"]
        locks += sorted(self.data.glob("databases/*/database_lock"))
        return any(_locked(p) for p in locks)

    def admin_command(self, java_options: Sequence[str] = ()) -> list[str]:
        """The command line that runs ``neo4j-admin`` for this installation, its JVM given
        ``java_options`` (a distribution's script takes them from :meth:`environment`)."""
        if self._script() is not None:
            return [str(self._script())]
        java = os.environ.get("JAVA") or _java_home_binary() or shutil.which("java")
        if not java:
            raise StoreError(
                "no java found to run neo4j-admin (set JAVA or JAVA_HOME, or put java on PATH)"
            )
        classpath = f"{self.home / 'lib'}/*"
        return [java, *java_options, "-cp", classpath, f"-Dbasedir={self.home}", ADMIN_MAIN]

    def environment(self, java_options: Sequence[str] = ()) -> dict[str, str]:
        """The environment ``neo4j-admin`` runs with (this home and configuration).

        A distribution's script reads its JVM options from ``JAVA_OPTS``, which replaces
        ``HEAP_SIZE``: ``java_options`` are added there only when the caller's environment
        sets neither, so a heap chosen by the operator is kept.
        """
        environment = dict(os.environ, NEO4J_HOME=str(self.home), NEO4J_CONF=str(self.conf))
        chosen = environment.get("JAVA_OPTS") or environment.get("HEAP_SIZE")
        if java_options and self._script() is not None and not chosen:
            environment["JAVA_OPTS"] = " ".join(java_options)
        return environment

    def _script(self) -> Path | None:
        script = self.home / "bin" / "neo4j-admin"
        return script if script.is_file() and os.access(script, os.X_OK) else None


def read_conf(path: Path) -> dict[str, str]:
    """The ``key=value`` settings of a ``neo4j.conf`` (empty when there is none).

    Example
    -------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     conf = Path(folder) / "neo4j.conf"
    ...     _ = conf.write_text("# data\\nserver.directories.data = /srv/data\\n")
    ...     read_conf(conf)
    {'server.directories.data': '/srv/data'}
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return {}
    except OSError as err:
        raise StoreError(f"cannot read the Neo4j configuration {path}: {err}") from err
    settings = {}
    for line in lines:
        text = line.strip()
        if text and not text.startswith("#") and "=" in text:
            key, value = text.split("=", 1)
            settings[key.strip()] = value.strip()
    return settings


def _locked(path: Path) -> bool:
    """True when another process holds a lock on ``path`` (Neo4j locks its store files with
    ``FileChannel.tryLock``, a POSIX record lock, so ``lockf`` sees it)."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    except OSError as err:
        raise StoreError(f"cannot check whether Neo4j is running ({path}: {err})") from err
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def _java_home_binary() -> str | None:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    return None
