"""PDF reports: WeasyPrint renders the very same HTML as the browser report (print stylesheet).

WeasyPrint is the ``report`` extra (``pip install 'backanalytics[report]'``); it is imported only
when a PDF is asked for. Rendering never reads a local file or makes a network request, whatever
the HTML contains: the charts are handed to WeasyPrint from memory and its URL fetcher accepts
only ``data:`` URIs otherwise.
"""

from __future__ import annotations

import base64
import functools
import logging
import re
import secrets
from pathlib import Path
from types import ModuleType

from backanalytics.report.pdf_charts import charts_as_they_are


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
    :func:`backanalytics.report.figures.to_data_uri` writes) goes into the PDF with its own
    compressed pixel rows (:mod:`backanalytics.report.pdf_charts`); WeasyPrint would decode it and
    compress it again, which took about 40 % of a report's PDF time. The pages are the same.

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
    # A chart has no orientation of its own; one set in the HTML's styles is WeasyPrint's to apply.
    cache = {} if "image-orientation" in html else charts_as_they_are(weasyprint, charts)

    class Fetcher(weasyprint.URLFetcher):
        """The report's charts by name; any other URL as a fetcher of ``data:`` URIs only."""

        def fetch(self, url: str, headers: dict[str, str] | None = None) -> object:
            if url in charts:
                return weasyprint.urls.URLFetcherResponse(url, base64.b64decode(charts[url]),
                                                          {"Content-Type": "image/png"})
            return super().fetch(url, headers)

    return weasyprint.HTML(string=html, url_fetcher=Fetcher(allowed_protocols=("data",)),
                           media_type="print").write_pdf(font_config=font_config(), cache=cache)


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
