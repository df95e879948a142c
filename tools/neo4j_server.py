#!/usr/bin/env python3
"""Install, start and stop a real local Neo4j 5.26 Community server for orgbridge.

The jars come from Maven Central through neo4j/pom.xml; everything the server
owns lives under <project>/.neo4j/ (git-ignored):

    .neo4j/home/lib/        jars (maven-dependency-plugin copy-dependencies)
    .neo4j/home/server-*.jsa  class-data archive of a server start, made by install (the
                            server JVM maps its classes instead of loading them: starts
                            about 2 s sooner); named after the java and the jars it fits
    .neo4j/conf/neo4j.conf  written on every start
    .neo4j/data|logs|run|plugins|import
    .neo4j/credentials.json URI, user, password (mode 0600)

Usage (with the project venv python):

    .venv/bin/python tools/neo4j_server.py install|start|stop|status|credentials

Environment: ORGBRIDGE_NEO4J_PORT (default 7687), ORGBRIDGE_NEO4J_PASSWORD
(default orgbridge-dev-pw; only takes effect before the first start of a fresh
data directory), ORGBRIDGE_NEO4J_HEAP_MAX (default 2g), JAVA (java binary).

Standard library plus the neo4j Python driver (only needed for readiness).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POM = ROOT / "neo4j" / "pom.xml"
BASE = ROOT / ".neo4j"
HOME = BASE / "home"
LIB = HOME / "lib"
INSTALL_MARKER = HOME / "install.json"
CONF_DIR = BASE / "conf"
CONF_FILE = CONF_DIR / "neo4j.conf"
DATA = BASE / "data"
LOGS = BASE / "logs"
RUN = BASE / "run"
PLUGINS = BASE / "plugins"
IMPORT = BASE / "import"
PID_FILE = RUN / "neo4j.pid"
CONSOLE_LOG = LOGS / "console.log"
CREDENTIALS = BASE / "credentials.json"

MAIN_CLASS = "org.neo4j.server.CommunityEntryPoint"
USER = "neo4j"
DEFAULT_PASSWORD = "orgbridge-dev-pw"
READY_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 60.0

JVM_FLAGS = [
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dlog4j2.disable.jmx=true",
    "-Dfile.encoding=UTF-8",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
]


class Neo4jServerError(RuntimeError):
    pass


# --------------------------------------------------------------------------- settings


def port() -> int:
    return int(os.environ.get("ORGBRIDGE_NEO4J_PORT", "7687"))


def password() -> str:
    return os.environ.get("ORGBRIDGE_NEO4J_PASSWORD", DEFAULT_PASSWORD)


def uri() -> str:
    return f"bolt://127.0.0.1:{port()}"


def java() -> str:
    return os.environ.get("JAVA") or shutil.which("java") or "java"


def neo4j_version() -> str:
    m = re.search(r"<neo4j\.version>([^<]+)</neo4j\.version>", POM.read_text())
    if not m:
        raise Neo4jServerError(f"no <neo4j.version> in {POM}")
    return m.group(1).strip()


def log(msg: str) -> None:
    print(f"[neo4j_server] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- install


def _pom_digest() -> str:
    return hashlib.sha256(POM.read_bytes()).hexdigest()


def is_installed() -> bool:
    """Complete = marker written after a successful copy, same pom, all jars still there."""
    try:
        marker = json.loads(INSTALL_MARKER.read_text())
    except (OSError, ValueError):
        return False
    if marker.get("pom_sha256") != _pom_digest():
        return False
    jars = marker.get("jars") or []
    return bool(jars) and all((LIB / j).is_file() for j in jars)


def install(force: bool = False) -> None:
    if not force and is_installed():
        log(f"already installed: Neo4j {neo4j_version()} in {LIB}")
        make_class_archive()
        return
    mvn = shutil.which("mvn")
    if not mvn:
        raise Neo4jServerError("mvn not found on PATH")
    HOME.mkdir(parents=True, exist_ok=True)
    tmp = HOME / "lib.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    cmd = [
        mvn,
        "-B",
        "-q",
        "-f",
        str(POM),
        "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={tmp}",
        "-Dmdep.prependGroupId=true",
    ]
    log(f"resolving Neo4j {neo4j_version()} from Maven Central: {' '.join(cmd)}")
    t0 = time.monotonic()
    proc = subprocess.run(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    if proc.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        raise Neo4jServerError(f"maven failed (exit {proc.returncode}):\n{proc.stdout[-4000:]}")
    jars = sorted(p.name for p in tmp.glob("*.jar"))
    if not any(j.startswith(f"org.neo4j.neo4j-{neo4j_version()}") for j in jars):
        raise Neo4jServerError(f"maven produced no org.neo4j:neo4j jar in {tmp}")
    INSTALL_MARKER.unlink(missing_ok=True)
    shutil.rmtree(LIB, ignore_errors=True)
    tmp.rename(LIB)
    INSTALL_MARKER.write_text(
        json.dumps(
            {"version": neo4j_version(), "pom_sha256": _pom_digest(), "jars": jars}, indent=1
        )
    )
    log(f"installed {len(jars)} jars in {time.monotonic() - t0:.1f}s")
    make_class_archive()


# --------------------------------------------------------------------------- class data sharing


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def class_archive() -> Path:
    """Where the class-data archive for this java and these jars is (it may not exist yet).

    A dynamic CDS archive only fits the JVM build and the exact jars it was made with; the
    name carries a digest of both, so another java or a re-install looks for another file
    (and a JVM that still finds a stale one ignores it)."""
    binary = Path(shutil.which(java()) or java()).resolve()
    digest = hashlib.sha256()
    for part in (binary, *sorted(LIB.glob("*.jar"))):
        with contextlib.suppress(OSError):
            info = part.stat()
            digest.update(f"{part}:{info.st_size}:{info.st_mtime_ns}\n".encode())
    return HOME / f"server-{digest.hexdigest()[:16]}.jsa"


def class_archive_flags() -> list[str]:
    """``-XX:SharedArchiveFile=...`` when the archive for this java and these jars exists."""
    archive = class_archive()
    return [f"-XX:SharedArchiveFile={archive}"] if archive.is_file() else []


def make_class_archive(force: bool = False) -> Path | None:
    """Make the server's class-data archive: start a throwaway server on a free port with
    ``-XX:ArchiveClassesAtExit``, run a query, stop it (the JVM writes the archive as it
    exits). Never fatal: without the archive the server only starts slower."""
    archive = class_archive()
    if archive.is_file() and not force:
        return archive
    for stale in HOME.glob("server-*.jsa"):
        stale.unlink(missing_ok=True)
    import tempfile

    partial = archive.with_suffix(".tmp")
    partial.unlink(missing_ok=True)
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="orgbridge-cds-") as folder:
        server = LocalServer(Path(folder), free_port(), heap="512m", pagecache="64m")
        server.class_archive = False
        server.extra_flags = [f"-XX:ArchiveClassesAtExit={partial}"]
        try:
            server.lay_out()
            server.start()
            from neo4j import GraphDatabase

            with GraphDatabase.driver(server.uri, auth=None) as driver:
                driver.execute_query(
                    "CREATE CONSTRAINT p IF NOT EXISTS FOR (p:P) REQUIRE p.id IS UNIQUE",
                    database_="neo4j",
                )
                driver.execute_query(
                    "UNWIND range(1, 100) AS i CREATE (:P {id: i})-[:R]->(:Q)",
                    database_="neo4j",
                )
                driver.execute_query("MATCH (p:P)-[r]->(q) RETURN count(*)", database_="neo4j")
        except Exception as err:  # the archive is an optimisation: say why, go on
            log(f"no class-data archive made ({type(err).__name__}: {err})")
            server.stop()
            partial.unlink(missing_ok=True)
            return None
        server.stop()
    if not partial.is_file():
        log("no class-data archive made (the JVM wrote none)")
        return None
    partial.rename(archive)
    log(f"class-data archive {archive.name} made in {time.monotonic() - t0:.1f}s")
    return archive


# --------------------------------------------------------------------------- process


def _read_pid() -> int | None:
    try:
        return int(PID_FILE.read_text().strip())
    except (OSError, ValueError):
        return None


def _is_our_server(pid: int) -> bool:
    """Alive, not a zombie, and its command line is our server (pid reuse guard)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[-1].split()[0]
    if state in ("Z", "X"):
        return False
    args = [a.decode(errors="replace") for a in cmdline]
    return MAIN_CLASS in args and f"--home-dir={HOME}" in args


def running_pid() -> int | None:
    pid = _read_pid()
    return pid if pid is not None and _is_our_server(pid) else None


def write_conf() -> None:
    for d in (CONF_DIR, DATA, LOGS, RUN, PLUGINS, IMPORT):
        d.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Written by tools/neo4j_server.py on every start; edits are overwritten.",
        "server.default_listen_address=127.0.0.1",
        "server.default_advertised_address=127.0.0.1",
        "server.bolt.enabled=true",
        f"server.bolt.listen_address=127.0.0.1:{port()}",
        f"server.bolt.advertised_address=127.0.0.1:{port()}",
        "server.http.enabled=false",
        "server.https.enabled=false",
        "dbms.usage_report.enabled=false",
        f"server.directories.data={DATA}",
        f"server.directories.logs={LOGS}",
        f"server.directories.run={RUN}",
        f"server.directories.plugins={PLUGINS}",
        f"server.directories.import={IMPORT}",
        "server.memory.pagecache.size=512m",
        "dbms.security.auth_enabled=true",
        "# Netty waits a 5 s quiet period per event loop group on shutdown (~10 s stop); skip it.",
        "internal.dbms.bolt.netty_server_shutdown_quiet_period=0",
        "",
    ]
    CONF_FILE.write_text("\n".join(lines))


def _set_initial_password() -> None:
    """neo4j-admin dbms set-initial-password, only before the first start.

    It writes <data>/dbms/auth.ini, which the system database consumes when it is
    created; afterwards the password can only be changed with Cypher.
    """
    if (DATA / "databases" / "system").exists():
        return
    env = dict(os.environ, NEO4J_HOME=str(HOME), NEO4J_CONF=str(CONF_DIR))
    cmd = [
        java(),
        "-cp",
        f"{LIB}/*",
        f"-Dbasedir={HOME}",
        "org.neo4j.server.startup.Neo4jAdminCommand",
        "dbms",
        "set-initial-password",
        password(),
    ]
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0 or not (DATA / "dbms" / "auth.ini").is_file():
        raise Neo4jServerError(
            f"set-initial-password failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}"
        )
    log("initial password set")


def _tail(path: Path, n: int = 60) -> str:
    """Last n lines of the latest run (after the last '==== ... starting' banner)."""
    try:
        text = path.read_text(errors="replace")
        text = text[text.rfind("\n==== ") + 1 :] if "\n==== " in text else text
        return "\n".join(text.splitlines()[-n:])
    except OSError:
        return "(no log)"


def write_credentials() -> dict:
    creds = {"uri": uri(), "user": USER, "password": password(), "database": "neo4j"}
    BASE.mkdir(parents=True, exist_ok=True)
    tmp = CREDENTIALS.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(creds, f, indent=1)
        f.write("\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, CREDENTIALS)
    return creds


def ping(timeout: float = 1.0) -> None:
    """Raises unless the server answers RETURN 1 on database neo4j."""
    from neo4j import GraphDatabase

    with GraphDatabase.driver(
        uri(), auth=(USER, password()), connection_timeout=timeout, max_connection_lifetime=30
    ) as driver:
        driver.verify_connectivity()
        records, _, _ = driver.execute_query("RETURN 1 AS one", database_="neo4j")
        if records[0]["one"] != 1:
            raise Neo4jServerError("unexpected RETURN 1 result")


def wait_ready(pid: int, timeout: float = READY_TIMEOUT_S) -> float:
    from neo4j.exceptions import AuthError, DriverError, Neo4jError

    t0 = time.monotonic()
    deadline = t0 + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if not _is_our_server(pid):
            raise Neo4jServerError(
                f"Neo4j process {pid} died during startup; tail of {CONSOLE_LOG}:\n"
                f"{_tail(CONSOLE_LOG)}"
            )
        try:
            ping()
            return time.monotonic() - t0
        except AuthError as e:
            raise Neo4jServerError(
                f"Neo4j is up but rejects the password ({e}). The password is only set before the "
                f"first start; set ORGBRIDGE_NEO4J_PASSWORD to the original one or delete {DATA}."
            ) from e
        except (DriverError, Neo4jError, OSError) as e:
            last = e
        time.sleep(0.5)
    raise Neo4jServerError(
        f"Neo4j not ready after {timeout:.0f}s (last error: {last!r}); tail of {CONSOLE_LOG}:\n"
        f"{_tail(CONSOLE_LOG)}"
    )


def _check_port_free() -> None:
    """Refuse to start when something else already listens on our Bolt port: readiness would
    otherwise be judged on that other server."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        if probe.connect_ex(("127.0.0.1", port())) == 0:
            raise Neo4jServerError(
                f"port {port()} on 127.0.0.1 is already in use by a process this project did "
                f"not start (no pid in {PID_FILE}); stop it, or set ORGBRIDGE_NEO4J_PORT to a "
                "free port"
            )


def start() -> None:
    install()
    pid = running_pid()
    if pid is not None:
        took = wait_ready(pid)
        write_credentials()
        log(f"already running (pid {pid}), ready at {uri()} (checked in {took:.1f}s)")
        return
    PID_FILE.unlink(missing_ok=True)
    _check_port_free()
    write_conf()
    _set_initial_password()
    heap_min = os.environ.get("ORGBRIDGE_NEO4J_HEAP_MIN", "512m")
    heap_max = os.environ.get("ORGBRIDGE_NEO4J_HEAP_MAX", "2g")
    cmd = [
        java(),
        f"-Xms{heap_min}",
        f"-Xmx{heap_max}",
        *JVM_FLAGS,
        *class_archive_flags(),
        "-cp",
        # the jars first, as the class-data archive was made (it fits a classpath it prefixes)
        f"{LIB}/*:{PLUGINS}/*",
        MAIN_CLASS,
        f"--home-dir={HOME}",
        f"--config-dir={CONF_DIR}",
        "--console-mode",
    ]
    env = dict(os.environ, NEO4J_HOME=str(HOME), NEO4J_CONF=str(CONF_DIR))
    t0 = time.monotonic()
    with open(CONSOLE_LOG, "ab") as out:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        out.write(f"\n==== {stamp} starting: {' '.join(cmd)}\n".encode())
        out.flush()
        proc = subprocess.Popen(
            cmd,
            cwd=BASE,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    PID_FILE.write_text(f"{proc.pid}\n")
    log(f"started pid {proc.pid}, waiting for {uri()} ...")
    try:
        wait_ready(proc.pid)
    except Exception:
        if proc.poll() is None:
            _terminate(proc.pid)
        PID_FILE.unlink(missing_ok=True)
        raise
    write_credentials()
    log(f"ready at {uri()} in {time.monotonic() - t0:.1f}s (pid {proc.pid})")


def _reap(pid: int, block: bool = False) -> None:
    """If the server is our own child (started in this process), collect the zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0 if block else os.WNOHANG)


def _wait_gone(pid: int, timeout: float = 5.0) -> None:
    """After exit: reap it if it is our child, else give its parent a moment to reap it."""
    _reap(pid, block=True)
    deadline = time.monotonic() + timeout
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def _terminate(pid: int, timeout: float = STOP_TIMEOUT_S) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _reap(pid)
        if not _is_our_server(pid):
            _wait_gone(pid)
            return
        time.sleep(0.2)
    log(f"pid {pid} still alive after {timeout:.0f}s, sending SIGKILL")
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    for _ in range(50):
        _reap(pid)
        if not _is_our_server(pid):
            _wait_gone(pid)
            return
        time.sleep(0.1)


def stop() -> None:
    pid = running_pid()
    if pid is None:
        PID_FILE.unlink(missing_ok=True)
        log("not running")
        return
    t0 = time.monotonic()
    _terminate(pid)
    PID_FILE.unlink(missing_ok=True)
    log(f"stopped pid {pid} in {time.monotonic() - t0:.1f}s")


class LocalServer:
    """One more Neo4j on this machine, beside the development server: its own home (the
    installed jars, linked), configuration, data and Bolt port; authentication off, Bolt on
    127.0.0.1 only, no HTTP. The offline-import tests and benchmark import into it while it
    is stopped, then start it.

        server = LocalServer(Path("/tmp/second"), port=7697)
        server.lay_out()
        ...  # neo4j-admin database import full, with server.home
        server.start(); ...; server.stop()
    """

    def __init__(self, base: Path, port: int, *, heap: str = "1g", pagecache: str = "256m"):
        self.base = base
        self.port = port
        self.heap = heap
        self.pagecache = pagecache
        self.home = base / "home"
        self.conf = base / "conf"
        self.data = base / "data"
        self.logs = base / "logs"
        self.pid: int | None = None
        #: Map the classes from the class-data archive when there is one (make_class_archive).
        self.class_archive = True
        #: More JVM options, after the usual ones.
        self.extra_flags: list[str] = []

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.port}"

    def lay_out(self) -> None:
        """The home (lib linked to the installed jars), conf/neo4j.conf and empty folders."""
        if not is_installed():
            raise Neo4jServerError("Neo4j is not installed: run `make neo4j-install`")
        for folder in (self.home, self.conf, self.data, self.logs, self.base / "run"):
            folder.mkdir(parents=True, exist_ok=True)
        lib = self.home / "lib"
        if not lib.exists():
            lib.symlink_to(LIB, target_is_directory=True)
        lines = [
            "server.default_listen_address=127.0.0.1",
            "server.bolt.enabled=true",
            f"server.bolt.listen_address=127.0.0.1:{self.port}",
            f"server.bolt.advertised_address=127.0.0.1:{self.port}",
            "server.http.enabled=false",
            "server.https.enabled=false",
            "dbms.usage_report.enabled=false",
            "dbms.security.auth_enabled=false",
            f"server.directories.data={self.data}",
            f"server.directories.logs={self.logs}",
            f"server.directories.run={self.base / 'run'}",
            f"server.directories.plugins={self.base / 'plugins'}",
            f"server.directories.import={self.base / 'import'}",
            f"server.memory.pagecache.size={self.pagecache}",
            "internal.dbms.bolt.netty_server_shutdown_quiet_period=0",
            "",
        ]
        (self.conf / "neo4j.conf").write_text("\n".join(lines))

    def start(self, timeout: float = READY_TIMEOUT_S) -> float:
        """Start the server and wait until it answers; the seconds that took."""
        import socket

        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                raise Neo4jServerError(f"port {self.port} on 127.0.0.1 is already in use")
        cmd = [
            java(),
            "-Xms256m",
            f"-Xmx{self.heap}",
            *JVM_FLAGS,
            *(class_archive_flags() if self.class_archive else []),
            *self.extra_flags,
            "-cp",
            f"{LIB}/*",  # what home/lib links to: the class-data archive names these paths
            MAIN_CLASS,
            f"--home-dir={self.home}",
            f"--config-dir={self.conf}",
            "--console-mode",
        ]
        env = dict(os.environ, NEO4J_HOME=str(self.home), NEO4J_CONF=str(self.conf))
        t0 = time.monotonic()
        with open(self.logs / "console.log", "ab") as out:
            proc = subprocess.Popen(
                cmd,
                cwd=self.base,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid = proc.pid
        from neo4j import GraphDatabase
        from neo4j.exceptions import DriverError, Neo4jError

        deadline = t0 + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self.pid = None
                raise Neo4jServerError(
                    f"Neo4j in {self.base} exited during startup; tail of its log:\n"
                    f"{_tail(self.logs / 'console.log')}"
                )
            try:
                with GraphDatabase.driver(
                    self.uri, auth=None, connection_timeout=1, max_transaction_retry_time=0
                ) as driver:
                    driver.verify_connectivity()  # fails at once, where a query would retry
                    driver.execute_query("RETURN 1", database_="neo4j")
                return time.monotonic() - t0
            except (DriverError, Neo4jError, OSError):
                time.sleep(0.25)
        self.stop()
        raise Neo4jServerError(f"Neo4j in {self.base} not ready after {timeout:.0f}s")

    def stop(self) -> None:
        """SIGTERM the server this object started and wait for it (SIGKILL after a minute)."""
        if self.pid is None:
            return
        pid, self.pid = self.pid, None
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    return
            if not Path(f"/proc/{pid}").exists():
                return
            time.sleep(0.1)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        _reap(pid, block=True)


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def status() -> int:
    pid = running_pid()
    info: dict = {
        "installed": is_installed(),
        "version": neo4j_version(),
        "running": pid is not None,
        "pid": pid,
        "uri": uri(),
        "ready": False,
    }
    if pid is not None:
        info["rss_mib"] = round((rss_kib(pid) or 0) / 1024, 1)
        try:
            ping(timeout=2.0)
            info["ready"] = True
        except Exception as e:  # status reports, never raises
            info["error"] = f"{type(e).__name__}: {e}"
    print(json.dumps(info, indent=1))
    return 0 if info["ready"] else 3


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p_inst = sub.add_parser("install", help="resolve the jars from Maven Central (idempotent)")
    p_inst.add_argument("--force", action="store_true")
    sub.add_parser("start", help="start in the background and wait until ready")
    sub.add_parser("stop", help="SIGTERM the recorded pid, SIGKILL after a timeout")
    sub.add_parser("status", help="print JSON status; exit 0 when ready, 3 otherwise")
    sub.add_parser("credentials", help="print (and write) .neo4j/credentials.json")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "install":
            install(force=args.force)
        elif args.cmd == "start":
            start()
        elif args.cmd == "stop":
            stop()
        elif args.cmd == "status":
            return status()
        elif args.cmd == "credentials":
            print(json.dumps(write_credentials(), indent=1))
    except Neo4jServerError as e:
        log(f"error: {e}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
