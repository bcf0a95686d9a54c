"""During a sync, collections skip the objects that existed before it; afterwards everything is as before."""

from __future__ import annotations

import gc

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
