from __future__ import annotations

from pathlib import Path

import duckdb

from zd_pipeline.analytics import TABLES, build_all
from zd_pipeline.analytics.answers import answers
from zd_pipeline.warehouse import Warehouse


def test_answers_state_the_scenarios_figures(con: duckdb.DuckDBPyConnection) -> None:
    by_question = {a.question: a.answer for a in answers(con)}
    assert by_question == {
        # T3 on hold is the only unsolved ticket at the end of D3 (T2 was reopened and solved again that day).
        "How big is the backlog?": "1 unsolved ticket at the end of 2024-03-07",
        # first replies 30, 1320, 20, 45 min → median 37.5; business 30, 480, 20 → 30; full 1560, 4740, 300.
        "How fast do we reply and resolve?": (
            "median first reply 38m (30m in business hours), median full resolution 1d 2h"
        ),
        "Where do we breach SLAs?": "33% of tickets with an SLA breached one; most breaches: Standard / reply_time "
        "(1 of 2 tickets)",
        "Who carries the load?": "user 100 over the last 7 days: 3 tickets solved, 4 touched",
    }


def test_an_empty_account_gets_answers_not_errors(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "empty.duckdb")
    warehouse.ensure_tables()
    with warehouse.write() as con:
        build_all(con, TABLES, "zendesk", "analytics")
        assert [a.answer for a in answers(con)] == [
            "no tickets yet",
            "no replies measured yet",
            "no SLA targets applied yet",
            "no agent activity yet",
        ]
