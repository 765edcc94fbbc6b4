"""PDF reports: WeasyPrint renders the very same HTML as the browser report (print stylesheet).

WeasyPrint is the ``report`` extra (``pip install 'backanalytics[report]'``); it is imported only
when a PDF is asked for. Its URL fetcher is restricted to ``data:`` URIs, so rendering never reads
a local file or makes a network request, whatever the HTML contains.
"""

from __future__ import annotations

import logging
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


def pdf_bytes(html: str) -> bytes:
    """The PDF of an HTML report, as bytes (only ``data:`` resources are loaded)."""
    weasyprint = _weasyprint()
    fetcher = weasyprint.URLFetcher(allowed_protocols=("data",))
    return weasyprint.HTML(string=html, url_fetcher=fetcher, media_type="print").write_pdf()
