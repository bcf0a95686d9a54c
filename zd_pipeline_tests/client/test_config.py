"""ClientConfig and the auth objects: bad values fail with the field's name; secrets never print."""

import base64

import pytest

from zd_pipeline.client import ApiTokenAuth, ClientConfig, OAuthAuth

AUTH = ApiTokenAuth("admin@example.com", "s3cr3t-token")


def test_subdomain_gives_the_zendesk_origin() -> None:
    assert ClientConfig(subdomain="acme", auth=AUTH).origin == "https://acme.zendesk.com"


def test_base_url_is_kept_without_trailing_slash() -> None:
    assert ClientConfig(base_url="http://127.0.0.1:8765/", auth=AUTH).origin == "http://127.0.0.1:8765"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "base_url or subdomain"),
        ({"base_url": "http://x", "subdomain": "acme"}, "base_url or subdomain"),
        ({"subdomain": "acme.zendesk.com"}, "subdomain"),
        ({"base_url": "ftp://host"}, "base_url"),
        ({"base_url": "http://127.0.0.1:99999"}, "base_url"),
        ({"subdomain": "acme", "per_page": 0}, "per_page"),
        ({"subdomain": "acme", "per_page": 1001}, "per_page"),
        ({"subdomain": "acme", "per_page": True}, "per_page"),
        ({"subdomain": "acme", "requests_per_minute": -1}, "requests_per_minute"),
        ({"subdomain": "acme", "timeout": 0}, "timeout"),
        ({"subdomain": "acme", "max_retries": -1}, "max_retries"),
        ({"subdomain": "acme", "backoff_base": -1.0}, "backoff_base"),
    ],
)
def test_bad_values_name_the_field(kwargs: dict, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        ClientConfig(**{"auth": AUTH, **kwargs})


def test_auth_is_required() -> None:
    with pytest.raises(ValueError, match="auth"):
        ClientConfig(subdomain="acme")


def test_base_url_with_credentials_is_refused_without_echoing_them() -> None:
    with pytest.raises(ValueError, match="must not carry credentials") as info:
        ClientConfig(base_url="ftp://user:hunter2@host", auth=AUTH)
    assert "hunter2" not in str(info.value)


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: ApiTokenAuth("nobody", "t"), "email"),
        (lambda: ApiTokenAuth("a@b.c", " "), "token"),
        (lambda: OAuthAuth(""), "token"),
    ],
)
def test_bad_credentials_are_refused(make, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        make()


def test_secrets_are_hidden_from_repr_and_str() -> None:
    oauth = OAuthAuth("oauth-s3cr3t")
    for value in (AUTH, oauth, ClientConfig(subdomain="acme", auth=AUTH), ClientConfig(subdomain="a", auth=oauth)):
        assert "s3cr3t" not in repr(value)
        assert "s3cr3t" not in str(value)
    assert "admin@example.com" in repr(AUTH)


def test_headers_follow_zendesk_formats() -> None:
    assert AUTH.header() == "Basic " + base64.b64encode(b"admin@example.com/token:s3cr3t-token").decode()
    assert OAuthAuth("abc").header() == "Bearer abc"
