"""The primary API's invoice object rendered by PostgreSQL, for the hot path (invoicing.hotpath).

The same object as `representation.invoice_resource`, key for key and value for value: what the
Python renderer does with a row, these fragments make PostgreSQL do, so a page of 50 invoices
leaves the database as one JSON text and Python never walks its keys (issue 14). The derived
fields come from the lifecycle table itself (`lifecycle_sql`), and tests/hotpath/test_hot_path.py
holds both renderers to one answer on every state, currency and shape of customer.

Values are formatted as the Python renderer formats them:
- timestamps as `isoformat()` with `Z` (microseconds only when there are some): `invoicing_hot_ts`;
- decimals with their stored exponent (`numeric::text` is `format(Decimal, "f")`);
- money at the currency's minor units: `round(amount, minor_units)`. Stored amounts are already
  at that precision (the money code quantizes before it writes), so the rounding rule (PostgreSQL
  rounds half away from zero, Decimal half to even) never meets a tie;
- dates as ISO dates (what row_to_json writes for `date`).

Most of an invoice depends on its own row only: that part (`invoice_head`, every key up to
`available_actions`) and the customer object are rendered when the row is written, by triggers
(hotpath.routines), and kept in the row's `rendered` column (migration 0013). A reader appends
the customer, the currency, the hosted link and the lines (`invoice_text`), and renders a row
itself when its kept text was made from anything else than the row as it is (`rendered_for`).

Each fragment is SQL text over a row alias (`i` for invoices, `c` for customers, outer-joined:
NULL columns when the invoice has none; `NEW` in the triggers) and `p_hosted_prefix` (the hosted
page's URL up to its token). Text, not functions taking row types: a function over `invoices`
would hold the table hostage to every future migration that changes it.
"""

# ruff: noqa: S608 (SQL generated from this module's own constants and the catalogue, never from input)

import orjson

from invoicing.currencies.catalog import all_currencies
from invoicing.currencies.representation import currency_resource
from invoicing.invoices.lifecycle import STATUS_LABELS
from invoicing.invoices.lifecycle_sql import amount_due_sql, available_actions_sql
from invoicing.parties.codes import ADDRESS_KEYS

# One to_char, its ".000000" dropped: isoformat() leaves out microseconds that are all zero (the
# pattern can only occur there). A third of the cost of date_part and a CASE around two to_chars.
TIMESTAMP_FUNCTION = """
CREATE OR REPLACE FUNCTION invoicing_hot_ts(t timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT replace(to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), '.000000Z', 'Z')
$$;
"""


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def currency_functions() -> str:
    """The catalogue as two immutable lookups, minor units and the `currency` object itself (as JSON
    text, encoded by the Python renderer): each a jsonb constant searched by code, a binary search
    (a CASE over 165 codes cost 12 µs a call, and the lookup is inlined at every amount)."""
    currencies = all_currencies()
    minor = orjson.dumps({code: c.minor_units for code, c in sorted(currencies.items())}).decode()
    resource = orjson.dumps(
        {code: orjson.dumps(currency_resource(c)).decode() for code, c in sorted(currencies.items())}
    ).decode()
    return f"""
CREATE OR REPLACE FUNCTION invoicing_hot_minor_units(code text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ({_literal(minor)}::jsonb ->> code)::integer
$$;
CREATE OR REPLACE FUNCTION invoicing_hot_currency(code text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT {_literal(resource)}::jsonb ->> code
$$;
"""


def _money(row: str, column: str) -> str:
    return f"round({row}.{column}, invoicing_hot_minor_units({row}.currency))::text"


def _status_label(row: str) -> str:
    cases = " ".join(f"WHEN {_literal(s.value)} THEN {_literal(label)}" for s, label in STATUS_LABELS.items())
    return f"CASE {row}.status {cases} END"


def _address(column: str) -> str:
    keys = ", ".join(f"{_literal(key)}, ({column}::json) -> {_literal(key)}" for key in ADDRESS_KEYS)
    return f"CASE WHEN coalesce({column}, '') = '' THEN NULL ELSE json_build_object({keys}) END"


def customer_fields(c: str) -> tuple[tuple[str, str], ...]:
    """customer_resource's keys, in its order: (key, SQL over the customer row `c`)."""
    return (
        ("id", f"{c}.id"),
        ("public_id", f"{c}.public_id"),
        ("tenant_id", f"{c}.tenant_id"),
        ("first_name", f"{c}.first_name"),
        ("last_name", f"{c}.last_name"),
        ("company_name", f"{c}.company_name"),
        ("phone_number", f"{c}.phone_number"),
        ("email", f"{c}.email"),
        ("tax_number", f"{c}.tax_number"),
        ("date_of_birth", f"{c}.date_of_birth"),
        ("country_id", f"{c}.country_id"),
        ("identity_number", f"{c}.identity_number"),
        ("job", f"{c}.job"),
        ("address", f"{c}.address"),
        ("deleted_at", f"invoicing_hot_ts({c}.deleted_at)"),
        ("created_at", f"invoicing_hot_ts({c}.created_at)"),
        ("updated_at", f"invoicing_hot_ts({c}.updated_at)"),
        ("avatar_url", f"{c}.avatar_url"),
        ("avatar_updated_at", f"invoicing_hot_ts({c}.avatar_updated_at)"),
        ("user_id", f"{c}.user_id"),
        ("city_id", f"{c}.city_id"),
        ("district_id", f"{c}.district_id"),
        ("import_source_id", f"{c}.import_source_id"),
        ("passport_number", f"{c}.passport_number"),
        ("search_vector", f"{c}.search_text"),
        ("is_intake_completed", f"{c}.is_intake_completed"),
        ("default_channel_id", f"{c}.default_channel_id"),
        ("postal_address", _address(f"{c}.postal_address")),
        ("electronic_address", f"(nullif({c}.electronic_address, ''))::json"),
        ("locale", f"{c}.locale"),
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


def lines_text(i: str = "i") -> str:
    """The invoice's lines, a JSON array in text."""
    line = _object(LINE_FIELDS)
    return (
        f"(SELECT coalesce('[' || string_agg({line}::text, ',' ORDER BY l.position) || ']', '[]')"
        f" FROM invoice_lines AS l WHERE l.tenant_id = {i}.tenant_id AND l.invoice_id = {i}.id)"
    )


def invoice_head_fields(i: str) -> tuple[tuple[str, str], ...]:
    """invoice_resource's keys up to `available_actions`, in its order: what the row alone decides."""
    return (
        ("id", f"{i}.id"),
        ("public_id", f"{i}.public_id"),
        ("document_number", f"{i}.document_number"),
        ("document_class", f"{i}.document_class"),
        ("document_type", f"{i}.document_type"),
        ("profile_id", f"{i}.profile_id"),
        ("issue_date", f"{i}.issue_date"),
        ("due_date", f"{i}.due_date"),
        ("sent_at", f"invoicing_hot_ts({i}.sent_at)"),
        ("sender_tax_number", f"{i}.sender_tax_number"),
        ("receiver_name", f"{i}.receiver_name"),
        ("receiver_tax_number", f"{i}.receiver_tax_number"),
        ("receiver_email", f"{i}.receiver_email"),
        ("exchange_rate", f"{i}.exchange_rate::text"),
        ("amount_tax_exclusive", _money(i, "amount_tax_exclusive")),
        ("amount_tax_total", _money(i, "amount_tax_total")),
        ("amount_payable", _money(i, "amount_payable")),
        ("invoice_amount", f"{i}.invoice_amount::text"),
        ("amount_paid", _money(i, "amount_paid")),
        ("amount_due", f"round({amount_due_sql(i)}, invoicing_hot_minor_units({i}.currency))::text"),
        ("amount_credited", _money(i, "amount_credited")),
        ("amount_refunded", _money(i, "amount_refunded")),
        ("amount_kept_as_credit", _money(i, "amount_kept_as_credit")),
        ("amount_credit_applied", _money(i, "amount_credit_applied")),
        ("status", f"{i}.status"),
        ("status_label", _status_label(i)),
        ("is_printed", f"{i}.is_printed"),
        ("is_cancelled", f"{i}.status = 'cancelled'"),
        ("is_read", f"{i}.is_read"),
        ("is_draft", f"{i}.status = 'draft'"),
        ("is_archived", f"{i}.is_archived"),
        ("series_name", f"{i}.series_name"),
        ("notes", f"{i}.notes"),
        ("issued_at", f"invoicing_hot_ts({i}.issued_at)"),
        ("paid_at", f"invoicing_hot_ts({i}.paid_at)"),
        ("cancelled_at", f"invoicing_hot_ts({i}.cancelled_at)"),
        ("voided_at", f"invoicing_hot_ts({i}.voided_at)"),
        ("archived_at", f"invoicing_hot_ts({i}.archived_at)"),
        ("deleted_at", f"invoicing_hot_ts({i}.deleted_at)"),
        ("created_at", f"invoicing_hot_ts({i}.created_at)"),
        ("updated_at", f"invoicing_hot_ts({i}.updated_at)"),
        ("version", f"{i}.version"),
        ("locale", f"{i}.locale"),
        ("delivery_date", f"{i}.delivery_date"),
        ("uuid", f"{i}.uuid"),
        ("available_actions", available_actions_sql(i)),
    )


def invoice_head(i: str) -> str:
    """`invoice_head_fields` as the text of a JSON object left open (no closing brace)."""
    return f"left({_object(invoice_head_fields(i))}::text, -1)"


def customer_object(c: str) -> str:
    return f"{_object(customer_fields(c))}::text"


def invoice_text(*, with_lines: bool, stamp: str) -> str:
    """The whole invoice of `i` (and its customer `c`) as JSON text: the kept head and customer
    where they were rendered from the rows as they are (`stamp`: the fingerprint), else rendered here."""
    head = f"CASE WHEN i.rendered_for = '{stamp}:' || i.version THEN i.rendered ELSE {invoice_head('i')} END"
    customer = (
        f"CASE WHEN c.id IS NULL THEN 'null' WHEN c.rendered_for = '{stamp}' THEN c.rendered"
        f" ELSE {customer_object('c')} END"
    )
    hosted = (
        "CASE WHEN i.status = 'draft' OR i.hosted_token IS NULL THEN 'null'"
        " ELSE to_json(p_hosted_prefix || i.hosted_token)::text END"
    )
    parts = [
        head,
        "',\"customer\":'",
        customer,
        "',\"currency\":'",
        "invoicing_hot_currency(i.currency)",
        "',\"hosted_url\":'",
        hosted,
    ]
    if with_lines:
        parts += ["',\"lines\":'", lines_text("i")]
    return "(" + " || ".join([*parts, "'}'"]) + ")"


INVOICE_FROM = "invoices AS i LEFT JOIN customers AS c ON c.tenant_id = i.tenant_id AND c.id = i.customer_id"
