"""Account plans: below Enterprise the routing exports answer Zendesk's 403; the admin API switches the plan."""

from __future__ import annotations

import httpx
import pytest

from zd_pipeline.catalogue import STREAMS
from zd_pipeline.simulator import Simulator
from zd_pipeline.simulator.plans import ACCESS_DENIED

ROUTING = [s.time_path for s in STREAMS.values() if s.plan_feature == "skill_based_routing"]


def test_routing_exports_answer_403_below_enterprise_and_200_after_an_upgrade(
    client: httpx.Client, sim: Simulator, base_url: str
) -> None:
    with httpx.Client(base_url=base_url) as admin:
        assert admin.post("/_sim/plan", json={"plan": "professional"}).json() == {"plan": "professional"}
        assert admin.get("/_sim/info").json()["plan"] == "professional"
        for path in ROUTING:
            response = client.get(path, params={"start_time": 0})
            assert response.status_code == 403
            assert response.json() == {"error": "Forbidden", "description": ACCESS_DENIED}
        assert client.get(STREAMS["tickets"].time_path, params={"start_time": 0}).status_code == 200
        assert admin.post("/_sim/plan", json={"plan": "enterprise"}).status_code == 200
    assert len(ROUTING) == 3
    assert all(client.get(path, params={"start_time": 0}).status_code == 200 for path in ROUTING)


def test_unknown_plans_are_refused_naming_the_choices(base_url: str) -> None:
    with httpx.Client(base_url=base_url) as admin:
        response = admin.post("/_sim/plan", json={"plan": "gold"})
    assert response.status_code == 400 and "team, professional, enterprise" in response.json()["description"]
    with pytest.raises(ValueError, match="unknown plan 'gold'"):
        Simulator(scale="small", plan="gold")


def test_credentials_are_checked_before_the_plan(sim: Simulator, base_url: str) -> None:
    sim.set_plan("team")
    with httpx.Client(base_url=base_url) as anonymous:
        assert anonymous.get(ROUTING[0], params={"start_time": 0}).status_code == 401
