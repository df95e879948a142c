#!/usr/bin/env python3
"""Start and stop a private Redis (Debian's ``redis-server``) for orgbridge's job queue.

Everything the server owns lives under <project>/.redis/ (git-ignored): its config, pid
file and log. It listens on 127.0.0.1 only, keeps nothing on disk (no RDB, no AOF: queued
jobs and results are short-lived) and runs in the background; ``stop`` sends SIGTERM to the
recorded pid (never by name) and waits.

Usage:  python3 tools/redis_server.py start|stop|status|url

Environment: ORGBRIDGE_REDIS_PORT (default 6379), REDIS_SERVER (the binary).
Standard library only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / ".redis"
CONF = BASE / "redis.conf"
PID_FILE = BASE / "redis.pid"
LOG = BASE / "redis.log"
READY_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 20.0


class RedisServerError(RuntimeError):
    pass


def port() -> int:
    return int(os.environ.get("ORGBRIDGE_REDIS_PORT", "6379"))


def url() -> str:
    return f"redis://127.0.0.1:{port()}/0"


def log(message: str) -> None:
    print(f"[redis_server] {message}", file=sys.stderr, flush=True)


def binary() -> str:
    found = os.environ.get("REDIS_SERVER") or shutil.which("redis-server")
    if not found:
        raise RedisServerError(
            "redis-server is not installed: `make system-deps` (Debian: apt-get install "
            "redis-server)"
        )
    return found


def running_pid() -> int | None:
    try:
        pid = int(PID_FILE.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists() and b"redis" not in cmdline.read_bytes():
        return None  # the pid was reused by something else
    return pid


def ping(timeout: float = 1.0) -> bool:
    """True when the server answers PING with PONG (RESP over a plain socket)."""
    try:
        with socket.create_connection(("127.0.0.1", port()), timeout=timeout) as conn:
            conn.sendall(b"*1\r\n$4\r\nPING\r\n")
            return conn.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def write_conf() -> None:
    BASE.mkdir(exist_ok=True)
    CONF.write_text(
        "\n".join(
            [
                "bind 127.0.0.1",
                "protected-mode yes",
                f"port {port()}",
                "daemonize yes",
                f"pidfile {PID_FILE}",
                f"logfile {LOG}",
                f"dir {BASE}",
                'save ""',
                "appendonly no",
                "maxmemory 512mb",
                "maxmemory-policy noeviction",
                "",
            ]
        )
    )
    CONF.chmod(0o600)


def start() -> None:
    pid = running_pid()
    if pid is not None and ping():
        log(f"already running (pid {pid}) at {url()}")
        return
    if ping():
        raise RedisServerError(
            f"port {port()} is taken by another server; set ORGBRIDGE_REDIS_PORT"
        )
    PID_FILE.unlink(missing_ok=True)
    write_conf()
    subprocess.run([binary(), str(CONF)], check=True)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if ping():
            log(f"ready at {url()} (pid {running_pid()})")
            return
        time.sleep(0.1)
    tail = LOG.read_text()[-2000:] if LOG.exists() else "(no log)"
    raise RedisServerError(f"redis did not answer within {READY_TIMEOUT_S:.0f}s:\n{tail}")


def stop() -> None:
    pid = running_pid()
    if pid is None:
        PID_FILE.unlink(missing_ok=True)
        log("not running")
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline and running_pid() == pid:
        time.sleep(0.1)
    if running_pid() == pid:
        os.kill(pid, signal.SIGKILL)
    PID_FILE.unlink(missing_ok=True)
    log(f"stopped pid {pid}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("start", "stop", "status", "url"))
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            start()
        elif args.command == "stop":
            stop()
        elif args.command == "status":
            ready = ping()
            print(f"{'ready' if ready else 'not running'} at {url()} (pid {running_pid()})")
            return 0 if ready else 3
        else:
            print(url())
    except (RedisServerError, subprocess.CalledProcessError) as error:
        log(f"error: {error}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
