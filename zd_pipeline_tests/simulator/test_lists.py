"""The reference list endpoints: the world's ids, cursor pages, the plan's 403, auth, rate limit and admin deletes."""

import httpx

from zd_pipeline.catalogue import LISTS, to_epoch
from zd_pipeline.clock import ManualClock
from zd_pipeline.settings import DEMO_API_TOKEN, DEMO_EMAIL
from zd_pipeline.simulator import Simulator, serve
from zd_pipeline.simulator import service_levels as sl
from zd_pipeline.simulator import vocab as v
from zd_pipeline.simulator.auth import Credentials

from .conftest import T0


def test_lists_carry_the_ids_the_tickets_use(sim: Simulator) -> None:
    assert [g["id"] for g in sim.list_truth("groups")] == list(v.GROUP_IDS)
    fields = {f["id"]: f for f in sim.list_truth("ticket_fields")}
    assert {v.CUSTOM_FIELD_PRODUCT, v.CUSTOM_FIELD_REGION, v.CUSTOM_FIELD_ORDER} <= fields.keys()
    assert {o["value"] for o in fields[v.CUSTOM_FIELD_REGION]["custom_field_options"]} == set(v.REGIONS)
    assert [(p["id"], p["title"]) for p in sim.list_truth("sla_policies")] == [(p.id, p.title) for p in sl.SLA_POLICIES]
    (schedule,) = sim.list_truth("schedules")
    assert schedule["id"] == sl.SCHEDULE.id and len(schedule["holidays"]) == len(sl.SCHEDULE.holidays)
    tickets = {t["id"]: t for t in sim.truth("tickets")}
    brand_ids = {b["id"] for b in sim.list_truth("brands")}
    assert {t["brand_id"] for t in tickets.values()} <= brand_ids
    ratings = sim.list_truth("satisfaction_ratings")
    for rating in ratings[:50]:
        embedded = tickets[rating["ticket_id"]]["satisfaction_rating"]
        assert (embedded["id"], embedded["score"], embedded["comment"]) == (
            rating["id"],
            rating["score"],
            rating["comment"],
        )
    rated = [t for t in tickets.values() if (t["satisfaction_rating"] or {}).get("id")]
    assert len(rated) == len(ratings)


def test_cursor_pages_follow_links_next_until_has_more_is_false(sim: Simulator, client: httpx.Client) -> None:
    items, url, pages = [], "/api/v2/group_memberships.json?page[size]=7", 0
    while url:
        body = client.get(url).raise_for_status().json()
        items += body["group_memberships"]
        pages += 1
        url = body["links"]["next"] if body["meta"]["has_more"] else None
    assert items == sim.list_truth("group_memberships") and pages == -(-len(items) // 7)
    assert client.get("/api/v2/groups?page[size]=101").status_code == 400
    assert client.get("/api/v2/groups?page[size]=5&page[after]=bogus").status_code == 400
    whole = client.get("/api/v2/slas/policies.json").json()
    assert whole["next_page"] is None and whole["count"] == len(sl.SLA_POLICIES)


def test_ratings_filter_on_start_time(sim: Simulator, client: httpx.Client) -> None:
    ratings = sim.list_truth("satisfaction_ratings")
    middle = ratings[len(ratings) // 2]["created_at"]
    since = to_epoch(middle)
    body = client.get(f"/api/v2/satisfaction_ratings?start_time={since}&page[size]=100").json()
    assert [r["id"] for r in body["satisfaction_ratings"]] == [r["id"] for r in ratings if r["created_at"] >= middle][
        :100
    ]
    assert client.get("/api/v2/satisfaction_ratings?start_time=soon").status_code == 400


def test_plan_auth_rate_limit_and_admin_delete() -> None:
    clock = ManualClock(T0)
    sim = Simulator(
        scale="small", seed=3, clock=clock, rate_limit=3, credentials=Credentials.demo(), features_off=("sla_policies",)
    )
    with serve(sim) as url, httpx.Client(base_url=url, auth=(f"{DEMO_EMAIL}/token", DEMO_API_TOKEN)) as client:
        assert httpx.get(f"{url}/api/v2/groups").status_code == 401
        forbidden = client.get("/api/v2/slas/policies")
        assert forbidden.status_code == 403 and "SLA" in forbidden.json()["description"]
        assert forbidden.headers["x-rate-limit-remaining"] == "2"  # one budget for every list endpoint
        assert client.get("/api/v2/brands").headers["x-rate-limit-remaining"] == "1"
        client.get("/api/v2/custom_statuses")
        limited = client.get("/api/v2/groups")
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
        assert client.get("/api/v2/incremental/organizations.json?start_time=0").status_code == 200  # exports apart
        deleted = client.post("/_sim/lists/groups/delete?id=360000002").json()
        assert deleted == {"deleted": True} and 360_000_002 not in {g["id"] for g in sim.list_truth("groups")}
        assert client.get("/_sim/lists/nope").status_code == 404
        assert sim.list_truth("sla_policies") == [] and "sla_policies" in LISTS
