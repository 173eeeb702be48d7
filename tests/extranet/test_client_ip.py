"""The address login throttling counts failures under, behind reverse proxies or not."""

from django.test import RequestFactory, override_settings

from extranet.auth import client_ip


def request(remote: str, forwarded: str | None = None) -> object:
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


@override_settings(PROXY_COUNT=0)
def test_without_proxy_it_uses_the_connection_address_and_ignores_the_header() -> None:
    assert client_ip(request("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


@override_settings(PROXY_COUNT=1)
def test_behind_one_proxy_it_takes_the_address_the_proxy_appended() -> None:
    # The client forged "1.2.3.4"; the proxy appended the real address last.
    assert client_ip(request("10.0.0.2", "1.2.3.4, 203.0.113.7")) == "203.0.113.7"


@override_settings(PROXY_COUNT=2)
def test_behind_two_proxies_it_counts_from_the_right() -> None:
    assert client_ip(request("10.0.0.3", "1.2.3.4, 203.0.113.7, 10.0.0.2")) == "203.0.113.7"


@override_settings(PROXY_COUNT=2)
def test_a_short_header_falls_back_to_the_connection_address() -> None:
    assert client_ip(request("10.0.0.3", "203.0.113.7")) == "10.0.0.3"
