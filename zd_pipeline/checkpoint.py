"""Resume points and checkpoints: plain values shared by the client (which produces them), the warehouse
(which stores them atomically with each page) and the Dagster layer (which passes them between runs).

Nothing here knows about HTTP, DuckDB or Dagster.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class ResumePoint:
    """Where an export continues: a ``cursor`` when the export has handed one out, else a ``start_time``.

    Exactly one of the two is set. Serialises to and from a small JSON-able dict (stored in the warehouse's
    sync state and passed in run config; it holds no secret).
    """

    start_time: int | None = None
    cursor: str | None = None

    def __post_init__(self) -> None:
        if (self.start_time is None) == (self.cursor is None):
            raise ValueError("a ResumePoint holds exactly one of start_time or cursor")

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ResumePoint:
        return cls(start_time=data.get("start_time"), cursor=data.get("cursor"))


@dataclass(frozen=True)
class Checkpoint:
    """The state of one stream's sync over one window ``[window_start, window_end)`` (epoch seconds).

    ``resume`` is where to continue after the last applied page; ``high_water_mark`` is the newest ordering
    timestamp applied so far (epoch seconds, ``None`` before any record); ``complete`` is true once the window
    has been paged to its end.
    """

    stream: str
    window_start: int
    window_end: int
    resume: ResumePoint
    high_water_mark: int | None = None
    complete: bool = False
