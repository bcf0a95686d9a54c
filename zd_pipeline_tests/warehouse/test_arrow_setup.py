"""pyarrow in a process that converts pages: no pandas import for a sync, yet pandas objects are still treated as
pandas once anyone imports it; the system allocator unless the environment names a pool.

Each case runs in a fresh interpreter: the probe is once per process, and the test process may have pandas loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

CONVERT_A_PAGE = """
    import json, sys
    from zd_pipeline.catalogue import TICKETS
    from zd_pipeline.warehouse.arrow_page import page_to_arrow
    record = {"id": 1, "subject": "printer", "status": "open", "tags": ["a"], "via": {"channel": "email"},
              "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-02T00:00:00Z",
              "generated_timestamp": 1704153600}
    page = page_to_arrow(TICKETS, [record])
    found = {"rows": page.num_rows, "pandas_after_page": "pandas" in sys.modules}
"""


def _python(script: str, env: dict[str, str] | None = None) -> str:
    """What ``script`` prints, run in a fresh interpreter (which must succeed)."""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False, env=env
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _run(code: str) -> dict:
    script = textwrap.dedent(CONVERT_A_PAGE) + textwrap.dedent(code) + "\nprint(json.dumps(found))\n"
    return json.loads(_python(script).splitlines()[-1])


def test_converting_a_page_does_not_import_pandas() -> None:
    found = _run("")
    assert found == {"rows": 1, "pandas_after_page": False}


def test_writing_a_page_with_repeated_ids_does_not_import_pandas(tmp_path) -> None:
    # Resolving duplicate ids builds Arrow arrays from Python values; an untyped one made pyarrow infer a type,
    # and its type inference imports pandas on its own (not through the shim): +35 MB in the writer's process.
    found = _run(
        f"""
        from pathlib import Path
        from zd_pipeline.checkpoint import Checkpoint, ResumePoint
        from zd_pipeline.warehouse import Warehouse
        newer = dict(record, generated_timestamp=record["generated_timestamp"] + 1, status="solved")
        wh = Warehouse(Path({str(tmp_path / "w.duckdb")!r}))
        wh.ensure_tables()
        result = wh.apply_page(TICKETS, [record, newer], Checkpoint("tickets", 0, 1, ResumePoint(start_time=1), 1))
        with wh.read() as con:
            status = con.execute("SELECT status FROM zendesk.tickets").fetchall()
        found = {{"written": result.written, "status": status, "pandas": "pandas" in sys.modules}}
        """
    )
    assert found == {"written": 1, "status": [["solved"]], "pandas": False}


@pytest.mark.parametrize("asked_first", [False, True])
def test_pandas_imported_later_is_recognised_by_pyarrow_as_if_it_had_imported_it(asked_first: bool) -> None:
    # asked_first: a library asks whether pandas is installed (find_spec) before anything imports it
    found = _run(
        f"""
        import importlib.resources, importlib.util
        found["spec"] = importlib.util.find_spec("pandas") is not None if {asked_first} else True
        import pandas as pd
        import pyarrow as pa
        found["have_pandas"] = pa.lib._pandas_api.have_pandas
        # a Series converts with pandas' semantics (NaN is null), which a plain sequence would not
        found["nulls"] = pa.array(pd.Series([1.0, float("nan")])).null_count
        found["to_pandas"] = list(page.select(["id"]).to_pandas()["id"])
        found["resources"] = importlib.resources.files("pandas").joinpath("__init__.py").is_file()
        found["watching"] = [type(f).__name__ for f in sys.meta_path if type(f).__name__ == "_Watch"]
        """
    )
    assert found["spec"] is True
    assert found["pandas_after_page"] is False
    assert found["have_pandas"] is True
    assert found["nulls"] == 1
    assert found["to_pandas"] == [1]
    assert found["resources"] is True
    assert found["watching"] == []  # the watch is gone once pandas is loaded


def test_pandas_imported_first_leaves_pyarrow_untouched() -> None:
    script = textwrap.dedent(
        """
        import json, sys
        import pandas
        from zd_pipeline.warehouse import arrow_setup
        import pyarrow as pa
        print(json.dumps({"installed": arrow_setup.defer_pandas_probe(), "have": pa.lib._pandas_api.have_pandas}))
        """
    )
    assert json.loads(_python(script)) == {"installed": False, "have": True}


def test_the_system_allocator_unless_the_environment_names_a_pool() -> None:
    script = "import pyarrow as pa, zd_pipeline.warehouse.arrow_page; print(pa.default_memory_pool().backend_name)"
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    chosen = {}
    for pool in (None, "mimalloc"):
        if pool:
            env["ARROW_DEFAULT_MEMORY_POOL"] = pool
        chosen[pool] = _python(script, env)
    assert chosen == {None: "system", "mimalloc": "mimalloc"}
