"""The hosted link's address: PUBLIC_BASE_URL, else the address the server listens on."""

import pytest

from invoicing.config import Settings
from invoicing.documents import links


def test_hosted_urls_start_with_the_public_base_url_without_its_trailing_slash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(links, "_base_url", links._base_url)  # restored after the test
    links.configure(Settings(public_base_url="https://invoices.example.com/billing/"))
    assert links.hosted_url("abc") == "https://invoices.example.com/billing/i/abc"
    links.configure(Settings(host="10.0.0.7", port=9000))
    assert links.hosted_url("abc") == "http://10.0.0.7:9000/i/abc"
    assert links.hosted_url(None) is None


def test_a_public_base_url_must_be_an_http_address() -> None:
    with pytest.raises(ValueError, match="public_base_url"):
        Settings(public_base_url="invoices.example.com")


def test_hosted_tokens_are_256_random_bits_url_safe() -> None:
    tokens = {links.new_hosted_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(len(token) == 43 and token.replace("-", "").replace("_", "").isalnum() for token in tokens)
