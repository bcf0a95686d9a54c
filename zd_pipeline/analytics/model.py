"""What an analytics table is: a name, a description, typed columns, and one set-based ``SELECT`` that builds it.

Contract for every table's SQL:
- it is a single ``SELECT`` (CTEs allowed) over the raw tables in ``{raw}`` and earlier analytics tables in
  ``{analytics}``; :func:`render` replaces those two placeholders with quoted schema names (nothing else in the
  text is touched, so JSON paths and literals need no escaping);
- it returns exactly ``columns`` in order, each cast to its declared type, so the table's schema is stable
  whatever the raw data holds (tests check this against ``DESCRIBE``);
- days are UTC calendar days (``timezone('UTC', ts)::DATE``), never the session's time zone.

Headlines are single-number ``SELECT``s over the built table (and its inputs) that the Dagster layer records as
numeric metadata, so the UI can plot them over time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from zd_pipeline.catalogue import Column

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


@dataclass(frozen=True)
class Headline:
    """One number summarising a table (e.g. the open backlog today); ``sql`` returns one row, one column."""

    name: str
    description: str
    sql: str


@dataclass(frozen=True)
class AnalyticsTable:
    """One table in the analytics schema, rebuilt in full from its inputs by ``sql``.

    ``raw_streams``: catalogue streams it reads (``{raw}.<stream>``); ``upstream``: analytics tables it reads
    (``{analytics}.<table>``), which must be built first. ``preview_order`` orders the few rows shown as a preview.
    ``source_file``: the module holding the SQL (the UI links to it).
    """

    name: str
    description: str
    columns: tuple[Column, ...]
    sql: str
    source_file: Path
    raw_streams: tuple[str, ...]
    upstream: tuple[str, ...] = ()
    headlines: tuple[Headline, ...] = field(default_factory=tuple)
    preview_order: str = "1"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def quote(identifier: str) -> str:
    """A double-quoted SQL identifier."""
    return '"' + identifier.replace('"', '""') + '"'


def validate_schema(schema: str) -> str:
    """Return ``schema`` if it is a plain SQL identifier, else raise ``ValueError`` saying what is allowed."""
    if not isinstance(schema, str) or not _IDENTIFIER.match(schema):
        raise ValueError(
            f"invalid schema name {schema!r}: use letters, digits and underscores, starting with a letter or "
            "underscore, at most 63 characters (e.g. 'zendesk' or 'analytics')"
        )
    return schema


def render(sql: str, raw_schema: str, analytics_schema: str) -> str:
    """``sql`` with ``{raw}`` and ``{analytics}`` replaced by the quoted, validated schema names."""
    raw = quote(validate_schema(raw_schema))
    analytics = quote(validate_schema(analytics_schema))
    return sql.replace("{raw}", raw).replace("{analytics}", analytics)
