"""What an e-invoice (CII, UBL, UBL-TR) needs that an invoice's snapshot may lack, and shared formatting.

`missing_for_einvoice` names each gap as an API field path so the endpoint can answer 422
`einvoice_incomplete` listing them; a renderer is only called on a document with no gaps, so the
XML never fails the EN 16931 or GIB rules for want of data. Nothing here rounds: an amount that
is not exact at the format's precision is a gap, never a rounding (decisions.md).
"""

from decimal import ROUND_HALF_UP, Decimal

from invoicing.documents.model import NEEDS_EXEMPTION_REASON, InvoiceDocument, Party, TaxCategory


def words(text: str) -> list[str]:
    """A code list written as one space-separated string, the way the rule files state them."""
    return text.split()


# EN 16931 BR-DEC-*, GIB's decimalCheck: document amounts carry at most two decimals.
EINVOICE_AMOUNT_DECIMALS = 2
# Categories whose lines need both parties' VAT ids (BR-AE-02/03/04, BR-IC-02/03/04).
NEEDS_BOTH_VAT_IDS = frozenset({TaxCategory.REVERSE_CHARGE, TaxCategory.INTRA_COMMUNITY})
# GIB's VAT exemption reason codes (TaxExemptionReasonCodeType) and those only an ISTISNA,
# IADE, IHRACKAYITLI or SGK invoice may use, OZELMATRAH's and IHRACKAYITLI's own.
GIB_EXEMPTION_CODES = frozenset(
    words(
        "101 102 103 104 105 106 107 108 151 201 202 204 205 206 207 208 209 211 212 213 214 215 216 217 "
        "218 219 220 221 223 225 226 227 228 229 230 231 232 234 235 236 237 238 239 240 241 242 250 301 "
        "302 303 304 305 306 307 308 309 310 311 312 313 314 315 316 317 318 319 320 321 322 323 324 325 "
        "326 327 328 329 330 331 332 333 334 335 336 350 351 501 801 802 803 804 805 806 807 808 809 810 "
        "811 812 701 702 703"
    )
)
GIB_SPECIAL_CODE_TYPES: tuple[tuple[frozenset[str], frozenset[str]], ...] = (
    (
        frozenset({"ISTISNA", "IADE", "IHRACKAYITLI", "SGK"}),
        GIB_EXEMPTION_CODES
        - {"151", "351"}
        - frozenset(str(code) for code in range(701, 704))
        - frozenset(str(code) for code in range(801, 813)),
    ),
    (frozenset({"OZELMATRAH", "IADE", "SGK"}), frozenset(str(code) for code in range(801, 813))),
    (frozenset({"IHRACKAYITLI", "IADE", "SGK"}), frozenset(str(code) for code in range(701, 704))),
)
TURKEY = "TR"
CENT = Decimal("0.01")
PEPPOL_LINE_SLACK = Decimal("0.02")


def format_amount(amount: Decimal, minor_units: int) -> str:
    """A money amount as a plain decimal string with the currency's minor units (no exponent)."""
    return f"{amount:.{max(minor_units, 0)}f}" if minor_units < EINVOICE_AMOUNT_DECIMALS else _two(amount)


def _two(amount: Decimal) -> str:
    # Exact-at-2 amounts only reach here (missing_for_einvoice refuses the rest), so dropping a
    # third decimal that is zero loses nothing; anything else is a caller's bug, never rounded.
    if _inexact(amount):
        raise ValueError(f"{amount} is not exact at 2 decimals; missing_for_einvoice refuses it")
    return f"{amount.quantize(Decimal('0.01')):f}"


def format_decimal(value: Decimal) -> str:
    """A quantity, price or rate: plain notation, no trailing zeros beyond what the value has."""
    return f"{value.normalize():f}"


def is_turkish(document: InvoiceDocument) -> bool:
    return document.seller.postal_address.country_code == TURKEY


def is_peppol(document: InvoiceDocument) -> bool:
    return document.seller.electronic_address is not None and document.buyer.electronic_address is not None


def vat_id(party: Party) -> str:
    """The party's tax number as an EN 16931 VAT id (BT-31/BT-48): prefixed with its country (BR-CO-09).

    Factur-X's EN 16931 profile takes VAT ids only (schemeID VA), so a national number without a
    prefix (a Turkish VKN) is written the way VIES-style registers write it, country first.
    """
    number = party.tax_number or ""
    if number[:2].isalpha():
        return number
    return f"{party.postal_address.country_code or ''}{number}"


def vat_ids_omitted(document: InvoiceDocument) -> bool:
    """An invoice outside the scope of VAT shows no VAT ids at all (BR-O-02, BR-O-03, BR-O-04)."""
    return all(line.tax_category == TaxCategory.OUTSIDE_SCOPE for line in document.lines)


def missing_for_einvoice(document: InvoiceDocument) -> list[str]:
    """API field paths an issued invoice lacks for a valid e-invoice in its format; [] when complete."""
    missing = _party_gaps("seller", document.seller) + _party_gaps("buyer", document.buyer)
    if is_turkish(document):
        missing += _turkish_gaps(document)
    else:
        missing += _en16931_gaps(document)
    if any(_inexact(amount) for amount in _amounts(document)):
        missing.append("currency")
    missing += _beyond_rounding_tolerance(document)
    if is_peppol(document) and not is_turkish(document):
        missing += _beyond_peppol_line_slack(document)
    if document.totals.due > 0 and document.due_date is None and document.payment_terms_text is None:
        missing.append("due_date")  # BR-CO-25
    return list(dict.fromkeys(missing))


def _beyond_rounding_tolerance(document: InvoiceDocument) -> list[str]:
    """VAT groups whose tax strays a whole unit from taxable x rate (BR-CO-17; GIB checks it too).

    EN 16931 tolerates less than one unit of the currency between a group's tax and its taxable
    amount times its rate. Per-line rounding (SPEC 4) stays far inside that with two minor units,
    but with none (JPY, KRW) a few small lines can sum a whole unit off: such an invoice has no
    valid EN 16931 form, and we say so rather than change the tax it states.
    """
    gaps = []
    for index, group in enumerate(document.tax_subtotals):
        if not group.rate_percent:
            continue
        expected = (abs(group.taxable_amount) * group.rate_percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        if abs(abs(group.tax_amount) - expected) >= 1:
            gaps.append(f"tax_subtotals[{index}].tax_amount")
    return gaps


def _beyond_peppol_line_slack(document: InvoiceDocument) -> list[str]:
    """PEPPOL-EN16931-R120: quantity x net price - allowance within 0.02 of the line's net amount.

    A currency without minor units rounds a line's net by up to half a unit (1.5 x 333 JPY is
    499.5, stated as 500), beyond that slack: the line has no valid Peppol form as it stands.
    """
    return [
        f"lines[{index}].unit_price"
        for index, line in enumerate(document.lines)
        if abs(line.quantity * line.unit_price - line.amount_discount - line.amount_net) > PEPPOL_LINE_SLACK
    ]


def _party_gaps(role: str, party: Party) -> list[str]:
    gaps = []
    if not party.legal_name.strip():
        gaps.append(f"{role}.legal_name")
    if not party.postal_address.country_code:
        gaps.append(f"{role}.postal_address.country_code")
    return gaps


def _en16931_gaps(document: InvoiceDocument) -> list[str]:
    gaps = []
    categories = {line.tax_category for line in document.lines}
    if TaxCategory.OUTSIDE_SCOPE in categories and len(categories) > 1:
        # BR-O-11..14: an invoice with a line outside the scope of VAT has no other category.
        gaps.append("lines.tax_category")
    if not vat_ids_omitted(document) and not document.seller.tax_number:
        gaps.append("seller.tax_number")  # BR-S-02, BR-Z-02, BR-E-02, BR-AE-02, BR-IC-02, BR-G-02
    if vat_ids_omitted(document) and not document.seller.registration_id:
        gaps.append("seller.registration_id")  # BR-CO-26: with no VAT id the seller needs another id
    if categories & NEEDS_BOTH_VAT_IDS and not document.buyer.tax_number:
        gaps.append("buyer.tax_number")  # BR-AE-02, BR-IC-02
    if TaxCategory.INTRA_COMMUNITY in categories and document.delivery_date is None:
        gaps.append("delivery_date")  # BR-IC-11 (the buyer's country is the deliver-to country, BR-IC-12)
    for index, line in enumerate(document.lines):
        if line.tax_category in NEEDS_EXEMPTION_REASON and not (
            line.tax_exemption_reason or line.tax_exemption_reason_code
        ):
            gaps.append(f"lines[{index}].tax_exemption_reason")
    return gaps


def _turkish_gaps(document: InvoiceDocument) -> list[str]:
    gaps = []
    for role, party in (("seller", document.seller), ("buyer", document.buyer)):
        number = party.tax_number or ""
        if not (number.isdigit() and len(number) in (10, 11)):
            gaps.append(f"{role}.tax_number")  # a 10-digit VKN or an 11-digit TCKN
    for index, line in enumerate(document.lines):
        if line.amount_tax != 0:
            continue
        code = line.tax_exemption_reason_code
        if code not in GIB_EXEMPTION_CODES:
            gaps.append(f"lines[{index}].tax_exemption_reason_code")
        elif any(code in codes and document.document_type not in types for types, codes in GIB_SPECIAL_CODE_TYPES):
            gaps.append("document_type")
    return gaps


def _amounts(document: InvoiceDocument) -> list[Decimal]:
    totals = document.totals
    amounts = [totals.line_net_total, totals.tax_exclusive, totals.tax_total, totals.tax_inclusive]
    amounts += [totals.paid, totals.due]
    for line in document.lines:
        amounts += [line.amount_net, line.amount_discount, line.amount_tax]
    for subtotal in document.tax_subtotals:
        amounts += [subtotal.taxable_amount, subtotal.tax_amount]
    return amounts


def _inexact(amount: Decimal) -> bool:
    return amount != amount.quantize(Decimal("0.01"))
