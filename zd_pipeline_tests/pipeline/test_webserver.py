"""Smoke test: the real dagster-webserver loads the code location, on an instance configured by the project's
``dagster.yaml`` (its event log storage), and shows what a sync stored there."""

import os

import httpx

from zd_pipeline import settings as cfg
from zd_pipeline.catalogue import LISTS, STREAMS
from zd_pipeline.pipeline.commands.sync import prepare_dagster_home
from zd_pipeline.pipeline.runs import run_sync
from zd_pipeline_tests.pipeline.webserver_harness import running_webserver

QUERY = """
{
  assetNodes { assetKey { path } }
  repositoriesOrError { ... on RepositoryConnection { nodes { sensors { name } schedules { name } } } }
  assetNodeOrError(assetKey: {path: ["zendesk", "organizations"]}) {
    ... on AssetNode { partitionStats { numMaterialized numPartitions numFailed } }
  }
  runsOrError { ... on Runs { results { runId status } } }
}
"""


def test_webserver_lists_every_asset_the_sensor_the_schedule_and_a_sync(tmp_path, pipeline_env) -> None:
    prepare_dagster_home(cfg.Settings.from_env(pipeline_env))
    outcome = run_sync(pipeline_env, ["organizations"])
    assert outcome.success, outcome.failure
    with running_webserver({**os.environ, **pipeline_env}, tmp_path) as url:
        data = httpx.post(f"{url}/graphql", json={"query": QUERY}, timeout=30).json()["data"]
    assets = {"/".join(node["assetKey"]["path"]) for node in data["assetNodes"]}
    assert {f"zendesk/{name}" for name in [*STREAMS, *LISTS]} <= assets
    repository = data["repositoriesOrError"]["nodes"][0]
    assert {s["name"] for s in repository["sensors"]} >= {"zendesk_sync_sensor"}
    assert {s["name"] for s in repository["schedules"]} == {
        "zendesk_daily_resync",
        "zendesk_reference_refresh_schedule",
    }
    assert {(run["runId"], run["status"]) for run in data["runsOrError"]["results"]} == {(outcome.run_id, "SUCCESS")}
    stats = data["assetNodeOrError"]["partitionStats"]
    assert stats["numMaterialized"] == stats["numPartitions"] > 1  # the full sync's every day, as stored
    assert stats["numFailed"] == 0
