"""An issued invoice's PDF with its CII: PDF/A-3b Factur-X EN 16931, the XML embedded unchanged."""

import io
import re
from pathlib import Path

import pypdf

from invoicing.documents.cii import render_cii
from invoicing.documents.pdf import render_pdf
from tests.documents.factory import make_document

# A hand-written XSD-valid CII, so the embedding is tested apart from documents.cii too.
CII = (Path(__file__).parent / "fixtures" / "minimal-cii.xml").read_bytes()


def test_the_cii_is_embedded_byte_identical_as_factur_x_xml() -> None:
    reader = pypdf.PdfReader(io.BytesIO(render_pdf(make_document(), factur_x_xml=CII)))
    assert reader.attachments["factur-x.xml"] == [CII]
    file_spec = reader.trailer["/Root"]["/AF"][0].get_object()
    assert file_spec["/F"] == "factur-x.xml"
    assert file_spec["/AFRelationship"] == "/Alternative"


def test_the_factur_x_pdf_declares_pdf_a_3b_and_the_factur_x_schema() -> None:
    reader = pypdf.PdfReader(io.BytesIO(render_pdf(make_document(), factur_x_xml=CII)))
    xmp = reader.xmp_metadata
    assert xmp is not None
    xml = xmp.stream.get_data().decode()
    assert "<pdfaid:part>3</pdfaid:part>" in xml
    assert "<pdfaid:conformance>B</pdfaid:conformance>" in xml
    assert "<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>" in xml
    assert "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in xml
    assert "Factur-X PDFA Extension Schema" in xml
    assert reader.trailer["/Root"]["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"


def test_the_plain_pdf_is_pdf_a_3b_too() -> None:
    reader = pypdf.PdfReader(io.BytesIO(render_pdf(make_document())))
    xmp = reader.xmp_metadata
    assert xmp is not None
    xml = xmp.stream.get_data().decode()
    # Typst writes the PDF/A id as XMP attributes or elements; either spelling says part 3, B.
    assert re.search(r'pdfaid:part(>|=")3', xml)
    assert re.search(r'pdfaid:conformance(>|=")B', xml)
    assert reader.trailer["/Root"]["/OutputIntents"]


def test_documents_cii_output_is_embedded_byte_identical_in_every_locale() -> None:
    for locale in ("en", "de", "fr", "tr"):
        document = make_document(locale=locale)
        xml = render_cii(document)
        reader = pypdf.PdfReader(io.BytesIO(render_pdf(document, factur_x_xml=xml)))
        assert reader.attachments["factur-x.xml"] == [xml]
        assert document.number in reader.pages[0].extract_text()
