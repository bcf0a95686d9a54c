"""Dagster's event batching is on by default wherever the code location loads, and a user's value is kept."""

from __future__ import annotations

import os
import subprocess
import sys

from zd_pipeline.pipeline.event_batching import BATCH_SIZE_VARIABLE, DEFAULT_BATCH_SIZE, default_event_batching


def test_the_default_is_set_only_when_the_variable_is_unset_or_empty() -> None:
    for before, after in [({}, str(DEFAULT_BATCH_SIZE)), ({BATCH_SIZE_VARIABLE: " "}, str(DEFAULT_BATCH_SIZE))]:
        env = dict(before)
        default_event_batching(env)
        assert env[BATCH_SIZE_VARIABLE] == after
    for kept in ("0", "250"):
        env = {BATCH_SIZE_VARIABLE: kept}
        default_event_batching(env)
        assert env[BATCH_SIZE_VARIABLE] == kept


def test_loading_the_code_location_sets_it_for_the_process_and_its_children() -> None:
    """What a code server, a run worker and ``zd-pipeline sync`` do first: import ``zd_pipeline.definitions``."""
    script = (
        "import os, subprocess, sys; import zd_pipeline.definitions; "
        f"print(subprocess.run([sys.executable, '-c', 'import os; print(os.environ[\"{BATCH_SIZE_VARIABLE}\"])'], "
        "capture_output=True, text=True, check=True).stdout.strip())"
    )
    env = {k: v for k, v in os.environ.items() if k != BATCH_SIZE_VARIABLE}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(DEFAULT_BATCH_SIZE)
