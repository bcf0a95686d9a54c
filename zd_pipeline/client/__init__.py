"""The Zendesk incremental-export client: every record exactly once, at the rate limit, nothing leaked.

Knows nothing of Dagster or DuckDB. Typical use::

    config = ClientConfig(subdomain="acme", auth=ApiTokenAuth("admin@acme.com", token))
    with ZendeskClient(config) as client:
        for page in client.iter_pages(TICKETS, ResumePoint(start_time=1700000000)):
            store(page.records, page.resume)   # commit both together
"""

from zd_pipeline.client.client import Page, ZendeskClient
from zd_pipeline.client.config import ApiTokenAuth, ClientConfig, OAuthAuth, OAuthRefreshAuth
from zd_pipeline.client.errors import (
    AuthenticationError,
    BadRequestError,
    FeatureNotOfferedError,
    ForeignHostError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    RetriesExhaustedError,
    ZendeskError,
)
from zd_pipeline.client.lists import ListClient, ListPage
from zd_pipeline.client.stats import ClientStats, StreamCounts

__all__ = [
    "ApiTokenAuth",
    "AuthenticationError",
    "BadRequestError",
    "ClientConfig",
    "ClientStats",
    "FeatureNotOfferedError",
    "ForeignHostError",
    "InvalidResponseError",
    "ListClient",
    "ListPage",
    "NotFoundError",
    "OAuthAuth",
    "OAuthRefreshAuth",
    "Page",
    "PermissionDeniedError",
    "RetriesExhaustedError",
    "StreamCounts",
    "ZendeskClient",
    "ZendeskError",
]
