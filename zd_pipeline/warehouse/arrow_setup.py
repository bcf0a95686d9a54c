"""How pyarrow is set up in a process that converts pages: no pandas import, the system allocator.

Both cut a sync's memory (figure 6 of ``bench/``) without changing what pyarrow computes. :func:`install` runs
when :mod:`.arrow_values` is imported (by both page conversions).

**pandas.** pyarrow's first conversion from Python objects (``pa.array``, ``Table.from_pylist``, even
``pa.scalar``) asks its pandas shim (``pyarrow.lib._pandas_api``) whether pandas is installed, and the shim finds
out by importing it. A sync never uses pandas, yet paid for it in every process: +31-37 MB peak RSS and ~0.4 s
(figure 6's syncs: 332 → 297-300 MB at ~85,000 tickets, 360 → 325 MB at 1,000,000). So this changes when
pyarrow learns of pandas, not what it does with it:

1. if pandas is not imported yet, the shim's first question is answered "not installed" (pandas is hidden from
   the import system for that one call), so pyarrow treats Python lists as lists, which is all a sync hands it;
2. the moment anything imports pandas (a user's code, DuckDB's ``.df()``), the import is watched and the shim is
   asked again once pandas is loaded, so from then on pyarrow recognises pandas objects exactly as if it had
   imported pandas itself (``pa.array(series)`` uses pandas' null semantics, ``to_pandas`` works).

The deferral covers the shim only: pyarrow's type inference (``pa.array`` of Python values without a type,
``pa.scalar`` without one) imports pandas by itself, so the page path always names the Arrow type (a duplicate-id
page imported pandas that way until stop 19; ``test_arrow_setup`` writes one).

If pandas is already imported, or its loader is not the plain source loader the watch wraps, nothing is changed.
This relies on the shim's behaviour (pyarrow is pinned; ``test_arrow_setup`` checks both halves in a fresh
interpreter).

**Allocator.** pyarrow's default pool (mimalloc in the wheels) keeps freed pages for its own reuse, apart from
the C library's heap that Python and DuckDB share; a sync allocates and frees a page's buffers every few
milliseconds in two threads. With the system allocator: figure 6's syncs 297-300 → 283-288 MB (~85,000 tickets) and
325 → 314 MB (1,000,000); figure 3's process 536 → 504 MB; conversion (5.3-5.5 ms per 1,000 tickets) and
figure 3's rate unchanged within noise. A user's own choice in ``ARROW_DEFAULT_MEMORY_POOL`` (Arrow's variable,
named in ``zd_pipeline.settings``) is kept.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
import threading
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import pyarrow as pa

_PANDAS = "pandas"
ARROW_POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"
_lock = threading.Lock()
_installed = [False]


def install() -> None:
    """Set up pyarrow for this process (see the module docstring); idempotent."""
    use_system_allocator()
    defer_pandas_probe()


def use_system_allocator() -> None:
    """Make the C library's allocator pyarrow's default pool, unless the environment names a pool."""
    if ARROW_POOL_VARIABLE not in os.environ:
        pa.set_memory_pool(pa.system_memory_pool())


def defer_pandas_probe() -> bool:
    """Keep pyarrow from importing pandas until something else does; True when this call deferred it."""
    with _lock:
        if _installed[0] or _PANDAS in sys.modules:
            return False
        spec = _pandas_spec()
        found = importlib.util.find_spec(_PANDAS)
        if spec is None or found is None or found.origin != spec.origin:
            return False  # pandas missing (the shim would say so itself) or loaded some other way
        hide = _Hide()
        sys.meta_path.insert(0, hide)
        try:
            pa.lib._pandas_api.have_pandas  # noqa: B018 -- the shim's one probe, answered "no"
        finally:
            sys.meta_path.remove(hide)
        sys.meta_path.insert(0, _Watch())
        _installed[0] = True
        return True


def _pandas_spec() -> importlib.machinery.ModuleSpec | None:
    """pandas' spec from the path finder when its ``__init__`` is plain source (the case the watch can wrap)."""
    spec = importlib.machinery.PathFinder.find_spec(_PANDAS)
    if spec is None or type(spec.loader) is not importlib.machinery.SourceFileLoader:
        return None
    return spec


class _Hide:
    """Finder that makes ``import pandas`` fail (only while the shim probes)."""

    def find_spec(self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None) -> None:
        if name == _PANDAS:
            raise ImportError("pandas hidden from pyarrow's probe")


class _Watch:
    """Finder that gives pandas its own spec with a loader that tells pyarrow's shim once pandas has loaded.

    It stays until pandas is actually loaded: a library asking ``importlib.util.find_spec("pandas")`` only to
    learn whether pandas is installed gets the spec, and the watch still sees the real import later."""

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if name != _PANDAS:
            return None
        spec = _pandas_spec()
        if spec is None:
            return None  # the other finders decide
        spec.loader = _TellPyarrow(spec.loader.name, spec.loader.path)
        return spec


class _TellPyarrow(importlib.machinery.SourceFileLoader):
    """pandas' own source loader, which afterwards removes the watch and asks the shim again (its raising path
    re-imports pandas, now loaded, with ``pyarrow.pandas_compat``)."""

    def exec_module(self, module: Any) -> None:
        super().exec_module(module)
        sys.meta_path[:] = [finder for finder in sys.meta_path if not isinstance(finder, _Watch)]
        pa.lib._pandas_api.pd  # noqa: B018 -- the shim's second question
