"""The programme package's public API is pinned."""

from __future__ import annotations

import orgbridge.programme as programme

PUBLIC = [
    "ACTIVITY_COLUMNS", "StoredProgramme", "load_stored", "save_stored",
    "ALLOWED", "CHECKIN_COLUMNS", "ENROLMENT_COLUMNS", "GOAL_COLUMNS", "MEETING_COLUMNS",
    "OUTCOMES", "PERSONAL_COLUMNS", "PROGRAMME_KINDS", "ROLES", "SCHEMAS", "STATUSES", "Parsed",
    "ProgrammeState", "active_windows", "add_cycle", "add_programme", "close_cycle",
    "commitments", "compare_snapshots", "health", "impact", "introductions", "match_register",
    "next_cycle", "outcomes",
    "parse_checkins", "parse_enrolment", "parse_goals", "parse_meetings", "past_partners",
    "propose", "propose_many", "read_checkins", "read_enrolment", "read_goals", "read_meetings",
    "remaining_capacity", "stalled_pairs", "start_cycle", "statuses_as_of", "transition", "undo",
    "OPERATION_DECISIONS", "current_cycle", "decide", "end_early", "ensure_cycle", "match_kind",
    "recommender_inputs", "record_proposals", "undo_last", "with_enrolled_capacity",
]  # fmt: skip


def test_all_is_pinned() -> None:
    assert sorted(programme.__all__) == sorted(PUBLIC)
    for name in programme.__all__:
        assert hasattr(programme, name), name


def test_programme_imports_no_store_app_or_cli() -> None:
    import ast
    from pathlib import Path

    root = Path(programme.__file__).parent
    for path in root.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith(
                    (
                        "orgbridge.app",
                        "orgbridge.cli",
                        "orgbridge.graph._workspace",
                        "orgbridge.graph._neo4j",
                        "orgbridge.synthetic",
                    )
                ), f"{path.name} imports {node.module}"
