"""The public API is pinned: a name added or removed is a decision, not an accident."""

from __future__ import annotations

import importlib

import pytest

PUBLIC = {
    "orgbridge": [
        "OrgGraph", "OrgbridgeError", "Sources", "Workspace", "__version__", "analyze",
        "metrics", "prepare_import", "read_gexf", "read_graphml", "read_pairs",
        "read_projects", "read_sponsorships", "read_staff", "read_table", "read_ties",
        "read_viva_p2p", "recommend", "recommend_pairs", "recommend_sponsorships", "simulate",
        "write_csv", "write_gexf", "write_graphml",
    ],
    "orgbridge.errors": [
        "AccessDenied", "GraphError", "ImportRejected", "IngestError", "OrgbridgeError",
        "ParameterError", "PrivacyError", "SchemaVersionError", "StoreError", "StoreUnavailable",
    ],
    "orgbridge.recommend": [
        "BASELINES", "PRESETS", "Commitment", "Constraints", "Recommendation", "Weights",
        "baseline_pairs", "check_decision", "commitments_from_decisions", "decision_key",
        "headline_metrics", "latest_decisions", "locked_and_declined", "programme_state",
        "recommend_pairs", "recommend_sponsorships", "score_proposals",
        "simulate",
    ],
    "orgbridge.app": ["Services", "create_app", "ensure_demo_users"],
}  # fmt: skip


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_all_is_pinned(module: str) -> None:
    imported = importlib.import_module(module)
    assert sorted(imported.__all__) == sorted(PUBLIC[module])
    for name in imported.__all__:
        assert hasattr(imported, name), f"{module}.{name} is in __all__ but missing"


@pytest.mark.parametrize(
    "module",
    ["orgbridge.graph", "orgbridge.ingest", "orgbridge.metrics", "orgbridge.synthetic"],
)
def test_every_exported_name_exists(module: str) -> None:
    imported = importlib.import_module(module)
    assert len(set(imported.__all__)) == len(imported.__all__)
    for name in imported.__all__:
        assert hasattr(imported, name), f"{module}.{name} is in __all__ but missing"


def test_computation_never_imports_dash_or_plotly() -> None:
    import ast
    from pathlib import Path

    root = Path(importlib.import_module("orgbridge").__file__).parent  # type: ignore[arg-type]
    for path in root.rglob("*.py"):
        if "app" in path.relative_to(root).parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                assert top not in {"dash", "plotly"}, f"{path} imports {name}"
