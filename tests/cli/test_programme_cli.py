"""``orgbridge programme ...`` over a three-cycle synthetic programme in a real workspace."""

from __future__ import annotations

import csv
import json
import stat
from pathlib import Path

import pandas as pd
import pytest

from orgbridge.cli import main
from orgbridge.graph._workspace import Workspace
from orgbridge.programme import ALLOWED, load_stored, save_stored
from orgbridge.synthetic import programme_activity, write_programme

AS_OF = "2026-06-30"


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("org")
    assert main(["demo", "--people", "300", "--seed", "5", "--out", str(folder)]) == 0
    staff = pd.read_csv(folder / "staff.csv", dtype=str)
    staff["opt_in"] = staff["opt_in"].str.lower() == "true"
    staff["is_leader"] = staff["is_leader"].str.lower() == "true"
    staff["capacity"] = pd.to_numeric(staff["capacity"]).astype("Int64")
    staff["level"] = pd.to_numeric(staff["level"])
    write_programme(programme_activity(staff, reference_date=AS_OF, seed=5), folder / "rm")
    return folder


def _workspace(org: Path, tmp_path: Path) -> list[str]:
    ws = ["--workspace", str(tmp_path / "ws")]
    assert main(["ingest", *ws, "--staff", str(org / "staff.csv")]) in (0, 3)
    return ws


def _json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> object:
    capsys.readouterr()
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def _cycles(org: Path) -> pd.DataFrame:
    return pd.read_csv(org / "rm" / "cycles.csv", dtype=str).sort_values("start")


def test_health_from_the_cli_equals_a_count_of_the_imported_files(
    org: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = _workspace(org, tmp_path)
    # the synthetic programme's state (built through the legal moves), then its files by the CLI
    state = programme_activity(_staff(org), reference_date=AS_OF, seed=5).state
    with Workspace.open(Path(ws[1])) as store:
        save_stored(store, state)
    cycles = _cycles(org)
    for cycle in cycles["cycle_id"]:
        assert main(["programme", "enrol", str(org / "rm" / f"enrolment_{cycle}.csv"),
                     "--cycle", cycle, *ws]) == 0  # fmt: skip
    files = [f"--{name}={org / 'rm' / f'{name}.csv'}" for name in ("meetings", "checkins", "goals")]
    assert main(["programme", "import-activity", *files, *ws]) == 0
    # importing the same export again keeps each row once
    assert main(["programme", "import-activity", *files, *ws]) == 0
    stalled_csv = tmp_path / "stalled.csv"
    figures = _json(
        ["programme", "health", "--json", "--at", AS_OF, "--stalled-csv", str(stalled_csv), *ws],
        capsys,
    )
    assert isinstance(figures, dict)
    by_cycle = {c["cycle_id"]: c for c in figures["cycles"]}
    assert set(by_cycle) == set(cycles["cycle_id"])
    # independent count, straight from the files with the csv module
    with (org / "rm" / "checkins.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for cycle in cycles["cycle_id"]:
        with (org / "rm" / f"enrolment_{cycle}.csv").open(encoding="utf-8") as handle:
            enrolled = {r["person_id"] for r in csv.DictReader(handle)}
        mine = [
            r for r in rows
            if r["Pair ID"].split(":")[0] == cycle
            and pd.Timestamp(r["Date of meeting"]) <= pd.Timestamp(AS_OF)
        ]  # fmt: skip
        raters = {r["Your ID"] for r in mine}
        assert by_cycle[cycle]["enrolled"] == len(enrolled)
        assert by_cycle[cycle]["raters"] == (len(raters) if len(raters) >= 5 else None)
        assert by_cycle[cycle]["ratings"] == (len(mine) if len(raters) >= 5 else None)
        if len(raters) >= 5:
            mean = sum(int(r["Rating (1-5)"]) for r in mine) / len(mine)
            assert by_cycle[cycle]["mean_rating"] == pytest.approx(mean, abs=0.01)
    stalled = pd.read_csv(stalled_csv)
    assert len(stalled) == sum(c["stalled"] for c in figures["cycles"])
    assert stat.S_IMODE(stalled_csv.stat().st_mode) == 0o600
    assert "comment" not in json.dumps(figures).lower() or all(
        r["Comments"] not in json.dumps(figures) for r in rows if r["Comments"]
    )


def _staff(org: Path) -> pd.DataFrame:
    staff = pd.read_csv(org / "staff.csv", dtype=str)
    staff["opt_in"] = staff["opt_in"].str.lower() == "true"
    staff["is_leader"] = staff["is_leader"].str.lower() == "true"
    staff["capacity"] = pd.to_numeric(staff["capacity"]).astype("Int64")
    staff["level"] = pd.to_numeric(staff["level"])
    return staff


def test_enrolment_with_a_bad_row_saves_nothing_and_names_file_row_column(
    org: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = _workspace(org, tmp_path)
    create = ["programme", "create", "--id", "RM", "--name", "Reverse mentoring", "--cycle", "C1"]
    assert main([*create, "--start", "2026-09-01", "--end", "2027-08-31", *ws]) == 0
    staff = pd.read_csv(org / "staff.csv", dtype=str)
    bad = tmp_path / "enrol.csv"
    bad.write_text(
        "person_id,role,capacity\n"
        f"{staff['person_id'][1]},mentor,1\n{staff['person_id'][2]},boss,1\nghost,mentee,1\n",
        encoding="utf-8",
    )
    capsys.readouterr()
    assert main(["programme", "enrol", str(bad), "--cycle", "C1", *ws]) == 1
    out = capsys.readouterr().out
    assert "rows in 3 = loaded 1 + rejected 2" in out
    assert "enrol.csv row 3, column role" in out and "column person_id" in out
    with Workspace.open(Path(ws[1])) as store:
        assert load_stored(store).table("enrolment").empty
    with pytest.raises(SystemExit):
        main(["programme", "enrol", str(bad), *ws])  # --cycle is required
    assert main(["programme", "enrol", str(bad), "--cycle", "nope", *ws]) == 2


def test_a_programme_run_through_the_cli(
    org: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = _workspace(org, tmp_path)
    cycles = [("C1", "2026-09-01", "2027-08-31"), ("C2", "2027-09-01", "2028-08-31"),
              ("C3", "2028-09-01", "2029-08-31")]  # fmt: skip
    assert main(["programme", "create", "--id", "RM", "--name", "RM", *ws]) == 0
    for cycle, start, end in cycles:
        assert main(["programme", "cycle", "add", "--programme", "RM", "--id", cycle,
                     "--start", start, "--end", end, *ws]) == 0  # fmt: skip
    staff = _staff(org)
    chosen = staff.loc[staff["opt_in"] & ~staff["is_leader"], "person_id"].head(40)
    enrol = tmp_path / "enrol.csv"
    pd.DataFrame({"person_id": chosen, "role": "either", "capacity": 1}).to_csv(enrol, index=False)
    seen: set[frozenset[str]] = set()
    approved = 0
    for number, (cycle, start, end) in enumerate(cycles):
        day = str((pd.Timestamp(start) - pd.Timedelta(days=20)).date())
        assert main(["programme", "enrol", str(enrol), "--cycle", cycle, *ws]) == 0
        run = tmp_path / f"run{number}.json"
        assert main(["recommend", *ws, "--count", "6", "--as-of", day, "--seed", str(number),
                     "--json", str(run)]) == 0  # fmt: skip
        proposals = json.loads(run.read_text())["proposals"]
        assert len(proposals) >= 4
        # the default cohort is the cycle's enrolment; rotation: never a pair seen before
        assert {p["a"] for p in proposals} | {p["b"] for p in proposals} <= set(chosen)
        pairs = [frozenset((p["a"], p["b"])) for p in proposals]
        assert not seen & set(pairs)
        seen |= set(pairs)
        approve = [x for p in proposals[:-1] for x in ("--pair", p["a"], p["b"])]
        approved += len(proposals) - 1
        assert main(["programme", "approve", *approve, "--at", day, "--by", "ana", *ws]) == 0
        last = proposals[-1]
        assert main(["programme", "decline", "--pair", last["b"], last["a"], "--at", day,
                     "--by", "ana", "--note", "same team soon", *ws]) == 0  # fmt: skip
        # a decided pair is not decided again (undo first)
        assert main(["programme", "approve", "--pair", last["a"], last["b"], "--at", day,
                     *ws]) == 2  # fmt: skip
        assert main(["programme", "undo", "--by", "ana", "--at", day, *ws]) == 0
        assert main(["programme", "decline", "--pair", last["a"], last["b"], "--at", day,
                     "--by", "ana", *ws]) == 0  # fmt: skip
        assert main(["programme", "cycle", "start", cycle, "--at", start, *ws]) == 0
        if number == 0:
            first = sorted((proposals[0]["a"], proposals[0]["b"]))
            match = f"{cycle}:{first[0]}:{first[1]}"
            later = str((pd.Timestamp(start) + pd.Timedelta(days=30)).date())
            early = ["programme", "end-early", match, "--reason", "left", "--at", later]
            assert main([*early, *ws]) == 0
        intro = tmp_path / f"intro{number}.csv"
        assert main(["programme", "introductions", "--cycle", cycle, "--csv", str(intro), *ws]) == 0
        assert stat.S_IMODE(intro.stat().st_mode) == 0o600
        with intro.open(encoding="utf-8") as handle:
            cells = [c for row in csv.reader(handle) for c in row]
        assert not any(c.startswith(("=", "+", "-", "@")) for c in cells if c)
        assert main(["programme", "cycle", "close", cycle, "--at", end, *ws]) == 0
    register_csv = tmp_path / "register.csv"
    register = _json(["programme", "matches", "--json", "--csv", str(register_csv), *ws], capsys)
    assert isinstance(register, list)
    statuses = pd.Series([r["status"] for r in register]).value_counts().to_dict()
    assert statuses.get("ended_early") == 1 and statuses.get("declined") == 3
    assert statuses.get("completed") == approved - 1  # one ended early
    assert stat.S_IMODE(register_csv.stat().st_mode) == 0o600
    with Workspace.open(Path(ws[1])) as store:
        state = load_stored(store).state
    events = state.history.loc[state.history["event"] == "transition"]
    for before, after in zip(events["from_status"], events["to_status"], strict=True):
        assert after in ALLOWED[str(before)], (before, after)
    approved_by = state.history.loc[state.history["to_status"] == "approved", "by"]
    assert set(approved_by) == {"ana"}
    impact = _json(
        ["programme", "impact", "--cycle", "C1", "--json", "--n-boot", "200", *ws], capsys
    )
    assert isinstance(impact, dict) and impact["name"] == "impact"
    # under five participants with a start and end snapshot nothing is shown, and it says so
    assert impact["values"]["note"]


def test_demo_programme_loads_and_the_report_shows_impact_as_aggregates(
    org: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = _workspace(org, tmp_path)
    folder = org / "programme"  # written by `orgbridge demo`
    assert main(["programme", "import-state", str(folder), *ws]) == 0
    # a second load would silently replace the programme: refused without --replace
    assert main(["programme", "import-state", str(folder), *ws]) == 2
    with Workspace.open(Path(ws[1])) as store:
        stored = load_stored(store)
    written = pd.read_csv(folder / "matches.csv", dtype=str)
    assert sorted(stored.state.matches["match_id"]) == sorted(written["match_id"])
    assert len(stored.table("checkins")) == len(pd.read_csv(folder / "checkins.csv"))
    html = tmp_path / "report.html"
    out = tmp_path / "analysis.json"
    assert main(["analyze", *ws, "--as-of", AS_OF, "--json", str(out), "--html", str(html),
                 "--no-save"]) == 0  # fmt: skip
    impact = json.loads(out.read_text())["impact"]
    cycles = sorted(stored.state.cycles["cycle_id"])
    assert [r["parameters"]["cycle_id"] for r in impact] == cycles
    page = html.read_text(encoding="utf-8")
    assert "Programme impact" in page
    people = set(pd.read_csv(org / "staff.csv", dtype=str)["person_id"])
    section = page[page.index("Programme impact") :]
    assert not any(person in section for person in people)  # aggregates only
    for result in impact:
        if result["values"]["n_matched"] < 5:
            assert result["table"] == []
