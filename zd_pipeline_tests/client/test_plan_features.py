"""A plan-gated export the account's plan does not offer raises ``FeatureNotOfferedError`` at once, against the
simulator over loopback HTTP; every other 403 stays a permission error."""

from __future__ import annotations

import httpx
import pytest

from zd_pipeline.catalogue import ROUTING_ATTRIBUTES, TICKETS
from zd_pipeline.checkpoint import ResumePoint
from zd_pipeline.client import FeatureNotOfferedError, PermissionDeniedError
from zd_pipeline.client.errors import error_for_response
from zd_pipeline_tests.client.test_client import NOW, running

FORBIDDEN = {"error": "Forbidden", "description": "You do not have access to this page."}


def test_a_routing_export_below_enterprise_raises_feature_not_offered_after_one_request() -> None:
    with running() as (sim, client, _clock):
        sim.set_plan("professional")
        with pytest.raises(FeatureNotOfferedError, match="plan does not offer this export") as info:
            list(client.iter_pages(ROUTING_ATTRIBUTES, ResumePoint(start_time=int(NOW) - 86_400)))
        assert info.value.feature == "skill_based_routing" and info.value.stream == "routing_attributes"
        assert [entry[4] for entry in sim.request_log] == [403]
        pages = list(client.iter_pages(TICKETS, ResumePoint(start_time=int(NOW) - 86_400)))
        assert pages and pages[-1].end_of_stream
        sim.set_plan("enterprise")
        assert list(client.iter_pages(ROUTING_ATTRIBUTES, ResumePoint(start_time=0)))[-1].end_of_stream


def test_a_403_on_an_export_every_plan_has_is_a_permission_error() -> None:
    response = httpx.Response(403, json=FORBIDDEN)
    error = error_for_response(response, "tickets", "https://x.zendesk.com/api/v2/incremental/tickets.json")
    assert type(error) is PermissionDeniedError and "admin" in str(error)
    gated = error_for_response(response, "routing_instance_values", "https://x.zendesk.com/api/v2/x")
    assert isinstance(gated, FeatureNotOfferedError) and isinstance(gated, PermissionDeniedError)
