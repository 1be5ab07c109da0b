"""One log line per request: method, route template, status, duration, request id, tenant and
token id, as text by default and as JSON with LOG_FORMAT=json; never a credential or a raw path."""

import logging
import re

import httpx
import orjson
import pytest

from invoicing.operations.log_format import formatter_for
from tests.conftest import Tenant

REQUEST_LOGGER = "invoicing.requests"


def request_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == REQUEST_LOGGER]


async def test_each_request_logs_one_line_with_its_fields_and_no_secret(
    tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    draft = await tenant.create_draft()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger=REQUEST_LOGGER):
        response = await tenant.get(f"/invoices/{draft['id']}?token={tenant.token}")
    (record,) = request_lines(caplog)
    fields = {name: getattr(record, name) for name in ("method", "route", "status", "request_id", "tenant_id")}
    assert fields == {
        "method": "GET",
        "route": "/api/v1/invoices/{invoice_id}",
        "status": 200,
        "request_id": response.headers["x-request-id"],
        "tenant_id": tenant.id,
    }
    assert re.fullmatch(r"[0-9a-f]{24}", record.token_id)  # the token's public id, not the token
    assert record.duration_ms > 0
    for log_format in ("text", "json"):
        line = formatter_for(log_format).format(record)
        assert tenant.token not in line
        assert "Bearer" not in line
        assert "token=" + tenant.token not in line
        assert f"/invoices/{draft['id']}" not in line  # the template, not the raw path


def test_the_json_format_is_one_object_carrying_every_field(caplog: pytest.LogCaptureFixture) -> None:
    record = logging.LogRecord(REQUEST_LOGGER, logging.INFO, __file__, 1, "GET / 200", None, None)
    extra = {"method": "GET", "route": "/x/{id}", "status": 200, "duration_ms": 1.5, "request_id": "r1"}
    extra |= {"tenant_id": 3, "token_id": "pub"}
    record.__dict__.update(extra)
    line = orjson.loads(formatter_for("json").format(record))
    assert {key: line[key] for key in extra} == extra
    assert line["level"] == "info"
    assert line["logger"] == REQUEST_LOGGER
    assert line["message"] == "GET / 200"
    text = formatter_for("text").format(record)
    assert "INFO invoicing.requests: GET / 200" in text


async def test_a_hosted_link_is_logged_by_its_template_not_its_token(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "hosted-link-secret-not-for-logs"
    with caplog.at_level(logging.INFO, logger=REQUEST_LOGGER):
        await client.get(f"/i/{secret}")
    (record,) = request_lines(caplog)
    assert record.route == "/i/{token}"
    assert secret not in formatter_for("json").format(record)
    assert secret not in formatter_for("text").format(record)
