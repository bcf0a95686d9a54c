"""The ``zd-pipeline`` console script exits with its command's code (``zd_pipeline.cli.console``)."""

from __future__ import annotations

import subprocess
import sys

CONSOLE = """
import atexit, gc, sys
atexit.register(lambda: print("frozen at exit:", gc.get_freeze_count() > 0))
from zd_pipeline.cli import console
sys.argv = ["zd-pipeline", "sync", "--streams", "nope"]
console()
"""


def test_the_console_script_exits_with_its_code_and_the_collector_frozen() -> None:
    """The interpreter's teardown then skips walking the command's objects."""
    done = subprocess.run([sys.executable, "-c", CONSOLE], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr  # the command's own code: an unknown stream
    assert "unknown stream 'nope'" in done.stderr
    assert done.stdout.strip() == "frozen at exit: True"
