"""Render one page of a PDF to PNG with pypdfium2 alone (no Pillow, no poppler).

python scripts/render_invoice_image.py invoice.pdf invoice.png [--page 1] [--scale 2]
"""

import argparse
import struct
import zlib
from pathlib import Path

import pypdfium2 as pdfium


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def page_png(pdf: bytes, *, page: int = 1, scale: float = 2.0) -> bytes:
    """Page `page` (1-based) of `pdf` as an RGB PNG at `scale` x 72 dpi."""
    document = pdfium.PdfDocument(pdf)
    # rev_byteorder gives RGB in memory order, which is what PNG's colour type 2 wants.
    bitmap = document[page - 1].render(scale=scale, rev_byteorder=True, may_draw_forms=False)
    width, height, stride = bitmap.width, bitmap.height, bitmap.stride
    buffer = bytes(bitmap.buffer)
    channels = bitmap.n_channels
    rows = bytearray()
    for y in range(height):
        row = buffer[y * stride : y * stride + width * channels]
        if channels == 4:
            row = b"".join(row[i : i + 3] for i in range(0, len(row), 4))
        rows += b"\x00" + row
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(rows), 6))
        + _chunk(b"IEND", b"")
    )


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
