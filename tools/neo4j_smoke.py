#!/usr/bin/env python3
"""Smoke check of the local Neo4j started by tools/neo4j_server.py (not a pytest test).

    .venv/bin/python tools/neo4j_smoke.py            # start, check, stop
    .venv/bin/python tools/neo4j_smoke.py --keep     # leave the server running

Starts the server (no-op if it is already running), connects with the password,
creates a uniqueness constraint on (:Person {person_id}), MERGEs 10,000 nodes with
UNWIND in batches, reads them back, checks that a wrong password fails with an
auth error, then stops the server and checks that its pid is gone.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import neo4j_server as srv
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError

N = 10_000
BATCH = 2_500
LABEL = "SmokePerson"  # own label on top of :Person so the check can clean up after itself


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--keep", action="store_true", help="do not stop the server at the end")
    args = ap.parse_args()

    t0 = time.monotonic()
    srv.start()
    pid = srv.running_pid()
    assert pid is not None, "server not running after start"
    rss_mib = (srv.rss_kib(pid) or 0) / 1024
    print(f"start->ready: {time.monotonic() - t0:.1f}s, pid {pid}, rss {rss_mib:.0f} MiB")

    creds = srv.write_credentials()
    with GraphDatabase.driver(creds["uri"], auth=(creds["user"], creds["password"])) as driver:
        driver.verify_connectivity()
        driver.execute_query(
            "CREATE CONSTRAINT person_id_unique IF NOT EXISTS "
            "FOR (p:Person) REQUIRE p.person_id IS UNIQUE",
            database_="neo4j",
        )
        driver.execute_query("CALL db.awaitIndexes(300)", database_="neo4j")
        records, _, _ = driver.execute_query(
            "SHOW CONSTRAINTS YIELD name, type, labelsOrTypes, properties "
            "WHERE 'Person' IN labelsOrTypes RETURN name, type, properties",
            database_="neo4j",
        )
        assert any(
            r["type"] == "UNIQUENESS" and r["properties"] == ["person_id"] for r in records
        ), records

        driver.execute_query(f"MATCH (p:{LABEL}) DETACH DELETE p", database_="neo4j")
        rows = [
            {"id": f"smoke-{i:05d}", "props": {"name": f"Person {i}", "rank": i % 7}}
            for i in range(N)
        ]
        t1 = time.monotonic()
        for start in range(0, N, BATCH):
            driver.execute_query(
                "UNWIND $rows AS r MERGE (p:Person {person_id: r.id}) "
                f"SET p:{LABEL}, p += r.props",
                rows=rows[start : start + BATCH],
                database_="neo4j",
            )
        t_write = time.monotonic() - t1

        t1 = time.monotonic()
        with driver.session(database="neo4j", fetch_size=5_000) as session:
            got = {
                r["id"]: r["name"]
                for r in session.run(f"MATCH (p:{LABEL}) RETURN p.person_id AS id, p.name AS name")
            }
        t_read = time.monotonic() - t1
        assert len(got) == N, len(got)
        assert got["smoke-04242"] == "Person 4242"
        print(f"wrote {N} nodes in {t_write:.2f}s (batches of {BATCH}), read back in {t_read:.2f}s")

        # The constraint must reject a duplicate.
        try:
            driver.execute_query("CREATE (:Person {person_id: 'smoke-00000'})", database_="neo4j")
            raise AssertionError("duplicate person_id was accepted")
        except Exception as e:
            code = getattr(e, "code", "") or ""
            assert "ConstraintValidationFailed" in code or "already exists" in str(e), e
        driver.execute_query(f"MATCH (p:{LABEL}) DETACH DELETE p", database_="neo4j")

    try:
        with GraphDatabase.driver(creds["uri"], auth=(creds["user"], "definitely-wrong")) as bad:
            bad.verify_connectivity()
        raise AssertionError("wrong password was accepted")
    except AuthError as e:
        print(f"wrong password rejected: {type(e).__name__} {e.code}")

    if args.keep:
        print("OK (server left running)")
        return 0
    srv.stop()
    assert not srv._is_our_server(pid), f"pid {pid} still alive"
    assert not Path(f"/proc/{pid}").exists(), f"pid {pid} still exists (zombie or reused)"
    assert srv.running_pid() is None and not srv.PID_FILE.exists()
    print(f"stopped, pid {pid} gone")
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
