"""The VAT breakdown (EN 16931 BG-23) groups lines per tax category and rate, from the same
rounded line figures as the document totals (invoices.money.tax_breakdown)."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from invoicing.invoices.money import LineInput, document_totals, line_amounts, tax_breakdown

CENT = Decimal("0.01")


def test_lines_of_one_category_and_rate_form_one_group_whatever_the_rate_is_written_as() -> None:
    lines = [
        ("S", Decimal("19"), line_amounts(LineInput("a", Decimal(2), Decimal("10.005"), Decimal(19)), CENT)),
        ("S", Decimal("19.00"), line_amounts(LineInput("b", Decimal(1), Decimal(5), Decimal(19)), CENT)),
        ("Z", Decimal(0), line_amounts(LineInput("c", Decimal(1), Decimal(5), Decimal(0)), CENT)),
        ("E", Decimal(0), line_amounts(LineInput("d", Decimal(1), Decimal(7), Decimal(0)), CENT)),
    ]
    groups = tax_breakdown(lines, CENT)
    assert [(group.category, group.rate_percent) for group in groups] == [
        ("S", Decimal(19)),
        ("Z", Decimal(0)),
        ("E", Decimal(0)),
    ]
    assert (groups[0].taxable_amount, groups[0].tax_amount) == (Decimal("25.01"), Decimal("4.75"))
    assert (groups[2].taxable_amount, groups[2].tax_amount) == (Decimal("7.00"), Decimal("0.00"))


def test_xeros_example_keeps_the_per_line_tax_in_its_group() -> None:
    # SPEC 4: lines 25.06, 25.61, 25.63 at 15 % make 11.44 of tax, not the 11.45 of one rounding.
    lines = [
        ("S", Decimal(15), line_amounts(LineInput(str(price), Decimal(1), price, Decimal(15)), CENT))
        for price in (Decimal("25.06"), Decimal("25.61"), Decimal("25.63"))
    ]
    [group] = tax_breakdown(lines, CENT)
    assert group.taxable_amount == Decimal("76.30")
    assert group.tax_amount == Decimal("11.44")


line = st.tuples(
    st.sampled_from(["S", "Z", "E", "AE", "K"]),
    st.decimals(min_value=Decimal("0.001"), max_value=Decimal(1000), places=3),
    st.decimals(min_value=Decimal(0), max_value=Decimal(10_000), places=4),
    st.sampled_from([Decimal(0), Decimal(7), Decimal(10), Decimal("19.00"), Decimal(20)]),
    st.decimals(min_value=Decimal(0), max_value=Decimal(100), places=2),
)


@given(st.lists(line, min_size=1, max_size=12), st.sampled_from([Decimal(1), CENT, Decimal("0.001")]))
def test_the_groups_add_up_to_the_document_totals_to_the_unit(specs: list[tuple], quantum: Decimal) -> None:
    lines = [
        (category, rate, line_amounts(LineInput("x", quantity, price, rate, discount), quantum))
        for category, quantity, price, rate, discount in specs
    ]
    groups = tax_breakdown(lines, quantum)
    totals = document_totals((amounts for _, _, amounts in lines), quantum)
    assert sum(group.taxable_amount for group in groups) == totals.tax_exclusive
    assert sum(group.tax_amount for group in groups) == totals.tax_total
    assert len({(group.category, group.rate_percent) for group in groups}) == len(groups)
