from __future__ import annotations

from collections import defaultdict
from datetime import date

import duckdb
import pytest

from . import scenario
from .conftest import rows


def _rating_days() -> dict[int, tuple[date, str]]:
    """Each rated ticket's score and day: the update that set the score, else the ticket's last update."""
    story = scenario.replay()
    days = {}
    for ticket, score in scenario.SATISFACTION.items():
        scored = [c["when"] for c in story.changes if c["ticket"] == ticket and c["field"] == "satisfaction_score"]
        days[ticket] = ((max(scored) if scored else story.updated[ticket]).date(), score)
    for ticket, facts in scenario.UNAUDITED_TICKETS.items():
        days[ticket] = (facts["updated_at"].date(), facts["satisfaction_rating"]["score"])
    return days


def test_ratings_per_day_and_score(con: duckdb.DuckDBPyConnection) -> None:
    expected: dict[date, dict[str, object]] = defaultdict(
        lambda: dict.fromkeys(("good", "bad", "offered", "unoffered"), 0)
    )
    for day, score in _rating_days().values():
        expected[day][score] += 1
    for counts in expected.values():
        rated = counts["good"] + counts["bad"]
        counts["satisfaction_score"] = pytest.approx(counts["good"] / rated) if rated else None
    table = {r.pop("day"): r for r in rows(con, "SELECT * FROM analytics.satisfaction_daily")}
    assert table == dict(expected)
