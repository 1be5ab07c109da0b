"""Money is exact (SPEC 4): per-line half-up rounding to the currency's minor units, totals as exact sums.

Expected figures are computed here independently, with `fractions.Fraction` (exact rationals) and a
half-up rounding written for the test, never with the code under test.
"""

import ast
import json
import re
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

import invoicing
from invoicing.currencies.catalog import Currency, all_currencies, find_currency
from invoicing.invoices.money import LineAmounts, LineInput, document_totals, line_amounts, round_money
from invoicing.invoices.tables import invoice_lines, invoices
from tests.conftest import Tenant

HUNDRED = Fraction(100)

# Bounds of the API's line fields (invoices/schemas.py): quantity (0, 1e9] with 6 places,
# unit price [0, 1e12] with 4 places, percentages [0, 100] with 4 places, 500 lines at most.
MAX_QUANTITY = Decimal(1_000_000_000)
MAX_UNIT_PRICE = Decimal(1_000_000_000_000)
MAX_LINES = 500


def currency(code: str) -> Currency:
    found = find_currency(code)
    assert found is not None, code
    return found


JPY, EUR, TRY, KWD = (currency(code) for code in ("JPY", "EUR", "TRY", "KWD"))
assert (JPY.minor_units, EUR.minor_units, TRY.minor_units, KWD.minor_units) == (0, 2, 2, 3)
CURRENCIES = [JPY, EUR, TRY, KWD]


# -- an independent oracle ------------------------------------------------------------------------


def half_up(value: Fraction, minor_units: int) -> Decimal:
    """Round an exact rational half away from zero to `minor_units` places; exact Decimal out."""
    scaled = abs(value) * 10**minor_units
    units = int(scaled + Fraction(1, 2))  # floor, as scaled >= 0
    sign = "-" if value < 0 and units else ""
    return Decimal(f"{sign}{units}E-{minor_units}")  # string construction is exact, never context-rounded


def expected_line(line: LineInput, minor_units: int) -> dict[str, Decimal]:
    gross = Fraction(line.quantity) * Fraction(line.unit_price)
    net = half_up(gross * (1 - Fraction(line.discount_percent) / HUNDRED), minor_units)
    tax = half_up(Fraction(net) * Fraction(line.vat_rate_percent) / HUNDRED, minor_units)
    discount = half_up(gross, minor_units) - net
    return {"net": net, "tax": tax, "discount": discount, "total": half_up(Fraction(net) + Fraction(tax), minor_units)}


def exact_sum(values: Sequence[Decimal]) -> Fraction:
    return sum((Fraction(value) for value in values), Fraction(0))


def assert_money(value: Decimal, minor_units: int, what: str) -> None:
    assert type(value) is Decimal, f"{what}: {type(value).__name__}, not Decimal"
    assert value.is_finite(), what
    assert value.as_tuple().exponent == -minor_units, f"{what}: {value!r} does not have {minor_units} minor units"


# -- strategies -----------------------------------------------------------------------------------


def _decimals(low: Decimal | int, high: Decimal | int, places: int) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=low, max_value=high, places=places, allow_nan=False, allow_infinity=False)


quantities = st.one_of(
    st.sampled_from([Decimal(1), Decimal(2), Decimal(3), Decimal("0.5"), Decimal("1.5")]),
    _decimals(Decimal("0.000001"), 1000, 6),
    _decimals(Decimal("0.000001"), MAX_QUANTITY, 6),
)
unit_prices = st.one_of(
    st.sampled_from([Decimal("0.5"), Decimal("0.125"), Decimal("0.0005"), Decimal("25.06"), Decimal("99.99")]),
    _decimals(0, 1000, 4),
    _decimals(0, MAX_UNIT_PRICE, 4),
)
percents = st.one_of(
    st.sampled_from([Decimal(n) for n in ("0", "1", "5", "8", "10", "12.5", "15", "18", "20", "21", "100")]),
    _decimals(0, 100, 4),
)
discounts = st.one_of(st.just(Decimal(0)), percents)


@st.composite
def line_inputs(draw: st.DrawFn) -> LineInput:
    return LineInput(
        name="line",
        quantity=draw(quantities),
        unit_price=draw(unit_prices),
        vat_rate_percent=draw(percents),
        discount_percent=draw(discounts),
    )


# -- (a) the pure functions -----------------------------------------------------------------------


@settings(max_examples=300)
@given(line=line_inputs(), money=st.sampled_from(CURRENCIES))
def test_each_line_is_rounded_half_up_to_the_currency_on_its_own(line: LineInput, money: Currency) -> None:
    amounts = line_amounts(line, money.quantum)
    expected = expected_line(line, money.minor_units)
    assert amounts.net == expected["net"]
    assert amounts.tax == expected["tax"]
    assert amounts.discount == expected["discount"]
    assert amounts.total == expected["total"]
    assert Fraction(amounts.total) == Fraction(amounts.net) + Fraction(amounts.tax)
    for name in ("net", "tax", "discount", "total"):
        assert_money(getattr(amounts, name), money.minor_units, f"{money.code} line {name}")


@settings(max_examples=200)
@given(lines=st.lists(line_inputs(), max_size=25), money=st.sampled_from(CURRENCIES))
def test_document_totals_are_the_exact_sums_of_the_rounded_lines(lines: list[LineInput], money: Currency) -> None:
    amounts = [line_amounts(line, money.quantum) for line in lines]
    totals = document_totals(amounts, money.quantum)
    expected = [expected_line(line, money.minor_units) for line in lines]
    assert Fraction(totals.tax_exclusive) == exact_sum([line["net"] for line in expected])
    assert Fraction(totals.tax_total) == exact_sum([line["tax"] for line in expected])
    assert Fraction(totals.tax_exclusive) + Fraction(totals.tax_total) == Fraction(totals.payable)
    assert totals.tax_exclusive + totals.tax_total == totals.payable
    for name in ("tax_exclusive", "tax_total", "payable"):
        assert_money(getattr(totals, name), money.minor_units, f"{money.code} {name}")


def test_an_empty_document_totals_zero_in_the_currency_s_minor_units() -> None:
    for money in CURRENCIES:
        totals = document_totals([], money.quantum)
        for name in ("tax_exclusive", "tax_total", "payable"):
            value = getattr(totals, name)
            assert value == 0
            assert_money(value, money.minor_units, f"{money.code} empty {name}")


@pytest.mark.parametrize(
    ("code", "quantity", "unit_price", "vat", "discount", "net", "tax"),
    [
        # .5 of the smallest unit always goes up (banker's rounding would go to even, i.e. down here).
        ("JPY", "1", "0.5", "0", "0", "1", "0"),
        ("JPY", "1", "2.5", "0", "0", "3", "0"),
        ("JPY", "1", "100", "0.5", "0", "100", "1"),
        ("JPY", "1", "0.4999", "0", "0", "0", "0"),
        ("EUR", "1", "0.125", "0", "0", "0.13", "0.00"),
        ("EUR", "1", "1.005", "0", "0", "1.01", "0.00"),  # 1.005 as a float is 1.00499999...
        ("EUR", "1", "0.1249", "0", "0", "0.12", "0.00"),
        ("EUR", "1", "1", "12.5", "0", "1.00", "0.13"),
        ("EUR", "1", "0.10", "5", "0", "0.10", "0.01"),
        ("TRY", "1", "0.25", "0", "50", "0.13", "0.00"),
        ("TRY", "0.5", "0.05", "0", "0", "0.03", "0.00"),
        ("KWD", "1", "0.0005", "0", "0", "0.001", "0.000"),
        ("KWD", "1", "1.0025", "0", "0", "1.003", "0.000"),
        ("KWD", "1", "0.010", "5", "0", "0.010", "0.001"),
        ("KWD", "1", "0.0004", "0", "0", "0.000", "0.000"),
    ],
)
def test_half_a_minor_unit_rounds_up(
    code: str, quantity: str, unit_price: str, vat: str, discount: str, net: str, tax: str
) -> None:
    line = LineInput("x", Decimal(quantity), Decimal(unit_price), Decimal(vat), Decimal(discount))
    amounts = line_amounts(line, currency(code).quantum)
    assert (str(amounts.net), str(amounts.tax)) == (net, tax)


@pytest.mark.parametrize(
    ("amount", "quantum", "rounded"),
    [
        ("0.5", "1", "1"),
        ("1.5", "1", "2"),
        ("2.5", "1", "3"),
        ("0.005", "0.01", "0.01"),
        ("0.015", "0.01", "0.02"),
        ("0.0045", "0.001", "0.005"),
        ("2.675", "0.01", "2.68"),
        ("-0.5", "1", "-1"),  # away from zero on the negative side too
        ("-2.675", "0.01", "-2.68"),
        ("7", "0.001", "7.000"),
    ],
)
def test_round_money_is_half_up_away_from_zero(amount: str, quantum: str, rounded: str) -> None:
    result = round_money(Decimal(amount), Decimal(quantum))
    assert str(result) == rounded


@pytest.mark.parametrize("code", ["JPY", "TRY", "KWD", "CLF"])
def test_totals_stay_exact_at_the_largest_invoice_the_api_accepts(code: str) -> None:
    """500 lines at the largest quantity, price and rate: still exact and in the currency's minor units.

    CLF (4 minor units) is the widest currency the catalogue offers.
    """
    money = currency(code)
    line = LineInput("max", MAX_QUANTITY, MAX_UNIT_PRICE, Decimal(100))
    amounts = [line_amounts(line, money.quantum)] * MAX_LINES
    totals = document_totals(amounts, money.quantum)
    assert Fraction(totals.payable) == Fraction(10**24)
    for name in ("tax_exclusive", "tax_total", "payable"):
        assert_money(getattr(totals, name), money.minor_units, f"{code} {name}")


def test_no_currency_in_the_catalogue_has_more_minor_units_than_the_widest_tested() -> None:
    assert max(money.minor_units for money in all_currencies().values()) == currency("CLF").minor_units == 4


# -- (c) Xero's published example -----------------------------------------------------------------

XERO_LINES = [("A", "25.06"), ("B", "25.61"), ("C", "25.63")]


def test_xero_s_example_rounds_each_line_tax_11_44_not_11_45() -> None:
    lines = [LineInput(name, Decimal(1), Decimal(price), Decimal(15)) for name, price in XERO_LINES]
    amounts = [line_amounts(line, EUR.quantum) for line in lines]
    assert [str(amount.tax) for amount in amounts] == ["3.76", "3.84", "3.84"]
    totals = document_totals(amounts, EUR.quantum)
    assert (str(totals.tax_exclusive), str(totals.tax_total), str(totals.payable)) == ("76.30", "11.44", "87.74")
    # Rounding the document once would have given 11.45: the per-line method is what makes 11.44.
    assert half_up(Fraction(totals.tax_exclusive) * 15 / HUNDRED, 2) == Decimal("11.45")


@pytest.mark.parametrize("as_numbers", [False, True], ids=["decimal strings", "JSON numbers"])
async def test_xero_s_example_through_the_api(tenant: Tenant, as_numbers: bool) -> None:
    lines = [
        {"name": name, "quantity": 1, "unit_price": Number(price) if as_numbers else price, "vat_rate_percent": 15}
        for name, price in XERO_LINES
    ]
    created = await post_invoice(tenant, {"currency": "EUR", "lines": lines})
    assert created.status_code == 201, created.text
    invoice = (await tenant.get(f"/invoices/{created.json()['data']['id']}")).json()["data"]
    assert [line["amount_tax"] for line in invoice["lines"]] == ["3.76", "3.84", "3.84"]
    assert invoice["amount_tax_exclusive"] == "76.30"
    assert invoice["amount_tax_total"] == "11.44"
    assert invoice["amount_payable"] == "87.74"


# -- (b) over HTTP --------------------------------------------------------------------------------


class Number:
    """A JSON number written literally, so the test controls exactly what digits are sent."""

    def __init__(self, literal: str) -> None:
        self.literal = literal


def to_json(value: Any) -> str:
    if isinstance(value, Number):
        return value.literal
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(key)}:{to_json(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(to_json(item) for item in value) + "]"
    return json.dumps(value)


async def post_invoice(tenant: Tenant, body: dict[str, Any]) -> Any:
    return await tenant.post("/invoices", content=to_json(body), headers={"Content-Type": "application/json"})


def _encode(value: Decimal, how: str) -> Any:
    if how == "string":
        return format(value, "f")
    if how == "number":
        return Number(format(value, "f"))
    return Number(format(value, "e"))  # e.g. 1.25e-1: still a JSON number


encodings = st.sampled_from(["string", "number", "exponent"])


@st.composite
def request_lines(draw: st.DrawFn) -> tuple[LineInput, dict[str, Any]]:
    line = draw(line_inputs())
    body: dict[str, Any] = {
        "name": "Line",
        "quantity": _encode(line.quantity, draw(encodings)),
        "unit_price": _encode(line.unit_price, draw(encodings)),
        "vat_rate_percent": _encode(line.vat_rate_percent, draw(encodings)),
    }
    if line.discount_percent or draw(st.booleans()):
        body["discount_percent"] = _encode(line.discount_percent, draw(encodings))
    return line, body


def money_pattern(minor_units: int) -> re.Pattern[str]:
    return re.compile(rf"^\d+\.\d{{{minor_units}}}$" if minor_units else r"^\d+$")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    code=st.sampled_from(["JPY", "TRY", "KWD"]),
    lines=st.lists(request_lines(), max_size=6),
    exchange_rate=st.one_of(st.none(), _decimals(Decimal("0.000001"), 1000, 6)),
)
@example(code="KWD", lines=[], exchange_rate=None)
async def test_api_totals_are_exact_sums_of_the_returned_rounded_lines(
    tenant: Tenant,
    code: str,
    lines: list[tuple[LineInput, dict[str, Any]]],
    exchange_rate: Decimal | None,
) -> None:
    money = currency(code)
    body: dict[str, Any] = {"currency": code, "lines": [sent for _, sent in lines]}
    if exchange_rate is not None:
        body["exchange_rate"] = format(exchange_rate, "f")
    response = await post_invoice(tenant, body)
    assert response.status_code == 201, response.text
    invoice = response.json()["data"]
    pattern = money_pattern(money.minor_units)

    assert len(invoice["lines"]) == len(lines)
    for (line, _), returned in zip(lines, invoice["lines"], strict=True):
        expected = expected_line(line, money.minor_units)
        assert Decimal(returned["quantity"]) == line.quantity
        assert Decimal(returned["unit_price"]) == line.unit_price
        for key, name in (("amount_net", "net"), ("amount_tax", "tax"), ("amount_discount", "discount")):
            assert pattern.match(returned[key]), f"{code} line {key} {returned[key]!r}"
            assert returned[key] == format(expected[name], "f"), key
        assert Fraction(Decimal(returned["amount_total"])) == Fraction(expected["total"])

    nets = exact_sum([Decimal(line["amount_net"]) for line in invoice["lines"]])
    taxes = exact_sum([Decimal(line["amount_tax"]) for line in invoice["lines"]])
    for key in ("amount_tax_exclusive", "amount_tax_total", "amount_payable", "amount_paid", "amount_due"):
        assert pattern.match(invoice[key]), f"{code} {key} {invoice[key]!r}"
    assert Fraction(Decimal(invoice["amount_tax_exclusive"])) == nets
    assert Fraction(Decimal(invoice["amount_tax_total"])) == taxes
    assert Fraction(Decimal(invoice["amount_payable"])) == nets + taxes
    assert invoice["amount_due"] == invoice["amount_payable"]
    assert Decimal(invoice["amount_paid"]) == 0
    rate = Fraction(exchange_rate) if exchange_rate is not None else Fraction(1)
    assert invoice["invoice_amount"] == format(half_up((nets + taxes) * rate, TRY.minor_units), "f")

    stored = (await tenant.get(f"/invoices/{invoice['id']}")).json()["data"]
    assert stored == invoice  # the database gives back exactly what was computed


@pytest.mark.parametrize("code", ["KWD", "CLF"])
async def test_the_largest_invoice_the_api_accepts_is_exact(tenant: Tenant, code: str) -> None:
    money = currency(code)
    line = {"name": "max", "quantity": "1000000000", "unit_price": "1000000000000", "vat_rate_percent": "100"}
    response = await tenant.post("/invoices", json={"currency": code, "lines": [line] * MAX_LINES})
    assert response.status_code == 201, response.text[:500]
    invoice = response.json()["data"]
    zeros = "." + "0" * money.minor_units
    assert invoice["amount_tax_exclusive"] == "500000000000000000000000" + zeros
    assert invoice["amount_payable"] == "1000000000000000000000000" + zeros


# -- (d) no float -------------------------------------------------------------------------------------

PACKAGE = Path(invoicing.__file__).parent
MONEY_MODULES = [
    "invoices/money.py",
    "invoices/drafts.py",
    "invoices/representation.py",
    "core/types.py",
    "core/render.py",
    # Also on the money path: request parsing, input bounds, lifecycle amounts, the services.
    "core/routing.py",
    "invoices/schemas.py",
    "invoices/lifecycle.py",
    "invoices/service.py",
]
FLOAT_NAMES = {"float", "Float", "REAL", "Double", "DOUBLE", "DOUBLE_PRECISION"}


def float_uses(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        line = getattr(node, "lineno", "?")
        if isinstance(node, ast.Name) and node.id in FLOAT_NAMES:
            found.append(f"line {line}: name {node.id}")
        elif isinstance(node, ast.Attribute) and node.attr in FLOAT_NAMES:
            found.append(f"line {line}: attribute .{node.attr}")
        elif isinstance(node, ast.alias) and node.name.rsplit(".", 1)[-1] in FLOAT_NAMES:
            found.append(f"line {line}: import {node.name}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, float | complex):
            found.append(f"line {line}: literal {node.value!r}")
    return found


def test_the_float_detector_finds_names_literals_and_imports() -> None:
    source = "from sqlalchemy import Float\nx = float('1')\ny = 0.1\nz = sa.REAL\ndef f(a: float): ..."
    assert len(float_uses(source)) == 5
    assert float_uses("from decimal import Decimal\nx = Decimal('0.1')\ny = 1") == []


@pytest.mark.parametrize("module", MONEY_MODULES)
def test_no_float_appears_in_money_code(module: str) -> None:
    path = PACKAGE / module
    assert path.exists(), module
    assert float_uses(path.read_text(encoding="utf-8")) == [], module


async def test_a_json_number_arrives_exactly_not_through_a_float(tenant: Tenant) -> None:
    # 3 x 0.1 is 0.30000000000000004 in binary floating point; exact decimals give 0.30.
    line = {"name": "dimes", "quantity": Number("3"), "unit_price": Number("0.1"), "vat_rate_percent": Number("0")}
    response = await post_invoice(tenant, {"lines": [line]})
    assert response.status_code == 201, response.text
    invoice = response.json()["data"]
    assert invoice["lines"][0]["unit_price"] == "0.1"
    assert invoice["lines"][0]["amount_net"] == "0.30"
    assert invoice["amount_payable"] == "0.30"


async def test_a_json_number_with_more_digits_than_a_float_holds_arrives_exactly(tenant: Tenant) -> None:
    # 123456789.123456 and 12345678.1234 as doubles lose digits; the product must not.
    line = {
        "name": "precise",
        "quantity": Number("123456789.123456"),
        "unit_price": Number("12345678.1234"),
        "vat_rate_percent": Number("0"),
    }
    response = await post_invoice(tenant, {"currency": "KWD", "lines": [line]})
    assert response.status_code == 201, response.text
    returned = response.json()["data"]["lines"][0]
    assert returned["quantity"] == "123456789.123456"
    assert returned["unit_price"] == "12345678.1234"
    exact = Fraction(Decimal("123456789.123456")) * Fraction(Decimal("12345678.1234"))
    assert returned["amount_net"] == format(half_up(exact, 3), "f")


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
async def test_non_json_number_constants_are_refused_not_500(tenant: Tenant, literal: str) -> None:
    line = {"name": "x", "quantity": Number("1"), "unit_price": Number(literal), "vat_rate_percent": Number("0")}
    response = await post_invoice(tenant, {"lines": [line]})
    assert response.status_code in (400, 422), response.text


async def test_money_is_stored_as_exact_decimals_never_real(tenant: Tenant, engine: AsyncEngine, backend: str) -> None:
    created = await post_invoice(
        tenant, {"lines": [{"name": "x", "quantity": "3", "unit_price": Number("0.1"), "vat_rate_percent": "18"}]}
    )
    invoice_id = created.json()["data"]["id"]
    columns = ["amount_tax_exclusive", "amount_tax_total", "amount_payable", "invoice_amount", "amount_paid"]
    line_columns = ["quantity", "unit_price", "vat_rate_percent", "amount_net", "amount_tax", "amount_total"]
    async with engine.connect() as connection:
        if backend == "sqlite":
            header = select(*(func.typeof(invoices.c[name]) for name in columns)).where(invoices.c.id == invoice_id)
            lines = select(*(func.typeof(invoice_lines.c[name]) for name in line_columns)).where(
                invoice_lines.c.invoice_id == invoice_id
            )
            kinds = set((await connection.execute(header)).one()) | set((await connection.execute(lines)).one())
            assert kinds == {"text"}
        else:
            rows = await connection.execute(
                text(
                    "SELECT table_name, column_name, data_type FROM information_schema.columns "
                    "WHERE table_name IN ('invoices', 'invoice_lines') AND column_name = ANY(:names)"
                ),
                {"names": columns + line_columns},
            )
            types = {(row.table_name, row.column_name): row.data_type for row in rows}
            assert len(types) == len(columns) + len(line_columns)
            assert set(types.values()) == {"numeric"}
        stored = (
            await connection.execute(
                text("SELECT amount_net FROM invoice_lines WHERE invoice_id = :id"), {"id": invoice_id}
            )
        ).scalar_one()
    assert Decimal(stored) == Decimal("0.30")


def test_line_amounts_and_totals_are_decimals_for_integer_only_input() -> None:
    amounts = line_amounts(LineInput("x", Decimal(2), Decimal(5), Decimal(10)), JPY.quantum)
    assert amounts == LineAmounts(discount=Decimal(0), net=Decimal(10), tax=Decimal(1), total=Decimal(11))
    assert all(type(value) is Decimal for value in (amounts.net, amounts.tax, amounts.total, amounts.discount))
