"""Analytics over the raw Zendesk tables, in DuckDB SQL only (no Dagster here, no Python loops over rows).

Each module holds one subject's SQL and table description; :data:`TABLES` lists them in build order (a table
comes after the analytics tables it reads). The Dagster layer (``zd_pipeline.pipeline.analytics_assets``) turns
each into an asset; :mod:`.quality` holds the SQL of the raw tables' asset checks; :mod:`.answers` turns the
built tables into a few plain-language answers for the CLI.
"""

from __future__ import annotations

from . import backlog, field_history, reference, reply_times, satisfaction, sla, workload
from .build import build_all, build_sql, build_table, headlines, markdown_table, preview_rows, row_count
from .model import AnalyticsTable, Headline, render

TABLES: tuple[AnalyticsTable, ...] = (
    field_history.TABLE,
    backlog.TABLE,
    reply_times.TABLE,
    sla.TARGETS,
    sla.DAILY,
    workload.TABLE,
    satisfaction.TABLE,
    *reference.TABLES,
)


def get_table(name: str) -> AnalyticsTable:
    """The analytics table called ``name``; raises ``KeyError`` naming the known ones."""
    for table in TABLES:
        if table.name == name:
            return table
    raise KeyError(f"unknown analytics table {name!r}; known: {', '.join(t.name for t in TABLES)}")


__all__ = [
    "TABLES",
    "AnalyticsTable",
    "Headline",
    "build_all",
    "build_sql",
    "build_table",
    "get_table",
    "headlines",
    "markdown_table",
    "preview_rows",
    "render",
    "row_count",
]
