"""The primary API's invoice object rendered by PostgreSQL, for the hot path (invoicing.hotpath).

The same object as `representation.invoice_resource`, key for key and value for value: what the
Python renderer does with a row, these fragments make PostgreSQL do inside the statement that
reads it, so a page of 50 invoices leaves the database as one JSON text and Python never walks
its keys (issue 14). The derived fields come from the lifecycle table itself (`lifecycle_sql`),
and tests/hotpath/test_hot_path.py holds both renderers to one answer on every state,
currency and shape of customer.

Values are formatted as the Python renderer formats them:
- timestamps as `isoformat()` with `Z` (microseconds only when there are some): `invoicing_ts`;
- decimals with their stored exponent (`numeric::text` is `format(Decimal, "f")`);
- money at the currency's minor units: `round(amount, minor_units)`. Stored amounts are already
  at that precision (the money code quantizes before it writes), so the rounding rule (PostgreSQL
  rounds half away from zero, Decimal half to even) never meets a tie;
- dates as ISO dates (what row_to_json writes for `date`).

Each fragment is SQL text over the aliases `i` (invoices), `c` (customers, outer-joined: its
columns are NULL when the invoice has none) and `p_hosted_prefix` (the hosted page's URL up to its
token). Text, not functions taking row types: a function over `invoices` would hold the table
hostage to every future migration that changes it.
"""

# ruff: noqa: S608 (SQL generated from this module's own constants and the catalogue, never from input)

from collections.abc import Callable

import orjson

from invoicing.currencies.catalog import Currency, all_currencies
from invoicing.currencies.representation import currency_resource
from invoicing.invoices.lifecycle import STATUS_LABELS
from invoicing.invoices.lifecycle_sql import amount_due_sql, available_actions_sql
from invoicing.parties.codes import ADDRESS_KEYS

TIMESTAMP_FUNCTION = """
CREATE OR REPLACE FUNCTION invoicing_ts(t timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN t IS NULL THEN NULL
        WHEN date_part('microseconds', t)::bigint % 1000000 = 0
            THEN to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        ELSE to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
    END
$$;
"""


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def currency_functions() -> str:
    """The catalogue as two immutable lookups: minor units, and the `currency` object itself
    (encoded by the Python renderer, so both show the same bytes' meaning)."""
    currencies = sorted(all_currencies().values(), key=lambda currency: currency.code)

    def by_code(value_of: Callable[[Currency], str]) -> str:
        return "\n".join(f"        WHEN {_literal(c.code)} THEN {value_of(c)}" for c in currencies)

    minor = by_code(lambda c: str(c.minor_units))
    resource = by_code(lambda c: f"{_literal(orjson.dumps(currency_resource(c)).decode())}::json")
    return f"""
CREATE OR REPLACE FUNCTION invoicing_minor_units(code text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE code
{minor}
    END
$$;
CREATE OR REPLACE FUNCTION invoicing_currency_resource(code text) RETURNS json
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE code
{resource}
    END
$$;
"""


def _money(column: str) -> str:
    return f"round({column}, cur.minor_units)::text"


def _status_label() -> str:
    cases = " ".join(f"WHEN {_literal(s.value)} THEN {_literal(label)}" for s, label in STATUS_LABELS.items())
    return f"CASE i.status {cases} END"


def _address(column: str) -> str:
    keys = ", ".join(f"{_literal(key)}, ({column}::json) -> {_literal(key)}" for key in ADDRESS_KEYS)
    return f"CASE WHEN coalesce({column}, '') = '' THEN NULL ELSE json_build_object({keys}) END"


# customer_resource's keys, in its order: (key, SQL over `c`).
CUSTOMER_FIELDS: tuple[tuple[str, str], ...] = (
    ("id", "c.id"),
    ("public_id", "c.public_id"),
    ("tenant_id", "c.tenant_id"),
    ("first_name", "c.first_name"),
    ("last_name", "c.last_name"),
    ("company_name", "c.company_name"),
    ("phone_number", "c.phone_number"),
    ("email", "c.email"),
    ("tax_number", "c.tax_number"),
    ("date_of_birth", "c.date_of_birth"),
    ("country_id", "c.country_id"),
    ("identity_number", "c.identity_number"),
    ("job", "c.job"),
    ("address", "c.address"),
    ("deleted_at", "invoicing_ts(c.deleted_at)"),
    ("created_at", "invoicing_ts(c.created_at)"),
    ("updated_at", "invoicing_ts(c.updated_at)"),
    ("avatar_url", "c.avatar_url"),
    ("avatar_updated_at", "invoicing_ts(c.avatar_updated_at)"),
    ("user_id", "c.user_id"),
    ("city_id", "c.city_id"),
    ("district_id", "c.district_id"),
    ("import_source_id", "c.import_source_id"),
    ("passport_number", "c.passport_number"),
    ("search_vector", "c.search_text"),
    ("is_intake_completed", "c.is_intake_completed"),
    ("default_channel_id", "c.default_channel_id"),
    ("postal_address", _address("c.postal_address")),
    ("electronic_address", "(nullif(c.electronic_address, ''))::json"),
    ("locale", "c.locale"),
)

# line_resource's keys, over `l` (invoice_lines).
LINE_FIELDS: tuple[tuple[str, str], ...] = (
    ("id", "l.id"),
    ("position", "l.position"),
    ("name", "l.name"),
    ("quantity", "l.quantity::text"),
    ("unit_price", "l.unit_price::text"),
    ("vat_rate_percent", "l.vat_rate_percent::text"),
    ("discount_percent", "l.discount_percent::text"),
    ("amount_discount", "l.amount_discount::text"),
    ("amount_net", "l.amount_net::text"),
    ("amount_tax", "l.amount_tax::text"),
    ("amount_total", "l.amount_total::text"),
    ("tax_category", "l.tax_category"),
    ("tax_exemption_reason_code", "l.tax_exemption_reason_code"),
    ("tax_exemption_reason", "l.tax_exemption_reason"),
    ("unit_code", "l.unit_code"),
)


def _object(fields: tuple[tuple[str, str], ...]) -> str:
    """row_to_json over a one-row subselect: keys in order, compact, and no 50-pair limit
    (json_build_object takes at most 100 arguments)."""
    columns = ",\n        ".join(f'{sql} AS "{key}"' for key, sql in fields)
    return f"(SELECT row_to_json(r) FROM (SELECT\n        {columns}) AS r)"


def _lines() -> str:
    line = _object(LINE_FIELDS)
    return (
        f"(SELECT coalesce('[' || string_agg({line}::text, ',' ORDER BY l.position) || ']', '[]')::json"
        " FROM invoice_lines AS l WHERE l.tenant_id = i.tenant_id AND l.invoice_id = i.id)"
    )


def invoice_fields(*, with_lines: bool) -> tuple[tuple[str, str], ...]:
    """invoice_resource's keys, in its order: (key, SQL over `i` and `c`)."""
    fields: list[tuple[str, str]] = [
        ("id", "i.id"),
        ("public_id", "i.public_id"),
        ("document_number", "i.document_number"),
        ("document_class", "i.document_class"),
        ("document_type", "i.document_type"),
        ("profile_id", "i.profile_id"),
        ("issue_date", "i.issue_date"),
        ("due_date", "i.due_date"),
        ("sent_at", "invoicing_ts(i.sent_at)"),
        ("sender_tax_number", "i.sender_tax_number"),
        ("receiver_name", "i.receiver_name"),
        ("receiver_tax_number", "i.receiver_tax_number"),
        ("receiver_email", "i.receiver_email"),
        ("exchange_rate", "i.exchange_rate::text"),
        ("amount_tax_exclusive", _money("i.amount_tax_exclusive")),
        ("amount_tax_total", _money("i.amount_tax_total")),
        ("amount_payable", _money("i.amount_payable")),
        ("invoice_amount", "i.invoice_amount::text"),
        ("amount_paid", _money("i.amount_paid")),
        ("amount_due", _money(amount_due_sql("i"))),
        ("amount_credited", _money("i.amount_credited")),
        ("amount_refunded", _money("i.amount_refunded")),
        ("amount_kept_as_credit", _money("i.amount_kept_as_credit")),
        ("amount_credit_applied", _money("i.amount_credit_applied")),
        ("status", "i.status"),
        ("status_label", _status_label()),
        ("is_printed", "i.is_printed"),
        ("is_cancelled", "i.status = 'cancelled'"),
        ("is_read", "i.is_read"),
        ("is_draft", "i.status = 'draft'"),
        ("is_archived", "i.is_archived"),
        ("series_name", "i.series_name"),
        ("notes", "i.notes"),
        ("issued_at", "invoicing_ts(i.issued_at)"),
        ("paid_at", "invoicing_ts(i.paid_at)"),
        ("cancelled_at", "invoicing_ts(i.cancelled_at)"),
        ("voided_at", "invoicing_ts(i.voided_at)"),
        ("archived_at", "invoicing_ts(i.archived_at)"),
        ("deleted_at", "invoicing_ts(i.deleted_at)"),
        ("created_at", "invoicing_ts(i.created_at)"),
        ("updated_at", "invoicing_ts(i.updated_at)"),
        ("version", "i.version"),
        ("locale", "i.locale"),
        ("delivery_date", "i.delivery_date"),
        ("uuid", "i.uuid"),
        ("available_actions", available_actions_sql("i")),
        ("customer", f"CASE WHEN c.id IS NULL THEN NULL ELSE {_object(CUSTOMER_FIELDS)} END"),
        ("currency", "cur.resource"),
        ("hosted_url", "CASE WHEN i.status = 'draft' THEN NULL ELSE p_hosted_prefix || i.hosted_token END"),
    ]
    if with_lines:
        fields.append(("lines", _lines()))
    return tuple(fields)


def invoice_json(*, with_lines: bool) -> str:
    """The invoice of `i` (and its customer `c`) as one JSON value."""
    return _object(invoice_fields(with_lines=with_lines))


# `cur`: the invoice's currency, looked up once per row (every amount is rounded to its minor units).
INVOICE_FROM = (
    "invoices AS i LEFT JOIN customers AS c ON c.tenant_id = i.tenant_id AND c.id = i.customer_id"
    " CROSS JOIN LATERAL (SELECT invoicing_minor_units(i.currency) AS minor_units,"
    " invoicing_currency_resource(i.currency) AS resource) AS cur"
)
