"""The invoice PDF read back: what art. 226 requires is on it, in the invoice's locale."""

import dataclasses
import io
import re
from decimal import Decimal

import pypdf
import pytest
import segno
import segno.helpers

from invoicing.documents.formatting import format_money
from invoicing.documents.model import InvoiceDocument, Logo, Party, TaxCategory
from invoicing.documents.pdf import render_pdf
from invoicing.documents.pdf.layout import epc_qr_png
from invoicing.documents.texts import text
from tests.documents.corpus import corpus
from tests.documents.factory import BUYER, make_document

D = Decimal


def small_png() -> bytes:
    out = io.BytesIO()
    segno.make("NL").save(out, kind="png", scale=4)
    return out.getvalue()


def pdf_text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return normalise("\n".join(page.extract_text() for page in reader.pages))


def normalise(value: str) -> str:
    # Text extraction turns babel's no-break and narrow no-break spaces into plain ones.
    return re.sub(r"[\s\u00a0\u202f]+", " ", value)


def money(document: InvoiceDocument, amount: Decimal) -> str:
    return normalise(format_money(amount, document.currency, document.locale, minor_units=document.minor_units))


@pytest.mark.parametrize("locale", ["en", "de", "fr", "tr"])
def test_the_pdf_shows_number_parties_lines_vat_per_rate_and_amount_due_in_the_locale(locale: str) -> None:
    document = make_document(locale=locale, paid=D("100"))
    content = pdf_text(render_pdf(document))

    assert document.number is not None
    assert document.number in content
    for party in (document.seller, document.buyer):
        assert party.legal_name in content
        assert party.tax_number is not None
        assert party.tax_number in content
    for line in document.lines:
        assert line.name in content
    for group in document.tax_subtotals:
        assert money(document, group.taxable_amount) in content
        assert money(document, group.tax_amount) in content
    assert money(document, document.totals.due) in content
    assert normalise(text(locale, "amount_due")) in content


def test_a_draft_carries_the_draft_mark_and_no_number() -> None:
    content = pdf_text(render_pdf(make_document(number=None, status="draft", locale="de")))
    assert "ENTWURF" in content
    assert "2026-0042" not in content


@pytest.mark.parametrize(("status", "stamp"), [("void", "VOID"), ("cancelled", "CANCELLED")])
def test_void_and_cancelled_invoices_carry_a_stamp(status: str, stamp: str) -> None:
    assert stamp in pdf_text(render_pdf(make_document(status=status)))


def test_text_with_typst_markup_characters_prints_literally() -> None:
    tricky = "A#B $x$ *bold* _it_ <tag> @ref \\back `code` [x] // c"
    document = make_document(
        buyer=Party(legal_name=tricky, postal_address=BUYER.postal_address, tax_number="FR40303265045"),
        lines=(("#set page(width: 1cm) = Heading", D("1"), D("10.00"), D("19"), D("0"), TaxCategory.STANDARD),),
    )
    content = pdf_text(render_pdf(document))
    assert tricky in content
    assert "#set page(width: 1cm) = Heading" in content


def test_control_characters_no_font_can_show_are_left_out_of_the_pdf() -> None:
    # Names may hold C0 controls (only NUL is refused); PDF/A cannot show them, so they are dropped.
    document = make_document(
        buyer=Party(legal_name="Shift\x0fIn GmbH", postal_address=BUYER.postal_address, tax_number="FR40303265045"),
        lines=(("Widget\x1b\x7f\x85 kit", D("1"), D("10.00"), D("19"), D("0"), TaxCategory.STANDARD),),
    )
    content = pdf_text(render_pdf(document))
    assert "ShiftIn GmbH" in content
    assert "Widget kit" in content


def test_sixty_lines_run_over_several_pages_with_every_line_on_them() -> None:
    lines = tuple(
        (f"Item number {i:02d}", D("1"), D("10.00"), D("19"), D("0"), TaxCategory.STANDARD) for i in range(60)
    )
    document = make_document(lines=lines)
    pdf = render_pdf(document)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2
    content = pdf_text(pdf)
    for i in range(60):
        assert f"Item number {i:02d}" in content
    # The table header repeats on the next page.
    assert "Description" in normalise(reader.pages[1].extract_text())
    assert f"Page 2 of {len(reader.pages)}" in content


def images_on_first_page(pdf: bytes) -> int:
    page = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]
    xobjects = page["/Resources"].get("/XObject", {})
    return len(xobjects)


def test_the_epc_qr_code_is_printed_for_euro_with_an_iban_only() -> None:
    euro = make_document()
    payload = epc_qr_png(euro)
    assert payload is not None
    assert payload.startswith(b"\x89PNG")
    assert images_on_first_page(render_pdf(euro)) >= 1
    assert "scan to pay" in pdf_text(render_pdf(euro))

    for other in (make_document(currency="CHF"), make_document(bank_accounts=())):
        assert epc_qr_png(other) is None
        assert "scan to pay" not in pdf_text(render_pdf(other))
        assert images_on_first_page(render_pdf(other)) == 0


def test_the_epc_payload_carries_iban_amount_and_number() -> None:
    document = make_document()
    data = segno.helpers._make_epc_qr_data(
        name=document.seller.legal_name,
        iban="DE89370400440532013000",
        bic="COBADEFFXXX",
        amount=document.totals.due,
        text="2026-0042",
    )
    assert "DE89370400440532013000" in str(data)
    assert f"EUR{document.totals.due}" in str(data)


def test_a_logo_is_placed_on_the_page() -> None:
    document = make_document(logo=Logo(media_type="image/png", data=small_png()), bank_accounts=())
    assert images_on_first_page(render_pdf(document)) == 1


def test_an_issued_invoice_renders_the_same_bytes_twice() -> None:
    document = make_document()
    assert render_pdf(document) == render_pdf(document)


def test_each_vat_group_prints_its_exemption_reason_or_the_categorys_wording() -> None:
    lines = (
        ("Cloud hosting", D("1"), D("100.00"), D("0"), D("0"), TaxCategory.REVERSE_CHARGE),
        ("Training", D("1"), D("50.00"), D("19"), D("0"), TaxCategory.STANDARD),
    )
    content = pdf_text(render_pdf(make_document(locale="de", lines=lines)))
    assert "Steuerschuldnerschaft des Leistungsempfängers" in content
    assert "Regelsteuersatz" in content


def test_letter_paper_when_the_seller_asks_for_it() -> None:
    letter = dataclasses.replace(make_document(), paper_size="Letter")
    box = pypdf.PdfReader(io.BytesIO(render_pdf(letter))).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
    a4 = pypdf.PdfReader(io.BytesIO(render_pdf(make_document()))).pages[0].mediabox
    assert (round(float(a4.width)), round(float(a4.height))) == (595, 842)


def test_an_svg_logo_is_drawn_as_vectors() -> None:
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
        b'<rect width="40" height="20" fill="#1d4e89"/></svg>'
    )
    document = make_document(logo=Logo(media_type="image/svg+xml", data=svg), bank_accounts=())
    page = pypdf.PdfReader(io.BytesIO(render_pdf(document))).pages[0]
    # The logo's fill colour (0.114 0.306 0.537 as RGB fractions) is painted on the page.
    assert b"0.11372549 0.30588236 0.5372549" in page.get_contents().get_data()


def test_every_invoice_of_the_e_invoice_corpus_renders_with_its_lines_amount_due() -> None:
    # The corpus's unit prices carry up to four decimals, finer than their currency: the PDF must
    # print them, not refuse them, and still show each invoice's amount due.
    for document in corpus(size=60):
        text = pdf_text(render_pdf(document))
        assert normalise(format_money(document.totals.due, document.currency, document.locale)) in text
