"""Small pure pieces: randomness, time formatting, lifecycles, layouts, auth."""

from __future__ import annotations

import base64
import time
import uuid
from collections import Counter

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from zd_pipeline.catalogue import to_iso
from zd_pipeline.simulator import lifecycle as lc
from zd_pipeline.simulator.auth import Credentials
from zd_pipeline.simulator.isotime import iso
from zd_pipeline.simulator.rand import draws, uuids_for
from zd_pipeline.simulator.scales import Window, get_scale
from zd_pipeline.simulator.ticket_layout import build_ticket_layout


def test_draws_are_addressable_by_index() -> None:
    batch = draws(1, 2, np.arange(100), 4)
    assert (draws(1, 2, [37], 4)[0] == batch[37]).all()
    assert not (draws(1, 3, np.arange(100), 4) == batch).all()
    assert batch.min() >= 0 and batch.max() < 2**32


@given(st.integers(0, 2**32 - 1))
def test_iso_matches_the_catalogue(epoch: int) -> None:
    assert iso(epoch) == to_iso(epoch)


def test_uuids_are_stable_per_index_distinct_and_version_4() -> None:
    ids = uuids_for(7, 33, [0, 1, 2, 1 << 45])
    assert ids == uuids_for(7, 33, [0, 1, 2, 1 << 45]) and uuids_for(7, 33, [2]) == ids[2:3]
    assert len(set(ids)) == 4 and ids != uuids_for(8, 33, [0, 1, 2, 1 << 45])
    assert {uuid.UUID(i).version for i in ids} == {4}


@pytest.mark.parametrize("n", range(1, 8))
@pytest.mark.parametrize("final", range(len(lc.STATUSES)))
def test_status_paths_end_in_the_final_status(n: int, final: int) -> None:
    if n == 1 and final != lc.NEW:
        return
    path = lc.status_path(n, final)
    assert len(path) == n and path[0] == lc.NEW and path[-1] == final
    if final == lc.CLOSED and n > 2:
        assert path[-2] == lc.SOLVED


def test_small_layout_has_a_bulk_group_over_1000_and_system_updates() -> None:
    layout = build_ticket_layout(0, get_scale("small"), Window.ending_before(time.time()))
    assert max(Counter(layout.generated.tolist()).values()) > 1000
    assert (layout.generated >= layout.updated).all() and (layout.generated > layout.updated).any()
    assert (np.diff(layout.ev_ts) >= 0).all() and (np.diff(layout.me_ts) >= 0).all()


def test_unknown_scale_names_the_choices() -> None:
    with pytest.raises(ValueError, match="small, demo, bench"):
        get_scale("huge")


def test_credentials_accept_only_the_documented_schemes() -> None:
    creds = Credentials("a@b.c", "tok", "oauth")
    basic = "Basic " + base64.b64encode(b"a@b.c/token:tok").decode()
    assert creds.accepts(basic) and creds.accepts("Bearer oauth")
    assert not creds.accepts("Bearer tok") and not creds.accepts(None) and not creds.accepts("Basic a@b.c")
    assert "tok" not in repr(creds) and "oauth" not in repr(creds)
    assert not Credentials("a@b.c", None, None).accepts(basic)
    assert Credentials.from_env({}).is_demo
    assert Credentials.from_env({"ZENDESK_OAUTH_TOKEN": "x"}) == Credentials(None, None, "x")
