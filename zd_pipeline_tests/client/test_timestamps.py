"""The fast timestamp path agrees with the catalogue's definition, and refuses what it refuses."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zd_pipeline.catalogue import to_epoch, to_iso
from zd_pipeline.client.timestamps import epoch_of


@given(st.integers(0, 4_102_444_800))
def test_iso_and_epoch_values_agree_with_to_epoch(epoch: int) -> None:
    assert epoch_of(to_iso(epoch)) == to_epoch(to_iso(epoch)) == epoch
    assert epoch_of(epoch) == epoch


@pytest.mark.parametrize("value", ["2020-01-01T10:00:00+02:00", "2020-01-01T10:00:00.5Z", "2020-01-01", 17.9])
def test_other_shapes_fall_back_to_to_epoch(value) -> None:
    assert epoch_of(value) == to_epoch(value)


MALFORMED = ["2020-01-01T10:61:00Z", "2020-01-01T10: 5:00Z", "2020-13-01T10:00:00Z", "", None, True]


@pytest.mark.parametrize("value", MALFORMED)
def test_malformed_values_raise(value) -> None:
    with pytest.raises(ValueError):
        epoch_of(value)
