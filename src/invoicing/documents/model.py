"""The invoice as a document: one frozen snapshot that every format renders (STYLE 12).

An issued invoice's snapshot is built from what was frozen onto it at issue (seller, buyer,
lines, totals), so its PDF, CII, UBL and hosted page never change when the tenant's profile or
the customer changes later. A draft's is built from the current profile and customer.

Renderers (`documents/<format>/`) read this and nothing else, and compute no money: every
amount here was computed by `invoices.money` (per-line rounding, SPEC 4), including the tax
breakdown, grouped per (category, rate) as EN 16931 groups it (BG-23).
"""

from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal
from enum import StrEnum


class TaxCategory(StrEnum):
    """UNCL 5305 duty or tax category codes, as EN 16931 uses them (BT-118, BT-151)."""

    STANDARD = "S"
    ZERO_RATED = "Z"
    EXEMPT = "E"
    REVERSE_CHARGE = "AE"
    INTRA_COMMUNITY = "K"
    EXPORT = "G"
    OUTSIDE_SCOPE = "O"


# Categories whose breakdown must say why no VAT is charged (BR-E-10, BR-AE-10, BR-IC-10,
# BR-G-10, BR-O-10): a reason text or a VATEX code.
NEEDS_EXEMPTION_REASON = frozenset(
    {
        TaxCategory.EXEMPT,
        TaxCategory.REVERSE_CHARGE,
        TaxCategory.INTRA_COMMUNITY,
        TaxCategory.EXPORT,
        TaxCategory.OUTSIDE_SCOPE,
    }
)


class DocumentKind(StrEnum):
    """What the document is: an invoice (UNCL 1001 380) or a credit note correcting one (381)."""

    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


@dataclass(frozen=True, slots=True)
class BillingReference:
    """The invoice a credit note corrects (BG-3: BT-25 its number, BT-26 its issue date)."""

    number: str
    issue_date: date


@dataclass(frozen=True, slots=True)
class CreditSplit:
    """Where a credit note's total went, as frozen at its issue: off the invoice's amount due,
    refunded, kept as customer credit (the three add up to the note's total)."""

    reducing_due: Decimal
    refunded: Decimal
    kept_as_credit: Decimal


@dataclass(frozen=True, slots=True)
class PostalAddress:
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    postal_code: str | None = None
    subdivision: str | None = None  # ISO 3166-2 code or a free text region
    country_code: str | None = None  # ISO 3166-1 alpha-2


@dataclass(frozen=True, slots=True)
class ElectronicAddress:
    scheme: str  # an EAS code: 9930 (DE VAT), 0088 (GLN), 0208 (BE enterprise number), ...
    id: str


@dataclass(frozen=True, slots=True)
class BankAccount:
    iban: str  # electronic form, no spaces
    bic: str | None = None
    bank_name: str | None = None


@dataclass(frozen=True, slots=True)
class Party:
    """Seller (BG-4) or buyer (BG-7) as frozen on the invoice."""

    legal_name: str
    postal_address: PostalAddress = field(default_factory=PostalAddress)
    tax_number: str | None = (
        None  # VAT id with its country prefix (BT-31/BT-48), or a national tax number (TR: VKN/TCKN)
    )
    registration_id: str | None = None  # BT-30/BT-47: legal registration
    email: str | None = None
    phone: str | None = None
    website: str | None = None
    electronic_address: ElectronicAddress | None = None
    tax_office: str | None = None  # TR: the tax office (vergi dairesi) of a VKN, UBL-TR's PartyTaxScheme name


@dataclass(frozen=True, slots=True)
class Logo:
    media_type: str  # image/png, image/jpeg or image/svg+xml
    data: bytes


@dataclass(frozen=True, slots=True)
class DocumentLine:
    position: int
    name: str
    quantity: Decimal
    unit_code: str  # UN/ECE Rec 20; C62 ("one") unless the line says otherwise
    unit_price: Decimal  # net price per unit before the line's discount (BT-146)
    discount_percent: Decimal
    # The line allowance (BT-136). Negative only on a credit-note line that closes an invoice line
    # credited in parts (its net is what was left): formats show it as a line charge (BT-141).
    amount_discount: Decimal
    amount_net: Decimal  # BT-131 = quantity x unit_price - amount_discount, rounded (invoices.money)
    tax_category: TaxCategory
    vat_rate_percent: Decimal
    amount_tax: Decimal
    amount_total: Decimal
    tax_exemption_reason_code: str | None = None  # VATEX-EU-... (BT-121)
    tax_exemption_reason: str | None = None  # BT-120


@dataclass(frozen=True, slots=True)
class TaxSubtotal:
    """One VAT breakdown group (BG-23): the lines of one category and rate."""

    category: TaxCategory
    rate_percent: Decimal
    taxable_amount: Decimal  # BT-116: sum of the group's line net amounts
    tax_amount: Decimal  # BT-117: sum of the group's rounded line taxes
    exemption_reason_code: str | None = None
    exemption_reason: str | None = None


@dataclass(frozen=True, slots=True)
class DocumentTotals:
    line_net_total: Decimal  # BT-106
    tax_exclusive: Decimal  # BT-109
    tax_total: Decimal  # BT-110
    tax_inclusive: Decimal  # BT-112
    paid: Decimal  # BT-113
    due: Decimal  # BT-115 = tax_inclusive - paid


@dataclass(frozen=True, slots=True)
class InvoiceDocument:
    """Everything a format shows of one invoice; `number` is None for a draft."""

    invoice_id: int
    public_id: str
    uuid: str  # a stable UUID of the invoice (UBL-TR's cbc:UUID; also a document id elsewhere)
    status: str  # the lifecycle status: draft, issued, partially_paid, paid, cancelled, void
    number: str | None
    issue_date: date | None
    due_date: date | None
    currency: str  # ISO 4217
    minor_units: int  # of the currency: 0, 2 or 3 (amounts are quantized to it)
    locale: str  # en, de, fr, tr (a BCP 47 / babel locale id)
    document_class: str
    document_type: str  # GIB's InvoiceTypeCode world: SATIS, IADE, ... (primary API field)
    profile_id: str  # GIB profile (TEMELFATURA, TICARIFATURA, EARSIVFATURA, ...) or the EU default
    seller: Party
    buyer: Party
    lines: tuple[DocumentLine, ...]
    tax_subtotals: tuple[TaxSubtotal, ...]
    totals: DocumentTotals
    notes: str | None = None
    payment_terms_days: int | None = None
    bank_accounts: tuple[BankAccount, ...] = ()
    footer: str | None = None
    logo: Logo | None = None
    hosted_url: str | None = None  # the public page of an issued invoice, None for a draft
    delivery_date: date | None = None  # BT-72, the invoice's optional delivery date
    buyer_reference: str | None = None  # BT-10, the buyer's own reference (Peppol needs it or an order id)
    issue_time: time | None = None  # UBL-TR's IssueTime, in the tenant's zone
    paper_size: str = "A4"  # the seller's profile: "A4" or "Letter" (the PDF's page size)
    kind: DocumentKind = DocumentKind.INVOICE
    billing_reference: BillingReference | None = None  # a credit note's corrected invoice
    payment_terms: str | None = None  # BT-20 as text, when not "Net N days" (a credit note's settlement)
    credit_split: CreditSplit | None = None  # an issued credit note's split

    @property
    def payment_terms_text(self) -> str | None:
        """BT-20: the stated terms, else "Net N days" of the seller's profile, else None."""
        if self.payment_terms:
            return self.payment_terms
        return f"Net {self.payment_terms_days} days" if self.payment_terms_days is not None else None

    @property
    def is_credit_note(self) -> bool:
        return self.kind is DocumentKind.CREDIT_NOTE

    @property
    def is_draft(self) -> bool:
        return self.number is None

    @property
    def payment_reference(self) -> str | None:
        """What the payer quotes with a transfer (BT-83): the invoice number."""
        return self.number
