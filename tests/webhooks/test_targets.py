"""The SSRF rules themselves, without a database: a URL's form, every kind of address, and the
pinned target the worker connects to."""

import asyncio
import ipaddress

import pytest

from invoicing.webhooks import targets
from invoicing.webhooks.targets import Refusal, Target, TargetRefused, check_url_form, classify, resolve_target
from tests.webhooks.support import PUBLIC_ADDRESS, FakeResolver


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://hooks.example.com/", "must be an http or https URL"),
        ("javascript:alert(1)", "must be an http or https URL"),
        ("https:///hook", "must name a host"),
        ("https://user:pass@hooks.example.com/", "must not carry a user name or password"),
        ("https://hooks.example.com@evil.example/", "must not carry a user name or password"),
        ("https://hooks.example.com:0/", "must have a port from 1 to 65535"),
        ("https://hooks.example.com:65536/", "is not a valid URL"),
        ("https://hooks.example.com:http/", "is not a valid URL"),
        ("https://hooks.example.com/a b", "contains a blank or a control character"),
        ("https://hooks.example.com/\n", "contains a blank or a control character"),
        ("https://hooks.example.com/" + "a" * 2048, "is longer than 2048 characters"),
    ],
)
def test_a_url_of_the_wrong_form_says_why(url: str, problem: str) -> None:
    found = check_url_form(url)
    assert found is not None
    assert found.startswith(problem)


@pytest.mark.parametrize(
    "url", ["https://hooks.example.com/in", "HTTP://hooks.example.com:8080/in?x=1", "https://[2606:4700::1111]/"]
)
def test_a_url_of_the_right_form_passes(url: str) -> None:
    assert check_url_form(url) is None


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.168.0.1", "private"),
        ("100.64.0.1", "shared (CGNAT)"),
        ("100.127.255.254", "shared (CGNAT)"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 (an address classified, nothing binds)
        ("224.0.0.251", "multicast"),
        ("239.255.255.250", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("192.0.2.10", "reserved (documentation)"),
        ("198.18.0.1", "reserved (benchmarking)"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fc00::1", "unique-local"),
        ("fd12:3456::1", "unique-local"),
        ("ff02::1", "multicast"),
        ("2001:db8::1", "reserved (documentation)"),
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:127.0.0.1", "loopback"),
        ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
        ("2002:a00:1::", "private"),  # 6to4 of 10.0.0.1
        ("::a00:1", "reserved"),  # IPv4-compatible, deprecated
    ],
)
def test_every_kind_of_non_public_address_is_private_with_its_name(address: str, kind: str) -> None:
    assert classify(ipaddress.ip_address(address)) == (Refusal.PRIVATE_ADDRESS, kind)


@pytest.mark.parametrize(
    "address",
    ["169.254.169.254", "169.254.0.1", "fe80::1", "febf::1", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe"],
)
def test_link_local_addresses_in_every_spelling_are_link_local(address: str) -> None:
    assert classify(ipaddress.ip_address(address)) == (Refusal.LINK_LOCAL_ADDRESS, "link-local")


@pytest.mark.parametrize(
    "address",
    [PUBLIC_ADDRESS, "8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "64:ff9b::808:808"],
)
def test_public_addresses_pass(address: str) -> None:
    assert classify(ipaddress.ip_address(address)) is None


async def test_the_target_pins_the_first_address_and_keeps_the_host_for_host_and_sni(
    resolver: FakeResolver,
) -> None:
    resolver.answers["hooks.example.com"] = ["2606:4700::1111", PUBLIC_ADDRESS]
    target = await resolve_target("HTTPS://Hooks.Example.com/in/bound?x=1#frag", allow_private=False)
    assert target == Target(
        scheme="https", host="hooks.example.com", port=443, path="/in/bound?x=1", address="2606:4700::1111"
    )
    assert target.host_header == "hooks.example.com"


async def test_a_target_with_a_port_and_an_ipv6_literal() -> None:
    target = await resolve_target("http://[2606:4700::1111]:8080", allow_private=False)
    assert (target.host, target.port, target.path, target.address) == ("2606:4700::1111", 8080, "/", "2606:4700::1111")
    assert target.host_header == "[2606:4700::1111]:8080"


async def test_private_addresses_are_taken_when_allowed_and_link_local_never(resolver: FakeResolver) -> None:
    resolver.answers["lan.example"] = ["192.168.1.20"]
    assert (await resolve_target("http://lan.example/", allow_private=True)).address == "192.168.1.20"
    resolver.answers["lan.example"] = ["192.168.1.20", "169.254.169.254"]
    with pytest.raises(TargetRefused) as refused:
        await resolve_target("http://lan.example/", allow_private=True)
    assert refused.value.reason_code is Refusal.LINK_LOCAL_ADDRESS


async def test_a_malformed_url_is_refused_before_any_lookup(resolver: FakeResolver) -> None:
    with pytest.raises(TargetRefused) as refused:
        await resolve_target("https://user@hooks.example.com/", allow_private=False)
    assert refused.value.reason_code is Refusal.INVALID_URL
    assert resolver.asked == []


async def test_a_lookup_that_hangs_is_refused_after_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    async def hanging(host: str, port: int) -> list[str]:
        await asyncio.sleep(60)
        return [PUBLIC_ADDRESS]

    monkeypatch.setattr(targets, "lookup", hanging)
    monkeypatch.setattr(targets, "RESOLVE_TIMEOUT_SECONDS", 0.05)
    with pytest.raises(TargetRefused) as refused:
        await resolve_target("https://slow.example/", allow_private=False)
    assert refused.value.reason_code is Refusal.UNRESOLVABLE
    assert "did not resolve within" in refused.value.detail


async def test_the_real_lookup_goes_through_the_running_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the real `lookup`, not the fixture's
    loop = asyncio.get_running_loop()
    asked: list[tuple[str, int]] = []

    async def getaddrinfo(host: str, port: int, **kwargs: object) -> list[tuple[object, ...]]:
        asked.append((host, port))
        return [(None, None, None, "", ("10.9.8.7", port)), (None, None, None, "", ("fe80::1%eth0", port, 0, 2))]

    monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)
    assert await targets.lookup("hooks.example.com", 443) == ["10.9.8.7", "fe80::1%eth0"]
    with pytest.raises(TargetRefused) as refused:
        await resolve_target("https://hooks.example.com/", allow_private=True)
    assert refused.value.reason_code is Refusal.LINK_LOCAL_ADDRESS  # the scope id does not hide it
    assert asked == [("hooks.example.com", 443), ("hooks.example.com", 443)]


async def test_a_final_dot_neither_hides_an_address_nor_reaches_the_host_header(resolver: FakeResolver) -> None:
    with pytest.raises(TargetRefused) as refused:
        await resolve_target("http://127.0.0.1./", allow_private=False)
    assert refused.value.reason_code is Refusal.PRIVATE_ADDRESS
    target = await resolve_target("https://hooks.example.com./in", allow_private=False)
    assert (target.host, target.address) == ("hooks.example.com", PUBLIC_ADDRESS)
