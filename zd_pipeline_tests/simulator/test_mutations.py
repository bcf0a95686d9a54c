"""Changes "now": new versions, events consistent with them, and incremental exports that see them."""

from __future__ import annotations

import httpx

from zd_pipeline.catalogue import STREAMS, TICKETS, Pagination
from zd_pipeline.clock import ManualClock
from zd_pipeline.simulator import Simulator
from zd_pipeline_tests.simulator.exporting import export, newest_per_id, touched_ids


def test_mutations_write_new_versions_events_and_tombstones(sim: Simulator, clock: ManualClock) -> None:
    newest_before = {
        name: max((STREAMS[name].ordering_epoch(r) for r in sim.truth(name)), default=0) for name in STREAMS
    }
    touched = sim.mutate(updates=6, creates=4, deletes=2, seed=1)
    clock.advance(61)
    tickets = {t["id"]: t for t in sim.truth("tickets")}
    assert [len(touched["tickets"][k]) for k in ("created", "updated", "deleted")] == [4, 6, 2]
    assert len(touched["ticket_events"]["created"]) == 12
    assert {tickets[i]["status"] for i in touched["tickets"]["deleted"]} == {"deleted"}
    assert {tickets[i]["status"] for i in touched["tickets"]["created"]} == {"new"}
    assert not {tickets[i]["status"] for i in touched["tickets"]["updated"]} & {"new", "deleted"}
    assert touched["users"]["updated"] and touched["users"]["created"] and touched["users"]["deleted"]
    assert touched["organizations"]["created"] and touched["routing_instance_values"]["created"]
    assert touched["routing_attribute_values"]["updated"]
    assert touched["ticket_metric_events"]["created"]
    for name in touched:
        stream, ids = STREAMS[name], touched_ids(touched, name)
        records = [r for r in sim.truth(name) if r["id"] in set(ids)]
        if stream.history_key:  # a change log serves every change of an id: the new ones are the mutation's
            records = [r for r in records if stream.ordering_epoch(r) > newest_before[name]]
            assert sorted(r["id"] for r in records) == sorted(ids), name
        assert len(records) == len(ids), name
        assert all(stream.ordering_epoch(r) > newest_before[name] for r in records), name
    users = {u["id"]: u for u in sim.truth("users")}
    assert all(not users[i]["active"] for i in touched["users"]["deleted"])


def test_each_ticket_change_has_an_audit_leading_to_its_status(sim: Simulator, clock: ManualClock) -> None:
    touched = sim.mutate(updates=5, deletes=1, seed=2)
    clock.advance(61)
    tickets = {t["id"]: t for t in sim.truth("tickets") if t["id"] in touched_ids(touched, "tickets")}
    audits = [e for e in sim.truth("ticket_events") if e["id"] in touched_ids(touched, "ticket_events")]
    assert sorted(a["ticket_id"] for a in audits) == sorted(tickets)
    for audit in audits:
        status_changes = [c for c in audit["child_events"] if c.get("field_name") == "status"]
        if status_changes:
            assert status_changes[-1]["value"] == tickets[audit["ticket_id"]]["status"]


def test_repeated_mutations_keep_one_version_per_id_and_order(sim: Simulator, clock: ManualClock) -> None:
    for n in range(4):
        sim.mutate(updates=30, creates=5, seed=n)
    clock.advance(61)
    tickets = sim.truth("tickets")
    assert len({t["id"] for t in tickets}) == len(tickets)
    keys = [(t["generated_timestamp"], t["id"]) for t in tickets]
    assert keys == sorted(keys)


def test_an_incremental_export_from_the_last_end_time_sees_exactly_the_changes(
    client: httpx.Client, sim: Simulator, clock: ManualClock
) -> None:
    _items, pages = export(client, TICKETS, Pagination.TIME)
    checkpoint = pages[-1]["end_time"]
    clock.advance(120)
    touched = sim.mutate(updates=8, creates=3, deletes=1, seed=5)
    clock.advance(61)
    items, _pages = export(client, TICKETS, Pagination.TIME, start_time=checkpoint)
    changed = {t["id"] for t in items if t["generated_timestamp"] > checkpoint}
    assert changed == set(touched_ids(touched, "tickets"))
    assert newest_per_id(TICKETS, items)[-len(changed) :] == sim.truth("tickets")[-len(changed) :]


def test_the_same_seed_makes_the_same_changes(clock: ManualClock) -> None:
    first = Simulator(seed=4, clock=ManualClock(clock.now()), rate_limit=None).mutate(updates=5, creates=2, seed=9)
    second = Simulator(seed=4, clock=ManualClock(clock.now()), rate_limit=None).mutate(updates=5, creates=2, seed=9)
    assert first == second
