"""An account added to the accounts file appears in the running webserver after a reload of the code location, with
no code change and no restart (what the UI's "Reload" button and ``dagster dev``'s reload do)."""

import os
from pathlib import Path

import httpx

from zd_pipeline import settings as cfg
from zd_pipeline_tests.pipeline.webserver_harness import graphql, running_webserver

SENSORS = """
{
  workspaceOrError { ... on Workspace { locationEntries { name } } }
  repositoriesOrError { ... on RepositoryConnection { nodes { sensors { name } schedules { name } } } }
}
"""
RELOAD = """
mutation ($name: String!) {
  reloadRepositoryLocation(repositoryLocationName: $name) {
    __typename
    ... on WorkspaceLocationEntry { locationOrLoadError { __typename } }
  }
}
"""


def _entry(name: str, subdomain: str) -> str:
    return f"  - name: {name}\n    subdomain: {subdomain}\n    oauth_token_env: {name.upper()}_OAUTH_TOKEN\n"


def test_a_reload_picks_up_an_added_and_a_removed_account(tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.yaml"
    accounts.write_text("accounts:\n" + _entry("acme", "acme") + _entry("globex", "globex"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENDESK_", "ZD_", "DAGSTER_"))}
    env |= {cfg.ENV_ACCOUNTS_FILE: str(accounts), cfg.ENV_DAGSTER_HOME: str(tmp_path / "dagster_home")}
    (tmp_path / "dagster_home").mkdir()
    with running_webserver(env, tmp_path) as url:
        before = graphql(url, SENSORS)
        accounts.write_text("accounts:\n" + _entry("acme", "acme") + _entry("initech", "initech"))
        (location,) = [entry["name"] for entry in before["workspaceOrError"]["locationEntries"]]
        # the reload starts a new code server process: slower than the harness's 30 s on a loaded machine
        answer = httpx.post(f"{url}/graphql", json={"query": RELOAD, "variables": {"name": location}}, timeout=300)
        reloaded = answer.json()["data"]["reloadRepositoryLocation"]
        after = graphql(url, SENSORS)
    assert reloaded["__typename"] == "WorkspaceLocationEntry"
    assert reloaded["locationOrLoadError"]["__typename"] == "RepositoryLocation"

    def schedules(data: dict) -> set[str]:
        return {s["name"] for s in data["repositoriesOrError"]["nodes"][0]["schedules"]}

    def sensors(data: dict) -> set[str]:
        return {s["name"] for s in data["repositoriesOrError"]["nodes"][0]["sensors"]}

    daily, reference = "{}_daily_resync", "{}_reference_refresh_schedule"
    assert schedules(before) == {s.format(a) for s in (daily, reference) for a in ("acme", "globex")}
    assert {"acme_sync_sensor", "globex_sync_sensor", "globex_analytics_automation_sensor"} <= sensors(before)
    assert schedules(after) == {s.format(a) for s in (daily, reference) for a in ("acme", "initech")}
    assert {"acme_sync_sensor", "initech_sync_sensor"} <= sensors(after)
    assert not {name for name in sensors(after) if name.startswith("globex")}
