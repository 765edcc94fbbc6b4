"""The report's charts go into its PDF with their own compressed pixel rows.

WeasyPrint decodes every PNG it is given and compresses the pixels again (zlib's default level) for
the PDF: that was 40 % of a report's PDF time. A chart's PNG (8-bit RGB, not interlaced: what
:func:`backanalytics.report.figures.to_data_uri` writes) already holds exactly what a PDF image
with ``/FlateDecode`` and PNG predictors reads: its ``IDAT`` chunks joined. :func:`charts_as_they_are`
hands WeasyPrint such charts with those rows; any other image is WeasyPrint's to handle as before.
"""

from __future__ import annotations

import base64
import io
import struct
import zlib
from types import ModuleType

from backanalytics.report.png import SIGNATURE

#: PNG row filters: none, sub, up, average, Paeth.
_PNG_FILTERS = 5
#: Chunks a PNG may hold besides ``IHDR``, ``IDAT`` and ``IEND`` and still go in as it is: notes
#: that WeasyPrint's own way drops too (text, time, resolution, colour space). Any other chunk
#: (``eXIf``: an orientation WeasyPrint applies; animation frames; one unknown) leaves the PNG
#: to WeasyPrint.
_NOTES = frozenset({b"PLTE", b"pHYs", b"tEXt", b"zTXt", b"iTXt", b"tIME", b"gAMA", b"cHRM", b"sRGB",
                    b"iCCP", b"sBIT", b"bKGD"})
#: The largest width or height a PNG may declare (2^31 - 1).
_PNG_MOST = 2**31 - 1
#: Bytes of pixel rows unpacked at a time when checking them.
_PIECE = 1 << 20


def png_pixels(png: bytes) -> tuple[int, int, bytes] | None:
    """Width, height and compressed pixel rows of a PNG a PDF can hold as it is, else None.

    That is an 8-bit RGB PNG, not interlaced, without a transparent colour, of no more pixels than
    Pillow opens without complaint (``PIL.Image.MAX_IMAGE_PIXELS``), its chunks in order (one
    ``IHDR`` first, the ``IDAT`` chunks one after another, no chunk but notes WeasyPrint drops
    too), whose pixel data (the ``IDAT`` chunks joined) is a whole zlib stream of ``height`` rows,
    each a PNG filter byte and ``3 * width`` bytes.

    Examples
    --------
    >>> from PIL import Image
    >>> buf = io.BytesIO()
    >>> Image.new("RGB", (4, 2), "red").save(buf, format="PNG")
    >>> width, height, rows = png_pixels(buf.getvalue())
    >>> width, height, len(zlib.decompress(rows))
    (4, 2, 26)
    >>> Image.new("RGBA", (4, 2)).save(buf := io.BytesIO(), format="PNG")
    >>> png_pixels(buf.getvalue()) is None
    True
    """
    found = _png_layout(png)
    return found if found is not None and _rows_are_whole(*found) else None


def _png_layout(png: bytes) -> tuple[int, int, bytes] | None:
    """:func:`png_pixels` but for the rows' contents: the header and the chunks' order only."""
    if not png.startswith(SIGNATURE):
        return None
    kinds: list[bytes] = []
    rows: list[bytes] = []
    header = b""
    at = len(SIGNATURE)
    while at + 8 <= len(png):
        length, kind = struct.unpack_from(">I4s", png, at)
        data = png[at + 8:at + 8 + length]
        at += 12 + length
        if kind == b"IEND":
            break
        if kind == b"IDAT":
            if kinds and kinds[-1] != b"IDAT" and b"IDAT" in kinds:  # rows in two runs
                return None
            rows.append(data)
        elif kind == b"IHDR":
            header = data
        elif kind not in _NOTES:
            return None
        kinds.append(kind)
    if not kinds or kinds[0] != b"IHDR" or kinds.count(b"IHDR") != 1 or not rows or len(header) != 13:
        return None
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if (depth, colour, interlace) != (8, 2, 0) or not 0 < width <= _PNG_MOST or not 0 < height <= _PNG_MOST:
        return None
    from PIL import Image

    if Image.MAX_IMAGE_PIXELS and width * height > Image.MAX_IMAGE_PIXELS:  # Pillow's guard against
        return None  # a small file that unpacks to gigabytes: left to Pillow (WeasyPrint) to refuse
    return width, height, b"".join(rows)


def _rows_are_whole(width: int, height: int, rows: bytes) -> bool:
    """Whether ``rows`` unpack to exactly ``height`` rows of ``3 * width`` bytes after a valid
    filter byte; unpacked a megabyte at a time and not kept."""
    stride, expected, seen = 3 * width + 1, height * (3 * width + 1), 0
    unpack = zlib.decompressobj()
    left = rows
    try:
        while True:
            piece = unpack.decompress(left, _PIECE)
            left = unpack.unconsumed_tail
            filters = piece[(-seen) % stride::stride]
            if filters and max(filters) >= _PNG_FILTERS:
                return False
            seen += len(piece)
            if seen > expected:
                return False
            if len(piece) < _PIECE and not left:
                break
    except zlib.error:
        return False
    return seen == expected and unpack.eof and not unpack.unused_data


def charts_as_they_are(weasyprint: ModuleType, charts: dict[str, str]) -> dict[str, object]:
    """WeasyPrint's image cache (its ``cache`` option) holding the charts a PDF can take as they are.

    WeasyPrint looks an image's URL up in this cache before fetching it. ``charts`` maps a name to a
    base64 PNG; for each whose layout :func:`png_pixels` accepts, the cache holds a WeasyPrint
    raster image that gives its own compressed rows when the PDF asks for them
    (``_get_png_data``), once they are found whole (so an image never drawn is never unpacked).
    Any other chart is fetched, decoded and compressed again by WeasyPrint, as is a chart whose
    rows are not whole after all. The images are made with WeasyPrint's default options, which
    :func:`backanalytics.report.pdf.pdf_bytes` writes with; the caller leaves the charts out when
    the HTML sets ``image-orientation`` (a chart has no orientation of its own: no ``eXIf``).
    """
    from PIL import Image
    from weasyprint.images import RasterImage

    class Chart(RasterImage):
        rows: bytes = b""

        def _get_png_data(self, pillow_image: Image.Image) -> bytes:
            if (pillow_image.mode == "RGB" and pillow_image.size == (self.width, self.height)
                    and _rows_are_whole(self.width, self.height, self.rows)):
                return self.rows
            return RasterImage._get_png_data(pillow_image)

    cache: dict[str, object] = {}
    for name, data in charts.items():
        png = base64.b64decode(data)
        found = _png_layout(png)
        if found is None:
            continue
        try:
            chart = Chart(Image.open(io.BytesIO(png)), name, png, cache=cache, options=weasyprint.DEFAULT_OPTIONS)
        except Exception:  # Pillow cannot read it after all (a bad checksum): left to WeasyPrint,
            continue  # which leaves it out and logs why, as it does any image it cannot read
        if (chart.width, chart.height, chart.mode) == (found[0], found[1], "RGB"):
            chart.rows = found[2]
            cache[name] = chart
    return cache
