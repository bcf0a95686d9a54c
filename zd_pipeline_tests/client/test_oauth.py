"""Refreshing OAuth tokens against the simulator's token endpoint (loopback HTTP): rotation, refusal, no leaks."""

import pytest

from zd_pipeline.catalogue import ORGANIZATIONS
from zd_pipeline.checkpoint import ResumePoint
from zd_pipeline.client import AuthenticationError, ClientConfig, OAuthRefreshAuth, ZendeskClient
from zd_pipeline.clock import ManualClock
from zd_pipeline.simulator import Credentials, Simulator, serve
from zd_pipeline.simulator.oauth import OAuthClient

CLIENT = OAuthClient("client-a", "secret-a-55d1", "refresh-a-0b9e", access_ttl=300)


def _client(base_url: str, clock: ManualClock, refresh_token: str, client_id: str = "client-a") -> ZendeskClient:
    auth = OAuthRefreshAuth(client_id, CLIENT.client_secret, refresh_token)
    return ZendeskClient(ClientConfig(base_url=base_url, auth=auth, requests_per_minute=0), clock=clock)


def test_clients_of_one_process_share_the_rotated_token_and_a_used_refresh_token_is_refused() -> None:
    clock = ManualClock(1_790_000_000.0)
    sim = Simulator(scale="small", seed=0, clock=clock, rate_limit=None, credentials=Credentials())
    issuer = sim.enable_oauth_refresh(CLIENT)
    with serve(sim) as base_url:
        for _ in range(2):  # a second client of the same process goes on from the first one's rotated token
            with _client(base_url, clock, CLIENT.refresh_token) as client:
                assert list(client.iter_pages(ORGANIZATIONS, ResumePoint(start_time=0)))
            clock.advance(CLIENT.access_ttl)
        assert issuer.refreshes == 2
        # Another process (a fresh source: another client id here) holding the revoked first refresh token
        sim.enable_oauth_refresh(OAuthClient("client-b", CLIENT.client_secret, "refresh-b-1"))
        with _client(base_url, clock, CLIENT.refresh_token, "client-b") as client:
            with pytest.raises(AuthenticationError, match="ZENDESK_OAUTH_REFRESH_TOKEN") as caught:
                list(client.iter_pages(ORGANIZATIONS, ResumePoint(start_time=0)))
            assert "invalid_grant" in str(caught.value) and CLIENT.client_secret not in str(caught.value)
            assert CLIENT.refresh_token not in repr(client) + repr(client.config)
