"""Reading a page's records without building them: typed rows when every value fits, keys alone otherwise."""

from __future__ import annotations

import msgspec
import orjson
import pytest

from zd_pipeline.catalogue import TICKETS
from zd_pipeline.client.page_records import records_of
from zd_pipeline.client.paginators import PageShapeError
from zd_pipeline.warehouse.arrow_page import page_to_arrow
from zd_pipeline_tests.warehouse.records import BASE, ticket


def _read(records: list[dict]) -> object:
    return records_of(TICKETS, msgspec.Raw(orjson.dumps(records)))


def test_fitting_records_come_with_typed_rows_the_warehouse_builds_its_columns_from() -> None:
    records = [ticket(1, BASE), ticket(2, BASE + 5, status="solved")]
    page = _read(records)
    assert page.rows is not None and len(page.rows) == 2
    assert page.ids == [1, 2] and page.stamps == [BASE, BASE + 5]
    assert page == records
    assert page_to_arrow(TICKETS, page).equals(page_to_arrow(TICKETS, records))


def test_a_drifted_value_costs_the_rows_not_the_ids_or_the_columns() -> None:
    records = [ticket(1, BASE), ticket(2, BASE + 5, subject=["a", "list"])]
    page = _read(records)
    assert page.rows is None
    assert page.ids == [1, 2] and page.stamps == [BASE, BASE + 5]
    assert page_to_arrow(TICKETS, page).equals(page_to_arrow(TICKETS, records))


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({k: v for k, v in ticket(2, BASE).items() if k != "generated_timestamp"}, "has no 'generated_timestamp'"),
        (ticket(2, BASE, generated_timestamp=None), "has no readable 'generated_timestamp'"),
        ({k: v for k, v in ticket(2, BASE).items() if k != "id"}, "has no usable 'id'"),
        (ticket(2, BASE, id=True), "has no usable 'id'"),
    ],
    ids=["missing ordering", "null ordering", "missing id", "boolean id"],
)
def test_a_record_without_id_or_ordering_value_is_named(record: dict, message: str) -> None:
    with pytest.raises(PageShapeError, match=message):
        _read([ticket(1, BASE), record])
