"""The analytics assets, materialized by Dagster on a real DuckDB file holding the hand-designed scenario."""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from zd_pipeline.analytics import TABLES
from zd_pipeline.analytics.backlog import UNSOLVED
from zd_pipeline.catalogue import LISTS, STREAMS
from zd_pipeline.pipeline.analytics_assets import (
    AUTOMATION_SENSOR_NAME,
    build_analytics_assets,
    build_analytics_automation_sensor,
)
from zd_pipeline.pipeline.assets import build_stream_assets
from zd_pipeline.pipeline.checks import build_raw_checks
from zd_pipeline.pipeline.partitions import daily_partitions
from zd_pipeline.pipeline.reference_assets import build_reference_assets
from zd_pipeline.pipeline.resources import WarehouseResource, ZendeskResource
from zd_pipeline.warehouse import Warehouse
from zd_pipeline_tests.analytics import scenario

RAW_STUBS = [dg.AssetSpec(["zendesk", name]) for name in [*STREAMS, *LISTS]]


@pytest.fixture(scope="module")
def materialized(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dg.ExecuteInProcessResult]:
    path = tmp_path_factory.mktemp("assets") / "w.duckdb"
    scenario.load(Warehouse(path))
    result = dg.materialize(
        [*RAW_STUBS, *build_analytics_assets()],
        resources={"warehouse": WarehouseResource(path=str(path))},
        selection=dg.AssetSelection.groups("analytics"),
    )
    return path, result


def _metadata(result: dg.ExecuteInProcessResult, table: str) -> dict[str, object]:
    [materialization] = result.asset_materializations_for_node(f"analytics__{table}")
    return {name: value.value for name, value in materialization.metadata.items()}


def test_every_table_is_built_and_its_row_count_recorded(materialized) -> None:
    path, result = materialized
    assert result.success
    with Warehouse(path).read() as con:
        for table in TABLES:
            rows = con.execute(f"SELECT count(*) FROM analytics.{table.name}").fetchone()[0]
            meta = _metadata(result, table.name)
            assert meta["row_count"] == meta["dagster/row_count"] == rows > 0, table.name


def _first_reply_minutes(ticket: int) -> float | None:
    """Zendesk's reported first reply time, else fulfill − activate of reply_time instance 1."""
    events = {
        e.type: e
        for e in sorted(scenario.METRIC_EVENTS, key=lambda e: e.when, reverse=True)
        if e.ticket == ticket and e.metric == "reply_time" and e.instance == 1
    }
    if "update_status" in events:
        return float(events["update_status"].status["calendar"])
    if "fulfill" in events and "activate" in events:
        return (events["fulfill"].when - events["activate"].when).total_seconds() / 60
    return None


def _fulfilled_at(ticket: int, metric: str) -> datetime | None:
    """When the metric was fulfilled, if its latest clock event is a fulfill (a breach counts only before it)."""
    clock = [
        e
        for e in scenario.METRIC_EVENTS
        if (e.ticket, e.metric) == (ticket, metric) and e.type in ("activate", "pause", "fulfill")
    ]
    latest = max(clock, key=lambda e: e.when, default=None)
    return latest.when if latest is not None and latest.type == "fulfill" else None


def test_headline_figures_are_numbers_matching_the_scenario(materialized) -> None:
    _, result = materialized
    story = scenario.replay()
    live = set(story.state) - set(scenario.DELETED_AT)
    statuses = [story.state[t]["status"] for t in live] + [f["status"] for f in scenario.UNAUDITED_TICKETS.values()]
    first_replies = [m for m in map(_first_reply_minutes, live) if m is not None]
    breached = {
        e.ticket
        for e in scenario.METRIC_EVENTS
        if e.type == "breach" and not e.deleted and e.when < (_fulfilled_at(e.ticket, e.metric) or datetime.now(UTC))
    } & live
    with_sla = {e.ticket for e in scenario.METRIC_EVENTS if e.type == "apply_sla"} & live

    assert _metadata(result, "ticket_backlog_daily")["open_backlog"] == sum(s in UNSOLVED for s in statuses)
    assert _metadata(result, "ticket_reply_times")["median_first_reply_minutes"] == statistics.median(first_replies)
    assert _metadata(result, "sla_breaches_daily")["breach_rate"] == pytest.approx(len(breached) / len(with_sla))
    for table in TABLES:
        meta = _metadata(result, table.name)
        for headline in table.headlines:
            assert isinstance(meta[headline.name], float), (table.name, headline.name)


def test_each_materialization_carries_a_markdown_preview(materialized) -> None:
    _, result = materialized
    for table in TABLES:
        preview = str(_metadata(result, table.name)["preview"])
        lines = preview.splitlines()
        assert lines[0] == "| " + " | ".join(table.column_names) + " |"
        assert 3 <= len(lines) <= 2 + 5


def test_the_ui_gets_descriptions_columns_kinds_owners_deps_and_the_sql() -> None:
    assets = {a.key: a for a in build_analytics_assets("acme", "acme_analytics")}
    assert {k.path[0] for k in assets} == {"acme_analytics"}
    for table in TABLES:
        key = dg.AssetKey(["acme_analytics", table.name])
        spec = next(iter(assets[key].specs))
        assert spec.group_name == "analytics"
        assert spec.description == table.description
        assert spec.kinds == {"duckdb", "sql"} and spec.owners
        assert [c.name for c in spec.metadata["dagster/column_schema"].columns] == list(table.column_names)
        assert {d.asset_key for d in spec.deps} == {
            *(dg.AssetKey(["acme", s]) for s in table.raw_streams),
            *(dg.AssetKey(["acme_analytics", u]) for u in table.upstream),
        }
        assert '"main".' in spec.metadata["sql"].value or not table.raw_streams
        [reference] = spec.metadata["dagster/code_references"].code_references
        lines = Path(reference.file_path).read_text().splitlines()[reference.line_number - 1 :]
        assert lines[0].endswith('= """') and lines[1].startswith(("WITH", "SELECT")), (table.name, lines[:2])
        assert spec.automation_condition is not None


def test_a_bad_schema_name_fails_at_definition_time() -> None:
    with pytest.raises(ValueError, match="invalid schema name"):
        build_analytics_assets("zendesk", "analytics; DROP")


def test_raw_updates_request_exactly_the_analytics_that_read_them() -> None:
    partitions = dg.DailyPartitionsDefinition(start_date="2024-01-01", timezone="UTC", end_offset=1)
    raw = [dg.AssetSpec(["zendesk", name], partitions_def=partitions) for name in STREAMS]
    reference = [dg.AssetSpec(["zendesk", name]) for name in LISTS]
    defs = dg.Definitions(
        assets=[*raw, *reference, *build_analytics_assets()],
        resources={"warehouse": WarehouseResource(path="unused.duckdb")},
    )
    instance = dg.DagsterInstance.ephemeral()
    first = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    assert first.total_requested == 0  # nothing synced yet; old partitions never synced do not block later

    instance.report_runless_asset_event(
        dg.AssetMaterialization(["zendesk", "ticket_metric_events"], partition="2024-03-04")
    )
    after = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
    requested = {key.path[-1] for key in after._requested_partitions_by_asset_key}
    assert requested == {"ticket_reply_times", "ticket_sla_targets", "sla_breaches_daily", "sla_breaches_by_policy"}

    again = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=after.cursor)
    assert again.total_requested == 0


def test_the_automation_sensor_runs_by_default_over_the_analytics_group() -> None:
    sensor = build_analytics_automation_sensor()
    assert sensor.name == AUTOMATION_SENSOR_NAME
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING


def test_analytics_and_checks_load_with_the_real_stream_assets() -> None:
    raw = build_stream_assets("zendesk", daily_partitions(date(2024, 3, 1)))
    reference = build_reference_assets("zendesk")
    defs = dg.Definitions(
        assets=[raw, reference, *build_analytics_assets()],
        asset_checks=build_raw_checks(),
        sensors=[build_analytics_automation_sensor()],
        resources={"warehouse": WarehouseResource(path="unused.duckdb"), "zendesk": ZendeskResource()},
    )
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    raw_keys = set(raw.keys) | set(reference.keys)
    for table in TABLES:
        parents = graph.get(dg.AssetKey(["analytics", table.name])).parent_keys
        assert {k for k in parents if k.path[0] == "zendesk"} <= raw_keys  # no dangling raw dependency
    checked = {key.asset_key for checks in build_raw_checks() for key in checks.check_keys}
    assert checked == set(raw.keys)


def test_a_build_that_runs_out_of_duckdb_memory_fails_naming_the_setting_and_keeps_the_raw_tables(
    tmp_path: Path,
) -> None:
    path = tmp_path / "w.duckdb"
    scenario.load(Warehouse(path))
    tickets = Warehouse(path).row_count("tickets")
    result = dg.materialize(
        [*RAW_STUBS, *build_analytics_assets()],
        resources={"warehouse": WarehouseResource(path=str(path), memory_limit="1MB")},
        selection=dg.AssetSelection.groups("analytics"),
        raise_on_error=False,
    )
    assert not result.success
    failures = [e for e in result.all_events if e.is_step_failure]
    message = failures[0].step_failure_data.error.to_string()
    assert "ZD_DUCKDB_MEMORY_LIMIT" in message and "1MB" in message, message
    assert Warehouse(path).row_count("tickets") == tickets


def test_the_sql_the_demo_prints_works_verbatim_in_a_fresh_read_only_session(materialized) -> None:
    """Raw tables and analytics tables land in the published file under plain names: no USE, no three parts."""
    from zd_pipeline.pipeline.commands.demo import ANALYTICS_SQL, FIRST_QUERIES, SAMPLE_SQL

    path, result = materialized
    assert result.success
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute(SAMPLE_SQL).fetchall()
        assert len(con.execute(ANALYTICS_SQL).fetchall()) == 5
        for sql in FIRST_QUERIES:
            assert con.execute(sql).fetchall(), sql
        assert con.execute("SELECT count(*) FROM w.tickets").fetchone()[0] > 0  # the file's name as catalog
