"""Render one page of a PDF to PNG with pypdfium2 and Pillow (PyPI wheels alone, no poppler).

python scripts/render_invoice_image.py invoice.pdf invoice.png [--page 1] [--scale 2]
"""

import argparse
import io
from pathlib import Path

import pypdfium2 as pdfium


def page_png(pdf: bytes, *, page: int = 1, scale: float = 2.0) -> bytes:
    """Page `page` (1-based) of `pdf` as a PNG at `scale` x 72 dpi."""
    document = pdfium.PdfDocument(pdf)
    image = document[page - 1].render(scale=scale, may_draw_forms=False).to_pil()
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("pdf", type=Path)
    parser.add_argument("png", type=Path)
    parser.add_argument("--page", type=int, default=1)
    parser.add_argument("--scale", type=float, default=2.0)
    args = parser.parse_args()
    args.png.write_bytes(page_png(args.pdf.read_bytes(), page=args.page, scale=args.scale))


if __name__ == "__main__":
    main()
