"""Pages on their way into the warehouse: converted (:class:`PreparedPage`), batched (:func:`concat_pages`) and
reported back per page (:class:`PageResult`, :func:`split_results`)."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import pyarrow as pa

from .arrow_values import POSITION, positions


@dataclass(frozen=True)
class PreparedPage:
    """A page of one stream converted for writing (:meth:`Warehouse.prepare`): ``size`` records as Arrow."""

    stream: str
    size: int
    table: pa.Table = field(repr=False)

    @property
    def nbytes(self) -> int:
        return self.table.nbytes


@dataclass(frozen=True)
class PageResult:
    """What one page did: ``received`` records, ``written`` rows inserted or replaced, ``ignored`` the rest
    (older than the stored row, already present, or a duplicate inside the page)."""

    received: int
    written: int
    ignored: int


def concat_pages(tables: list[pa.Table]) -> pa.Table:
    """The pages as one table, ``_pos`` numbering the records across the batch in order."""
    if len(tables) == 1:
        return tables[0]
    batch = pa.concat_tables(tables)
    position = batch.schema.get_field_index(POSITION)
    return batch.set_column(position, POSITION, positions(batch.num_rows))


def split_results(sizes: list[int], written: list[int]) -> list[PageResult]:
    """Split the batch's written positions (ascending) back into per-page results."""
    results, start = [], 0
    for size in sizes:
        count = bisect.bisect_left(written, start + size) - bisect.bisect_left(written, start)
        results.append(PageResult(received=size, written=count, ignored=size - count))
        start += size
    return results
