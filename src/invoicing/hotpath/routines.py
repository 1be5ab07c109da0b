"""The hot path's server-side functions (PostgreSQL), generated here and installed by
`invoicing migrate` after the migrations (`install`), replaced whole every time.

Bodies leave as UTF-8 bytes (bytea), which asyncpg hands over as they are: a page of 50 is about
100 KB that would otherwise be decoded into a str and encoded back.

Three functions, each one round trip with no BEGIN or COMMIT of its own (a single statement is
its own transaction):

- `invoicing_hot_read`: authenticates the token (the SECURITY DEFINER lookup of migration 0004),
  binds the tenant for row-level security, and returns one visible invoice's facts, and with
  `p_render` its whole representation: GET one invoice, and the read a transition's guard needs.
- `invoicing_hot_page`: the same authentication, then a keyset page rendered as one JSON array.
- `invoicing_hot_claim`: a transition decided in Python: the conditional update (pinned to the
  version and status the guard saw), its one event, its outbox message carrying the invoice as
  the change left it, and that representation as the answer. It changes nothing when the claim
  loses (the invoice moved on), and the caller then takes the full path.

The functions run as the caller (`invoicing_app`), so every row they read or write is held to the
tenant policies; they set the tenant themselves, transaction-locally, as `core.db.set_tenant`
does. They refuse nothing themselves: any request they do not answer with success (a bad token,
another tenant, a missing scope, no such invoice) goes through the full path, which says why in
its usual words. `FINGERPRINT` (a hash of this script) is stored with them; a server whose own
script differs (code newer than the last `invoicing migrate`) does not use them.
"""

# ruff: noqa: S608 (SQL generated from this module's own constants and the catalogue, never from input)

import hashlib
from functools import cache

import asyncpg

from invoicing.core.db import TENANT_SETTING
from invoicing.invoices.sql_representation import (
    INVOICE_FROM,
    TIMESTAMP_FUNCTION,
    currency_functions,
    customer_object,
    invoice_head,
    invoice_text,
)
from invoicing.outbox.messages import INVOICE, WEBHOOK

# The columns a hot transition may set besides status, version and updated_at, with their types.
PATCHABLE = {
    "cancelled_from": "text",
    "cancelled_at": "timestamptz",
    "voided_at": "timestamptz",
    "deleted_at": "timestamptz",
    "is_archived": "boolean",
    "archived_at": "timestamptz",
}

# Stands for the fingerprint in the generated text, which is hashed before the hash is known.
STAMP = "@stamp@"

# What the guard reads (InvoiceFacts), plus the version the claim is pinned to.
FACT_COLUMNS = (
    ("version", "integer"),
    ("status", "text"),
    ("cancelled_from", "text"),
    ("is_archived", "boolean"),
    ("amount_payable", "numeric"),
    ("amount_paid", "numeric"),
    ("amount_credited", "numeric"),
    ("amount_refunded", "numeric"),
    ("amount_kept_as_credit", "numeric"),
    ("amount_credit_applied", "numeric"),
)

_AUTHENTICATE = f"""
    SELECT tk.tenant_id, tk.public_id, tk.scopes, tk.expires_at, tk.revoked_at INTO token
      FROM invoicing_token_by_hash(p_token_hash) AS tk WHERE tk.token_hash = p_token_hash;
    -- Two tests: the second reads fields a record that found nothing does not have.
    IF NOT FOUND THEN
        o_outcome := 'refused';
        RETURN NEXT;
        RETURN;
    END IF;
    IF token.revoked_at IS NOT NULL OR coalesce(token.expires_at <= p_now, false)
       OR token.tenant_id <> p_tenant OR NOT (p_scope = ANY (string_to_array(token.scopes, ' '))) THEN
        o_outcome := 'refused';
        RETURN NEXT;
        RETURN;
    END IF;
    o_token_public_id := token.public_id;
    PERFORM set_config('{TENANT_SETTING}', p_tenant::text, true);
"""


def _read_function() -> str:
    # The facts keep their column names (the guard reads them as invoices.transitions.facts_of reads a row).
    outs = ", ".join(f"{name} {kind}" for name, kind in FACT_COLUMNS)
    selected = ", ".join(f"i.{name}" for name, _ in FACT_COLUMNS)
    into = ", ".join(name for name, _ in FACT_COLUMNS)
    return f"""
CREATE OR REPLACE FUNCTION invoicing_hot_read(
    p_token_hash text, p_tenant bigint, p_scope text, p_now timestamptz,
    p_invoice_id bigint, p_render boolean, p_hosted_prefix text
) RETURNS TABLE (o_outcome text, o_token_public_id text, {outs}, o_body bytea)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    token record;
BEGIN
{_AUTHENTICATE}
    SELECT {selected}, CASE WHEN p_render THEN convert_to({invoice_text(with_lines=True, stamp=STAMP)}, 'UTF8') END
      INTO {into}, o_body
      FROM {INVOICE_FROM}
     WHERE i.tenant_id = p_tenant AND i.id = p_invoice_id AND i.status <> 'deleted';
    o_outcome := CASE WHEN FOUND THEN 'ok' ELSE 'not_found' END;
    RETURN NEXT;
END
$$;
"""


def _page_function() -> str:
    page_item = invoice_text(with_lines=False, stamp=STAMP)
    return f"""
CREATE OR REPLACE FUNCTION invoicing_hot_page(
    p_token_hash text, p_tenant bigint, p_scope text, p_now timestamptz,
    p_before_id bigint, p_limit integer, p_hosted_prefix text
) RETURNS TABLE (o_outcome text, o_token_public_id text, o_body bytea, o_fetched integer, o_last_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
    token record;
    ids bigint[];
BEGIN
{_AUTHENTICATE}
    -- limit + 1 ids, as the repository reads them (the extra one only says another page exists),
    -- then the page itself rendered: a window or a LIMIT over the rendering would render rows
    -- the page does not show.
    SELECT array_agg(page.id ORDER BY page.id DESC) INTO ids
      FROM (SELECT i.id FROM invoices AS i
             WHERE i.tenant_id = p_tenant AND i.status <> 'deleted' AND NOT i.is_archived AND i.id < p_before_id
             ORDER BY i.id DESC
             LIMIT p_limit + 1) AS page;
    o_fetched := coalesce(array_length(ids, 1), 0);
    IF o_fetched > p_limit THEN
        o_last_id := ids[p_limit];
    END IF;
    SELECT convert_to(coalesce('[' || string_agg({page_item}, ',' ORDER BY i.id DESC) || ']', '[]'), 'UTF8')
      INTO o_body
      FROM {INVOICE_FROM}
     WHERE i.tenant_id = p_tenant AND i.id = ANY (ids[1:p_limit]);
    o_outcome := 'ok';
    RETURN NEXT;
END
$$;
"""


def _claim_function() -> str:
    patches = ",\n           ".join(
        f"{name} = CASE WHEN p_patch ? '{name}' THEN (p_patch ->> '{name}')::{kind} ELSE i.{name} END"
        for name, kind in PATCHABLE.items()
    )
    return f"""
CREATE OR REPLACE FUNCTION invoicing_hot_claim(
    p_tenant bigint, p_invoice_id bigint, p_expected_version integer, p_from_status text,
    p_to_status text, p_patch jsonb, p_now timestamptz, p_hosted_prefix text,
    p_event_public_id text, p_event_type text, p_actor text, p_request_id text, p_event_data text,
    p_message_public_id text
) RETURNS TABLE (o_version integer, o_body bytea)
LANGUAGE plpgsql AS $$
DECLARE
    rendered text;
BEGIN
    PERFORM set_config('{TENANT_SETTING}', p_tenant::text, true);
    UPDATE invoices AS i
       SET status = p_to_status, version = i.version + 1, updated_at = p_now,
           {patches}
     WHERE i.tenant_id = p_tenant AND i.id = p_invoice_id
       AND i.version = p_expected_version AND i.status = p_from_status
    RETURNING i.version INTO o_version;
    IF NOT FOUND THEN
        RETURN;  -- the claim lost: nothing changed
    END IF;
    INSERT INTO invoice_events
        (tenant_id, public_id, invoice_id, sequence, type, from_status, to_status, actor, request_id, data, created_at)
    VALUES (p_tenant, p_event_public_id, p_invoice_id, o_version, p_event_type, p_from_status, p_to_status,
            p_actor, p_request_id, p_event_data, p_now);
    SELECT {invoice_text(with_lines=True, stamp=STAMP)} INTO rendered
      FROM {INVOICE_FROM}
     WHERE i.tenant_id = p_tenant AND i.id = p_invoice_id;
    -- The webhook's Standard Webhooks payload, as outbox.messages writes it for the full path.
    INSERT INTO outbox_messages (tenant_id, public_id, kind, event_type, subject_type, subject_id, payload, created_at)
    VALUES (p_tenant, p_message_public_id, '{WEBHOOK}', p_event_type, '{INVOICE}', p_invoice_id,
            '{{"type":' || to_json(p_event_type)::text || ',"timestamp":' || to_json(invoicing_hot_ts(p_now))::text
                || ',"data":' || rendered || '}}',
            p_now);
    o_body := convert_to(rendered, 'UTF8');
    RETURN NEXT;
END
$$;
"""


def _render_trigger(table: str, kind: str, rendered: str, stamp: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION invoicing_hot_render_{kind}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.rendered := {rendered};
    NEW.rendered_for := {stamp};
    RETURN NEW;
END
$$;
CREATE OR REPLACE TRIGGER invoicing_render BEFORE INSERT OR UPDATE ON {table}
    FOR EACH ROW EXECUTE FUNCTION invoicing_hot_render_{kind}();"""


def _render_triggers() -> str:
    """Each invoice and customer written keeps its rendered text (migration 0013), stamped with what
    it was rendered from: the fingerprint, and an invoice's version. Rows written with triggers off
    (a bulk load as `session_replication_role = replica`) keep none: readers render them."""
    invoice = _render_trigger("invoices", "invoice", invoice_head("NEW"), f"'{STAMP}:' || NEW.version")
    customer = _render_trigger("customers", "customer", customer_object("NEW"), f"'{STAMP}'")
    return (
        invoice
        + customer
        + f"""
CREATE OR REPLACE FUNCTION invoicing_hot_render_stale() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    tenant bigint;
    total bigint := 0;
    changed bigint;
BEGIN
    -- Tenant by tenant: the tables hold even their owner to the tenant policy (FORCE).
    FOR tenant IN SELECT id FROM tenants LOOP
        PERFORM set_config('{TENANT_SETTING}', tenant::text, true);
        UPDATE customers SET rendered = NULL WHERE tenant_id = tenant AND rendered_for IS DISTINCT FROM '{STAMP}';
        UPDATE invoices SET rendered = NULL
         WHERE tenant_id = tenant AND rendered_for IS DISTINCT FROM '{STAMP}:' || version;
        GET DIAGNOSTICS changed = ROW_COUNT;
        total := total + changed;
    END LOOP;
    RETURN total;
END
$$;
"""
    )


# The hot functions of an earlier version go first: a changed signature cannot be replaced in place.
_DROP_EARLIER = r"""
DO $$
DECLARE
    earlier regprocedure;
BEGIN
    FOR earlier IN
        SELECT p.oid::regprocedure FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
         WHERE n.nspname = current_schema() AND p.proname LIKE 'invoicing\_hot\_%'
    LOOP
        EXECUTE 'DROP FUNCTION ' || earlier || ' CASCADE';  -- with the triggers that call it
    END LOOP;
END
$$;
"""


@cache
def _generated() -> tuple[str, str]:
    parts = (
        _DROP_EARLIER,
        TIMESTAMP_FUNCTION,
        currency_functions(),
        _render_triggers(),
        _read_function(),
        _page_function(),
    )
    body = "\n".join((*parts, _claim_function()))
    fingerprint = hashlib.sha256(body.encode()).hexdigest()
    body = body.replace(STAMP, fingerprint[:16])
    marker = f"""
CREATE OR REPLACE FUNCTION invoicing_hot_fingerprint() RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT '{fingerprint}'::text $$;
"""
    return body + marker, fingerprint


def script() -> str:
    """Everything `install` runs, in order, the fingerprint function last."""
    return _generated()[0]


def fingerprint() -> str:
    """The hash of the generated functions: what `invoicing_hot_fingerprint()` returns once installed."""
    return _generated()[1]


async def install(connection: asyncpg.Connection) -> int:
    """Creates or replaces every function and trigger, in one transaction (a server never sees half
    of them), then renders every row whose kept text is not this version's; returns how many."""
    async with connection.transaction():
        await connection.execute(script())
    rendered: int = await connection.fetchval("SELECT invoicing_hot_render_stale()")
    return rendered


async def installed_fingerprint(connection: asyncpg.Connection) -> str | None:
    """The fingerprint of the functions in the database, None when there are none."""
    present = await connection.fetchval("SELECT to_regprocedure('invoicing_hot_fingerprint()') IS NOT NULL")
    if not present:
        return None
    value: str = await connection.fetchval("SELECT invoicing_hot_fingerprint()")
    return value
