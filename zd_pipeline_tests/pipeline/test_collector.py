"""During a sync, collections skip the objects that existed before it; afterwards everything is as before."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest

from zd_pipeline.pipeline.collector import old_objects_frozen


def test_objects_are_frozen_inside_and_unfrozen_after_even_on_error() -> None:
    gc.unfreeze()
    before = object.__new__(type("Tracked", (), {}))
    with old_objects_frozen():
        assert gc.get_freeze_count() > 0
        assert not any(o is before for o in gc.get_objects())  # frozen objects are outside every generation
    assert gc.get_freeze_count() == 0 and any(o is before for o in gc.get_objects())
    with pytest.raises(RuntimeError), old_objects_frozen():
        raise RuntimeError("the sync failed")
    assert gc.get_freeze_count() == 0


CONSOLE = """
import atexit, gc, sys
atexit.register(lambda: print("frozen at exit:", gc.get_freeze_count() > 0))
from zd_pipeline.cli import console
sys.argv = ["zd-pipeline", "sync", "--streams", "nope"]
console()
"""


def test_the_console_script_exits_with_its_code_and_the_collector_frozen() -> None:
    """The interpreter's teardown then skips walking the command's objects (``zd_pipeline.cli.console``)."""
    done = subprocess.run([sys.executable, "-c", CONSOLE], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr  # the command's own code: an unknown stream
    assert "unknown stream 'nope'" in done.stderr
    assert done.stdout.strip() == "frozen at exit: True"
