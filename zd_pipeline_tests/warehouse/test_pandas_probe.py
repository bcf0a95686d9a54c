"""pyarrow does not import pandas for a sync, and still treats pandas objects as pandas once anyone imports it.

Each case runs in a fresh interpreter: the probe is once per process, and the test process may have pandas loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

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


def _run(code: str) -> dict:
    script = textwrap.dedent(CONVERT_A_PAGE) + textwrap.dedent(code) + "\nprint(json.dumps(found))\n"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_converting_a_page_does_not_import_pandas() -> None:
    found = _run("")
    assert found == {"rows": 1, "pandas_after_page": False}


def test_pandas_imported_later_is_recognised_by_pyarrow_as_if_it_had_imported_it() -> None:
    found = _run(
        """
        import importlib.resources
        import pandas as pd
        import pyarrow as pa
        found["have_pandas"] = pa.lib._pandas_api.have_pandas
        # a Series converts with pandas' semantics (NaN is null), which a plain sequence would not
        found["nulls"] = pa.array(pd.Series([1.0, float("nan")])).null_count
        found["to_pandas"] = list(page.select(["id"]).to_pandas()["id"])
        found["resources"] = importlib.resources.files("pandas").joinpath("__init__.py").is_file()
        """
    )
    assert found["pandas_after_page"] is False
    assert found["have_pandas"] is True
    assert found["nulls"] == 1
    assert found["to_pandas"] == [1]
    assert found["resources"] is True


def test_pandas_imported_first_leaves_pyarrow_untouched() -> None:
    script = textwrap.dedent(
        """
        import json, sys
        import pandas
        from zd_pipeline.warehouse import pandas_probe
        import pyarrow as pa
        print(json.dumps({"installed": pandas_probe.install(), "have": pa.lib._pandas_api.have_pandas}))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"installed": False, "have": True}
