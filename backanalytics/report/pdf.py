"""PDF reports: WeasyPrint renders the very same HTML as the browser report (print stylesheet).

WeasyPrint is the ``report`` extra (``pip install 'backanalytics[report]'``); it is imported only
when a PDF is asked for. Rendering never reads a local file or makes a network request, whatever
the HTML contains: the charts are handed to WeasyPrint from memory and its URL fetcher accepts
only ``data:`` URIs otherwise.
"""

from __future__ import annotations

import base64
import functools
import io
import logging
import re
import secrets
import struct
import zlib
from pathlib import Path
from types import ModuleType


class PdfUnavailableError(RuntimeError):
    """WeasyPrint (the ``report`` extra) is not installed or cannot load its system libraries."""


def _weasyprint() -> ModuleType:
    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        raise PdfUnavailableError(
            f"PDF output needs WeasyPrint: pip install 'backanalytics[report]' ({exc})") from None
    # WeasyPrint logs every CSS property it does not know (screen-only rules) as a warning.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    return weasyprint


def write_pdf(html: str, target: Path) -> None:
    """Render a self-contained HTML report to a PDF file.

    Parameters
    ----------
    html
        The report HTML (from :mod:`backanalytics.report.html`).
    target
        Where to write the PDF (write through :func:`backanalytics.report.safety.atomic_path`).
    """
    target.write_bytes(pdf_bytes(html))


#: A chart in a report's HTML (:mod:`backanalytics.report.figures`): an image element whose
#: source is a base64 PNG. Attribute values are escaped, so a client's note cannot look like one.
_CHART = re.compile(r'(<img src=")data:image/png;base64,([A-Za-z0-9+/]*={0,2})"')


def pdf_bytes(html: str) -> bytes:
    """The PDF of an HTML report, as bytes (only ``data:`` resources are loaded).

    The charts' PNGs are given to WeasyPrint by a short name instead of as ``data:`` URIs: its
    HTML parser then reads a few kilobytes instead of about half a megabyte of base64 per report
    (the same pages, 0.04 s sooner a report). A chart that is an 8-bit RGB PNG (what
    :func:`backanalytics.report.figures.to_data_uri` writes) goes into the PDF with its pixel data
    as it is (:func:`png_pixels`); WeasyPrint would decode it and compress it again, which took
    about 40 % of a report's PDF time. The pages are the same.

    Examples
    --------
    >>> pdf_bytes("<p>Hello</p>")[:5]
    b'%PDF-'
    """
    weasyprint = _weasyprint()
    charts: dict[str, str] = {}
    scheme = f"chart-{secrets.token_hex(8)}"  # a name the HTML cannot already hold

    def by_name(match: re.Match[str]) -> str:
        name = f"{scheme}:{len(charts)}"
        charts[name] = match[2]
        return f'{match[1]}{name}"'

    html = _CHART.sub(by_name, html)
    cache = _charts_as_they_are(weasyprint, charts)

    class Fetcher(weasyprint.URLFetcher):
        """The report's charts by name; any other URL as a fetcher of ``data:`` URIs only."""

        def fetch(self, url: str, headers: dict[str, str] | None = None) -> object:
            if url in charts:
                return weasyprint.urls.URLFetcherResponse(url, base64.b64decode(charts[url]),
                                                          {"Content-Type": "image/png"})
            return super().fetch(url, headers)

    return weasyprint.HTML(string=html, url_fetcher=Fetcher(allowed_protocols=("data",)),
                           media_type="print").write_pdf(font_config=font_config(), cache=cache)


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: PNG row filters: none, sub, up, average, Paeth.
_PNG_FILTERS = 5


def png_pixels(png: bytes) -> tuple[int, int, bytes] | None:
    """Width, height and compressed pixel rows of a PNG a PDF can hold as it is, else None.

    That is an 8-bit RGB PNG, not interlaced, without a transparent colour, of no more pixels than
    Pillow opens without complaint (``PIL.Image.MAX_IMAGE_PIXELS``), whose pixel data
    (its ``IDAT`` chunks joined) is a whole zlib stream of ``height`` rows, each a PNG filter
    byte and ``3 * width`` bytes. A PDF image stream with ``/FlateDecode`` and PNG predictors reads
    exactly that, so nothing needs decoding and compressing again.

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
    if not png.startswith(_PNG_SIGNATURE):
        return None
    chunks: dict[bytes, list[bytes]] = {}
    at = len(_PNG_SIGNATURE)
    while at + 8 <= len(png):
        length, kind = struct.unpack_from(">I4s", png, at)
        chunks.setdefault(kind, []).append(png[at + 8:at + 8 + length])
        at += 12 + length
        if kind == b"IEND":
            break
    header = chunks.get(b"IHDR", [b""])[0]
    if len(header) != 13 or b"IDAT" not in chunks or b"tRNS" in chunks:
        return None
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if (depth, colour, interlace) != (8, 2, 0) or not width or not height:
        return None
    from PIL import Image

    if Image.MAX_IMAGE_PIXELS and width * height > Image.MAX_IMAGE_PIXELS:  # Pillow's guard against
        return None  # a small file that unpacks to gigabytes: left to Pillow (WeasyPrint) to refuse
    rows = b"".join(chunks[b"IDAT"])
    try:
        raw = zlib.decompressobj()
        pixels = raw.decompress(rows, height * (3 * width + 1) + 1)
    except zlib.error:
        return None
    if len(pixels) != height * (3 * width + 1) or not raw.eof or raw.unused_data:
        return None
    if max(pixels[::3 * width + 1]) >= _PNG_FILTERS:
        return None
    return width, height, rows


def _charts_as_they_are(weasyprint: ModuleType, charts: dict[str, str]) -> dict[str, object]:
    """WeasyPrint's image cache holding the charts whose pixel data the PDF can take as it is.

    WeasyPrint looks an image's URL up in this cache before fetching it; an image it finds there
    gives its own compressed rows when the PDF asks for them (``_get_png_data``) instead of
    WeasyPrint's decoding and compressing the pixels again. Any other chart is fetched as before.
    """
    from PIL import Image
    from weasyprint.images import RasterImage

    class Chart(RasterImage):
        rows: bytes = b""

        def _get_png_data(self, pillow_image: Image.Image) -> bytes:
            if pillow_image.mode == "RGB" and pillow_image.size == (self.width, self.height):
                return self.rows
            return RasterImage._get_png_data(pillow_image)

    cache: dict[str, object] = {}
    for name, data in charts.items():
        png = base64.b64decode(data)
        found = png_pixels(png)
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


@functools.cache
def font_config() -> object:
    """One WeasyPrint font configuration for every PDF this process writes (a new one for each
    took 4 % of a report's PDF time; the reports declare no ``@font-face``, so there is nothing
    in it that one report could leave for the next).

    Raises
    ------
    PdfUnavailableError
        WeasyPrint is not installed or cannot load its system libraries.
    """
    _weasyprint()
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()
