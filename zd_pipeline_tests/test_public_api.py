"""The product uses Dagster's public API only and Dagster's own storages: a private import or a custom storage
class makes every Dagster process fail to load when a patch release moves it."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from zd_pipeline.settings import PROJECT_ROOT

PRIVATE_DAGSTER = re.compile(r"\bdagster(?:_\w+)?\._")  # dagster._core, dagster_postgres._x, "dagster._..." strings


def private_dagster_uses(folder: Path) -> list[str]:
    """``path:line: text`` for each line of a ``.py`` file under ``folder`` that names a private Dagster module."""
    found = []
    for path in sorted(folder.rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if PRIVATE_DAGSTER.search(line):
                found.append(f"{path.relative_to(folder.parent)}:{number}: {line.strip()}")
    return found


def test_the_check_finds_private_imports(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "ok.py").write_text("import dagster as dg\nfrom dagster import AssetKey\nimport dagster_postgres\n")
    (package / "bad.py").write_text("from dagster._core.events import ASSET_EVENTS\nimport dagster_postgres._x\n")
    assert private_dagster_uses(package) == [
        "pkg/bad.py:1: from dagster._core.events import ASSET_EVENTS",
        "pkg/bad.py:2: import dagster_postgres._x",
    ]


def test_no_private_dagster_module_in_the_product() -> None:
    assert private_dagster_uses(PROJECT_ROOT / "zd_pipeline") == []


def test_instance_configs_use_dagsters_own_storages() -> None:
    """No ``module:``/``class:`` of the project's in any instance file: storage is Dagster's (SQLite or PostgreSQL)."""
    for path in [PROJECT_ROOT / "dagster.yaml", *sorted((PROJECT_ROOT / "deploy").glob("dagster*.yaml"))]:
        text = path.read_text()
        assert "zd_pipeline" not in text, path
        config = yaml.safe_load(text)
        for block in ("run_storage", "event_log_storage", "schedule_storage"):
            assert block not in config, f"{path.name}: {block} (use Dagster's default or `storage:`)"
